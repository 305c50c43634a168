import assert from 'assert';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';
import type { Principal } from '../../fake-azure/http';
import { azuriteServiceClient } from '../../fake-azure/storage';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { APP, BASE_URL, STRANGER, SUB, WS_PATH, armId, call, createFixtureCode, newWorkspace, request } from './workspace-helpers';

const EP = `${WS_PATH}/batchEndpoints`;
const OPS = `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/locations/eastus`;
const CPU = armId('computes', 'cpu-cluster');
const ML_APP: Principal = { ...APP, audience: 'https://ml.azure.com' };
const DIABETES = 'azureml://datastores/workspaceblobstore/paths/data/diabetes.csv';

function endpointBody(props: Record<string, unknown> = {}): any {
  return { location: 'eastus', properties: { authMode: 'AADToken', ...props } };
}

function modelDeployment(props: Record<string, unknown> = {}): any {
  return {
    location: 'eastus',
    properties: {
      compute: CPU,
      model: { referenceType: 'Id', assetId: armId('models', 'diabetes-model', '1') },
      codeConfiguration: { codeId: armId('codes', 'train-src', '1'), scoringScript: 'score.py' },
      environmentId: armId('environments', 'sklearn-env', '1'),
      miniBatchSize: 5,
      ...props,
    },
  };
}

function pipelineDeployment(props: Record<string, unknown> = {}): any {
  return {
    location: 'eastus',
    properties: {
      compute: CPU,
      deploymentConfiguration: { deploymentConfigurationType: 'PipelineComponent', componentId: { referenceType: 'Id', assetId: armId('components', 'score-pipeline', '1') } },
      ...props,
    },
  };
}

function commandComponent(): any {
  return {
    properties: {
      componentSpec: {
        type: 'command',
        command: 'python score.py --data ${{inputs.data}} --out ${{outputs.scores}}',
        environment: `azureml:${armId('environments', 'sklearn-env', '1')}`,
        inputs: { data: { type: 'uri_folder' } },
        outputs: { scores: { type: 'uri_folder' } },
      },
    },
  };
}

function pipelineComponent(spec: Record<string, unknown> = {}): any {
  return {
    properties: {
      componentSpec: {
        type: 'pipeline',
        inputs: { data: { type: 'uri_folder' }, threshold: { type: 'number', default: 0.5 } },
        outputs: { scores: { type: 'uri_folder' } },
        jobs: {
          score: {
            type: 'command',
            component: `azureml:${armId('components', 'score', '1')}`,
            inputs: { data: '${{parent.inputs.data}}' },
            outputs: { scores: '${{parent.outputs.scores}}' },
          },
        },
        ...spec,
      },
    },
  };
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

async function createEndpoint(ws: WorkspaceService, name: string, props: Record<string, unknown> = {}): Promise<any> {
  const res = await call(ws, 'PUT', `${EP}/${name}`, endpointBody(props));
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
  await pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
  return res;
}

async function createDeployment(ws: WorkspaceService, endpoint: string, name: string, body = modelDeployment()): Promise<any[]> {
  const res = await call(ws, 'PUT', `${EP}/${endpoint}/deployments/${name}`, body);
  assert.strictEqual(res.status, 201, JSON.stringify(res.body));
  return pollToEnd(ws, res.headers!['Azure-AsyncOperation']);
}

async function newBatchWorkspace(): Promise<WorkspaceService> {
  const ws = newWorkspace();
  ws.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/', modelType: 'custom_model' });
  ws.seedVersion('models', 'diabetes-mlflow', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/mlflow/', modelType: 'mlflow_model' });
  await createFixtureCode(ws);
  return ws;
}

async function createComponents(ws: WorkspaceService): Promise<void> {
  assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score/versions/1`, commandComponent())).status, 201);
  const res = await call(ws, 'PUT', `${WS_PATH}/components/score-pipeline/versions/1`, pipelineComponent());
  assert.strictEqual(res.status, 201, JSON.stringify(res.body));
}

/** POSTs to the endpoint's jobs URI as `principal` (undefined: no bearer token, as the front door hands it on). */
async function invoke(ws: WorkspaceService, endpoint: string, body: unknown, opts: { principal?: Principal | null; deployment?: string } = {}): Promise<any> {
  const req = request('POST', `/batch/${endpoint}/jobs`, body, null);
  if (opts.deployment) req.headers['azureml-model-deployment'] = opts.deployment;
  const principal = opts.principal === undefined ? ML_APP : opts.principal;
  if (principal) req.headers.authorization = 'Bearer jwt';
  const res = principal ? await ws.handle(req, principal) : await ws.handleAnonymous(req);
  assert.ok(res, 'the jobs URI is served');
  return res;
}

function inputBody(uri = DIABETES, type = 'UriFile'): any {
  return { properties: { InputData: { heart: { JobInputType: type, Uri: uri } } } };
}

describe('fake Azure ML workspace: batch endpoints', () => {
  let ws: WorkspaceService;
  beforeEach(async () => {
    ws = await newBatchWorkspace();
  });

  describe('endpoints', () => {
    it('creates an endpoint as an LRO with the jobs URI as scoring URI; re-PUT is a 200 update, a PUT while busy a 409', async () => {
      const res = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ description: 'd' }));
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.properties.provisioningState, 'Creating');
      assert.strictEqual(res.body.properties.scoringUri, `${BASE_URL}/batch/batch1/jobs`);
      assert.strictEqual(res.body.properties.swaggerUri, `${BASE_URL}/batch/batch1/swagger.json`);
      assert.deepStrictEqual(res.body.properties.defaults, { deploymentName: null });
      const op = res.headers!['Azure-AsyncOperation'];
      assert.ok(op.startsWith(`${BASE_URL}${OPS}/mfeOperationsStatus/`), op);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1`, endpointBody())).status, 409);
      assert.deepStrictEqual((await pollToEnd(ws, op)).map((b) => b.status), ['InProgress', 'Succeeded']);
      const got = await call(ws, 'GET', `${EP}/batch1`, undefined, { apiVersion: '2022-10-01' });
      assert.strictEqual(got.body.properties.provisioningState, 'Succeeded');
      assert.strictEqual(got.body.id, `${EP}/batch1`);
      assert.strictEqual(got.body.type, 'Microsoft.MachineLearningServices/workspaces/batchEndpoints');
      assert.deepStrictEqual((await call(ws, 'GET', EP)).body.value.map((e: any) => e.name), ['batch1']);
      const updated = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ description: 'new' }));
      assert.strictEqual(updated.status, 200);
      assert.strictEqual(updated.body.properties.provisioningState, 'Updating');
      assert.strictEqual((await call(ws, 'GET', `${EP}/missing`)).status, 404);
    });

    it('refuses bad names, another location, auth modes other than AADToken, keys, unknown members and bodies at another api-version', async () => {
      assert.match((await call(ws, 'PUT', `${EP}/1batch`, endpointBody())).body.error.message, /not a valid batch endpoint name/);
      const where = await call(ws, 'PUT', `${EP}/batch1`, { ...endpointBody(), location: 'westus' });
      assert.strictEqual(where.status, 400);
      assert.match(where.body.error.message, /location: 'westus' is not the workspace's location/);
      for (const authMode of ['Key', 'AMLToken']) {
        const res = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ authMode }));
        assert.strictEqual(res.status, 400);
        assert.match(res.body.error.message, new RegExp(`properties\\.authMode: '${authMode}' is not supported by batch endpoints; use AADToken`));
      }
      const keys = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ keys: { primaryKey: 'k' } }));
      assert.match(keys.body.error.message, /properties\.keys: batch endpoints have no keys/);
      const unknown = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ traffic: { blue: 100 } }));
      assert.strictEqual(unknown.status, 400);
      assert.match(unknown.body.error.message, /properties\.traffic/);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1`, endpointBody(), { apiVersion: '2022-10-01' })).status, 400);
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1`)).status, 404);
    });

    it('takes defaults.deploymentName only for a deployment of the endpoint', async () => {
      const early = await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ defaults: { deploymentName: 'blue' } }));
      assert.strictEqual(early.status, 400);
      assert.match(early.body.error.message, /properties\.defaults\.deploymentName: Deployment 'blue' does not exist in batch endpoint 'batch1'/);
      await createEndpoint(ws, 'batch1');
      await createDeployment(ws, 'batch1', 'blue');
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1`, endpointBody({ defaults: { deploymentName: 'green' } }))).status, 400);
      await createEndpoint(ws, 'batch1', { defaults: { deploymentName: 'blue' } });
      assert.deepStrictEqual((await call(ws, 'GET', `${EP}/batch1`)).body.properties.defaults, { deploymentName: 'blue' });
    });

    it('deletes an endpoint and its deployments as an LRO: 202 with Location, then 200 and gone; 204 when absent', async () => {
      await createEndpoint(ws, 'batch1');
      await createDeployment(ws, 'batch1', 'blue');
      const res = await call(ws, 'DELETE', `${EP}/batch1`);
      assert.strictEqual(res.status, 202);
      assert.ok(res.headers!.Location.startsWith(`${BASE_URL}${OPS}/mfeOperationResults/`));
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1`)).body.properties.provisioningState, 'Deleting');
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 200);
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1`)).status, 404);
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1/deployments/blue`)).status, 404);
      assert.strictEqual((await call(ws, 'DELETE', `${EP}/batch1`)).status, 204);
    });
  });

  describe('deployments', () => {
    beforeEach(() => createEndpoint(ws, 'batch1'));

    it('creates a model deployment as an LRO, with the spec defaults filled in', async () => {
      const res = await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, modelDeployment());
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.properties.provisioningState, 'Creating');
      assert.strictEqual(res.body.properties.outputFileName, 'predictions.csv');
      assert.strictEqual(res.body.properties.outputAction, 'AppendRow');
      assert.strictEqual(res.body.type, 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments');
      assert.deepStrictEqual((await pollToEnd(ws, res.headers!['Azure-AsyncOperation'])).map((b) => b.status), ['InProgress', 'Succeeded']);
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1/deployments/blue`)).body.properties.provisioningState, 'Succeeded');
      assert.deepStrictEqual((await call(ws, 'GET', `${EP}/batch1/deployments`)).body.value.map((d: any) => d.name), ['blue']);
      assert.strictEqual((await call(ws, 'PUT', `${EP}/missing/deployments/blue`, modelDeployment())).status, 404);
    });

    it('needs the ARM id of a compute cluster of the workspace', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [undefined, /properties\.compute: is required/],
        ['cpu-cluster', /properties\.compute: 'cpu-cluster' is not a compute ARM id/],
        [armId('computes', 'big-cluster'), /properties\.compute: Compute 'big-cluster' was not found/],
        [armId('computes', 'k8s-compute'), /properties\.compute: Compute 'k8s-compute' is not a compute cluster \(AmlCompute\)/],
      ];
      for (const [compute, message] of cases) {
        const res = await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, modelDeployment({ compute }));
        assert.strictEqual(res.status, 400);
        assert.match(res.body.error.message, message);
      }
    });

    it('deploys exactly one of a model by id or a pipeline component', async () => {
      const cases: Array<[any, RegExp]> = [
        [modelDeployment({ model: undefined }), /properties\.model: is required/],
        [modelDeployment({ deploymentConfiguration: pipelineDeployment().properties.deploymentConfiguration }), /either a model .* or a pipeline component/],
        [modelDeployment({ model: { referenceType: 'DataPath', datastoreId: armId('datastores', 'workspaceblobstore'), path: 'models/x' } }), /properties\.model\.referenceType: 'DataPath' is not supported/],
        [modelDeployment({ model: { referenceType: 'Id', assetId: armId('models', 'nope', '1') } }), /properties\.model\.assetId: Could not find model asset nope:1/],
        [modelDeployment({ model: { referenceType: 'Id', assetId: 'diabetes-model:1' } }), /properties\.model\.assetId: 'diabetes-model:1' is not the ARM id of a model version/],
        [pipelineDeployment({ deploymentConfiguration: { deploymentConfigurationType: 'Model' } }), /deploymentConfigurationType: "Model" is not a valid BatchDeploymentConfiguration type/],
      ];
      for (const [body, message] of cases) {
        const res = await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, body);
        assert.strictEqual(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, message);
      }
      const registry = modelDeployment({ model: { referenceType: 'Id', assetId: 'azureml://registries/azureml/models/heart/versions/1' } });
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, registry)).status, 201);
    });

    it('needs a scoring script and an environment unless the model is an MLflow model, and checks they exist', async () => {
      const bare = await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, modelDeployment({ codeConfiguration: undefined, environmentId: undefined }));
      assert.strictEqual(bare.status, 400);
      assert.deepStrictEqual(bare.body.error.details.map((d: any) => d.target).sort(), ['properties.codeConfiguration', 'properties.environmentId']);
      const missing = await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, modelDeployment({
        codeConfiguration: { codeId: armId('codes', 'score-src', '1'), scoringScript: 'score.py' },
        environmentId: armId('environments', 'sklearn-env', '9'),
      }));
      assert.strictEqual(missing.status, 400);
      assert.deepStrictEqual(missing.body.error.details.map((d: any) => d.target).sort(), ['properties.codeConfiguration.codeId', 'properties.environmentId']);
      const mlflow = modelDeployment({ model: { referenceType: 'Id', assetId: armId('models', 'diabetes-mlflow', '1') }, codeConfiguration: undefined, environmentId: undefined });
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1/deployments/blue`, mlflow)).status, 201);
    });

    it('deploys a pipeline component, not a command component, and nothing that is not there', async () => {
      await createComponents(ws);
      const seen = await createDeployment(ws, 'batch1', 'pipe', pipelineDeployment());
      assert.deepStrictEqual(seen.map((b) => b.status), ['InProgress', 'Succeeded']);
      const command = await call(ws, 'PUT', `${EP}/batch1/deployments/cmd`, pipelineDeployment({
        deploymentConfiguration: { deploymentConfigurationType: 'PipelineComponent', componentId: { referenceType: 'Id', assetId: armId('components', 'score', '1') } },
      }));
      assert.strictEqual(command.status, 400);
      assert.match(command.body.error.message, /score:1 is a command component; a pipeline component deployment needs a pipeline component/);
      const absent = await call(ws, 'PUT', `${EP}/batch1/deployments/cmd`, pipelineDeployment({
        deploymentConfiguration: { deploymentConfigurationType: 'PipelineComponent', componentId: { referenceType: 'Id', assetId: armId('components', 'score-pipeline', '7') } },
      }));
      assert.match(absent.body.error.message, /Could not find component score-pipeline:7/);
      const withCode = await call(ws, 'PUT', `${EP}/batch1/deployments/cmd`, pipelineDeployment({ environmentId: armId('environments', 'sklearn-env', '1') }));
      assert.match(withCode.body.error.message, /properties\.environmentId: is not used by a pipeline component deployment/);
    });

    it('fails provisioning as scripted, and hangs until released', async () => {
      ws.scriptBatchDeployments({ blue: { provisioning: 'Failed', error: { code: 'ImageBuildFailure', message: 'conda failed' } }, '*': { provisioning: 'hang' } });
      const failed = await createDeployment(ws, 'batch1', 'blue');
      assert.deepStrictEqual(failed.map((b) => b.status), ['InProgress', 'Failed']);
      assert.deepStrictEqual(failed[1].error, { code: 'ImageBuildFailure', message: 'conda failed' });
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1/deployments/blue`)).body.properties.provisioningState, 'Failed');
      const res = await call(ws, 'PUT', `${EP}/batch1/deployments/green`, modelDeployment());
      const op = res.headers!['Azure-AsyncOperation'];
      for (let i = 0; i < 3; i += 1) assert.strictEqual((await call(ws, 'GET', op)).body.status, 'InProgress');
      assert.strictEqual((await call(ws, 'PUT', `${EP}/batch1/deployments/green`, modelDeployment())).status, 409);
      assert.throws(() => ws.releaseBatchDeployment('batch1', 'red'), /no provisioning under way/);
      ws.releaseBatchDeployment('batch1', 'green');
      assert.strictEqual((await call(ws, 'GET', op)).body.status, 'Succeeded');
      assert.throws(() => ws.scriptBatchDeployments({ blue: { provisioning: 'Later' as never } }), /provisioning/);
    });

    it('refuses to delete the default deployment; deletes it as an LRO once it is not the default', async () => {
      await createDeployment(ws, 'batch1', 'blue');
      await createEndpoint(ws, 'batch1', { defaults: { deploymentName: 'blue' } });
      const refused = await call(ws, 'DELETE', `${EP}/batch1/deployments/blue`);
      assert.strictEqual(refused.status, 400);
      assert.match(refused.body.error.message, /'blue' is the default deployment of batch endpoint 'batch1'/);
      await createEndpoint(ws, 'batch1', { defaults: { deploymentName: null } });
      const res = await call(ws, 'DELETE', `${EP}/batch1/deployments/blue`);
      assert.strictEqual(res.status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 202);
      assert.strictEqual((await call(ws, 'GET', res.headers!.Location)).status, 200);
      assert.strictEqual((await call(ws, 'GET', `${EP}/batch1/deployments/blue`)).status, 404);
      assert.strictEqual((await call(ws, 'DELETE', `${EP}/batch1/deployments/blue`)).status, 204);
      assert.strictEqual((await call(ws, 'DELETE', `${EP}/missing/deployments/blue`)).status, 404);
    });
  });

  describe('pipeline components', () => {
    it('accepts a pipeline component whose nodes run components that exist and bind declared inputs and outputs', async () => {
      assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score/versions/1`, commandComponent())).status, 201);
      const cases: Array<[any, RegExp]> = [
        [pipelineComponent({ jobs: {} }), /componentSpec\.jobs: a pipeline component needs at least one node/],
        [pipelineComponent({ jobs: { score: { type: 'command' } } }), /componentSpec\.jobs\.score\.component: is required/],
        [pipelineComponent({ jobs: { score: { type: 'command', component: `azureml:${armId('components', 'score', '2')}` } } }), /componentSpec\.jobs\.score\.component: Could not find component asset score:2/],
        [pipelineComponent({ jobs: { score: { type: 'command', component: 'azureml:score:1', inputs: { data: '${{parent.inputs.rows}}' } } } }), /declares no input 'rows'/],
        [pipelineComponent({ outputs: { scores: { type: 'table' } } }), /componentSpec\.outputs\.scores\.type: 'table' is not a component output type/],
      ];
      for (const [body, message] of cases) {
        const res = await call(ws, 'PUT', `${WS_PATH}/components/score-pipeline/versions/1`, body);
        assert.strictEqual(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, message);
      }
      assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score-pipeline/versions/1`, pipelineComponent())).status, 201);
      const short = pipelineComponent({ jobs: { score: { type: 'command', component: 'azureml:score:1' } } });
      assert.strictEqual((await call(ws, 'PUT', `${WS_PATH}/components/score-pipeline/versions/2`, short)).status, 201);
    });

    it('refuses a pipeline component as the component of a command node of a pipeline job', async () => {
      await createComponents(ws);
      const job = {
        properties: {
          jobType: 'Pipeline',
          inputs: { data: { jobInputType: 'uri_file', uri: 'azureml:diabetes-data:1' } },
          jobs: { score: { type: 'command', componentId: armId('components', 'score-pipeline', '1'), inputs: { data: { job_input_type: 'literal', value: '${{parent.inputs.data}}' } } } },
        },
      };
      const res = await call(ws, 'PUT', `${WS_PATH}/jobs/pipe-1`, job);
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /properties\.jobs\.score\.componentId: score-pipeline:1 is a pipeline component; a command node runs a command component/);
    });
  });

  describe('invocation', () => {
    beforeEach(async () => {
      await createEndpoint(ws, 'batch1');
      await createDeployment(ws, 'batch1', 'blue');
      await createDeployment(ws, 'batch1', 'green');
      await createEndpoint(ws, 'batch1', { defaults: { deploymentName: 'blue' } });
    });

    it('needs an Entra token for https://ml.azure.com of a principal with a role', async () => {
      assert.strictEqual((await invoke(ws, 'batch1', inputBody(), { principal: null })).status, 401);
      const arm = await invoke(ws, 'batch1', inputBody(), { principal: APP });
      assert.strictEqual(arm.status, 401);
      assert.strictEqual(arm.body.error.code, 'InvalidAuthenticationTokenAudience');
      assert.strictEqual((await invoke(ws, 'batch1', inputBody(), { principal: { ...STRANGER, audience: 'https://ml.azure.com/' } })).status, 403);
      const res = await invoke(ws, 'batch1', inputBody());
      assert.strictEqual(res.status, 200, JSON.stringify(res.body));
      assert.deepStrictEqual(ws.batchInvocations().map((r) => r.status), [401, 401, 403, 200]);
      assert.strictEqual((await invoke(ws, 'nope', inputBody())).status, 404);
    });

    it('runs the default deployment, or the one the azureml-model-deployment header names', async () => {
      assert.strictEqual((await invoke(ws, 'batch1', inputBody())).status, 200);
      assert.strictEqual((await invoke(ws, 'batch1', inputBody(), { deployment: 'green' })).status, 200);
      const unknown = await invoke(ws, 'batch1', inputBody(), { deployment: 'gray' });
      assert.strictEqual(unknown.status, 404);
      assert.match(unknown.body.error.message, /Deployment 'gray' was not found in batch endpoint 'batch1'/);
      await createEndpoint(ws, 'batch2');
      const noDefault = await invoke(ws, 'batch2', inputBody());
      assert.strictEqual(noDefault.status, 400);
      assert.match(noDefault.body.error.message, /has no default deployment/);
      const records = ws.batchInvocations().map((r) => `${r.endpoint}/${r.deployment}:${r.status}:${r.jobName ? 'job' : '-'}`);
      assert.deepStrictEqual(records, ['batch1/blue:200:job', 'batch1/green:200:job', 'batch1/gray:404:-', 'batch2/undefined:400:-']);
    });

    it('refuses bad bodies with the path of each problem, and reads member names in any case', async () => {
      const cases: Array<[any, RegExp]> = [
        [{}, /properties: is required/],
        [{ properties: { InputData: inputBody().properties.InputData, Compute: 'cpu-cluster' } }, /properties\.Compute: is not a member/],
        [{ properties: { InputData: { heart: { JobInputType: 'UriTable', Uri: DIABETES } } } }, /properties\.InputData\.heart\.JobInputType: "UriTable" is not an input type/],
        [{ properties: { InputData: { heart: { JobInputType: 'UriFile' } } } }, /properties\.InputData\.heart\.Uri: is required/],
        [{ properties: { InputData: { heart: { JobInputType: 'UriFile', Uri: DIABETES, Mode: 'Download' } } } }, /properties\.InputData\.heart\.Mode: is not a member/],
        [inputBody('./data/heart.csv'), /properties\.InputData\.heart\.Uri: '\.\/data\/heart\.csv' is not a supported URI/],
        [inputBody('azureml://datastores/nostore/paths/x.csv'), /Datastore 'nostore' was not found/],
        [inputBody('azureml:diabetes-data:9'), /Could not find data asset diabetes-data:9/],
        [{ properties: { InputData: { a: { JobInputType: 'UriFile', Uri: DIABETES }, b: { JobInputType: 'UriFile', Uri: DIABETES } } } }, /properties\.InputData: a model deployment takes exactly one input, got 2/],
        [{ properties: { InputData: { a: { JobInputType: 'Literal', Value: '3' } } } }, /a model deployment scores data/],
        [{ properties: { ...inputBody().properties, OutputData: { results: { JobOutputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/out/' } } } }, /properties\.OutputData\.results: a model deployment has one output, 'score'/],
        [{ properties: { ...inputBody().properties, OutputData: { score: { JobOutputType: 'UriFolder', Uri: 'out/' } } } }, /properties\.OutputData\.score\.Uri: 'out\/' is not a valid output location/],
      ];
      for (const [body, message] of cases) {
        const res = await invoke(ws, 'batch1', body);
        assert.strictEqual(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, message);
      }
      const camel = await invoke(ws, 'batch1', { properties: { inputData: { heart: { jobInputType: 'uriFile', uri: 'azureml:diabetes-data:1' } } } });
      assert.strictEqual(camel.status, 200, JSON.stringify(camel.body));
      assert.deepStrictEqual(camel.body.properties.inputs.heart, { jobInputType: 'uri_file', uri: 'azureml:diabetes-data:1', mode: 'ReadOnlyMount' });
      assert.strictEqual(ws.batchInvocations().filter((r) => r.status === 400).length, cases.length);
    });

    it('creates a pipeline job in the workspace that moves through the scripted lifecycle with its log', async () => {
      ws.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], logLines: ['scoring heart.csv', 'done'] });
      const res = await invoke(ws, 'batch1', inputBody());
      const name = res.body.name;
      assert.match(name, /^batchjob-[0-9a-f-]{36}$/);
      assert.strictEqual(res.body.id, `${WS_PATH}/jobs/${name}`);
      assert.strictEqual(res.body.type, 'Microsoft.MachineLearningServices/workspaces/jobs');
      assert.strictEqual(res.body.properties.status, 'NotStarted');
      assert.strictEqual(res.body.properties.jobType, 'Pipeline');
      assert.deepStrictEqual(ws.batchInvocations()[0].inputs, { heart: { jobInputType: 'uri_file', uri: DIABETES, mode: 'ReadOnlyMount' } });

      const job = await call(ws, 'GET', `${WS_PATH}/jobs/${name}`);
      const p = job.body.properties;
      assert.strictEqual(p.status, 'Queued');
      assert.strictEqual(p.displayName, 'batch1');
      assert.strictEqual(p.experimentName, 'batch1');
      assert.strictEqual(p.computeId, CPU);
      assert.deepStrictEqual(p.properties, { 'azureml.batchrun': 'true', 'azureml.endpointname': 'batch1', 'azureml.deploymentname': 'blue', 'azureml.modelid': armId('models', 'diabetes-model', '1') });
      assert.strictEqual(p.outputs.score.uri, `azureml://datastores/workspaceblobstore/paths/azureml/${name}/score/`);
      assert.deepStrictEqual(Object.keys(p.jobs), ['batchscoring']);
      for (let i = 0; i < 20 && ws.advanceJob(name) !== 'Completed'; i++);
      const details = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/${name}/details`);
      assert.strictEqual(details.body.status, 'Completed');
      assert.strictEqual(details.body.runType, 'azureml.PipelineRun');
      assert.strictEqual(details.body.properties['azureml.batchrun'], 'true');
      // The scoring, and its log, happen in the job's one step.
      const children = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/${name}/children`);
      assert.deepStrictEqual(children.body.value.map((c: any) => [c.displayName ?? c.name, c.status]), [['batchscoring', 'Completed']]);
      const step = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/${children.body.value[0].runId}/details`);
      const log = await ws.handleAnonymous(request('GET', step.body.logFiles['user_logs/std_log.txt'], undefined, null));
      assert.strictEqual(log!.body, 'scoring heart.csv\ndone\n');
      const listed = await call(ws, 'GET', `${WS_PATH}/jobs?jobType=Pipeline`);
      assert.deepStrictEqual(listed.body.value.map((j: any) => j.name), [name]);
      // No storage here: nothing to write.
      assert.deepStrictEqual(await ws.batchOutputs(), []);
    });

    it('fails the job as scripted, with the script error', async () => {
      ws.scriptJobs({ statuses: ['Running', 'Failed'], error: { code: 'UserError', message: 'run() raised ValueError' } });
      const name = (await invoke(ws, 'batch1', inputBody())).body.name;
      for (let i = 0; i < 20 && ws.advanceJob(name) !== 'Failed'; i++);
      const job = await call(ws, 'GET', `${WS_PATH}/jobs/${name}`);
      assert.strictEqual(job.body.properties.status, 'Failed');
      const children = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/${name}/children`);
      const step = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/${children.body.value[0].runId}/details`);
      assert.deepStrictEqual(step.body.error.error.message, 'run() raised ValueError');
    });

    it('refuses a deployment that did not provision', async () => {
      ws.scriptBatchDeployments({ red: { provisioning: 'Failed' } });
      await createDeployment(ws, 'batch1', 'red');
      const res = await invoke(ws, 'batch1', inputBody(), { deployment: 'red' });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /Deployment 'red' of batch endpoint 'batch1' is Failed and cannot run jobs/);
    });

    it('gives a pipeline component deployment the inputs and outputs its component declares', async () => {
      await createComponents(ws);
      await createDeployment(ws, 'batch1', 'pipe', pipelineDeployment());
      const data = { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/data/' };
      const cases: Array<[any, RegExp]> = [
        [{ properties: { InputData: {} } }, /the pipeline component's required input 'data' is not given/],
        [{ properties: { InputData: { data, rows: data } } }, /properties\.InputData\.rows: the pipeline component has no input 'rows' \(it has: data, threshold\)/],
        [{ properties: { InputData: { data, threshold: data } } }, /properties\.InputData\.threshold\.JobInputType: input 'threshold' is declared as number; give a Literal input/],
        [{ properties: { InputData: { data: { JobInputType: 'Literal', Value: 'x' } } } }, /input 'data' is declared as uri_folder; give a UriFolder or UriFile input/],
        [{ properties: { InputData: { data }, OutputData: { score: { JobOutputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/out/' } } } }, /properties\.OutputData\.score: the pipeline component has no output 'score'/],
      ];
      for (const [body, message] of cases) {
        const res = await invoke(ws, 'batch1', body, { deployment: 'pipe' });
        assert.strictEqual(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, message);
      }
      const body = { properties: { InputData: { data, threshold: { JobInputType: 'Literal', Value: '0.7' } }, OutputData: { scores: { JobOutputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/scores/' } } } };
      const res = await invoke(ws, 'batch1', body, { deployment: 'pipe' });
      assert.strictEqual(res.status, 200, JSON.stringify(res.body));
      assert.deepStrictEqual(res.body.properties.outputs, { scores: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/scores/', mode: 'Upload' } });
      assert.strictEqual(res.body.properties.properties['azureml.pipelinecomponentid'], armId('components', 'score-pipeline', '1'));
      assert.deepStrictEqual(res.body.properties.inputs.threshold, { jobInputType: 'literal', value: '0.7' });
    });
  });
});

describe('fake Azure: batch endpoint invocation over HTTPS with Azurite', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let arm: string;
  let auth: Record<string, string>;
  let mlAuth: Record<string, string>;
  before(async () => {
    fake = await startFakeAzure({ blob: true });
    const { clientId, clientSecret } = fake.identities.secret;
    auth = { Authorization: `Bearer ${await tokenWithSecret(fake, clientId, clientSecret)}` };
    mlAuth = { Authorization: `Bearer ${await tokenWithSecret(fake, clientId, clientSecret, 'https://ml.azure.com/.default')}` };
    arm = `${fake.url}/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
    const id = arm.slice(fake.url.length);
    fake.workspace.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/', modelType: 'mlflow_model' });
    await put('/batchEndpoints/heart', { location: fake.location, properties: { authMode: 'AADToken' } });
    const deployment = { location: fake.location, properties: { compute: `${id}/computes/cpu-cluster`, model: { referenceType: 'Id', assetId: `${id}/models/diabetes-model/versions/1` } } };
    await put('/batchEndpoints/heart/deployments/blue', deployment);
    await put('/batchEndpoints/heart/deployments/green', { ...deployment, properties: { ...deployment.properties, outputFileName: 'scores.csv' } });
    await put('/batchEndpoints/heart', { location: fake.location, properties: { authMode: 'AADToken', defaults: { deploymentName: 'blue' } } });
  });
  after(() => fake?.stop());

  async function put(path: string, body: unknown): Promise<any> {
    const res = await rawRequest(fake.caCertPath, `${arm}${path}?api-version=2024-04-01`, { method: 'PUT', headers: auth, body });
    assert.ok(res.status === 201 || res.status === 200, res.text);
    for (let i = 0; i < 2; i += 1) await rawRequest(fake.caCertPath, res.headers['azure-asyncoperation'] as string, { headers: auth });
    return res.json;
  }

  async function runToEnd(name: string): Promise<any> {
    for (let i = 0; i < 10; i += 1) {
      const job = await rawRequest(fake.caCertPath, `${arm}/jobs/${name}?api-version=2024-04-01`, { headers: auth });
      assert.strictEqual(job.status, 200, job.text);
      if (job.json.properties.status === 'Completed') return job.json;
    }
    throw new Error(`job ${name} did not complete`);
  }

  async function blobText(container: string, path: string): Promise<string> {
    return (await azuriteServiceClient(fake.storage!).getContainerClient(container).getBlobClient(path).downloadToBuffer()).toString('utf8');
  }

  it('invokes the endpoint with an ml.azure.com token; the job completes and predictions.csv has one line per input row', async () => {
    const scoringUri = (await rawRequest(fake.caCertPath, `${arm}/batchEndpoints/heart?api-version=2024-04-01`, { headers: auth })).json.properties.scoringUri;
    assert.strictEqual(scoringUri, `${fake.url}/batch/heart/jobs`);
    const body = { properties: { InputData: { heart: { JobInputType: 'UriFile', Uri: 'azureml:diabetes-data:1' } } } };
    assert.strictEqual((await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', body })).status, 401);
    assert.strictEqual((await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', headers: auth, body })).status, 401);
    const res = await rawRequest(fake.caCertPath, scoringUri, { method: 'POST', headers: mlAuth, body });
    assert.strictEqual(res.status, 200, res.text);
    const name = res.json.name;
    await runToEnd(name);
    const csv = await blobText(fake.workspace.identity.defaultContainer, `azureml/${name}/score/predictions.csv`);
    const lines = csv.trimEnd().split('\n');
    assert.strictEqual(lines.length, 40);
    assert.match(lines[0], /^diabetes\.csv,0,-?\d+(\.\d+)?$/);
    assert.match(lines[39], /^diabetes\.csv,39,/);
    const history = `${fake.url}/history/v1.0${arm.slice(fake.url.length)}/runs`;
    const step = (await rawRequest(fake.caCertPath, `${history}/${name}/children`, { headers: mlAuth })).json.value[0];
    const details = await rawRequest(fake.caCertPath, `${history}/${step.runId}/details`, { headers: mlAuth });
    const log = await rawRequest(fake.caCertPath, details.json.logFiles['user_logs/std_log.txt']);
    assert.match(log.text, /Batch scoring job .* for endpoint heart, deployment blue/);
    assert.match(log.text, /Batch scoring done\./);
  });

  it('writes where OutputData says, with the deployment output file name, for the deployment the header names', async () => {
    const body = {
      properties: {
        InputData: { heart: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/data/' } },
        OutputData: { score: { JobOutputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/results/run1/' } },
      },
    };
    const res = await rawRequest(fake.caCertPath, `${fake.url}/batch/heart/jobs`, { method: 'POST', headers: { ...mlAuth, 'azureml-model-deployment': 'green' }, body });
    assert.strictEqual(res.status, 200, res.text);
    await runToEnd(res.json.name);
    const csv = await blobText(fake.workspace.identity.defaultContainer, 'results/run1/scores.csv');
    assert.strictEqual(csv.trimEnd().split('\n').length, 40);
    const outputs = await fake.workspace.batchOutputs();
    assert.deepStrictEqual(outputs.find((o) => o.jobName === res.json.name), { jobName: res.json.name, container: fake.workspace.identity.defaultContainer, path: 'results/run1/scores.csv', lines: 40 });
  });

  it('writes nothing when the input is not on the workspace storage', async () => {
    const body = { properties: { InputData: { heart: { JobInputType: 'UriFile', Uri: 'https://example.blob.core.windows.net/data/heart.csv' } } } };
    const res = await rawRequest(fake.caCertPath, `${fake.url}/batch/heart/jobs`, { method: 'POST', headers: mlAuth, body });
    assert.strictEqual(res.status, 200, res.text);
    await runToEnd(res.json.name);
    assert.strictEqual((await fake.workspace.batchOutputs()).filter((o) => o.jobName === res.json.name).length, 0);
    const container = azuriteServiceClient(fake.storage!).getContainerClient(fake.workspace.identity.defaultContainer);
    assert.strictEqual(await container.getBlobClient(`azureml/${res.json.name}/score/predictions.csv`).exists(), false);
  });
});
