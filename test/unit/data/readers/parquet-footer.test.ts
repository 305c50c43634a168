import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as arrow from 'apache-arrow';
import * as sinon from 'sinon';
import { openTable, splitParquet } from '../../../../src/data/readers';
import { loadParquetWasm } from '../../../../src/data/readers/parquet';
import { footerRowGroups, readOffsetIndexedRowGroups, usableOffsetIndex } from '../../../../src/data/readers/parquet-footer';
import { localFileSource } from '../../../../src/data/sources';
import { parquetFixture, tempDir } from './helpers';

// Tests run from build/, the fixtures stay next to the sources (scripts/gen-parquet-fixture.cjs wrote them).
const fixture = parquetFixture;

/** A compact-protocol writer for the few shapes the tests need. */
class Compact {
  readonly bytes: number[] = [];
  private last: number[] = [0];

  varint(n: number): this {
    for (;;) {
      if (n < 128) {
        this.bytes.push(n);
        return this;
      }
      this.bytes.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
  }

  /** An i16/i32/i64 value. */
  int(n: number): this {
    return this.varint(n >= 0 ? 2 * n : -2 * n - 1);
  }

  field(id: number, type: number): this {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.varint(id * 2);
    }
    this.last[this.last.length - 1] = id;
    return this;
  }

  begin(): this {
    this.last.push(0);
    return this;
  }

  stop(): this {
    this.bytes.push(0);
    this.last.pop();
    return this;
  }

  list(size: number, type: number): this {
    if (size < 15) this.bytes.push((size << 4) | type);
    else {
      this.bytes.push(0xf0 | type);
      this.varint(size);
    }
    return this;
  }
}

const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const MAP = 11;
const STRUCT = 12;
const TRUE = 1;

/** A column chunk: file_offset, meta_data (a struct of odds and ends), and offset_index_offset when indexed. */
function columnChunk(c: Compact, indexed: boolean): void {
  c.begin();
  c.field(2, I64).varint(2 ** 40);
  c.field(3, STRUCT).begin();
  c.field(1, I32).varint(2);
  c.field(2, LIST).list(2, I32).varint(0).varint(6);
  c.field(3, LIST).list(1, BINARY).varint(3).bytes.push(0x61, 0x62, 0x63);
  c.field(8, MAP).varint(1).bytes.push((BINARY << 4) | BINARY);
  c.varint(1).bytes.push(0x6b);
  c.varint(1).bytes.push(0x76);
  c.field(12, DOUBLE).bytes.push(0, 0, 0, 0, 0, 0, 0xf0, 0x3f);
  c.field(20, TRUE);
  c.stop();
  if (indexed) c.field(4, I64).int(123456).field(5, I32).int(40);
  c.stop();
}

function footer(groups: boolean[][]): Uint8Array {
  const c = new Compact().begin();
  c.field(1, I32).varint(2);
  c.field(2, LIST).list(1, STRUCT).begin().field(4, BINARY).varint(6).bytes.push(...Buffer.from('schema'));
  c.stop();
  c.field(3, I64).int(3000);
  c.field(4, LIST).list(groups.length, STRUCT);
  for (const columns of groups) {
    c.begin();
    c.field(1, LIST).list(columns.length, STRUCT);
    for (const indexed of columns) columnChunk(c, indexed);
    c.field(2, I64).int(83000).field(3, I64).int(1000);
    c.stop();
  }
  c.field(6, BINARY).varint(2).bytes.push(0x6a, 0x73);
  // A field id past the header's delta: the long form.
  c.field(40, I32).varint(7);
  c.stop();
  return Uint8Array.from(c.bytes);
}

describe('Parquet footer', function () {
  this.timeout(60000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the rows of each row group and where its column chunks keep their offset indexes, skipping every other field', () => {
    const at = { offset: 123456, length: 40 };
    assert.deepStrictEqual(footerRowGroups(footer([[true, true], [true, false], [false], [true]])), [
      { rows: 1000, indexes: [at, at] },
      { rows: 1000, indexes: [at, undefined] },
      { rows: 1000, indexes: [undefined] },
      { rows: 1000, indexes: [at] },
    ]);
    // Sixteen row groups: a list size past the header's nibble.
    assert.strictEqual(footerRowGroups(footer(new Array(16).fill([true]))).length, 16);
    assert.deepStrictEqual(footerRowGroups(footer([])), []);
  });

  it('trusts an offset index only when its pages start at row 0, then at increasing rows and offsets', () => {
    const index = (pages: Array<[number, number]>) => {
      const c = new Compact().begin();
      c.field(1, LIST).list(pages.length, STRUCT);
      for (const [offset, first] of pages) {
        c.begin();
        c.field(1, I64).int(offset).field(2, I32).int(100).field(3, I64).int(first);
        c.stop();
      }
      c.stop();
      return Uint8Array.from(c.bytes);
    };
    assert.strictEqual(usableOffsetIndex(index([[4, 0], [104, 100], [204, 200]]), 1000), true);
    assert.strictEqual(usableOffsetIndex(index([[4, 0]]), 1000), true);
    // Every page at row 0, as @dsnp/parquetjs writes.
    assert.strictEqual(usableOffsetIndex(index([[4, 0], [104, 0], [204, 0]]), 1000), false);
    assert.strictEqual(usableOffsetIndex(index([[4, 10], [104, 100]]), 1000), false);
    assert.strictEqual(usableOffsetIndex(index([[104, 0], [4, 100]]), 1000), false);
    assert.strictEqual(usableOffsetIndex(index([[4, 0], [104, 1000]]), 1000), false);
    assert.strictEqual(usableOffsetIndex(index([]), 1000), false);
    assert.strictEqual(usableOffsetIndex(Uint8Array.from([0x19, 0x1c]), 1000), false);
  });

  it('throws on bytes that are not a footer, and reads none from a file that is not Parquet', () => {
    const good = footer([[true]]);
    assert.throws(() => footerRowGroups(good.subarray(0, good.length - 3)), /end early/);
    // A map of a billion booleans in four bytes: each takes a byte, so it ends early rather than runs on.
    assert.throws(() => footerRowGroups(Uint8Array.from([0x1b, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x11, 0x01])), /end early/);
    assert.throws(() => footerRowGroups(Uint8Array.from([0x1f])), /unknown field type 15/);
    const other = path.join(dir, 'other.parquet');
    fs.writeFileSync(other, 'PAR1 this is not parquet at all PAR1');
    assert.strictEqual(readOffsetIndexedRowGroups(other), undefined);
    assert.strictEqual(readOffsetIndexedRowGroups(path.join(dir, 'missing.parquet')), undefined);
  });

  it('finds the offset index parquet-wasm writes, none in a file written without, and none usable in a faulty one', () => {
    const file = path.join(dir, 'indexed.parquet');
    const { pw } = loadParquetWasm();
    const table = new arrow.Table({ id: arrow.vectorFromArray(Int32Array.from({ length: 2500 }, (_, i) => i)) });
    const props = new pw.WriterPropertiesBuilder().setMaxRowGroupSize(1000).build();
    fs.writeFileSync(file, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props));
    assert.deepStrictEqual(readOffsetIndexedRowGroups(file), [true, true, true]);
    assert.deepStrictEqual(readOffsetIndexedRowGroups(fixture('no-page-index.parquet')), [false, false, false]);
    assert.deepStrictEqual(readOffsetIndexedRowGroups(fixture('bad-page-index.parquet')), [false, false, false]);
  });

  for (const name of ['no-page-index.parquet', 'bad-page-index.parquet']) {
  it(`reads row groups without a usable offset index whole, in parts at row-group boundaries, and any rows exactly (${name})`, async () => {
    const file = fixture(name);
    const source = localFileSource(file, name, fs.statSync(file).size);
    const expected = Array.from({ length: 3000 }, (_, i) => [i + 1, i % 7 === 0 ? null : i % 50, `n${i % 13}`]);
    const proto = loadParquetWasm().pw.ParquetFile.prototype;
    const stream = sinon.spy(proto, 'stream');
    try {
      const read = async (rows?: { start: number; end: number }) => {
        const out: unknown[][] = [];
        const table = await openTable(source, { format: 'parquet', parquetDecoder: 'wasm', batchSize: 256, pieceRows: 100, ...(rows && { rows }) });
        for await (const batch of table.batches()) {
          for (let r = 0; r < batch.rowCount; r++) out.push(batch.columns.map((column) => column[r]));
        }
        return out;
      };
      // Whole: a stream per row group, however small the pieces asked for.
      assert.deepStrictEqual(await read(), expected);
      assert.deepStrictEqual(
        stream.getCalls().map((call) => call.args[0]?.rowGroups),
        [[0], [1], [2]],
      );
      assert.ok(stream.getCalls().every((call) => call.args[0]?.offset === undefined));
      // Parts end where row groups do; with more workers than row groups, a row group is cut and read with offset.
      assert.deepStrictEqual((await splitParquet(source, 2, 100))!.map((r) => r.end), [2000, 3000]);
      assert.deepStrictEqual((await splitParquet(source, 6, 100))!.map((r) => r.end), [500, 1000, 1500, 2000, 2500, 3000]);
      for (const parts of [
        [{ start: 0, end: 2000 }, { start: 2000, end: 3000 }],
        [{ start: 0, end: 1234 }, { start: 1234, end: 2999 }, { start: 2999, end: 3000 }],
      ]) {
        const cells: unknown[][] = [];
        for (const rows of parts) cells.push(...(await read(rows)));
        assert.deepStrictEqual(cells, expected);
      }
      // The decoder is never asked to skip rows: those before a part are dropped as they come.
      assert.ok(stream.getCalls().every((call) => call.args[0]?.offset === undefined));
    } finally {
      stream.restore();
    }
  });
  }
});
