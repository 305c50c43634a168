import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { assertNoSecretsVisible, repoRoot, runTaskAsAgent, STACK_TRACE } from './harness';

const examples = path.join(repoRoot, 'examples', 'deploy');

describe('AmlDeploy batch, run as the agent runs it, against the local Azure', function () {
  this.timeout(180_000);
  let fake: FakeAzure;
  let temp: string;
  let summaries: string;

  before(async () => {
    fake = await startFakeAzure();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-batch-e2e-'));
    summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-batch-e2e-summaries-'));
    fake.workspace.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/1/', modelType: 'custom_model' });
  });
  after(async () => {
    await fake?.stop();
    for (const dir of [temp, summaries]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => fake.workspace.scriptJobs(undefined));

  const run = (inputs: Record<string, string>) =>
    runTaskAsAgent({
      fake,
      task: 'AmlDeploy',
      scheme: 'federated',
      inputs: {
        resourceGroup: fake.resourceGroup,
        workspaceName: fake.workspaceName,
        endpointType: 'batch',
        endpointSpec: path.join(examples, 'batch-endpoint.yml'),
        deploymentSpec: path.join(examples, 'batch-deployment.yml'),
        ...inputs,
      },
      cwd: temp,
      env: { AGENT_TEMPDIRECTORY: summaries },
    });

  const changes = (from: number) => fake.requests.slice(from).filter((r) => /batchEndpoints/i.test(r.path) && r.method !== 'GET');

  it('creates the batch endpoint and deployment, makes it the default, scores the data and waits for the job', async () => {
    fake.workspace.scriptJobs({ logLines: ['Scoring mini-batch 1 of 4', 'Scoring mini-batch 4 of 4', 'Done: 40 rows'] });
    const r = await run({ invokeInput: 'azureml:diabetes-data:1', invokeInputType: 'uri_file' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(r.outputs.endpointName, 'diabetes-batch');
    assert.strictEqual(r.outputs.deploymentName, 'nightly');
    assert.match(r.outputs.scoringUri, /\/batch\/diabetes-batch\/jobs$/);
    assert.strictEqual(r.outputs.jobStatus, 'Completed');
    const invocations = fake.workspace.batchInvocations();
    assert.strictEqual(invocations.length, 1);
    assert.strictEqual(invocations[0].deployment, 'nightly');
    assert.strictEqual(r.outputs.jobName, invocations[0].jobName);
    assert.match(r.outputs.outputUri, new RegExp(`${r.outputs.jobName}/score/?$`));
    // The job's log was streamed, and the scored file exists with a line per input row.
    assert.match(r.visibleLog, /Done: 40 rows/);
    const outputs = await fake.workspace.batchOutputs();
    const scored = outputs.find((o) => o.jobName === r.outputs.jobName);
    assert.ok(scored, JSON.stringify(outputs));
    assert.strictEqual(scored.lines, 40);
    assert.ok(scored.path.endsWith('predictions.csv'), scored.path);
    const summary = fs.readFileSync(/##vso\[task\.uploadsummary\](.+)/.exec(r.stdout)![1].trim(), 'utf8');
    assert.match(summary, /diabetes-batch/);
    assert.match(summary, /Default deployment \| nightly/);
    assert.match(summary, /Completed/);
    assertNoSecretsVisible(r, fake);
  });

  it('changes nothing when the same deployment is deployed again', async () => {
    const from = fake.requests.length;
    const r = await run({});
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(changes(from), []);
    assert.match(r.visibleLog, /already runs this definition/);
  });

  it('writes the scores where asked, and fails with the job error when the scoring job fails', async () => {
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Failed'], error: { code: 'UserError', message: 'There is no file in the input folder.' }, logLines: ['ERROR: no input files'] });
    const r = await run({ invokeInput: 'azureml://datastores/workspaceblobstore/paths/empty/', invokeOutputUri: 'azureml://datastores/workspaceblobstore/paths/scores/run-1/' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /ended with status Failed.*There is no file in the input folder/s);
    assert.strictEqual(r.outputs.jobStatus, 'Failed');
    assert.strictEqual(r.outputs.outputUri, 'azureml://datastores/workspaceblobstore/paths/scores/run-1/');
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
  });

  it('deploys a registered pipeline component and runs it on a folder, giving the data to the component input named', async () => {
    const ws = `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
    fake.workspace.seedVersion('components', 'score', '1', {
      componentSpec: {
        type: 'command',
        command: 'python score.py --data ${{inputs.data}} --out ${{outputs.scores}}',
        environment: `azureml:${ws}/environments/sklearn-env/versions/1`,
        inputs: { data: { type: 'uri_folder' } },
        outputs: { scores: { type: 'uri_folder' } },
      },
    });
    fake.workspace.seedVersion('components', 'score-pipeline', '1', {
      componentSpec: {
        type: 'pipeline',
        inputs: { data: { type: 'uri_folder' } },
        outputs: { scores: { type: 'uri_folder' } },
        jobs: { score: { type: 'command', component: `azureml:${ws}/components/score/versions/1`, inputs: { data: '${{parent.inputs.data}}' }, outputs: { scores: '${{parent.outputs.scores}}' } } },
      },
    });
    const endpointSpec = path.join(temp, 'pipeline-endpoint.yml');
    fs.writeFileSync(endpointSpec, 'name: pipeline-batch\n');
    const deploymentSpec = path.join(temp, 'pipeline-deployment.yml');
    fs.writeFileSync(deploymentSpec, 'name: scoring\nendpoint_name: pipeline-batch\ntype: pipeline\ncomponent: azureml:score-pipeline@latest\nsettings:\n  default_compute: azureml:cpu-cluster\n  continue_on_step_failure: false\n');
    const r = await run({ endpointSpec, deploymentSpec, invokeInput: 'azureml://datastores/workspaceblobstore/paths/data/', invokeInputName: 'data' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const invocation = fake.workspace.batchInvocations().find((i) => i.jobName === r.outputs.jobName);
    assert.ok(invocation, JSON.stringify(fake.workspace.batchInvocations()));
    assert.strictEqual(invocation.deployment, 'scoring');
    assert.deepStrictEqual(Object.keys(invocation.inputs ?? {}), ['data']);
    assert.strictEqual(r.outputs.jobStatus, 'Completed');
    assert.match(r.outputs.outputUri, /\/scores\/?$/);
  });

  it('refuses an input a batch endpoint cannot read, and a deployment on a compute that does not exist, before creating anything', async () => {
    const from = fake.requests.length;
    const local = await run({ invokeInput: './data/local.csv' });
    assert.strictEqual(local.result, 'Failed', local.visibleLog);
    assert.match(local.errors[0], /invokeInput.*not something a batch endpoint can read/);

    const yaml = fs.readFileSync(path.join(examples, 'batch-deployment.yml'), 'utf8').replace('azureml:cpu-cluster', 'azureml:no-such-cluster').replace('./batch-score', path.join(examples, 'batch-score'));
    const file = path.join(temp, 'bad-deployment.yml');
    fs.writeFileSync(file, yaml);
    const r = await run({ deploymentSpec: file, deploymentName: 'other' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1);
    assert.match(r.errors[0], /compute 'no-such-cluster'.*does not exist/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    // The first refusal came after the (unchanged) deployment was checked; neither run created or changed anything.
    assert.deepStrictEqual(changes(from), []);
  });
});
