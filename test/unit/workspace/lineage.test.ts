import * as assert from 'assert';
import { lineageTags } from '../../../src/workspace/lineage';

describe('lineageTags', () => {
  it('tags a job with the pipeline run and commit that made it, under the azure-devops. prefix', () => {
    const tags = lineageTags({
      buildId: '42',
      buildNumber: '20240501.3',
      definitionName: 'train-nightly',
      projectName: 'mlops',
      repositoryUri: 'https://dev.azure.com/org/mlops/_git/models',
      repositoryName: 'models',
      sourceVersion: 'abc123',
      sourceBranch: 'refs/heads/main',
      runUrl: 'https://dev.azure.com/org/mlops/_build/results?buildId=42',
    });
    assert.deepStrictEqual(tags, {
      'azure-devops.buildId': '42',
      'azure-devops.buildNumber': '20240501.3',
      'azure-devops.pipeline': 'train-nightly',
      'azure-devops.project': 'mlops',
      'azure-devops.repository': 'https://dev.azure.com/org/mlops/_git/models',
      'azure-devops.sourceVersion': 'abc123',
      'azure-devops.sourceBranch': 'refs/heads/main',
      'azure-devops.runUrl': 'https://dev.azure.com/org/mlops/_build/results?buildId=42',
    });
  });

  it('falls back to the repository name when there is no repository URI', () => {
    assert.deepStrictEqual(lineageTags({ repositoryName: 'models' }), { 'azure-devops.repository': 'models' });
  });

  it('leaves out fields that are missing or empty, so a run outside a pipeline has no tags', () => {
    assert.deepStrictEqual(lineageTags({}), {});
    assert.deepStrictEqual(lineageTags({ buildId: '', sourceBranch: undefined, buildNumber: '7' }), { 'azure-devops.buildNumber': '7' });
  });
});
