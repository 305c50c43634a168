import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rawRequest, tokenWithSecret } from '../fake-azure/client';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { assertNoSecretsVisible, runTaskAsAgent, STACK_TRACE, summaryOf, type AgentRun } from './harness';

describe('AmlRegisterModel, run as the agent runs it, against the local Azure', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let temp: string;
  let summaries: string;

  before(async () => {
    fake = await startFakeAzure();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'register-e2e-'));
    summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'register-e2e-summaries-'));
  });
  after(async () => {
    await fake?.stop();
    for (const dir of [temp, summaries]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => fake.workspace.scriptJobs(undefined));

  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runTaskAsAgent({
      fake,
      task: 'AmlRegisterModel',
      scheme: 'secret',
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, ...inputs },
      cwd: temp,
      // The summary file must outlive the run for the test to read it.
      env: { AGENT_TEMPDIRECTORY: summaries, ...env },
    });

  const workspacePath = () => `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;

  /** A command job with a `model` output, run to its end; metrics as MLflow will report them. */
  async function completedJob(name: string, metrics: Record<string, number>, statuses?: string[]): Promise<string> {
    fake.workspace.scriptJobs({ metrics, ...(statuses ? { statuses } : {}) });
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const properties = {
      jobType: 'Command',
      experimentName: 'churn',
      command: 'python train.py --out ${{outputs.model}}',
      environmentId: `${workspacePath()}/environments/sklearn-env/versions/1`,
      computeId: `${workspacePath()}/computes/cpu-cluster`,
      outputs: { model: { jobOutputType: 'uri_folder' } },
    };
    const res = await rawRequest(fake.caCertPath, `${fake.url}${workspacePath()}/jobs/${name}?api-version=2024-04-01`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: { properties } });
    assert.strictEqual(res.status, 201, res.text);
    const end = statuses?.[statuses.length - 1] ?? 'Completed';
    for (let i = 0; i < 20 && fake.workspace.advanceJob(name) !== end; i++);
    fake.workspace.scriptJobs(undefined);
    return name;
  }

  const versionOf = (name: string, version: string) => fake.workspace.resources('models').find((m) => m.name === name && m.version === version);

  /** One clear error, nothing created, no stack trace, no secret. */
  function assertRefused(r: AgentRun, createdBefore: number, message: RegExp) {
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], message);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    assert.doesNotMatch(r.visibleLog, /Unexpected error/);
    assert.strictEqual(fake.workspace.createdCount(), createdBefore, 'something was created');
    assertNoSecretsVisible(r, fake, { storageKey: 'whenOn' });
  }

  it('registers a job output with lineage tags and the job\'s metrics once the gate passes, and a retried run registers nothing new', async () => {
    const job = await completedJob('churn_train_1', { accuracy: 0.93, rmse: 3.1 });
    const r = await run({ modelName: 'churn', jobName: job, jobOutput: 'model', metricConditions: 'accuracy >= 0.9\nrmse < 3.5', description: 'Churn classifier', tags: 'team=growth' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(
      { ...r.outputs },
      { modelName: 'churn', modelRegistered: 'true', modelVersion: '1', modelUri: 'azureml:churn:1', modelId: `${workspacePath()}/models/churn/versions/1` },
    );
    const v = versionOf('churn', '1')!;
    assert.strictEqual(v.properties.modelUri, `azureml://jobs/${job}/outputs/model`);
    assert.strictEqual(v.properties.modelType, 'custom_model');
    assert.strictEqual(v.properties.jobName, job);
    assert.strictEqual(v.properties.description, 'Churn classifier');
    assert.deepStrictEqual(
      { ...v.properties.tags },
      {
        team: 'growth',
        'azure-devops.buildId': '4242',
        'azure-devops.buildNumber': '20261129.3',
        'azure-devops.pipeline': 'mlops-train',
        'azure-devops.project': 'mlops',
        'azure-devops.repository': 'https://dev.azure.com/fabrikam/mlops/_git/churn-model',
        'azure-devops.sourceVersion': '1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e',
        'azure-devops.sourceBranch': 'refs/heads/main',
        'azure-devops.runUrl': 'https://dev.azure.com/fabrikam/mlops/_build/results?buildId=4242',
        'azure-devops.sourceJob': job,
      },
    );
    assert.deepStrictEqual({ ...v.properties.properties }, { 'metrics.accuracy': '0.93', 'metrics.rmse': '3.1' });
    const summary = summaryOf(r);
    assert.match(summary, /\| Metric \| Candidate \| Condition \/ champion \| Result \|/);
    assert.match(summary, /\| accuracy \| 0\.93 \| \\>= 0\.9 \| pass \|/);
    assert.match(summary, /\| rmse \| 3\.1 \| \\< 3\.5 \| pass \|/);
    assertNoSecretsVisible(r, fake, { storageKey: 'whenOn' });

    const created = fake.workspace.createdCount();
    const retry = await run({ modelName: 'churn', jobName: job, jobOutput: 'model', metricConditions: 'accuracy >= 0.9\nrmse < 3.5', description: 'Churn classifier', tags: 'team=growth' });
    assert.strictEqual(retry.result, 'Succeeded', retry.visibleLog);
    assert.strictEqual(fake.workspace.createdCount(), created, 'a retried run created something');
    assert.strictEqual(retry.outputs.modelVersion, '1');
    assert.strictEqual(retry.outputs.modelRegistered, 'true');
    assert.match(retry.visibleLog, /This pipeline run \(build 4242\) already registered churn:1 from this source/);

    // Another pipeline run from the same job is a new version.
    const next = await run({ modelName: 'churn', jobName: job, jobOutput: 'model' }, { BUILD_BUILDID: '4243' });
    assert.strictEqual(next.result, 'Succeeded', next.visibleLog);
    assert.strictEqual(next.outputs.modelVersion, '2');
  });

  it('registers a path in the job\'s artifacts as an MLflow model', async () => {
    const job = await completedJob('churn_train_art', { accuracy: 0.91 });
    const r = await run({ modelName: 'churn-mlflow', jobName: job, artifactPath: 'model', modelType: 'mlflow_model', stage: 'Development' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const v = versionOf('churn-mlflow', '1')!;
    assert.strictEqual(v.properties.modelUri, `azureml://jobs/${job}/outputs/artifacts/paths/model/`);
    assert.strictEqual(v.properties.modelType, 'mlflow_model');
    assert.strictEqual(v.properties.stage, 'Development');
    assertNoSecretsVisible(r, fake, { storageKey: 'whenOn' });
  });

  it('uploads a local folder with nested files to the default datastore, and uploads nothing for the same content again', async () => {
    const model = path.join(temp, 'outputs', 'model');
    fs.mkdirSync(path.join(model, 'weights'), { recursive: true });
    fs.writeFileSync(path.join(model, 'MLmodel'), 'flavors:\n  python_function: {}\n');
    fs.writeFileSync(path.join(model, 'weights', 'layer1.bin'), Buffer.alloc(3000, 7));
    fake.storage!.clearRequests();
    const r = await run({ modelName: 'local-model', modelPath: 'outputs/model', metrics: '{"accuracy": 0.9}', metricConditions: 'accuracy > 0.8' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const v = versionOf('local-model', '1')!;
    const m = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/([0-9a-f]{64})\/model\/$/.exec(v.properties.modelUri);
    assert.ok(m, v.properties.modelUri);
    const puts = fake.storage!.requests.filter((q) => q.operation === 'Put Blob').map((q) => q.path.replace(/^.*\/LocalUpload\//, 'LocalUpload/'));
    assert.deepStrictEqual(puts.sort(), [`LocalUpload/${m[1]}/model/MLmodel`, `LocalUpload/${m[1]}/model/weights/layer1.bin`]);
    assert.deepStrictEqual({ ...v.properties.properties }, { 'metrics.accuracy': '0.9' });
    assert.ok(r.maskedSecrets.includes(fake.storage!.accountKey), 'the datastore key was not masked');
    assertNoSecretsVisible(r, fake, { storageKey: 'whenOn' });

    fake.storage!.clearRequests();
    const again = await run({ modelName: 'local-model', modelPath: 'outputs/model' }, { BUILD_BUILDID: '5000' });
    assert.strictEqual(again.result, 'Succeeded', again.visibleLog);
    assert.strictEqual(again.outputs.modelVersion, '2');
    assert.deepStrictEqual(fake.storage!.requests.filter((q) => q.operation.startsWith('Put')), [], 'the same content was uploaded again');
    assert.match(again.visibleLog, /already on datastore 'workspaceblobstore' .*nothing uploaded/);
    assert.strictEqual(versionOf('local-model', '2')!.properties.modelUri, v.properties.modelUri);
  });

  it('registers an existing URI as it is, with the gate reading the metrics input', async () => {
    const uri = 'azureml://datastores/workspaceblobstore/paths/data/diabetes.csv';
    const r = await run({ modelName: 'uri-model', modelPath: uri, metrics: '{"r2": 0.8}', metricConditions: 'r2 >= 0.75' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const v = versionOf('uri-model', '1')!;
    assert.strictEqual(v.properties.modelUri, uri);
    assert.strictEqual(v.properties.jobName ?? undefined, undefined);
    assert.strictEqual(r.outputs.modelUri, 'azureml:uri-model:1');
  });

  it('registers an MLflow run URI as the job\'s artifacts path, with the job\'s checks and lineage', async () => {
    const job = await completedJob('runs_uri_src', { auc: 0.77 });
    const r = await run({ modelName: 'runs-model', modelPath: `runs:/${job}/model`, modelType: 'mlflow_model', metricConditions: 'auc > 0.7' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const v = versionOf('runs-model', '1')!;
    assert.strictEqual(v.properties.modelUri, `azureml://jobs/${job}/outputs/artifacts/paths/model`);
    assert.strictEqual(v.properties.jobName, job);
    assert.strictEqual(v.properties.properties['metrics.auc'], '0.77');

    const created = fake.workspace.createdCount();
    assertRefused(await run({ modelName: 'runs-model', modelPath: 'azureml://jobs/no_such_job/outputs/model' }), created, /^Input 'modelPath': the job 'no_such_job' does not exist/);
  });

  it('reads name, type, tags and a local path from a model YAML, task inputs winning', async () => {
    const dir = path.join(temp, 'yaml-project');
    fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'model', 'model.pkl'), 'pickle');
    fs.writeFileSync(path.join(dir, 'model.yml'), 'name: yaml-model\nversion: 5\npath: ./model\ntype: custom_model\ndescription: from yaml\ntags:\n  team: risk\nproperties:\n  framework: sklearn\n');
    const r = await run({ modelSpec: path.join(dir, 'model.yml'), description: 'from the task' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(r.outputs.modelVersion, '5');
    const v = versionOf('yaml-model', '5')!;
    assert.strictEqual(v.properties.description, 'from the task');
    assert.strictEqual(v.properties.tags.team, 'risk');
    assert.strictEqual(v.properties.properties.framework, 'sklearn');
    assert.match(v.properties.modelUri, /\/LocalUpload\/[0-9a-f]{64}\/model\/$/);

    const created = fake.workspace.createdCount();
    const bad = path.join(dir, 'bad.yml');
    fs.writeFileSync(bad, 'name: yaml-model\npath: ./model\nflavours: {}\n');
    assertRefused(await run({ modelSpec: bad }), created, /bad\.yml:3: unknown field "flavours"/);
  });

  describe('the metric gate', () => {
    it('fails the step with every reason and registers nothing when a condition does not hold', async () => {
      const job = await completedJob('gate_no_1', { accuracy: 0.85, rmse: 4.2 });
      const created = fake.workspace.createdCount();
      const r = await run({ modelName: 'gated', jobName: job, jobOutput: 'model', metricConditions: 'accuracy >= 0.9\nrmse < 3.5' });
      assertRefused(r, created, /^The model gated was not registered: the metric gate did not pass\. accuracy = 0\.85 does not meet 'accuracy >= 0\.9'\. rmse = 4\.2 does not meet 'rmse < 3\.5'\.$/);
      assert.strictEqual(r.outputs.modelRegistered, 'false');
      assert.ok(!('modelVersion' in r.outputs));
      assert.match(summaryOf(r), /\| accuracy \| 0\.85 \| \\>= 0\.9 \| fail \|/);
    });

    it('succeeds with issues and registers nothing when gateFailureAction is warn', async () => {
      const job = await completedJob('gate_warn_1', { accuracy: 0.85 });
      const created = fake.workspace.createdCount();
      const r = await run({ modelName: 'gated', jobName: job, jobOutput: 'model', metricConditions: 'accuracy >= 0.9', gateFailureAction: 'warn' });
      assert.strictEqual(r.result, 'SucceededWithIssues', r.visibleLog);
      assert.strictEqual(r.outputs.modelRegistered, 'false');
      assert.match(r.resultMessage ?? '', /^The model gated was not registered: the metric gate did not pass\. accuracy = 0\.85 does not meet 'accuracy >= 0\.9'\.$/);
      assert.strictEqual(r.visibleLog.match(/##vso\[task\.issue type=warning;[^\]]*\]The model gated was not registered/g)?.length, 1, 'one warning');
      assert.strictEqual(fake.workspace.createdCount(), created);
    });

    it('registers a challenger that beats the Production champion by the margin, with the champion\'s stored metric', async () => {
      fake.workspace.seedVersion('models', 'champ-a', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/a/', modelType: 'custom_model', stage: 'Production', properties: { 'metrics.accuracy': '0.9' } });
      const job = await completedJob('champ_a_job', { accuracy: 0.93 });
      const r = await run({ modelName: 'champ-a', jobName: job, jobOutput: 'model', championStage: 'Production', championMetric: 'accuracy', championMargin: '0.02' });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      assert.strictEqual(r.outputs.modelVersion, '2');
      assert.match(r.visibleLog, /Champion \(stage 'Production'\): champ-a:1, accuracy = 0\.9 \(from its property metrics\.accuracy\)/);
      assert.match(summaryOf(r), /\| accuracy \| 0\.93 \| champion champ-a:1 = 0\.9 \(maximize, by at least 0\.02\) \| pass \|/);
    });

    it('refuses a challenger worse than the champion, whose value comes from its job', async () => {
      const championJob = await completedJob('champ_b_old', { rmse: 2.5 });
      fake.workspace.seedVersion('models', 'champ-b', '1', { modelUri: `azureml://jobs/${championJob}/outputs/model`, jobName: championJob, modelType: 'custom_model', tags: { champion: 'true' } });
      const job = await completedJob('champ_b_new', { rmse: 3.0 });
      const created = fake.workspace.createdCount();
      const r = await run({ modelName: 'champ-b', jobName: job, jobOutput: 'model', championTag: 'champion=true', championMetric: 'rmse', championGoal: 'minimize' });
      assertRefused(r, created, /rmse = 3 does not beat the champion champ-b:1 \(2\.5\): it must be lower\./);
      assert.match(r.visibleLog, /from its job 'champ_b_old'/);
    });

    it('passes when there is no champion yet, and says so', async () => {
      const job = await completedJob('champ_none', { accuracy: 0.7 });
      const r = await run({ modelName: 'first-of-its-name', jobName: job, jobOutput: 'model', championStage: 'Production', championMetric: 'accuracy' });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      assert.match(r.visibleLog, /No version of first-of-its-name has stage 'Production': there is no champion to beat\./);
      assert.strictEqual(r.outputs.modelRegistered, 'true');
    });
  });

  describe('bad inputs: one clear error, nothing registered', () => {
    let job: string;
    before(async () => {
      job = await completedJob('bad_inputs_src', { accuracy: 0.93, rmse: 3.1 });
    });

    it('a job that does not exist', async () => {
      const created = fake.workspace.createdCount();
      assertRefused(await run({ modelName: 'bad', jobName: 'no_such_job', jobOutput: 'model' }), created, /^Input 'jobName': the job 'no_such_job' does not exist in workspace/);
    });

    it('a job that failed', async () => {
      const failed = await completedJob('failed_src', {}, ['Running', 'Failed']);
      const created = fake.workspace.createdCount();
      assertRefused(await run({ modelName: 'bad', jobName: failed, jobOutput: 'model' }), created, /^Input 'jobName': the job 'failed_src' is Failed, not Completed/);
    });

    it('an output the job does not have', async () => {
      const created = fake.workspace.createdCount();
      assertRefused(await run({ modelName: 'bad', jobName: job, jobOutput: 'modle' }), created, /^Input 'jobOutput': the job 'bad_inputs_src' has no output 'modle'\. Did you mean 'model'\? Its outputs: default, model/);
    });

    it('a malformed condition', async () => {
      const created = fake.workspace.createdCount();
      assertRefused(await run({ modelName: 'bad', jobName: job, jobOutput: 'model', metricConditions: 'accuracy >= 0.9\naccuracy => 0.9' }), created, /^Input 'metricConditions', line 2: 'accuracy => 0\.9' is not a metric condition/);
    });

    it('an unknown metric', async () => {
      const created = fake.workspace.createdCount();
      assertRefused(
        await run({ modelName: 'bad', jobName: job, jobOutput: 'model', metricConditions: 'acuracy >= 0.9' }),
        created,
        /^Input 'metricConditions', line 1: there is no metric 'acuracy' in the job 'bad_inputs_src'\. Did you mean 'accuracy'\? Metrics: accuracy, rmse\.$/,
      );
    });

    it('a version that exists with other content; the same content is left as it is', async () => {
      fake.workspace.seedVersion('models', 'pinned', '3', { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/other/', modelType: 'custom_model' });
      const created = fake.workspace.createdCount();
      assertRefused(await run({ modelName: 'pinned', modelVersion: '3', jobName: job, jobOutput: 'model' }), created, /^Input 'modelVersion': pinned:3 already exists with other content/);
      const same = await run({ modelName: 'pinned', modelVersion: '3', modelPath: 'azureml://datastores/workspaceblobstore/paths/m/other/' });
      assert.strictEqual(same.result, 'Succeeded', same.visibleLog);
      assert.strictEqual(same.outputs.modelVersion, '3');
      assert.match(same.visibleLog, /pinned:3 already exists with the same content: nothing to register/);
      assert.strictEqual(fake.workspace.createdCount(), created);
    });
  });
});
