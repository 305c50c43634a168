// DataValidate benchmark: our validation of a ~1 GB, 10M-row CSV (and its Parquet twin, and with --big a ~4 GB CSV)
// side by side with `wc -l` (the floor), pandas doing the same checks in 1M-row chunks, and the best npm CSV parser
// parsing the file with a trivial aggregate. Ours runs as the agent runs it: the bundled task
// `node tasks/DataValidate/dist/index.js` with INPUT_* variables, in a fresh process, reports included.
//
//   node bench/datavalidate.mjs [--quick] [--rows 10000000 | --size 1g] [--big 4g] [--runs 3]
//   (also part of `npm run bench`; needs the build: `npm run build`)
//
// Writes bench/results/datavalidate.json and .md. Generated data is cached in bench/.data/ (git-ignored).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentLikeEnv } from '../scripts/build.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const here = path.join(benchDir, 'datavalidate');
const dataDir = path.join(benchDir, '.data');
const resultsDir = path.join(benchDir, 'results');
const taskScript = path.join(repoRoot, 'tasks', 'DataValidate', 'dist', 'index.js');
const schemaFile = path.join(here, 'schema.yml');
const PYTHON = '/usr/bin/python3'; // Debian's python3 with python3-pandas/scipy/yaml; a pyenv python first on PATH may lack them
const TIME = '/usr/bin/time';
const MiB = 2 ** 20;

const TARGETS = { csvMBps: 300, vsPandas: 5, rssMiB: 200, parquetRowsPerS: 3e6 };

// ------------------------------------------------------------------ options

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(text).trim());
  if (!m) throw new Error(`not a size: ${text} (use e.g. 1g, 500m)`);
  return Math.round(Number(m[1]) * 1000 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

/** Bytes per generated CSV row (measured on the generator's output; used to turn sizes into row counts). */
const BYTES_PER_ROW = 123;

export function parseArgs(argv) {
  const o = { rows: 10_000_000, refRows: 1_000_000, runs: 3, big: 0, quick: false };
  let sizeGiven;
  let rowsGiven;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const name = a.split('=')[0];
    if (name === '--quick') o.quick = true;
    else if (name === '--generate-only') o.generateOnly = true;
    else if (name === '--rows') rowsGiven = Number(value());
    else if (name === '--size') sizeGiven = parseSize(value());
    else if (name === '--big') o.big = parseSize(value());
    else if (name === '--runs') o.runs = Number(value());
    else if (name === '--ref-rows') o.refRows = Number(value());
    // Flags of bench/run.mjs are passed along too; ignore what is not ours.
  }
  if (o.quick) {
    o.rows = 1_000_000;
    o.refRows = 100_000;
  }
  if (sizeGiven) o.rows = Math.round(sizeGiven / BYTES_PER_ROW);
  if (rowsGiven) o.rows = rowsGiven;
  if (!(o.rows >= 1000) || !(o.runs >= 1) || !(o.refRows >= 1000)) throw new Error('--rows/--ref-rows must be >= 1000 and --runs >= 1');
  o.refRows = Math.min(o.refRows, o.rows);
  return o;
}

// ------------------------------------------------------------------ measuring

// BENCH_NO_TIME=1 tries the polling fallback on a machine that has /usr/bin/time.
const hasTime = fs.existsSync(TIME) && !process.env.BENCH_NO_TIME;

/**
 * Runs a command to completion: wall time (process.hrtime around the child) and the child's peak RSS, from
 * `/usr/bin/time -v` when installed, else by polling VmHWM in /proc/<pid>/status (Linux).
 */
export function measure(cmd, args, { env = process.env, cwd = repoRoot } = {}) {
  return new Promise((resolve, reject) => {
    const viaTime = hasTime;
    const start = process.hrtime.bigint();
    const child = spawn(viaTime ? TIME : cmd, viaTime ? ['-v', cmd, ...args] : args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let hwmKiB = 0;
    const poll = viaTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwmKiB = Math.max(hwmKiB, Number(m[1]));
          } catch {
            /* exited */
          }
        }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (poll) clearInterval(poll);
      if (viaTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (m) hwmKiB = Number(m[1]);
        const cut = stderr.lastIndexOf('\tCommand being timed:');
        if (cut >= 0) stderr = stderr.slice(0, cut);
        const exit = /Exit status: (\d+)/.exec(stderr);
        if (exit) code = Number(exit[1]);
      }
      resolve({ code, ms, rssMiB: hwmKiB ? hwmKiB / 1024 : undefined, stdout, stderr });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `runs` timed runs after `warmup` untimed ones; check(result) throws on a wrong run. */
async function repeat(label, runs, fn, { warmup = 0, check, log, anyExit = false } = {}) {
  const results = [];
  for (let i = 0; i < warmup + runs; i++) {
    const r = await fn();
    if (r.code !== 0 && !anyExit) throw new Error(`${label} failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    check?.(r);
    if (i >= warmup) results.push(r);
    log?.(`  ${label}: ${(r.ms / 1000).toFixed(2)} s${r.rssMiB ? `, ${Math.round(r.rssMiB)} MiB` : ''}${i < warmup ? ' (warm-up)' : ''}`);
  }
  const ms = median(results.map((r) => r.ms));
  const rss = results.map((r) => r.rssMiB).filter((x) => x !== undefined);
  return { label, ms, runsMs: results.map((r) => Math.round(r.ms)), rssMiB: rss.length ? Math.max(...rss) : undefined, last: results.at(-1) };
}

// ------------------------------------------------------------------ data

function freeBytes(dir) {
  const s = fs.statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * A generated file, reused when its sidecar says it was made with the same parameters and size. The generator
 * runs in its own process (so its time and peak RSS are its own).
 */
async function ensureData(file, params, log) {
  const meta = `${file}.json`;
  const want = { generator: (await import('./datavalidate/generate.mjs')).GENERATOR_VERSION, ...params };
  try {
    const have = JSON.parse(fs.readFileSync(meta, 'utf8'));
    if (JSON.stringify(have.params) === JSON.stringify(want) && fs.statSync(file).size === have.bytes) {
      log(`Using cached ${path.relative(repoRoot, file)} (${(have.bytes / 1e6).toFixed(0)} MB, ${params.rows} rows)`);
      return { ...have, cached: true };
    }
  } catch {
    /* not cached */
  }
  log(`Generating ${path.relative(repoRoot, file)} (${params.rows} rows)...`);
  const r = await measure(process.execPath, ['--max-semi-space-size=32', path.join(here, 'generate.mjs'), file, String(params.rows), String(params.seed), String(params.drift)]);
  if (r.code !== 0) throw new Error(`generating ${file} failed:\n${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  const record = { params: want, bytes: out.bytes, rows: out.rows, writeMs: Math.round(r.ms), writeRssMiB: r.rssMiB && Math.round(r.rssMiB) };
  fs.writeFileSync(meta, `${JSON.stringify(record, null, 2)}\n`);
  log(`  ${(out.bytes / 1e6).toFixed(0)} MB in ${(r.ms / 1000).toFixed(1)} s${r.rssMiB ? `, peak RSS ${Math.round(r.rssMiB)} MiB` : ''}`);
  return { ...record, cached: false };
}

// ------------------------------------------------------------------ contenders

const engineScript = path.join(here, 'engine-run.mjs');
const engineBuild = path.join(repoRoot, 'build', 'src', 'data', 'engine.js');

/**
 * Our run. Preferably the bundled task as the agent runs it (start-up, inputs, reports included): workers=1 is
 * `taskset -c 0` (the engine sizes its pool from os.availableParallelism(), which follows the CPU affinity, so it
 * reads with one thread on one core); workers=2 is the default on this 2-core machine. Without the bundle, the
 * engine API from the tsc build (bench/datavalidate/engine-run.mjs) with workers set explicitly.
 */
async function runOurs({ label, data, reference, cores, runs, log, expectRows, viaTask }) {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'dv-bench-'));
  try {
    const reportDir = path.join(temp, 'report');
    let cmd;
    let args;
    let env;
    if (viaTask) {
      env = {
        ...agentLikeEnv(temp),
        INPUT_MODE: 'validate',
        INPUT_DATAPATH: data,
        INPUT_SCHEMA: schemaFile,
        INPUT_FORMAT: 'auto',
        INPUT_REPORTDIRECTORY: reportDir,
        ...(reference ? { INPUT_REFERENCEDATA: reference } : {}),
      };
      cmd = cores === 1 ? 'taskset' : process.execPath;
      args = cores === 1 ? ['-c', '0', process.execPath, taskScriptInUse] : [taskScriptInUse];
    } else {
      env = process.env;
      cmd = process.execPath;
      args = [engineScript, data, reference ?? '-', schemaFile, String(cores), reportDir];
    }
    const reportFile = path.join(reportDir, 'datavalidate-report.json');
    const result = await repeat(
      label,
      runs,
      () => {
        fs.rmSync(reportDir, { recursive: true, force: true });
        return measure(cmd, args, { env, cwd: temp });
      },
      {
        log,
        // A run that checked the whole file and wrote its report is timed even when checks failed (that is the
        // task failing the step, reported below); anything else is an error, not a number.
        anyExit: true,
        check: (r) => {
          const completed = viaTask ? /##vso\[task\.complete result=(Succeeded|SucceededWithIssues|Failed;\]Data validation failed)/.test(r.stdout) : r.code === 0;
          if (!completed || !fs.existsSync(reportFile)) throw new Error(`${label}: the run did not complete:\n${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`);
        },
      },
    );
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    if (expectRows !== undefined && report.rowCount !== expectRows) throw new Error(`${label}: the report counts ${report.rowCount} rows, not ${expectRows}`);
    const threads = /with (\d+ worker threads|one thread)/.exec(result.last.stdout)?.[1];
    return { ...result, report, threads };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

function pandasAvailable() {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import pandas, scipy, yaml'], { stdio: 'ignore' }).status === 0;
}

// ------------------------------------------------------------------ main

const r1 = (n) => (n === undefined ? '–' : n >= 100 ? String(Math.round(n)) : n.toFixed(1));
const r2 = (n) => (n === undefined ? '–' : n.toFixed(2));
const mark = (ok) => (ok === undefined ? '' : ok ? 'met' : '**not met**');

export async function runDataValidateBench(argv = [], { log = console.log } = {}) {
  const o = parseArgs(argv);
  let viaTask = fs.existsSync(taskScript);
  // Run a private copy of the task folder (as an agent runs its own copy of the task): a build started meanwhile
  // (npm run build deletes and rewrites tasks/*/dist) cannot then pull the bundle away mid-benchmark.
  const taskCopy = viaTask ? fs.mkdtempSync(path.join(os.tmpdir(), 'dv-bench-task-')) : undefined;
  if (taskCopy) {
    fs.cpSync(path.dirname(path.dirname(taskScript)), path.join(taskCopy, 'DataValidate'), { recursive: true, filter: (f) => !f.endsWith('.map') });
    taskScriptInUse = path.join(taskCopy, 'DataValidate', 'dist', 'index.js');
    viaTask = fs.existsSync(taskScriptInUse);
  }
  try {
    return await measureAll(o, viaTask, log);
  } finally {
    if (taskCopy) fs.rmSync(taskCopy, { recursive: true, force: true });
  }
}

let taskScriptInUse = taskScript;

async function measureAll(o, viaTask, log) {
  if (!viaTask && !fs.existsSync(engineBuild)) throw new Error(`${path.relative(repoRoot, taskScript)} is missing: run npm run build first.`);
  fs.mkdirSync(dataDir, { recursive: true });
  const notes = [];
  const loadAtStart = os.loadavg()[0];
  log(`\nDataValidate benchmark: ${o.rows} rows, reference ${o.refRows} rows, ${o.runs} run(s) per contender${o.big ? `, big ${(o.big / 1e9).toFixed(1)} GB` : ''}`);
  if (!viaTask) {
    const msg = `${path.relative(repoRoot, taskScript)} is not built: ours runs through the engine API (build/src/data/engine.js via bench/datavalidate/engine-run.mjs), without the task's start-up and report rendering.`;
    log(msg);
    notes.push(msg);
  }
  if (!hasTime) {
    const hint = `${TIME} is missing (Debian: apt-get install time); peak RSS is polled from /proc/<pid>/status VmHWM instead.`;
    log(hint);
    notes.push(hint);
  }

  // ---- data
  const csvFile = path.join(dataDir, `dv-${o.rows}.csv`);
  const refFile = path.join(dataDir, `dv-ref-${o.refRows}.csv`);
  const parquetFile = path.join(dataDir, `dv-${o.rows}.parquet`);
  const refParquetFile = path.join(dataDir, `dv-ref-${o.refRows}.parquet`);
  const bigRows = o.big ? Math.round(o.big / BYTES_PER_ROW) : 0;
  const bigFile = path.join(dataDir, `dv-big-${bigRows}.csv`);
  const cachedSize = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  const need = (f, estimate) => Math.max(0, estimate - cachedSize(f));
  const mainNeed = need(csvFile, o.rows * BYTES_PER_ROW) + need(refFile, o.refRows * BYTES_PER_ROW) + need(parquetFile, o.rows * 45) + need(refParquetFile, o.refRows * 45);
  const free = freeBytes(dataDir);
  if (free < mainNeed * 1.1) throw new Error(`bench/.data needs about ${(mainNeed / 1e9).toFixed(1)} GB free, only ${(free / 1e9).toFixed(1)} GB are.`);
  const main = { seed: 42, drift: 0 };
  const ref = { seed: 7, drift: 1 };
  const gen = {
    csv: await ensureData(csvFile, { rows: o.rows, ...main }, log),
    reference: await ensureData(refFile, { rows: o.refRows, ...ref }, log),
    parquet: await ensureData(parquetFile, { rows: o.rows, ...main }, log),
    referenceParquet: await ensureData(refParquetFile, { rows: o.refRows, ...ref }, log),
  };
  let big;
  if (o.big) {
    const freeNow = freeBytes(dataDir);
    const bigNeed = need(bigFile, bigRows * BYTES_PER_ROW);
    if (freeNow < bigNeed * 1.1) {
      const msg = `Skipping the ${(o.big / 1e9).toFixed(1)} GB run: it needs ${(bigNeed / 1e9).toFixed(1)} GB free in bench/.data, ${(freeNow / 1e9).toFixed(1)} GB are.`;
      log(msg);
      notes.push(msg);
    } else gen.big = await ensureData(bigFile, { rows: bigRows, seed: 43, drift: 0 }, log);
  }
  const csvBytes = gen.csv.bytes;
  if (o.generateOnly) {
    log('Data ready (--generate-only: nothing measured).');
    return { data: gen };
  }

  // ---- contenders (warm cache: the first wc -l run reads each file into the page cache and is not timed)
  const rows = [];
  log('Measuring (warm cache)...');
  const wc = await repeat('wc -l', Math.max(o.runs, 5), () => measure('wc', ['-l', csvFile]), { warmup: 1, log });
  rows.push({ id: 'wc', contender: '`wc -l` (the floor)', does: 'counts newlines', bytes: csvBytes, rowCount: o.rows, ...wc });
  await measure('wc', ['-l', refFile]);

  let pandas;
  if (pandasAvailable()) {
    pandas = await repeat('pandas', o.runs, () => measure(PYTHON, [path.join(here, 'pandas_check.py'), csvFile, refFile, schemaFile]), { log });
    pandas.out = JSON.parse(pandas.last.stdout.trim().split('\n').at(-1));
    rows.push({
      id: 'pandas',
      contender: `pandas ${pandas.out.pandas}, 1M-row chunks`,
      does: 'every schema check (to_numeric/to_datetime coerce, isin, str.fullmatch, str.len, exact id uniqueness) + drift vs the reference (W1/std on a 10 % sample, JS distance on exact counts)',
      bytes: csvBytes,
      rowCount: o.rows,
      ...pandas,
    });
  } else {
    const msg = `pandas skipped: ${PYTHON} lacks pandas/scipy/yaml (Debian: apt-get install python3-pandas python3-scipy python3-yaml).`;
    log(msg);
    notes.push(msg);
  }

  const parsers = [];
  for (const p of ['udsv', 'papaparse']) {
    const r = await repeat(p, o.runs, () => measure(process.execPath, [path.join(here, 'parsers.mjs'), p, csvFile]), {
      log,
      check: (x) => {
        const out = JSON.parse(x.stdout);
        if (out.rows !== o.rows) throw new Error(`${p} read ${out.rows} rows, not ${o.rows}`);
      },
    });
    parsers.push({ id: p, contender: p === 'udsv' ? 'uDSV 0.7.3 (npm), parse only' : 'papaparse 5.7.1 (npm), parse only', does: 'parses every field to a string; row count, empty cells per column, min/max income', bytes: csvBytes, rowCount: o.rows, ...r });
  }
  const bestParser = parsers.reduce((a, b) => (b.ms < a.ms ? b : a));
  rows.push(...parsers);

  // The Parquet decoders alone, one thread each: the library, and the page decoder of our own that reads what it
  // can of a file (it is worth keeping only while it beats the library by a wide margin).
  const decoders = {};
  if (fs.existsSync(path.join(repoRoot, 'build', 'src', 'data', 'readers', 'parquet-pages.js'))) {
    for (const d of ['wasm', 'pages']) {
      decoders[d] = await repeat(`Parquet decode (${d})`, o.runs, () => measure(process.execPath, [path.join(here, 'parquet-decode.mjs'), d, parquetFile]), {
        log,
        check: (x) => {
          const out = JSON.parse(x.stdout);
          if (out.rows !== o.rows) throw new Error(`the ${d} decoder read ${out.rows} rows, not ${o.rows}`);
        },
      });
      rows.push({
        id: `decode-${d}`,
        contender: d === 'wasm' ? 'parquet-wasm 0.8.0 (npm), decode only, 1 thread' : 'our Parquet page decoder, decode only, 1 thread',
        does: 'decodes every column of the Parquet twin into the typed columns the checks read; row count, nulls per column',
        bytes: gen.parquet.bytes,
        rowCount: o.rows,
        ...decoders[d],
      });
    }
  } else notes.push('The Parquet decoders alone were not measured: they run from the tsc build (npm run build).');

  const ourDoes = viaTask
    ? 'the bundled task as the agent runs it: every schema check, column profiles, drift vs the reference, JSON/JUnit/Markdown reports'
    : 'the engine API (validateData; task bundle not built): every schema check, column profiles, drift vs the reference, JSON report';
  const w1 = await runOurs({ label: 'ours, 1 core', data: csvFile, reference: refFile, cores: 1, runs: o.runs, log, expectRows: o.rows, viaTask });
  rows.push({ id: 'ours1', contender: `DataValidate, workers=1 (${w1.threads})`, does: ourDoes, bytes: csvBytes, rowCount: o.rows, ...w1 });
  const w2 = await runOurs({ label: 'ours, 2 cores', data: csvFile, reference: refFile, cores: 2, runs: o.runs, log, expectRows: o.rows, viaTask });
  rows.push({ id: 'ours2', contender: `DataValidate, workers=2 (${w2.threads})`, does: ourDoes, bytes: csvBytes, rowCount: o.rows, ...w2 });
  const pq = await runOurs({ label: 'ours, Parquet', data: parquetFile, reference: refParquetFile, cores: 2, runs: o.runs, log, expectRows: o.rows, viaTask });
  rows.push({ id: 'parquet', contender: `DataValidate on the Parquet twin (${pq.threads})`, does: `${ourDoes} (reference also Parquet)`, bytes: gen.parquet.bytes, rowCount: o.rows, ...pq });
  let bigRun;
  if (gen.big) {
    await measure('wc', ['-l', bigFile]);
    bigRun = await runOurs({ label: 'ours, big CSV', data: bigFile, reference: refFile, cores: 2, runs: o.runs, log, expectRows: bigRows, viaTask });
    rows.push({ id: 'big', contender: `DataValidate, workers=2, ${(gen.big.bytes / 1e9).toFixed(1)} GB CSV`, does: ourDoes, bytes: gen.big.bytes, rowCount: bigRows, ...bigRun });
  }

  // The data passes every check by construction, so a failed check of ours is a finding in its own right.
  for (const [label, run] of [['workers=1', w1], ['workers=2', w2], ['Parquet', pq], ['big CSV', bigRun]]) {
    const failed = run?.report.checks.filter((c) => !c.success) ?? [];
    if (failed.length) {
      notes.push(`Ours (${label}) failed ${failed.length} check(s) on data that passes them all: ${failed.map((c) => `${c.id}: observed ${c.observed ?? '?'}`).join('; ')}.`);
    }
  }
  const loadAtEnd = os.loadavg()[0];
  // At the end the load includes our own two worker threads, so only the start tells of other work.
  if (loadAtStart > os.availableParallelism() / 2) {
    notes.push(`The machine was busy before the measurements (1-minute load average ${loadAtStart.toFixed(1)} on ${os.availableParallelism()} cores, which may include the preceding steps of npm run bench): times are likely slower than on an idle machine.`);
  }

  // ---- derived numbers
  for (const r of rows) {
    r.MBps = r.bytes / 1e6 / (r.ms / 1000);
    r.rowsPerS = r.rowCount / (r.ms / 1000);
    r.vsWc = r.id === 'big' || r.id === 'parquet' || r.id.startsWith('decode-') ? undefined : wc.ms / r.ms;
  }
  const ratios = {
    csvMBps: csvBytes / 1e6 / (w2.ms / 1000),
    oursVsPandas: pandas ? pandas.ms / w2.ms : undefined,
    ours1VsPandas: pandas ? pandas.ms / w1.ms : undefined,
    oursVsBestParser: bestParser.ms / w2.ms,
    ours1VsBestParser: bestParser.ms / w1.ms,
    oursVsWc: wc.ms / w2.ms,
    speedup2Workers: w1.ms / w2.ms,
    peakRssMiB: { csv1GB: w2.rssMiB, csvWorkers1: w1.rssMiB, parquet: pq.rssMiB, big: bigRun?.rssMiB },
    parquetRowsPerS: o.rows / (pq.ms / 1000),
    pagesVsParquetWasm: decoders.wasm && decoders.pages ? decoders.wasm.ms / decoders.pages.ms : undefined,
  };
  const csvRss = [w1.rssMiB, w2.rssMiB, bigRun?.rssMiB].filter((x) => x !== undefined);
  const targets = [
    { target: `CSV throughput, both cores >= ${TARGETS.csvMBps} MB/s`, value: `${r1(ratios.csvMBps)} MB/s`, met: ratios.csvMBps >= TARGETS.csvMBps },
    { target: `>= ${TARGETS.vsPandas}x pandas (same checks)`, value: pandas ? `${r2(ratios.oursVsPandas)}x (1 core: ${r2(ratios.ours1VsPandas)}x)` : 'pandas skipped', met: pandas ? ratios.oursVsPandas >= TARGETS.vsPandas : undefined },
    {
      target: `peak RSS < ${TARGETS.rssMiB} MiB, independent of file size (CSV)`,
      value: `${r1(w1.rssMiB)} (1 core) / ${r1(w2.rssMiB)} (2 cores) MiB${bigRun ? `; ${r1(bigRun.rssMiB)} MiB on ${(gen.big.bytes / 1e9).toFixed(1)} GB` : ''}`,
      met: csvRss.length ? Math.max(...csvRss) < TARGETS.rssMiB : undefined,
    },
    { target: `Parquet >= ${TARGETS.parquetRowsPerS / 1e6}M rows/s`, value: `${r2(ratios.parquetRowsPerS / 1e6)}M rows/s (peak RSS ${r1(pq.rssMiB)} MiB)`, met: ratios.parquetRowsPerS >= TARGETS.parquetRowsPerS },
  ];

  // Drift and check results of ours next to pandas', so that "the same checks" can be seen to hold.
  const ourDrift = Object.fromEntries((w2.report.drift?.results ?? []).map((d) => [d.column, d]));
  const driftRows = pandas ? Object.entries(pandas.out.drift).map(([column, p]) => ({ column, metric: p.metric, pandas: p.value, pandasDrifted: p.drifted, ours: ourDrift[column]?.value, oursMetric: ourDrift[column]?.metric, oursDrifted: ourDrift[column]?.drifted })) : [];
  const ourFailed = w2.report.checks.filter((c) => !c.success).map((c) => c.id);

  const result = {
    date: new Date().toISOString(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() || undefined,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: `${os.cpus()[0]?.model} x${os.availableParallelism()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number(loadAtEnd.toFixed(2)) },
    options: o,
    ours: viaTask ? 'bundled task (node tasks/DataValidate/dist/index.js, INPUT_* variables)' : 'engine API (build/src/data/engine.js)',
    rssSource: hasTime ? '/usr/bin/time -v (max resident set size)' : '/proc/<pid>/status VmHWM, polled every 20 ms',
    data: Object.fromEntries(Object.entries(gen).map(([k, v]) => [k, { rows: v.rows, bytes: v.bytes, writeMs: v.writeMs, writeRssMiB: v.writeRssMiB, cached: v.cached }])),
    contenders: rows.map(({ last, report, out, ...r }) => ({ ...r, ms: Math.round(r.ms), rssMiB: r.rssMiB && Math.round(r.rssMiB) })),
    ratios,
    targets,
    drift: driftRows,
    checks: { oursFailed: ourFailed, oursChecks: w2.report.checks.length, pandasFailures: pandas?.out.failures, oursRows: w2.report.rowCount, pandasRows: pandas?.out.rows },
    notes,
  };

  const md = [
    `# DataValidate benchmark ${result.date}`,
    '',
    `${result.node} on ${result.platform} (${result.cpu}, ${result.memoryGiB} GiB), commit ${result.commit ?? 'unknown'}. ` +
      `Median wall time of ${o.runs} run(s) (wc -l: ${Math.max(o.runs, 5)}), warm page cache; peak RSS = the largest of the runs, from ${result.rssSource}. ` +
      `Load average ${result.loadAverage.start} at the start, ${result.loadAverage.end} at the end.`,
    '',
    `Data: ${o.rows.toLocaleString('en-US')} rows x 12 columns, CSV ${(csvBytes / 1e6).toFixed(1)} MB; reference ${o.refRows.toLocaleString('en-US')} rows (${(gen.reference.bytes / 1e6).toFixed(1)} MB, another seed, shifted); ` +
      `Parquet twin ${(gen.parquet.bytes / 1e6).toFixed(1)} MB (snappy, 1M-row row groups)${gen.big ? `; big CSV ${(gen.big.bytes / 1e6).toFixed(0)} MB, ${bigRows.toLocaleString('en-US')} rows` : ''}.`,
    '',
    '| contender | median s (runs) | MB/s | M rows/s | peak RSS MiB | x `wc -l` speed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.contender} | ${r2(r.ms / 1000)} (${r.runsMs.map((x) => (x / 1000).toFixed(2)).join(' / ')}) | ${r1(r.MBps)} | ${r2(r.rowsPerS / 1e6)} | ${r1(r.rssMiB)} | ${r.vsWc === undefined ? '' : r.vsWc.toFixed(3)} |`),
    '',
    `MB/s and rows/s: the file under test (its own format) divided by the wall time of the whole process, start-up included. pandas and ours also read the reference (${(gen.reference.bytes / 1e6).toFixed(0)} MB; the Parquet run its Parquet twin) and compute drift within that time; the parsers and \`wc -l\` do not.`,
    '',
    '## Ratios and targets',
    '',
    'Speed ratios are the other time divided by ours: above 1, ours is faster.',
    '',
    `- ours (2 cores) vs pandas: **${pandas ? `${r2(ratios.oursVsPandas)}x` : 'n/a'}**; 1 core: ${pandas ? `${r2(ratios.ours1VsPandas)}x` : 'n/a'}`,
    `- ours (2 cores) vs best npm parser alone (${bestParser.id}, parse + trivial aggregate): **${r2(ratios.oursVsBestParser)}x**; 1 core: ${r2(ratios.ours1VsBestParser)}x`,
    `- ours (2 cores) vs \`wc -l\`: ${ratios.oursVsWc.toFixed(3)}x its speed; 2 workers vs 1: ${r2(ratios.speedup2Workers)}x`,
    `- Parquet decoding alone, our page decoder vs parquet-wasm: ${ratios.pagesVsParquetWasm === undefined ? 'n/a' : `**${r2(ratios.pagesVsParquetWasm)}x**`}`,
    '',
    '| target | got | |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${t.target} | ${t.value} | ${mark(t.met)} |`),
    '',
    '## What each contender does',
    '',
    ...rows.filter((r, i, all) => all.findIndex((x) => x.does === r.does) === i).map((r) => `- **${r.contender}**: ${r.does}.`),
    viaTask
      ? `- Ours with workers=1 is the same task under \`taskset -c 0\` (the engine sizes its pool from os.availableParallelism(), which follows the CPU affinity); workers=2 is its default here.`
      : '- Ours with workers=1 / workers=2: the engine option `workers`.',
    '',
    '## Same checks, same answers',
    '',
    `- rows: ours ${w2.report.rowCount}, pandas ${pandas?.out.rows ?? 'n/a'}; failed checks: ours ${ourFailed.length ? ourFailed.join(', ') : 'none'} (of ${w2.report.checks.length}), pandas ${pandas ? Object.keys(pandas.out.failures).join(', ') || 'none' : 'n/a'}`,
    ...(driftRows.length
      ? ['', '| drift column | metric | pandas | ours | drifted (pandas / ours) |', '| --- | --- | ---: | ---: | --- |', ...driftRows.map((d) => `| ${d.column} | ${d.metric}${d.oursMetric && d.oursMetric !== d.metric ? ` (ours: ${d.oursMetric})` : ''} | ${d.pandas} | ${d.ours === undefined ? '–' : Number(d.ours).toFixed(4)} | ${d.pandasDrifted} / ${d.oursDrifted ?? '–'} |`)]
      : []),
    '',
    '## Data generation (one-off, cached in bench/.data)',
    '',
    '| file | rows | MB | write s | writer peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(gen).map(([k, v]) => `| ${k} | ${v.rows} | ${(v.bytes / 1e6).toFixed(1)} | ${v.writeMs ? (v.writeMs / 1000).toFixed(1) : '–'} | ${v.writeRssMiB ?? '–'} |`),
    '',
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');

  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'datavalidate.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'datavalidate.md'), md);
  log(md);
  log(`Written to ${path.relative(repoRoot, resultsDir)}/datavalidate.json and datavalidate.md`);
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runDataValidateBench(process.argv.slice(2)).catch((e) => {
    console.error(`DataValidate benchmark failed: ${e.message}`);
    process.exit(1);
  });
}
