import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { rawRequest, tokenWithSecret } from '../fake-azure/client';
import { BLOB_UPLOAD_OPERATIONS } from '../fake-azure/storage';
import { assertNoSecretsVisible, repoRoot, runTaskAsAgent, STACK_TRACE, summaryOf, type AgentRun } from './harness';

const examples = path.join(repoRoot, 'examples', 'deploy');

describe('AmlDeploy online, run as the agent runs it, against the local Azure', function () {
  this.timeout(180_000);
  let fake: FakeAzure;
  let temp: string;
  let summaries: string;

  before(async () => {
    fake = await startFakeAzure();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-e2e-'));
    summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-e2e-summaries-'));
    for (const version of ['1', '2', '3', '4', '5', '6']) {
      fake.workspace.seedVersion('models', 'diabetes-model', version, { modelUri: `azureml://datastores/workspaceblobstore/paths/models/diabetes/${version}/`, modelType: 'custom_model' });
    }
  });
  after(async () => {
    await fake?.stop();
    for (const dir of [temp, summaries]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => fake.workspace.scriptDeployments(undefined));

  const run = (inputs: Record<string, string>, extra: { interruptWhen?: () => boolean } = {}) =>
    runTaskAsAgent({
      fake,
      task: 'AmlDeploy',
      scheme: 'secret',
      inputs: {
        resourceGroup: fake.resourceGroup,
        workspaceName: fake.workspaceName,
        endpointSpec: path.join(examples, 'endpoint.yml'),
        deploymentSpec: path.join(examples, 'deployment.yml'),
        smokeRequests: path.join(examples, 'sample-request.json'),
        ...inputs,
      },
      cwd: temp,
      env: { AGENT_TEMPDIRECTORY: summaries },
      ...extra,
    });

  const endpointPath = (name: string) =>
    `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}/onlineEndpoints/${name}`;

  async function endpoint(name = 'diabetes-endpoint'): Promise<{ status: number; body: any }> {
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const r = await rawRequest(fake.caCertPath, `${fake.url}${endpointPath(name)}?api-version=2024-04-01`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: r.status, body: r.json };
  }

  async function deployments(name = 'diabetes-endpoint'): Promise<string[]> {
    const token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    const r = await rawRequest(fake.caCertPath, `${fake.url}${endpointPath(name)}/deployments?api-version=2024-04-01`, { headers: { Authorization: `Bearer ${token}` } });
    return ((r.json as { value: Array<{ name: string }> }).value ?? []).map((d) => d.name).sort();
  }

  /** Requests that change something (PUT, PATCH, DELETE, POST but reads) under online endpoints since `from`. */
  const changes = (from: number) =>
    fake.requests.slice(from).filter((r) => /onlineEndpoints/i.test(r.path) && r.method !== 'GET' && !/\/(listKeys|token|getLogs)$/i.test(r.path));

  /** The traffic of every endpoint PUT since `from`, in order. */
  const trafficPuts = (from: number) =>
    changes(from)
      .filter((r) => r.method === 'PUT' && /onlineEndpoints\/[^/]+$/i.test(r.path))
      .map((r) => ({ traffic: (r.body as any)?.properties?.traffic ?? {}, mirror: (r.body as any)?.properties?.mirrorTraffic ?? {} }));

  function assertFailedWithTrafficKept(r: AgentRun, before: Record<string, number>, message: RegExp) {
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], message);
    assert.match(r.errors[0], /The traffic is back to what it was/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), before);
    assertNoSecretsVisible(r, fake, { outputs: true });
  }

  it('creates the endpoint and its first deployment, smoke tests it, and gives it all the traffic', async () => {
    const r = await run({ smokeExpect: '$.predictions.length == 2\n$.predictions[0] > 0' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const ep = await endpoint();
    assert.deepStrictEqual(ep.body.properties.traffic, { blue: 100 });
    assert.strictEqual(r.outputs.endpointName, 'diabetes-endpoint');
    assert.strictEqual(r.outputs.deploymentName, 'blue');
    assert.strictEqual(r.outputs.scoringUri, ep.body.properties.scoringUri);
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), { blue: 100 });
    // The smoke test went to blue by name, with the endpoint's key.
    const pinned = fake.workspace.scoringRequests().filter((s) => s.endpoint === 'diabetes-endpoint' && s.pinned);
    assert.ok(pinned.length >= 1 && pinned.every((s) => s.deployment === 'blue' && s.status === 200), JSON.stringify(pinned));
    assert.ok(r.maskedSecrets.length >= 2, 'the endpoint keys were not registered as secrets');
    assertNoSecretsVisible(r, fake, { outputs: true });
    const summary = summaryOf(r);
    assert.match(summary, /diabetes-endpoint/);
    assert.match(summary, /blue=100%/);
    assert.match(summary, /diabetes-model:1/);
    // Lineage from the build is on the deployment.
    const body = changes(0).find((c) => c.method === 'PUT' && /deployments\/blue$/.test(c.path))!.body as any;
    assert.strictEqual(body.tags['azure-devops.buildId'], '4242');
  });

  it('does nothing the second time the same deployment is rolled out', async () => {
    const from = fake.requests.length;
    const scoredBefore = fake.workspace.scoringRequests().length;
    const r = await run({});
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(changes(from), [], 'the second run changed something');
    assert.match(r.visibleLog, /already runs this definition/);
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), { blue: 100 });
    assert.strictEqual(fake.workspace.scoringRequests().length, scoredBefore);
    assert.deepStrictEqual(await deployments(), ['blue']);
  });

  it('rolls out green blue/green: 0% first, a smoke test, then 10, 50 and 100% with a health check at each step', async () => {
    const from = fake.requests.length;
    const scoredFrom = fake.workspace.scoringRequests().length;
    const r = await run({ deploymentName: 'green', model: 'azureml:diabetes-model:2', trafficSteps: '10,50,100', healthRequests: '10' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(
      trafficPuts(from).map((p) => p.traffic),
      [{ blue: 90, green: 10 }, { blue: 50, green: 50 }, { green: 100 }],
    );
    // The deployment was created before any traffic moved.
    const order = changes(from).map((c) => `${c.method} ${c.path.replace(/.*onlineEndpoints\//, '')}`);
    assert.ok(order.indexOf('PUT diabetes-endpoint/deployments/green') < order.indexOf('PUT diabetes-endpoint'), order.join('\n'));
    const scored = fake.workspace.scoringRequests().slice(scoredFrom);
    assert.ok(scored.every((s) => s.deployment === 'green' && s.pinned), 'probes went to another deployment');
    assert.strictEqual(scored.length, 1 + 3 * 10, 'one smoke request and ten health requests per step');
    assert.deepStrictEqual((await endpoint()).body.properties.traffic, { green: 100 });
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), { green: 100 });
    const summary = summaryOf(r);
    assert.match(summary, /Traffic before \| blue=100%/);
    assert.match(summary, /Traffic after \| green=100%/);
    assert.match(summary, /\| 10% \| blue=90%, green=10% \| passed/);
    assert.match(summary, /diabetes-model:2/);
    assertNoSecretsVisible(r, fake, { outputs: true });
  });

  it('rolls back a deployment that fails to provision: traffic untouched, container logs printed, the deployment deleted', async () => {
    fake.workspace.scriptDeployments({ red: { provisioning: 'Failed', error: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' }, logLines: ['Traceback (most recent call last):', 'ModuleNotFoundError: No module named joblib', '##vso[task.setvariable variable=x]y'] } });
    const from = fake.requests.length;
    const r = await run({ deploymentName: 'red', model: 'azureml:diabetes-model:3', trafficSteps: '10,100' });
    assertFailedWithTrafficKept(r, { green: 100 }, /'red' failed to provision: ResourceNotReady: User container has crashed/);
    assert.match(r.visibleLog, /ModuleNotFoundError: No module named joblib/);
    assert.doesNotMatch(r.stdout, /^##vso\[task\.setvariable variable=x\]/m, 'a log line from the container ran as a logging command');
    assert.deepStrictEqual(trafficPuts(from), [], 'traffic was touched');
    assert.deepStrictEqual(await deployments(), ['blue', 'green']);
    assert.match(summaryOf(r), /rolled back \(provisioning\)/);
  });

  it('rolls back when the smoke test expectation is not met', async () => {
    const r = await run({ deploymentName: 'amber', model: 'azureml:diabetes-model:3', smokeExpect: '$.predictions[0] > 1000000' });
    assertFailedWithTrafficKept(r, { green: 100 }, /smoke test of 'amber' failed.*\$\.predictions\[0\] > 1000000/);
    assert.deepStrictEqual(await deployments(), ['blue', 'green']);
    assert.deepStrictEqual((await endpoint()).body.properties.traffic, { green: 100 });
  });

  it('rolls back when the health check error rate is above the threshold, restoring the traffic exactly', async () => {
    fake.workspace.scriptDeployments({ flaky: { failureRate: 0.3 } });
    const from = fake.requests.length;
    // A smoke test of one request passes (the first request succeeds); the health check at 10% sees 30% errors.
    const r = await run({ deploymentName: 'flaky', model: 'azureml:diabetes-model:4', trafficSteps: '10,50,100', healthRequests: '20', healthMaxErrorRate: '5' });
    assertFailedWithTrafficKept(r, { green: 100 }, /health check of 'flaky' at 10% traffic failed/);
    assert.deepStrictEqual(trafficPuts(from).map((p) => p.traffic), [{ green: 90, flaky: 10 }, { green: 100 }]);
    assert.deepStrictEqual(await deployments(), ['blue', 'green']);
  });

  it('keeps a failed deployment without traffic when asked', async () => {
    fake.workspace.scriptDeployments({ kept: { failureRate: 1 } });
    const r = await run({ deploymentName: 'kept', model: 'azureml:diabetes-model:4', keepFailedDeployment: 'true' });
    assertFailedWithTrafficKept(r, { green: 100 }, /smoke test of 'kept' failed/);
    assert.deepStrictEqual(await deployments(), ['blue', 'green', 'kept']);
  });

  it('rolls back when the pipeline is canceled during the traffic shift', async () => {
    const from = fake.requests.length;
    // Cancel once the first step is live; the step then waits a minute before its health check.
    const firstStepLive = () => trafficPuts(from).some((p) => p.traffic.slow === 10);
    const r = await run({ deploymentName: 'slow', model: 'azureml:diabetes-model:5', trafficSteps: '10,100', stepWaitMinutes: '1' }, { interruptWhen: firstStepLive });
    assert.strictEqual(r.result, 'Cancelled', r.visibleLog);
    assert.match(r.visibleLog, /canceled during the rollout\. Rolling back/);
    assert.deepStrictEqual(trafficPuts(from).map((p) => p.traffic), [{ green: 90, slow: 10 }, { green: 100 }]);
    assert.deepStrictEqual((await endpoint()).body.properties.traffic, { green: 100 });
    assert.deepStrictEqual(await deployments(), ['blue', 'green', 'kept']);
  });

  it('mirrors live traffic to the new deployment before the smoke test, then shifts, and prunes old deployments', async () => {
    const from = fake.requests.length;
    const r = await run({ deploymentName: 'violet', model: 'azureml:diabetes-model:6', mirrorPercent: '20', mirrorMinutes: '0', keepDeployments: '2' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(trafficPuts(from), [
      { traffic: { green: 100 }, mirror: { violet: 20 } },
      { traffic: { green: 100 }, mirror: {} },
      { traffic: { violet: 100 }, mirror: {} },
    ]);
    // Newest two kept (violet and green, which had traffic before); blue and the kept failure deleted.
    assert.deepStrictEqual(await deployments(), ['green', 'violet']);
    assert.match(summaryOf(r), /Deleted \| (kept, blue|blue, kept)/);
  });

  it('refuses to change a live deployment in place, before anything is sent', async () => {
    const from = fake.requests.length;
    const r = await run({ deploymentName: 'violet', model: 'azureml:diabetes-model:1' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1);
    assert.match(r.errors[0], /'violet' of endpoint 'diabetes-endpoint' serves live traffic .* another definition.*deploymentName/);
    assert.deepStrictEqual(changes(from), []);
  });

  it('refuses to change a live deployment to code the workspace has not seen, and uploads none of it', async () => {
    // The example's scoring code with one more file: a new content hash, so a new code version.
    const specDir = fs.mkdtempSync(path.join(temp, 'new-code-'));
    fs.cpSync(path.join(examples, 'score'), path.join(specDir, 'score'), { recursive: true });
    fs.writeFileSync(path.join(specDir, 'score', 'extra.py'), 'THRESHOLD = 0.5\n');
    fs.copyFileSync(path.join(examples, 'deployment.yml'), path.join(specDir, 'deployment.yml'));
    const from = fake.requests.length;
    fake.storage!.clearRequests();
    // violet already runs this model: only the code differs.
    const r = await run({ deploymentName: 'violet', model: 'azureml:diabetes-model:6', deploymentSpec: path.join(specDir, 'deployment.yml') });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /'violet' of endpoint 'diabetes-endpoint' serves live traffic .* another definition.*deploymentName/);
    assert.deepStrictEqual(changes(from), []);
    assert.deepStrictEqual(
      fake.requests.slice(from).filter((q) => q.method !== 'GET' && /\/(codes|environments)\//i.test(q.path)).map((q) => `${q.method} ${q.path}`),
      [],
      'a code or environment version was registered',
    );
    assert.deepStrictEqual(fake.storage!.requests.filter((q) => BLOB_UPLOAD_OPERATIONS.has(q.operation)).map((q) => `${q.operation} ${q.path}`), []);
  });

  it('refuses bad inputs with one clear message and creates nothing', async () => {
    const from = fake.requests.length;
    for (const [inputs, message] of [
      [{ trafficSteps: '50,10' }, /trafficSteps.*rising order/],
      [{ mirrorPercent: '60' }, /mirrorPercent.*between 0 and 50/],
      [{ smokeRequests: 'missing.json' }, /smokeRequests.*does not exist/],
      [{ smokeExpect: '$.predictions[0] >>> 3' }, /smokeExpect/],
      [{ model: 'azureml:no-such-model:1', deploymentName: 'ghost' }, /model 'no-such-model:1'.*does not exist/],
    ] as Array<[Record<string, string>, RegExp]>) {
      const r = await run(inputs);
      assert.strictEqual(r.result, 'Failed', r.visibleLog);
      assert.strictEqual(r.errors.length, 1, r.visibleLog);
      assert.match(r.errors[0], message);
      assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    }
    assert.deepStrictEqual(changes(from), []);
  });
});
