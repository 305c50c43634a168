import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as arrow from 'apache-arrow';
import * as sinon from 'sinon';
import { sniffedType, TableChecker, type PartResult } from '../../../src/data/checks';
import { validateData, type ValidateOptions } from '../../../src/data/engine';
import { NumberCells } from '../../../src/data/number-cells';
import { ColumnAccumulator } from '../../../src/data/profile';
import { evenRuns, openTable, splitParquet, splitParquetColumns } from '../../../src/data/readers';
import { loadParquetWasm } from '../../../src/data/readers/parquet';
import { parseSchema } from '../../../src/data/schema';
import { localFileSource } from '../../../src/data/sources';
import type { RowBatch, TableReader } from '../../../src/data/types';
import type { DataSource } from '../../../src/data/sources';

const ROWS = 10_000;
const BOM = '\ufeff';
const MS_2023 = Date.UTC(2023, 0, 1);

function writeParquet(file: string, table: arrow.Table, rowGroup: number, snappy = true): void {
  const { pw } = loadParquetWasm();
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const builder = new pw.WriterPropertiesBuilder().setMaxRowGroupSize(rowGroup);
  const props = (snappy ? builder.setCompression(pw.Compression.SNAPPY) : builder).build();
  fs.writeFileSync(file, pw.writeParquet(wasmTable, props));
}

const orNull = <T>(i: number, every: number, value: T): T | null => (i % every === 0 ? null : value);
const fullFlag = (i: number): boolean => (i * i + 3 * i) % 11 < 4;

/** Every kind of column the typed paths handle, with nulls, bad values, repeats and distinct values. */
function wideTable(): arrow.Table {
  const ids = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i));
  ids[5] = 2n ** 60n; // beyond 2^53: a type error, shown as the bigint
  ids[7] = -(2n ** 53n);
  ids[9] = 2n ** 53n - 1n; // the largest exact one
  ids[100] = 1n; // a duplicate
  const times = Array.from({ length: ROWS }, (_, i) => orNull(i, 17, MS_2023 + (i - 50) * 3_600_000));
  times[3] = 9e15; // beyond the range of Date: Invalid Date
  const incomes = Array.from({ length: ROWS }, (_, i) => orNull(i, 13, (i * 7.25) % 5000));
  incomes[4] = NaN;
  incomes[6] = Infinity;
  const names = Array.from({ length: ROWS }, (_, i) => orNull(i, 19, `n${i % 13}`));
  names[1] = '';
  names[2] = `${BOM}n1`;
  names[8] = 'é';
  names[10] = 'NA';
  const texts = Array.from({ length: ROWS }, (_, i) => (i % 23 === 0 ? null : i % 31 === 0 ? 'NA' : `t${i}`));
  // Whole numbers stored as floats, two of them no integers of the schema's: beyond 2^53, and infinite.
  const ratios = Array.from({ length: ROWS }, (_, i) => i / 8);
  ratios[16] = 2 ** 60;
  ratios[24] = Infinity;
  return new arrow.Table({
    id: arrow.makeVector(ids),
    // The same int64 values as a number column: beyond ±(2^53 - 1) they are no numbers either.
    id_as_number: arrow.makeVector(BigInt64Array.from(ids)),
    age: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 11, i % 100)), new arrow.Int32()),
    small: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 200) - 100), new arrow.Int16()),
    income: arrow.vectorFromArray(incomes, new arrow.Float64()),
    ratio: arrow.vectorFromArray(ratios, new arrow.Float32()),
    // A number without a range: infinities and NaN are type errors all the same.
    score: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 50 === 0 ? -Infinity : i % 71 === 0 ? NaN : i % 97 === 0 ? Infinity : i * 0.5)), new arrow.Float64()),
    flag: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 5, i % 3 === 0)), new arrow.Bool()),
    at: arrow.vectorFromArray(times, new arrow.TimestampMillisecond('UTC')),
    at_us: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 7, MS_2023 + i * 1000.5)), new arrow.TimestampMicrosecond()),
    day: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 9, new Date(MS_2023 + (i % 4000) * 86_400_000))), new arrow.DateDay()),
    name: arrow.vectorFromArray(names, new arrow.Utf8()),
    text: arrow.vectorFromArray(texts, new arrow.Utf8()),
    at_as_int: arrow.vectorFromArray(times, new arrow.TimestampMillisecond('UTC')),
    age_as_date: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 11, i)), new arrow.Int32()),
    // Booleans without nulls, in no period a batch's length shares: counted a batch at a time.
    flag_full: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => fullFlag(i)), new arrow.Bool()),
    flag_as_text: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => i % 2 === 0), new arrow.Bool()),
    name_as_int: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 10 === 0 ? 'x' : String(i))), new arrow.Utf8()),
    label_as_category: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => i % 3), new arrow.Int32()),
    age_with_pattern: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => orNull(i, 11, i % 100)), new arrow.Int32()),
    // Dictionary-encoded text, as pandas' categoricals are written.
    cat: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => orNull(i, 6, ['US', 'GB', 'FR', `${BOM}DE`, '', 'NA', 'USA'][i % 7])),
      new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
    ),
    cat_many: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => `c${i % 6000}`),
      new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16()),
    ),
    // Mostly distinct free text with length rules only: profiled from its bytes once the categories are full,
    // except in the row group where some values are not ASCII.
    free: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => (i % 29 === 0 ? null : i % 997 === 0 ? 'x' : i >= 8000 && i % 3 === 0 ? `fré${i}` : `free-text-${i % 7000}`)),
      new arrow.Utf8(),
    ),
    // Mostly distinct ASCII text without nulls, with a pattern and length rules: profiled in the kernel, checked by
    // the pattern's verdicts on the bytes.
    free_full: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => (i % 499 === 0 ? `w${i % 10}-a` : i % 601 === 0 ? `w${i}-BAD` : i % 701 === 0 ? `w${i}-${'long'.repeat(4)}` : `w${i % 7000}-ok`)),
      new arrow.Utf8(),
    ),
  });
}

const WIDE_SCHEMA = `version: 1
columns:
  - { name: id, type: integer, unique: true, min: 0 }
  - { name: id_as_number, type: number }
  - { name: age, type: integer, min: 18, max: 90, nullable: false }
  - { name: small, type: integer, allowed: [0, 1, 2, -100] }
  - { name: income, type: number, min: 0, max: 4000, unique: true }
  - { name: ratio, type: integer }
  - { name: score, type: number }
  - { name: flag, type: boolean, allowed: [true], unique: true }
  - { name: at, type: datetime, min: 2023-01-01, unique: true }
  - { name: at_us, type: datetime, max: 2023-01-01T01:00:00Z }
  - { name: day, type: datetime, format: '%Y-%m-%d', max: 2030-01-01 }
  - { name: name, type: category, allowed: [n1, n2, n3, NA], minLength: 2, maxLength: 2, unique: true }
  - { name: text, type: string, maxLength: 4, pattern: 't\\d+', unique: true }
  - { name: at_as_int, type: integer }
  - { name: age_as_date, type: datetime }
  - { name: flag_full, type: boolean }
  - { name: flag_as_text, type: string }
  - { name: name_as_int, type: integer }
  - { name: label_as_category, type: category, allowed: ['0', '1'] }
  - { name: age_with_pattern, type: integer, pattern: '[1-8]\\d' }
  - { name: cat, type: category, allowed: [US, GB, DE], maxLength: 2, unique: true }
  - { name: cat_many, type: string, unique: true, minLength: 3 }
  - { name: free, type: string, minLength: 2, maxLength: 13 }
  - { name: free_full, type: string, minLength: 5, maxLength: 16, pattern: 'w\\d+-[a-z]+' }
missingValues: MISSING
`;

/** The part result of checking every batch of a file, once with its typed columns and once with cell values only. */
async function checkBothWays(file: string, missingValues: string, batchSize: number): Promise<{ typed: PartResult; boxed: PartResult; typedColumns: number }> {
  const schema = parseSchema(WIDE_SCHEMA.replace('MISSING', missingValues), 'schema.yaml');
  const table: TableReader = await openTable(localFileSource(file, 'wide.parquet'), { format: 'parquet', batchSize });
  // A category cap below the distinct values of the text columns, so their values past it are counted by bytes.
  const make = () => new TableChecker('wide.parquet', table.columns, { schema, profiler: (name, kind) => new ColumnAccumulator(name, kind, { categoryCap: 3000 }), nativeTypes: table.nativeTypes });
  const typed = make();
  const boxed = make();
  let typedColumns = 0;
  for await (const batch of table.batches()) {
    typedColumns = batch.typed?.filter((t) => t !== undefined).length ?? 0;
    typed.consume(batch);
    const cellsOnly: RowBatch = { firstRow: batch.firstRow, rowCount: batch.rowCount, columns: batch.columns };
    boxed.consume(cellsOnly);
  }
  return { typed: typed.result(), boxed: boxed.result(), typedColumns };
}

describe('Parquet typed columns', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-typed-'));
    writeParquet(path.join(dir, 'wide.parquet'), wideTable(), 4000);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [missingValues, batchSize] of [["['']", 1000], ["['', NA]", 777], ['[]', 65536]] as const) {
    it(`give the same results as the cell values, profiles included (missingValues ${missingValues}, batches of ${batchSize})`, async () => {
      const { typed, boxed, typedColumns } = await checkBothWays(path.join(dir, 'wide.parquet'), missingValues, batchSize);
      // Every column of the file came typed (decimals and nested types would not).
      assert.strictEqual(typedColumns, 24);
      assert.deepStrictEqual(typed, boxed);
      const state = (name: string) => typed.columnStates.find((c) => c.name === name)!;
      // The results are what the data says, not merely equal.
      assert.strictEqual(state('id').tallies.type!.unexpected, 2);
      assert.deepStrictEqual(
        state('id').tallies.type!.examples.map((e) => e.value),
        [String(2n ** 60n), String(-(2n ** 53n))],
      );
      assert.strictEqual(state('id').max, 2 ** 53 - 1);
      assert.strictEqual(state('id_as_number').tallies.type!.unexpected, 2);
      assert.strictEqual(state('id_as_number').max, 2 ** 53 - 1);
      assert.deepStrictEqual(state('at').tallies.type!.examples.map((e) => [e.row, e.value]), [[4, 'Invalid Date']]);
      assert.strictEqual(state('at').nulls, Math.ceil(ROWS / 17));
      assert.deepStrictEqual(state('income').tallies.type!.examples.map((e) => e.value), ['NaN', 'Infinity']);
      assert.strictEqual(state('ratio').tallies.type!.unexpected, ROWS - Math.ceil(ROWS / 8) + 2);
      let notFinite = 0;
      for (let i = 0; i < ROWS; i++) if (i % 50 === 0 || i % 71 === 0 || i % 97 === 0) notFinite++;
      assert.strictEqual(state('score').tallies.type!.unexpected, notFinite);
      assert.strictEqual(state('at_as_int').tallies.type!.unexpected, ROWS - Math.ceil(ROWS / 17));
      assert.strictEqual(state('age_as_date').tallies.type!.unexpected, ROWS - Math.ceil(ROWS / 11));
      assert.strictEqual(state('flag_as_text').tallies.type!.unexpected, ROWS);
      assert.strictEqual(state('age').tallies.nullable!.examples[0].value, 'null');
      assert.strictEqual(state('at_us').min, MS_2023 + 1000);
      // A leading byte-order mark is dropped, as Arrow's decoder does: row 3 is 'n1', not too long.
      assert.ok(!state('name').tallies.maxLength!.examples.some((e) => e.row === 3));
      assert.deepStrictEqual(state('name').tallies.maxLength!.examples.slice(0, 2).map((e) => [e.row, e.value]), [[12, 'n11'], [13, 'n12']]);
      // Dictionary values: checked as text, a byte-order mark dropped, repeats found.
      assert.deepStrictEqual(state('cat').tallies.allowed!.examples[0], { row: 3, value: 'FR' });
      assert.ok(!state('cat').tallies.allowed!.examples.some((e) => e.row === 4), 'DE after a byte-order mark is allowed');
      assert.deepStrictEqual(state('cat').tallies.maxLength!.examples[0], { row: 14, value: 'USA' });
      assert.strictEqual(state('cat_many').unique!.kind, 'memory');
      assert.strictEqual(state('cat_many').tallies.minLength!.unexpected, 20);
      let notMatching = 0;
      for (let i = 0; i < ROWS; i++) if (i % 23 !== 0 && i % 31 === 0) notMatching++;
      assert.strictEqual(state('text').tallies.pattern!.unexpected, missingValues.includes('NA') ? 0 : notMatching);
      const free = state('free');
      assert.strictEqual(free.tallies.minLength!.unexpected, 10); // 'x' every 997th row, but not the null rows
      assert.ok(free.tallies.maxLength!.unexpected > 0, 'the longest free texts break maxLength');
      assert.ok(free.profile!.otherCount! > 0, 'values past the category cap are counted as other');
      assert.strictEqual(state('flag_full').tallies.type!.elements, ROWS);
      const trues = Array.from({ length: ROWS }, (_, i) => fullFlag(i)).filter(Boolean).length;
      assert.deepStrictEqual(state('flag_full').profile!.topValues, [{ value: 'false', count: ROWS - trues }, { value: 'true', count: trues }]);
      const full = state('free_full').tallies;
      // A short word every 499th row, an upper-case one every 601st, a long one every 701st.
      assert.deepStrictEqual([full.minLength!.unexpected, full.pattern!.unexpected, full.maxLength!.unexpected], [21, 16, 14]);
    });
  }

  it('decodes only the columns it is asked for, giving them exactly as a full read does and the others as nulls', async () => {
    const file = path.join(dir, 'wide.parquet');
    const read = async (readColumns?: string[]) => {
      const table = await openTable(localFileSource(file, 'wide.parquet'), { format: 'parquet', batchSize: 3000, ...(readColumns && { readColumns }) });
      const rows: Array<Record<string, unknown>> = [];
      for await (const batch of table.batches()) {
        for (let r = 0; r < batch.rowCount; r++) {
          rows.push({ income: batch.columns[table.columns.indexOf('income')][r], name: batch.columns[table.columns.indexOf('name')][r], id: batch.columns[table.columns.indexOf('id')][r] });
        }
        assert.strictEqual(batch.typed![table.columns.indexOf('id')] === undefined, readColumns !== undefined);
      }
      return { columns: table.columns, rows };
    };
    const all = await read();
    const some = await read(['name', 'income', 'no_such_column']);
    assert.deepStrictEqual(some.columns, all.columns);
    assert.strictEqual(some.rows.length, ROWS);
    assert.deepStrictEqual(
      some.rows.map((r) => [r.income, r.name]),
      all.rows.map((r) => [r.income, r.name]),
    );
    assert.ok(some.rows.every((r) => r.id === undefined));
    assert.ok(all.rows.some((r) => r.id !== undefined));
  });

  it('reads booleans whose bits lie at the end of a fresh decoder\'s memory', async () => {
    // Two million rows in one uncompressed row group, of which only the booleans are read, by a decoder of its own (a
    // worker thread's): their bits come to lie so near the end of its memory that a view of a byte per row reaches
    // past it.
    const rows = 2_000_000;
    const file = path.join(dir, 'flags.parquet');
    const flags = new Uint8Array((rows + 7) >> 3);
    let trues = 0;
    for (let i = 0; i < rows; i++) {
      if (i % 3 === 0) {
        flags[i >> 3] |= 1 << (i & 7);
        trues++;
      }
    }
    const table = new arrow.Table({
      n: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i * 7919)),
      flag: arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), length: rows, data: flags })),
    });
    writeParquet(file, table, rows, false);
    const code = `
      const { parentPort, workerData } = require('worker_threads');
      const { openTable } = require(workerData.readers);
      const { localFileSource } = require(workerData.sources);
      (async () => {
        const table = await openTable(localFileSource(workerData.file, 'flags.parquet'), { format: 'parquet', readColumns: ['flag'] });
        let rows = 0, trues = 0;
        for await (const batch of table.batches()) {
          const flags = batch.columns[table.columns.indexOf('flag')];
          for (let r = 0; r < batch.rowCount; r++) if (flags[r] === true) trues++;
          rows += batch.rowCount;
        }
        parentPort.postMessage({ rows, trues });
      })().catch((e) => parentPort.postMessage({ error: e.constructor.name + ': ' + e.message }));`;
    const readers = require.resolve('../../../src/data/readers');
    const sources = require.resolve('../../../src/data/sources');
    const worker = new Worker(code, { eval: true, workerData: { readers, sources, file } });
    try {
      const answer = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
      assert.deepStrictEqual(answer, { rows, trues });
    } finally {
      await worker.terminate();
    }
  });

  it('splits a file into a run of row groups per worker, or row groups into pieces, that read back as the whole file', async () => {
    const file = path.join(dir, 'wide.parquet');
    const source = localFileSource(file, 'wide.parquet', fs.statSync(file).size);
    // Row groups of 4000, 4000 and 2000 rows: parts end where row groups do.
    const groups = [
      { start: 0, end: 8000 },
      { start: 8000, end: 10000 },
    ];
    assert.deepStrictEqual(await splitParquet(source, 2), groups);
    assert.strictEqual(await splitParquet(source, 1), undefined);
    assert.deepStrictEqual(
      (await splitParquet(source, 3))!.map((r) => r.end),
      [4000, 8000, 10000],
    );
    // Fewer row groups than parts: each row group is cut into two pieces, and parts end where pieces do.
    const cut = await splitParquet(source, 4);
    assert.deepStrictEqual(cut, [
      { start: 0, end: 4000 },
      { start: 4000, end: 6000 },
      { start: 6000, end: 8000 },
      { start: 8000, end: 10000 },
    ]);
    // Row groups over the rows of a piece are cut into pieces too.
    const small = await splitParquet(source, 2, 1500);
    assert.deepStrictEqual(
      small!.map((r) => r.end),
      [5333, 10000],
    );
    // Eight parts of three row groups: the last row group (2000 rows) is cut into three pieces, and the last two
    // parts take two of them and one.
    assert.deepStrictEqual(
      (await splitParquet(source, 8, 1500))!.map((r) => r.end),
      [1333, 2666, 4000, 5333, 6666, 8000, 9333, 10000],
    );
    // Every column of every row, as a whole-file read gives them: nulls, booleans and dictionaries at odd offsets too.
    const cellsOf = async (rows?: { start: number; end: number }, pieceRows?: number) => {
      const out: unknown[][] = [];
      const table = await openTable(source, { format: 'parquet', batchSize: 1500, ...(rows && { rows }), pieceRows });
      for await (const batch of table.batches()) {
        // (A date as its time: an invalid Date equals no other Date in a deep comparison.)
        for (let r = 0; r < batch.rowCount; r++) out.push(batch.columns.map((column) => (column[r] instanceof Date ? { date: (column[r] as Date).getTime() } : column[r])));
      }
      return out;
    };
    const whole = await cellsOf();
    assert.strictEqual(whole.length, ROWS);
    // What a read asks the decoder for: a stream for each piece of a row group.
    const streamsOf = async (read: () => Promise<unknown[][]>) => {
      const proto = loadParquetWasm().pw.ParquetFile.prototype;
      const stream = proto.stream;
      const asked: Array<{ rowGroups?: number[]; limit?: number }> = [];
      proto.stream = function (this: typeof proto, options?: Parameters<typeof stream>[0]) {
        asked.push(options as { rowGroups?: number[]; limit?: number });
        return stream.call(this, options);
      };
      try {
        return { cells: await read(), asked };
      } finally {
        proto.stream = stream;
      }
    };
    // Row groups of 4000 and 2000 rows in pieces of at most 700 rows.
    const inPieces = (asked: Array<{ rowGroups?: number[]; limit?: number }>) =>
      asked.length >= 6 + 6 + 3 && asked.every((o) => o.rowGroups?.length === 1 && o.limit !== undefined && o.limit <= 700);
    const wholeInPieces = await streamsOf(() => cellsOf(undefined, 700));
    assert.deepStrictEqual(wholeInPieces.cells, whole);
    assert.ok(inPieces(wholeInPieces.asked), JSON.stringify(wholeInPieces.asked));
    // Any rows: pieces of row groups and parts of them, across row-group boundaries.
    const anyRows = [
      { start: 0, end: 3000 },
      { start: 3000, end: 5000 },
      { start: 5000, end: 8001 },
      { start: 8001, end: 10000 },
    ];
    for (const parts of [groups, cut!, small!, anyRows, [{ start: 0, end: 8000 }, { start: 8000, end: 8001 }, { start: 8001, end: 10000 }]]) {
      const cells: unknown[][] = [];
      for (const rows of parts) cells.push(...(await cellsOf(rows)));
      assert.deepStrictEqual(cells, whole);
      // Row groups read in pieces of at most 700 rows: each piece a decoder stream of its own.
      const pieces = await streamsOf(async () => {
        const out: unknown[][] = [];
        for (const rows of parts) out.push(...(await cellsOf(rows, 700)));
        return out;
      });
      assert.deepStrictEqual(pieces.cells, whole);
      assert.ok(inPieces(pieces.asked), JSON.stringify(pieces.asked));
      const ids: number[] = [];
      let bytes = 0;
      for (const rows of parts) {
        const table = await openTable(source, { format: 'parquet', rows, batchSize: 1500 });
        // Rows are counted from the part's first row.
        let next = 1;
        for await (const batch of table.batches()) {
          assert.strictEqual(batch.firstRow, next);
          assert.ok(batch.rowCount <= 1500);
          next += batch.rowCount;
          for (let r = 0; r < batch.rowCount; r++) ids.push(Number(batch.columns[0][r]));
        }
        assert.strictEqual(next - 1, rows.end - rows.start);
        bytes += table.bytesRead();
      }
      assert.strictEqual(ids.length, ROWS);
      assert.deepStrictEqual(ids.slice(3998, 4002), [3998, 3999, 4000, 4001]);
      assert.deepStrictEqual(ids.slice(8999, 9001), [8999, 9000]);
      assert.strictEqual(bytes, fs.statSync(file).size);
    }
    await assert.rejects(openTable(source, { format: 'parquet', rows: { start: 0, end: 10001 } }), /Rows 0 to 10001 of wide.parquet are not rows of the file \(it has 10000\)/);
    await assert.rejects(openTable(source, { format: 'parquet', rows: { start: 5, end: 5 } }), RangeError);
    await assert.rejects(openTable(source, { format: 'parquet', rows: { start: -1, end: 5 } }), RangeError);
  });

  for (const rowGroup of [2000, 9000]) {
    it(`gives the same report with parts read by two workers as with the file read whole (row groups of ${rowGroup} rows)`, async () => {
      const file = path.join(dir, `groups-${rowGroup}.parquet`);
      const rows = 9000;
      const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i + 1));
      ids[7000] = 2n ** 60n;
      writeParquet(
        file,
        new arrow.Table({
          id: arrow.makeVector(ids),
    // The same int64 values as a number column: beyond ±(2^53 - 1) they are no numbers either.
    id_as_number: arrow.makeVector(BigInt64Array.from(ids)),
          score: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => orNull(i, 1000, (i % 500) - 3)), new arrow.Float64()),
          kind: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 2900 === 0 ? 'c' : i % 2 ? 'a' : 'b')), new arrow.Utf8()),
          at: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => MS_2023 + i * 60_000), new arrow.TimestampMillisecond('UTC')),
        }),
        rowGroup,
      );
      const schema = parseSchema(
        `version: 1
dataset:
  rowCount: { min: 1 }
columns:
  - { name: id, type: integer, unique: true }
  - { name: score, type: number, min: 0, nullable: false }
  - { name: kind, type: category, allowed: [a, b] }
  - { name: at, type: datetime, max: 2023-01-05 }
`,
        'schema.yaml',
      );
      const messages: string[] = [];
      const log = { info: (m: string) => messages.push(m), warning() {}, debug() {} };
      const options = (workers: number): ValidateOptions => ({
        sources: [localFileSource(file, `groups-${rowGroup}.parquet`, fs.statSync(file).size)],
        format: 'auto',
        reader: {},
        schema,
        workers,
        splitMinBytes: 1,
        log,
      });
      const one = await validateData(options(1));
      const two = await validateData(options(2));
      assert.match(messages[1], /with 2 worker threads/);
      assert.deepStrictEqual(two.report.checks, one.report.checks);
      assert.strictEqual(two.report.rowCount, rows);
      assert.strictEqual(two.report.bytes, one.report.bytes);
      const examples = (id: string) => two.report.checks.find((c) => c.id === id)!.examples.map((e) => e.row);
      // Rows of later row groups are counted through the file.
      assert.deepStrictEqual(examples('column.kind.allowed'), [1, 2901, 5801, 8701]);
      assert.deepStrictEqual(examples('column.id.type'), [7001]);
      assert.strictEqual(two.report.checks.find((c) => c.id === 'column.at.max')!.unexpectedCount, rows - 4 * 24 * 60 - 1);
      assert.deepStrictEqual(
        two.profile.columns.map((c) => [c.name, c.count, c.nulls, c.min, c.max, c.distinct]),
        one.profile.columns.map((c) => [c.name, c.count, c.nulls, c.min, c.max, c.distinct]),
      );
    });
  }

  /**
   * Columns of about the same work in two groups by type: texts t1 and t2 (about 14 and 19 bytes a row with the cost
   * of a row), int64 x and y, double z, booleans k (about 14, 4, 14 and 4). Rows: (x, y) repeats row 11's at row
   * 8001; t2 is no e-mail at rows 8, 1008, ...; t1 and z have nulls (z at row 1); z is under 0 at rows 2-7. shift moves z.
   */
  function writeColumnsFile(file: string, shift = 0): DataSource {
    const rows = 9000;
    const xs = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i));
    xs[8000] = 10n;
    writeParquet(
      file,
      new arrow.Table({
        t1: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 101 === 0 ? null : `n${i}`)), new arrow.Utf8()),
        x: arrow.makeVector(xs),
        t2: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 1000 === 7 ? `u${i}` : `u${i}@x.io`)), new arrow.Utf8()),
        y: arrow.makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 2))),
        z: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 997 === 0 ? null : i / 7 - 1 + shift)), new arrow.Float64()),
        k: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0), new arrow.Bool()),
      }),
      3000,
    );
    return localFileSource(file, path.basename(file), fs.statSync(file).size);
  }

  it('cuts costs into runs whose largest sum is the smallest it can be', () => {
    assert.deepStrictEqual(evenRuns([5, 1, 1, 1, 1, 1], 2), [
      [0, 1],
      [1, 6],
    ]);
    assert.deepStrictEqual(evenRuns([1, 1, 1, 1, 2, 2], 2), [
      [0, 4],
      [4, 6],
    ]);
    assert.deepStrictEqual(evenRuns([3, 3, 3], 3), [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    assert.deepStrictEqual(evenRuns([7], 1), [[0, 1]]);
    assert.strictEqual(evenRuns([1, 2], 3), undefined);
    // Two runs keep to the smallest largest sum (2): a third is cut from one of them.
    assert.deepStrictEqual(evenRuns([1, 1, 1, 1], 3), [
      [0, 2],
      [2, 3],
      [3, 4],
    ]);
    assert.deepStrictEqual(evenRuns([0, 0, 0], 2), [
      [0, 2],
      [2, 3],
    ]);
    // Thousands of columns: as even as the costs allow (each run within the largest cost of an even share).
    const costs = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 1000) + 1);
    const runs = evenRuns(costs, 16)!;
    assert.strictEqual(runs.length, 16);
    assert.deepStrictEqual([runs[0][0], runs[15][1]], [0, 5000]);
    const sums = runs.map(([from, to]) => costs.slice(from, to).reduce((a, b) => a + b, 0));
    const total = costs.reduce((a, b) => a + b, 0);
    assert.ok(Math.max(...sums) <= total / 16 + 1000, String(sums));
  });

  it('splits a file into groups of columns of about the same work, by physical type, a compound key\'s columns together', async () => {
    const source = writeColumnsFile(path.join(dir, 'columns.parquet'));
    // By type (texts, int64, double, boolean), and by size within a type: t2 before t1.
    assert.deepStrictEqual(await splitParquetColumns(source, 2), [
      ['t2', 't1'],
      ['x', 'y', 'z', 'k'],
    ]);
    // z goes where x is.
    assert.deepStrictEqual(await splitParquetColumns(source, 2, { together: ['x', 'z'] }), [
      ['t2', 't1'],
      ['x', 'z', 'y', 'k'],
    ]);
    // t1 and z together leave no even split.
    assert.strictEqual(await splitParquetColumns(source, 2, { together: ['t1', 'z'] }), undefined);
    assert.deepStrictEqual(await splitParquetColumns(source, 2, { readColumns: ['k', 'z', 'y', 'x'] }), [
      ['x', 'y'],
      ['z', 'k'],
    ]);
    // One column's work is most of the whole.
    assert.strictEqual(await splitParquetColumns(source, 2, { readColumns: ['t1', 'k'] }), undefined);
    assert.strictEqual(await splitParquetColumns(source, 1), undefined);
    assert.strictEqual(await splitParquetColumns(source, 7), undefined);
    const other = path.join(dir, 'not-parquet.parquet');
    fs.writeFileSync(other, 'PAR1 not a footer PAR1');
    assert.strictEqual(await splitParquetColumns(localFileSource(other, 'not-parquet.parquet', fs.statSync(other).size), 2), undefined);
  });

  it('gives the same report, profiles and drift with columns read by two workers as with the file read whole', async () => {
    const data = writeColumnsFile(path.join(dir, 'columns-data.parquet'));
    const reference = writeColumnsFile(path.join(dir, 'columns-reference.parquet'), 200);
    const schema = parseSchema(
      `version: 1
dataset:
  primaryKey: [x, y]
columns:
  - { name: t1, type: string, maxNullFraction: 0.001, drift: skip }
  - { name: x, type: integer, min: 0, drift: skip }
  - { name: t2, type: string, pattern: '[a-z0-9]+@[a-z.]+', drift: skip }
  - { name: y, type: integer, allowed: [0, 1], drift: skip }
  - { name: z, type: number, min: 0 }
  - { name: k, type: boolean }
`,
      'schema.yaml',
    );
    const messages: string[] = [];
    const options = (workers: number): ValidateOptions => ({
      sources: [data],
      format: 'auto',
      reader: {},
      schema,
      reference: { kind: 'data', sources: [reference], format: 'auto' },
      workers,
      splitMinBytes: 1,
      log: { info: (m: string) => messages.push(m), warning() {}, debug() {} },
    });
    const one = await validateData(options(1));
    const two = await validateData(options(2));
    assert.match(messages.join('\n'), /of columns-data\.parquet in .* with 2 worker threads, each reading columns of its own/);
    assert.deepStrictEqual(two.report.checks, one.report.checks);
    // The same but for rounding: the reference's two columns are read by rows (their work does not split evenly),
    // and its parts' statistics are merged.
    const rounded = <T>(value: T): T => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
    assert.deepStrictEqual(rounded(two.report.drift), rounded(one.report.drift));
    assert.deepStrictEqual(two.profile.columns, one.profile.columns);
    assert.strictEqual(two.report.rowCount, 9000);
    assert.strictEqual(two.report.bytes, one.report.bytes);
    const check = (id: string) => two.report.checks.find((c) => c.id === id)!;
    assert.deepStrictEqual(check('dataset.primaryKey').examples.map((e) => e.row), [8001]);
    assert.deepStrictEqual(check('column.t2.pattern').examples.map((e) => e.row), [8, 1008, 2008, 3008, 4008, 5008, 6008, 7008, 8008]);
    assert.strictEqual(check('column.t1.maxNullFraction').success, false);
    assert.strictEqual(check('column.z.min').unexpectedCount, 6);
    assert.strictEqual(two.report.drift!.results.find((r) => r.column === 'z')!.drifted, true);
  });

  it('reads columns without a rule by type, from their values or bytes, as their cell values are read', async () => {
    // Texts that read as integers, numbers, ISO datetimes, booleans and words; booleans, numbers and times, with
    // values no number or datetime column takes (NaN, infinities, whole numbers beyond 2^53, times beyond Date's).
    const texts = (cell: (i: number) => string | null) => arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => cell(i)), new arrow.Utf8());
    const file = path.join(dir, 'texts.parquet');
    const table = new arrow.Table({
      key: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => i), new arrow.Int32()),
      ints: texts((i) => (i % 7 === 0 ? null : i === 77 ? '0000000000000012' : String(i * 31 - 5000))),
      ints_unsafe: texts((i) => (i === 8001 ? '9007199254740993' : String(i))),
      decimals: texts((i) => `${i}.25`),
      times: texts((i) => (i % 5 === 0 ? '' : `2023-0${1 + (i % 9)}-1${i % 10}`)),
      words_as_flags: texts((i) => ['yes', 'No', 'TRUE', 'false'][i % 4]),
      flags_and_bits: texts((i) => (i === 9000 ? '1' : i % 2 === 0 ? 'true' : 'false')),
      words: texts((i) => (i % 3 === 0 ? null : `w${i % 50}`)),
      free: texts((i) => `free text ${i}`),
      numbers: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 9 === 0 ? null : i / 4)), new arrow.Float64()),
      flags: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => i % 3 === 0), new arrow.Bool()),
      flags_with_nulls: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 4 === 1 ? null : i % 3 === 0)), new arrow.Bool()),
      no_flags: arrow.vectorFromArray(Array.from({ length: ROWS }, () => null), new arrow.Bool()),
      int32s: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 6 === 0 ? null : ((i * 7919) % 20011) - 10000)), new arrow.Int32()),
      // Up to 2^53 - 1, and -(2^53 - 1).
      longs: arrow.makeVector(BigInt64Array.from({ length: ROWS }, (_, i) => (i === 5 ? 2n ** 53n - 1n : i === 6 ? 1n - 2n ** 53n : BigInt(i) * 900_719_925_474n + BigInt(i % 10)))),
      longs_unsafe: arrow.makeVector(BigInt64Array.from({ length: ROWS }, (_, i) => (i === 9001 ? 2n ** 60n : BigInt(i)))),
      wholes: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i === 12 ? -0 : i * 4)), new arrow.Float64()),
      wholes_unsafe: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i === 8000 ? 2 ** 60 : i)), new arrow.Float64()),
      floats_nan: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i === 7000 ? NaN : i / 3)), new arrow.Float32()),
      floats_inf: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i === 6000 ? Infinity : i * 1e-7)), new arrow.Float64()),
      at: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 8 === 0 ? null : MS_2023 + i * 61_001)), new arrow.TimestampMillisecond('UTC')),
      at_far: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i === 3 ? 9e15 : i === 4 ? -5e13 : MS_2023 + i * 86_400_000)), new arrow.TimestampMillisecond()),
      day: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => new Date(MS_2023 + (i % 900) * 86_400_000)), new arrow.DateDay()),
    });
    writeParquet(file, table, 4000);
    const schema = parseSchema('version: 1\ndataset:\n  columns: superset\ncolumns:\n  - { name: key, type: integer }\n', 'schema.yaml');
    const reader = await openTable(localFileSource(file, 'texts.parquet'), { format: 'parquet', batchSize: 1000 });
    const make = () => new TableChecker('texts.parquet', reader.columns, { schema, profiler: (name, kind) => new ColumnAccumulator(name, kind), nativeTypes: reader.nativeTypes });
    const [typed, boxed] = [make(), make()];
    // The kernel reads the typed texts' bytes, which value by value reads none of.
    const loadValues = sinon.spy(NumberCells.prototype, 'loadValues');
    try {
      for await (const batch of reader.batches()) {
        typed.consume(batch);
        boxed.consume({ firstRow: batch.firstRow, rowCount: batch.rowCount, columns: batch.columns });
      }
      assert.ok(loadValues.called);
    } finally {
      loadValues.restore();
    }
    // The evidence counts every value for a reading that fits them all and none for one that does not, where value by
    // value counts each: only whether a reading fits them all is the same (sniffedType). Nothing reads the minimum and
    // maximum of a column without a rule that is not numbers.
    const comparable = (result: PartResult) =>
      result.columnStates.map(({ evidence, min, max, candidates, ...state }) => {
        if (!evidence || !candidates) return { ...state, min, max };
        // The profile the merge takes (see PartMerger.finish); the readings that do not fit need not be the same.
        const type = sniffedType(evidence);
        const numeric = type === 'integer' || type === 'number';
        const profile = numeric ? candidates.numeric : type === 'datetime' ? candidates.datetime : type === 'boolean' ? candidates.boolean : candidates.categorical;
        return { ...state, type, scalars: evidence.scalars > 0, profile, ...(numeric && { min, max }) };
      });
    const got = comparable(typed.result());
    assert.deepStrictEqual(got, comparable(boxed.result()));
    assert.deepStrictEqual(Object.fromEntries(got.map((c) => [c.name, 'type' in c ? c.type : undefined])), {
      key: undefined,
      ints: 'integer',
      ints_unsafe: 'string',
      decimals: 'number',
      times: 'datetime',
      words_as_flags: 'boolean',
      flags_and_bits: 'string',
      words: 'string',
      free: 'string',
      numbers: 'number',
      flags: 'boolean',
      flags_with_nulls: 'boolean',
      no_flags: 'string',
      int32s: 'integer',
      longs: 'integer',
      longs_unsafe: 'string',
      wholes: 'integer',
      wholes_unsafe: 'string',
      floats_nan: 'string',
      floats_inf: 'string',
      at: 'datetime',
      at_far: 'string',
      day: 'datetime',
    });
    const column = (name: string) => got.find((c) => c.name === name)!;
    assert.deepStrictEqual([column('flags_with_nulls').nulls, column('flags_with_nulls').profile!.topValues.length], [ROWS / 4, 2]);
    // Texts of numbers and times as their cells are written: the largest long, the far time.
    assert.strictEqual(column('longs_unsafe').profile!.categories![String(2n ** 60n)], 1);
    assert.strictEqual(column('at_far').profile!.categories!['Invalid Date'], 1);
    assert.strictEqual(column('at_far').profile!.categories![new Date(-5e13).toISOString()], 1);
    assert.strictEqual(column('int32s').profile!.nulls, Math.ceil(ROWS / 6));
  });

  it('sketches a column the same way in parts as whole when it runs out of exact counts after its first rows', async () => {
    // Row groups of 30,000 rows, each read by a part of its own: the first part ends before the rows that give the
    // grid. y: 300 values, then 100 more (their grid is not that of the first part's values), then thousands.
    const file = path.join(dir, 'late.parquet');
    const rows = 140_000;
    const y = Array.from({ length: rows }, (_, i) => (i < 40_000 ? (i % 300) * 1.5 : i < 100_000 ? 1000 + (i % 100) : ((i * 7919) % 100_003) * 0.0037));
    const z = Array.from({ length: rows }, (_, i) => (i < 70_000 ? 0 : 1000) + (i % 400));
    writeParquet(file, new arrow.Table({ y: arrow.vectorFromArray(y, new arrow.Float64()), z: arrow.vectorFromArray(z, new arrow.Float64()) }), 30_000);
    const options = (workers: number): ValidateOptions => ({
      sources: [localFileSource(file, 'late.parquet', fs.statSync(file).size)],
      format: 'auto',
      reader: {},
      schema: parseSchema('version: 1\ncolumns:\n  - { name: y, type: number }\n  - { name: z, type: number }\n', 'schema.yaml'),
      workers,
      splitMinBytes: 1,
      // Without drift, only a profile kept for later keeps the sketches.
      keepsProfile: true,
      log: { info() {}, warning() {}, debug() {} },
    });
    const one = await validateData(options(1));
    const two = await validateData(options(2));
    for (const column of ['y', 'z']) {
      const sketchOf = (r: typeof one) => r.profile.columns.find((c) => c.name === column)!.sketch as { type: string };
      assert.strictEqual(sketchOf(one).type, 'ddsketch', column);
      assert.deepStrictEqual(sketchOf(two), sketchOf(one), column);
    }
  });
});