import * as assert from 'assert';
import { sameDefinition } from '../../../src/deploy/endpoints';
import { endpointBodyFrom, sameDeployment, shortAsset } from '../../../src/deploy/online';
import type { OnlineDeploymentBody } from '../../../src/deploy/rest-body';

const ws = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const desired: OnlineDeploymentBody = {
  location: 'westeurope',
  sku: { name: 'Default', capacity: 2 },
  tags: { team: 'ml', 'azure-devops.buildId': '42' },
  properties: {
    endpointComputeType: 'Managed',
    model: `${ws}/models/m/versions/3`,
    instanceType: 'Standard_DS3_v2',
    appInsightsEnabled: false,
    environmentVariables: { A: '1' },
  },
};
// As Azure ML returns it: ids in another case, defaults and read-only members added, lineage of an earlier run.
const existing = {
  id: `${ws}/onlineEndpoints/e/deployments/blue`,
  name: 'blue',
  sku: { name: 'Default', tier: 'Standard', capacity: 2 },
  tags: { team: 'ml', 'azure-devops.buildId': '41' },
  properties: { ...desired.properties, model: `${ws.toLowerCase()}/models/m/versions/3`, provisioningState: 'Succeeded', egressPublicNetworkAccess: 'Enabled' },
};
const lineage = ['azure-devops.buildId'];

describe('online rollout: is the deployment already what we would send', () => {
  it('is the same when only Azure ML defaults, id case and lineage tags differ', () => {
    assert.ok(sameDeployment(existing as never, desired, lineage));
  });

  for (const [what, change] of [
    ['another model version', { properties: { ...existing.properties, model: `${ws}/models/m/versions/4` } }],
    ['another instance count', { sku: { name: 'Default', capacity: 1 } }],
    ['another environment variable value', { properties: { ...existing.properties, environmentVariables: { A: '2' } } }],
    ['another user tag', { tags: { team: 'web', 'azure-devops.buildId': '41' } }],
    ['a user tag removed', { tags: { 'azure-devops.buildId': '41' } }],
  ] as Array<[string, object]>) {
    it(`differs with ${what}`, () => {
      assert.ok(!sameDeployment({ ...existing, ...change } as never, desired, lineage));
    });
  }

  it('compares ARM ids without case but other strings exactly', () => {
    assert.ok(sameDefinition('/subscriptions/A/x', '/subscriptions/a/X'));
    assert.ok(!sameDefinition('Standard_DS3_v2', 'standard_ds3_v2'));
    assert.ok(!sameDefinition(['a'], { 0: 'a' }));
  });
});

describe('online rollout: endpoint PUT body from the endpoint as it is', () => {
  it('keeps what the endpoint has, drops read-only members and 0% entries', () => {
    const body = endpointBodyFrom({
      id: `${ws}/onlineEndpoints/e`,
      name: 'e',
      location: 'westeurope',
      tags: { team: 'ml' },
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/s/uami': { principalId: 'p', clientId: 'c' } } },
      properties: { authMode: 'Key', description: 'd', traffic: { blue: 100, green: 0 }, mirrorTraffic: {}, publicNetworkAccess: 'Disabled', provisioningState: 'Succeeded', scoringUri: 'https://x/score' },
    });
    assert.deepStrictEqual(body, {
      location: 'westeurope',
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/s/uami': {} } },
      tags: { team: 'ml' },
      properties: { authMode: 'Key', description: 'd', publicNetworkAccess: 'Disabled', traffic: { blue: 100 }, mirrorTraffic: {} },
    });
  });

  it('names model versions briefly', () => {
    assert.strictEqual(shortAsset(`${ws}/models/credit/versions/7`), 'credit:7');
    assert.strictEqual(shortAsset('azureml://registries/r/models/credit/versions/7'), 'credit:7');
    assert.strictEqual(shortAsset('azureml:credit@latest'), 'azureml:credit@latest');
    assert.strictEqual(shortAsset(undefined), undefined);
  });
});
