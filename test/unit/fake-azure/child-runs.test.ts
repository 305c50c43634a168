import assert from 'assert';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { armId, call, commandJobBody, createFixtureCode, newWorkspace, request, WS_PATH } from './workspace-helpers';

const HISTORY = `/history/v1.0${WS_PATH}/runs`;
const MLFLOW = `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow`;

function pipelineBody(): any {
  const node = (name: string) => ({ name, type: 'command', componentId: armId('components', 'step', '1'), inputs: {}, outputs: {} });
  return {
    properties: {
      jobType: 'Pipeline',
      settings: { default_compute: armId('computes', 'cpu-cluster') },
      jobs: { prep: node('prep'), train: node('train'), eval: node('eval') },
      outputs: { model: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/models/p1/' }, report: { jobOutputType: 'uri_file' } },
    },
  };
}

function sweepBody(goal: 'Maximize' | 'Minimize'): any {
  return {
    properties: {
      jobType: 'Sweep',
      computeId: armId('computes', 'cpu-cluster'),
      objective: { primaryMetric: 'auc', goal },
      samplingAlgorithm: { samplingAlgorithmType: 'Random' },
      searchSpace: { alpha: ['uniform', [0.01, 1]] },
      limits: { jobLimitsType: 'Sweep', maxTotalTrials: 3 },
      trial: { command: 'python train.py --alpha ${{search_space.alpha}}', environmentId: armId('environments', 'sklearn-env', '1') },
    },
  };
}

/** The registered component every pipeline step of these tests runs. */
function seedStepComponent(ws: Pick<WorkspaceService, 'seedVersion'>): void {
  ws.seedVersion('components', 'step', '1', {
    componentSpec: { name: 'step', version: '1', type: 'command', command: 'python step.py', environment: `azureml:${armId('environments', 'sklearn-env', '1')}`, inputs: {}, outputs: {} },
  });
}

describe('fake Azure ML workspace: child runs, ranged logs, outputs', () => {
  let ws: WorkspaceService;
  beforeEach(async () => {
    ws = newWorkspace();
    await createFixtureCode(ws);
    seedStepComponent(ws);
  });

  const children = async (job: string, query = '') => (await call(ws, 'GET', `${HISTORY}/${job}/children${query}`)).body;
  const advance = (job: string, times: number) => {
    for (let i = 0; i < times; i++) ws.advanceJob(job);
  };

  it('runs pipeline steps one after another, listed in run history once started, and finishes after them', async () => {
    ws.scriptJobs({ steps: { train: { statuses: ['Running', 'Running', 'Completed'], logLines: ['t1', 't2'], metrics: { r2: 0.8 } } } });
    const put = await call(ws, 'PUT', `${WS_PATH}/jobs/p1`, pipelineBody());
    assert.strictEqual(put.status, 201, JSON.stringify(put.body));
    assert.deepStrictEqual((await children('p1')).value, []);
    advance('p1', 2); // Queued, Running
    assert.deepStrictEqual((await children('p1')).value, []);
    ws.advanceJob('p1'); // starts prep
    let listed = (await children('p1')).value;
    assert.deepStrictEqual(listed.map((r: any) => [r.displayName, r.status, r.parentRunId]), [['prep', 'NotStarted', 'p1']]);
    assert.match(listed[0].runId, /^[0-9a-f-]{36}$/);
    while (ws.advanceJob('p1') === 'Running' && (await children('p1')).value.length < 3);
    listed = (await children('p1')).value;
    assert.deepStrictEqual(listed.map((r: any) => r.displayName), ['prep', 'train', 'eval']);
    assert.strictEqual(listed[0].status, 'Completed');
    const train = listed[1].runId;
    const details = (await call(ws, 'GET', `${HISTORY}/${train}/details`)).body;
    assert.ok(details.logFiles['user_logs/std_log.txt'], 'a step has its own driver log');
    let status = 'Running';
    for (let i = 0; i < 20 && status === 'Running'; i++) status = ws.advanceJob('p1');
    assert.strictEqual(status, 'Completed');
    assert.ok((await children('p1')).value.every((r: any) => r.status === 'Completed'));
    const log = await ws.handleAnonymous!(request('GET', ws.logUrl(train), undefined, null));
    assert.strictEqual(log!.body, 't1\nt2\n');
    const metrics = (await call(ws, 'GET', `${MLFLOW}/runs/get?run_id=${train}`)).body.run.data.metrics;
    assert.deepStrictEqual(metrics.map((m: any) => [m.key, m.value]), [['r2', 0.8]]);
  });

  it('fails a pipeline whose step fails, naming the step, and never starts the steps after it', async () => {
    ws.scriptJobs({ steps: { prep: { statuses: ['Running', 'Failed'] } } });
    await call(ws, 'PUT', `${WS_PATH}/jobs/p2`, pipelineBody());
    let status = 'NotStarted';
    for (let i = 0; i < 20 && !['Failed', 'Completed'].includes(status); i++) status = ws.advanceJob('p2');
    assert.strictEqual(status, 'Failed');
    const details = (await call(ws, 'GET', `${HISTORY}/p2/details`)).body;
    assert.match(details.error.error.message, /Failed nodes: \/prep/);
    assert.deepStrictEqual((await children('p2')).value.map((r: any) => [r.displayName, r.status]), [['prep', 'Failed']]);
  });

  it('returns uri null for an output submitted without one', async () => {
    const res = await call(ws, 'PUT', `${WS_PATH}/jobs/p3`, pipelineBody());
    assert.strictEqual(res.body.properties.outputs.report.uri, null);
    assert.strictEqual(res.body.properties.outputs.model.uri, 'azureml://datastores/workspaceblobstore/paths/models/p1/');
    const command = await call(ws, 'PUT', `${WS_PATH}/jobs/c1`, commandJobBody());
    assert.strictEqual(command.body.properties.outputs.model.uri, null);
  });

  for (const [goal, best] of [['Maximize', 'sw_1'], ['Minimize', 'sw_0']] as const) {
    it(`runs sweep trials together and records the best (${goal}) in the job properties`, async () => {
      ws.scriptJobs({ trials: [{ metrics: { auc: [0.5, 0.6] } }, { metrics: { auc: [0.7, 0.9] } }, { metrics: { auc: 0.8 }, statuses: ['Running', 'Failed'] }] });
      await call(ws, 'PUT', `${WS_PATH}/jobs/sw`, sweepBody(goal));
      let status = 'NotStarted';
      for (let i = 0; i < 20 && status !== 'Completed'; i++) status = ws.advanceJob('sw');
      assert.strictEqual(status, 'Completed');
      const job = (await call(ws, 'GET', `${WS_PATH}/jobs/sw`)).body;
      assert.strictEqual(job.properties.properties.best_child_run_id, best);
      assert.strictEqual(job.properties.properties.score, goal === 'Maximize' ? '0.9' : '0.6');
      assert.deepStrictEqual((await children('sw')).value.map((r: any) => [r.runId, r.status]), [['sw_0', 'Completed'], ['sw_1', 'Completed'], ['sw_2', 'Failed']]);
      const details = (await call(ws, 'GET', `${HISTORY}/sw/details`)).body;
      assert.deepStrictEqual(Object.keys(details.logFiles), ['azureml-logs/hyperdrive.txt']);
      assert.strictEqual(details.properties.best_child_run_id, best);
    });
  }

  it('pages children with a continuation token', async () => {
    ws.scriptJobs({ trials: Array.from({ length: 25 }, () => ({ metrics: { auc: 0.5 } })) });
    await call(ws, 'PUT', `${WS_PATH}/jobs/big`, sweepBody('Maximize'));
    advance('big', 3);
    const first = await children('big');
    assert.strictEqual(first.value.length, 20);
    const second = await children('big', `?$continuationtoken=${encodeURIComponent(first.continuationToken)}`);
    assert.strictEqual(second.value.length, 5);
    assert.strictEqual(second.continuationToken, null);
  });

  it('serves byte ranges of a log like blob storage: 206, and 416 past the end', async () => {
    ws.scriptJobs({ statuses: ['Completed'], logLines: ['größe', 'two'] });
    await call(ws, 'PUT', `${WS_PATH}/jobs/c2`, commandJobBody());
    ws.advanceJob('c2');
    const url = ws.logUrl('c2');
    const get = async (range?: string) => {
      const req = request('GET', url, undefined, null);
      if (range) req.headers.range = range;
      return (await ws.handleAnonymous!(req))!;
    };
    const whole = await get();
    assert.strictEqual(whole.status, 200);
    assert.strictEqual(whole.body, 'größe\ntwo\n');
    const tail = await get('bytes=8-');
    assert.strictEqual(tail.status, 206);
    assert.strictEqual(Buffer.from(tail.body as Buffer).toString('utf8'), 'two\n');
    assert.strictEqual(tail.headers!['Content-Range'], 'bytes 8-11/12');
    const past = await get('bytes=12-');
    assert.strictEqual(past.status, 416);
    assert.match(String(past.body), /InvalidRange/);
    assert.strictEqual((await get('lines=1-')).status, 400);
  });
});
