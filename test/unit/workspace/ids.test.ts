import * as assert from 'assert';
import { ASSET_NAME, studioJobUrl, workspaceArmId } from '../../../src/workspace/ids';

const ws = { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-ml', workspaceName: 'mlw' };

describe('workspaceArmId', () => {
  it('builds the Resource Manager id of the workspace', () => {
    assert.strictEqual(
      workspaceArmId(ws),
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw',
    );
  });
});

describe('studioJobUrl', () => {
  it('links to the job in Azure ML studio with the workspace id, as the CLI prints it', () => {
    assert.strictEqual(
      studioJobUrl(ws, 'job_1'),
      'https://ml.azure.com/runs/job_1?wsid=/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-ml/workspaces/mlw',
    );
  });

  it('adds the tenant when it is known', () => {
    assert.ok(studioJobUrl(ws, 'job_1', 'tenant-1').endsWith('/workspaces/mlw&tid=tenant-1'));
  });

  it('encodes a job name that is not URL-safe', () => {
    assert.ok(studioJobUrl(ws, 'a b/c').startsWith('https://ml.azure.com/runs/a%20b%2Fc?'));
  });
});

describe('ASSET_NAME', () => {
  it('accepts names that start with a letter or digit and go on with letters, digits, - and _', () => {
    for (const name of ['a', 'train-data', 'Train_Data_2', '1st', 'x'.repeat(255)]) assert.ok(ASSET_NAME.test(name), name);
  });

  it('refuses empty names, a leading - or _, dots, spaces, slashes and names over 255 characters', () => {
    for (const name of ['', '-a', '_a', 'a.b', 'a b', 'a/b', 'x'.repeat(256)]) assert.ok(!ASSET_NAME.test(name), name);
  });
});
