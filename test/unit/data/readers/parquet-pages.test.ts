import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as sinon from 'sinon';
import * as arrow from 'apache-arrow';
import { CellValue, DataFormatError, TypedColumn } from '../../../../src/data/types';
import { localSources } from '../../../../src/data/sources';
import { openTable, ReaderOptions } from '../../../../src/data/readers';
import { loadParquetWasm } from '../../../../src/data/readers/parquet';
import { ChunkReader, headerAt, PageMemory, parseLayout, readIndexRuns } from '../../../../src/data/readers/parquet-pages';
import { parquetFixture, tempDir } from './helpers';
import { TableChecker } from '../../../../src/data/checks';
import { ColumnAccumulator } from '../../../../src/data/profile';
import { parseSchema } from '../../../../src/data/schema';
import type { RowBatch } from '../../../../src/data/types';

const ROWS = 3000;

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 12;
    return (s >>> 0) / 4294967296;
  };
}

const TEXTS = ['', 'a', 'é', '日本語', '\uFEFFbom', 'tab\there', 'x'.repeat(40), 'emoji 😀 and more text past thirty-two bytes', 'NO', 'null'];

/**
 * Every type the page decoder reads, each nullable (about a fifth null, and runs of nulls) and some required:
 * integers of every width (int64 beyond 2^53, uint32 and uint64 beyond the signed range), floats with NaN, infinities
 * and -0, booleans, text (empty, multi-byte, a byte-order mark, long values, few distinct values), timestamps of
 * every unit with and without a time zone, and dates.
 */
function sampleTable(rows: number, seed: number): arrow.Table {
  const next = random(seed);
  const nulls = (rate: number) => {
    const bits = new Uint8Array((rows + 7) >> 3);
    let count = 0;
    for (let i = 0; i < rows; i++) {
      // Runs of nulls now and then, as well as scattered ones.
      const isNull = (i >= 1000 && i < 1100) || next() < rate;
      if (isNull) count++;
      else bits[i >> 3] |= 1 << (i & 7);
    }
    return { nullBitmap: bits, nullCount: count };
  };
  const fixed = (type: arrow.DataType, data: ArrayLike<unknown>, nullable = true) =>
    arrow.makeVector(arrow.makeData({ type, length: rows, data, ...(nullable ? nulls(0.2) : {}) } as unknown as Parameters<typeof arrow.makeData>[0]));
  const ints = (f: (i: number) => number) => Float64Array.from({ length: rows }, (_, i) => f(i));
  const text = (pick: (i: number) => string, nullable = true) => {
    const values = Array.from({ length: rows }, (_, i) => pick(i));
    const encoded = values.map((v) => Buffer.from(v, 'utf8'));
    const offsets = new Int32Array(rows + 1);
    for (let i = 0; i < rows; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
    const data = Buffer.concat(encoded);
    return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: rows, valueOffsets: offsets, data, ...(nullable ? nulls(0.2) : {}) }));
  };
  const big = (f: (i: number) => bigint) => BigInt64Array.from({ length: rows }, (_, i) => f(i));
  return new arrow.Table({
    i8: fixed(new arrow.Int8(), Int8Array.from(ints((i) => (i * 37) % 256))),
    i16: fixed(new arrow.Int16(), Int16Array.from(ints((i) => (i * 7919) % 65536 - 32768))),
    i32: fixed(new arrow.Int32(), Int32Array.from(ints(() => Math.floor((next() - 0.5) * 2 ** 32)))),
    i32_few: fixed(new arrow.Int32(), Int32Array.from(ints(() => Math.floor(next() * 5))), false),
    // Runs of ten of 300 values: dictionary indices of 9 bits in RLE runs.
    i32_runs: fixed(new arrow.Int32(), Int32Array.from(ints((i) => Math.floor(i / 10) * 17)), false),
    i64: fixed(new arrow.Int64(), big((i) => (i % 3 === 0 ? BigInt(Math.floor((next() - 0.5) * 2 ** 62)) * 3n : BigInt(i - 1500)))),
    u8: fixed(new arrow.Uint8(), Uint8Array.from(ints((i) => i % 256))),
    u16: fixed(new arrow.Uint16(), Uint16Array.from(ints((i) => (i * 31) % 65536))),
    u32: fixed(new arrow.Uint32(), Uint32Array.from(ints(() => Math.floor(next() * 2 ** 32)))),
    u64: fixed(new arrow.Uint64(), BigUint64Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 2n ** 63n + BigInt(i) : BigInt(i)))),
    f32: fixed(new arrow.Float32(), Float32Array.from(ints((i) => [NaN, Infinity, -Infinity, -0, 0.1, 1e30][i % 6] ?? 0))),
    f64: fixed(new arrow.Float64(), Float64Array.from(ints((i) => (i % 50 === 0 ? NaN : i % 51 === 0 ? -0 : (next() - 0.5) * 1e6)))),
    f64_req: fixed(new arrow.Float64(), Float64Array.from(ints((i) => i / 8)), false),
    flag: (() => {
      const bits = new Uint8Array((rows + 7) >> 3);
      for (let i = 0; i < rows; i++) if (next() < 0.5) bits[i >> 3] |= 1 << (i & 7);
      return fixed(new arrow.Bool(), bits);
    })(),
    flag_req: (() => {
      const bits = new Uint8Array((rows + 7) >> 3);
      for (let i = 0; i < rows; i++) if (i % 3 === 0) bits[i >> 3] |= 1 << (i & 7);
      return fixed(new arrow.Bool(), bits, false);
    })(),
    text: text(() => TEXTS[Math.floor(next() * TEXTS.length)] + (next() < 0.5 ? String(Math.floor(next() * 1e6)) : '')),
    category: text(() => ['US', 'DE', 'FR', 'JP'][Math.floor(next() * 4)]),
    text_req: text((i) => `row ${i} ${'y'.repeat(i % 45)}`, false),
    ts_ms: fixed(new arrow.TimestampMillisecond('UTC'), big(() => BigInt(1_700_000_000_000 + Math.floor(next() * 1e10)))),
    ts_us: fixed(new arrow.TimestampMicrosecond(), big(() => BigInt(1_700_000_000_000_000 + Math.floor(next() * 1e13)) - 1n)),
    ts_ns: fixed(new arrow.TimestampNanosecond('Europe/Paris'), big((i) => (i === 7 ? 2n ** 62n : BigInt(Math.floor(next() * 1e15)) * 1000n + 123n))),
    day: fixed(new arrow.DateDay(), Int32Array.from(ints(() => Math.floor((next() - 0.3) * 40000)))),
  });
}

interface WriterSetup {
  name: string;
  compression: number;
  version?: number;
  dictionary?: boolean;
  pageBytes?: number;
  dictionaryPageBytes?: number;
  rowGroup?: number;
  /** Whether the page decoder reads it (else parquet-wasm does). */
  own: boolean;
}

// parquet-wasm's Compression: UNCOMPRESSED 0, SNAPPY 1, GZIP 2, BROTLI 3, ZSTD 5, LZ4_RAW 6; WriterVersion V1 0, V2 1.
const SETUPS: WriterSetup[] = [
  { name: 'defaults', compression: 1, own: true },
  { name: 'snappy, no dictionary, small pages and row groups', compression: 1, dictionary: false, pageBytes: 1024, rowGroup: 700, own: true },
  { name: 'gzip, pages v2, small pages, one row group', compression: 2, version: 1, pageBytes: 2048, rowGroup: ROWS, own: true },
  // Without a dictionary, pages v2 take delta encodings, which parquet-wasm reads.
  { name: 'brotli, pages v2, no dictionary', compression: 3, version: 1, dictionary: false, own: false },
  { name: 'uncompressed, dictionaries that overflow into plain pages', compression: 0, dictionaryPageBytes: 300, pageBytes: 4096, rowGroup: 1300, own: true },
  { name: 'snappy, pages v2, dictionaries that overflow', compression: 1, version: 1, dictionaryPageBytes: 500, own: false },
  { name: 'zstd', compression: 5, own: false },
  { name: 'lz4', compression: 6, own: false },
];

function writeFile(file: string, table: arrow.Table, setup: WriterSetup): void {
  const { pw } = loadParquetWasm();
  let props = new pw.WriterPropertiesBuilder().setCompression(setup.compression).setMaxRowGroupSize(setup.rowGroup ?? 1000);
  if (setup.version !== undefined) props = props.setWriterVersion(setup.version);
  if (setup.dictionary !== undefined) props = props.setDictionaryEnabled(setup.dictionary);
  if (setup.pageBytes !== undefined) props = props.setDataPageSizeLimit(setup.pageBytes);
  if (setup.dictionaryPageBytes !== undefined) props = props.setDictionaryPageSizeLimit(setup.dictionaryPageBytes);
  fs.writeFileSync(file, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props.build()));
}

/** A cell as text that tells every value apart (-0, NaN, bigint, Date). */
function show(v: CellValue | undefined): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Date) return `date ${v.getTime()}`;
  if (typeof v === 'number') return Object.is(v, -0) ? 'number -0' : `number ${v}`;
  return `${typeof v} ${String(v)}`;
}

/** Row r of a typed column as text: null, or its value as the checkers read it. */
function showTyped(t: TypedColumn | undefined, r: number): string {
  if (t === undefined) return 'untyped';
  const bit = t.validityOffset + r;
  if (t.validity !== undefined && (t.validity[bit >> 3] & (1 << (bit & 7))) === 0) return 'null';
  switch (t.kind) {
    case 'numbers': {
      const v = t.values[r];
      const d = t.dictionary;
      if (d !== undefined) {
        // The row's dictionary entry must be its value.
        codedRows++;
        const k = d.codes[r];
        if (!(k >= 0 && k < d.size && Object.is(d.values[k], v))) return `number ${v}, dictionary entry ${k}: ${d.values[k]}`;
      }
      return `${t.time ? 'time' : 'number'} ${Object.is(v, -0) ? '-0' : v}`;
    }
    case 'booleans': {
      const b = t.bitOffset + r;
      return `bool ${(t.bits[b >> 3] >> (b & 7)) & 1}`;
    }
    case 'utf8': {
      const text = t.bytes.toString('utf8', t.starts[r], t.ends[r]);
      const d = t.dictionary;
      if (d !== undefined) {
        // The row's dictionary entry must hold its bytes.
        codedRows++;
        const k = d.codes[r];
        const entry = k >= 0 && k < d.size ? t.bytes.toString('utf8', d.entryStarts[k], d.entryEnds[k]) : `no entry ${k}`;
        if (entry !== text) return `text ${JSON.stringify(text)}, dictionary entry ${k}: ${JSON.stringify(entry)}`;
      }
      return `text ${JSON.stringify(text)} cell ${show(t.cell(r))}`;
    }
  }
}

/** Non-null rows showTyped read from a batch with its dictionary. */
let codedRows = 0;

/** The columns and their types as a read names them, then every row of it as text: its row number, cells and typed values. */
type ReadOptions = Omit<ReaderOptions, 'format'>;

async function rowsOf(file: string, options: ReadOptions): Promise<string[]> {
  const source = localSources(file, path.dirname(file), 'dataPath')[0];
  const table = await openTable(source, { format: 'parquet', ...options });
  const out: string[] = [`columns ${JSON.stringify(table.columns)} types ${JSON.stringify(table.nativeTypes)}`];
  for await (const batch of table.batches()) {
    for (let r = 0; r < batch.rowCount; r++) {
      out.push(`${batch.firstRow + r}: ${batch.columns.map((column, c) => `${show(column[r])} / ${showTyped(batch.typed?.[c], r)}`).join(' | ')}`);
    }
  }
  return out;
}

describe('Parquet page decoder', function () {
  this.timeout(120000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  SETUPS.forEach((setup, k) => {
    it(`reads what parquet-wasm reads, value for value: ${setup.name}`, async () => {
      const file = path.join(dir, `setup-${k}.parquet`);
      writeFile(file, sampleTable(ROWS, k + 1), setup);
      const columns = sampleTable(1, 1).schema.fields.map((f) => f.name);
      const reads: ReadOptions[] = [
        { batchSize: 333 },
        { batchSize: 4096, rows: { start: 123, end: 2900 } },
        { batchSize: 1000, rows: { start: 1700, end: 1701 } },
        { batchSize: 250, readColumns: ['text', 'i64', 'flag', 'ts_ns'] },
        { batchSize: 65536, readColumns: columns.filter((_, c) => c % 2 === 0) },
      ];
      const coded = codedRows;
      for (const options of reads) {
        const take = sinon.spy(ChunkReader.prototype, 'take');
        const opened = sinon.spy(loadParquetWasm().pw.ParquetFile, 'fromFile');
        let own: string[];
        try {
          own = await rowsOf(file, options);
          // The footer's Arrow schema names the columns and their types: parquet-wasm opens the file only to read
          // the row groups the page decoder does not.
          assert.strictEqual(opened.called, !setup.own, `parquet-wasm opened the file: ${JSON.stringify(options)}`);
        } finally {
          take.restore();
          opened.restore();
        }
        assert.strictEqual(take.called, setup.own, `page decoder used: ${JSON.stringify(options)}`);
        const wasm = await rowsOf(file, { ...options, parquetDecoder: 'wasm' });
        const rows = options.rows ? options.rows.end - options.rows.start : ROWS;
        assert.strictEqual(own.length, rows + 1);
        for (let i = 0; i <= rows; i++) assert.strictEqual(own[i], wasm[i], `line ${i} of ${JSON.stringify(options)}`);
      }
      // Batches read from dictionary pages alone come with the dictionary.
      assert.strictEqual(codedRows > coded, setup.own && setup.dictionary !== false, 'rows read with their dictionary');
    });
  });

  it('reads chunks larger than their window a few pages at a time, pages across the window\'s end included', async () => {
    // Chunks of about 1 MB of text that does not compress, in pages of 8 KiB and a few of 18 KiB: the window (256
    // KiB) is read again and again, and most reads end inside a page, which the next read starts with.
    const rows = 5000;
    const next = random(99);
    const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + Math.floor(next() * 90))).join('');
    const table = new arrow.Table({
      long: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : letters(i % 500 === 0 ? 18000 : 100 + Math.floor(next() * 200)))), new arrow.Utf8()),
      n: arrow.vectorFromArray(Float64Array.from({ length: rows }, () => next())),
    });
    const footer = require('../../../../src/data/readers/parquet-footer') as typeof import('../../../../src/data/readers/parquet-footer');
    for (const compression of [1, 0]) {
      const file = path.join(dir, `long-${compression}.parquet`);
      writeFile(file, table, { name: '', compression, dictionary: false, pageBytes: 8192, rowGroup: rows, own: true });
      const read = sinon.spy(footer, 'readFully');
      let own: string[];
      try {
        own = await rowsOf(file, { batchSize: 1000 });
        // The text chunk's window filled more than once: at least 4 times for its 1 MB (each time with what it
        // does not hold yet, most of its 256 KiB).
        const windowReads = read.getCalls().filter((call) => call.args[1].length >= 1 << 17).length;
        assert.ok(windowReads >= 4, `window reads: ${windowReads}`);
      } finally {
        read.restore();
      }
      assert.deepStrictEqual(own, await rowsOf(file, { batchSize: 1000, parquetDecoder: 'wasm' }), `codec ${compression}`);
      const part = { batchSize: 333, rows: { start: 2345, end: 4444 } };
      assert.deepStrictEqual(await rowsOf(file, part), await rowsOf(file, { ...part, parquetDecoder: 'wasm' }), `codec ${compression}, rows`);
    }
  });

  it('starts a read with small batches, doubling up to the batch size, across row groups', async () => {
    const file = path.join(dir, 'batches.parquet');
    writeFile(file, sampleTable(ROWS, 3), { name: '', compression: 1, rowGroup: 700, own: true });
    const sizes = async (options: ReadOptions) => {
      const table = await openTable(localSources(file, dir, 'dataPath')[0], { format: 'parquet', ...options });
      const out: number[] = [];
      for await (const batch of table.batches()) out.push(batch.rowCount);
      return out;
    };
    // Row groups of 700 rows: a batch ends with its row group.
    assert.deepStrictEqual(await sizes({ batchSize: 500 }), [64, 128, 256, 252, 500, 200, 500, 200, 500, 200, 200]);
    assert.deepStrictEqual(await sizes({ batchSize: 100, rows: { start: 650, end: 1000 } }), [50, 100, 100, 100]);
  });

  it('hands on the values of a required text column where they lie in their page, across pages and row groups', async () => {
    const file = path.join(dir, 'plain-text.parquet');
    const rows = 5000;
    // Required columns (no nulls in the schema): the reader hands on the values of these in place.
    const ids = arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i));
    const notes = sampleTable(rows, 9).getChild('text_req')!;
    const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false), new arrow.Field('note', new arrow.Utf8(), false)]);
    const table = new arrow.Table(schema, new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, children: [ids.data[0], notes.data[0]] })));
    writeFile(file, table, { name: '', compression: 1, dictionary: false, pageBytes: 8192, rowGroup: 2000, own: true });
    const inPlace = sinon.spy(ChunkReader.prototype as unknown as { takePageBytes(n: number): unknown }, 'takePageBytes');
    try {
      // Batches within a page take the page as it is; those across a page's end are copied, as before.
      for (const batchSize of [97, 5000]) {
        inPlace.resetHistory();
        assert.deepStrictEqual(await rowsOf(file, { batchSize }), await rowsOf(file, { batchSize, parquetDecoder: 'wasm' }), `batches of ${batchSize}`);
        assert.ok(inPlace.called, `batches of ${batchSize}`);
      }
    } finally {
      inPlace.restore();
    }
  });

  it('reads a page header longer than its first probe', () => {
    // A data page header (Thrift compact) with an unknown binary field of 10,000 bytes before its data page header.
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
      out.push(n);
      return out;
    };
    const zigzag = (n: number) => varint(n >= 0 ? 2 * n : -2 * n - 1);
    const bytes = Buffer.concat([
      Buffer.from([0x15, ...zigzag(0), 0x15, ...zigzag(100), 0x15, ...zigzag(90)]),
      // Field 10 (delta 7 from field 3): binary.
      Buffer.from([0x78, ...varint(10000)]),
      Buffer.alloc(10000, 0x41),
      // Field 5 is behind field 10: a long-form field header (type struct 0x0c, then the id as a zigzag i16).
      Buffer.from([0x0c, ...zigzag(5), 0x15, ...zigzag(7), 0x15, ...zigzag(0), 0x15, ...zigzag(3), 0x15, ...zigzag(3), 0x00]),
      Buffer.from([0x00]),
    ]);
    const reads: number[] = [];
    const h = headerAt((at, n) => {
      reads.push(n);
      return bytes.subarray(at, at + n);
    }, 0, bytes.length);
    assert.deepStrictEqual([h.type, h.uncompressed, h.compressed, h.values, h.encoding, h.size], [0, 100, 90, 7, 0, bytes.length]);
    assert.deepStrictEqual(reads, [4096, bytes.length]);
    // A header cut short by the end of its chunk is an error.
    assert.throws(() => headerAt((at, n) => bytes.subarray(at, at + n), 0, 5000), /end early/);
  });

  it('hands on dictionaries whose entries the checks count once each, with the results of counting each row', async () => {
    const rows = 6000;
    const next = random(5);
    const table = new arrow.Table({
      // Few values, counted exactly; many, sketched (past the 512 exact counts); and some that fill the exact counts
      // part of the way through a batch.
      age: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 13 === 0 ? null : 18 + (i % 70))), new arrow.Int32()),
      score: arrow.vectorFromArray(Float64Array.from({ length: rows }, () => Math.round(next() * 2000) / 8 - 100)),
      code: arrow.vectorFromArray(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i < 3000 ? i % 300 : i % 700))),
      at: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => Date.UTC(2024, 0, 1 + (i % 40))), new arrow.TimestampMillisecond()),
      country: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : ['US', 'GB', 'FR', 'DE', 'XX'][i % 5])), new arrow.Utf8()),
    });
    const file = path.join(dir, 'coded.parquet');
    writeFile(file, table, { name: '', compression: 1, rowGroup: 4000, own: true });
    const schema = parseSchema(
      `version: 1
columns:
  - { name: age, type: integer, min: 20, max: 80 }
  - { name: score, type: number, min: -100, max: 150 }
  - { name: code, type: integer, max: 650 }
  - { name: at, type: datetime, max: 2024-02-05 }
  - { name: country, type: category, allowed: [US, GB, FR, DE] }
`,
      'schema.yaml',
    );
    const coded = sinon.spy(ColumnAccumulator.prototype as unknown as { addCodedRun(...args: unknown[]): boolean }, 'addCodedRun');
    try {
      for (const batchSize of [1000, 4096]) {
        const source = localSources(file, dir, 'dataPath')[0];
        const reader = await openTable(source, { format: 'parquet', batchSize });
        const make = () => new TableChecker('coded.parquet', reader.columns, { schema, profiler: (name, kind) => new ColumnAccumulator(name, kind), nativeTypes: reader.nativeTypes });
        const typed = make();
        const boxed = make();
        const handed = new Set<string>();
        for await (const batch of reader.batches()) {
          batch.typed?.forEach((t, c) => {
            if (t?.kind !== 'numbers' || t.dictionary === undefined) return;
            // One of more entries than the batch has rows would not be counted by: it is not made.
            assert.ok(t.dictionary.size <= batch.rowCount, `the dictionary of ${reader.columns[c]} is no larger than its batch`);
            handed.add(reader.columns[c]);
          });
          typed.consume(batch);
          const cellsOnly: RowBatch = { firstRow: batch.firstRow, rowCount: batch.rowCount, columns: batch.columns };
          boxed.consume(cellsOnly);
        }
        assert.deepStrictEqual(typed.result(), boxed.result(), `batches of ${batchSize}`);
        // Number columns come with their dictionaries (score's 2,000 entries: in batches of more rows only).
        assert.deepStrictEqual([...handed].sort(), batchSize === 4096 ? ['age', 'at', 'code', 'score'] : ['age', 'at', 'code']);
      }
      // Counted by entry: exactly (age), in a sketch (score), and not once the entries could fill the exact counts.
      assert.ok(coded.returnValues.some((v) => v === true) && coded.returnValues.some((v) => v === false));
    } finally {
      coded.restore();
    }
  });

  it('reads the pyarrow-like fixtures as parquet-wasm does', async () => {
    for (const name of ['no-page-index.parquet', 'bad-page-index.parquet']) {
      const at = parquetFixture(name);
      for (const options of [{ batchSize: 700 }, { batchSize: 256, rows: { start: 999, end: 2500 } }] as ReadOptions[]) {
        assert.deepStrictEqual(await rowsOf(at, options), await rowsOf(at, { ...options, parquetDecoder: 'wasm' }), `${name} ${JSON.stringify(options)}`);
      }
    }
  });

  it('reads the row groups it can and leaves the others to parquet-wasm, in order', async () => {
    // Few distinct values in the first row group (dictionary pages), many in the others: their dictionaries
    // overflow, and pages v2 then take delta encodings.
    const rows = 3000;
    const table = new arrow.Table({
      n: arrow.vectorFromArray(Int32Array.from({ length: rows }, (_, i) => (i < 1000 ? i % 3 : i * 7919))),
      s: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? null : i < 1000 ? `v${i % 4}` : `value ${i}`)), new arrow.Utf8()),
    });
    const file = path.join(dir, 'mixed.parquet');
    writeFile(file, table, { name: '', compression: 1, version: 1, dictionaryPageBytes: 200, own: true });
    const take = sinon.spy(ChunkReader.prototype, 'take');
    const stream = sinon.spy(loadParquetWasm().pw.ParquetFile.prototype, 'stream');
    let own: string[];
    try {
      own = await rowsOf(file, { batchSize: 400 });
      assert.ok(take.called, 'the page decoder read the first row group');
      assert.deepStrictEqual(
        stream.getCalls().map((call) => call.args[0]?.rowGroups),
        [[1], [2]],
      );
    } finally {
      take.restore();
      stream.restore();
    }
    assert.deepStrictEqual(own, await rowsOf(file, { batchSize: 400, parquetDecoder: 'wasm' }));
  });

  it('reports text that is not UTF-8 as an unreadable file, as parquet-wasm does', async () => {
    // parquet-wasm writes only valid UTF-8: the file is written with ASCII stand-ins of the same length, which are
    // then replaced by the bytes under test (uncompressed, the values lie in the file as they are).
    const cases: Array<[string, string, number[]]> = [
      ['a broken sequence', 'QQQQ', [0x61, 0xc3, 0x28, 0x62]],
      ['a lone continuation byte', 'Z', [0x80]],
      ['a truncated sequence', 'WWW', [0x61, 0xe6, 0x97]],
      ['a sequence split by the next value', 'JJ', [0x61, 0xc3]],
    ];
    for (const [label, standIn, bytes] of cases) {
      for (const dictionary of [true, false]) {
        // The value after is 169 bytes long: its length starts with 0xa9, which would end a sequence left open.
        const table = new arrow.Table({ t: arrow.vectorFromArray(['fine', standIn, 'x'.repeat(169), null, 'fine'], new arrow.Utf8()) });
        const file = path.join(dir, `utf8-${dictionary}.parquet`);
        writeFile(file, table, { name: '', compression: 0, dictionary, own: true });
        const data = fs.readFileSync(file);
        const from = Buffer.from(standIn);
        let replaced = 0;
        for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + 1)) {
          data.set(bytes, at);
          replaced++;
        }
        assert.ok(replaced > 0);
        fs.writeFileSync(file, data);
        for (const parquetDecoder of ['auto', 'wasm'] as const) {
          await assert.rejects(rowsOf(file, { parquetDecoder }), (e: unknown) => {
            assert.ok(e instanceof DataFormatError, `${label}, ${parquetDecoder}: ${String(e)}`);
            assert.match(e.message, /is not a readable Parquet file/);
            return true;
          });
        }
      }
    }
  });

  it('reports damaged pages as an unreadable file naming the row group, or reads them, and never throws anything else', async () => {
    const file = path.join(dir, 'good.parquet');
    writeFile(file, sampleTable(ROWS, 9), { name: '', compression: 1, pageBytes: 4096, own: true });
    const bytes = fs.readFileSync(file);
    let errors = 0;
    // Bytes flipped through the column chunks (page headers, levels, lengths, Snappy data and values), not in the
    // page indexes and footer after them, which parquet-wasm reads when it opens the file.
    const layout = parseLayout(bytes.subarray(bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8), bytes.length - 8));
    const chunksEnd = Math.max(...layout.rowGroups.flatMap((g) => g.columns.map((c) => c.start + c.length)));
    for (let at = 4; at < chunksEnd - 2; at += 1009) {
      const name = path.join(dir, `damaged-${at}.parquet`);
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 0xff;
      damaged[at + 1] ^= 0x5a;
      fs.writeFileSync(name, damaged);
      try {
        await rowsOf(name, { batchSize: 1000 });
      } catch (e) {
        assert.ok(e instanceof DataFormatError, `byte ${at}: ${String(e)}`);
        assert.match(e.message, /is not a readable Parquet file: row group \d+/);
        errors++;
      }
      fs.rmSync(name);
    }
    assert.ok(errors > 10, `${errors} damaged files reported`);
  });
});

describe('Parquet dictionary indices: the page kernel and its twin', () => {
  /**
   * The RLE / bit-packed hybrid of count indices of bitWidth bits, of random runs: RLE runs (some empty) and groups
   * of eight bit-packed values, the last group cut short by count now and then. Returns the bytes and count.
   */
  function hybrid(next: () => number, bitWidth: number): { bytes: Uint8Array; count: number } {
    const out: number[] = [];
    const varint = (x: number) => {
      do {
        out.push((x & 0x7f) | (x >= 0x80 ? 0x80 : 0));
        x = Math.floor(x / 128);
      } while (x > 0);
    };
    const value = () => (bitWidth === 0 ? 0 : Math.floor(next() * 2 ** bitWidth));
    let count = 0;
    const runs = 1 + Math.floor(next() * 12);
    for (let k = 0; k < runs; k++) {
      if (next() < 0.4) {
        const n = Math.floor(next() * 300);
        varint(n * 2);
        const v = value();
        for (let b = 0; b < (bitWidth + 7) >> 3; b++) out.push(Math.floor(v / 2 ** (8 * b)) & 0xff);
        count += n;
        continue;
      }
      const groups = 1 + Math.floor(next() * 6);
      varint(groups * 2 + 1);
      const bits = new Uint8Array(groups * bitWidth);
      for (let i = 0; i < groups * 8; i++) {
        const v = value();
        for (let j = 0; j < bitWidth; j++) if (Math.floor(v / 2 ** j) % 2 === 1) bits[(i * bitWidth + j) >> 3] |= 1 << ((i * bitWidth + j) & 7);
      }
      out.push(...bits);
      // The page's last values may stop inside their group.
      count += groups * 8 - (k === runs - 1 ? Math.floor(next() * 8) : 0);
    }
    return { bytes: Uint8Array.from(out), count };
  }

  /** What readIndexRuns gives, or its error. */
  function twin(bytes: Uint8Array, end: number, bitWidth: number, count: number): string {
    const out = new Int32Array(count);
    try {
      const largest = readIndexRuns(bytes, 0, end, bitWidth, count, out);
      return `${largest}: ${out.join(',')}`;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** What the kernel gives where the bytes lie in page memory, with bytes past their end that are not zero. */
  function kernel(memory: PageMemory, bytes: Uint8Array, end: number, bitWidth: number, count: number): string {
    const input = 64;
    const outAt = 64 * 1024;
    const view = memory.view(0, outAt);
    view.fill(0xa5);
    view.set(bytes.subarray(0, end), input);
    try {
      const largest = memory.readIndices(input, input + end, bitWidth, count, outAt);
      return `${largest}: ${memory.int32s(outAt, count).join(',')}`;
    } catch (e) {
      return (e as Error).message;
    }
  }

  it('are read by the kernel where a page lies in page memory, by the twin where zlib decompressed it', async () => {
    const dir = tempDir();
    try {
      for (const setup of [SETUPS[0], SETUPS[2], SETUPS[4]]) {
        const file = path.join(dir, 'coded.parquet');
        writeFile(file, sampleTable(ROWS, 3), setup);
        const inKernel = sinon.spy(PageMemory.prototype, 'readIndices');
        try {
          await rowsOf(file, { batchSize: 1000 });
        } finally {
          inKernel.restore();
        }
        // Gzip pages are decompressed by zlib into buffers of their own; Snappy and uncompressed pages lie in page memory.
        assert.strictEqual(inKernel.called, setup.compression !== 2, setup.name);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read the same indices and the same largest one at every bit width, and fail alike on cut or malformed runs', () => {
    const memory = PageMemory.acquire()!;
    memory.reserve(1 << 20);
    try {
      const next = random(42);
      let failures = 0;
      for (let bitWidth = 0; bitWidth <= 32; bitWidth++) {
        for (let sample = 0; sample < 12; sample++) {
          const { bytes, count } = hybrid(next, bitWidth);
          const whole = twin(bytes, bytes.length, bitWidth, count);
          assert.match(whole, /^\d+: /, `bit width ${bitWidth}: ${whole}`);
          assert.strictEqual(kernel(memory, bytes, bytes.length, bitWidth, count), whole, `bit width ${bitWidth}, sample ${sample}`);
          // Cut short: both read what is there up to the count, or say the runs end early.
          for (const end of [0, 1, bytes.length >> 1, bytes.length - 1]) {
            const expected = twin(bytes, end, bitWidth, count);
            if (!/^\d+: /.test(expected)) failures++;
            assert.strictEqual(kernel(memory, bytes, end, bitWidth, count), expected, `bit width ${bitWidth}, sample ${sample}, cut at ${end}`);
          }
        }
      }
      assert.ok(failures > 100, `${failures} cut runs reported`);
      // A run header of six bytes.
      const malformed = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]);
      assert.strictEqual(twin(malformed, malformed.length, 8, 10), 'a run header of a page is malformed');
      assert.strictEqual(kernel(memory, malformed, malformed.length, 8, 10), 'a run header of a page is malformed');
    } finally {
      memory.release();
    }
  });
});
