import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { rawRequest, tokenWithSecret } from '../fake-azure/client';
import { assertNoSecretsVisible, runTaskAsAgent, summaryOf } from './harness';

const project = path.join(__dirname, 'fixtures', 'project');
// Compiled tests run from build/; the fixtures stay in the source tree.
const fixtures = fs.existsSync(project) ? project : path.resolve(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures', 'project');
const jobSpec = path.join(fixtures, 'job.yml');

/** The lines of `log` that are exactly one of `lines` (with `prefix`), in the order they appear. */
function printed(log: string, lines: string[], prefix = ''): string[] {
  const wanted = new Set(lines.map((l) => prefix + l));
  return log.split(/\r?\n/).filter((l) => wanted.has(l)).map((l) => l.slice(prefix.length));
}

describe('AmlTrain while the job runs and after it, against the local Azure', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let temp: string;

  before(async () => {
    fake = await startFakeAzure();
  });
  after(async () => {
    await fake?.stop();
  });
  beforeEach(() => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-e2e-'));
  });
  afterEach(() => {
    fake.workspace.scriptJobs(undefined);
    fs.rmSync(temp, { recursive: true, force: true });
  });

  /** Runs the task with an agent temp folder this test keeps, so the run summary can be read. */
  const run = (inputs: Record<string, string>) =>
    runTaskAsAgent({
      fake,
      task: 'AmlTrain',
      scheme: 'secret',
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, ...inputs },
      cwd: fixtures,
      env: { AGENT_TEMPDIRECTORY: temp },
    });

  async function putJob(name: string, properties: Record<string, unknown>): Promise<void> {
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const url = `${fake.url}/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}/jobs/${name}?api-version=2024-04-01`;
    const res = await rawRequest(fake.caCertPath, url, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: { properties } });
    assert.strictEqual(res.status, 201, res.text);
  }

  const computeId = () => `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}/computes/cpu-cluster`;
  const environmentId = () => `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}/environments/sklearn-env/versions/1`;

  /** Pipeline steps that run one registered component, as a pipeline YAML with `component: azureml:step:1` submits them. */
  function stepNode(): (name: string) => Record<string, unknown> {
    const workspaceId = `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
    if (!fake.workspace.resources('components').some((c) => c.name === 'step')) {
      fake.workspace.seedVersion('components', 'step', '1', {
        componentSpec: { name: 'step', version: '1', type: 'command', command: 'python step.py', environment: `azureml:${environmentId()}`, inputs: {}, outputs: {} },
      });
    }
    return (name) => ({ name, type: 'command', componentId: `${workspaceId}/components/step/versions/1`, inputs: {}, outputs: {} });
  }

  it('streams a command job log once and in order, shows status changes, and reports metrics, summary and outputs', async () => {
    const logLines = Array.from({ length: 12 }, (_, i) => `epoch ${i + 1}/12 loss=${(1 / (i + 1)).toFixed(3)}`);
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Preparing', 'Running', 'Running', 'Running', 'Finalizing', 'Completed'], logLines, metrics: { r2: 0.812, rmse: [61.2, 55.4, 53.9] } });
    const r = await run({ jobSpec });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(printed(r.visibleLog, logLines), logLines, 'every log line exactly once, in order');
    const statuses = r.visibleLog.split('\n').filter((l) => l.startsWith('Job status: ')).map((l) => l.slice('Job status: '.length));
    assert.deepStrictEqual(statuses, ['Queued', 'Preparing', 'Running', 'Finalizing', 'Completed']);
    assert.deepStrictEqual(JSON.parse(r.outputs.metrics), { r2: 0.812, rmse: 53.9 });
    assert.strictEqual(r.outputs.jobStatus, 'Completed');
    assert.strictEqual(r.outputs.output_default, `azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.${r.outputs.jobName}/`);
    assert.ok(!('output_model' in r.outputs), 'an output without a uri gets no variable');
    const summary = summaryOf(r);
    assert.match(summary, new RegExp(`\\[train-diabetes\\]\\(https://ml\\.azure\\.com/runs/${r.outputs.jobName}`));
    assert.match(summary, /\| Status \| Completed \|/);
    assert.match(summary, /\| Compute \| cpu-cluster \|/);
    assert.match(summary, /\| Duration \| \d+s \|/);
    assert.match(summary, /\| r2 \| 0\.812 \|/);
    assert.match(summary, /\| rmse \| 53\.9 \|/);
    assert.match(summary, /\| default \| azureml:\/\/datastores\/workspaceartifactstore/);
    assert.ok(r.maskedSecrets.some((s) => s.includes('/azureml-logs/ExperimentRun/')), 'the log SAS URL was not masked');
    assertNoSecretsVisible(r, fake, { logUrls: true });
  });

  it('fails a failed job with its error and the last 50 lines of its log', async () => {
    const logLines = Array.from({ length: 80 }, (_, i) => `line ${i + 1}`);
    logLines.push('Traceback (most recent call last):', "ModuleNotFoundError: No module named 'sklearn'");
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Failed'], error: { code: 'UserError', message: 'Execution failed. User process exited with status code 1.' }, logLines });
    const r = await run({ jobSpec });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.outputs.jobStatus, 'Failed');
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    const error = r.errors[0];
    assert.match(error, /ended with status Failed: UserError: Execution failed/);
    assert.match(error, /https:\/\/ml\.azure\.com\/runs\//);
    const tail = error.split('\n').filter((l) => /^line \d+$|^Traceback|^ModuleNotFoundError/.test(l));
    assert.deepStrictEqual(tail, logLines.slice(-50));
    assert.deepStrictEqual(printed(r.visibleLog.replace(/##vso\[task\.[^\n]*\n?/g, ''), logLines), logLines, 'the streamed log is complete too');
    assert.match(summaryOf(r), /ModuleNotFoundError/);
  });

  it('reports on an existing pipeline job: every step log line once, in order, prefixed, then the summary', async () => {
    const steps = { prep: 5, train: 9, eval: 4 };
    const lines = (step: string, n: number) => Array.from({ length: n }, (_, i) => `${step} line ${i + 1}`);
    fake.workspace.scriptJobs({
      statuses: ['Queued', 'Running', 'Completed'],
      steps: {
        prep: { statuses: ['Queued', 'Running', 'Completed'], logLines: lines('prep', steps.prep), metrics: { rows: 442 } },
        train: { statuses: ['Queued', 'Running', 'Running', 'Running', 'Completed'], logLines: lines('train', steps.train), metrics: { r2: 0.79 } },
        eval: { statuses: ['Running', 'Completed'], logLines: lines('eval', steps.eval), metrics: { r2_test: 0.75 } },
      },
    });
    const node = stepNode();
    await putJob('pipeline_report_1', {
      jobType: 'Pipeline',
      experimentName: 'diabetes-pipeline',
      displayName: 'prep-train-eval',
      settings: { default_compute: computeId() },
      jobs: { prep: node('prep'), train: node('train'), eval: node('eval') },
      outputs: { model: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/models/pipeline_report_1/' }, report: { jobOutputType: 'uri_file' } },
    });
    const r = await run({ mode: 'report', jobName: 'pipeline_report_1' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    for (const [step, n] of Object.entries(steps)) {
      assert.deepStrictEqual(printed(r.visibleLog, lines(step, n), `[${step}] `), lines(step, n), `step ${step}`);
      assert.match(r.visibleLog, new RegExp(`\\[${step}\\] status: Completed`));
    }
    assert.ok(r.visibleLog.indexOf('[prep] prep line 1') < r.visibleLog.indexOf('[train] train line 1'), 'steps run one after another');
    assert.strictEqual(r.outputs.jobName, 'pipeline_report_1');
    assert.strictEqual(r.outputs.jobStatus, 'Completed');
    assert.strictEqual(r.outputs.output_model, 'azureml://datastores/workspaceblobstore/paths/models/pipeline_report_1/');
    assert.ok(!('output_report' in r.outputs));
    assert.deepStrictEqual(JSON.parse(r.outputs.metrics), { 'prep.rows': 442, 'train.r2': 0.79, 'eval.r2_test': 0.75 });
    const summary = summaryOf(r);
    assert.match(summary, /\| Step \| Status \|/);
    for (const step of Object.keys(steps)) assert.match(summary, new RegExp(`\\| ${step} \\| Completed \\|`));
    const summaryAt = r.visibleLog.indexOf('##vso[task.uploadsummary]');
    assert.ok(summaryAt > r.visibleLog.lastIndexOf('[eval] eval line'), 'the summary comes after the logs');
    assert.strictEqual(fake.workspace.jobs().filter((j) => j.name === 'pipeline_report_1').length, 1, 'nothing was submitted');
    assertNoSecretsVisible(r, fake, { logUrls: true });
  });

  it('fails report mode on a pipeline whose step failed, with that step log tail', async () => {
    fake.workspace.scriptJobs({
      steps: { train: { statuses: ['Running', 'Failed'], logLines: ['loading data', 'ValueError: bad column'], error: { code: 'UserError', message: 'ValueError: bad column' } } },
    });
    const node = stepNode();
    await putJob('pipeline_report_2', { jobType: 'Pipeline', settings: { default_compute: computeId() }, jobs: { prep: node('prep'), train: node('train'), eval: node('eval') } });
    const r = await run({ mode: 'report', jobName: 'pipeline_report_2' });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /Failed nodes: \/train/);
    assert.match(r.errors[0], /step 'train'[^\n]*:\nloading data\nValueError: bad column/);
  });

  it('reports on a sweep job and names its best trial', async () => {
    fake.workspace.scriptJobs({
      trials: [{ metrics: { auc: [0.6, 0.7] } }, { metrics: { auc: [0.8, 0.91] } }, { metrics: { auc: [0.85, 0.88] } }],
    });
    await putJob('sweep_report_1', {
      jobType: 'Sweep',
      experimentName: 'diabetes-sweep',
      computeId: computeId(),
      objective: { primaryMetric: 'auc', goal: 'Maximize' },
      samplingAlgorithm: { samplingAlgorithmType: 'Random' },
      searchSpace: { alpha: ['uniform', [0.01, 1]] },
      limits: { jobLimitsType: 'Sweep', maxTotalTrials: 3, maxConcurrentTrials: 3 },
      trial: { command: 'python train.py --alpha ${{search_space.alpha}}', environmentId: environmentId() },
    });
    const r = await run({ mode: 'report', jobName: 'sweep_report_1' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.match(r.visibleLog, /Launching trial sweep_report_1_0/, "the sweep's own log is streamed");
    const summary = summaryOf(r);
    assert.match(summary, /\| Best trial \| sweep\\_report\\_1\\_1 \(auc = 0\.91, maximize\) \|/);
    assert.match(summary, /\| sweep\\_report\\_1\\_1 \(best\) \| Completed \| 0\.91 \|/);
    assert.match(summary, /\| Trial \| Status \| auc \|/);
  });

  it('prints the log tail and fails in report mode when the job had already failed', async () => {
    const logLines = Array.from({ length: 60 }, (_, i) => `step ${i + 1}`);
    fake.workspace.scriptJobs({ statuses: ['Running', 'Failed'], logLines });
    const first = await run({ jobSpec, waitForCompletion: 'false' });
    const jobName = first.outputs.jobName;
    while (fake.workspace.advanceJob(jobName) !== 'Failed');
    const r = await run({ mode: 'report', jobName });
    assert.strictEqual(r.result, 'Failed');
    assert.deepStrictEqual(printed(r.visibleLog.replace(/##vso\[task\.[^\n]*\n?/g, ''), logLines), logLines.slice(-50), 'the last 50 lines, once');
    assert.strictEqual(r.outputs.jobStatus, 'Failed');
    assert.match(r.errors[0], /ended with status Failed/);
  });

  it('fails report mode clearly when the job does not exist', async () => {
    const r = await run({ mode: 'report', jobName: 'no_such_job' });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.errors.length, 1);
    assert.match(r.errors[0], /job 'no_such_job' was not found/);
  });
});
