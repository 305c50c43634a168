import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRootOf } from '../../../src/cli/task-manifest';

const root = repoRootOf();

/**
 * A preload that refuses to resolve any name that is not this machine's (the fake Azure is on *.localhost and
 * 127.0.0.1), and writes the names asked for to a file: the demo must run without the internet.
 */
const offlinePreload = `
const dns = require('dns');
const fs = require('fs');
const local = (h) => typeof h !== 'string' || /^(localhost|.*\\.localhost\\.?|127\\.[0-9.]+|::1)$/i.test(h);
const refuse = (h) => {
  fs.appendFileSync(process.env.DEMO_TEST_LOOKUPS, h + '\\n');
  return Object.assign(new Error('getaddrinfo ENOTFOUND ' + h + ' (offline test)'), { code: 'ENOTFOUND', hostname: h });
};
const realLookup = dns.lookup;
dns.lookup = function (h, ...rest) {
  if (local(h)) return realLookup.call(dns, h, ...rest);
  const cb = rest[rest.length - 1];
  process.nextTick(() => cb(refuse(h)));
};
const realPromises = dns.promises.lookup;
dns.promises.lookup = async (h, ...rest) => (local(h) ? realPromises.call(dns.promises, h, ...rest) : Promise.reject(refuse(h)));
`;

interface DemoRun {
  code: number | null;
  log: string;
  lookups: string[];
}

/** `npm start` after the build: node scripts/demo.mjs, with the internet refused. */
function runDemo(dir: string, args: string[]): Promise<DemoRun> {
  const preload = path.join(dir, 'offline.js');
  const lookups = path.join(dir, `lookups-${Date.now()}.txt`);
  fs.writeFileSync(preload, offlinePreload);
  fs.writeFileSync(lookups, '');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${preload}`, DEMO_TEST_LOOKUPS: lookups };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log, lookups: fs.readFileSync(lookups, 'utf8').split('\n').filter(Boolean) }));
  });
}

/** The steps of examples/azure-pipelines.yml, as `<summary name>`: `<task>`. */
const steps: Array<[string, string]> = [
  ['Validate-validate', 'DataValidate'],
  ['Train-train', 'AmlTrain'],
  ['Train-register', 'AmlRegisterModel'],
  ['Package-package', 'AmlPackage'],
  ['DeployDev-deploy', 'AmlDeploy'],
  ['Promote-promote', 'AmlRegisterModel'],
  ['DeployProd-deploy', 'AmlDeploy'],
];

describe('npm start: the example pipeline against the simulated Azure', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    if (!fs.existsSync(path.join(root, 'build', 'test', 'fake-azure', 'index.js')) || !fs.existsSync(path.join(root, 'tasks', 'AmlPackage', 'dist', 'index.js'))) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-mlops-demo-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole loop offline: validate, train, register, package, deploy to dev, promote, deploy to prod', async () => {
    const out = path.join(dir, 'good');
    const r = await runDemo(dir, ['--out', out]);
    assert.strictEqual(r.code, 0, r.log);
    assert.deepStrictEqual(r.lookups, [], `the demo looked up names outside this machine:\n${r.log}`);
    for (const [summary, task] of steps) {
      assert.ok(r.log.includes(`==> ${task} (${summary})`), `${task} (${summary}) did not run:\n${r.log}`);
      const file = path.join(out, `${summary}-summary.md`);
      assert.ok(fs.existsSync(file) && fs.statSync(file).size > 0, `no summary ${file}`);
    }
    assert.match(r.log, /Pipeline succeeded: 7 step\(s\) run/);
    assert.match(r.log, /The metric gate passed/);
    assert.match(r.log, /Promoted diabetes-ridge:1 from workspace mlw-demo to workspace mlw-prod/);
    assert.match(r.log, /Rollout of 'v\d+' to 'diabetes-endpoint' finished/);
    assert.doesNotMatch(r.log, /^(ERROR|FAILED)/m);
    assert.doesNotMatch(r.log, /Could not read the job's log/, 'the training log of the development workspace was not served');

    // The build context AmlPackage wrote: the registered model's files, the scoring code and its requirements.
    const context = /^output contextPath = (.+)$/m.exec(r.log)?.[1];
    assert.ok(context && fs.existsSync(context), r.log);
    for (const f of ['Dockerfile', 'model/MLmodel', 'model/model.pkl', 'code/score.py', 'environment/requirements.txt']) assert.ok(fs.existsSync(path.join(context, f)), f);
    assert.match(fs.readFileSync(path.join(out, 'Validate-validate-summary.md'), 'utf8'), /diabetes\.csv/);
  });

  it('stops at DataValidate with its report when the training data is bad, and runs nothing after it', async () => {
    const out = path.join(dir, 'bad');
    const r = await runDemo(dir, ['--out', out, '--var', 'trainingData=test/e2e/fixtures/data/diabetes-bad.csv']);
    assert.strictEqual(r.code, 1, r.log);
    assert.deepStrictEqual(r.lookups, []);
    assert.match(r.log, /ERROR: Data validation failed: 2 check\(s\) failed \(column\.bmi\.max, column\.target\.nullable\)/);
    assert.match(r.log, /FAILED at step 'validate' \(DataValidate@1\) in job Validate\.validate\. Its summary: .*Validate-validate-summary\.md/);
    const report = fs.readFileSync(path.join(out, 'Validate-validate-summary.md'), 'utf8');
    assert.match(report, /bmi/);
    assert.match(report, /target/);
    for (const [summary, task] of steps.slice(1)) {
      assert.ok(!r.log.includes(`==> ${task} (${summary})`), `${summary} ran after the failed validation`);
      assert.ok(!fs.existsSync(path.join(out, `${summary}-summary.md`)), `${summary} left a summary`);
    }
    assert.doesNotMatch(r.log, /== stage Train/);
  });
});
