import assert from 'assert';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { APP, BASE_URL, SUB, WS_PATH, armId, call, commandJobBody, createFixtureCode, newWorkspace, request } from './workspace-helpers';

const JOB = `${WS_PATH}/jobs/train-1`;

describe('fake Azure ML workspace: jobs', () => {
  let ws: WorkspaceService;
  beforeEach(async () => {
    ws = newWorkspace();
    await createFixtureCode(ws);
  });

  async function submit(body = commandJobBody(), path = JOB) {
    return call(ws, 'PUT', path, body);
  }

  async function status(path = JOB): Promise<string> {
    return (await call(ws, 'GET', path)).body.properties.status;
  }

  describe('submission', () => {
    it('creates a command job with 201 and answers like Azure ML: NotStarted, studio and tracking services, default output', async () => {
      const res = await submit();
      assert.strictEqual(res.status, 201);
      assert.strictEqual(res.body.id, armId('jobs', 'train-1'));
      assert.strictEqual(res.body.name, 'train-1');
      assert.strictEqual(res.body.type, 'Microsoft.MachineLearningServices/workspaces/jobs');
      assert.strictEqual(res.body.systemData.createdBy, APP.appId);
      const p = res.body.properties;
      assert.strictEqual(p.status, 'NotStarted');
      assert.strictEqual(p.services.Studio.endpoint, `https://ml.azure.com/runs/train-1?wsid=/subscriptions/${SUB}/resourcegroups/test-rg/workspaces/my-aml-workspace`);
      assert.ok(p.services.Tracking.endpoint.startsWith('azureml://localhost:8443/mlflow/v1.0/'));
      assert.strictEqual(p.outputs.default.uri, 'azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.train-1/');
      assert.strictEqual(p.outputs.model.jobOutputType, 'mlflow_model');
      assert.strictEqual(p.inputs.training_data.uri, 'azureml://datastores/workspaceblobstore/paths/data/diabetes.csv');
      assert.strictEqual(ws.jobs().length, 1);
      assert.deepStrictEqual(ws.jobs()[0].body, commandJobBody(), 'the body is kept as received');
    });

    it('answers an identical re-PUT with 200 and creates nothing more', async () => {
      await submit();
      const again = await submit();
      assert.strictEqual(again.status, 200);
      assert.strictEqual(ws.createdCount(), 2, 'the code version and one job');
      assert.strictEqual(ws.jobs().length, 1);
    });

    it('accepts a re-PUT that only changes mutable fields such as tags', async () => {
      await submit();
      const body = commandJobBody();
      body.properties.tags = { build: '20240601.2' };
      const res = await submit(body);
      assert.strictEqual(res.status, 200);
      assert.deepStrictEqual(res.body.properties.tags, { build: '20240601.2' });
    });

    it('refuses a re-PUT that changes an immutable property, naming it', async () => {
      await submit();
      const body = commandJobBody();
      body.properties.command = 'python other.py';
      const res = await submit(body);
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /Job 'train-1' already exists and these properties cannot be changed: properties\.command/);
    });

    it('refuses an asset input without uri with the path of the missing property, and creates nothing', async () => {
      const body = commandJobBody();
      body.properties.inputs.training_data = { jobInputType: 'uri_folder' };
      const res = await submit(body);
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.body.error.code, 'UserError');
      assert.match(res.body.error.message, /properties\.inputs\.training_data\.uri: is required/);
      assert.strictEqual(ws.jobs().length, 0);
      assert.strictEqual(ws.createdCount(), 1, 'only the code version');
    });

    it('runs a command job on the attached Kubernetes compute, as Azure ML allows', async () => {
      const body = commandJobBody();
      body.properties.computeId = armId('computes', 'k8s-compute');
      const res = await submit(body);
      assert.strictEqual(res.status, 201, JSON.stringify(res.body));
      assert.strictEqual(res.body.properties.computeId, armId('computes', 'k8s-compute'));
    });

    it('refuses a job name the spec does not allow', async () => {
      const res = await submit(commandJobBody(), `${WS_PATH}/jobs/-bad.name`);
      assert.strictEqual(res.status, 400);
    });
  });

  describe('references must exist in the workspace', () => {
    const cases: Array<[string, (p: any) => void, RegExp]> = [
      ['a compute that does not exist', (p) => { p.computeId = armId('computes', 'tpu-cluster'); }, /properties\.computeId: Compute 'tpu-cluster' was not found/],
      ['a compute given by name instead of ARM id', (p) => { p.computeId = 'cpu-cluster'; }, /properties\.computeId: 'cpu-cluster' is not a compute ARM id/],
      ['an environment version that does not exist', (p) => { p.environmentId = armId('environments', 'sklearn-env', '9'); }, /properties\.environmentId: Could not find environment asset sklearn-env:9/],
      ['a code version that does not exist', (p) => { p.codeId = armId('codes', 'train-src', '2'); }, /properties\.codeId: Could not find code asset train-src:2/],
      ['a data asset that does not exist', (p) => { p.inputs.training_data.uri = armId('data', 'diabetes-data', '5'); }, /properties\.inputs\.training_data\.uri: Could not find data asset diabetes-data:5/],
      ['a data asset by azureml:name:version that does not exist', (p) => { p.inputs.training_data.uri = 'azureml:heart-data:1'; }, /Could not find data asset heart-data:1/],
      ['a datastore that does not exist', (p) => { p.inputs.training_data.uri = 'azureml://datastores/lake/paths/x.csv'; }, /Datastore 'lake' was not found/],
      ['a local input path', (p) => { p.inputs.training_data.uri = './data/diabetes.csv'; }, /local paths must be uploaded first/],
      ['an asset in another workspace', (p) => { p.environmentId = armId('environments', 'sklearn-env', '2').replace('my-aml-workspace', 'other-ws'); }, /Could not find environment asset/],
      ['an input used in the command but not declared', (p) => { p.command += ' --epochs ${{inputs.epochs}}'; }, /properties\.command: \$\{\{inputs\.epochs\}\} is used in the command but properties\.inputs has no 'epochs'/],
      ['an output used in the command but not declared', (p) => { p.command += ' --report ${{outputs.report}}'; }, /properties\.outputs has no 'report'/],
    ];
    for (const [what, change, message] of cases) {
      it(`refuses a job with ${what}`, async () => {
        const body = commandJobBody();
        change(body.properties);
        const res = await submit(body);
        assert.strictEqual(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.error.message, message);
        assert.strictEqual(ws.jobs().length, 0);
      });
    }

    it('accepts the existing data asset by ARM id and by azureml:name:version, optional $[[...]] parts, and serverless compute', async () => {
      const body = commandJobBody();
      body.properties.inputs.training_data.uri = armId('data', 'diabetes-data', '1');
      body.properties.inputs.extra = { jobInputType: 'uri_file', uri: 'azureml:diabetes-data:1' };
      body.properties.command += ' $[[--seed ${{inputs.seed}}]]';
      delete body.properties.computeId;
      const res = await submit(body);
      assert.strictEqual(res.status, 201, JSON.stringify(res.body));
    });
  });

  describe('lifecycle', () => {
    it('advances one status per GET along the default script and stays at Completed', async () => {
      await submit();
      assert.deepStrictEqual([await status(), await status(), await status(), await status()], ['Queued', 'Running', 'Completed', 'Completed']);
      assert.strictEqual(ws.jobs()[0].status, 'Completed');
    });

    it('does not advance a job when listing jobs', async () => {
      await submit();
      const list = await call(ws, 'GET', `${WS_PATH}/jobs`);
      assert.deepStrictEqual(list.body.value.map((j: any) => [j.name, j.properties.status]), [['train-1', 'NotStarted']]);
      const list2 = await call(ws, 'GET', `${WS_PATH}/jobs?jobType=Sweep`);
      assert.deepStrictEqual(list2.body.value, []);
    });

    it('fails a job with the scripted error, visible in run details and MLflow', async () => {
      ws.scriptJobs({ statuses: ['Running', 'Failed'], error: { code: 'UserError', message: 'ModuleNotFoundError: sklearn' } });
      await submit();
      assert.strictEqual(await status(), 'Running');
      const details = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/train-1/details`);
      assert.strictEqual(details.body.status, 'Failed');
      assert.deepStrictEqual(details.body.error.error.code, 'UserError');
      assert.strictEqual(details.body.error.error.message, 'ModuleNotFoundError: sklearn');
      assert.ok(details.body.startTimeUtc && details.body.endTimeUtc);
      const run = await call(ws, 'GET', `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow/runs/get?run_id=train-1`);
      assert.strictEqual(run.body.run.info.status, 'FAILED');
    });

    it('applies a script only to jobs created after it', async () => {
      await submit();
      ws.scriptJobs({ statuses: ['Canceled'] });
      await submit(commandJobBody(), `${WS_PATH}/jobs/train-2`);
      assert.strictEqual(await status(), 'Queued');
      assert.strictEqual(await status(`${WS_PATH}/jobs/train-2`), 'Canceled');
      ws.scriptJobs(undefined);
    });

    it('refuses a script that does not end in a terminal status or names an unknown one', () => {
      assert.throws(() => ws.scriptJobs({ statuses: ['Queued', 'Running'] }), /must be terminal/);
      assert.throws(() => ws.scriptJobs({ statuses: ['Done'] }), /not an Azure ML job status/);
    });
  });

  describe('cancel', () => {
    it('answers 202 with a Location on the fake, which polls 202 then 200 while the job goes CancelRequested then Canceled', async () => {
      await submit();
      await status();
      const res = await call(ws, 'POST', `${JOB}/cancel`, undefined, { apiVersion: '2022-10-01' });
      assert.strictEqual(res.status, 202);
      assert.strictEqual(res.headers?.['Retry-After'], '0');
      const location = new URL(res.headers!.Location);
      assert.strictEqual(location.origin, BASE_URL);
      assert.match(location.pathname, new RegExp(`^/subscriptions/${SUB}/providers/Microsoft\\.MachineLearningServices/locations/eastus/mfeOperationResults/[^/]+$`));
      assert.strictEqual(location.searchParams.get('api-version'), '2022-10-01');
      assert.strictEqual(ws.jobs()[0].status, 'CancelRequested');

      const first = await call(ws, 'GET', location.href);
      assert.strictEqual(first.status, 202);
      const second = await call(ws, 'GET', location.href);
      assert.strictEqual(second.status, 200);
      assert.strictEqual(ws.jobs()[0].status, 'Canceled');
      assert.strictEqual(await status(), 'Canceled');
    });

    it('answers 404 for cancelling a job that does not exist', async () => {
      const res = await call(ws, 'POST', `${WS_PATH}/jobs/nope/cancel`);
      assert.strictEqual(res.status, 404);
    });
  });

  describe('data plane', () => {
    it('serves discovery with the fake as the api host, also without a token', async () => {
      const res = await ws.handleAnonymous!(request('GET', '/discovery', undefined, null));
      assert.strictEqual(res?.status, 200);
      assert.strictEqual((res!.body as any).api, BASE_URL);
      assert.strictEqual((res!.body as any).history, BASE_URL);
    });

    it('lists the driver log once the job runs, and its signed URL reveals more lines as the job advances', async () => {
      ws.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], logLines: ['one', 'two', 'three', 'four', 'five', 'six'] });
      await submit();
      const detailsPath = `/history/v1.0${WS_PATH}/runs/train-1/details`;
      const queued = await call(ws, 'GET', detailsPath);
      assert.strictEqual(queued.body.status, 'Queued');
      assert.deepStrictEqual(queued.body.logFiles, {});
      const running = await call(ws, 'GET', detailsPath);
      assert.strictEqual(running.body.status, 'Running');
      const url = running.body.logFiles['user_logs/std_log.txt'];
      assert.ok(url.startsWith(`${BASE_URL}/`));
      assert.match(url, /[?&]sig=/);
      const partial = await ws.handleAnonymous!(request('GET', url, undefined, null));
      assert.strictEqual(partial?.status, 200);
      assert.strictEqual(partial!.body, 'one\ntwo\nthree\nfour\n');
      await call(ws, 'GET', detailsPath);
      const full = await ws.handleAnonymous!(request('GET', url, undefined, null));
      assert.strictEqual(full!.body, 'one\ntwo\nthree\nfour\nfive\nsix\n');
    });

    it('refuses a log URL whose signature was tampered with', async () => {
      await submit();
      const url = new URL(ws.logUrl('train-1'));
      url.searchParams.set('se', '2099-01-01T00:00:00Z');
      const res = await ws.handleAnonymous!(request('GET', url.href, undefined, null));
      assert.strictEqual(res?.status, 403);
      assert.match(String(res!.body), /AuthenticationFailed/);
    });

    it('serves scripted metrics through MLflow runs/get (latest values) and metrics/get-history', async () => {
      ws.scriptJobs({ metrics: { r2: 0.41, loss: [0.9, 0.5, 0.2] } });
      await submit();
      const base = `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow`;
      const before = await call(ws, 'GET', `${base}/runs/get?run_id=train-1`);
      assert.deepStrictEqual(before.body.run.data.metrics, [], 'nothing logged before the job runs');
      await status();
      await status();
      await status();
      const run = await call(ws, 'GET', `${base}/runs/get?run_id=train-1`);
      const info = run.body.run.info;
      assert.strictEqual(info.run_id, 'train-1');
      assert.strictEqual(info.status, 'FINISHED');
      assert.ok(info.end_time >= info.start_time);
      assert.match(info.experiment_id, /^[0-9a-f-]{36}$/);
      const metrics = Object.fromEntries(run.body.run.data.metrics.map((m: any) => [m.key, m]));
      assert.strictEqual(metrics.r2.value, 0.41);
      assert.strictEqual(metrics.loss.value, 0.2);
      assert.strictEqual(metrics.loss.step, 2);
      assert.deepStrictEqual(run.body.run.data.params, []);
      const history = await call(ws, 'GET', `${base}/metrics/get-history?run_id=train-1&metric_key=loss`);
      assert.deepStrictEqual(history.body.metrics.map((m: any) => m.value), [0.9, 0.5, 0.2]);
    });

    it('answers 404 for runs that do not exist', async () => {
      const details = await call(ws, 'GET', `/history/v1.0${WS_PATH}/runs/nope/details`);
      assert.strictEqual(details.status, 404);
      const mlflow = await call(ws, 'GET', `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow/runs/get?run_id=nope`);
      assert.strictEqual(mlflow.status, 404);
      assert.strictEqual(mlflow.body.error_code, 'RESOURCE_DOES_NOT_EXIST');
    });
  });
});
