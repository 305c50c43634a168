// npm run package: build, stage exactly what ships, make the .vsix with tfx-cli (offline), then check its contents.
//
//   node scripts/package.mjs [--skip-build] [tfx options, e.g. --publisher my-publisher]
//   node scripts/package.mjs --verify <file.vsix>   only check an existing .vsix
//
// The staging folder (build/vsix-staging) holds the manifest, its overview, icon and license, and per task
// only task.json, icon.png, the bundle and its third-party notices: no sources, no node_modules, no source maps.
// A server (agentless) task has no bundle: it ships task.json and icon.png only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { NOTICES_FILE, build, extraBundles, formatBytes } from './build.mjs';
import { listTasks, readJson, repoRoot } from './stamp-version.mjs';

// tfx publish has failed on packages above ~19 MB (microsoft/tfs-cli#339); Microsoft asks to optimise above 50 MB.
// Bundled tasks are about 0.5 MB each compressed, so 10 MB means something went wrong long before those limits.
export const VSIX_BUDGET_BYTES = 10 * 1024 * 1024;

const require = createRequire(import.meta.url);
export const stagingDir = path.join(repoRoot, 'build', 'vsix-staging');
export const outputDir = path.join(repoRoot, 'dist');

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

/** What a task ships, relative to its folder: task.json and icon.png, plus the bundle for a task that runs on the agent. */
export function shippedFiles(t) {
  if (t.kind === 'server') return ['task.json', 'icon.png'];
  const assets = fs.existsSync(path.join(t.dir, 'dist')) ? fs.readdirSync(path.join(t.dir, 'dist')).filter((f) => f.endsWith('.wasm')) : [];
  // Bundles the task loads by path (worker threads, Azure-only code) ship too (see scripts/build.mjs).
  const extras = extraBundles(t.dir).map((f) => path.join('dist', f));
  return ['task.json', 'icon.png', path.join('dist', 'index.js'), ...extras, path.join('dist', NOTICES_FILE), ...assets.map((f) => path.join('dist', f))];
}

/** Copies what ships into a clean staging folder; the manifest's files entries are relative to it. */
export function stage(tasks) {
  fs.rmSync(stagingDir, { recursive: true, force: true });
  const manifest = readJson(path.join(repoRoot, 'vss-extension.json'));
  const assets = ['vss-extension.json', manifest.icons.default, manifest.content.details.path, manifest.content.license.path];
  for (const f of assets) copy(path.join(repoRoot, f), path.join(stagingDir, f));
  // Addressable files outside tasks/ (the overview's screenshots) ship as they are.
  for (const entry of manifest.files ?? []) {
    if (!entry.addressable || entry.path.startsWith('tasks/')) continue;
    fs.cpSync(path.join(repoRoot, entry.path), path.join(stagingDir, entry.path), { recursive: true });
  }
  for (const t of tasks) {
    const files = shippedFiles(t);
    for (const f of files) {
      const from = path.join(t.dir, f);
      if (!fs.existsSync(from)) throw new Error(`tasks/${t.name}/${f.split(path.sep).join('/')} is missing${f.startsWith('dist') ? ': run npm run build' : ''}.`);
      copy(from, path.join(stagingDir, 'tasks', t.name, f));
    }
  }
}

// ---- Reading the .vsix (a zip) through its central directory ----

/** Entries of a zip file: name, compression method, sizes and where the local header is. */
export function readZipEntries(buf) {
  // The end-of-central-directory record is the last 22 bytes, plus a comment of at most 65535 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`corrupt zip: bad central directory entry ${n}`);
    const nameLength = buf.readUInt16LE(at + 28);
    entries.push({
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      localHeader: buf.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return entries;
}

export function readZipEntry(buf, entry) {
  const h = entry.localHeader;
  if (buf.readUInt32LE(h) !== 0x04034b50) throw new Error(`corrupt zip: bad local header for ${entry.name}`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return zlib.inflateRawSync(data);
  throw new Error(`${entry.name}: unsupported zip compression method ${entry.method}`);
}

const FORBIDDEN = [
  [/(^|\/)node_modules\//, 'node_modules'],
  [/\.(ts|tsx|mts|cts)$/, 'TypeScript source'],
  [/\.map$/, 'source map'],
  [/(^|\/)tests?\/|\.test\.js$|(^|\/)L0/i, 'test file'],
  [/(^|\/)\.(git|taskkey|env)(\/|$)/, 'repository or secret file'],
  [/(^|\/)meta\.json$/, 'build metafile'],
];

/**
 * Checks a .vsix: the manifest, every task's task.json and bundle, each at the expected version, and nothing
 * that must not ship. Returns the problems; empty means it is good.
 */
export function verifyVsix(file, { tasks = listTasks(), version = readJson(path.join(repoRoot, 'package.json')).version } = {}) {
  const buf = fs.readFileSync(file);
  const entries = readZipEntries(buf);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const problems = [];
  const required = ['extension.vsixmanifest', 'extension.vsomanifest'];
  for (const t of tasks) {
    required.push(`tasks/${t.name}/task.json`, `tasks/${t.name}/icon.png`);
    if (t.kind === 'server') {
      // Azure DevOps runs a server task's HttpRequest itself: code next to it would never run and means a mix-up.
      const allowed = [`tasks/${t.name}/task.json`, `tasks/${t.name}/icon.png`];
      const extra = (name) => name.startsWith(`tasks/${t.name}/`) && !name.endsWith('/') && !allowed.includes(name);
      for (const e of entries) if (extra(e.name)) problems.push(`${e.name}: the server task ${t.name} ships only task.json and icon.png`);
    } else {
      required.push(`tasks/${t.name}/dist/index.js`);
      if (t.dir) for (const f of extraBundles(t.dir)) required.push(`tasks/${t.name}/dist/${f}`);
    }
  }
  // Every image the overview (the Marketplace page) shows must be in the package.
  const overview = fs.readFileSync(path.join(repoRoot, 'overview.md'), 'utf8');
  for (const m of overview.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) if (!/^https?:/.test(m[1])) required.push(m[1]);
  for (const name of required) if (!byName.has(name)) problems.push(`missing ${name}`);
  for (const e of entries) {
    for (const [re, what] of FORBIDDEN) if (re.test(e.name)) problems.push(`${e.name}: ${what} must not ship`);
  }
  const vsixManifest = byName.get('extension.vsixmanifest');
  if (vsixManifest) {
    const m = /<Identity\b[^>]*\bVersion="([^"]+)"/.exec(readZipEntry(buf, vsixManifest).toString('utf8'));
    if (m?.[1] !== version) problems.push(`extension.vsixmanifest has version ${m?.[1]}, package.json ${version}`);
  }
  for (const t of tasks) {
    const e = byName.get(`tasks/${t.name}/task.json`);
    if (!e) continue;
    const v = JSON.parse(readZipEntry(buf, e).toString('utf8')).version ?? {};
    if (`${v.Major}.${v.Minor}.${v.Patch}` !== version) problems.push(`tasks/${t.name}/task.json has version ${v.Major}.${v.Minor}.${v.Patch}, package.json ${version}`);
  }
  if (buf.length > VSIX_BUDGET_BYTES) problems.push(`${formatBytes(buf.length)} is over the ${formatBytes(VSIX_BUDGET_BYTES)} budget`);
  return { problems, entries, bytes: buf.length };
}

function tfx(args) {
  const cli = path.join(path.dirname(require.resolve('tfx-cli/package.json')), '_build', 'tfx-cli.js');
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`tfx ${args.slice(0, 2).join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  // tfx reports task.json problems as warnings and still succeeds; they are errors for us.
  const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /warn/i.test(l));
  if (warnings.length > 0) throw new Error(`tfx warned:\n${warnings.join('\n')}`);
  return r.stdout;
}

export async function packageExtension({ skipBuild = false, tfxArgs = [], log = console.log } = {}) {
  if (!skipBuild) await build({ log });
  const tasks = listTasks();
  stage(tasks);
  fs.mkdirSync(outputDir, { recursive: true });
  // One .vsix in dist/ at a time, so CI and the benchmark pick up the one just made.
  for (const f of fs.readdirSync(outputDir)) if (f.endsWith('.vsix')) fs.rmSync(path.join(outputDir, f));
  const out = tfx([
    'extension', 'create',
    '--root', stagingDir,
    '--manifests', path.join(stagingDir, 'vss-extension.json'),
    '--output-path', outputDir,
    '--no-prompt', '--no-color', '--json',
    ...tfxArgs,
  ]);
  const vsix = JSON.parse(out.slice(out.indexOf('{'))).path;
  const { problems, entries, bytes } = verifyVsix(vsix, { tasks });
  if (problems.length > 0) throw new Error(`${path.relative(repoRoot, vsix)} is not fit to ship:\n  - ${problems.join('\n  - ')}`);
  log(`${path.relative(repoRoot, vsix)}: ${formatBytes(bytes)}, ${entries.length} files, tasks: ${tasks.map((t) => t.name).join(', ')}`);
  return { vsix, bytes, entries };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    if (args[0] === '--verify') {
      const { problems, entries, bytes } = verifyVsix(path.resolve(args[1]));
      if (problems.length > 0) throw new Error(`${args[1]}:\n  - ${problems.join('\n  - ')}`);
      console.log(`${args[1]}: ${formatBytes(bytes)}, ${entries.length} files, contents as expected`);
    } else {
      const skipBuild = args.includes('--skip-build');
      await packageExtension({ skipBuild, tfxArgs: args.filter((a) => a !== '--skip-build') });
    }
  } catch (e) {
    console.error(`\nPackaging failed: ${e.message}`);
    process.exit(1);
  }
}
