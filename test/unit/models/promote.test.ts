import * as assert from 'assert';
import { spawn } from 'child_process';
import { join } from 'path';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { azuriteServiceClient, BLOB_UPLOAD_OPERATIONS } from '../../fake-azure/storage';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';
import { CONTENT_HASH_PROPERTY, PROMOTED_FROM_TAG, SOURCE_PROPERTY, parseModelReference } from '../../../src/models/promote';
import { UserError } from '../../../src/errors';
import type { DriverInput, DriverOutput, Side } from './promote-driver';

const PROD = { workspaceName: 'mlw-prod', resourceGroup: 'rg-mlops-prod' };
const REGISTRY = { registryName: 'mlr-shared', resourceGroup: 'rg-mlops-shared' };

/** A model folder with nested files, one of them binary and bigger than one upload block of the fake's seeding. */
function modelFiles(seed: string): Record<string, Buffer> {
  const weights = Buffer.alloc(300_000);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 31 + seed.length * 7) % 251;
  return {
    MLmodel: Buffer.from(`artifact_path: model\nflavors:\n  sklearn:\n    sklearn_version: 1.5.1\nrun_id: ${seed}\n`),
    'conda.yaml': Buffer.from('name: env\ndependencies:\n  - python=3.10\n'),
    'model.pkl': weights,
    'code/utils/features.py': Buffer.from(`def features(x):\n    return x  # ${seed}\n`),
  };
}

describe('promoting a model version to another workspace or a registry', function () {
  this.timeout(120_000);
  let fake: FakeAzure;

  before(async () => {
    fake = await startFakeAzure({
      workspaces: [{ ...PROD, authorizedIdentities: ['certificate'] }],
      registries: [{ ...REGISTRY, authorizedIdentities: ['certificate', 'secret'] }],
    });
    await Promise.all([fake.workspace.ready(), fake.workspaces[PROD.workspaceName].ready(), fake.registries[REGISTRY.registryName].ready()]);
  });
  after(async () => fake?.stop());

  const blobs = () => azuriteServiceClient(fake.storage!);

  async function seedModel(name: string, version: string, files: Record<string, Buffer>, extra: Record<string, unknown> = {}): Promise<string> {
    const folder = `models/${name}/${version}/model`;
    const container = blobs().getContainerClient(fake.workspace.identity.defaultContainer);
    for (const [rel, content] of Object.entries(files)) await container.getBlockBlobClient(`${folder}/${rel}`).upload(content, content.length);
    fake.workspace.seedVersion('models', name, version, {
      modelUri: `azureml://datastores/workspaceblobstore/paths/${folder}`,
      modelType: 'mlflow_model',
      description: `${name} trained on diabetes`,
      tags: { team: 'risk', 'azure-devops.buildId': '100' },
      properties: { r2: '0.81' },
      flavors: { sklearn: { data: { sklearn_version: '1.5.1' } } },
      stage: 'Development',
      jobName: 'train-job-1',
      ...extra,
    });
    return folder;
  }

  async function readFolder(container: string, folder: string): Promise<Record<string, Buffer>> {
    const c = blobs().getContainerClient(container);
    const out: Record<string, Buffer> = {};
    for await (const b of c.listBlobsFlat({ prefix: `${folder}/` })) out[b.name.slice(folder.length + 1)] = await c.getBlobClient(b.name).downloadToBuffer();
    return out;
  }

  function side(name: string, resourceGroup: string, identity: 'secret' | 'certificate'): Side {
    const ids = fake.identities;
    return {
      name,
      resourceGroup,
      identity: identity === 'secret' ? { clientId: ids.secret.clientId, clientSecret: ids.secret.clientSecret } : { clientId: ids.certificate.clientId, certificatePem: ids.certificate.pem },
    };
  }

  const dev = () => side(fake.workspaceName, fake.resourceGroup, 'secret');
  const prod = (identity: 'secret' | 'certificate' = 'certificate') => ({ ...side(PROD.workspaceName, PROD.resourceGroup, identity), kind: 'workspace' as const });
  const registry = () => ({ ...side(REGISTRY.registryName, REGISTRY.resourceGroup, 'certificate'), kind: 'registry' as const });

  function promote(model: string, target: DriverInput['target'], more: Partial<DriverInput> = {}): Promise<DriverOutput> {
    const input: DriverInput = { url: fake.url, armAudience: fake.armAudience, tenantId: fake.tenantId, subscriptionId: fake.subscriptionId, model, source: dev(), target, ...more };
    return new Promise((resolve, reject) => {
      // Asynchronous on purpose: the fake (and the request log in front of Azurite) runs in this process.
      const child = spawn(process.execPath, ['--require', fake.dnsPreloadPath, join(__dirname, 'promote-driver.js')], {
        env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: fake.caCertPath, PROMOTE_INPUT: JSON.stringify(input) },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', () => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()!) as DriverOutput);
        } catch {
          reject(new Error(`driver printed no result: ${out}\n${err}`));
        }
      });
    });
  }

  function uploads(): string[] {
    return fake.storage!.requests.filter((r) => BLOB_UPLOAD_OPERATIONS.has(r.operation)).map((r) => `${r.operation} ${r.path}`);
  }

  it('copies the files byte for byte to the prod workspace and registers the same version with its metadata and lineage', async () => {
    const files = modelFiles('dev-run-1');
    const sourceFolder = await seedModel('credit-model', '3', files);
    fake.storage!.clearRequests();
    const out = await promote('azureml:credit-model:3', prod());
    assert.strictEqual(out.error, undefined, JSON.stringify(out.error));
    const result = out.result as any;
    assert.strictEqual(result.status, 'promoted');
    assert.strictEqual(result.files, 4);

    const prodWs = fake.workspaces[PROD.workspaceName];
    const [version] = prodWs.resources('models').filter((m) => m.name === 'credit-model');
    assert.strictEqual(version.version, '3');
    assert.strictEqual(result.targetId, version.id);
    const p = version.properties;
    assert.strictEqual(p.modelType, 'mlflow_model');
    assert.strictEqual(p.description, 'credit-model trained on diabetes');
    assert.strictEqual(p.stage, 'Development');
    assert.deepStrictEqual(p.flavors, { sklearn: { data: { sklearn_version: '1.5.1' } } });
    assert.strictEqual(p.tags.team, 'risk');
    assert.strictEqual(p.tags['azure-devops.buildId'], '100', 'the training lineage stays');
    assert.strictEqual(p.tags['azure-devops.promotion.buildId'], '4711');
    assert.strictEqual(p.tags['azure-devops.promotion.sourceVersion'], 'c0ffee1');
    const sourceId = fake.workspace.resources('models').find((m) => m.name === 'credit-model' && m.version === '3')!.id;
    assert.strictEqual(p.tags[PROMOTED_FROM_TAG], sourceId);
    assert.strictEqual(p.properties.r2, '0.81');
    assert.strictEqual(p.properties[SOURCE_PROPERTY], sourceId);
    assert.match(p.properties[CONTENT_HASH_PROPERTY], /^[0-9a-f]{64}$/);

    const m = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/(LocalUpload\/[0-9a-f]{64}\/model)$/.exec(p.modelUri);
    assert.ok(m, p.modelUri);
    const copied = await readFolder(prodWs.identity.defaultContainer, m[1]);
    assert.deepStrictEqual(Object.keys(copied).sort(), Object.keys(files).sort());
    for (const [rel, content] of Object.entries(files)) assert.ok(copied[rel].equals(content), `${rel} differs`);
    assert.notStrictEqual(prodWs.identity.defaultContainer, fake.workspace.identity.defaultContainer);
    assert.deepStrictEqual(Object.keys(await readFolder(fake.workspace.identity.defaultContainer, sourceFolder)).length, 4);

    // Server-side copies into the prod container only; both datastore keys and each read SAS were masked.
    assert.deepStrictEqual(uploads().map((u) => u.split(' ').slice(0, 2).join(' ')), Array(4).fill('Copy Blob'));
    assert.ok(out.secrets.includes(fake.storage!.accountKey));
    assert.ok(out.secrets.filter((s) => s.includes('sig=')).length >= 4);
    for (const secret of out.secrets) assert.ok(!out.log.join('\n').includes(secret));
  });

  it('does nothing when the target already has the version with the same files', async () => {
    const prodWs = fake.workspaces[PROD.workspaceName];
    const created = prodWs.createdCount();
    fake.storage!.clearRequests();
    const out = await promote('azureml:credit-model:3', prod());
    assert.strictEqual(out.error, undefined, JSON.stringify(out.error));
    assert.strictEqual((out.result as any).status, 'unchanged');
    assert.strictEqual((out.result as any).copiedBytes, 0);
    assert.strictEqual(prodWs.createdCount(), created);
    assert.deepStrictEqual(uploads(), []);
    assert.match(out.log.join('\n'), /already in workspace 'mlw-prod' with the same files/);
  });

  it('refuses to overwrite a version the target already has with other files, before copying anything', async () => {
    await seedModel('churn-model', '1', modelFiles('dev-run-2'));
    const prodWs = fake.workspaces[PROD.workspaceName];
    await blobs().getContainerClient(prodWs.identity.defaultContainer).getBlockBlobClient('hand/model.pkl').upload('x', 1);
    prodWs.seedVersion('models', 'churn-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/hand/model.pkl', modelType: 'custom_model' });
    const created = prodWs.createdCount();
    fake.storage!.clearRequests();
    const out = await promote('azureml:churn-model:1', prod());
    assert.strictEqual(out.error?.name, 'UserError');
    assert.match(out.error!.message, /churn-model:1 already exists in workspace 'mlw-prod' with different files.*new version/);
    assert.strictEqual(out.error!.input, 'model');
    assert.strictEqual(prodWs.createdCount(), created);
    assert.deepStrictEqual(uploads(), []);
  });

  it('fails with a clear message when the source model does not exist', async () => {
    const out = await promote('azureml:no-such-model:7', prod());
    assert.strictEqual(out.error?.name, 'UserError');
    assert.match(out.error!.message, /The model no-such-model:7 was not found in workspace 'mlw-demo'/);
  });

  it('fails with a clear message when the source version has no files where it says', async () => {
    fake.workspace.seedVersion('models', 'ghost-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/nowhere/model', modelType: 'custom_model' });
    const created = fake.workspaces[PROD.workspaceName].createdCount();
    const out = await promote('azureml:ghost-model:1', prod());
    assert.match(out.error?.message ?? '', /files of model ghost-model:1 were not found.*nowhere\/model/);
    assert.strictEqual(fake.workspaces[PROD.workspaceName].createdCount(), created);
  });

  it("explains the 403 when the target's service connection has no role on the prod workspace, and creates nothing", async () => {
    await seedModel('fraud-model', '2', modelFiles('dev-run-3'));
    const prodWs = fake.workspaces[PROD.workspaceName];
    const created = prodWs.createdCount();
    fake.storage!.clearRequests();
    // The dev identity works on dev but has no role on prod.
    const out = await promote('azureml:fraud-model:2', prod('secret'));
    assert.strictEqual(out.error?.name, 'UserError');
    assert.match(out.error!.message, /service connection for mlw-prod is not allowed to read the workspace 'mlw-prod' in resource group 'rg-mlops-prod' \(AuthorizationFailed/);
    assert.match(out.error!.message, /AzureML Data Scientist/);
    assert.strictEqual(prodWs.createdCount(), created);
    assert.deepStrictEqual(uploads(), []);
  });

  it('fails with a clear message when the target workspace or registry does not exist', async () => {
    const ws = await promote('azureml:credit-model:3', { ...prod(), name: 'mlw-prdo' });
    assert.match(ws.error?.message ?? '', /The Azure ML workspace 'mlw-prdo' was not found in resource group 'rg-mlops-prod'/);
    const reg = await promote('azureml:credit-model:3', { ...registry(), name: 'mlr-nope' });
    assert.match(reg.error?.message ?? '', /The Azure ML registry 'mlr-nope' was not found in resource group 'rg-mlops-shared'/);
  });

  it('streams the files when they are too big for a server-side copy', async () => {
    const files = modelFiles('dev-run-4');
    await seedModel('big-model', '1', files);
    fake.storage!.clearRequests();
    const out = await promote('azureml:big-model:1', prod(), { serverSideCopyMaxBytes: 0 });
    assert.strictEqual(out.error, undefined, JSON.stringify(out.error));
    const ops = new Set(uploads().map((u) => u.split(' /')[0]));
    assert.ok(!ops.has('Copy Blob'), [...ops].join(', '));
    assert.ok(ops.has('Put Blob') || ops.has('Put Block List'), [...ops].join(', '));
    const modelUri = (out.result as any).modelUri as string;
    const copied = await readFolder(fake.workspaces[PROD.workspaceName].identity.defaultContainer, modelUri.replace(/^azureml:\/\/datastores\/workspaceblobstore\/paths\//, ''));
    for (const [rel, content] of Object.entries(files)) assert.ok(copied[rel]?.equals(content), `${rel} differs`);
  });

  it("finds the files of a model registered from a job's artifacts (azureml://jobs/<job>/outputs/artifacts/paths/...)", async () => {
    const files = modelFiles('job-run');
    const artifacts = blobs().getContainerClient(fake.workspace.identity.artifactContainer);
    for (const [rel, content] of Object.entries(files)) await artifacts.getBlockBlobClient(`ExperimentRun/dcid.train-job-7/outputs/model/${rel}`).upload(content, content.length);
    fake.workspace.seedVersion('models', 'job-model', '1', { modelUri: 'azureml://jobs/train-job-7/outputs/artifacts/paths/outputs/model/', modelType: 'mlflow_model' });
    const out = await promote('azureml:job-model:1', prod());
    assert.strictEqual(out.error, undefined, JSON.stringify(out.error));
    const modelUri = (out.result as any).modelUri as string;
    assert.match(modelUri, /\/LocalUpload\/[0-9a-f]{64}\/model$/);
    const copied = await readFolder(fake.workspaces[PROD.workspaceName].identity.defaultContainer, modelUri.replace(/^azureml:\/\/datastores\/workspaceblobstore\/paths\//, ''));
    assert.deepStrictEqual(Object.keys(copied).sort(), Object.keys(files).sort());
  });

  it('promotes into a registry through its pending upload and waits for the version to be created', async () => {
    const files = modelFiles('dev-run-1');
    const reg = fake.registries[REGISTRY.registryName];
    const out = await promote('azureml:credit-model:3', registry(), { stage: 'Production' });
    assert.strictEqual(out.error, undefined, JSON.stringify(out.error));
    assert.strictEqual((out.result as any).status, 'promoted');
    const [version] = reg.models();
    assert.strictEqual(version.name, 'credit-model');
    assert.strictEqual(version.version, '3');
    assert.strictEqual(version.properties.provisioningState, 'Succeeded');
    assert.strictEqual(version.properties.stage, 'Production');
    assert.strictEqual(version.properties.tags.team, 'risk');
    assert.strictEqual(reg.createdCount(), 2, 'model container and version');
    const uri = new URL(version.properties.modelUri);
    assert.strictEqual(uri.search, '', 'no SAS in the registered path');
    const [container, ...rest] = decodeURIComponent(uri.pathname).split('/').filter(Boolean);
    assert.strictEqual(container, reg.storage.container);
    const copied = await readFolder(container, rest.join('/'));
    for (const [rel, content] of Object.entries(files)) assert.ok(copied[rel]?.equals(content), `${rel} differs`);
    assert.ok(out.secrets.some((s) => s.includes('sig=') && s.includes('sp=racwl')), 'the registry SAS is masked');
    const lro = fake.requests.filter((r) => /mfeOperationsStatus/.test(r.path));
    assert.ok(lro.length >= 2, 'the operation was polled until it ended');

    fake.storage!.clearRequests();
    const again = await promote('azureml:credit-model:3', registry());
    assert.strictEqual((again.result as any)?.status, 'unchanged', JSON.stringify(again.error));
    assert.strictEqual(reg.createdCount(), 2);
    assert.deepStrictEqual(uploads(), []);
  });

  it('refuses a registry model version whose files were never uploaded', async () => {
    const reg = fake.registries[REGISTRY.registryName];
    const r = await rawRegistryPut(`${reg.storage.container}/LocalUpload/nothing-here/model`);
    assert.strictEqual(r.status, 400);
    assert.match(JSON.stringify(r.body), /nothing was uploaded/);
  });

  async function rawRegistryPut(path: string): Promise<{ status: number; body: unknown }> {
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const url = `${fake.url}/subscriptions/${fake.subscriptionId}/resourceGroups/${REGISTRY.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${REGISTRY.registryName}/models/orphan/versions/1?api-version=2024-04-01`;
    const accountUrl = `https://${fake.storage!.accountName}.blob.${new URL(fake.storage!.serviceUrl).host.replace('127.0.0.1', 'localhost')}`;
    const r = await rawRequest(fake.caCertPath, url, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: { properties: { modelType: 'custom_model', modelUri: `${accountUrl}/${path}` } } });
    return { status: r.status, body: r.json };
  }
});

describe('parseModelReference', () => {
  it('reads azureml:<name>:<version> and <name>:<version>', () => {
    assert.deepStrictEqual(parseModelReference('azureml:credit-model:3'), { name: 'credit-model', version: '3' });
    assert.deepStrictEqual(parseModelReference(' churn_model:1.2 '), { name: 'churn_model', version: '1.2' });
  });

  it('rejects a reference without a version, with the input named', () => {
    assert.throws(() => parseModelReference('azureml:credit-model@latest'), (e: unknown) => e instanceof UserError && e.input === 'model' && /azureml:<name>:<version>/.test(e.message));
    assert.throws(() => parseModelReference('credit-model'), UserError);
    assert.throws(() => parseModelReference('azureml:credit-model', 'sourceModel'), (e: unknown) => e instanceof UserError && e.input === 'sourceModel' && /^Input 'sourceModel': 'azureml:credit-model' is not a model version/.test(e.message));
  });
});
