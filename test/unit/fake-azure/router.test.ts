import * as assert from 'assert';
import { WorkspaceRouter } from '../../fake-azure/aml/router';
import { APP, RG, SUB, WS, WS_PATH, newWorkspace, request } from './workspace-helpers';

describe('fake Azure: routing between several workspaces', () => {
  const PROD = { resourceGroup: 'prod-rg', workspaceName: 'prod-ws' };
  const PROD_PATH = `/subscriptions/${SUB}/resourceGroups/${PROD.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${PROD.workspaceName}`;

  function twoWorkspaces() {
    const main = newWorkspace();
    const prod = newWorkspace(PROD);
    const router = new WorkspaceRouter(SUB, { resourceGroup: RG, workspaceName: WS, service: main });
    router.addWorkspace({ ...PROD, service: prod });
    return router;
  }

  it('answers an operation poll, which names no workspace, from the workspace that started the operation', async () => {
    const router = twoWorkspaces();
    const put = await router.handle(request('PUT', `${PROD_PATH}/onlineEndpoints/ep1`, { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key' } }), APP);
    assert.strictEqual(put?.status, 201, JSON.stringify(put?.body));
    const op = put!.headers!['Azure-AsyncOperation'];
    const poll = await router.handle(request('GET', op, undefined, null), APP);
    assert.strictEqual(poll?.status, 200, JSON.stringify(poll?.body));
  });

  it('still lets the default workspace answer polls it does not share', async () => {
    const router = twoWorkspaces();
    const put = await router.handle(request('PUT', `${WS_PATH}/onlineEndpoints/ep1`, { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key' } }), APP);
    const poll = await router.handle(request('GET', put!.headers!['Azure-AsyncOperation'], undefined, null), APP);
    assert.strictEqual(poll?.status, 200, JSON.stringify(poll?.body));
    const unknown = await router.handle(request('GET', `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/nope`), APP);
    assert.strictEqual(unknown?.status, 404);
  });
});
