import assert from 'assert';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { APP, BASE_URL, SUB, WS_PATH, armId, call, newWorkspace, request } from './workspace-helpers';

const EP = `${WS_PATH}/onlineEndpoints`;
const OPS = `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/locations/eastus`;
const K8S = armId('computes', 'k8s-compute');

function endpointBody(props: Record<string, unknown> = {}): any {
  return { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key', ...props } };
}

function deploymentBody(props: Record<string, unknown> = {}, capacity: number | null = 1): any {
  const body: any = {
    location: 'eastus',
    properties: {
      endpointComputeType: 'Managed',
      model: armId('models', 'diabetes-model', '1'),
      environmentId: armId('environments', 'sklearn-env', '1'),
      instanceType: 'Standard_DS3_v2',
      ...props,
    },
  };
  if (capacity !== null) body.sku = { name: 'Default', capacity };
  return body;
}

/** A Kubernetes deployment: no instance type unless given (the compute's default then). */
function k8sDeploymentBody(props: Record<string, unknown> = {}, capacity: number | null = 1): any {
  return deploymentBody({ endpointComputeType: 'Kubernetes', instanceType: undefined, ...props }, capacity);
}

/** Polls an Azure-AsyncOperation URL until it is terminal; returns the statuses seen. */
async function pollToEnd(ws: WorkspaceService, url: string, max = 5): Promise<any[]> {
  const seen: any[] = [];
  for (let i = 0; i < max; i += 1) {
    const res = await call(ws, 'GET', url);
    assert.strictEqual(res.status, 200);
    seen.push(res.body);
    if (res.body.status !== 'InProgress') break;
  }
  return seen;
}

async function createEndpoint(ws: WorkspaceService, name: string, props: Record<string, unknown> = {}): Promise<void> {
  const res = await call(ws, 'PUT', `${EP}/${name}`, endpointBody(props));
  assert.strictEqual(res.status, 201, JSON.stringify(res.body));
  await pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
}

async function createDeployment(ws: WorkspaceService, endpoint: string, name: string, body = deploymentBody()): Promise<any[]> {
  const res = await call(ws, 'PUT', `${EP}/${endpoint}/deployments/${name}`, body);
  assert.strictEqual(res.status, 201, JSON.stringify(res.body));
  return pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
}

async function setTraffic(ws: WorkspaceService, endpoint: string, traffic: Record<string, number>, mirrorTraffic?: Record<string, number>): Promise<any> {
  const current = (await call(ws, 'GET', `${EP}/${endpoint}`)).body.properties;
  const res = await call(ws, 'PUT', `${EP}/${endpoint}`, endpointBody({
    authMode: current.authMode,
    ...(current.compute ? { compute: current.compute } : {}),
    traffic,
    ...(mirrorTraffic ? { mirrorTraffic } : {}),
  }));
  if (res.status === 200) await pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
  return res;
}

function newEndpointWorkspace(): WorkspaceService {
  const ws = newWorkspace();
  ws.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/' });
  ws.seedVersion('models', 'diabetes-model', '2', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes2/' });
  return ws;
}

async function score(ws: WorkspaceService, endpoint: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const req = request('POST', `/inference/${endpoint}/score`, body, null);
  if (key !== undefined) req.headers.authorization = `Bearer ${key}`;
  Object.assign(req.headers, headers);
  const res = await ws.handleAnonymous(req);
  assert.ok(res, 'the scoring URI is served');
  return res;
}

describe('fake Azure ML workspace: online endpoints', () => {
  let ws: WorkspaceService;
  beforeEach(() => {
    ws = newEndpointWorkspace();
  });

  describe('endpoints', () => {
    it('creates an endpoint as an LRO: 201 Creating with Azure-AsyncOperation, InProgress, then Succeeded', async () => {
      const res = await call(ws, 'PUT', `${EP}/ep1`, endpointBody({ description: 'd' }));
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.properties.provisioningState, 'Creating');
      assert.strictEqual(res.body.properties.scoringUri, `${BASE_URL}/inference/ep1/score`);
      assert.strictEqual(res.body.properties.keys, null);
      assert.strictEqual(res.headers!['Retry-After'], '0');
      const op = res.headers!['Azure-AsyncOperation'];
      assert.ok(op.startsWith(`${BASE_URL}${OPS}/mfeOperationsStatus/`), op);
      assert.deepStrictEqual((await pollToEnd(ws, op)).map((b) => b.status), ['InProgress', 'Succeeded']);
      const got = await call(ws, 'GET', `${EP}/ep1`);
      assert.strictEqual(got.body.properties.provisioningState, 'Succeeded');
      assert.strictEqual(got.body.id, `${EP}/ep1`);
      assert.strictEqual(got.body.type, 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints');
      assert.deepStrictEqual((await call(ws, 'GET', EP)).body.value.map((e: any) => e.name), ['ep1']);
    });

    it('re-PUT is an update (200 Updating), and a second operation while one runs is a 409', async () => {
      const created = await call(ws, 'PUT', `${EP}/ep1`, endpointBody());
      const busy = await call(ws, 'PUT', `${EP}/ep1`, endpointBody());
      assert.strictEqual(busy.status, 409);
      await pollToEnd(ws, created.headers!['Azure-AsyncOperation']);
      const updated = await call(ws, 'PUT', `${EP}/ep1`, endpointBody({ description: 'new' }));
      assert.strictEqual(updated.status, 200);
      assert.strictEqual(updated.body.properties.provisioningState, 'Updating');
    });

    it('rejects bad bodies, names and locations, and an unknown auth mode', async () => {
      const bad = await call(ws, 'PUT', `${EP}/ep1`, { location: 'eastus', properties: { authMode: 'Password' } });
      assert.strictEqual(bad.status, 400);
      assert.match(bad.body.error.message, /properties\.authMode/);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/1ep`, endpointBody())).status, 400);
      const where = await call(ws, 'PUT', `${EP}/ep1`, { ...endpointBody(), location: 'westus' });
      assert.strictEqual(where.status, 400);
      assert.match(where.body.error.message, /location/);
      const unknown = await call(ws, 'PUT', `${EP}/ep1`, endpointBody({ sneaky: true }));
      assert.strictEqual(unknown.status, 400);
      const old = await call(ws, 'PUT', `${EP}/ep1`, endpointBody(), { apiVersion: '2022-10-01' });
      assert.strictEqual(old.status, 400);
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1`)).status, 404);
    });

    it('validates traffic: existing deployments only, summing to 100 or 0', async () => {
      const none = await call(ws, 'PUT', `${EP}/ep1`, endpointBody({ traffic: { blue: 100 } }));
      assert.strictEqual(none.status, 400);
      assert.match(none.body.error.message, /properties\.traffic\.blue: Deployment 'blue' does not exist/);
      await createEndpoint(ws, 'ep1');
      await createDeployment(ws, 'ep1', 'blue');
      await createDeployment(ws, 'ep1', 'green');
      const sum = await setTraffic(ws, 'ep1', { blue: 60, green: 30 });
      assert.strictEqual(sum.status, 400);
      assert.match(sum.body.error.message, /sum to 90/);
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 90, green: 10 })).status, 200);
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 0, green: 0 })).status, 200);
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 100, gray: 0 })).status, 400);
    });

    it('validates mirror traffic: one deployment, at most 50, not one with live traffic', async () => {
      await createEndpoint(ws, 'ep1');
      await createDeployment(ws, 'ep1', 'blue');
      await createDeployment(ws, 'ep1', 'green');
      await createDeployment(ws, 'ep1', 'red');
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 100 }, { green: 51 })).status, 400);
      const live = await setTraffic(ws, 'ep1', { blue: 50, green: 50 }, { green: 10 });
      assert.strictEqual(live.status, 400);
      assert.match(live.body.error.message, /live traffic/);
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 100 }, { green: 10, red: 10 })).status, 400);
      assert.strictEqual((await setTraffic(ws, 'ep1', { blue: 100 }, { gray: 10 })).status, 400);
      const good = await setTraffic(ws, 'ep1', { blue: 100 }, { green: 50 });
      assert.strictEqual(good.status, 200);
      assert.deepStrictEqual(good.body.properties.mirrorTraffic, { green: 50 });
    });

    it('lists keys for Key endpoints, regenerates them as a Location LRO, and issues tokens for AMLToken ones', async () => {
      await createEndpoint(ws, 'ep1');
      const keys = await call(ws, 'POST', `${EP}/ep1/listKeys`);
      assert.strictEqual(keys.status, 200);
      assert.ok(keys.body.primaryKey && keys.body.secondaryKey && keys.body.primaryKey !== keys.body.secondaryKey);
      const regen = await call(ws, 'POST', `${EP}/ep1/regenerateKeys`, { keyType: 'Secondary' });
      assert.strictEqual(regen.status, 202);
      assert.strictEqual((await call(ws, 'GET', regen.headers!.Location)).status, 200);
      const after = await call(ws, 'POST', `${EP}/ep1/listKeys`);
      assert.strictEqual(after.body.primaryKey, keys.body.primaryKey);
      assert.notStrictEqual(after.body.secondaryKey, keys.body.secondaryKey);
      assert.strictEqual((await call(ws, 'POST', `${EP}/ep1/regenerateKeys`, { keyType: 'Tertiary' })).status, 400);
      assert.strictEqual((await call(ws, 'POST', `${EP}/ep1/token`)).status, 400);

      await createEndpoint(ws, 'ep2', { authMode: 'AMLToken' });
      const token = await call(ws, 'POST', `${EP}/ep2/token`);
      assert.strictEqual(token.status, 200);
      assert.strictEqual(token.body.tokenType, 'Bearer');
      assert.ok(token.body.expiryTimeUtc > token.body.refreshAfterTimeUtc);
      assert.strictEqual((await call(ws, 'POST', `${EP}/ep2/listKeys`)).status, 400);
      assert.strictEqual((await call(ws, 'POST', `${EP}/missing/listKeys`)).status, 404);
    });

    it('PATCH updates tags only (the 2024-04-01 body), traffic is refused there', async () => {
      await createEndpoint(ws, 'ep1');
      const res = await call(ws, 'PATCH', `${EP}/ep1`, { tags: { stage: 'prod' } });
      assert.strictEqual(res.status, 200);
      assert.deepStrictEqual(res.body.tags, { stage: 'prod' });
      assert.strictEqual((await call(ws, 'PATCH', `${EP}/ep1`, { properties: { traffic: {} } })).status, 400);
    });

    it('deletes an endpoint and its deployments as an LRO: 202 with Location, 202 while Deleting, then 200 and gone', async () => {
      await createEndpoint(ws, 'ep1');
      await createDeployment(ws, 'ep1', 'blue');
      await setTraffic(ws, 'ep1', { blue: 100 });
      const res = await call(ws, 'DELETE', `${EP}/ep1`);
      assert.strictEqual(res.status, 202);
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1`)).body.properties.provisioningState, 'Deleting');
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 200);
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1`)).status, 404);
      assert.strictEqual((await call(ws, 'DELETE', `${EP}/ep1`)).status, 204);
    });
  });

  describe('deployments', () => {
    beforeEach(() => createEndpoint(ws, 'ep1'));

    it('creates a managed deployment as an LRO with sku.capacity as the instance count', async () => {
      const res = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({}, 2));
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.properties.provisioningState, 'Creating');
      assert.deepStrictEqual(res.body.sku, { name: 'Default', capacity: 2 });
      assert.deepStrictEqual((await pollToEnd(ws, res.headers!['Azure-AsyncOperation'])).map((b) => b.status), ['InProgress', 'Succeeded']);
      const got = await call(ws, 'GET', `${EP}/ep1/deployments/blue`);
      assert.strictEqual(got.body.properties.provisioningState, 'Succeeded');
      assert.deepStrictEqual((await call(ws, 'GET', `${EP}/ep1/deployments`)).body.value.map((d: any) => d.name), ['blue']);
      const skus = await call(ws, 'GET', `${EP}/ep1/deployments/blue/skus`);
      assert.strictEqual(skus.body.value[0].capacity.default, 2);
    });

    it('rejects missing references, a missing sku or instance type, a zero capacity and Kubernetes on a managed endpoint', async () => {
      const missing = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({
        model: armId('models', 'nope', '1'),
        environmentId: armId('environments', 'sklearn-env', '9'),
        codeConfiguration: { codeId: armId('codes', 'score-src', '1'), scoringScript: 'score.py' },
      }));
      assert.strictEqual(missing.status, 400);
      const targets = missing.body.error.details.map((d: any) => d.target).sort();
      assert.deepStrictEqual(targets, ['properties.codeConfiguration.codeId', 'properties.environmentId', 'properties.model']);
      const noSku = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({}, null));
      assert.strictEqual(noSku.status, 400);
      assert.match(noSku.body.error.message, /sku/);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({}, 0))).status, 400);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({ instanceType: undefined }))).status, 400);
      const k8s = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({ endpointComputeType: 'Kubernetes' }));
      assert.strictEqual(k8s.status, 400);
      assert.match(k8s.body.error.message, /properties\.endpointComputeType: Endpoint 'ep1' is a managed endpoint; Kubernetes deployments need a Kubernetes endpoint/);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({ endpointComputeType: 'Serverless' }))).status, 400);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/nope/deployments/blue`, deploymentBody())).status, 404);
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1/deployments/blue`)).status, 404);
    });

    it('fails provisioning as scripted, with the error in the operation status', async () => {
      ws.scriptDeployments({ blue: { provisioning: 'Failed', error: { code: 'ImageBuildFailure', message: 'conda failed' } } });
      const seen = await createDeployment(ws, 'ep1', 'blue');
      assert.deepStrictEqual(seen.map((b) => b.status), ['InProgress', 'Failed']);
      assert.deepStrictEqual(seen[1].error, { code: 'ImageBuildFailure', message: 'conda failed' });
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1/deployments/blue`)).body.properties.provisioningState, 'Failed');
      // Another name falls back to the default: Succeeded.
      assert.deepStrictEqual((await createDeployment(ws, 'ep1', 'green')).map((b) => b.status), ['InProgress', 'Succeeded']);
    });

    it('hangs in Creating until the test releases it', async () => {
      ws.scriptDeployments({ '*': { provisioning: 'hang' } });
      const res = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody());
      const op = res.headers!['Azure-AsyncOperation'];
      for (let i = 0; i < 4; i += 1) assert.strictEqual((await call(ws, 'GET', op)).body.status, 'InProgress');
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1/deployments/blue`)).body.properties.provisioningState, 'Creating');
      assert.throws(() => ws.releaseDeployment('ep1', 'green'));
      ws.releaseDeployment('ep1', 'blue', 'Failed');
      assert.strictEqual((await call(ws, 'GET', op)).body.status, 'Failed');
    });

    it('refuses to delete a deployment with live or mirror traffic; deletes it as an LRO once traffic is 0', async () => {
      await createDeployment(ws, 'ep1', 'blue');
      await createDeployment(ws, 'ep1', 'green');
      await setTraffic(ws, 'ep1', { blue: 100 }, { green: 20 });
      const live = await call(ws, 'DELETE', `${EP}/ep1/deployments/blue`);
      assert.strictEqual(live.status, 400);
      assert.match(live.body.error.message, /100% traffic/);
      assert.strictEqual((await call(ws, 'DELETE', `${EP}/ep1/deployments/green`)).status, 400);
      await setTraffic(ws, 'ep1', { blue: 100 });
      const res = await call(ws, 'DELETE', `${EP}/ep1/deployments/green`);
      assert.strictEqual(res.status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 200);
      assert.strictEqual((await call(ws, 'GET', `${EP}/ep1/deployments/green`)).status, 404);
    });

    it('refuses changes to create-only properties on re-PUT and scales with PATCH sku', async () => {
      await createDeployment(ws, 'ep1', 'blue');
      const changed = await call(ws, 'PUT', `${EP}/ep1/deployments/blue`, deploymentBody({ instanceType: 'Standard_F4s_v2' }));
      assert.strictEqual(changed.status, 400);
      assert.match(changed.body.error.message, /properties\.instanceType/);
      const scaled = await call(ws, 'PATCH', `${EP}/ep1/deployments/blue`, { sku: { capacity: 3 } });
      assert.strictEqual(scaled.status, 200);
      assert.strictEqual(scaled.body.sku.capacity, 3);
    });

    it('serves container logs with containerType and tail, as scripted', async () => {
      ws.scriptDeployments({ blue: { logLines: ['one', 'two', 'three'], storageInitializerLogLines: ['downloaded'] } });
      await createDeployment(ws, 'ep1', 'blue');
      const tail = await call(ws, 'POST', `${EP}/ep1/deployments/blue/getLogs`, { containerType: 'InferenceServer', tail: 2 });
      assert.deepStrictEqual(tail.body, { content: 'two\nthree' });
      const init = await call(ws, 'POST', `${EP}/ep1/deployments/blue/getLogs`, { containerType: 'StorageInitializer' });
      assert.deepStrictEqual(init.body, { content: 'downloaded' });
      assert.strictEqual((await call(ws, 'POST', `${EP}/ep1/deployments/blue/getLogs`, { containerType: 'Sidecar' })).status, 400);
      assert.strictEqual((await call(ws, 'POST', `${EP}/ep1/deployments/gray/getLogs`, {})).status, 404);
    });
  });

  describe('scoring', () => {
    let key: string;
    beforeEach(async () => {
      await createEndpoint(ws, 'ep1');
      await createDeployment(ws, 'ep1', 'blue');
      await createDeployment(ws, 'ep1', 'green', deploymentBody({ model: armId('models', 'diabetes-model', '2') }));
      key = (await call(ws, 'POST', `${EP}/ep1/listKeys`)).body.primaryKey;
    });

    it('answers with the fake model and names the deployment and model that answered', async () => {
      await setTraffic(ws, 'ep1', { blue: 100 });
      const res = await score(ws, 'ep1', key, { input_data: { data: [[1, 2, 3], [0.5, 0.25]] } });
      assert.strictEqual(res.status, 200);
      assert.deepStrictEqual(res.body, { predictions: [6, 0.75] });
      assert.strictEqual(res.headers['azureml-model-deployment'], 'blue');
      assert.strictEqual(res.headers['x-ms-fake-model'], 'diabetes-model:1');
      assert.strictEqual((await score(ws, 'ep1', key, { rows: [] })).status, 400);
    });

    it('checks the key: primary and secondary pass, anything else is a 401', async () => {
      await setTraffic(ws, 'ep1', { blue: 100 });
      const secondary = (await call(ws, 'POST', `${EP}/ep1/listKeys`)).body.secondaryKey;
      assert.strictEqual((await score(ws, 'ep1', secondary, { data: [[1]] })).status, 200);
      assert.strictEqual((await score(ws, 'ep1', 'wrong', { data: [[1]] })).status, 401);
      assert.strictEqual((await score(ws, 'ep1', undefined, { data: [[1]] })).status, 401);
      assert.strictEqual((await score(ws, 'nope', key, { data: [[1]] })).status, 404);
    });

    it('routes by the azureml-model-deployment header, 404 for an unknown deployment', async () => {
      await setTraffic(ws, 'ep1', { blue: 100 });
      const pinned = await score(ws, 'ep1', key, { data: [[1]] }, { 'azureml-model-deployment': 'green' });
      assert.strictEqual(pinned.headers['azureml-model-deployment'], 'green');
      assert.strictEqual((await score(ws, 'ep1', key, { data: [[1]] }, { 'azureml-model-deployment': 'gray' })).status, 404);
    });

    it('without live traffic only the header routes', async () => {
      const res = await score(ws, 'ep1', key, { data: [[1]] });
      assert.strictEqual(res.status, 404);
      assert.match(res.body.message, /No valid deployments to route to/);
    });

    it('splits by traffic deterministically (smooth weighted round robin)', async () => {
      await setTraffic(ws, 'ep1', { blue: 80, green: 20 });
      const who: string[] = [];
      for (let i = 0; i < 10; i += 1) who.push((await score(ws, 'ep1', key, { data: [[1]] })).headers['azureml-model-deployment']);
      assert.deepStrictEqual(who, ['blue', 'blue', 'green', 'blue', 'blue', 'blue', 'blue', 'green', 'blue', 'blue']);
    });

    it('records mirror copies to the mirror deployment, never returned to the caller', async () => {
      await setTraffic(ws, 'ep1', { blue: 100 }, { green: 50 });
      for (let i = 0; i < 4; i += 1) assert.strictEqual((await score(ws, 'ep1', key, { data: [[1]] })).headers['azureml-model-deployment'], 'blue');
      await score(ws, 'ep1', key, { data: [[1]] }, { 'azureml-model-deployment': 'blue' });
      const records = ws.scoringRequests().map((r) => `${r.deployment}:${r.status}:${r.mirrored ? 'mirror' : 'live'}`);
      assert.deepStrictEqual(records, [
        'blue:200:live', 'green:200:mirror', 'blue:200:live', 'blue:200:live', 'green:200:mirror', 'blue:200:live', 'blue:200:live',
      ]);
    });

    it('fails a scripted share of requests', async () => {
      ws.scriptDeployments({ gray: { failureRate: 0.5 } });
      await createDeployment(ws, 'ep1', 'gray');
      await setTraffic(ws, 'ep1', { gray: 100 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await score(ws, 'ep1', key, { data: [[1]] })).status);
      assert.deepStrictEqual(statuses, [200, 500, 200, 500]);
      assert.deepStrictEqual(ws.scoringRequests().map((r) => r.status), statuses);
    });

    it('refuses scripts it cannot play', () => {
      assert.throws(() => ws.scriptDeployments({ blue: { failureRate: 2 } }), /failureRate/);
      assert.throws(() => ws.scriptDeployments({ blue: { provisioning: 'Later' as never } }), /provisioning/);
      assert.throws(() => ws.scriptDeployments({ blue: { latencyMs: -1 } }), /latencyMs/);
    });

    it('accepts AML tokens from the token action on AMLToken endpoints, not keys', async () => {
      await createEndpoint(ws, 'ep2', { authMode: 'AMLToken' });
      await createDeployment(ws, 'ep2', 'blue');
      await setTraffic(ws, 'ep2', { blue: 100 });
      const token = (await call(ws, 'POST', `${EP}/ep2/token`)).body.accessToken;
      assert.strictEqual((await score(ws, 'ep2', token, { data: [[1]] })).status, 200);
      assert.strictEqual((await score(ws, 'ep2', key, { data: [[1]] })).status, 401);
      assert.strictEqual((await score(ws, 'ep1', token, { data: [[1]] })).status, 401);
    });

    it('accepts Entra tokens for https://ml.azure.com on AADToken endpoints only', async () => {
      await createEndpoint(ws, 'ep3', { authMode: 'AADToken' });
      await createDeployment(ws, 'ep3', 'blue');
      await setTraffic(ws, 'ep3', { blue: 100 });
      const req = (audience: string) => {
        const r = request('POST', '/inference/ep3/score', { data: [[1]] }, null);
        r.headers.authorization = 'Bearer jwt';
        return ws.handle(r, { ...APP, audience });
      };
      assert.strictEqual((await req('https://ml.azure.com'))!.status, 200);
      assert.strictEqual((await req('https://management.azure.com/'))!.status, 401);
      assert.strictEqual((await score(ws, 'ep3', 'jwt', { data: [[1]] })).status, 401);
    });
  });
});

describe('fake Azure ML workspace: Kubernetes online endpoints', () => {
  let ws: WorkspaceService;
  beforeEach(() => {
    ws = newEndpointWorkspace();
  });

  it('refuses an endpoint compute that is not a Kubernetes compute of the workspace', async () => {
    const cases: Array<[string, RegExp]> = [
      [armId('computes', 'cpu-cluster'), /properties\.compute: Compute 'cpu-cluster' is AmlCompute, not Kubernetes: an online endpoint's compute must be a Kubernetes compute attached to workspace 'my-aml-workspace'/],
      [armId('computes', 'aks-prod'), /properties\.compute: Compute 'aks-prod' was not found in workspace 'my-aml-workspace'/],
      [K8S.replace('my-aml-workspace', 'other-ws'), /properties\.compute: Compute 'k8s-compute' was not found/],
      ['k8s-compute', /properties\.compute: 'k8s-compute' is not a compute ARM id/],
    ];
    for (const [compute, message] of cases) {
      const res = await call(ws, 'PUT', `${EP}/k8s-ep`, endpointBody({ compute }));
      assert.strictEqual(res.status, 400, compute);
      assert.match(res.body.error.message, message);
    }
    assert.strictEqual((await call(ws, 'GET', `${EP}/k8s-ep`)).status, 404);
  });

  it('creates a Kubernetes endpoint that shows its compute and kind; compute cannot change on re-PUT', async () => {
    const res = await call(ws, 'PUT', `${EP}/k8s-ep`, { ...endpointBody({ compute: K8S }), kind: 'K8S' });
    assert.strictEqual(res.status, 201, JSON.stringify(res.body));
    assert.strictEqual(res.body.properties.compute, K8S);
    assert.strictEqual(res.body.kind, 'K8S');
    await pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
    const got = await call(ws, 'GET', `${EP}/k8s-ep`);
    assert.strictEqual(got.body.properties.compute, K8S);
    assert.strictEqual(got.body.properties.provisioningState, 'Succeeded');
    const dropped = await call(ws, 'PUT', `${EP}/k8s-ep`, { ...endpointBody(), kind: 'K8S' });
    assert.strictEqual(dropped.status, 400);
    assert.match(dropped.body.error.message, /properties\.compute: cannot be changed after the endpoint is created \(it is Kubernetes compute 'k8s-compute'\)/);
    assert.strictEqual((await call(ws, 'PUT', `${EP}/k8s-ep`, { ...endpointBody({ compute: K8S, description: 'same cluster' }), kind: 'K8S' })).status, 200);

    await createEndpoint(ws, 'managed-ep');
    const added = await call(ws, 'PUT', `${EP}/managed-ep`, endpointBody({ compute: K8S }));
    assert.strictEqual(added.status, 400);
    assert.match(added.body.error.message, /properties\.compute: cannot be changed after the endpoint is created \(it is a managed endpoint/);
  });

  it('takes only Kubernetes deployments, and a managed endpoint only managed ones', async () => {
    await createEndpoint(ws, 'k8s-ep', { compute: K8S });
    const managed = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, deploymentBody());
    assert.strictEqual(managed.status, 400);
    assert.match(managed.body.error.message, /properties\.endpointComputeType: Endpoint 'k8s-ep' is a Kubernetes endpoint \(compute 'k8s-compute'\); its deployments must be endpointComputeType Kubernetes/);
    await createEndpoint(ws, 'managed-ep');
    const k8s = await call(ws, 'PUT', `${EP}/managed-ep/deployments/blue`, k8sDeploymentBody());
    assert.strictEqual(k8s.status, 400);
    assert.match(k8s.body.error.message, /Endpoint 'managed-ep' is a managed endpoint; Kubernetes deployments need a Kubernetes endpoint/);
    assert.strictEqual((await call(ws, 'GET', `${EP}/k8s-ep/deployments/blue`)).status, 404);
    assert.strictEqual((await call(ws, 'GET', `${EP}/managed-ep/deployments/blue`)).status, 404);
  });

  it('checks the instance type against the compute\'s instance types and needs at least one instance', async () => {
    await createEndpoint(ws, 'k8s-ep', { compute: K8S });
    for (const instanceType of ['Standard_DS3_v2', 'DefaultInstanceType']) {
      const res = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({ instanceType }));
      assert.strictEqual(res.status, 400, instanceType);
      assert.match(res.body.error.message, new RegExp(`properties\\.instanceType: Instance type '${instanceType}' is not defined on Kubernetes compute 'k8s-compute' \\(instance types: defaultinstancetype\\)`));
    }
    const zero = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({}, 0));
    assert.strictEqual(zero.status, 400);
    assert.match(zero.body.error.message, /sku\.capacity: must be at least 1/);
    const noSku = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({}, null));
    assert.strictEqual(noSku.status, 400);
    assert.match(noSku.body.error.message, /sku: is required/);
    const unknown = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({ containerResourceRequirements: { containerResourceRequests: { disk: '1Gi' } } }));
    assert.strictEqual(unknown.status, 400);
    assert.match(unknown.body.error.message, /containerResourceRequests\.disk/);
    assert.strictEqual((await call(ws, 'GET', `${EP}/k8s-ep/deployments/blue`)).status, 404);
    const named = await createDeployment(ws, 'k8s-ep', 'blue', k8sDeploymentBody({ instanceType: 'defaultinstancetype' }));
    assert.deepStrictEqual(named.map((b) => b.status), ['InProgress', 'Succeeded']);
  });

  it('refuses mirror traffic on a Kubernetes endpoint', async () => {
    await createEndpoint(ws, 'k8s-ep', { compute: K8S });
    await createDeployment(ws, 'k8s-ep', 'blue', k8sDeploymentBody());
    await createDeployment(ws, 'k8s-ep', 'green', k8sDeploymentBody());
    const mirrored = await setTraffic(ws, 'k8s-ep', { blue: 100 }, { green: 10 });
    assert.strictEqual(mirrored.status, 400);
    assert.match(mirrored.body.error.message, /properties\.mirrorTraffic: Mirrored traffic is not supported on Kubernetes online endpoints \(endpoint 'k8s-ep' runs on compute 'k8s-compute'\)/);
    assert.deepStrictEqual((await call(ws, 'GET', `${EP}/k8s-ep`)).body.properties.traffic, {});
    const none = await setTraffic(ws, 'k8s-ep', { blue: 100 }, {});
    assert.strictEqual(none.status, 200);
    assert.deepStrictEqual(none.body.properties.mirrorTraffic, {});
  });

  it('provisions, splits traffic, scores, gives logs and scales Kubernetes deployments like managed ones', async () => {
    await createEndpoint(ws, 'k8s-ep', { compute: K8S });
    ws.scriptDeployments({ red: { provisioning: 'Failed' }, '*': { logLines: ['k8s pod started'] } });
    const resources = { containerResourceRequests: { cpu: '500m', memory: '1Gi' }, containerResourceLimits: { cpu: '1', memory: '2Gi', gpu: null } };
    const res = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({ containerResourceRequirements: resources }, 2));
    assert.strictEqual(res.status, 201, JSON.stringify(res.body));
    assert.strictEqual(res.body.properties.endpointComputeType, 'Kubernetes');
    assert.deepStrictEqual(res.body.properties.containerResourceRequirements, resources);
    assert.deepStrictEqual(res.body.sku, { name: 'Default', capacity: 2 });
    assert.deepStrictEqual((await pollToEnd(ws, res.headers!['Azure-AsyncOperation'])).map((b) => b.status), ['InProgress', 'Succeeded']);
    await createDeployment(ws, 'k8s-ep', 'green', k8sDeploymentBody({ model: armId('models', 'diabetes-model', '2') }));
    const failed = await createDeployment(ws, 'k8s-ep', 'red', k8sDeploymentBody());
    assert.deepStrictEqual(failed.map((b) => b.status), ['InProgress', 'Failed']);
    assert.strictEqual(failed[1].error.code, 'ResourceNotReady');

    assert.strictEqual((await setTraffic(ws, 'k8s-ep', { blue: 80, green: 20 })).status, 200);
    const key = (await call(ws, 'POST', `${EP}/k8s-ep/listKeys`)).body.primaryKey;
    const who: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const scored = await score(ws, 'k8s-ep', key, { data: [[1, 2]] });
      assert.strictEqual(scored.status, 200);
      assert.deepStrictEqual(scored.body, { predictions: [3] });
      who.push(scored.headers['azureml-model-deployment']);
    }
    assert.deepStrictEqual(who, ['blue', 'blue', 'green', 'blue', 'blue']);
    assert.strictEqual((await score(ws, 'k8s-ep', 'wrong', { data: [[1]] })).status, 401);
    const logs = await call(ws, 'POST', `${EP}/k8s-ep/deployments/blue/getLogs`, { containerType: 'InferenceServer' });
    assert.deepStrictEqual(logs.body, { content: 'k8s pod started' });
    const scaled = await call(ws, 'PATCH', `${EP}/k8s-ep/deployments/blue`, { sku: { capacity: 3 } });
    assert.strictEqual(scaled.body.sku.capacity, 3);
    const changed = await call(ws, 'PUT', `${EP}/k8s-ep/deployments/blue`, k8sDeploymentBody({ instanceType: 'defaultinstancetype', containerResourceRequirements: resources }, 3));
    assert.strictEqual(changed.status, 400);
    assert.match(changed.body.error.message, /properties\.instanceType: cannot be changed/);
  });

  it('issues tokens for scoring on an AMLToken Kubernetes endpoint', async () => {
    await createEndpoint(ws, 'k8s-ep', { compute: K8S, authMode: 'AMLToken' });
    await createDeployment(ws, 'k8s-ep', 'blue', k8sDeploymentBody());
    await setTraffic(ws, 'k8s-ep', { blue: 100 });
    const token = (await call(ws, 'POST', `${EP}/k8s-ep/token`)).body.accessToken;
    assert.strictEqual((await score(ws, 'k8s-ep', token, { data: [[4]] })).status, 200);
    assert.strictEqual((await score(ws, 'k8s-ep', 'amltoken-forged', { data: [[4]] })).status, 401);
  });
});

describe('fake Azure: online endpoint scoring over HTTPS', function () {
  this.timeout(60_000);
  let fake: FakeAzure;
  before(async () => {
    fake = await startFakeAzure({ blob: false });
  });
  after(() => fake?.stop());

  it('serves the scoring URI on the fake with an endpoint key and with an ml.azure.com token', async () => {
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const arm = `${fake.url}/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
    const auth = { Authorization: `Bearer ${token}` };
    const put = async (path: string, body: unknown) => {
      const res = await rawRequest(fake.caCertPath, `${arm}${path}?api-version=2024-04-01`, { method: 'PUT', headers: auth, body });
      assert.ok(res.status === 201, res.text);
      for (let i = 0; i < 3; i += 1) await rawRequest(fake.caCertPath, res.headers['azure-asyncoperation'] as string, { headers: auth });
      return res.json;
    };
    fake.workspace.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/' });
    const ep = await put('/onlineEndpoints/ep1', { location: fake.location, properties: { authMode: 'Key' } });
    const deployment = deploymentBody();
    deployment.location = fake.location;
    deployment.properties.model = `${arm.slice(fake.url.length)}/models/diabetes-model/versions/1`;
    deployment.properties.environmentId = `${arm.slice(fake.url.length)}/environments/sklearn-env/versions/1`;
    await put('/onlineEndpoints/ep1/deployments/blue', deployment);
    const keys = await rawRequest(fake.caCertPath, `${arm}/onlineEndpoints/ep1/listKeys?api-version=2024-04-01`, { method: 'POST', headers: auth });
    const scoringUri = ep.properties.scoringUri as string;
    assert.ok(scoringUri.startsWith(fake.url));
    const body = { data: [[1, 2]] };
    const byKey = await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', headers: { Authorization: `Bearer ${keys.json.primaryKey}`, 'azureml-model-deployment': 'blue' }, body });
    assert.strictEqual(byKey.status, 200, byKey.text);
    assert.deepStrictEqual(byKey.json, { predictions: [3] });
    const bad = await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body });
    assert.strictEqual(bad.status, 401);
    // An ARM token on a Key endpoint is not a key.
    assert.strictEqual((await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', headers: auth, body })).status, 401);
  });
});
