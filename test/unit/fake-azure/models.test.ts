import assert from 'assert';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { WS_PATH, call, commandJobBody, createFixtureCode, newWorkspace } from './workspace-helpers';

describe('fake Azure ML workspace: model versions', () => {
  let ws: WorkspaceService;
  beforeEach(async () => {
    ws = newWorkspace();
    await createFixtureCode(ws);
    const job = await call(ws, 'PUT', `${WS_PATH}/jobs/train-1`, commandJobBody());
    assert.strictEqual(job.status, 201, JSON.stringify(job.body));
  });

  const putVersion = (name: string, version: string, properties: Record<string, unknown>) => call(ws, 'PUT', `${WS_PATH}/models/${name}/versions/${version}`, { properties });

  it('lists the versions that have every tag asked for, with its value where one is given', async () => {
    for (const [v, tags] of [['1', { build: '1', team: 'a' }], ['2', { build: '2', team: 'a' }], ['3', { build: '2' }]] as const) {
      assert.strictEqual((await putVersion('m', v, { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/', tags })).status, 201);
    }
    const names = async (query: string) => (await call(ws, 'GET', `${WS_PATH}/models/m/versions?${query}`)).body.value.map((x: { name: string }) => x.name).sort();
    assert.deepStrictEqual(await names('tags=build%3D2'), ['2', '3']);
    assert.deepStrictEqual(await names('tags=build%3D2,team'), ['2']);
    assert.deepStrictEqual(await names('tags=team%3Db'), []);
    assert.deepStrictEqual(await names(''), ['1', '2', '3']);
  });

  it('registers from a job output the job has, its default output and its artifacts', async () => {
    for (const [v, uri] of [['1', 'azureml://jobs/train-1/outputs/model'], ['2', 'azureml://jobs/train-1/outputs/default/paths/x'], ['3', 'azureml://jobs/train-1/outputs/artifacts/paths/model/'], ['4', 'runs:/train-1/model']]) {
      const res = await putVersion('from-job', v, { modelUri: uri, jobName: 'train-1', modelType: 'mlflow_model' });
      assert.strictEqual(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
    }
  });

  it('refuses an output the job does not have, and a jobName that is no job', async () => {
    const noOutput = await putVersion('bad', '1', { modelUri: 'azureml://jobs/train-1/outputs/weights' });
    assert.strictEqual(noOutput.status, 400);
    assert.match(JSON.stringify(noOutput.body), /Job 'train-1' has no output 'weights' \(outputs: model, default, and artifacts\)/);
    const noJob = await putVersion('bad', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/m/', jobName: 'nope' });
    assert.strictEqual(noJob.status, 400);
    assert.match(JSON.stringify(noJob.body), /properties\.jobName.*Job 'nope' was not found/);
    assert.strictEqual(ws.resources('models').length, 0);
  });
});
