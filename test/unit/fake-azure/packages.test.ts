import assert from 'assert';
import previewSchema from '../../fake-azure/schemas/2024-04-01-preview.json';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { armId, call, newWorkspace, STRANGER, WS_PATH } from './workspace-helpers';

const PREVIEW = '2024-04-01-preview';
const PACKAGE = `${WS_PATH}/models/diabetes-model/versions/1/package`;

function targetId(ws: WorkspaceService, name: string, version?: string): string {
  return `azureml://locations/eastus/workspaces/${ws.identity.workspaceId}/environments/${name}${version === undefined ? '' : `/versions/${version}`}`;
}

/** A request as the azure-ai-ml SDK sends it: asset ids prefixed with `azureml:/`, the target in its azureml://locations form. */
function packageBody(ws: WorkspaceService, overrides: Record<string, unknown> = {}): any {
  return {
    targetEnvironmentId: targetId(ws, 'diabetes-image'),
    inferencingServer: {
      serverType: 'AzureMLOnline',
      codeConfiguration: { codeId: `azureml:/${armId('codes', 'score-src', '1')}`, scoringScript: 'score.py' },
    },
    baseEnvironmentSource: { baseEnvironmentSourceType: 'EnvironmentAsset', resourceId: `azureml:/${armId('environments', 'sklearn-env', '2')}` },
    modelConfiguration: { mode: 'Copy' },
    environmentVariables: { WORKERS: '2' },
    tags: { stage: 'prod' },
    ...overrides,
  };
}

async function post(ws: WorkspaceService, body: unknown, apiVersion: string = PREVIEW, path = PACKAGE) {
  return call(ws, 'POST', path, body, { apiVersion });
}

async function poll(ws: WorkspaceService, location: string) {
  return call(ws, 'GET', location, undefined, { apiVersion: null });
}

function assertIssue(res: { status: number; body: any }, target: string, message: RegExp): void {
  assert.strictEqual(res.status, 400, JSON.stringify(res.body));
  const hit = (res.body.error.details ?? []).find((d: any) => d.target === target);
  assert.ok(hit, `expected an issue at ${target}, got ${JSON.stringify(res.body)}`);
  assert.match(hit.message, message);
}

describe('fake workspace: model packages (ModelVersions_Package, 2024-04-01-preview)', () => {
  let ws: WorkspaceService;

  beforeEach(() => {
    ws = newWorkspace();
    ws.seedVersion('models', 'diabetes-model', '1', { modelUri: 'azureml://datastores/workspaceblobstore/paths/models/diabetes/', modelType: 'custom_model' });
    ws.seedVersion('codes', 'score-src', '1', { codeUri: 'https://devstoreaccount1.blob.core.windows.net/azureml-blobstore-x/LocalUpload/abc/score' });
  });

  it('shows the workspace container registry the images go to', async () => {
    const res = await call(ws, 'GET', WS_PATH);
    const registry: string = res.body.properties.containerRegistry;
    assert.match(registry, /^\/subscriptions\/[^/]+\/resourceGroups\/test-rg\/providers\/Microsoft\.ContainerRegistry\/registries\/[a-z0-9]{5,50}$/);
    assert.strictEqual(registry, ws.identity.containerRegistryId);
    assert.strictEqual(ws.identity.containerRegistryLoginServer, `${registry.split('/').pop()}.azurecr.io`);
  });

  it('accepts a package, answers 202 with a Location, and once built registers the environment with its image', async () => {
    const res = await post(ws, packageBody(ws));
    assert.strictEqual(res.status, 202, JSON.stringify(res.body));
    const location = res.headers!.Location;
    assert.match(location, /^https:\/\/localhost:8443\/subscriptions\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/locations\/eastus\/mfeOperationResults\/[0-9a-f-]{36}\?api-version=2024-04-01-preview$/);
    assert.strictEqual(res.headers!['Retry-After'], '0');

    // Not there before the build has finished.
    assert.strictEqual((await call(ws, 'GET', `${WS_PATH}/environments/diabetes-image/versions/1`)).status, 404);
    const first = await poll(ws, location);
    assert.strictEqual(first.status, 202);
    assert.strictEqual(first.headers!.Location, location);
    assert.strictEqual((await call(ws, 'GET', `${WS_PATH}/environments/diabetes-image/versions/1`)).status, 404);

    const done = await poll(ws, location);
    assert.strictEqual(done.status, 200, JSON.stringify(done.body));
    const out = done.body;
    assert.strictEqual(out.buildState, 'Succeeded');
    assert.strictEqual(out.targetEnvironmentId, targetId(ws, 'diabetes-image', '1'));
    assert.match(out.buildId, /^[0-9a-f-]{36}$/);
    assert.match(out.logUrl, /^https:\/\/.+\/build\.log$/);
    assert.deepStrictEqual(out.inferencingServer, packageBody(ws).inferencingServer);
    assert.deepStrictEqual(out.baseEnvironmentSource, packageBody(ws).baseEnvironmentSource);
    assert.deepStrictEqual(out.modelConfiguration, { mode: 'Copy' });
    assert.deepStrictEqual(out.environmentVariables, { WORKERS: '2' });
    assert.deepStrictEqual(out.tags, { stage: 'prod' });
    const known = Object.keys(previewSchema.definitions.PackageResponse.properties);
    assert.deepStrictEqual(Object.keys(out).filter((k) => !known.includes(k)), []);
    // The SDK reads the environment name and version back out of targetEnvironmentId with this pattern.
    const parsed = /azureml:\/\/locations\/(\w+)\/workspaces\/([\w-]+)\/environments\/([\w.-]+)\/versions\/(\d+)/.exec(out.targetEnvironmentId);
    assert.deepStrictEqual(parsed?.slice(3), ['diabetes-image', '1']);

    const env = await call(ws, 'GET', `${WS_PATH}/environments/diabetes-image/versions/1`);
    assert.strictEqual(env.status, 200, JSON.stringify(env.body));
    const loginServer = ws.identity.containerRegistryLoginServer;
    assert.match(env.body.properties.image, new RegExp(`^${loginServer.replace(/\./g, '\\.')}/azureml/azureml_[0-9a-f]{32}:latest$`));
    assert.strictEqual(env.body.properties.osType, 'Linux');
    assert.deepStrictEqual(env.body.properties.tags, { stage: 'prod' });
    assert.strictEqual(env.body.properties.properties['azureml.packagedModel'], 'diabetes-model:1');
    assert.strictEqual(ws.createdCount(), 1); // the environment version, counted as a version PUT is
    assert.deepStrictEqual(ws.resources('environments').filter((e) => e.name === 'diabetes-image').map((e) => e.version), ['1']);

    // Polling again keeps answering the result.
    const again = await poll(ws, location);
    assert.strictEqual(again.status, 200);
    assert.strictEqual(again.body.targetEnvironmentId, out.targetEnvironmentId);

    const [record] = ws.packageRequests();
    assert.strictEqual(record.model, 'diabetes-model');
    assert.strictEqual(record.version, '1');
    assert.strictEqual(record.status, 202);
    assert.strictEqual(record.buildState, 'Succeeded');
    assert.strictEqual(record.targetEnvironmentId, out.targetEnvironmentId);
    assert.deepStrictEqual(record.body, packageBody(ws));
    assert.ok(record.time instanceof Date);
  });

  it('takes plain ARM ids too, an explicit target version, and the next version when none is given', async () => {
    const body = packageBody(ws, { targetEnvironmentId: targetId(ws, 'diabetes-image', '7') });
    body.inferencingServer.codeConfiguration.codeId = armId('codes', 'score-src', '1');
    body.baseEnvironmentSource.resourceId = armId('environments', 'sklearn-env', '1');
    const res = await post(ws, body);
    assert.strictEqual(res.status, 202, JSON.stringify(res.body));
    await poll(ws, res.headers!.Location);
    assert.strictEqual((await poll(ws, res.headers!.Location)).body.targetEnvironmentId, targetId(ws, 'diabetes-image', '7'));

    // The same version again: a package never overwrites an environment version.
    assertIssue(await post(ws, body), 'targetEnvironmentId', /diabetes-image:7 already exists/);

    const next = await post(ws, packageBody(ws));
    assert.strictEqual(next.status, 202);
    await poll(ws, next.headers!.Location);
    assert.strictEqual((await poll(ws, next.headers!.Location)).body.targetEnvironmentId, targetId(ws, 'diabetes-image', '8'));
  });

  it('accepts a registry base environment without looking it up, and fills the spec defaults', async () => {
    const body = packageBody(ws, {
      baseEnvironmentSource: { baseEnvironmentSourceType: 'EnvironmentAsset', resourceId: 'azureml://registries/azureml/environments/sklearn-1.5/versions/3' },
      modelConfiguration: {},
    });
    const res = await post(ws, body);
    assert.strictEqual(res.status, 202, JSON.stringify(res.body));
    await poll(ws, res.headers!.Location);
    const done = await poll(ws, res.headers!.Location);
    assert.strictEqual(done.body.modelConfiguration.mode, 'Download');
  });

  it('refuses a body the schema does not allow, naming every problem, and creates nothing', async () => {
    const body: any = packageBody(ws);
    delete body.inferencingServer;
    body.imageName = 'mine';
    body.modelConfiguration = { mode: 'ReadOnlyMount' };
    const res = await post(ws, body);
    assertIssue(res, 'inferencingServer', /is required/);
    assertIssue(res, 'imageName', /not a known property of PackageRequest/);
    assertIssue(res, 'modelConfiguration.mode', /"ReadOnlyMount" is not one of "Copy", "Download"/);

    const wrongServer = packageBody(ws, { inferencingServer: { serverType: 'Triton', codeConfiguration: { scoringScript: 'score.py' } } });
    assertIssue(await post(ws, wrongServer), 'inferencingServer.codeConfiguration', /not a known property of TritonInferencingServer/);
    const empty = await post(ws, undefined);
    assert.strictEqual(empty.status, 400);
    assert.strictEqual(empty.body.error.code, 'InvalidRequestContent');

    assert.deepStrictEqual(ws.packageRequests().map((r) => r.status), [400, 400, 400]);
    assert.strictEqual(ws.createdCount(), 0);
  });

  it('answers 404 for a model version the workspace does not have', async () => {
    const res = await post(ws, packageBody(ws), PREVIEW, `${WS_PATH}/models/diabetes-model/versions/9/package`);
    assert.strictEqual(res.status, 404);
    assert.match(res.body.error.message, /Could not find model asset diabetes-model:9/);
    assert.strictEqual(ws.packageRequests()[0].status, 404);
  });

  it('refuses a scoring code version or base environment that does not exist', async () => {
    const body = packageBody(ws);
    body.inferencingServer.codeConfiguration.codeId = `azureml:/${armId('codes', 'score-src', '2')}`;
    body.baseEnvironmentSource.resourceId = armId('environments', 'sklearn-env', '9');
    const res = await post(ws, body);
    assertIssue(res, 'inferencingServer.codeConfiguration.codeId', /Could not find code asset score-src:2/);
    assertIssue(res, 'baseEnvironmentSource.resourceId', /Could not find environment asset sklearn-env:9/);

    const short = packageBody(ws);
    short.inferencingServer.codeConfiguration.codeId = 'azureml:score-src:1';
    assertIssue(await post(ws, short), 'inferencingServer.codeConfiguration.codeId', /is not the ARM id of a code version/);
    assert.strictEqual(ws.createdCount(), 0);
  });

  it('refuses package inputs that name data it does not have', async () => {
    const body = packageBody(ws, {
      inputs: [
        { inputType: 'UriFile', path: { inputPathType: 'PathVersion', resourceName: 'diabetes-data', resourceVersion: '1' } },
        { inputType: 'UriFile', path: { inputPathType: 'PathVersion', resourceName: 'diabetes-data', resourceVersion: '5' } },
        { inputType: 'UriFolder', path: { inputPathType: 'Url', url: './local/folder' } },
      ],
    });
    const res = await post(ws, body);
    assertIssue(res, 'inputs[1].path', /Could not find data asset diabetes-data:5/);
    assertIssue(res, 'inputs[2].path.url', /local/);
    assert.ok(!res.body.error.details.some((d: any) => d.target.startsWith('inputs[0]')), JSON.stringify(res.body));
  });

  it('serves the operation at api-version 2024-04-01-preview only', async () => {
    for (const apiVersion of ['2024-04-01', '2023-08-01-preview', '2022-10-01']) {
      const res = await post(ws, packageBody(ws), apiVersion);
      assert.strictEqual(res.status, 400, apiVersion);
      assert.strictEqual(res.body.error.code, 'BadRequest');
      assert.match(res.body.error.message, new RegExp(`served at api-version 2024-04-01-preview only; .* used api-version ${apiVersion}`));
    }
    // Other calls keep their own api-versions: the preview is the package operation's only.
    const env = await call(ws, 'GET', `${WS_PATH}/environments/sklearn-env/versions/1`, undefined, { apiVersion: PREVIEW });
    assert.strictEqual(env.status, 400);
    assert.strictEqual(env.body.error.code, 'NoRegisteredProviderFound');
    assert.strictEqual(ws.createdCount(), 0);
  });

  it('refuses a target environment id that is not in the form the SDK sends', async () => {
    const wrong: Array<[string, RegExp]> = [
      ['diabetes-image', /is not a target environment id: Azure ML expects azureml:\/\/locations\/eastus\/workspaces\/[0-9a-f-]+\/environments\/<name>/],
      ['azureml:diabetes-image:1', /is not a target environment id/],
      [armId('environments', 'diabetes-image', '1'), /is not a target environment id/],
      [`azureml://locations/eastus/workspaces/my-aml-workspace/environments/diabetes-image`, /'my-aml-workspace' is not the id of workspace 'my-aml-workspace'/],
      [targetId(ws, 'diabetes-image').replace('/eastus/', '/westeurope/'), /location 'westeurope' is not the workspace's location 'eastus'/],
      [targetId(ws, 'diabetes image'), /not a valid environment name/],
    ];
    for (const [target, message] of wrong) assertIssue(await post(ws, packageBody(ws, { targetEnvironmentId: target })), 'targetEnvironmentId', message);
    assert.strictEqual(ws.createdCount(), 0);
  });

  it('is refused to a caller without a role, before anything is looked up', async () => {
    const res = await call(ws, 'POST', PACKAGE, packageBody(ws), { apiVersion: PREVIEW, principal: STRANGER });
    assert.strictEqual(res.status, 403);
    assert.match(res.body.error.message, /workspaces\/models\/versions\/package\/action/);
    assert.deepStrictEqual(ws.packageRequests(), []);
  });

  it('fails the next packages as scripted: the Location poll answers the error and no environment is created', async () => {
    ws.scriptPackages({ buildState: 'Failed', error: { code: 'ImageBuildFailure', message: 'pip install failed: no matching distribution for scikit-learn==9.9' } });
    const res = await post(ws, packageBody(ws));
    assert.strictEqual(res.status, 202);
    assert.strictEqual((await poll(ws, res.headers!.Location)).status, 202);
    const failed = await poll(ws, res.headers!.Location);
    assert.strictEqual(failed.status, 400);
    assert.strictEqual(failed.body.error.code, 'ImageBuildFailure');
    assert.match(failed.body.error.message, /scikit-learn==9\.9/);
    const info = failed.body.error.additionalInfo[0];
    assert.strictEqual(info.type, 'PackageResponse');
    assert.strictEqual(info.info.buildState, 'Failed');
    assert.match(info.info.logUrl, /build\.log$/);
    assert.strictEqual((await call(ws, 'GET', `${WS_PATH}/environments/diabetes-image/versions/1`)).status, 404);
    assert.strictEqual(ws.createdCount(), 0);
    assert.strictEqual(ws.packageRequests()[0].buildState, 'Failed');

    // Still failing for the next one, until the script is cleared.
    const second = await post(ws, packageBody(ws));
    await poll(ws, second.headers!.Location);
    assert.strictEqual((await poll(ws, second.headers!.Location)).status, 400);
    ws.scriptPackages(undefined);
    const third = await post(ws, packageBody(ws));
    await poll(ws, third.headers!.Location);
    const ok = await poll(ws, third.headers!.Location);
    assert.strictEqual(ok.status, 200);
    assert.strictEqual(ok.body.targetEnvironmentId, targetId(ws, 'diabetes-image', '1'));
  });

  it('checks its script', () => {
    assert.throws(() => ws.scriptPackages({ buildState: 'Broken' } as any), /buildState must be Succeeded or Failed/);
  });
});
