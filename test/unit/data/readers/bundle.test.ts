import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as arrow from 'apache-arrow';
import * as esbuild from 'esbuild';
import { loadParquetWasm } from '../../../../src/data/readers/parquet';
import { tempDir } from './helpers';

const repoRoot = path.resolve(__dirname, '../../../../..');

// What a task's index.ts does, bundled the way scripts/build.mjs bundles tasks: one CommonJS file.
const ENTRY = `
import { localSources } from './src/data/sources';
import { openTable } from './src/data/readers';
(async () => {
  const [file, format] = process.argv.slice(2);
  const source = localSources(file, process.cwd(), 'dataPath')[0];
  const reader = await openTable(source, { format: format as 'csv' | 'parquet' });
  let rows = 0;
  for await (const b of reader.batches()) rows += b.rowCount;
  console.log(JSON.stringify({ columns: reader.columns, rows }));
})().catch((e) => { console.log('ERROR ' + e.message); process.exit(1); });
`;

describe('Readers bundled with esbuild', function () {
  this.timeout(60000);
  let dir: string;
  let bundled: string[];
  before(async () => {
    dir = tempDir();
    const options = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'silent', metafile: true } as const;
    const main = await esbuild.build({
      ...options,
      stdin: { contents: ENTRY, resolveDir: repoRoot, loader: 'ts', sourcefile: 'entry.ts' },
      outfile: path.join(dir, 'dist', 'index.js'),
    });
    bundled = Object.keys(main.metafile.inputs);
    // The Parquet libraries' bundle, as scripts/build.mjs makes it; put next to index.js by the test below.
    await esbuild.build({ ...options, entryPoints: [path.join(repoRoot, 'tasks/DataValidate/parquet-libs.ts')], outfile: path.join(dir, 'libs', 'parquet-libs.js') });
    const { pw } = loadParquetWasm();
    const table = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3]) });
    fs.writeFileSync(path.join(dir, 'd.parquet'), pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
    const zstd = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
    fs.writeFileSync(path.join(dir, 'z.parquet'), pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), zstd));
    fs.writeFileSync(path.join(dir, 'd.csv'), 'a,b\n1,2\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (file: string, format: string) =>
    spawnSync(process.execPath, [path.join(dir, 'dist', 'index.js'), file, format], { cwd: dir, encoding: 'utf8' });

  it('reads CSV without the Parquet libraries, which are neither in the bundle nor next to it', () => {
    assert.deepStrictEqual(bundled.filter((f) => /node_modules\/(apache-arrow|parquet-wasm|arrow-js-ffi)\//.test(f)), []);
    const r = run('d.csv', 'csv');
    assert.strictEqual(r.stdout.trim(), JSON.stringify({ columns: ['a', 'b'], rows: 1 }), r.stderr);
  });

  it('reads Parquet once parquet-libs.js and parquet_wasm_bg.wasm sit next to the bundle, and not before', () => {
    const fails = (file: string) => {
      const r = run(file, 'parquet');
      assert.notStrictEqual(r.status, 0);
      assert.match(r.stdout, /^ERROR Cannot load the Parquet decoder \(parquet-libs\.js and parquet_wasm_bg\.wasm must sit next to/);
    };
    const reads = (file: string) => {
      const r = run(file, 'parquet');
      assert.strictEqual(r.stdout.trim(), JSON.stringify({ columns: ['x'], rows: 3 }), r.stderr);
    };
    fails('d.parquet');
    fails('z.parquet');
    fs.copyFileSync(path.join(dir, 'libs', 'parquet-libs.js'), path.join(dir, 'dist', 'parquet-libs.js'));
    // Arrow alone: enough for a file the page decoder reads, not for one that takes parquet-wasm (ZSTD).
    reads('d.parquet');
    fails('z.parquet');
    fs.copyFileSync(path.join(repoRoot, 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm'), path.join(dir, 'dist', 'parquet_wasm_bg.wasm'));
    reads('d.parquet');
    reads('z.parquet');
  });
});
