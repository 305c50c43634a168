import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runPipeline } from '../../../src/cli/run-pipeline';
import { runTask } from '../../../src/cli/run-task';
import { repoRootOf } from '../../../src/cli/task-manifest';
import type { ConnectionProfile } from '../../../src/cli/connection';
import { customers, toDelimited, write } from '../../e2e/data-fixtures';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';

const root = repoRootOf();
const schema = path.join(root, 'test', 'e2e', 'fixtures', 'data', 'schema.yml');
const jobSpec = path.join(root, 'test', 'e2e', 'fixtures', 'project', 'job.yml');

describe('aml-mlops: running bundled tasks and pipelines', function () {
  this.timeout(120_000);
  let dir: string;
  let printed: string[];
  const print = (l: string) => printed.push(l);
  beforeEach(() => (printed = []));

  before(function () {
    if (!fs.existsSync(path.join(root, 'tasks', 'DataValidate', 'dist', 'index.js'))) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-mlops-cli-'));
    write(dir, 'good.csv', toDelimited(customers(150, 7), ','));
    const bad = customers(150, 7);
    bad[3].age = 12;
    write(dir, 'bad.csv', toDelimited(bad, ','));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('run, without Azure', () => {
    it('runs DataValidate on local data and returns its output variables and summary', async () => {
      const out = path.join(dir, 'out-good');
      const r = await runTask({ task: 'DataValidate', inputs: { dataPath: 'good.csv', schema }, out, cwd: dir, print });
      assert.ok(r.ok, printed.join('\n'));
      assert.strictEqual(r.outcome.outputs.validationPassed, 'true');
      assert.ok(fs.existsSync(r.outcome.outputs.reportPath), 'no report');
      assert.strictEqual(r.summaryFile, path.join(out, 'DataValidate-summary.md'));
      assert.match(fs.readFileSync(r.summaryFile!, 'utf8'), /good\.csv/);
      assert.ok(printed.includes('output validationPassed = true'), printed.join('\n'));
      assert.strictEqual(printed[printed.length - 1], 'Result: Succeeded');
      assert.ok(!printed.some((l) => l.startsWith('##vso[')), 'a raw logging command was printed');
      assert.ok(r.outcome.outputs.reportPath.startsWith(path.join(out, 'temp')), 'the agent temp folder is not under --out');
    });

    it('reports a failed validation as an ERROR line and a failed result', async () => {
      const r = await runTask({ task: 'DataValidate', inputs: { dataPath: 'bad.csv', schema }, out: path.join(dir, 'out-bad'), cwd: dir, print });
      assert.ok(!r.ok);
      assert.ok(printed.some((l) => /^ERROR: Data validation failed: 1 check\(s\) failed \(column\.age\.min\)/.test(l)), printed.join('\n'));
      assert.match(printed[printed.length - 1], /^Result: Failed: Data validation failed/);
    });

    it('stops a pipeline at its failed step, naming it and its summary, and skips what is not ours', async () => {
      const file = path.join(dir, 'validate-then-train.yml');
      fs.writeFileSync(file, [
        'steps:',
        '  - checkout: self',
        '  - script: echo hello',
        '  - task: DataValidate@1',
        '    name: validate',
        `    inputs: { dataPath: bad.csv, schema: '${schema}' }`,
        '  - task: AmlTrain@1',
        '    name: train',
        '    inputs: { jobSpec: job.yml }',
        '',
      ].join('\n'));
      const r = await runPipeline({ file, out: path.join(dir, 'out-pipeline-bad'), workdir: dir, print });
      const log = printed.join('\n');
      assert.ok(!r.ok);
      assert.strictEqual(r.failedStep, 'Job.validate');
      assert.deepStrictEqual(r.stepsRun, ['Job.validate']);
      assert.match(log, /skip checkout step 'checkout 1': not one of this extension's tasks/);
      assert.match(log, /skip script step 'script 2'/);
      assert.match(log, new RegExp(`FAILED at step 'validate' \\(DataValidate@1\\) in job Job\\. Its summary: ${r.summaryFile!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.ok(fs.existsSync(r.summaryFile!));
      assert.doesNotMatch(log, /==> AmlTrain/);
    });
  });

  describe('against the local fake Azure with a connection profile', () => {
    let fake: FakeAzure;
    let profile: ConnectionProfile;
    const saved = { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, NODE_OPTIONS: process.env.NODE_OPTIONS };

    before(async () => {
      fake = await startFakeAzure();
      const id = fake.identities.secret;
      profile = { scheme: 'ServicePrincipal', tenantId: fake.tenantId, clientId: id.clientId, clientSecret: id.clientSecret, subscriptionId: fake.subscriptionId,
        resourceManagerUrl: fake.url, authorityHost: fake.url, resourceManagerAudience: fake.armAudience };
      // The tasks run in child processes, which inherit these to reach the fake.
      process.env.NODE_EXTRA_CA_CERTS = fake.caCertPath;
      process.env.NODE_OPTIONS = `--require ${fake.dnsPreloadPath}`;
      fake.workspace.scriptJobs({ metrics: { r2: 0.61 } });
    });
    after(async () => {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await fake?.stop();
    });

    it('runs AmlTrain with the profile as its service connection, masking the secret', async () => {
      const r = await runTask({ task: 'AmlTrain', inputs: { azureSubscription: 'aml-dev', resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, jobSpec },
        connection: profile, out: path.join(dir, 'out-train'), cwd: path.dirname(jobSpec), print });
      const log = printed.join('\n');
      assert.ok(r.ok, log);
      assert.strictEqual(r.outcome.outputs.jobStatus, 'Completed');
      assert.match(r.outcome.outputs.jobName, /^job_/);
      assert.ok(printed.includes(`output jobName = ${r.outcome.outputs.jobName}`));
      assert.ok(fs.existsSync(r.summaryFile!));
      assert.ok(!log.includes(profile.clientSecret!), 'the client secret is visible');
      const job = fake.workspace.jobs().find((j) => j.name === r.outcome.outputs.jobName)!;
      assert.ok(job, 'the job was not submitted to the fake');
    });

    it('runs a pipeline whose later steps consume earlier outputs, in the job and across stages', async () => {
      const file = path.join(dir, 'train-register-report.yml');
      fs.writeFileSync(file, `
variables:
  - name: serviceConnection
    value: aml-dev
  - name: workspaceName
    value: mlw-unknown
stages:
  - stage: Train
    jobs:
      - job: train
        steps:
          - task: AmlTrain@1
            name: train
            inputs:
              azureSubscription: $(serviceConnection)
              resourceGroup: ${fake.resourceGroup}
              workspaceName: $(workspaceName)
              jobSpec: ${jobSpec}
          - bash: echo $(train.jobName)
          - task: AmlRegisterModel@1
            name: register
            inputs:
              azureSubscription: $(serviceConnection)
              resourceGroup: ${fake.resourceGroup}
              workspaceName: $(workspaceName)
              modelName: cli-model
              modelType: custom_model
              jobName: $(train.jobName)
              jobOutput: default
              metrics: $(train.metrics)
              metricConditions: r2 >= 0.5
  - stage: Report
    dependsOn: Train
    jobs:
      - job: report
        condition: eq(stageDependencies.Train.train.outputs['register.modelRegistered'], 'true')
        variables:
          jobName: $[ stageDependencies.Train.train.outputs['train.jobName'] ]
        steps:
          - task: AmlJobWait@1
            inputs: { jobName: $(jobName) }
          - task: AmlTrain@1
            name: report
            inputs:
              azureSubscription: $(serviceConnection)
              resourceGroup: ${fake.resourceGroup}
              workspaceName: $(workspaceName)
              mode: report
              jobName: $(jobName)
`);
      const r = await runPipeline({ file, out: path.join(dir, 'out-pipeline'), workdir: dir, connection: { byName: { 'AML-DEV': profile } }, vars: { workspaceName: fake.workspaceName }, print });
      const log = printed.join('\n');
      assert.ok(r.ok, log);
      assert.deepStrictEqual(r.stepsRun, ['Train.train.train', 'Train.train.register', 'Report.report.report']);
      const jobName = r.outputs['Train.train.train.jobName'];
      assert.match(jobName, /^job_/);
      assert.strictEqual(r.outputs['Train.train.register.modelRegistered'], 'true');
      assert.strictEqual(r.outputs['Report.report.report.jobName'], jobName, 'the report stage did not get the job name of the Train stage');
      assert.match(log, /skip AmlJobWait@1 step '.*': a server task/);
      assert.match(log, /skip bash step/);
      assert.ok(fs.existsSync(path.join(dir, 'out-pipeline', 'Train-register-summary.md')));
      assert.ok(!log.includes(profile.clientSecret!), 'the client secret is visible');

      printed = [];
      const only = await runPipeline({ file, stage: 'report', out: path.join(dir, 'out-stage'), workdir: dir, connection: profile, print,
        vars: { workspaceName: fake.workspaceName, 'train.jobName': jobName, 'register.modelRegistered': 'true' } });
      assert.ok(only.ok, printed.join('\n'));
      assert.deepStrictEqual(only.stepsRun, ['Report.report.report'], '--stage ran another stage');
      assert.strictEqual(only.outputs['Report.report.report.jobName'], jobName, 'the output of the stage not run was not taken from --var');
    });
  });
});
