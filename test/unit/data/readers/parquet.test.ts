import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import * as arrow from 'apache-arrow';
import { DataFormatError } from '../../../../src/data/types';
import { DataSource, localSources } from '../../../../src/data/sources';
import { openTable, splitParquet } from '../../../../src/data/readers';
import { loadParquetWasm } from '../../../../src/data/readers/parquet';
import { readAll, tempDir } from './helpers';

const ROWS = 1000;

/** A small table with the column types Parquet data usually has, nulls included. */
function sampleTable(): arrow.Table {
  const ids = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i) * 1000n);
  const ts = Array.from({ length: ROWS }, (_, i) => (i % 10 === 0 ? null : 1_700_000_000_000 + i * 1000));
  return new arrow.Table({
    id: arrow.makeVector(ids),
    score: arrow.vectorFromArray(Float64Array.from({ length: ROWS }, (_, i) => i / 4)),
    small: arrow.vectorFromArray(Int32Array.from({ length: ROWS }, (_, i) => i - 500)),
    name: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 7 === 0 ? null : `n${i % 13}`)), new arrow.Utf8()),
    flag: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 5 === 0 ? null : i % 2 === 0)), new arrow.Bool()),
    at: arrow.vectorFromArray(ts, new arrow.TimestampMillisecond('UTC')),
    maybe: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 3 === 0 ? null : i * 1.5)), new arrow.Float64()),
  });
}

function writeParquetFile(file: string, table: arrow.Table, compression: number, rowGroup = 300): void {
  const { pw } = loadParquetWasm();
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder().setCompression(compression).setMaxRowGroupSize(rowGroup).build();
  fs.writeFileSync(file, pw.writeParquet(wasmTable, props));
}

describe('Parquet reader', function () {
  this.timeout(60000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const source = (file: string) => localSources(file, dir, 'dataPath')[0];

  for (const [name, code] of [['ZSTD', 5], ['Snappy', 1], ['Gzip', 2]] as const) {
    it(`reads back every value of a ${name}-compressed file, with nulls, in batches`, async () => {
      const file = path.join(dir, `t-${name}.parquet`);
      writeParquetFile(file, sampleTable(), code);
      // The file really uses the codec under test.
      const meta = (await loadParquetWasm().pw.ParquetFile.fromFile(await fs.openAsBlob(file))).metadata();
      assert.strictEqual(meta.rowGroup(0).column(0).compression(), code);
      const r = await readAll(source(file), { format: 'parquet', batchSize: 256 });
      assert.deepStrictEqual(r.columns, ['id', 'score', 'small', 'name', 'flag', 'at', 'maybe']);
      assert.deepStrictEqual(r.nativeTypes, ['int64', 'double', 'int32', 'utf8', 'bool', 'timestamp[ms, tz=UTC]', 'double']);
      assert.strictEqual(r.rows.length, ROWS);
      for (let i = 0; i < ROWS; i++) {
        const [id, score, small, nm, flag, at, maybe] = r.rows[i];
        assert.strictEqual(id, i * 1000);
        assert.strictEqual(score, i / 4);
        assert.strictEqual(small, i - 500);
        assert.strictEqual(nm, i % 7 === 0 ? null : `n${i % 13}`);
        assert.strictEqual(flag, i % 5 === 0 ? null : i % 2 === 0);
        if (i % 10 === 0) assert.strictEqual(at, null);
        else assert.strictEqual((at as Date).getTime(), 1_700_000_000_000 + i * 1000);
        assert.strictEqual(maybe, i % 3 === 0 ? null : i * 1.5);
      }
      assert.strictEqual(r.firstRows[0], 1);
      assert.ok(r.firstRows.length >= 4, `batches: ${r.firstRows.length}`);
    });
  }

  it('keeps an int64 beyond 2^53 as a bigint', async () => {
    const file = path.join(dir, 'big.parquet');
    const t = new arrow.Table({ v: arrow.makeVector(BigInt64Array.from([1n, 2n ** 60n])) });
    writeParquetFile(file, t, 1);
    const r = await readAll(source(file), { format: 'parquet' });
    assert.deepStrictEqual(r.rows, [[1], [2n ** 60n]]);
  });

  it('reads a non-local source by copying it to a temporary file first', async () => {
    const file = path.join(dir, 'remote.parquet');
    writeParquetFile(file, sampleTable(), 5);
    const bytes = fs.readFileSync(file);
    const blob: DataSource = { name: 'blob://remote.parquet', size: bytes.length, open: () => Readable.from([bytes]) };
    const r = await readAll(blob, { format: 'parquet' });
    assert.strictEqual(r.rows.length, ROWS);
  });

  // Linux lists a process's open files in /proc/self/fd; elsewhere there is nothing to count them with.
  const openFiles = () => (fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : 0);

  it('closes the file it reads: read whole, in parts, stopped early, or found corrupt', async () => {
    const file = path.join(dir, 'closing.parquet');
    writeParquetFile(file, sampleTable(), 1);
    const corrupt = path.join(dir, 'closing-corrupt.parquet');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(corrupt, Buffer.concat([bytes.subarray(0, bytes.length - 40), Buffer.alloc(32, 0xff), bytes.subarray(bytes.length - 8)]));
    const before = openFiles();
    for (let k = 0; k < 3; k++) {
      assert.strictEqual((await readAll(source(file), { format: 'parquet' })).rows.length, ROWS);
      const parts = (await splitParquet(source(file), 3))!;
      assert.strictEqual(parts.length, 3);
      let rows = 0;
      for (const part of parts) rows += (await readAll(source(file), { format: 'parquet', rows: part, pieceRows: 70 })).rows.length;
      assert.strictEqual(rows, ROWS);
      const table = await openTable(source(file), { format: 'parquet', rows: { start: 10, end: 900 }, pieceRows: 100, batchSize: 10 });
      for await (const batch of table.batches()) {
        assert.strictEqual(batch.firstRow, 1);
        break;
      }
      await assert.rejects(readAll(source(corrupt), { format: 'parquet' }), DataFormatError);
    }
    assert.strictEqual(openFiles(), before);
  });

  it('reports data parquet-wasm panics on as an unreadable file, never as an uncaught trap, and reads on', async () => {
    const good = path.join(dir, 'trap-good.parquet');
    writeParquetFile(good, sampleTable(), 1);
    const bytes = fs.readFileSync(good);
    const outcomes: string[] = [];
    // Two bytes flipped at a time through the column chunks: most make parquet-wasm panic (a WebAssembly trap,
    // thrown where no await catches it), some make it return an error, a few go unnoticed.
    for (let at = 4; at < bytes.length / 2; at += 97) {
      const name = `trap-${at}.parquet`;
      const bad = Buffer.from(bytes);
      bad[at] ^= 0xff;
      bad[at + 1] ^= 0x5a;
      fs.writeFileSync(path.join(dir, name), bad);
      try {
        await readAll(source(path.join(dir, name)), { format: 'parquet', parquetDecoder: 'wasm' });
        outcomes.push('read');
      } catch (e) {
        assert.ok(e instanceof DataFormatError, `${name}: ${String(e)}`);
        assert.match(e.message, new RegExp(`${name} is not a readable Parquet file`));
        outcomes.push(/row group \d+: the decoder stopped on data it cannot decode$/.test(e.message) ? 'trap' : 'error');
      }
    }
    assert.ok(outcomes.filter((o) => o === 'trap').length >= 3, outcomes.join(' '));
    // The decoder still reads a good file after its panics.
    assert.strictEqual((await readAll(source(good), { format: 'parquet', parquetDecoder: 'wasm' })).rows.length, ROWS);
  });

  it('throws a DataFormatError naming the file for a truncated file, a wrong magic and a corrupt footer', async () => {
    const good = path.join(dir, 'good.parquet');
    writeParquetFile(good, sampleTable(), 1);
    const bytes = fs.readFileSync(good);
    const cases: Record<string, Buffer> = {
      'truncated.parquet': bytes.subarray(0, bytes.length - 100),
      'magic.parquet': Buffer.concat([Buffer.from('XXXX'), bytes.subarray(4)]),
      'footer.parquet': Buffer.concat([bytes.subarray(0, bytes.length - 40), Buffer.alloc(32, 0xff), bytes.subarray(bytes.length - 8)]),
      'tiny.parquet': Buffer.from('PAR1'),
    };
    for (const [name, data] of Object.entries(cases)) {
      fs.writeFileSync(path.join(dir, name), data);
      await assert.rejects(readAll(source(path.join(dir, name)), { format: 'parquet' }), (e: unknown) => {
        assert.ok(e instanceof DataFormatError, `${name}: ${String(e)}`);
        assert.match(e.message, new RegExp(`${name} is not a readable Parquet file`));
        return true;
      });
    }
  });
});
