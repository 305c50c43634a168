import * as assert from 'assert';
import type { WorkspaceClient } from '../../../src/workspace/client';
import { findChampion, findRegisteredByBuild, freeVersion, highestNumeric, nextVersion, sameContent, storedMetrics, type ModelVersion } from '../../../src/models/versions';
import { versionBody } from '../../../src/models/register';

/** A client whose GETs answer from a table of path -> body; every GET is recorded. */
function stubClient(answers: Record<string, unknown>): { client: WorkspaceClient; gets: Array<{ path: string; query?: Record<string, string | undefined> }> } {
  const gets: Array<{ path: string; query?: Record<string, string | undefined> }> = [];
  const client = {
    get: async (path: string, o: { query?: Record<string, string | undefined> }) => {
      gets.push({ path, query: o.query });
      return answers[path];
    },
  } as unknown as WorkspaceClient;
  return { client, gets };
}

const version = (name: string, props: ModelVersion['properties'], createdAt = '2026-01-01T00:00:00Z'): ModelVersion => ({
  id: `/x/models/m/versions/${name}`,
  name,
  properties: props,
  systemData: { createdAt },
});

describe('Model versions', () => {
  it('takes the next version from the model container, as the CLI does', async () => {
    assert.strictEqual(await nextVersion(stubClient({ 'models/m': { properties: { nextVersion: '7', latestVersion: '6' } } }).client, 'm'), '7');
  });

  it('starts at 1 for a model that does not exist', async () => {
    assert.strictEqual(await nextVersion(stubClient({}).client, 'new-model'), '1');
  });

  it('without nextVersion, goes one above the highest numeric version', async () => {
    const { client } = stubClient({ 'models/m': { properties: {} }, 'models/m/versions': { value: [version('2', {}), version('10', {}), version('rc1', {})] } });
    assert.strictEqual(await nextVersion(client, 'm'), '11');
    assert.strictEqual(highestNumeric(['a', 'b']), 0);
  });

  it('moves past a next version that another run took in the meantime', async () => {
    const { client } = stubClient({
      'models/m/versions/7': version('7', {}),
      'models/m/versions': { value: [version('7', {}), version('6', {})] },
    });
    assert.strictEqual(await freeVersion(client, 'm', '7'), '8');
    assert.strictEqual(await freeVersion(client, 'm', '9'), '9');
  });

  it('finds the version this build registered from the same source, by lineage tag', async () => {
    const tags = { 'azure-devops.buildId': '42', 'azure-devops.runUrl': 'https://dev/run/42' };
    const { client, gets } = stubClient({
      'models/m/versions': {
        value: [
          version('3', { modelUri: 'azureml://jobs/j/outputs/other', modelType: 'custom_model', tags }),
          version('2', { modelUri: 'azureml://jobs/j/outputs/model', modelType: 'custom_model', tags: { ...tags, 'azure-devops.runUrl': 'https://other-org/run/42' } }),
          version('1', { modelUri: 'azureml://jobs/j/outputs/model/', modelType: 'CustomModel', tags }),
        ],
      },
    });
    const found = await findRegisteredByBuild(client, 'm', { buildId: '42', runUrl: 'https://dev/run/42' }, { modelUri: 'azureml://jobs/j/outputs/model', modelType: 'custom_model' });
    assert.strictEqual(found?.name, '1');
    assert.strictEqual(gets[0].query?.tags, 'azure-devops.buildId=42');
  });

  it('treats the same files and type as the same content', () => {
    const v = version('1', { modelUri: 'azureml://datastores/d/paths/m/', modelType: 'mlflow_model' });
    assert.strictEqual(sameContent(v, 'azureml://datastores/d/paths/m', 'mlflow_model'), true);
    assert.strictEqual(sameContent(v, 'azureml://datastores/d/paths/m', 'custom_model'), false);
    assert.strictEqual(sameContent(v, 'azureml://datastores/d/paths/n', 'mlflow_model'), false);
  });

  it('picks the newest version with the champion stage, or with the champion tag', async () => {
    const { client } = stubClient({
      'models/m/versions': {
        value: [
          version('4', { stage: 'Staging' }, '2026-04-01T00:00:00Z'),
          version('3', { stage: 'production', tags: { champion: 'true' } }, '2026-03-01T00:00:00Z'),
          version('2', { stage: 'Production' }, '2026-02-01T00:00:00Z'),
        ],
      },
    });
    assert.strictEqual((await findChampion(client, 'm', { stage: 'Production' }))?.name, '3');
    assert.strictEqual((await findChampion(client, 'm', { tag: { name: 'champion', value: 'true' } }))?.name, '3');
    assert.strictEqual(await findChampion(client, 'm', { stage: 'Archived' }), undefined);
  });

  it('reads back the metrics stored on a version', () => {
    assert.deepStrictEqual(storedMetrics(version('1', { properties: { 'metrics.accuracy': '0.91', 'metrics.note': 'n/a', framework: 'sk' } })), { accuracy: 0.91 });
  });

  it('builds the version body: YAML, then inputs, then lineage tags and metrics, which always win', () => {
    const body = versionBody(
      {
        spec: { file: '/m.yml', tags: { team: 'a', owner: 'x' }, properties: { p: '1' }, description: 'from yaml', stage: 'Development' },
        model: { tags: { team: 'b', 'azure-devops.buildId': 'spoofed' }, properties: {}, stage: 'Staging' },
        build: { buildId: '42', sourceVersion: 'abc', repositoryUri: 'https://dev/repo', runUrl: 'https://dev/run/42' },
      },
      { modelUri: 'azureml://jobs/j/outputs/model', type: 'custom_model', jobName: 'j', metrics: { accuracy: 0.9 } },
    );
    assert.deepStrictEqual(body, {
      properties: {
        modelType: 'custom_model',
        modelUri: 'azureml://jobs/j/outputs/model',
        jobName: 'j',
        description: 'from yaml',
        stage: 'Staging',
        tags: {
          team: 'b',
          owner: 'x',
          'azure-devops.buildId': '42',
          'azure-devops.repository': 'https://dev/repo',
          'azure-devops.sourceVersion': 'abc',
          'azure-devops.runUrl': 'https://dev/run/42',
          'azure-devops.sourceJob': 'j',
        },
        properties: { p: '1', 'metrics.accuracy': '0.9' },
        isAnonymous: false,
      },
    });
  });
});
