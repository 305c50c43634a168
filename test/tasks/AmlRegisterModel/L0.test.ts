import * as assert from 'assert';
import * as path from 'path';
import type { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { runL0Scenario, SPN_ENDPOINT, optionsOf, outputCommand } from '../l0';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskJson = path.join(repoRoot, 'tasks', 'AmlRegisterModel', 'task.json');

const spn = SPN_ENDPOINT;
const base = { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', modelName: 'churn', jobName: 'job_1', jobOutput: 'model' };
const registered = {
  name: 'churn',
  version: '4',
  modelId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/churn/versions/4',
  assetUri: 'azureml:churn:4',
  modelUri: 'azureml://jobs/job_1/outputs/model',
  registered: true,
  metrics: { accuracy: 0.93 },
};
const refused = {
  name: 'churn',
  modelUri: 'azureml://jobs/job_1/outputs/model',
  registered: false,
  metrics: { accuracy: 0.8 },
  gate: { pass: false, rows: [{ metric: 'accuracy', candidate: 0.8, against: '>= 0.9', pass: false }], reasons: ["accuracy = 0.8 does not meet 'accuracy >= 0.9'."], notes: [] },
};

function runScenario(scenario: object): Promise<MockTestRunner> {
  return runL0Scenario(path.join(__dirname, 'scenario.js'), taskJson, scenario);
}

const output = outputCommand;

describe('AmlRegisterModel entry point (L0, mock runner)', function () {
  this.timeout(30_000);

  it('sets every output variable and succeeds when the model is registered', async () => {
    const tr = await runScenario({ inputs: base, endpoint: spn, result: registered });
    assert.ok(tr.succeeded, tr.stdout);
    for (const [name, value] of [['modelName', 'churn'], ['modelVersion', '4'], ['modelId', registered.modelId], ['modelUri', 'azureml:churn:4'], ['modelRegistered', 'true']]) {
      assert.ok(tr.stdout.includes(output(name, value)), `${name} not set:\n${tr.stdout}`);
    }
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
  });

  it('passes the inputs to the core as typed options', async () => {
    const tr = await runScenario({
      inputs: {
        ...base,
        modelType: 'mlflow_model',
        tags: 'team=growth\nowner=ml',
        properties: 'framework=sklearn',
        stage: 'Staging',
        metrics: '{"accuracy": 0.93}',
        metricConditions: 'accuracy >= 0.9\n# comment\nrmse < 3.5',
        championTag: 'champion=true',
        championMetric: 'accuracy',
        championMargin: '0.01',
      },
      endpoint: spn,
      result: registered,
    });
    assert.ok(tr.succeeded, tr.stdout);
    const o = optionsOf(tr);
    assert.deepStrictEqual(o.model, { name: 'churn', type: 'mlflow_model', tags: { team: 'growth', owner: 'ml' }, properties: { framework: 'sklearn' }, stage: 'Staging' });
    assert.deepStrictEqual(o.source, { jobName: 'job_1', jobOutput: 'model' });
    assert.deepStrictEqual(o.metrics, { accuracy: 0.93 });
    assert.deepStrictEqual(o.conditions.map((c: any) => [c.metric, c.operator, c.threshold, c.line]), [['accuracy', '>=', 0.9, 1], ['rmse', '<', 3.5, 3]]);
    assert.deepStrictEqual(o.champion, { selector: { tag: { name: 'champion', value: 'true' } }, metric: 'accuracy', goal: 'maximize', margin: 0.01 });
    assert.strictEqual(o.build.buildId, undefined);
  });

  it('fails with the gate\'s reasons and modelRegistered=false when the gate says no', async () => {
    const tr = await runScenario({ inputs: { ...base, metricConditions: 'accuracy >= 0.9' }, endpoint: spn, result: refused });
    assert.ok(tr.failed, tr.stdout);
    assert.deepStrictEqual(tr.errorIssues, ["The model churn was not registered: the metric gate did not pass. accuracy = 0.8 does not meet 'accuracy >= 0.9'."]);
    assert.ok(tr.stdout.includes(output('modelRegistered', 'false')));
    assert.ok(!tr.stdout.includes('variable=modelVersion'), 'a version was set');
  });

  it('succeeds with issues when the gate says no and gateFailureAction is warn', async () => {
    const tr = await runScenario({ inputs: { ...base, metricConditions: 'accuracy >= 0.9', gateFailureAction: 'warn' }, endpoint: spn, result: refused });
    assert.ok(tr.stdout.includes('##vso[task.complete result=SucceededWithIssues;]The model churn was not registered'), tr.stdout);
    assert.strictEqual(tr.errorIssues.length, 0);
    assert.ok(tr.stdout.includes(output('modelRegistered', 'false')));
  });

  for (const [what, inputs, message] of [
    ['a malformed condition', { metricConditions: 'accuracy => 0.9' }, /^Input 'metricConditions', line 1: 'accuracy => 0\.9' is not a metric condition/],
    ['metrics that are not JSON', { metrics: 'accuracy=0.9' }, /^Input 'metrics' is not JSON/],
    ['a champion metric without a champion', { championMetric: 'accuracy' }, /^Input 'championMetric' is set but no champion is chosen/],
    ['a champion without a metric', { championStage: 'Production' }, /^Input 'championMetric' is required with a champion/],
    ['a negative margin', { championStage: 'Production', championMetric: 'accuracy', championMargin: '-1' }, /^Input 'championMargin' must be a number of at least 0/],
    ['an unknown model type', { modelType: 'sklearn' }, /^Input 'modelType' must be one of custom_model, mlflow_model, triton_model/],
    ['an unknown gate action', { gateFailureAction: 'ignore' }, /^Input 'gateFailureAction' must be one of fail, warn/],
  ] as const) {
    it(`fails on ${what} before anything is looked up`, async () => {
      const tr = await runScenario({ inputs: { ...base, ...inputs }, endpoint: spn });
      assert.ok(tr.failed, tr.stdout);
      assert.strictEqual(tr.errorIssues.length, 1, tr.stdout);
      assert.match(tr.errorIssues[0], message);
      assert.ok(!tr.stdout.includes('registerModel was called'));
    });
  }

  describe('action promote', () => {
    const cert = { scheme: 'ServicePrincipal', params: { serviceprincipalid: 'app-prod', servicePrincipalCertificate: '-----BEGIN CERTIFICATE-----\nMIIBprodcertificatebody0123456789\n-----END CERTIFICATE-----', tenantid: 'tenant-1', authenticationType: 'spnCertificate' } };
    const prodSubscription = '99999999-8888-7777-6666-555555555555';
    const promoteBase = { action: 'promote', azureSubscription: 'conn-dev', resourceGroup: 'rg-dev', workspaceName: 'mlw-dev', sourceModel: 'azureml:credit-model:3', targetAzureSubscription: 'conn-prod', targetResourceGroup: 'rg-prod' };
    const prodId = `/subscriptions/${prodSubscription}/resourceGroups/rg-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod/models/credit-model/versions/3`;
    const promoted = { status: 'promoted', sourceId: '/subscriptions/s/dev/models/credit-model/versions/3', targetId: prodId, modelUri: 'azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/model', contentHash: 'abc', files: 4, totalBytes: 300_200, copiedBytes: 300_200 };
    const run = (inputs: Record<string, string>, promotion?: object) => runScenario({ inputs: { ...promoteBase, ...inputs }, endpoint: spn, targetEndpoint: { ...cert, subscriptionId: prodSubscription }, promotion });

    it('promotes to the target workspace through its own service connection and sets every output', async () => {
      const tr = await run({ targetWorkspaceName: 'mlw-prod', stage: 'Production' }, promoted);
      assert.ok(tr.succeeded, tr.stdout);
      const o = optionsOf(tr);
      assert.deepStrictEqual(o.model, { name: 'credit-model', version: '3' });
      assert.strictEqual(o.modelInput, 'sourceModel');
      assert.strictEqual(o.stage, 'Production');
      assert.deepStrictEqual(o.source, { workspace: { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroup: 'rg-dev', workspaceName: 'mlw-dev' }, identity: 'service connection conn-dev' });
      assert.deepStrictEqual(o.target, { kind: 'workspace', workspace: { subscriptionId: prodSubscription, resourceGroup: 'rg-prod', workspaceName: 'mlw-prod' }, identity: 'service connection conn-prod' });
      assert.ok(o.sourceCredential && o.targetCredential && o.signal);
      assert.ok('build' in o, 'no build lineage');
      for (const [name, value] of [['modelName', 'credit-model'], ['modelVersion', '3'], ['modelId', prodId], ['modelUri', 'azureml:credit-model:3'], ['modelRegistered', 'true']]) {
        assert.ok(tr.stdout.includes(output(name, value)), `${name} not set:\n${tr.stdout}`);
      }
      assert.match(tr.stdout, /Promoted credit-model:3 from workspace mlw-dev to workspace mlw-prod\./);
      assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
      assert.ok(tr.stdout.includes('##vso[task.setsecret]MIIBprodcertificatebody0123456789'), 'the target certificate was not masked');
      assert.ok(!tr.stdout.includes('registerModel was called'));
    });

    it('promotes to a registry and gives the registry form of the model URI', async () => {
      const registryId = `/subscriptions/${prodSubscription}/resourceGroups/rg-prod/providers/Microsoft.MachineLearningServices/registries/mlr-shared/models/credit-model/versions/3`;
      const tr = await run({ targetRegistryName: 'mlr-shared' }, { ...promoted, status: 'unchanged', targetId: registryId, copiedBytes: 0 });
      assert.ok(tr.succeeded, tr.stdout);
      const o = optionsOf(tr);
      assert.deepStrictEqual(o.target, { kind: 'registry', registry: { subscriptionId: prodSubscription, resourceGroup: 'rg-prod', registryName: 'mlr-shared' }, identity: 'service connection conn-prod' });
      assert.strictEqual(o.stage, undefined);
      assert.ok(tr.stdout.includes(output('modelUri', 'azureml://registries/mlr-shared/models/credit-model/versions/3')), tr.stdout);
      assert.ok(tr.stdout.includes(output('modelId', registryId)));
      assert.ok(tr.stdout.includes(output('modelRegistered', 'true')));
      assert.match(tr.stdout, /credit-model:3 was already in registry mlr-shared with the same files: nothing was copied or created\./);
    });

    for (const [what, inputs, message] of [
      ['no source model', { sourceModel: '', targetWorkspaceName: 'mlw-prod' }, /^Input 'sourceModel' is required: the model version to promote, azureml:<name>:<version>/],
      ['a source model without a version', { sourceModel: 'azureml:credit-model', targetWorkspaceName: 'mlw-prod' }, /^Input 'sourceModel': 'azureml:credit-model' is not a model version: use azureml:<name>:<version>/],
      ['both a target workspace and a target registry', { targetWorkspaceName: 'mlw-prod', targetRegistryName: 'mlr-shared' }, /^Inputs 'targetWorkspaceName' and 'targetRegistryName' are both set/],
      ['neither a target workspace nor a target registry', {}, /^Input 'targetWorkspaceName' or 'targetRegistryName' is required with action promote/],
      ['no target service connection', { targetWorkspaceName: 'mlw-prod', targetAzureSubscription: '' }, /^Input 'targetAzureSubscription' is required with action promote/],
      ['no target resource group', { targetRegistryName: 'mlr-shared', targetResourceGroup: '' }, /^Input 'targetResourceGroup' is required: the resource group of the target registry 'mlr-shared'/],
      ['an unknown action', { action: 'copy', targetWorkspaceName: 'mlw-prod' }, /^Input 'action' must be one of register, promote, not 'copy'/],
    ] as const) {
      it(`fails on ${what} before anything is looked up`, async () => {
        const tr = await run(inputs);
        assert.ok(tr.failed, tr.stdout);
        assert.strictEqual(tr.errorIssues.length, 1, tr.stdout);
        assert.match(tr.errorIssues[0], message);
        assert.ok(!tr.stdout.includes('promoteModel was called') && !tr.stdout.includes('registerModel was called'));
      });
    }
  });
});
