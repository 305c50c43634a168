import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { assertNoSecretsVisible, repoRoot, runTaskAsAgent, type AuthScheme } from './harness';

const examples = path.join(repoRoot, 'examples', 'deploy');

/** Token-authenticated endpoints, and deployments that never finish provisioning. */
describe('AmlDeploy online with token auth and stuck provisioning, against the local Azure', function () {
  this.timeout(240_000);
  let fake: FakeAzure;
  let temp: string;

  before(async () => {
    fake = await startFakeAzure();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-auth-e2e-'));
    fake.workspace.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/1/', modelType: 'custom_model' });
  });
  after(async () => {
    await fake?.stop();
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });
  afterEach(() => fake.workspace.scriptDeployments(undefined));

  /** An endpoint YAML with this name and auth mode, and the example deployment pointed at it. */
  function specs(endpoint: string, authMode: string): { endpointSpec: string; deploymentSpec: string } {
    const endpointSpec = path.join(temp, `${endpoint}.yml`);
    fs.writeFileSync(endpointSpec, `name: ${endpoint}\nauth_mode: ${authMode}\n`);
    const deploymentSpec = path.join(temp, `${endpoint}-deployment.yml`);
    const yaml = fs.readFileSync(path.join(examples, 'deployment.yml'), 'utf8').replace('endpoint_name: diabetes-endpoint', `endpoint_name: ${endpoint}`).replace('code: ./score', `code: ${path.join(examples, 'score')}`);
    fs.writeFileSync(deploymentSpec, yaml);
    return { endpointSpec, deploymentSpec };
  }

  const run = (scheme: AuthScheme, inputs: Record<string, string>, interruptWhen?: () => boolean) =>
    runTaskAsAgent({
      fake,
      task: 'AmlDeploy',
      scheme,
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, smokeRequests: path.join(examples, 'sample-request.json'), ...inputs },
      cwd: temp,
      interruptWhen,
    });

  const scored = (endpoint: string) => fake.workspace.scoringRequests().filter((s) => s.endpoint === endpoint);

  it('calls an aml_token endpoint with a token from the endpoint, registered as a secret', async () => {
    const r = await run('secret', { ...specs('tok-endpoint', 'aml_token'), healthRequests: '5' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.deepStrictEqual(scored('tok-endpoint').map((s) => s.status), [200, 200, 200, 200, 200, 200]);
    assert.ok(r.maskedSecrets.some((s) => s.startsWith('amltoken-')), 'the scoring token was not registered as a secret');
    assert.ok(!r.visibleLog.includes('amltoken-'), 'the scoring token is visible in the log');
    assert.ok(fake.requests.some((q) => q.method === 'POST' && /onlineEndpoints\/tok-endpoint\/token$/.test(q.path)));
    assertNoSecretsVisible(r, fake, { outputs: true });
  });

  it('calls an aad_token endpoint with an Entra token of the service connection (workload identity federation)', async () => {
    const r = await run('federated', { ...specs('aad-endpoint', 'aad_token') });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.ok(scored('aad-endpoint').length > 0 && scored('aad-endpoint').every((s) => s.status === 200), JSON.stringify(scored('aad-endpoint')));
    assert.ok(fake.accessTokens.some((t) => /ml\.azure\.com/.test(t.audience) && t.uses > 0), 'no Azure ML token was used');
    assertNoSecretsVisible(r, fake, { outputs: true });
  });

  it('rolls out blue/green on a Kubernetes online endpoint, and refuses mirror traffic there before sending anything', async () => {
    const endpointSpec = path.join(temp, 'k8s-endpoint.yml');
    fs.writeFileSync(endpointSpec, 'name: k8s-endpoint\nauth_mode: key\ncompute: azureml:k8s-compute\n');
    const deploymentSpec = path.join(temp, 'k8s-deployment.yml');
    const yaml = fs
      .readFileSync(path.join(examples, 'deployment.yml'), 'utf8')
      .replace('endpoint_name: diabetes-endpoint', 'endpoint_name: k8s-endpoint\ntype: kubernetes')
      .replace('code: ./score', `code: ${path.join(examples, 'score')}`)
      .replace('instance_type: Standard_DS3_v2', 'instance_type: defaultinstancetype');
    fs.writeFileSync(deploymentSpec, yaml);
    const first = await run('certificate', { endpointSpec, deploymentSpec });
    assert.strictEqual(first.result, 'Succeeded', first.visibleLog);
    const from = fake.requests.length;
    const mirrored = await run('certificate', { endpointSpec, deploymentSpec, deploymentName: 'green', mirrorPercent: '10' });
    assert.strictEqual(mirrored.result, 'Failed', mirrored.visibleLog);
    assert.match(mirrored.errors[0], /mirrorPercent.*does not mirror traffic on Kubernetes online endpoints/);
    assert.deepStrictEqual(fake.requests.slice(from).filter((q) => q.method !== 'GET'), []);
    const r = await run('certificate', { endpointSpec, deploymentSpec, deploymentName: 'green', trafficSteps: '50,100', healthRequests: '4' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const puts = fake.requests.slice(from).filter((q) => q.method === 'PUT' && /onlineEndpoints\/k8s-endpoint$/.test(q.path)).map((q) => (q.body as any).properties);
    assert.deepStrictEqual(puts.map((p) => p.traffic), [{ blue: 50, green: 50 }, { green: 100 }]);
    assert.ok(puts.every((p) => /computes\/k8s-compute$/.test(p.compute)), 'a traffic update dropped the endpoint compute');
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), { green: 100 });
  });

  it('rolls back when the pipeline is canceled while the deployment provisions', async () => {
    fake.workspace.scriptDeployments({ stuck: { provisioning: 'hang' } });
    const from = fake.requests.length;
    const putSeen = () => fake.requests.slice(from).some((q) => q.method === 'PUT' && /deployments\/stuck$/.test(q.path));
    const r = await run('secret', { ...specs('tok-endpoint', 'aml_token'), deploymentName: 'stuck' }, putSeen);
    assert.strictEqual(r.result, 'Cancelled', r.visibleLog);
    assert.match(r.visibleLog, /canceled during the rollout\. Rolling back/);
    const trafficPuts = fake.requests.slice(from).filter((q) => q.method === 'PUT' && /onlineEndpoints\/tok-endpoint$/.test(q.path));
    assert.deepStrictEqual(trafficPuts, [], 'the traffic was touched');
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic ?? '{"blue":100}'), { blue: 100 });
  });

  it('rolls back a deployment still provisioning when timeoutMinutes is up', async () => {
    fake.workspace.releaseDeployment('tok-endpoint', 'stuck', 'Failed');
    fake.workspace.scriptDeployments({ slow: { provisioning: 'hang' } });
    const r = await run('secret', { ...specs('tok-endpoint', 'aml_token'), deploymentName: 'slow', timeoutMinutes: '1' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /The deployment 'slow' was still provisioning after 1 minute\./);
    assert.deepStrictEqual(JSON.parse(r.outputs.traffic), { blue: 100 });
  });
});
