import * as assert from 'assert';
import * as sinon from 'sinon';
import { mergeParts, parseBooleanBytes, parseBooleanText, parseIntegerBytes, parseIntegerText, parseNumberBytes, parseNumberText, TableChecker } from '../../../src/data/checks';
import { parseIsoDateTime, parseIsoDateTimeBytes } from '../../../src/data/durations';
import { hashAsciiBytes, hashString } from '../../../src/data/hll';
import { NULLS_STOP, NumberCells } from '../../../src/data/number-cells';
import { ColumnAccumulator, mergeColumnProfileList } from '../../../src/data/profile';
import { openTable } from '../../../src/data/readers';
import { parseSchema } from '../../../src/data/schema';
import { detachedString, type RowBatch } from '../../../src/data/types';
import { memorySource, sharedBufferSource } from './readers/helpers';
import { TRICKY_DATES, TRICKY_NUMBERS } from './number-cases';
import { seededRandom } from '../../support/random';

function bytesOf(text: string): { buf: Buffer; s: number; e: number } {
  // Padding around the cell, so a parser reading past its end would show.
  const buf = Buffer.from(`9${text}9`, 'utf8');
  return { buf, s: 1, e: buf.length - 1 };
}

describe('byte parsers', () => {
  it('parse integers and numbers as the text parsers do', () => {
    for (const text of TRICKY_NUMBERS) {
      const { buf, s, e } = bytesOf(text);
      assert.ok(Object.is(parseIntegerBytes(buf, s, e), parseIntegerText(text)), `integer ${JSON.stringify(text)}`);
      assert.ok(Object.is(parseNumberBytes(buf, s, e), parseNumberText(text)), `number ${JSON.stringify(text)}`);
    }
  });

  it('parse ISO datetimes as the text parser does, without reading past the cell', () => {
    for (const text of TRICKY_DATES) {
      const { buf, s, e } = bytesOf(text);
      assert.ok(Object.is(parseIsoDateTimeBytes(buf, s, e), parseIsoDateTime(text)), `padded ${JSON.stringify(text)}`);
      const bare = Buffer.from(text, 'utf8');
      assert.ok(Object.is(parseIsoDateTimeBytes(bare, 0, bare.length), parseIsoDateTime(text)), `bare ${JSON.stringify(text)}`);
    }
  });

  it('parse booleans as the text parser does', () => {
    for (const text of ['', '1', '0', '2', 'no', 'NO', 'No', 'nO', 'n0', 'yes', 'YES', 'yEs', 'true', 'TRUE', 'True', 'false', 'FALSE', 'fAlSe', 'tru', 'truee', 'ño', 'yés', 'y', 'n', 'on', 'off', 'NO ', '\u212Ao']) {
      const { buf, s, e } = bytesOf(text);
      assert.strictEqual(parseBooleanBytes(buf, s, e), parseBooleanText(text), `boolean ${JSON.stringify(text)}`);
    }
  });
});

const SCHEMA = `version: 1
columns:
  - { name: id, type: integer, unique: true, min: 1, max: 100 }
  - { name: x, type: number, min: -5, max: 1000000, allowed: [1.5, -2, 1e3, 7] }
  - { name: flag, type: boolean, allowed: [true] }
  - { name: when, type: datetime, min: 2020-01-01 }
  - { name: day, type: datetime, format: '%d/%m/%Y' }
  - { name: name, type: string, maxLength: 4 }
  - { name: n, type: integer, nullable: false, allowed: [-3, 0, 1, 7, 8, 9] }
`;

const CSV = [
  'id,x,flag,when,day,name,n',
  '1,1.5,true,2024-01-02,02/01/2024,ab,1',
  '2,-2,FALSE,2024-01-02T03:04:05Z,31/02/2024,"a,b",-3',
  '2,"1e3",yes,2019-12-31T23:59:59.5+01:00,,"a""b",',
  '"4",1E3,No,2024-13-01,01/01/2020,é€𝄞x,+4',
  ',,,,,,',
  '6,-1.5e-3,1,2024-02-29 10:00,29/02/2024,"line\nbreak",7',
  '7,"1""",0,"2024-03-01T00:00",,,"8"',
  '8,x,maybe,yesterday,1/1/2020,naïve,1.0',
  '9,1e400,true,2024-01-01T00:00:00.123456Z,05/06/2021,"",-0',
  '10,007,TRUE,2024-01-01,05/06/2021,a',
  '1e2,-0,true,2024-01-01,05/06/2021,abcde,12345678901234567890',
  '101,+7,true,2024-01-01,05/06/2021,x,9007199254740993',
].join('\r\n') + '\r\n';

async function batchesOf(text: string | Buffer, chunkSize: number, batchSize: number, encoding?: 'latin1'): Promise<{ columns: string[]; batches: RowBatch[] }> {
  const table = await openTable(memorySource(typeof text === 'string' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]) : text, chunkSize), {
    format: 'csv',
    batchSize,
    onMalformed: () => undefined,
    ...(encoding && { encoding }),
  });
  const batches: RowBatch[] = [];
  for await (const b of table.batches()) batches.push(b);
  return { columns: table.columns, batches };
}

function run(columns: string[], batches: RowBatch[], schemaText = SCHEMA, categoryCap?: number) {
  const checker = new TableChecker('data.csv', columns, {
    schema: parseSchema(schemaText, 'schema.yaml'),
    profiler: (name, kind) => new ColumnAccumulator(name, kind, { categoryCap }),
  });
  for (const b of batches) checker.consume(b);
  return mergeParts([checker.result()], mergeColumnProfileList);
}

/** The same batches as text only: what JSONL-like consumers see, and what the checks did before raw cells. */
function asText(batches: RowBatch[]): RowBatch[] {
  return batches.map((b) => ({ firstRow: b.firstRow, rowCount: b.rowCount, columns: b.columns.map((col) => Array.from(col)), lineOf: b.lineOf }));
}

/** The checks' results on csv read by bytes, asserted the same (message: label) as on its cell texts. */
async function sameAsText(csv: string, chunkSize: number, batchSize: number, schema: string, label: string, categoryCap?: number) {
  const raw = await batchesOf(csv, chunkSize, batchSize);
  const text = await batchesOf(csv, chunkSize, batchSize);
  const got = run(raw.columns, raw.batches, schema, categoryCap);
  assert.deepStrictEqual(got, run(text.columns, asText(text.batches), schema, categoryCap), label);
  return got;
}

describe('raw CSV cells', () => {
  for (const [chunkSize, batchSize] of [[1 << 20, 8192], [7, 3], [1, 1], [13, 5]]) {
    it(`give the checks the same results as the cell texts (chunks of ${chunkSize}, batches of ${batchSize})`, async () => {
      const raw = await batchesOf(CSV, chunkSize, batchSize);
      assert.ok(raw.batches.every((b) => b.raw !== undefined));
      const text = await batchesOf(CSV, chunkSize, batchSize);
      const want = run(text.columns, asText(text.batches));
      assert.deepStrictEqual(run(raw.columns, raw.batches), want);
      // And with every number read in JavaScript, as where WebAssembly cannot run.
      const load = sinon.stub(NumberCells.prototype, 'load').returns(false);
      try {
        assert.deepStrictEqual(run(raw.columns, raw.batches), want);
        assert.ok(load.called);
      } finally {
        load.restore();
      }
    });
  }

  it('give the same profiles and checks as the cell texts when numbers pass from exact counts to a sketch within a batch', async () => {
    // x: 3,000 distinct numbers, past EXACT_CAP in the middle of the first batch; t: times far from 0; id: unique
    // but for one repeat, beyond 2^31 in part; label: one value not allowed.
    const lines = ['id,x,t,label'];
    for (let i = 0; i < 3000; i++) {
      const id = i === 2500 ? 17 : i < 1500 ? i : 2 ** 33 + i;
      lines.push(`${id},${((i * 7919) % 3001) * 0.37 - 200},${new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString()},${i === 99 ? 2 : i % 2}`);
    }
    const csv = lines.join('\n') + '\n';
    const schema = [
      'version: 1',
      'columns:',
      '  - { name: id, type: integer, unique: true }',
      '  - { name: x, type: number, min: -150 }',
      '  - { name: t, type: datetime }',
      '  - { name: label, type: integer, allowed: [0, 1] }',
    ].join('\n');
    for (const [chunkSize, batchSize] of [[1 << 20, 8192], [4096, 700]]) {
      const got = await sameAsText(csv, chunkSize, batchSize, schema, `chunks ${chunkSize}, batches ${batchSize}`);
      const column = (name: string) => got.columnResults.find((c) => c.name === name)!;
      assert.deepStrictEqual(['x', 't'].map((name) => (column(name).profile.sketch as { type: string } | undefined)?.type), ['ddsketch', 'ddsketch']);
      // Whole numbers have exact keys: none hashed.
      assert.deepStrictEqual([column('id').unique!.duplicates, column('id').unique!.hashedValues], [1, 0]);
      assert.deepStrictEqual(column('id').unique!.examples.map((e) => [e.row, e.value]), [[2501, '17']]);
      // x < -150 where (i * 7919) % 3001 <= 135: 136 rows, the multiples of 7919 being distinct mod 3001.
      assert.deepStrictEqual([column('x').tallies.min!.unexpected, column('label').tallies.allowed!.unexpected], [136, 1]);
    }
  });

  it('give the same results as the cell texts on numeric columns with many nulls, counted in the kernel past the examples', async () => {
    // Nulls as empty cells and as fields missing from short rows, far more than the examples a check keeps: x runs
    // out of exact counts among them, id is unique but for one repeat and has an escaped cell, and n has a value
    // not allowed.
    const lines = ['id,x,n,t'];
    for (let i = 0; i < 3000; i++) {
      const id = i === 2900 ? '5' : i % 13 === 3 ? '' : i === 1234 ? '"12""34"' : String(i);
      const x = i % 7 === 1 ? '' : String(((i * 7919) % 3001) * 0.37 - 200);
      const n = i % 11 === 2 ? '' : i === 777 ? '9' : String(i % 3);
      const t = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
      // Every 17th row stops after x: n and t are missing.
      lines.push(i % 17 === 5 ? `${id},${x}` : `${id},${x},${n},${t}`);
    }
    const csv = lines.join('\n') + '\n';
    for (const missingValues of ["['']", '[]']) {
      const schema = [
        'version: 1',
        `missingValues: ${missingValues}`,
        'columns:',
        '  - { name: id, type: integer, unique: true, nullable: false }',
        '  - { name: x, type: number, min: -150, maxNullFraction: 0.5 }',
        '  - { name: n, type: integer, allowed: [0, 1, 2] }',
        '  - { name: t, type: datetime, min: 2024-01-01 }',
      ].join('\n');
      const accumulate = sinon.spy(NumberCells.prototype, 'accumulate');
      try {
        for (const [chunkSize, batchSize] of [[1 << 20, 8192], [4096, 700]]) {
          const label = `missingValues ${missingValues}, chunks ${chunkSize}, batches ${batchSize}`;
          const got = await sameAsText(csv, chunkSize, batchSize, schema, label);
          const column = (name: string) => got.columnResults.find((c) => c.name === name)!;
          const nulls = (name: string) => column(name).tallies.nullable?.unexpected ?? column(name).nulls;
          const missing = Math.ceil((3000 - 5) / 17);
          if (missingValues === '[]') {
            // Empty cells are no nulls: they fail the type check.
            assert.deepStrictEqual([nulls('id'), nulls('x'), nulls('n')], [0, 0, missing], label);
            assert.strictEqual(column('x').tallies.type!.unexpected, Math.ceil((3000 - 1) / 7), label);
          } else {
            assert.strictEqual(nulls('x'), Math.ceil((3000 - 1) / 7), label);
            assert.strictEqual(column('id').tallies.nullable!.examples.length, 10, label);
            assert.strictEqual(nulls('t'), missing, label);
          }
          assert.deepStrictEqual([column('id').unique!.duplicates, column('n').tallies.allowed!.unexpected], [1, 1], label);
          assert.strictEqual((column('x').profile.sketch as { type: string }).type, 'ddsketch', label);
        }
        // The kernel took nulls itself, once the examples were full.
        assert.ok(accumulate.getCalls().some((call) => call.args[5] !== NULLS_STOP && call.returnValue > (call.args[0] as number) + 20));
      } finally {
        accumulate.restore();
      }
    }
  });

  it('give the same results as the cell texts on boolean columns read in runs by the kernel', async () => {
    // Words in every spelling parseBooleanBytes takes, at random, with nulls, escaped cells and values that are no
    // boolean among them; one column allows both values, one only true (read row by row), one is unique.
    const words = ['true', 'false', 'TRUE', 'False', 'yes', 'no', '1', '0'];
    const rand = seededRandom(5);
    const lines = ['a,b,c'];
    for (let i = 0; i < 3000; i++) {
      const cell = () => {
        const x = rand();
        return x < 0.9 ? words[Math.floor(rand() * words.length)] : x < 0.95 ? '' : x < 0.97 ? '"t""rue"' : x < 0.99 ? 'maybe' : '"true"';
      };
      // a starts with true, then false: the first value seen is true.
      lines.push(`${i < 2 ? ['yes', 'no'][i] : cell()},${cell()},${i < 2 ? ['true', 'false'][i] : cell()}`);
    }
    const csv = lines.join('\n') + '\n';
    const schema = [
      'version: 1',
      'columns:',
      '  - { name: a, type: boolean, allowed: [true, false], maxNullFraction: 0.5 }',
      '  - { name: b, type: boolean, allowed: [true] }',
      '  - { name: c, type: boolean, unique: true }',
    ].join('\n');
    const readBooleans = sinon.spy(NumberCells.prototype, 'readBooleans');
    try {
      for (const [chunkSize, batchSize] of [[1 << 20, 8192], [4096, 700]]) {
        const got = await sameAsText(csv, chunkSize, batchSize, schema, `chunks ${chunkSize}, batches ${batchSize}`);
        // With room for one category, the value seen first keeps it.
        await sameAsText(csv, chunkSize, batchSize, schema, `chunks ${chunkSize}, batches ${batchSize}, cap 1`, 1);
        const a = got.columnResults.find((c) => c.name === 'a')!;
        assert.ok(a.tallies.type!.unexpected > 20 && a.nulls > 50, 'the column has values that are no boolean, and nulls');
        assert.deepStrictEqual(Object.keys(a.profile.categories!).sort(), ['false', 'true']);
      }
      // The kernel read runs of a only: b has a value not allowed, c is unique.
      assert.ok(readBooleans.getCalls().some((call) => call.returnValue > (call.args[0] as number) + 20));
    } finally {
      readBooleans.restore();
    }
  });

  it('give every batch its own cells when batch buffers are reused, if each is read before the next', async () => {
    // Rows of growing length, so a later batch needs more bytes than the buffer it reuses; one row longer than the
    // room a local file's chunks have before them for the record the chunk before left unfinished.
    const lines = ['a,b,c'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},"${'x'.repeat(i === 1700 ? 100_000 : i % 97)},y",${'é'.repeat(i % 5)}z${i}`);
    const data = Buffer.from(lines.join('\n') + '\n');
    const cases: Array<[number, number, boolean]> = [[1 << 20, 8192, false], [4096, 500, false], [7, 64, false], [1 << 20, 8192, true], [4096, 500, true], [50_000, 64, true], [7, 64, true]];
    for (const [chunkSize, batchSize, shared] of cases) {
      const read = async (reuse: boolean) => {
        const source = shared ? sharedBufferSource(data, chunkSize) : memorySource(data, chunkSize);
        const table = await openTable(source, { format: 'csv', batchSize, reuseBatchBuffers: reuse });
        const seen: string[][] = [];
        for await (const b of table.batches()) {
          for (let r = 0; r < b.rowCount; r++) seen.push(b.columns.map((column) => String(column[r])));
          // Cells read by bytes too, as the checks read them.
          for (let r = 0; r < b.rowCount; r++) assert.strictEqual(b.raw!.text(2, r), seen[b.firstRow - 1 + r][2]);
        }
        return seen;
      };
      const reused = await read(true);
      assert.strictEqual(reused.length, 3000);
      assert.deepStrictEqual(reused, await read(false), `chunks ${chunkSize}, batches ${batchSize}${shared ? ', shared buffers' : ''}`);
    }
  });

  it('decode each cell as columns has it, in UTF-8 and Latin-1', async () => {
    for (const [data, encoding] of [[CSV, undefined], [Buffer.from('a,b\r\n"x""y",\xe9t\xe9\n1,\n', 'latin1'), 'latin1']] as const) {
      const { batches } = await batchesOf(data, 5, 4, encoding);
      for (const b of batches) {
        for (let c = 0; c < b.columns.length; c++) {
          const values = Array.from({ length: b.rowCount }, (_, r) => b.raw!.text(c, r));
          assert.deepStrictEqual(values, Array.from(b.columns[c]));
        }
      }
    }
  });

  it('keep columns usable as an array of columns, decoded once', async () => {
    const { columns, batches } = await batchesOf(CSV, 1 << 20, 8192);
    const b = batches[0];
    assert.ok(Array.isArray(b.columns));
    assert.strictEqual(b.columns.length, columns.length);
    assert.strictEqual(b.columns[3], b.columns[3]);
    assert.deepStrictEqual([...b.columns].map((col) => col.length), columns.map(() => b.rowCount));
    assert.deepStrictEqual(b.columns.map((col) => col[0]), ['1', '1.5', 'true', '2024-01-02', '02/01/2024', 'ab', '1']);
    assert.strictEqual(b.columns[columns.length], undefined);
  });

  it('fall back to the text where a check needs it (patterns, extra missing values)', async () => {
    const schema = `version: 1
missingValues: ['', NA, '-']
columns:
  - { name: id, type: integer, pattern: '[0-9]' }
  - { name: x, type: number }
  - { name: flag, type: boolean, pattern: 'true|false' }
`;
    const data = 'id,x,flag\n1,NA,true\n22,-,NA\nNA,3,TRUE\n';
    const raw = await batchesOf(data, 4, 2);
    const text = await batchesOf(data, 4, 2);
    assert.deepStrictEqual(run(raw.columns, raw.batches, schema), run(text.columns, asText(text.batches), schema));
  });

  const TEXT_SCHEMA = `version: 1
columns:
  - { name: c, type: category, allowed: [a, b, 'a"b', é, '𝄞'] }
  - { name: s, type: string, minLength: 2, maxLength: 3, pattern: '[a-zé"]+', unique: true }
  - { name: u, type: string, unique: true }
`;
  const TEXT_CSV = [
    'c,s,u',
    'a,ab,1',
    'b,abcd,2',
    '"a""b",a"b,3',
    'a"b,"a""b",1',
    'é,é,4',
    'x,,5',
    'a,ab,6',
    '𝄞,AB,6',
    ',"",',
    'b,ab',
    'é,abc,7',
    'a,ab,8',
    'x,x,9',
  ].join('\n') + '\n';

  for (const [chunkSize, batchSize, cap] of [[1 << 20, 8192, undefined], [5, 2, undefined], [3, 4, 2], [1 << 20, 8192, 1]] as const) {
    it(`give text checks and category counts the same results by bytes as by text (chunks ${chunkSize}, batches ${batchSize}, cap ${cap})`, async () => {
      const raw = await batchesOf(TEXT_CSV, chunkSize, batchSize);
      const text = await batchesOf(TEXT_CSV, chunkSize, batchSize);
      const a = run(raw.columns, raw.batches, TEXT_SCHEMA, cap);
      assert.deepStrictEqual(a, run(text.columns, asText(text.batches), TEXT_SCHEMA, cap));
      assert.ok(a.columnResults[0].tallies.allowed!.unexpected > 0 && a.columnResults[1].unique!.duplicates > 0);
    });
  }

  it('give the same results on a column of mostly distinct values, past what is remembered by bytes', async () => {
    const lines = ['k,v'];
    for (let i = 0; i < 12000; i++) lines.push(`${i % 7 === 0 ? 'same' : `key-${i}`},${i % 3}`);
    const data = lines.join('\n') + '\n';
    const schema = 'version: 1\ncolumns:\n  - { name: k, type: string, maxLength: 8 }\n  - { name: v, type: category, allowed: [0, 1] }\n';
    const raw = await batchesOf(data, 1 << 16, 1000);
    const text = await batchesOf(data, 1 << 16, 1000);
    assert.deepStrictEqual(run(raw.columns, raw.batches, schema, 5000), run(text.columns, asText(text.batches), schema, 5000));
  });
  it('give the same results by bytes as by text for mostly distinct values with failures, patterns, uniqueness and non-ASCII batches', async () => {
    const lines = ['k,e,t,p'];
    for (let i = 0; i < 15000; i++) {
      const k = i % 11 === 0 ? 'common' : i % 997 === 0 ? 'x' : i % 1499 === 0 ? `far-too-long-${i}` : `k${i}`;
      const e = i % 1201 === 0 ? `bad ${i}` : i % 1301 === 0 ? 'dup@x.io' : `u${i}@x.io`;
      // Non-ASCII text in a few stretches, so some batches are not all ASCII.
      const t = i >= 9000 && i < 9100 ? `é${i}` : i % 13 === 0 ? '' : `t${i % 6000}`;
      // A pattern without uniqueness: checked on the bytes of values the kernel counted.
      const p = i % 1201 === 5 ? `Bad-${i}@x.io` : `p${i}@x.io`;
      lines.push(`${k},${e},${i === 7777 ? '"q""uote"' : t},${p}`);
    }
    const data = lines.join('\n') + '\n';
    const schema = [
      'version: 1',
      'columns:',
      '  - { name: k, type: string, minLength: 2, maxLength: 8 }',
      "  - { name: e, type: string, pattern: '[a-z0-9]+@x[.]io', unique: true }",
      '  - { name: t, type: string, maxLength: 5 }',
      "  - { name: p, type: string, pattern: '[a-z0-9]+@x[.]io' }",
    ].join('\n') + '\n';
    for (const cap of [3000, 20000]) {
      const raw = await batchesOf(data, 1 << 16, 1000);
      const text = await batchesOf(data, 1 << 16, 1000);
      const a = run(raw.columns, raw.batches, schema, cap);
      assert.deepStrictEqual(a, run(text.columns, asText(text.batches), schema, cap), `cap ${cap}`);
      const [k, e, , p] = a.columnResults;
      assert.strictEqual(p.tallies.pattern!.unexpected, Math.ceil((15000 - 5) / 1201), 'every value not matching is found');
      assert.ok(k.tallies.minLength!.unexpected > 0 && k.tallies.maxLength!.unexpected > 0, 'length failures are found');
      assert.ok(e.tallies.pattern!.unexpected > 0 && e.unique!.duplicates > 0, 'pattern failures and duplicates are found');
      assert.strictEqual(k.profile.categories?.common, Math.ceil(15000 / 11));
    }
    // Without the kernel's verdicts (an automaton too large for it), the pattern is tested value by value.
    const matchCells = sinon.stub(NumberCells.prototype, 'matchCells').returns(undefined);
    try {
      const a = await sameAsText(data, 1 << 16, 1000, schema, 'without verdicts', 3000);
      assert.strictEqual(a.columnResults[3].tallies.pattern!.unexpected, Math.ceil((15000 - 5) / 1201));
      assert.ok(matchCells.called);
    } finally {
      matchCells.restore();
    }
  });
});

/** Columns without a rule (data columns a schema of columns: superset leaves out): each read by type from bytes, or value by value from texts. */
describe('raw CSV cells of columns without a rule', () => {
  /** Column name, and its cell on row i of the file (an empty cell is a null). */
  const columns: Array<[string, (i: number) => string]> = [
    ['int', (i) => (i % 9 === 0 ? '' : String((i * 7919) % 100003) )],
    ['int_long', (i) => (i === 2500 ? '0000000000000012' : String(i - 1000))],
    ['int_unsafe', (i) => (i === 3001 ? '9007199254740993' : String(i))],
    ['decimal', (i) => (i % 5 === 0 ? String(i) : `${i}.${i % 10}5`)],
    // Few values, so every batch is read by bytes (one not all ASCII too).
    ['decimal_few', (i) => (i % 4 === 0 ? String(i % 40) : `${i % 40}.5`)],
    ['decimal_unsafe', (i) => (i === 4000 ? '-12345678901234567890' : `${i}.5`)],
    ['number_then_word', (i) => (i === 3500 ? 'n/a' : `${i}e-2`)],
    ['when', (i) => (i % 11 === 0 ? '' : `2024-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:30:00Z`)],
    ['when_and_year', (i) => (i === 1999 ? '2020' : `2024-01-${10 + (i % 19)}`)],
    ['flag', (i) => ['true', 'FALSE', 'yes', 'No'][i % 4]],
    ['flag_and_bits', (i) => (i < 3000 ? String(i % 2) : i % 2 === 0 ? 'true' : 'false')],
    ['bits', (i) => String((i * i) % 2)],
    ['flag_then_bit', (i) => (i === 2800 ? '1' : i % 3 === 0 ? 'no' : 'yes')],
    ['empty', () => ''],
    ['word', (i) => (i % 13 === 0 ? '"say ""hi"""' : `w${i % 40}`)],
    // Past the values remembered by bytes (see TextChecker), a batch not all ASCII is read from its texts.
    ['free', (i) => (i >= 5100 && i < 5200 ? `é${i}` : `text number ${i}`)],
  ];
  const rows = 12000;
  const lines = ['key,' + columns.map(([name]) => name).join(',')];
  for (let i = 0; i < rows; i++) lines.push(`${i},` + columns.map(([, cell]) => cell(i)).join(','));
  const csv = lines.join('\n') + '\n';
  const schema = 'version: 1\ndataset:\n  columns: superset\ncolumns:\n  - { name: key, type: integer }\n';

  /**
   * The merged result of the batches read in two parts (as two threads would), without the evidence counts, and
   * without the minimum and maximum of a column that is not numbers (nothing reads them then).
   */
  function inParts(columns: string[], batches: RowBatch[], sniffUniqueness = false) {
    const half = batches.length >> 1;
    const parts = [batches.slice(0, half), batches.slice(half)].map((part) => {
      const checker = new TableChecker('data.csv', columns, { schema: parseSchema(schema, 'schema.yaml'), profiler: (name, kind) => new ColumnAccumulator(name, kind), sniffUniqueness });
      for (const b of part) checker.consume(b);
      return checker.result();
    });
    const merged = mergeParts(parts, mergeColumnProfileList);
    // Whether values repeat, not how many: the search stops at the first repeat (by bytes, after its batch).
    return merged.columnResults.map(({ evidence, min, max, unique, ...column }) => ({
      ...column,
      ...((column.sniffedType === undefined || column.sniffedType === 'integer' || column.sniffedType === 'number') && { min, max }),
      evidence: evidence && { nonNull: evidence.nonNull, scalars: evidence.scalars, repeats: (evidence.duplicates ?? 0) > 0 },
    }));
  }

  it('give the profiles and types of the cell texts, read in parts', async () => {
    for (const batchSize of [1000, 1499]) {
      const raw = await batchesOf(csv, 1 << 16, batchSize);
      const text = await batchesOf(csv, 1 << 16, batchSize);
      const got = inParts(raw.columns, raw.batches);
      assert.deepStrictEqual(got, inParts(text.columns, asText(text.batches)), `batches of ${batchSize}`);
      const typeOf = Object.fromEntries(got.map((c) => [c.name, c.sniffedType]));
      assert.deepStrictEqual(typeOf, {
        key: undefined,
        int: 'integer',
        int_long: 'integer',
        int_unsafe: 'string',
        decimal: 'number',
        decimal_few: 'number',
        decimal_unsafe: 'string',
        number_then_word: 'string',
        when: 'datetime',
        when_and_year: 'string',
        flag: 'boolean',
        flag_and_bits: 'string',
        bits: 'integer',
        flag_then_bit: 'string',
        empty: 'string',
        word: 'string',
        free: 'string',
      });
      // And with repeats looked for, as infer does.
      const sniffed = inParts(raw.columns, raw.batches, true);
      assert.deepStrictEqual(sniffed, inParts(text.columns, asText(text.batches), true), `batches of ${batchSize}, repeats`);
      const repeating = sniffed.filter((c) => c.evidence?.repeats).map((c) => c.name);
      assert.deepStrictEqual(repeating, columns.map(([name]) => name).filter((name) => !/^(int|int_long|int_unsafe|decimal|decimal_unsafe|number_then_word|empty|free)$/.test(name)));
      const profile = (name: string) => got.find((c) => c.name === name)!.profile;
      assert.strictEqual(profile('decimal').kind, 'numeric');
      assert.strictEqual(profile('when').nulls, Math.ceil(rows / 11));
      assert.deepStrictEqual(profile('flag').topValues.map((v) => v.value).sort(), ['false', 'true']);
      assert.strictEqual(profile('word').categories!['say "hi"'], Math.ceil(rows / 13));
    }
  });
});

describe('detachedString', () => {
  it('copies any text exactly, lone surrogates included', () => {
    const big = `${'abc'.repeat(1000)}é€𝄞\ud800x`;
    for (const s of ['', 'short', big.substring(5, 200), big.substring(2990), big]) assert.strictEqual(detachedString(s), s);
  });
});

describe('ColumnAccumulator past its category cap', () => {
  it('still counts the kept categories, and counts every other value as other', () => {
    const acc = new ColumnAccumulator('c', 'categorical', { categoryCap: 50 });
    const counts = new Map<string, number>();
    let other = 0;
    const distinct = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      // Kept categories keep coming back among many new values (and a few repeats of those).
      const value = i % 5 === 0 ? `cat-${i % 50}` : `v-${i % 9000}`;
      acc.addText(value);
      distinct.add(value);
      if (counts.has(value) || counts.size < 50) counts.set(value, (counts.get(value) ?? 0) + 1);
      else other++;
    }
    acc.addTextRepeats('cat-0', 3);
    counts.set('cat-0', counts.get('cat-0')! + 3);
    acc.addTextRepeats('v-8999', 2);
    other += 2;
    const p = acc.toProfile();
    assert.deepStrictEqual({ ...p.categories }, Object.fromEntries(counts));
    assert.strictEqual(p.otherCount, other);
    assert.strictEqual(p.count, 20005);
    assert.ok(Math.abs(p.distinct - distinct.size) < distinct.size * 0.05, `distinct ${p.distinct} of ${distinct.size}`);
  });

  it('counts ASCII values given as bytes exactly as the same values given as text', () => {
    const byText = new ColumnAccumulator('c', 'categorical', { categoryCap: 50 });
    const byBytes = new ColumnAccumulator('c', 'categorical', { categoryCap: 50 });
    for (let i = 0; i < 20000; i++) {
      const value = i % 5 === 0 ? `cat-${i % 50}` : `v-${i % 9000}`;
      byText.addText(value);
      const bytes = Buffer.from(`[${value}]`, 'latin1');
      if (!byBytes.addAsciiBytes(bytes, 1, bytes.length - 1, hashAsciiBytes(bytes, 1, bytes.length - 1))) byBytes.addText(value);
    }
    assert.deepStrictEqual(byBytes.toProfile(), byText.toProfile());
    assert.strictEqual(hashAsciiBytes(Buffer.from('abc-123'), 0, 7), hashString('abc-123'));
    // Every length around the four-byte words, at every offset in a buffer.
    const text = 'the quick brown fox: 0123456789';
    const buf = Buffer.from(`..${text}..`, 'latin1');
    const hashes = new Map<string, number>();
    for (let s = 0; s < text.length; s++) {
      for (let e = s; e <= text.length; e++) {
        const h = hashString(text.slice(s, e));
        assert.strictEqual(hashAsciiBytes(buf, s + 2, e + 2), h, text.slice(s, e));
        hashes.set(text.slice(s, e), h);
      }
    }
    // No two of these texts share a hash.
    assert.strictEqual(new Set(hashes.values()).size, hashes.size);
  });
});
