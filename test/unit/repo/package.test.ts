import assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { readJson, repoRoot, taskFolders } from './repo-files';

// The .vsix content check of scripts/package.mjs, run on small hand-made archives. Packaging itself runs in CI
// (npm run package), which applies the same check to the real .vsix; these tests do not depend on it having run.

/** A minimal zip writer: local headers, central directory, end record; deflated entries when asked. No CRCs: the check does not read them. */
function zip(entries: Array<{ name: string; data: string | Buffer; deflate?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const body = e.deflate ? zlib.deflateRawSync(raw) : raw;
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe('The .vsix content check (scripts/package.mjs --verify)', () => {
  const version: string = readJson('package.json').version;
  const [Major, Minor, Patch] = version.split('.').map(Number);
  const tasks = taskFolders().filter((t) => t.shipped);
  // The extra entries scripts/build.mjs bundles next to index.js (EXTRA_ENTRIES there).
  const EXTRA_BUNDLES = ['worker.js', 'azure.js', 'parquet-libs.js'];
  let dir: string;

  function goodEntries(taskVersion = { Major, Minor, Patch }) {
    return [
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'extension.vsixmanifest', data: `<PackageManifest><Metadata><Identity Language="en-US" Id="aml-mlops" Version="${version}" Publisher="p"/></Metadata></PackageManifest>`, deflate: true },
      { name: 'extension.vsomanifest', data: '{}' },
      ...tasks.flatMap((t) => [
        // tfx writes folder entries too.
        { name: `tasks/${t.name}/`, data: '' },
        { name: `tasks/${t.name}/task.json`, data: JSON.stringify({ name: t.name, version: taskVersion }), deflate: true },
        { name: `tasks/${t.name}/icon.png`, data: Buffer.alloc(8) },
        // A server task has no bundle: Azure DevOps performs its HttpRequest.
        ...(t.kind === 'server' ? [] : [{ name: `tasks/${t.name}/dist/index.js`, data: 'module.exports = {};' }]),
        // Bundles a task loads by path (worker threads, Azure-only code) ship too.
        ...EXTRA_BUNDLES.filter((b) => fs.existsSync(path.join(t.dir, b.replace(/\.js$/, '.ts')))).map((b) => ({ name: `tasks/${t.name}/dist/${b}`, data: 'module.exports = {};' })),
      ]),
      // The images the overview (the Marketplace page) shows.
      ...overviewImages.map((name) => ({ name, data: Buffer.alloc(8) })),
    ];
  }

  const overviewImages = [...fs.readFileSync(path.join(repoRoot, 'overview.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);

  function verify(entries: ReturnType<typeof goodEntries>) {
    const file = path.join(dir, `x-${Math.random().toString(36).slice(2)}.vsix`);
    fs.writeFileSync(file, zip(entries));
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--verify', file], { cwd: repoRoot, encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-check-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts a package with the manifests and every task at the current version', () => {
    const r = verify(goodEntries());
    assert.ok(r.ok, r.output);
  });

  it('refuses a package without an image the overview shows', () => {
    assert.ok(overviewImages.length > 0, 'the overview shows no images');
    const r = verify(goodEntries().filter((e) => e.name !== overviewImages[0]));
    assert.ok(!r.ok);
    assert.match(r.output, new RegExp(`missing ${overviewImages[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('refuses node_modules, TypeScript sources, source maps and tests', () => {
    const t = tasks[0].name;
    const r = verify([
      ...goodEntries(),
      { name: `tasks/${t}/node_modules/x/index.js`, data: '' },
      { name: `tasks/${t}/index.ts`, data: '' },
      { name: `tasks/${t}/dist/index.js.map`, data: '' },
      { name: `tasks/${t}/Tests/L0.js`, data: '' },
    ]);
    assert.ok(!r.ok);
    for (const what of ['node_modules', 'TypeScript source', 'source map', 'test file']) assert.match(r.output, new RegExp(what));
  });

  it('refuses a package without a task bundle', () => {
    const t = tasks.find((x) => x.kind === 'node')!.name;
    const r = verify(goodEntries().filter((e) => e.name !== `tasks/${t}/dist/index.js`));
    assert.ok(!r.ok);
    assert.match(r.output, new RegExp(`missing tasks/${t}/dist/index.js`));
  });

  for (const bundle of EXTRA_BUNDLES) {
    it(`refuses a package without the ${bundle} bundle of a task that loads one`, () => {
      const t = tasks.find((x) => fs.existsSync(path.join(x.dir, bundle.replace(/\.js$/, '.ts'))));
      assert.ok(t, `DataValidate has ${bundle.replace(/\.js$/, '.ts')}`);
      const r = verify(goodEntries().filter((e) => e.name !== `tasks/${t.name}/dist/${bundle}`));
      assert.ok(!r.ok);
      assert.match(r.output, new RegExp(`missing tasks/${t.name}/dist/${bundle}`));
    });
  }

  it('refuses code next to a server task, which only ships task.json and its icon', () => {
    const server = tasks.find((x) => x.kind === 'server');
    assert.ok(server, 'no server task in tasks/');
    const r = verify([...goodEntries(), { name: `tasks/${server.name}/dist/index.js`, data: '' }]);
    assert.ok(!r.ok);
    assert.match(r.output, new RegExp(`tasks/${server.name}/dist/index.js: the server task ${server.name} ships only task.json and icon.png`));
  });

  it('refuses a package without a server task\'s task.json', () => {
    const server = tasks.find((x) => x.kind === 'server')!;
    const r = verify(goodEntries().filter((e) => e.name !== `tasks/${server.name}/task.json`));
    assert.ok(!r.ok);
    assert.match(r.output, new RegExp(`missing tasks/${server.name}/task.json`));
  });

  it('refuses a task whose version is not the package.json version', () => {
    const r = verify(goodEntries({ Major, Minor, Patch: Patch + 1 }));
    assert.ok(!r.ok);
    assert.match(r.output, /task\.json has version/);
  });

  it('refuses a file that is not a zip', () => {
    const file = path.join(dir, 'not-a-zip.vsix');
    fs.writeFileSync(file, 'hello');
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--verify', file], { cwd: repoRoot, encoding: 'utf8' });
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stderr, /not a zip/);
  });
});
