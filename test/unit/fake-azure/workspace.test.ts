import assert from 'assert';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { APP, BASE_URL, RG, STRANGER, SUB, WS, WS_PATH, armId, call, newWorkspace, request } from './workspace-helpers';

describe('fake Azure ML workspace: ARM resources', () => {
  let ws: WorkspaceService;
  beforeEach(() => {
    ws = newWorkspace();
  });

  describe('the workspace and its seeded resources', () => {
    it('returns the workspace with discovery and MLflow URLs on the fake and a stable workspace id', async () => {
      const res = await call(ws, 'GET', WS_PATH, undefined, { apiVersion: '2022-10-01' });
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.body.id, WS_PATH);
      assert.strictEqual(res.body.name, WS);
      assert.strictEqual(res.body.type, 'Microsoft.MachineLearningServices/workspaces');
      assert.strictEqual(res.body.location, 'eastus');
      const p = res.body.properties;
      assert.strictEqual(p.discoveryUrl, `${BASE_URL}/discovery`);
      assert.strictEqual(p.mlFlowTrackingUri, `azureml://localhost:8443/mlflow/v1.0${WS_PATH}`);
      assert.match(p.workspaceId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.strictEqual(p.workspaceId, newWorkspace().identity.workspaceId, 'the same in every run');
      assert.match(p.storageAccount, /\/providers\/Microsoft\.Storage\/storageAccounts\/devstoreaccount1$/);
      assert.strictEqual(p.friendlyName, WS);
    });

    it('lists the workspace in its resource group and subscription', async () => {
      const byRg = await call(ws, 'GET', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces`);
      const bySub = await call(ws, 'GET', `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/workspaces`);
      assert.deepStrictEqual(byRg.body.value.map((w: any) => w.name), [WS]);
      assert.deepStrictEqual(bySub.body.value.map((w: any) => w.name), [WS]);
    });

    it('matches resourceGroups, providers and the provider namespace case-insensitively, as ARM does', async () => {
      const path = `/subscriptions/${SUB}/resourcegroups/${RG.toUpperCase()}/providers/microsoft.machinelearningservices/workspaces/${WS}/Computes/cpu-cluster`;
      const res = await call(ws, 'GET', path);
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.body.name, 'cpu-cluster');
    });

    it('serves the seeded computes', async () => {
      const list = await call(ws, 'GET', `${WS_PATH}/computes`);
      assert.deepStrictEqual(list.body.value.map((c: any) => c.name), ['cpu-cluster', 'gpu-cluster', 'k8s-compute']);
      const cpu = list.body.value[0];
      assert.strictEqual(cpu.id, armId('computes', 'cpu-cluster'));
      assert.strictEqual(cpu.type, 'Microsoft.MachineLearningServices/workspaces/computes');
      assert.strictEqual(cpu.properties.computeType, 'AmlCompute');
      assert.strictEqual(cpu.properties.provisioningState, 'Succeeded');
      const k8s = (await call(ws, 'GET', `${WS_PATH}/computes/k8s-compute`)).body;
      assert.strictEqual(k8s.id, armId('computes', 'k8s-compute'));
      assert.strictEqual(k8s.properties.computeType, 'Kubernetes');
      assert.strictEqual(k8s.properties.provisioningState, 'Succeeded');
      assert.strictEqual(k8s.properties.isAttachedCompute, true);
      assert.match(k8s.properties.resourceId, /\/providers\/Microsoft\.ContainerService\/managedClusters\//);
      assert.strictEqual(k8s.properties.properties.namespace, 'azureml');
      assert.strictEqual(k8s.properties.properties.defaultInstanceType, 'defaultinstancetype');
      assert.deepStrictEqual(k8s.properties.properties.instanceTypes.defaultinstancetype.resources,
        { requests: { cpu: '100m', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } });
    });

    it('serves the default blob datastore and the artifact store, without secrets when there is no storage', async () => {
      const list = await call(ws, 'GET', `${WS_PATH}/datastores`);
      assert.deepStrictEqual(list.body.value.map((d: any) => d.name), ['workspaceblobstore', 'workspaceartifactstore']);
      const blob = list.body.value[0];
      assert.strictEqual(blob.id, armId('datastores', 'workspaceblobstore'));
      assert.strictEqual(blob.properties.datastoreType, 'AzureBlob');
      assert.strictEqual(blob.properties.isDefault, true);
      assert.strictEqual(blob.properties.containerName, `azureml-blobstore-${ws.identity.workspaceId}`);
      assert.strictEqual(blob.properties.credentials.credentialsType, 'AccountKey');
      assert.strictEqual(list.body.value[1].properties.isDefault, false);
      const secrets = await call(ws, 'POST', `${WS_PATH}/datastores/workspaceblobstore/listSecrets`);
      assert.strictEqual(secrets.status, 400);
    });

    it('serves the seeded environment with two versions and the seeded data asset', async () => {
      const env = await call(ws, 'GET', `${WS_PATH}/environments/sklearn-env`);
      assert.strictEqual(env.body.properties.latestVersion, '2');
      assert.strictEqual(env.body.properties.nextVersion, '3');
      const versions = await call(ws, 'GET', `${WS_PATH}/environments/sklearn-env/versions`);
      assert.deepStrictEqual(versions.body.value.map((v: any) => v.name), ['2', '1']);
      assert.strictEqual(versions.body.value[0].type, 'Microsoft.MachineLearningServices/workspaces/environments/versions');
      const data = await call(ws, 'GET', `${WS_PATH}/data/diabetes-data/versions/1`);
      assert.strictEqual(data.body.id, armId('data', 'diabetes-data', '1'));
      assert.strictEqual(data.body.properties.dataType, 'uri_file');
      assert.strictEqual(data.body.properties.dataUri, 'azureml://datastores/workspaceblobstore/paths/data/diabetes.csv');
    });

    it('answers a missing asset, compute or job with 404 and an error body', async () => {
      for (const path of ['environments/nope/versions/1', 'computes/nope', 'jobs/nope', 'models/nope']) {
        const res = await call(ws, 'GET', `${WS_PATH}/${path}`);
        assert.strictEqual(res.status, 404, path);
        assert.ok(res.body.error.code && res.body.error.message, path);
      }
    });

    it('answers another resource group or workspace with ARM not-found errors', async () => {
      const rg = await call(ws, 'GET', WS_PATH.replace(RG, 'other-rg'));
      assert.strictEqual(rg.status, 404);
      assert.strictEqual(rg.body.error.code, 'ResourceGroupNotFound');
      const other = await call(ws, 'GET', WS_PATH.replace(`workspaces/${WS}`, 'workspaces/other'));
      assert.strictEqual(other.status, 404);
      assert.strictEqual(other.body.error.code, 'ResourceNotFound');
    });

    it('leaves requests for other providers and resource types to others', async () => {
      assert.strictEqual(await ws.handle(request('GET', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/x`), APP), undefined);
      assert.strictEqual(await ws.handle(request('GET', `${WS_PATH}/schedules/nightly`), APP), undefined);
    });
  });

  describe('ARM rules', () => {
    it('requires api-version', async () => {
      const res = await call(ws, 'GET', WS_PATH, undefined, { apiVersion: null });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.body.error.code, 'MissingApiVersionParameter');
    });

    it('refuses an api-version it does not serve', async () => {
      const res = await call(ws, 'GET', WS_PATH, undefined, { apiVersion: '2021-07-01' });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /2022-10-01, 2024-04-01/);
    });

    it('refuses a request body at any api-version but 2024-04-01, saying so', async () => {
      const res = await call(ws, 'PUT', `${WS_PATH}/codes/c/versions/1`, { properties: { codeUri: 'https://x/y' } }, { apiVersion: '2022-10-01' });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /only at api-version 2024-04-01.*used api-version 2022-10-01/);
      assert.strictEqual(ws.createdCount(), 0);
    });

    it('answers 403 AuthorizationFailed to an app without a role, and creates nothing', async () => {
      const get = await call(ws, 'GET', WS_PATH, undefined, { principal: STRANGER });
      assert.strictEqual(get.status, 403);
      assert.strictEqual(get.body.error.code, 'AuthorizationFailed');
      assert.match(get.body.error.message, new RegExp(`The client '${STRANGER.appId}' with object id '${STRANGER.objectId}' does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/read' over scope`));
      const put = await call(ws, 'PUT', `${WS_PATH}/environments/e/versions/1`, { properties: { image: 'python:3.11' } }, { principal: STRANGER });
      assert.strictEqual(put.status, 403);
      assert.match(put.body.error.message, /workspaces\/environments\/versions\/write/);
      const history = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/x/details`, undefined, { principal: STRANGER });
      assert.strictEqual(history.status, 403);
      assert.strictEqual(ws.createdCount(), 0);
    });

    it('pages long lists with a nextLink on the fake and honours $top', async () => {
      for (let i = 1; i <= 25; i++) ws.seedVersion('models', 'm', String(i), { modelUri: 'https://example.com/m', modelType: 'custom_model' });
      const first = await call(ws, 'GET', `${WS_PATH}/models/m/versions`);
      assert.strictEqual(first.body.value.length, 20);
      assert.ok(first.body.nextLink.startsWith(`${BASE_URL}${WS_PATH}/models/m/versions?`));
      const second = await call(ws, 'GET', first.body.nextLink);
      assert.strictEqual(second.body.value.length, 5);
      assert.strictEqual(second.body.nextLink, undefined);
      const top = await call(ws, 'GET', `${WS_PATH}/models/m/versions?$top=3&$orderBy=createdtime%20asc`);
      assert.deepStrictEqual(top.body.value.map((v: any) => v.name), ['1', '2', '3']);
    });
  });

  describe('assets', () => {
    it('creates a code version with 201, its container on the way, and answers the same PUT again with 200', async () => {
      const body = { properties: { codeUri: 'https://acct.blob.core.windows.net/c/LocalUpload/h/src', isAnonymous: true, properties: { hash_sha256: 'h1', hash_version: '202208' } } };
      const created = await call(ws, 'PUT', `${WS_PATH}/codes/my-code/versions/1`, body);
      assert.strictEqual(created.status, 201);
      assert.strictEqual(created.body.id, armId('codes', 'my-code', '1'));
      assert.strictEqual(created.body.name, '1');
      assert.strictEqual(created.body.properties.codeUri, body.properties.codeUri);
      assert.strictEqual(created.body.systemData.createdBy, APP.appId);
      const again = await call(ws, 'PUT', `${WS_PATH}/codes/my-code/versions/1`, body);
      assert.strictEqual(again.status, 200);
      const container = await call(ws, 'GET', `${WS_PATH}/codes/my-code`);
      assert.strictEqual(container.body.properties.latestVersion, '1');
      assert.strictEqual(container.body.properties.nextVersion, '2');
      assert.strictEqual(ws.createdCount(), 1);
    });

    it('refuses to change the path of an existing code version', async () => {
      await call(ws, 'PUT', `${WS_PATH}/codes/my-code/versions/1`, { properties: { codeUri: 'https://acct.blob.core.windows.net/c/a' } });
      const res = await call(ws, 'PUT', `${WS_PATH}/codes/my-code/versions/1`, { properties: { codeUri: 'https://acct.blob.core.windows.net/c/b' } });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.body.error.code, 'UserError');
      assert.strictEqual(res.body.error.message, 'Asset paths cannot be updated.');
    });

    it('finds code versions by content hash whatever name is in the path', async () => {
      const code = (hash: string) => ({ properties: { codeUri: `https://acct.blob.core.windows.net/c/${hash}`, isAnonymous: true, properties: { hash_sha256: hash, hash_version: '202208' } } });
      await call(ws, 'PUT', `${WS_PATH}/codes/code-a/versions/1`, code('aaa'));
      await call(ws, 'PUT', `${WS_PATH}/codes/code-b/versions/1`, code('bbb'));
      const found = await call(ws, 'GET', `${WS_PATH}/codes/any-name/versions?hash=bbb&hashVersion=202208`);
      assert.strictEqual(found.status, 200);
      assert.deepStrictEqual(found.body.value.map((v: any) => v.id), [armId('codes', 'code-b', '1')]);
      const otherHashVersion = await call(ws, 'GET', `${WS_PATH}/codes/any-name/versions?hash=bbb&hashVersion=202101`);
      assert.deepStrictEqual(otherHashVersion.body.value, []);
      const none = await call(ws, 'GET', `${WS_PATH}/codes/any-name/versions?hash=ccc&hashVersion=202208`);
      assert.deepStrictEqual(none.body.value, []);
      const unfiltered = await call(ws, 'GET', `${WS_PATH}/codes/code-a/versions`);
      assert.deepStrictEqual(unfiltered.body.value.map((v: any) => v.id), [armId('codes', 'code-a', '1')]);
    });

    it('keeps latestVersion and nextVersion as versions are added', async () => {
      const res = await call(ws, 'PUT', `${WS_PATH}/environments/sklearn-env/versions/7`, { properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' } });
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.properties.osType, 'Linux', 'defaults are echoed');
      const env = await call(ws, 'GET', `${WS_PATH}/environments/sklearn-env`);
      assert.strictEqual(env.body.properties.latestVersion, '7');
      assert.strictEqual(env.body.properties.nextVersion, '8');
    });

    it('rejects an environment with neither image nor build', async () => {
      const res = await call(ws, 'PUT', `${WS_PATH}/environments/e/versions/1`, { properties: { condaFile: 'name: x' } });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /properties\.image: an environment needs either image or build/);
    });

    it('rejects a data version on a datastore that does not exist, or on a local path', async () => {
      const ds = await call(ws, 'PUT', `${WS_PATH}/data/d/versions/1`, { properties: { dataType: 'uri_folder', dataUri: 'azureml://datastores/nostore/paths/x/' } });
      assert.strictEqual(ds.status, 400);
      assert.match(ds.body.error.message, /properties\.dataUri: Datastore 'nostore' was not found/);
      assert.strictEqual(ds.body.error.details[0].target, 'properties.dataUri');
      const local = await call(ws, 'PUT', `${WS_PATH}/data/d/versions/1`, { properties: { dataType: 'uri_folder', dataUri: './data' } });
      assert.strictEqual(local.status, 400);
      assert.match(local.body.error.message, /local paths must be uploaded first/);
      assert.strictEqual(ws.createdCount(), 0);
    });

    it('rejects a model version that points at the output of a job that does not exist', async () => {
      const res = await call(ws, 'PUT', `${WS_PATH}/models/m/versions/1`, { properties: { modelType: 'mlflow_model', modelUri: 'azureml://jobs/no-such-job/outputs/artifacts/paths/model/' } });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /properties\.modelUri: Job 'no-such-job' was not found/);
    });

    it('rejects an invalid body with the JSON path of each problem', async () => {
      const res = await call(ws, 'PUT', `${WS_PATH}/models/m/versions/1`, { properties: { modelUri: 'https://x/m', flavours: {} } });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.body.error.code, 'UserError');
      assert.match(res.body.error.message, /properties\.flavours: is not a known property of ModelVersion/);
    });

    it('refuses startPendingUpload without blob storage', async () => {
      const res = await call(ws, 'POST', `${WS_PATH}/codes/c/versions/1/startPendingUpload`, { pendingUploadType: 'TemporaryBlobReference' });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /without blob storage/);
    });
  });
});
