import * as assert from 'assert';
import * as path from 'path';
import type { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { runL0Scenario, SPN_ENDPOINT } from '../l0';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskJson = path.join(repoRoot, 'tasks', 'AmlTrain', 'task.json');
const jobSpec = path.join(repoRoot, 'test', 'e2e', 'fixtures', 'project', 'job.yml');

const spn = SPN_ENDPOINT;
const base = { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', jobSpec };

function runScenario(scenario: object): Promise<MockTestRunner> {
  return runL0Scenario(path.join(__dirname, 'scenario.js'), taskJson, scenario);
}

describe('AmlTrain entry point (L0, mock runner)', function () {
  this.timeout(30_000);

  it('sets the output variables and succeeds when the job completes', async () => {
    const tr = await runScenario({
      inputs: base,
      endpoint: spn,
      submitResult: { jobName: 'job_abc', status: 'Completed', studioUrl: 'https://ml.azure.com/runs/job_abc', experimentName: 'exp', timedOut: false, canceledByTask: false },
    });
    assert.ok(tr.succeeded, tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=jobName;isOutput=true;issecret=false;]job_abc'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=jobStatus;isOutput=true;issecret=false;]Completed'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=studioUrl;isOutput=true;issecret=false;]https://ml.azure.com/runs/job_abc'));
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
  });

  it('sets the metrics and one output variable per job output', async () => {
    const tr = await runScenario({
      inputs: base,
      endpoint: spn,
      submitResult: { jobName: 'job_m', status: 'Completed', studioUrl: 'https://ml.azure.com/runs/job_m', experimentName: 'e', timedOut: false, canceledByTask: false },
      report: { metrics: { r2: 0.81 }, outputs: { default: 'azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.job_m/', model: 'azureml://datastores/workspaceblobstore/paths/m/' } },
    });
    assert.ok(tr.succeeded, tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=metrics;isOutput=true;issecret=false;]{"r2":0.81}'), tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=output_default;isOutput=true;issecret=false;]azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.job_m/'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=output_model;isOutput=true;issecret=false;]azureml://datastores/workspaceblobstore/paths/m/'));
    assert.ok(tr.stdout.includes('Metrics: r2=0.81'));
  });

  it('fails a failed job with the last lines of its log in the error', async () => {
    const tr = await runScenario({
      inputs: base,
      endpoint: spn,
      submitResult: { jobName: 'job_f', status: 'Failed', error: 'UserError: boom', studioUrl: 'https://ml.azure.com/runs/job_f', experimentName: 'e', timedOut: false, canceledByTask: false },
      report: { logTail: { source: "job 'job_f'", lines: ['Traceback (most recent call last):', 'KeyError: target'] } },
    });
    assert.ok(tr.failed);
    assert.strictEqual(tr.errorIssues.length, 1);
    assert.match(tr.errorIssues[0], /ended with status Failed: UserError: boom See https:\/\/ml\.azure\.com\/runs\/job_f\nLast 2 lines of the log of job 'job_f':\nTraceback \(most recent call last\):\nKeyError: target/);
  });

  it('reports on an existing job in report mode without submitting, and sets the outputs', async () => {
    const tr = await runScenario({
      inputs: { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', mode: 'report', jobName: 'job_r' },
      endpoint: spn,
      attachResult: { status: 'Completed', studioUrl: 'https://ml.azure.com/runs/job_r', experimentName: 'e', timedOut: false, canceledByTask: false },
      report: { metrics: { acc: 0.9 } },
    });
    assert.ok(tr.succeeded, tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=jobName;isOutput=true;issecret=false;]job_r'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=jobStatus;isOutput=true;issecret=false;]Completed'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=metrics;isOutput=true;issecret=false;]{"acc":0.9}'));
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
  });

  it('fails report mode when the job did not complete', async () => {
    const tr = await runScenario({
      inputs: { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', mode: 'report', jobName: 'job_c' },
      endpoint: spn,
      attachResult: { status: 'Canceled', studioUrl: 'https://ml.azure.com/runs/job_c', experimentName: 'e', timedOut: false, canceledByTask: false },
    });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Job 'job_c' ended with status Canceled/);
    assert.ok(tr.stdout.includes('variable=jobStatus;isOutput=true;issecret=false;]Canceled'));
  });

  it('asks for the job name in report mode', async () => {
    const tr = await runScenario({ inputs: { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', mode: 'report' }, endpoint: spn });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Input 'jobName' is required/);
  });

  it('masks the service principal secret as soon as it reads the connection', async () => {
    const tr = await runScenario({ inputs: base, endpoint: spn, submitResult: { jobName: 'j', status: 'Completed', studioUrl: 'https://x', experimentName: 'e' } });
    assert.ok(tr.stdout.includes('##vso[task.setsecret]l0-secret-value-123'));
  });

  it('fails when the job fails, naming its status and error', async () => {
    const tr = await runScenario({
      inputs: base,
      endpoint: spn,
      submitResult: { jobName: 'job_x', status: 'Failed', error: 'UserError: boom', studioUrl: 'https://ml.azure.com/runs/job_x', experimentName: 'e', timedOut: false, canceledByTask: false },
    });
    assert.ok(tr.failed);
    assert.strictEqual(tr.errorIssues.length, 1);
    assert.match(tr.errorIssues[0], /ended with status Failed: UserError: boom/);
  });

  it('succeeds without waiting when waitForCompletion is false', async () => {
    const tr = await runScenario({
      inputs: { ...base, waitForCompletion: 'false' },
      endpoint: spn,
      submitResult: { jobName: 'job_y', status: 'Queued', studioUrl: 'https://ml.azure.com/runs/job_y', experimentName: 'e', timedOut: false, canceledByTask: false },
    });
    assert.ok(tr.succeeded, tr.stdout);
    assert.ok(tr.stdout.includes('variable=jobStatus;isOutput=true;issecret=false;]Queued'));
  });

  it('reports a problem in the job YAML with its file and line', async () => {
    const tr = await runScenario({ inputs: base, endpoint: spn, submitError: { userError: true, message: 'Unknown field comand', file: jobSpec, line: 7 } });
    assert.ok(tr.failed);
    assert.ok(tr.stdout.includes(`##vso[task.logissue type=error;sourcepath=${jobSpec};linenumber=7;]Unknown field comand`), tr.stdout);
    assert.ok(!tr.stdout.includes('##vso[task.issue type=error'), 'the error was reported twice');
  });

  it('reports an unexpected failure without a stack trace in the log', async () => {
    const tr = await runScenario({ inputs: base, endpoint: spn, submitError: { userError: false, message: 'kaboom' } });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Unexpected error: kaboom/);
    const visible = tr.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.debug]')).join('\n');
    assert.doesNotMatch(visible, /\n\s+at .+:\d+:\d+/);
  });

  it('fails clearly when the job YAML input is missing', async () => {
    const tr = await runScenario({ inputs: { ...base, jobSpec: '' }, endpoint: spn });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Input 'jobSpec' is required/);
  });

  it('rejects a service connection scheme it cannot use', async () => {
    const tr = await runScenario({ inputs: base, endpoint: { scheme: 'Certificate', params: {} } });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /authentication scheme 'Certificate'/);
  });
});
