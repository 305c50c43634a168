// npm run bench (builds first): how fast the shipped tasks start and how much they weigh.
//   (a) cold start: `node tasks/<Name>/dist/index.js` as the agent runs it (fresh process, agent-like environment,
//       a temp AGENT_TEMPDIRECTORY) with its required inputs missing, so it exits right after start-up;
//       compared with `node -e 0` started the same way, which is the part no task can save.
//   (b) size: each bundle (raw and gzip) and a freshly made .vsix.
//   (c) DataValidate throughput against wc -l, pandas and npm CSV parsers (bench/datavalidate.mjs; its flags such as
//       --quick or --big 4g are passed on; --no-datavalidate leaves it out).
//   (d) AmlTrain: code snapshot hash/upload throughput and deduplication, and API calls of the wait loop per
//       job-minute, against the local fake Azure (bench/train.mjs; --code-mb N, --no-upload, --no-wait are passed
//       on; --no-train leaves it out).
// Writes bench/results/latest.json and latest.md. Numbers depend on the machine: compare runs on the same one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { agentLikeEnv, extraBundles, formatBytes } from '../scripts/build.mjs';
import { packageExtension } from '../scripts/package.mjs';
import { listNodeTasks, repoRoot } from '../scripts/stamp-version.mjs';
import { runDataValidateBench } from './datavalidate.mjs';
import { runTrainBench } from './train.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2; // fill the file cache first: agents run tasks from a cached folder too
const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { runs: ms.length, median: percentile(sorted, 50), p90: percentile(sorted, 90), min: sorted[0], max: sorted.at(-1) };
}

/** Wall time of fresh processes, in ms. */
function timeRuns(args, check) {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-mlops-bench-'));
  try {
    const env = agentLikeEnv(temp);
    const times = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, args, { cwd: temp, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      check?.(r);
      if (i >= WARMUP) times.push(ms);
    }
    return stats(times);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

const round = (n) => Math.round(n * 10) / 10;

async function main() {
  const tasks = listNodeTasks();
  const baseline = timeRuns(['-e', '0']);
  const startup = tasks.map((t) => {
    const s = timeRuns([path.join(t.dir, 'dist', 'index.js')], (r) => {
      // Only a run that got as far as reporting the missing input measures start-up.
      if (!/##vso\[task\.complete result=Failed/.test(r.stdout)) throw new Error(`${t.name} did not start as expected:\n${r.stdout}${r.stderr}`);
    });
    return { task: t.name, ...s, overNode: { median: s.median - baseline.median, p90: s.p90 - baseline.p90 } };
  });

  // Every bundle a task ships: index.js, and the extra ones it loads by path (worker threads, Azure-only code).
  const bundles = tasks.flatMap((t) =>
    ['index.js', ...extraBundles(t.dir)].map((file) => {
      const js = fs.readFileSync(path.join(t.dir, 'dist', file));
      return { task: t.name, file, bytes: js.length, gzipBytes: zlib.gzipSync(js).length };
    }),
  );
  const { vsix, bytes: vsixBytes } = await packageExtension({ skipBuild: true, log: () => {} });

  const result = {
    date: new Date().toISOString(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() || undefined,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model,
    runs: RUNS,
    baseline: { command: 'node -e 0', ...baseline },
    startup,
    bundles,
    vsix: { file: path.relative(repoRoot, vsix).split(path.sep).join('/'), bytes: vsixBytes },
  };

  const md = [
    `# Benchmark ${result.date}`,
    '',
    `${result.node} on ${result.platform} (${result.cpu}), commit ${result.commit ?? 'unknown'}; ${RUNS} runs each after ${WARMUP} warm-up runs.`,
    '',
    '## Cold start (ms, wall time of a fresh process)',
    '',
    '| Process | median | p90 | min | max | median over node |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| \`node -e 0\` | ${round(baseline.median)} | ${round(baseline.p90)} | ${round(baseline.min)} | ${round(baseline.max)} | 0 |`,
    ...startup.map((s) => `| ${s.task} bundle | ${round(s.median)} | ${round(s.p90)} | ${round(s.min)} | ${round(s.max)} | ${round(s.overNode.median)} |`),
    '',
    '## Size',
    '',
    '| Artifact | bytes | size | gzip |',
    '| --- | ---: | ---: | ---: |',
    ...bundles.map((b) => `| tasks/${b.task}/dist/${b.file} | ${b.bytes} | ${formatBytes(b.bytes)} | ${formatBytes(b.gzipBytes)} |`),
    `| ${result.vsix.file} | ${vsixBytes} | ${formatBytes(vsixBytes)} | |`,
    '',
  ].join('\n');

  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'latest.md'), md);
  console.log(md);
  console.log(`Written to ${path.relative(repoRoot, resultsDir)}/latest.json and latest.md`);

  const args = process.argv.slice(2);
  if (!args.includes('--no-datavalidate')) await runDataValidateBench(args);
  if (!args.includes('--no-train')) await runTrainBench(args);
}

main().catch((e) => {
  console.error(`Benchmark failed: ${e.message}`);
  process.exit(1);
});
