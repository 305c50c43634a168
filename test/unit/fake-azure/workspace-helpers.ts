// Shared setup for the workspace fake's unit tests: requests are handed to workspace.handle() directly.
import type { FakeRequest, FakeResponse, Principal } from '../../fake-azure/http';
import { createWorkspaceService, type WorkspaceService, type WorkspaceServiceOptions } from '../../fake-azure/workspace';
import commandJob from './fixtures/command-job.json';

// The same names as the spec examples and the job fixture.
export const SUB = '00000000-1111-2222-3333-444444444444';
export const RG = 'test-rg';
export const WS = 'my-aml-workspace';
export const BASE_URL = 'https://localhost:8443';
export const WS_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
export const WS_ID = WS_PATH;

export const APP: Principal = { appId: '11111111-2222-3333-4444-555555555555', objectId: 'aaaaaaaa-0000-0000-0000-000000000001', tenantId: 'tenant', audience: 'https://management.azure.com/' };
export const STRANGER: Principal = { appId: '99999999-2222-3333-4444-555555555555', objectId: 'aaaaaaaa-0000-0000-0000-000000000009', tenantId: 'tenant', audience: 'https://management.azure.com/' };

export function newWorkspace(overrides: Partial<WorkspaceServiceOptions> = {}): WorkspaceService {
  return createWorkspaceService({
    baseUrl: BASE_URL,
    tenantId: 'tenant',
    subscriptionId: SUB,
    resourceGroup: RG,
    workspaceName: WS,
    location: 'eastus',
    authorizedAppIds: [APP.appId],
    storage: undefined,
    ...overrides,
  });
}

export function request(method: string, pathOrUrl: string, body?: unknown, apiVersion: string | null = '2024-04-01'): FakeRequest {
  const url = new URL(pathOrUrl, BASE_URL);
  if (apiVersion !== null && !url.searchParams.has('api-version') && !url.pathname.startsWith('/history') && !url.pathname.startsWith('/mlflow')) {
    url.searchParams.set('api-version', apiVersion);
  }
  const bodyText = body === undefined ? '' : JSON.stringify(body);
  return { method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, bodyText, json: body === undefined ? undefined : JSON.parse(bodyText) };
}

/** Calls the workspace as an authorized app; fails the test when the request is not the workspace's. */
export async function call(
  ws: WorkspaceService,
  method: string,
  pathOrUrl: string,
  body?: unknown,
  opts: { apiVersion?: string | null; principal?: Principal } = {},
): Promise<FakeResponse & { body: any }> {
  const res = await ws.handle(request(method, pathOrUrl, body, opts.apiVersion === undefined ? '2024-04-01' : opts.apiVersion), opts.principal ?? APP);
  if (!res) throw new Error(`${method} ${pathOrUrl} was not handled by the workspace`);
  return res as FakeResponse & { body: any };
}

export function commandJobBody(): any {
  return structuredClone(commandJob);
}

export function armId(kind: string, name: string, version?: string): string {
  return `${WS_ID}/${kind}/${name}${version === undefined ? '' : `/versions/${version}`}`;
}

/** Registers the code version the job fixture points at (no storage: the codeUri is not checked). */
export async function createFixtureCode(ws: WorkspaceService): Promise<void> {
  const res = await call(ws, 'PUT', `${WS_PATH}/codes/train-src/versions/1`, {
    properties: { codeUri: 'https://devstoreaccount1.blob.core.windows.net/azureml-blobstore-x/LocalUpload/abc/src', isAnonymous: false },
  });
  if (res.status !== 201) throw new Error(`code version not created: ${JSON.stringify(res.body)}`);
}
