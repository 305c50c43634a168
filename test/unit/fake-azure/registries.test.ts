import * as assert from 'assert';
import type { FakeResponse } from '../../fake-azure/http';
import { createRegistryService, type RegistryService } from '../../fake-azure/aml/registries';
import { WorkspaceRouter } from '../../fake-azure/aml/router';
import { APP, BASE_URL, RG, STRANGER, SUB, WS, newWorkspace, request } from './workspace-helpers';

const PROD_RG = 'rg-prod';
const REG_RG = 'rg-shared';
const REG_PATH = `/subscriptions/${SUB}/resourceGroups/${REG_RG}/providers/Microsoft.MachineLearningServices/registries/mlr-shared`;

describe('fake Azure: more workspaces and registries behind one front door', () => {
  let router: WorkspaceRouter;
  let registry: RegistryService;

  beforeEach(() => {
    const main = newWorkspace();
    router = new WorkspaceRouter(SUB, { resourceGroup: RG, workspaceName: WS, service: main });
    router.addWorkspace({ resourceGroup: PROD_RG, workspaceName: 'mlw-prod', service: newWorkspace({ resourceGroup: PROD_RG, workspaceName: 'mlw-prod', authorizedAppIds: [STRANGER.appId] }) });
    registry = createRegistryService({ baseUrl: BASE_URL, tenantId: 'tenant', subscriptionId: SUB, resourceGroup: REG_RG, registryName: 'mlr-shared', location: 'eastus', authorizedAppIds: [APP.appId], storage: undefined });
    router.addRegistry(registry);
  });

  async function send(method: string, path: string, body?: unknown, o: { principal?: typeof APP; apiVersion?: string } = {}): Promise<FakeResponse & { body: any }> {
    const res = await router.handle(request(method, path, body, o.apiVersion ?? '2024-04-01'), o.principal ?? APP);
    assert.ok(res, `${method} ${path} was not handled`);
    return res as FakeResponse & { body: any };
  }

  const prodPath = `/subscriptions/${SUB}/resourceGroups/${PROD_RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod`;

  it('sends a request to the workspace its path names, which admits only its own identities', async () => {
    const asStranger = await send('GET', prodPath, undefined, { principal: STRANGER });
    assert.strictEqual(asStranger.status, 200);
    assert.strictEqual(asStranger.body.name, 'mlw-prod');
    assert.match(asStranger.body.id, /resourceGroups\/rg-prod\//);
    const asApp = await send('GET', `${prodPath}/models`);
    assert.strictEqual(asApp.status, 403);
    assert.strictEqual(asApp.body.error.code, 'AuthorizationFailed');
    const main = await send('GET', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`);
    assert.strictEqual(main.body.name, WS);
    const list = await send('GET', `/subscriptions/${SUB}/resourceGroups/${PROD_RG}/providers/Microsoft.MachineLearningServices/workspaces`, undefined, { principal: STRANGER });
    assert.deepStrictEqual(list.body.value.map((w: any) => w.name), ['mlw-prod']);
  });

  it('gives each workspace its own default datastore container', async () => {
    const a = await send('GET', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/datastores/workspaceblobstore`);
    const b = await send('GET', `${prodPath}/datastores/workspaceblobstore`, undefined, { principal: STRANGER });
    assert.notStrictEqual(a.body.properties.containerName, b.body.properties.containerName);
  });

  it('serves the registry resource with its storage account, and 404s a registry nobody serves', async () => {
    const r = await send('GET', REG_PATH);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body.type, 'Microsoft.MachineLearningServices/registries');
    assert.strictEqual(r.body.properties.regionDetails[0].storageAccountDetails[0].systemCreatedStorageAccount.armResourceId.resourceId, registry.storage.storageAccountId);
    const missing = await send('GET', REG_PATH.replace('mlr-shared', 'mlr-other'));
    assert.strictEqual(missing.status, 404);
    assert.strictEqual(missing.body.error.code, 'ResourceNotFound');
  });

  it('refuses callers without a role on the registry, naming the action', async () => {
    const r = await send('PUT', `${REG_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://x/y' } }, { principal: STRANGER });
    assert.strictEqual(r.status, 403);
    assert.match(r.body.error.message, /'Microsoft\.MachineLearningServices\/registries\/models\/versions\/write'/);
  });

  it('checks a model version body against the 2024-04-01 schema and only at that api-version', async () => {
    const bad = await send('PUT', `${REG_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://x/y', modelType: 3, colour: 'red' } });
    assert.strictEqual(bad.status, 400);
    assert.match(bad.body.error.message, /properties\.modelType/);
    assert.match(bad.body.error.message, /properties\.colour/);
    const old = await send('PUT', `${REG_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://x/y' } }, { apiVersion: '2023-04-01' });
    assert.strictEqual(old.status, 400);
    assert.strictEqual(registry.createdCount(), 0);
  });

  it('creates a model version as a long-running operation that succeeds after a poll', async () => {
    const created = await send('PUT', `${REG_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://acct.blob.core.windows.net/c/m', modelType: 'custom_model', tags: { a: 'b' } } });
    assert.strictEqual(created.status, 201);
    assert.strictEqual(created.body.properties.provisioningState, 'Creating');
    const status = new URL(created.headers!['Azure-AsyncOperation']);
    assert.match(status.pathname, /\/locations\/eastus\/mfeOperationsStatus\//);
    assert.strictEqual((await send('GET', status.pathname + status.search)).body.status, 'InProgress');
    assert.strictEqual((await send('GET', status.pathname + status.search)).body.status, 'Succeeded');
    const version = await send('GET', `${REG_PATH}/models/m/versions/1`);
    assert.strictEqual(version.body.properties.provisioningState, 'Succeeded');
    assert.strictEqual(version.body.id, `${REG_PATH}/models/m/versions/1`);
    const container = await send('GET', `${REG_PATH}/models/m`);
    assert.strictEqual(container.body.properties.latestVersion, '1');
    assert.strictEqual(registry.createdCount(), 2);

    const moved = await send('PUT', `${REG_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://acct.blob.core.windows.net/c/other', modelType: 'custom_model' } });
    assert.strictEqual(moved.status, 400);
    assert.match(moved.body.error.message, /Asset paths cannot be updated/);
    const pending = await send('POST', `${REG_PATH}/models/m/versions/1/startPendingUpload`, { pendingUploadType: 'TemporaryBlobReference' });
    assert.strictEqual(pending.status, 400);
    assert.match(pending.body.error.message, /already exists/);
  });
});
