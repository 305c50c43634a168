// AmlTrain benchmark, against the local fake Azure (started in this process, Azurite included):
//   (a) code snapshot: a generated code folder (200 MB by default, 2,000 files) hashed and uploaded by the product's
//       hashCodeFolder / uploadCodeSnapshot in a fresh process, as a pipeline run does it: hash MB/s, upload MB/s,
//       and the second run of the same folder (deduplicated: hash + lookup, nothing uploaded, checked on Azurite's log).
//   (b) API calls of the wait loop: submitJob (build/src/jobs/train.js) on a job that runs 60 minutes by the fake's
//       simulated clock, with sleep/now injected so the loop's waits move that clock instead of real time. Every
//       ARM, data-plane and identity request the fake records after submission is counted: whatever the loop does
//       (status polls, log streaming, run details), with nothing assumed about it.
//
//   node bench/train.mjs [--code-mb 200] [--no-upload] [--no-wait]   (needs the build: npm run build)
//   also part of `npm run bench` (--no-train leaves it out)
//
// Writes bench/results/train.json and train.md. The code folder is cached in bench/.data/ (git-ignored).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const buildDir = path.join(repoRoot, 'build');
const dataDir = path.join(benchDir, '.data');
const resultsDir = path.join(benchDir, 'results');
const MB = 1e6;
const FILES = 2_000;
const LARGE_FILES = 40;
const JOB_MINUTES = 60;

export function parseArgs(argv) {
  const o = { codeMb: 200, upload: true, wait: true };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=');
    if (name === '--code-mb') o.codeMb = Number(inline ?? argv[++i]);
    else if (name === '--no-upload') o.upload = false;
    else if (name === '--no-wait') o.wait = false;
    // Flags of bench/run.mjs are passed along too; ignore what is not ours.
  }
  if (!(o.codeMb >= 1)) throw new Error('--code-mb must be at least 1');
  return o;
}

// ------------------------------------------------------------------ the code folder

/**
 * A code folder of `totalBytes` in FILES files: most of them small sources (1-16 KB), LARGE_FILES of them sharing
 * the rest (weights, sample data). Contents are pseudo-random and every file differs; the same parameters give the
 * same folder, which is kept in bench/.data/ and reused.
 */
function ensureCodeFolder(totalBytes) {
  const dir = path.join(dataDir, `code-${Math.round(totalBytes / MB)}mb`);
  const sidecar = `${dir}.json`;
  const params = { files: FILES, largeFiles: LARGE_FILES, totalBytes, generator: 1 };
  if (fs.existsSync(sidecar) && JSON.stringify(JSON.parse(fs.readFileSync(sidecar, 'utf8'))) === JSON.stringify(params)) return dir;

  fs.mkdirSync(dataDir, { recursive: true });
  const free = fs.statfsSync(dataDir);
  if (free.bavail * free.bsize < totalBytes * 1.2) throw new Error(`not enough free disk space in ${dataDir} for a ${totalBytes / MB} MB code folder`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(sidecar, { force: true });
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const block = crypto.createHash('sha512');
  const pool = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < pool.length; i += 64) block.copy().update(String(i)).digest().copy(pool, i);
  const write = (rel, size, n) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    const header = Buffer.from(`# file ${n}\n`);
    fs.writeSync(fd, header.subarray(0, Math.min(header.length, size)));
    for (let written = header.length, offset = (n * 7919) % pool.length; written < size; ) {
      const chunk = pool.subarray(offset, Math.min(pool.length, offset + size - written));
      fs.writeSync(fd, chunk);
      written += chunk.length;
      offset = 0;
    }
    fs.closeSync(fd);
  };
  let small = 0;
  for (let n = 0; n < FILES - LARGE_FILES; n++) {
    const size = 1024 + Math.floor(random() * 15 * 1024);
    write(`src/pkg${String(n % 40).padStart(2, '0')}/module_${n}.py`, size, n);
    small += size;
  }
  const large = Math.floor((totalBytes - small) / LARGE_FILES);
  for (let n = 0; n < LARGE_FILES; n++) write(`assets/blob_${n}.bin`, n === 0 ? totalBytes - small - large * (LARGE_FILES - 1) : large, FILES + n);
  fs.writeFileSync(sidecar, JSON.stringify(params));
  return dir;
}

// ------------------------------------------------------------------ measuring

function runChild(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

async function benchUpload(fake, codeMb) {
  const dir = ensureCodeFolder(codeMb * MB);
  const env = {
    NODE_EXTRA_CA_CERTS: fake.caCertPath,
    NODE_OPTIONS: `--require ${fake.dnsPreloadPath}`,
    BENCH_FAKE: JSON.stringify({
      url: fake.url,
      armAudience: fake.armAudience,
      tenantId: fake.tenantId,
      clientId: fake.identities.secret.clientId,
      clientSecret: fake.identities.secret.clientSecret,
      workspace: { subscriptionId: fake.subscriptionId, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName },
    }),
  };
  const script = path.join(benchDir, 'train', 'upload-run.mjs');
  const uploads = () => fake.storage.requests.filter((r) => BLOB_UPLOAD_OPERATIONS.has(r.operation));

  fake.storage.clearRequests();
  const first = await runChild([script, 'first', dir], env);
  const firstUploads = uploads();
  if (first.reused || first.uploadedBytes !== first.bytes) throw new Error(`the first run did not upload the folder: ${JSON.stringify(first)}`);
  fake.storage.clearRequests();
  const again = await runChild([script, 'again', dir], env);
  const againUploads = uploads();
  if (!again.reused || again.uploadedBytes !== 0) throw new Error(`the second run was not deduplicated: ${JSON.stringify(again)}`);
  return {
    folder: { files: first.files, bytes: first.bytes, dir: path.relative(repoRoot, dir) },
    hash: { ms: first.hashMs, MBps: first.bytes / MB / (first.hashMs / 1000) },
    upload: {
      ms: first.uploadMs,
      MBps: first.bytes / MB / (first.uploadMs / 1000),
      requests: firstUploads.length,
      operations: countBy(firstUploads, (r) => r.operation),
      requestBytes: firstUploads.reduce((n, r) => n + r.requestBytes, 0),
      maxInFlight: Math.max(0, ...firstUploads.map((r) => r.inFlight)),
    },
    again: { ms: again.totalMs, uploadRequests: againUploads.length, uploadedBytes: again.uploadedBytes, blobRequests: fake.storage.requests.length },
  };
}

async function benchWait(fake, clock) {
  const { submitJob } = require(path.join(buildDir, 'src', 'jobs', 'train.js'));
  const { WorkspaceClient } = require(path.join(buildDir, 'src', 'workspace', 'client.js'));
  const { ClientSecretCredential } = require('@azure/identity');
  const ca = fs.readFileSync(fake.caCertPath, 'utf8');
  const { clientId, clientSecret } = fake.identities.secret;
  // In-process clients cannot use NODE_EXTRA_CA_CERTS (read at start-up): the credential and every pipeline of the
  // workspace client are told to trust the fake's CA.
  const credential = new ClientSecretCredential(fake.tenantId, clientId, clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca } });
  const cloud = { authorityHost: fake.url, resourceManagerUrl: fake.url, resourceManagerAudience: fake.armAudience };
  const workspace = { subscriptionId: fake.subscriptionId, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName };
  const messages = [];
  const log = { info: (m) => messages.push(m), warning: (m) => messages.push(`warning: ${m}`), debug: () => {} };
  const client = new WorkspaceClient({ credential, cloud, workspace, identity: 'bench', log });
  trustCa(client, { ca });

  fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], runMinutes: JOB_MINUTES });
  let submittedAt;
  let sleeps = 0;
  const result = await submitJob({
    jobSpecFile: path.join(benchDir, 'train', 'job.yml'),
    waitForCompletion: true,
    timeoutMinutes: 0,
    cancelJobOnAbort: true,
    // As AmlTrain passes it (its default), for a loop that streams the job's log.
    streamLogs: true,
    build: {},
    client,
    credential,
    log,
    onSecret: () => {},
    onSubmitted: () => {
      fake.clearRequests();
      submittedAt = clock.now().getTime();
    },
    // The loop's waits move the simulated clock; nothing waits for real.
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      sleeps += 1;
      clock.advance(ms);
      await new Promise((r) => setImmediate(r));
    },
    now: () => clock.now().getTime(),
  });
  fake.workspace.scriptJobs(undefined);
  if (result.status !== 'Completed') throw new Error(`the benchmark job ended ${result.status}: ${messages.join('\n')}`);
  const job = fake.workspace.jobs().find((j) => j.name === result.jobName);
  const waitedMinutes = (clock.now().getTime() - submittedAt) / 60_000;
  const ranMinutes = (job.endTime.getTime() - job.startTime.getTime()) / 60_000;
  const byKind = countBy(fake.requests, (r) => r.kind);
  const apiCalls = (byKind.arm ?? 0) + (byKind.data ?? 0);
  return {
    jobMinutes: ranMinutes,
    waitedMinutes,
    sleeps,
    calls: { total: apiCalls, arm: byKind.arm ?? 0, data: byKind.data ?? 0, identity: (byKind.entra ?? 0) + (byKind.ado ?? 0) + (byKind.imds ?? 0) },
    callsPerJobMinute: apiCalls / waitedMinutes,
    requests: countBy(fake.requests, (r) => `${r.kind} ${r.method} ${describePath(r.path)}`),
  };
}

/** Adds the CA to every request of the client's pipelines (the SDK's and the one for signed URLs). */
function trustCa(client, tlsSettings) {
  const policy = { name: 'benchTrustFakeCa', sendRequest: (request, next) => ((request.tlsSettings = tlsSettings), next(request)) };
  for (const candidate of [client.sdk?.pipeline, ...Object.values(client)]) {
    if (candidate && typeof candidate.addPolicy === 'function' && !candidate.getOrderedPolicies().some((p) => p.name === policy.name)) candidate.addPolicy(policy);
  }
}

/** A recorded path with names and ids replaced, so the same kind of request groups together. */
function describePath(p) {
  return p
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+/i, '{workspace}')
    .replace(/\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+/i, '/{workspace}')
    .replace(/\/(jobs|runs)\/[^/]+/g, '/$1/{job}')
    .replace(/dcid\.[^/]+/g, 'dcid.{job}');
}

function countBy(items, key) {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

let BLOB_UPLOAD_OPERATIONS;

export async function runTrainBench(argv = []) {
  const o = parseArgs(argv);
  if (!o.upload && !o.wait) return;
  const fakeModule = path.join(buildDir, 'test', 'fake-azure', 'index.js');
  if (!fs.existsSync(fakeModule)) throw new Error(`${fakeModule} does not exist: build first (npm run build).`);
  const { startFakeAzure, SimulatedClock } = require(fakeModule);
  ({ BLOB_UPLOAD_OPERATIONS } = require(path.join(buildDir, 'test', 'fake-azure', 'storage.js')));
  // *.localhost names (the blob host) resolve to loopback in this process too.
  require(path.join(buildDir, 'test', 'support', 'localhost-dns.js'));

  const loadBefore = os.loadavg();
  const clock = new SimulatedClock();
  const fake = await startFakeAzure({ clock });
  let upload;
  let wait;
  try {
    if (o.upload) upload = await benchUpload(fake, o.codeMb);
    if (o.wait) wait = await benchWait(fake, clock);
  } finally {
    await fake.stop();
  }
  const loadAfter = os.loadavg();

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: `${os.cpus()[0]?.model} x${os.cpus().length}`,
    loadavg: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
    upload,
    wait,
  };
  const md = [`# AmlTrain benchmark ${result.date}`, '', `${result.node} on ${result.platform} (${result.cpu}); load average 1/5/15 min before ${result.loadavg.before.join(' / ')}, after ${result.loadavg.after.join(' / ')}.`, ''];
  if (upload) {
    md.push(
      `## Code snapshot: ${upload.folder.files} files, ${(upload.folder.bytes / MB).toFixed(0)} MB (\`${upload.folder.dir}\`, warm page cache)`,
      '',
      '| step | time | throughput | requests |',
      '| --- | ---: | ---: | --- |',
      `| hash (hashCodeFolder) | ${secs(upload.hash.ms)} | ${upload.hash.MBps.toFixed(0)} MB/s | |`,
      `| upload to Azurite, first run (files + registering the version) | ${secs(upload.upload.ms)} | ${upload.upload.MBps.toFixed(0)} MB/s | ${Object.entries(upload.upload.operations).map(([k, v]) => `${v} ${k}`).join(', ')}; at most ${upload.upload.maxInFlight} in flight |`,
      `| second run, same folder (hash + lookup by hash) | ${secs(upload.again.ms)} | deduplicated | ${upload.again.uploadRequests} upload requests, ${upload.again.uploadedBytes} bytes |`,
      '',
      'Azurite runs in memory behind the fake\'s request log (an in-process HTTPS proxy), on the same machine: the upload figure is the product\'s pace against a local emulator, not a storage account\'s.',
      '',
    );
  }
  if (wait) {
    md.push(
      `## Wait loop: API calls for a ${JOB_MINUTES}-minute job (simulated clock)`,
      '',
      `The job ran ${wait.jobMinutes.toFixed(1)} simulated minutes; the loop waited ${wait.waitedMinutes.toFixed(1)} minutes in ${wait.sleeps} sleeps.`,
      '',
      '| | calls |',
      '| --- | ---: |',
      `| ARM + data plane, whole wait | ${wait.calls.total} (ARM ${wait.calls.arm}, data plane ${wait.calls.data}) |`,
      `| per job-minute | ${wait.callsPerJobMinute.toFixed(2)} |`,
      `| identity (Entra, Azure DevOps, IMDS) | ${wait.calls.identity} |`,
      '',
      '| request | count |',
      '| --- | ---: |',
      ...Object.entries(wait.requests).sort((a, b) => b[1] - a[1]).map(([k, v]) => `| \`${k}\` | ${v} |`),
      '',
    );
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'train.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'train.md'), md.join('\n'));
  console.log(md.join('\n'));
  console.log(`Written to ${path.relative(repoRoot, resultsDir)}/train.json and train.md`);
}

const round2 = (n) => Math.round(n * 100) / 100;
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runTrainBench(process.argv.slice(2)).catch((e) => {
    console.error(`AmlTrain benchmark failed: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}
