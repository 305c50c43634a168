import assert from 'assert';
import { readFileSync } from 'fs';
import { ClientSecretCredential } from '@azure/identity';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';

// The workspace fake seen through @azure/arm-machinelearning 2.1.1 over HTTPS, as the product uses it.
describe('fake Azure ML workspace: jobs through the 2.1.1 SDK', function () {
  this.timeout(60_000);
  let fake: FakeAzure;
  let wsId: string;
  let client: (apiVersion?: string) => AzureMachineLearningWorkspaces;

  before(async () => {
    fake = await startFakeAzure({ blob: false });
    const ca = readFileSync(fake.caCertPath, 'utf8');
    const { clientId, clientSecret } = fake.identities.secret;
    const credential = new ClientSecretCredential(fake.tenantId, clientId, clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca } });
    client = (apiVersion) => new AzureMachineLearningWorkspaces(credential, fake.subscriptionId, {
      endpoint: fake.url,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca },
      retryOptions: { maxRetries: 0 },
      ...(apiVersion ? { apiVersion } : {}),
    });
    wsId = `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
  });

  after(async () => {
    await fake?.stop();
  });

  function jobBody(): any {
    return {
      properties: {
        jobType: 'Command',
        command: 'python train.py --data ${{inputs.data}}',
        environmentId: `${wsId}/environments/sklearn-env/versions/2`,
        computeId: `${wsId}/computes/cpu-cluster`,
        inputs: { data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/data/', mode: 'ReadOnlyMount' } },
      },
    };
  }

  it('reads the workspace with the typed 2022-10-01 client, discovery URL on the fake', async () => {
    const ws = await client().workspaces.get(fake.resourceGroup, fake.workspaceName);
    assert.strictEqual(ws.discoveryUrl, `${fake.url}/discovery`);
    assert.strictEqual(ws.workspaceId, fake.workspace.identity.workspaceId);
  });

  it('refuses the job body the 2.1.1 serializer produces, with the input uri it dropped', async () => {
    await assert.rejects(
      client('2024-04-01').jobs.createOrUpdate(fake.resourceGroup, fake.workspaceName, 'sdk-serializer-job', jobBody()),
      (e: any) => e.statusCode === 400 && /properties\.inputs\.data\.uri: is required/.test(e.message),
    );
    const sent = fake.requests.filter((r) => r.method === 'PUT').pop()!.body as any;
    assert.deepStrictEqual(sent.properties.inputs.data, { jobInputType: 'uri_folder' }, 'the SDK really dropped uri and mode');
    assert.ok(!fake.workspace.jobs().some((j) => j.name === 'sdk-serializer-job'));
  });

  it('cancels a job submitted raw at 2024-04-01 through the SDK long-running cancel', async () => {
    const c = client();
    const req = createPipelineRequest({ url: `${fake.url}${wsId}/jobs/sdk-cancel-job?api-version=2024-04-01`, method: 'PUT', body: JSON.stringify(jobBody()) });
    req.headers.set('Content-Type', 'application/json');
    const res = await c.sendRequest(req);
    assert.strictEqual(res.status, 201, res.bodyAsText ?? undefined);
    await c.jobs.beginCancelAndWait(fake.resourceGroup, fake.workspaceName, 'sdk-cancel-job', { updateIntervalInMs: 10 });
    assert.strictEqual(fake.workspace.jobs().find((j) => j.name === 'sdk-cancel-job')?.status, 'Canceled');
    const job = await c.jobs.get(fake.resourceGroup, fake.workspaceName, 'sdk-cancel-job');
    assert.strictEqual(job.properties.status, 'Canceled');
  });
});
