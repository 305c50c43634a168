// npm run build: stamp versions, compile the WebAssembly kernels (build-wasm.mjs), type-check and compile with tsc
// (into build/, for unit and L0 tests), then one esbuild bundle per task into tasks/<Name>/dist/index.js, the file
// task.json's handlers run. The .vsix ships only the bundle, so everything a task needs at run time must be inside
// it; the checks below fail the build when it is not, or when the bundle is not what we mean to ship.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { buildWasm } from './build-wasm.mjs';
import { listNodeTasks, repoRoot, stampVersions } from './stamp-version.mjs';

// A task with the task library, @azure/identity, the Azure ML ARM client and storage-blob is about 2 MB
// minified. 4 MB leaves room for the other tasks' engines while catching a dependency that drags in a whole
// SDK or a second copy of one. Five tasks at the budget would still make a .vsix far below the Marketplace's limits.
export const BUNDLE_BUDGET_BYTES = 4 * 1024 * 1024;

// Packages that keep process-wide state: two copies in one bundle split it. The task library's secret vault
// lives in one copy while its global "already loaded" guard stops the other from loading its data.
const SINGLE_COPY_PACKAGES = ['azure-pipelines-task-lib'];

// A task started without its required inputs must report a failed result within this time.
const STARTUP_TIMEOUT_MS = 20_000;

export const NOTICES_FILE = 'THIRD-PARTY-NOTICES.txt';
/**
 * Entries a task may have besides index.ts, each bundled on its own into dist/<name>.js and loaded by path at run
 * time: worker.ts, the script of its worker threads; azure.ts, code that is only needed for data in Azure and
 * that the task loads only then; parquet-libs.ts, the Parquet decoder and Arrow, loaded on the first Parquet read.
 */
export const EXTRA_ENTRIES = ['worker.ts', 'azure.ts', 'parquet-libs.ts'];
export const WORKER_BUNDLE = 'worker.js';

/** The extra bundles (file names in dist/) a task has. */
export function extraBundles(taskDir) {
  return EXTRA_ENTRIES.filter((entry) => fs.existsSync(path.join(taskDir, entry))).map((entry) => entry.replace(/\.ts$/, '.js'));
}

// Files some bundled packages read from their own folder at run time (`${__dirname}/...`). Bundled, __dirname is
// the task's dist/ folder, so they are copied there and shipped next to index.js.
export const RUNTIME_ASSETS = { 'parquet-wasm': ['node/parquet_wasm_bg.wasm'] };

const require = createRequire(import.meta.url);
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

export function formatBytes(n) {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

function typecheckAndCompile() {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('tsc failed: fix the type errors above.');
  removeStaleOutputs(path.join(repoRoot, 'build'));
}

// tsc never deletes: a compiled test whose source was removed or renamed would keep running under mocha.
function removeStaleOutputs(outDir) {
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (full !== path.join(outDir, 'vsix-staging')) walk(full);
        continue;
      }
      const m = /^(.*)\.js(\.map)?$/.exec(e.name);
      if (!m) continue;
      const source = path.join(repoRoot, path.relative(outDir, dir), `${m[1]}.ts`);
      if (!fs.existsSync(source)) fs.rmSync(full);
    }
  };
  walk(outDir);
}

/** Where a bundled input comes from: the package root (node_modules/.../name) and name, or undefined for our own code. */
export function packageOf(inputPath) {
  const p = inputPath.split(path.sep).join('/');
  const at = p.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = p.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return { name, root: p.slice(0, at + 'node_modules/'.length + name.length) };
}

/** Everything wrong with a bundle, from esbuild's metafile; an empty list means it may ship. */
export function checkBundle(taskName, metafile, bundleBytes) {
  const problems = [];
  const warnings = [];
  const duplicates = [];
  const roots = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    if (input.endsWith('.node')) problems.push(`native addon ${input}: agents run the task on any OS and CPU, a prebuilt binary does not`);
    const pkg = packageOf(input);
    if (!pkg) {
      const top = input.split('/')[0];
      if (top !== 'src' && !(top === 'tasks' && input.split('/')[1] === taskName)) problems.push(`${input} is neither src/, tasks/${taskName}/ nor a package`);
      continue;
    }
    if (!roots.has(pkg.name)) roots.set(pkg.name, new Set());
    roots.get(pkg.name).add(pkg.root);
  }
  for (const [name, where] of roots) {
    if (where.size < 2) continue;
    if (SINGLE_COPY_PACKAGES.includes(name)) {
      problems.push(`${where.size} copies of ${name} (${[...where].join(', ')}): its module state would be split; dedupe to one installed copy`);
    } else {
      duplicates.push(`${name} x${where.size}`);
    }
  }
  // Other duplicates only cost size (nested versions pinned by our dependencies); worth seeing, not failing for.
  if (duplicates.length > 0) warnings.push(`packages bundled more than once: ${duplicates.join(', ')}`);
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  for (const imp of output?.imports ?? []) {
    // A package left external would be missing on the agent: the .vsix has no node_modules.
    if (imp.external && !builtins.has(imp.path)) problems.push(`'${imp.path}' is not bundled and would be missing at run time`);
  }
  if (bundleBytes > BUNDLE_BUDGET_BYTES) {
    problems.push(`bundle is ${formatBytes(bundleBytes)}, over the ${formatBytes(BUNDLE_BUDGET_BYTES)} budget (see the largest packages below)`);
  }
  return { problems, warnings, packages: roots };
}

/** Bytes each package (or our own src/tasks code) contributes to the bundle, largest first. */
export function contributions(metafile) {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  const bytes = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const key = packageOf(input)?.name ?? input.split('/')[0];
    bytes.set(key, (bytes.get(key) ?? 0) + bytesInOutput);
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/**
 * The notices of every package in the bundle: most licenses (MIT, BSD, Apache-2.0) require their text to travel
 * with copies of the code, and bundling removes the package folders that carried it.
 */
function thirdPartyNotices(taskName, packages, legalComments) {
  const parts = [
    `Third-party software bundled into the ${taskName} task (dist/*.js), with the license text each package ships.`,
    '',
  ];
  const entries = [];
  for (const [name, roots] of packages) {
    for (const root of roots) {
      const dir = path.join(repoRoot, root);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const files = fs.readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort();
      const texts = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim());
      const license = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type ?? 'see package';
      entries.push({ title: `${name}@${pkg.version} (${license})`, texts });
    }
  }
  entries.sort((a, b) => a.title.localeCompare(b.title));
  for (const e of entries) {
    parts.push('='.repeat(78), e.title, '='.repeat(78), '');
    parts.push(e.texts.length > 0 ? e.texts.join('\n\n') : 'The package ships no license file; its package.json names the license above.', '');
  }
  if (legalComments.trim()) parts.push('='.repeat(78), 'Legal comments from the bundled sources', '='.repeat(78), '', legalComments.trim(), '');
  return parts.join('\n');
}

/** Bundles one task into tasks/<Name>/dist; throws with every problem found. */
export async function bundleTask(task) {
  const started = Date.now();
  const distDir = path.join(task.dir, 'dist');
  // Start clean so a failed build never leaves a previous bundle behind to be tested or shipped.
  fs.rmSync(distDir, { recursive: true, force: true });
  const outfile = path.join(distDir, 'index.js');
  const bundle = async (entry, out) => {
    const result = await esbuild.build({
      absWorkingDir: repoRoot,
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      // Linked map next to the bundle for local debugging (node --enable-source-maps); not shipped in the .vsix,
      // where it would be four times the size of the code. Node ignores the missing file.
      sourcemap: 'linked',
      legalComments: 'external',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    for (const w of result.warnings) console.warn((await esbuild.formatMessages([w], { kind: 'warning' })).join(''));
    const js = result.outputFiles.find((f) => f.path === out);
    const checked = checkBundle(task.name, result.metafile, js.contents.length);
    const top = contributions(result.metafile).slice(0, 3).map(([k, n]) => `${k} ${formatBytes(n)}`).join(', ');
    if (checked.problems.length > 0) {
      throw new Error(`${task.name}: ${path.basename(out)} cannot ship:\n  - ${checked.problems.join('\n  - ')}\n  largest: ${top}`);
    }
    const legal = result.outputFiles.find((f) => f.path.endsWith('.LEGAL.txt'))?.text ?? '';
    return { result, js, legal, top, ...checked };
  };
  const main = await bundle(path.join(task.dir, 'index.ts'), outfile);
  const extras = [];
  for (const file of extraBundles(task.dir)) {
    extras.push({ file, ...(await bundle(path.join(task.dir, file.replace(/\.js$/, '.ts')), path.join(distDir, file))) });
  }
  const { js, top, warnings, packages } = main;
  for (const extra of extras) {
    for (const [name, roots] of extra.packages) packages.set(name, new Set([...(packages.get(name) ?? []), ...roots]));
  }

  fs.mkdirSync(distDir, { recursive: true });
  for (const b of [main, ...extras]) {
    for (const f of b.result.outputFiles) if (!f.path.endsWith('.LEGAL.txt')) fs.writeFileSync(f.path, f.contents);
  }
  const legal = [...new Set([main.legal, ...extras.map((e) => e.legal)])].join('\n');
  fs.writeFileSync(path.join(distDir, NOTICES_FILE), thirdPartyNotices(task.name, packages, legal));
  fs.writeFileSync(path.join(distDir, 'meta.json'), JSON.stringify(main.result.metafile));
  for (const extra of extras) fs.writeFileSync(path.join(distDir, extra.file.replace(/\.js$/, '-meta.json')), JSON.stringify(extra.result.metafile));
  for (const [pkg, files] of Object.entries(RUNTIME_ASSETS)) {
    if (!packages.has(pkg)) continue;
    for (const f of files) fs.copyFileSync(path.join(repoRoot, 'node_modules', pkg, f), path.join(distDir, path.basename(f)));
  }

  return {
    name: task.name,
    extras: extras.map((e) => ({ file: e.file, bytes: e.js.contents.length })),
    bytes: js.contents.length,
    gzipBytes: zlib.gzipSync(js.contents).length,
    packages: [...packages.values()].reduce((n, roots) => n + roots.size, 0),
    top,
    warnings,
    ms: Date.now() - started,
  };
}

/** The environment an agent gives a task, minus inputs and service connections: enough for the task library to start. */
export function agentLikeEnv(tempDir) {
  const env = {
    PATH: process.env.PATH ?? '',
    AGENT_TEMPDIRECTORY: tempDir,
    AGENT_WORKFOLDER: tempDir,
    AGENT_VERSION: '4.266.2',
    SYSTEM_DEFAULTWORKINGDIRECTORY: tempDir,
    BUILD_SOURCESDIRECTORY: tempDir,
    HOME: tempDir,
  };
  // Windows needs these to start processes and find its temp folder.
  for (const k of ['SystemRoot', 'windir', 'TEMP', 'TMP', 'USERPROFILE']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

/**
 * Runs a bundle as the agent would, without inputs: it must load, report a failed result for the missing
 * required input and exit. Catches what only shows at run time: a require of a file that is not shipped,
 * task library messages that were not bundled (their keys would appear instead of text).
 */
export async function startupCheck(task) {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-mlops-startup-'));
  try {
    const child = spawn(process.execPath, [path.join(task.dir, 'dist', 'index.js')], { cwd: temp, env: agentLikeEnv(temp), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill(), STARTUP_TIMEOUT_MS);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const problems = [];
    if (!/##vso\[task\.(complete|issue|logissue)[^\]]*(result=Failed|type=error)/.test(out)) problems.push(`no failed result for the missing inputs (exit code ${code})`);
    if (/Cannot find module|MODULE_NOT_FOUND/.test(out)) problems.push('a module the bundle requires at run time is missing');
    const keys = out.match(/\bLIB_[A-Za-z]+\b/g);
    if (keys) problems.push(`task library message keys instead of messages: ${[...new Set(keys)].join(', ')}`);
    if (problems.length > 0) throw new Error(`${task.name}: the bundle does not start cleanly: ${problems.join('; ')}\n--- its output ---\n${out}`);
    for (const file of extraBundles(task.dir)) {
      const bundlePath = path.join(task.dir, 'dist', file);
      if (file === WORKER_BUNDLE) await workerCheck(task, bundlePath, temp);
      else loadCheck(task, bundlePath);
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** An extra bundle the task loads by path must load, with every export it declares defined. */
function loadCheck(task, bundlePath) {
  const source = fs.readFileSync(path.join(task.dir, path.basename(bundlePath).replace(/\.js$/, '.ts')), 'utf8');
  const names = [...source.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()).filter(Boolean));
  const script = `const m = require(${JSON.stringify(bundlePath)}); const missing = ${JSON.stringify(names)}.filter((n) => m[n] === undefined); if (missing.length) { console.log('missing exports: ' + missing.join(', ')); process.exit(3); }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: STARTUP_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${task.name}: dist/${path.basename(bundlePath)} does not load: ${(r.stdout + r.stderr).trim().slice(0, 400)}`);
}

/**
 * A worker bundle must check data as the engine asks it to: one small CSV part, posted as the engine posts parts
 * (src/data/worker.ts), must come back checked.
 */
async function workerCheck(task, bundle, temp) {
  const { Worker } = await import('node:worker_threads');
  const file = path.join(temp, 'worker-check.csv');
  fs.writeFileSync(file, 'a,b\n1,x\n2,y\n');
  const worker = new Worker(bundle, { workerData: { dataValidateWorker: true } });
  try {
    const reply = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within the start-up timeout')), STARTUP_TIMEOUT_MS);
      // { ready } comes first (see WorkerReply), then the result.
      worker.on('message', (m) => m?.ready || (clearTimeout(timer), resolve(m)));
      worker.once('error', (e) => (clearTimeout(timer), reject(e)));
      worker.postMessage({ task: { source: { name: 'worker-check.csv', localPath: file, size: fs.statSync(file).size }, format: 'csv', reader: {}, lineBase: 0 } });
    });
    if (reply?.ok?.rowCount !== 2) throw new Error(`unexpected answer ${JSON.stringify(reply).slice(0, 300)}`);
  } catch (e) {
    throw new Error(`${task.name}: dist/${WORKER_BUNDLE} does not check data: ${e.message}`);
  } finally {
    await worker.terminate();
  }
}

export async function build({ log = console.log } = {}) {
  const { version, outOfDate } = stampVersions();
  if (outOfDate.length > 0) log(`Stamped version ${version} into ${outOfDate.join(', ')}`);

  await buildWasm({ log });
  let t = Date.now();
  typecheckAndCompile();
  log(`tsc: type-checked and compiled into build/ in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // Server (agentless) tasks have no code: Azure DevOps performs their HttpRequest itself, so there is nothing to bundle.
  const tasks = listNodeTasks();
  if (tasks.length === 0) throw new Error('No task to bundle: expected tasks/<Name>/ with task.json and index.ts.');
  t = Date.now();
  const settled = await Promise.allSettled(tasks.map(async (task) => {
    const r = await bundleTask(task);
    await startupCheck(task);
    return r;
  }));
  const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason?.message ?? String(s.reason));
  const width = Math.max(...tasks.map((x) => x.name.length));
  for (const s of settled) {
    if (s.status !== 'fulfilled') continue;
    const r = s.value;
    for (const w of r.warnings) log(`  note ${r.name}: ${w}`);
    const extra = r.extras.map((e) => ` + dist/${e.file} ${formatBytes(e.bytes)}`).join('');
    log(`${r.name.padEnd(width)}  dist/index.js ${formatBytes(r.bytes)} (gzip ${formatBytes(r.gzipBytes)}, budget ${formatBytes(BUNDLE_BUDGET_BYTES)})${extra}, ${r.packages} packages, largest: ${r.top}; ${r.ms} ms`);
  }
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
  log(`Bundled and started ${tasks.length} task(s) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return tasks;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build().catch((e) => {
    console.error(`\nBuild failed: ${e.message}`);
    process.exit(1);
  });
}
