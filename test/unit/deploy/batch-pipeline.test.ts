import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../../../src/errors';
import { deployBatch, type BatchDeployOptions } from '../../../src/deploy/batch';
import { loadBatchDeploymentSpec, loadBatchEndpointSpec } from '../../../src/deploy/spec';
import type { RequestOptions, WorkspaceClient } from '../../../src/workspace/client';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { APP, BASE_URL, RG, SUB, WS, WS_PATH, armId, call, newWorkspace, request } from '../fake-azure/workspace-helpers';

// deployBatch with a pipeline component deployment against the fake workspace, called in process: the client
// below hands each request to the fake as the real client would send it.

function clientFor(ws: WorkspaceService): WorkspaceClient {
  const send = async (method: string, p: string, o: RequestOptions) => {
    const url = new URL(p.startsWith('/') ? p : `${WS_PATH}/${p}`, BASE_URL);
    url.searchParams.set('api-version', o.apiVersion ?? '2024-04-01');
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const res = await ws.handle(request(method, url.toString(), o.body, null), APP);
    if (!res) throw new Error(`${method} ${p} was not handled by the fake workspace`);
    if (res.status === 404 && o.allowNotFound) return undefined;
    if (res.status >= 400) throw new Error(`${method} ${p} failed (${res.status}): ${JSON.stringify(res.body)}`);
    const headers = new Map(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const retryAfter = headers.get('retry-after');
    return { status: res.status, body: res.body, headers: { get: (name: string) => headers.get(name.toLowerCase()) }, retryAfterMs: retryAfter === undefined ? undefined : Number(retryAfter) * 1000 };
  };
  const client = {
    workspace: { subscriptionId: SUB, resourceGroup: RG, workspaceName: WS },
    workspaceId: WS_PATH,
    armId: (c: string, n: string, v?: string) => `${WS_PATH}/${c}/${n}${v !== undefined ? `/versions/${v}` : ''}`,
    workspaceDetails: async () => ({ location: 'eastus' }),
    request: send,
    get: async (p: string, o: RequestOptions) => (await send('GET', p, o))?.body,
    put: async (p: string, body: unknown, o: RequestOptions) => (await send('PUT', p, { ...o, body }))!.body,
  };
  return client as unknown as WorkspaceClient;
}

const component = (type: 'pipeline' | 'command') => ({
  properties: {
    componentSpec:
      type === 'command'
        ? {
            type,
            command: 'python score.py --data ${{inputs.data}} --out ${{outputs.scores}}',
            environment: `azureml:${armId('environments', 'sklearn-env', '1')}`,
            inputs: { data: { type: 'uri_folder' } },
            outputs: { scores: { type: 'uri_folder' } },
          }
        : {
            type,
            inputs: { data: { type: 'uri_folder' } },
            outputs: { scores: { type: 'uri_folder' } },
            jobs: {
              score: {
                type: 'command',
                component: `azureml:${armId('components', 'score', '1')}`,
                inputs: { data: '${{parent.inputs.data}}' },
                outputs: { scores: '${{parent.outputs.scores}}' },
              },
            },
          },
  },
});

describe('deploying a pipeline component to a batch endpoint', () => {
  let dir: string;
  let ws: WorkspaceService;
  let logs: string[];
  const credential: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-pipeline-'));
    ws = newWorkspace();
    logs = [];
    assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score/versions/1`, component('command'))).status, 201);
    for (const version of ['1', '2']) assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score-pipeline/versions/${version}`, component('pipeline'))).status, 201);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function options(deploymentYaml: string): BatchDeployOptions {
    fs.writeFileSync(path.join(dir, 'endpoint.yml'), 'name: score-batch\n');
    fs.writeFileSync(path.join(dir, 'deployment.yml'), deploymentYaml);
    return {
      client: clientFor(ws),
      credential,
      log: { info: (m: string) => void logs.push(m), warning: (m: string) => void logs.push(`warning: ${m}`), debug: () => undefined },
      onSecret: () => undefined,
      sleep: async () => undefined,
      endpoint: loadBatchEndpointSpec(path.join(dir, 'endpoint.yml')),
      deployment: loadBatchDeploymentSpec(path.join(dir, 'deployment.yml')),
      setDefault: true,
      timeoutMs: 60_000,
    };
  }

  const YAML = [
    'name: score-dpl',
    'endpoint_name: score-batch',
    'type: pipeline',
    'component: azureml:score-pipeline@latest',
    'settings:',
    '  default_compute: azureml:cpu-cluster',
    '  default_datastore: workspaceblobstore',
    '  continue_on_step_failure: false',
    'tags:',
    '  team: scoring',
    '',
  ].join('\n');

  it('creates the endpoint and the deployment with the latest component version, then finds nothing to change', async () => {
    const result = await deployBatch(options(YAML));
    assert.strictEqual(result.deploymentAction, 'created');
    assert.strictEqual(result.endpointCreated, true);
    assert.strictEqual(result.defaultDeployment, 'score-dpl');
    assert.strictEqual(result.componentId, armId('components', 'score-pipeline', '2'));
    assert.strictEqual(result.modelId, undefined);
    assert.ok(logs.some((l) => l.includes('(pipeline component score-pipeline:2, compute cpu-cluster)')), logs.join('\n'));

    const deployed = await call(ws, 'GET', `${WS_PATH}/batchEndpoints/score-batch/deployments/score-dpl`);
    assert.strictEqual(deployed.body.properties.provisioningState, 'Succeeded');
    assert.strictEqual(deployed.body.properties.compute, armId('computes', 'cpu-cluster'));
    assert.deepStrictEqual(deployed.body.properties.deploymentConfiguration, {
      deploymentConfigurationType: 'PipelineComponent',
      componentId: { referenceType: 'Id', assetId: armId('components', 'score-pipeline', '2') },
      settings: { default_compute: armId('computes', 'cpu-cluster'), default_datastore: armId('datastores', 'workspaceblobstore'), continue_on_step_failure: 'False' },
    });
    assert.strictEqual(deployed.body.tags.team, 'scoring');

    const again = await deployBatch(options(YAML));
    assert.strictEqual(again.deploymentAction, 'unchanged');
    assert.strictEqual(again.endpointCreated, false);
  });

  it('refuses a component that is not a pipeline component, pointing at the YAML, before creating anything', async () => {
    const o = options(YAML.replace('score-pipeline@latest', 'score:1'));
    await assert.rejects(deployBatch(o), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.strictEqual(e.line, 4);
      assert.match(e.message, /deployment\.yml:4: component: 'score:1' is a command component; a batch deployment of type pipeline needs a pipeline component/);
      return true;
    });
    assert.strictEqual((await call(ws, 'GET', `${WS_PATH}/batchEndpoints/score-batch`)).status, 404);
  });

  it('names the setting when the compute cluster or the component does not exist', async () => {
    await assert.rejects(deployBatch(options(YAML.replace('cpu-cluster', 'cpu-clustr'))), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.strictEqual(e.line, 6);
      assert.match(e.message, /The compute 'cpu-clustr' named in .*deployment\.yml does not exist .*settings\.default_compute/);
      return true;
    });
    await assert.rejects(deployBatch(options(YAML.replace('score-pipeline@latest', 'score-pipeline:7'))), /The component 'score-pipeline:7' named in .*deployment\.yml does not exist/);
  });
});
