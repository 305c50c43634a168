import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { azuriteServiceClient, BLOB_UPLOAD_OPERATIONS } from '../fake-azure/storage';
import { assertNoSecretsVisible, runTaskAsAgent, STACK_TRACE, summaryOf, type AgentRun, type AuthScheme } from './harness';

const PROD = { workspaceName: 'mlw-prod', resourceGroup: 'rg-mlops-prod' };
const REGISTRY = { registryName: 'mlr-shared', resourceGroup: 'rg-mlops-shared' };

/** A model folder with nested files, one binary and bigger than one upload block. */
function modelFiles(seed: string): Record<string, Buffer> {
  const weights = Buffer.alloc(300_000);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 17 + seed.length * 3) % 253;
  return {
    MLmodel: Buffer.from(`artifact_path: model\nflavors:\n  sklearn:\n    sklearn_version: 1.5.1\nrun_id: ${seed}\n`),
    'model.pkl': weights,
    'code/features.py': Buffer.from(`def features(x):\n    return x  # ${seed}\n`),
  };
}

describe('AmlRegisterModel action promote, run as the agent runs it, from dev to prod and to a registry', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let temp: string;
  let summaries: string;

  before(async () => {
    // Dev (the default workspace) is reached with the secret identity, prod and the registry only with the certificate one.
    fake = await startFakeAzure({
      workspaces: [{ ...PROD, authorizedIdentities: ['certificate'] }],
      registries: [{ ...REGISTRY, authorizedIdentities: ['certificate'] }],
    });
    await Promise.all([fake.workspace.ready(), fake.workspaces[PROD.workspaceName].ready(), fake.registries[REGISTRY.registryName].ready()]);
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-e2e-'));
    summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-e2e-summaries-'));
  });
  after(async () => {
    await fake?.stop();
    for (const dir of [temp, summaries]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const prod = () => fake.workspaces[PROD.workspaceName];
  const registry = () => fake.registries[REGISTRY.registryName];
  const armBase = (rg: string) => `/subscriptions/${fake.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices`;

  const runTask = (inputs: Record<string, string>, targetScheme?: AuthScheme) =>
    runTaskAsAgent({
      fake,
      task: 'AmlRegisterModel',
      scheme: 'secret',
      targetScheme,
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, ...inputs },
      cwd: temp,
      env: { AGENT_TEMPDIRECTORY: summaries },
    });

  const promote = (inputs: Record<string, string>, targetScheme: AuthScheme = 'certificate') => runTask({ action: 'promote', ...inputs }, targetScheme);

  /** Registers a local model folder in dev with the register action, as the training stage does. */
  async function registerInDev(name: string, files: Record<string, Buffer>): Promise<AgentRun> {
    const dir = path.join(temp, name, 'model');
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    const r = await runTask({ modelName: name, modelPath: dir, modelType: 'mlflow_model', tags: 'team=risk', stage: 'Development' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    return r;
  }

  async function readFolder(container: string, folder: string): Promise<Record<string, Buffer>> {
    const c = azuriteServiceClient(fake.storage!).getContainerClient(container);
    const out: Record<string, Buffer> = {};
    const prefix = `${folder.replace(/\/+$/, '')}/`;
    for await (const b of c.listBlobsFlat({ prefix })) out[b.name.slice(prefix.length)] = await c.getBlobClient(b.name).downloadToBuffer();
    return out;
  }

  function assertSameFiles(copied: Record<string, Buffer>, files: Record<string, Buffer>) {
    assert.deepStrictEqual(Object.keys(copied).sort(), Object.keys(files).sort());
    for (const [rel, content] of Object.entries(files)) assert.ok(copied[rel].equals(content), `${rel} differs`);
  }

  const uploads = () => fake.storage!.requests.filter((r) => BLOB_UPLOAD_OPERATIONS.has(r.operation)).map((r) => `${r.operation} ${r.path}`);

  it('promotes a version registered in dev to prod with its own service connection: same files, version, tags and lineage; promoting again changes nothing', async () => {
    const files = modelFiles('dev-run-1');
    const registered = await registerInDev('credit-model', files);
    assert.strictEqual(registered.outputs.modelUri, 'azureml:credit-model:1');
    const devVersion = fake.workspace.resources('models').find((m) => m.name === 'credit-model' && m.version === '1')!;

    fake.storage!.clearRequests();
    const r = await promote({ sourceModel: registered.outputs.modelUri, targetResourceGroup: PROD.resourceGroup, targetWorkspaceName: PROD.workspaceName, stage: 'Production' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const [version] = prod().resources('models').filter((m) => m.name === 'credit-model');
    assert.ok(version, 'nothing registered in prod');
    assert.deepStrictEqual(
      { ...r.outputs },
      {
        modelName: 'credit-model',
        modelVersion: '1',
        modelId: `${armBase(PROD.resourceGroup)}/workspaces/${PROD.workspaceName}/models/credit-model/versions/1`,
        modelUri: 'azureml:credit-model:1',
        modelRegistered: 'true',
      },
    );
    assert.strictEqual(version.id, r.outputs.modelId);
    const p = version.properties;
    assert.strictEqual(p.modelType, 'mlflow_model');
    assert.strictEqual(p.stage, 'Production');
    assert.strictEqual(p.tags.team, 'risk');
    assert.strictEqual(p.tags['azure-devops.buildId'], '4242', 'the registration lineage stays');
    assert.strictEqual(p.tags['azure-devops.promotion.buildId'], '4242');
    assert.strictEqual(p.tags['azure-devops.promotion.runUrl'], 'https://dev.azure.com/fabrikam/mlops/_build/results?buildId=4242');
    assert.strictEqual(p.tags['azure-devops.promotedFrom'], devVersion.id);

    const m = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/(LocalUpload\/[0-9a-f]{64}\/model)$/.exec(p.modelUri);
    assert.ok(m, p.modelUri);
    assertSameFiles(await readFolder(prod().identity.defaultContainer, m[1]), files);
    assert.ok(uploads().length >= Object.keys(files).length, 'nothing was written to prod storage');
    assert.ok(uploads().every((u) => u.includes(prod().identity.defaultContainer)), `a write outside prod's container: ${uploads().join(', ')}`);

    assert.match(r.visibleLog, /Promoted credit-model:1 from workspace mlw-demo to workspace mlw-prod\./);
    const summary = summaryOf(r);
    assert.match(summary, /\| Source \| workspace mlw-demo \|/);
    assert.match(summary, /\| Target \| workspace mlw-prod \|/);
    assert.match(summary, /\| Result \| promoted \|/);
    assert.match(summary, /\| Files \| 3 \(/);
    assert.ok(r.maskedSecrets.includes(fake.storage!.accountKey), 'the datastore key was not masked');
    assertNoSecretsVisible(r, fake, { storageKey: 'required' });

    const created = prod().createdCount();
    fake.storage!.clearRequests();
    const again = await promote({ sourceModel: 'azureml:credit-model:1', targetResourceGroup: PROD.resourceGroup, targetWorkspaceName: PROD.workspaceName, stage: 'Production' });
    assert.strictEqual(again.result, 'Succeeded', again.visibleLog);
    assert.deepStrictEqual({ ...again.outputs }, { ...r.outputs });
    assert.strictEqual(prod().createdCount(), created, 'promoting again created something');
    assert.deepStrictEqual(uploads(), [], 'promoting again wrote blobs');
    assert.match(again.visibleLog, /credit-model:1 was already in workspace mlw-prod with the same files: nothing was copied or created\./);
    assert.match(summaryOf(again), /\| Result \| already there with the same files: nothing changed \|/);
    assertNoSecretsVisible(again, fake, { storageKey: 'required' });
  });

  it('promotes into a registry and gives the registry form of the model URI', async () => {
    const files = modelFiles('dev-run-2');
    await registerInDev('churn-model', files);
    const r = await promote({ sourceModel: 'azureml:churn-model:1', targetResourceGroup: REGISTRY.resourceGroup, targetRegistryName: REGISTRY.registryName });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const version = registry().models().find((v) => v.name === 'churn-model')!;
    assert.ok(version, 'nothing registered in the registry');
    assert.strictEqual(version.version, '1');
    assert.strictEqual(version.properties.provisioningState, 'Succeeded');
    assert.strictEqual(version.properties.stage, 'Development', "the source's stage");
    assert.deepStrictEqual(
      { ...r.outputs },
      {
        modelName: 'churn-model',
        modelVersion: '1',
        modelId: `${armBase(REGISTRY.resourceGroup)}/registries/${REGISTRY.registryName}/models/churn-model/versions/1`,
        modelUri: 'azureml://registries/mlr-shared/models/churn-model/versions/1',
        modelRegistered: 'true',
      },
    );
    const [container, ...rest] = decodeURIComponent(new URL(version.properties.modelUri).pathname).split('/').filter(Boolean);
    assert.strictEqual(container, registry().storage.container);
    assertSameFiles(await readFolder(container, rest.join('/')), files);
    assertNoSecretsVisible(r, fake, { storageKey: 'required' });
  });

  it('fails with one clear error and creates nothing when the target connection has no access to prod', async () => {
    await registerInDev('fraud-model', modelFiles('dev-run-3'));
    const created = prod().createdCount();
    fake.storage!.clearRequests();
    const r = await promote({ sourceModel: 'azureml:fraud-model:1', targetResourceGroup: PROD.resourceGroup, targetWorkspaceName: PROD.workspaceName }, 'noAccess');
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /is not allowed to read the workspace 'mlw-prod' in resource group 'rg-mlops-prod' \(AuthorizationFailed/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    assert.doesNotMatch(r.visibleLog, /Unexpected error/);
    assert.strictEqual(prod().createdCount(), created, 'something was created in prod');
    assert.deepStrictEqual(uploads(), [], 'something was written to storage');
    assert.ok(!('modelRegistered' in r.outputs), 'an output was set');
    assertNoSecretsVisible(r, fake, { storageKey: 'required' });
  });

  it('names the target inputs to check when the target workspace or registry does not exist', async () => {
    const ws = await promote({ sourceModel: 'azureml:credit-model:1', targetResourceGroup: PROD.resourceGroup, targetWorkspaceName: 'mlw-prdo' });
    assert.strictEqual(ws.result, 'Failed', ws.visibleLog);
    assert.deepStrictEqual(ws.errors.length, 1, ws.visibleLog);
    assert.match(ws.errors[0], /^The Azure ML workspace 'mlw-prdo' was not found in resource group 'rg-mlops-prod' .*Check the targetWorkspaceName and targetResourceGroup inputs/);
    const reg = await promote({ sourceModel: 'azureml:credit-model:1', targetResourceGroup: REGISTRY.resourceGroup, targetRegistryName: 'mlr-nope' });
    assert.strictEqual(reg.result, 'Failed', reg.visibleLog);
    assert.match(reg.errors[0], /^The Azure ML registry 'mlr-nope' was not found in resource group 'rg-mlops-shared' .*Check the targetRegistryName and targetResourceGroup inputs/);
  });

  it('fails with one clear error naming sourceModel when the version does not exist in dev', async () => {
    const created = prod().createdCount();
    const r = await promote({ sourceModel: 'azureml:no-such-model:7', targetResourceGroup: PROD.resourceGroup, targetWorkspaceName: PROD.workspaceName });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.deepStrictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /^The model no-such-model:7 was not found in workspace 'mlw-demo'\. Check the sourceModel input/);
    assert.strictEqual(prod().createdCount(), created);
    assertNoSecretsVisible(r, fake, { storageKey: 'required' });
  });
});
