import * as assert from 'assert';
import { mergeParts, parseIntegerText, parseNumberText, TableChecker, type PartResult } from '../../../src/data/checks';
import { ColumnAccumulator, mergeColumnProfileList } from '../../../src/data/profile';
import { parseSchema } from '../../../src/data/schema';
import type { CellValue, DataSchema, RowBatch } from '../../../src/data/types';

/** A table given as rows, cut into batches of `batchSize`, with lines = row + 1 (a header on line 1). */
function batchesOf(rows: CellValue[][], batchSize: number, firstLine = 2): RowBatch[] {
  const batches: RowBatch[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const slice = rows.slice(start, start + batchSize);
    const width = rows[0]?.length ?? 0;
    const columns = Array.from({ length: width }, (_, c) => slice.map((row) => row[c]));
    batches.push({ firstRow: start + 1, rowCount: slice.length, columns, lineOf: (r) => firstLine + start + r });
  }
  return batches;
}

function check(schemaText: string, columns: string[], rows: CellValue[][], options: { batchSize?: number; uniqueMemoryCap?: number } = {}): ReturnType<typeof mergeParts> {
  const schema: DataSchema = parseSchema(schemaText, 'schema.yaml');
  const checker = new TableChecker('data.csv', columns, {
    schema,
    profiler: (name, kind) => new ColumnAccumulator(name, kind),
    uniqueMemoryCap: options.uniqueMemoryCap,
  });
  for (const batch of batchesOf(rows, options.batchSize ?? 3)) checker.consume(batch);
  return mergeParts([checker.result()], mergeColumnProfileList, { uniqueMemoryCap: options.uniqueMemoryCap });
}

function column(merged: ReturnType<typeof mergeParts>, name: string) {
  const found = merged.columnResults.find((c) => c.name === name);
  assert.ok(found, `no column ${name}`);
  return found;
}

const rowsOfExamples = (examples: Array<{ row: number }>) => examples.map((e) => e.row);

describe('TableChecker', () => {
  it('names the rows and lines of values that are not integers, and passes good ones', () => {
    const merged = check('version: 1\ncolumns:\n  - { name: n, type: integer }\n', ['n'], [['1'], ['-2'], ['3.5'], ['+4'], ['x'], [''], ['1e3']]);
    const type = column(merged, 'n').tallies.type!;
    assert.strictEqual(type.elements, 6);
    assert.strictEqual(type.unexpected, 3);
    assert.deepStrictEqual(type.examples, [
      { row: 3, line: 4, value: '3.5' },
      { row: 5, line: 6, value: 'x' },
      { row: 7, line: 8, value: '1e3' },
    ]);
    assert.strictEqual(column(merged, 'n').nulls, 1);
  });

  it('checks typed cells by their JavaScript type', () => {
    const merged = check(
      'version: 1\ncolumns:\n  - { name: i, type: integer }\n  - { name: b, type: boolean }\n  - { name: s, type: string }\n',
      ['i', 'b', 's'],
      [[1, true, 'a'], [1.5, 'yes', 2], [BigInt(7), 1, null]],
    );
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'i').tallies.type!.examples), [2]);
    // 'yes' is a boolean spelling in text; the number 1 is not a boolean value.
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'b').tallies.type!.examples), [3]);
    assert.deepStrictEqual(rowsOfExamples(column(merged, 's').tallies.type!.examples), [2]);
  });

  it('reports min and max violations with their rows and the observed range', () => {
    const merged = check('version: 1\ncolumns:\n  - { name: age, type: integer, min: 18, max: 100 }\n', ['age'], [['17'], ['18'], ['100'], ['101'], ['5']]);
    const age = column(merged, 'age');
    assert.deepStrictEqual(rowsOfExamples(age.tallies.min!.examples), [1, 5]);
    assert.deepStrictEqual(rowsOfExamples(age.tallies.max!.examples), [4]);
    assert.strictEqual(age.min, 5);
    assert.strictEqual(age.max, 101);
  });

  it('checks allowed values, patterns in full and lengths', () => {
    const merged = check(
      "version: 1\ncolumns:\n  - { name: c, type: category, allowed: [US, GB] }\n  - { name: e, type: string, pattern: '[a-z]+@[a-z]+', minLength: 4, maxLength: 6 }\n",
      ['c', 'e'],
      [['US', 'a@b'], ['FR', 'ab@cd'], ['GB', 'xx@yyyy'], ['us', 'ab@cd!']],
    );
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'c').tallies.allowed!.examples), [2, 4]);
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'e').tallies.pattern!.examples), [4]);
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'e').tallies.minLength!.examples), [1]);
    assert.deepStrictEqual(rowsOfExamples(column(merged, 'e').tallies.maxLength!.examples), [3]);
  });

  it('reads the schema missing values as nulls', () => {
    const merged = check("version: 1\nmissingValues: ['', NA]\ncolumns:\n  - { name: x, type: number, nullable: false }\n", ['x'], [['1.5'], ['NA'], [''], [null], ['2']]);
    const x = column(merged, 'x');
    assert.strictEqual(x.nulls, 3);
    assert.deepStrictEqual(rowsOfExamples(x.tallies.nullable!.examples), [2, 3, 4]);
    assert.strictEqual(x.tallies.type!.unexpected, 0);
  });

  it('parses datetimes with the column format and compares them with the bounds', () => {
    const merged = check(
      "version: 1\ncolumns:\n  - { name: t, type: datetime, format: '%d/%m/%Y', min: 2020-01-01 }\n",
      ['t'],
      [['31/12/2019'], ['01/01/2020'], ['2020-01-02'], ['29/02/2021']],
    );
    const t = column(merged, 't');
    assert.deepStrictEqual(rowsOfExamples(t.tallies.min!.examples), [1]);
    assert.deepStrictEqual(rowsOfExamples(t.tallies.type!.examples), [3, 4]);
    assert.strictEqual(t.max, Date.UTC(2020, 0, 1));
  });

  it('finds duplicates of a unique column and names the later rows', () => {
    const rows = [['a'], ['b'], ['a'], ['c'], ['b'], ['a']];
    const merged = check('version: 1\ncolumns:\n  - { name: k, type: string, unique: true }\n', ['k'], rows);
    const unique = column(merged, 'k').unique!;
    assert.strictEqual(unique.duplicates, 3);
    assert.deepStrictEqual(unique.examples, [
      { row: 3, line: 4, value: 'a' },
      { row: 5, line: 6, value: 'b' },
      { row: 6, line: 7, value: 'a' },
    ]);
  });

  it('compares unique numbers by value, so 1 and 1.0 are the same', () => {
    const merged = check('version: 1\ncolumns:\n  - { name: k, type: number, unique: true }\n', ['k'], [['1'], ['1.0'], ['2']]);
    assert.strictEqual(column(merged, 'k').unique!.duplicates, 1);
  });

  it('finds the same duplicates after spilling to disk as in memory', () => {
    const rows: CellValue[][] = [];
    for (let i = 0; i < 5000; i++) rows.push([String(i % 4000)]);
    const schema = 'version: 1\ncolumns:\n  - { name: k, type: integer, unique: true }\n';
    const inMemory = column(check(schema, ['k'], rows, { batchSize: 700 }), 'k').unique!;
    const spilled = column(check(schema, ['k'], rows, { batchSize: 700, uniqueMemoryCap: 100 }), 'k').unique!;
    assert.strictEqual(inMemory.duplicates, 1000);
    assert.strictEqual(spilled.duplicates, 1000);
    assert.deepStrictEqual(rowsOfExamples(spilled.examples), rowsOfExamples(inMemory.examples));
    assert.deepStrictEqual(rowsOfExamples(inMemory.examples), [4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4009, 4010]);
  });

  it('finds duplicate and null compound primary keys', () => {
    const merged = check(
      'version: 1\ndataset:\n  primaryKey: [a, b]\ncolumns:\n  - { name: a, type: string }\n  - { name: b, type: integer }\n',
      ['a', 'b'],
      [['x', '1'], ['x', '2'], ['y', '1'], ['x', '1'], ['', '3'], ['x|1', ''], ['y', '1']],
    );
    const key = merged.primaryKey!;
    assert.strictEqual(key.unique.duplicates, 2);
    assert.deepStrictEqual(rowsOfExamples(key.unique.examples), [4, 7]);
    assert.strictEqual(key.unique.examples[0].value, 'x | 1');
    assert.strictEqual(key.missing.unexpected, 2);
    assert.deepStrictEqual(rowsOfExamples(key.missing.examples), [5, 6]);
  });

  it('reads only the columns it is told to: the others, with a rule or without, are neither checked nor profiled', () => {
    const schema = parseSchema("version: 1\ncolumns:\n  - { name: a, type: number, max: 2 }\n  - { name: b, type: string, pattern: 'q' }\n", 's.yaml');
    const checker = new TableChecker('data.csv', ['a', 'b', 'c'], { schema, profiler: (name, kind) => new ColumnAccumulator(name, kind), readColumns: ['a'] });
    for (const batch of batchesOf([['1', 'x', '7'], ['2', 'y', '8'], ['3', 'z', '9']], 2)) checker.consume(batch);
    const merged = mergeParts([checker.result()], mergeColumnProfileList);
    const b = column(merged, 'b');
    assert.deepStrictEqual([b.profile.count, b.tallies.pattern!.elements, b.tallies.pattern!.unexpected, b.tallies.type!.elements], [0, 0, 0, 0]);
    // Without readColumns, c (no rule) would have its type sniffed from its values.
    const c = column(merged, 'c');
    assert.deepStrictEqual([c.profile.count, c.sniffedType], [0, undefined]);
    const a = column(merged, 'a');
    assert.deepStrictEqual([a.profile.count, a.profile.max, a.tallies.max!.unexpected], [3, 3, 1]);
  });

  it('shifts rows and lines of later parts when merging them in order', () => {
    const schema = parseSchema('version: 1\ncolumns:\n  - { name: n, type: integer, unique: true }\n', 's.yaml');
    const part = (rows: CellValue[][], firstLine: number, lineBase: number): PartResult => {
      const checker = new TableChecker('data.csv', ['n'], { schema, profiler: (name, kind) => new ColumnAccumulator(name, kind) });
      for (const batch of batchesOf(rows, 2, firstLine)) checker.consume(batch);
      return { ...checker.result(), lineBase };
    };
    // Part one is lines 2-4 of the file (after the header); part two counts its lines from 1.
    const merged = mergeParts([part([['1'], ['x'], ['2']], 1, 1), part([['y'], ['1']], 1, 0)], mergeColumnProfileList);
    const n = column(merged, 'n');
    assert.deepStrictEqual(n.tallies.type!.examples, [
      { row: 2, line: 3, value: 'x' },
      { row: 4, line: 5, value: 'y' },
    ]);
    assert.strictEqual(n.unique!.duplicates, 1);
    assert.deepStrictEqual(n.unique!.examples.map((e) => [e.row, e.line]), [[5, 6]]);
  });
});

describe('number parsing', () => {
  it('reads decimal numbers exactly like Number, and refuses what is not one', () => {
    for (const text of ['0', '-1.5', '+2', '3.14159', '1e3', '-2.5E-3', '.5', '5.', '123456789012345678', '0.1', '1e308', '4.35']) {
      assert.strictEqual(parseNumberText(text), Number(text), text);
    }
    for (const text of ['', '-', '1,000', ' 1', '1 ', '0x10', 'NaN', 'Infinity', '1e', '1e400', '.', '--1']) {
      assert.ok(Number.isNaN(parseNumberText(text)), text);
    }
  });

  it('reads integers up to 2^53 and refuses larger ones', () => {
    assert.strictEqual(parseIntegerText('-9007199254740991'), -9007199254740991);
    assert.ok(Number.isNaN(parseIntegerText('9007199254740993')));
    assert.ok(Number.isNaN(parseIntegerText('1.0')));
    assert.ok(Number.isNaN(parseIntegerText('+')));
  });
});
