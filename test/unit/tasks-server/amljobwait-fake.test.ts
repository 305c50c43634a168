import assert from 'assert';
import { randomUUID } from 'crypto';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { rawRequest, tokenWithSecret, type RawResponse } from '../../fake-azure/client';
import { renderRequest, serverJobContext, type RenderedRequest } from './amljobwait';

// AmlJobWait end to end against the fake Azure: the request its task.json renders is what Azure DevOps sends to
// Resource Manager, the fake workspace holds it to the 2024-04-01 contract, and when the job ends it calls the fake
// Azure DevOps back, as Azure ML does.

describe('AmlJobWait against the fake Azure ML', () => {
  let fake: FakeAzure;
  let token: string;

  before(async () => {
    fake = await startFakeAzure({ blob: false });
    token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
  });
  after(async () => {
    fake.workspace.scriptJobs(undefined);
    await fake?.stop();
  });

  const wsId = () => `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;

  /** A command job as AmlTrain submits it with waitForCompletion: false. */
  async function submitJob(name: string): Promise<void> {
    const res = await rawRequest(fake.caCertPath, `${fake.url}${wsId()}/jobs/${name}?api-version=2024-04-01`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}` },
      body: {
        properties: {
          jobType: 'Command',
          command: 'python -c "print(42)"',
          environmentId: `${wsId()}/environments/sklearn-env/versions/2`,
          computeId: `${wsId()}/computes/cpu-cluster`,
          experimentName: 'jobwait',
        },
      },
    });
    assert.strictEqual(res.status, 201, res.text);
  }

  /** The step's requests in this pipeline run: the connection points at the fake, the collection URI too. */
  function step(jobName: string, section: 'Execute' | 'Cancel', taskInstanceId: string): RenderedRequest {
    const f = fake.identities.federated;
    const context = serverJobContext({
      endpointUrl: `${fake.url}/`,
      subscriptionId: fake.subscriptionId,
      connectionId: f.serviceConnectionId,
      collectionUri: f.collectionUri,
      projectId: f.teamProjectId,
      planId: f.planId,
      jobId: f.jobId,
      timelineId: f.planId,
      taskInstanceId,
      accessToken: f.systemAccessToken,
    });
    return renderRequest(section, { azureSubscription: f.serviceConnectionId, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, jobName }, context);
  }

  /** Sends a rendered request as Azure DevOps does: its headers, plus the connection's ARM token. */
  function send(r: RenderedRequest): Promise<RawResponse> {
    return rawRequest(fake.caCertPath, r.url, { method: r.method, headers: { ...r.headers, Authorization: `Bearer ${token}` }, body: r.body || undefined });
  }

  function eventsFor(taskInstanceId: string) {
    return fake.adoEvents.events.filter((e) => e.body.taskId === taskInstanceId);
  }

  async function runToEnd(jobName: string): Promise<string> {
    let status = '';
    for (let i = 0; i < 10 && !['Completed', 'Failed', 'Canceled'].includes(status); i++) status = fake.workspace.advanceJob(jobName);
    await fake.workspace.webhookDeliveries();
    return status;
  }

  it('accepts the webhook, echoes it without the callback secrets, and calls Azure DevOps back once when the job completes', async () => {
    await submitJob('jobwait-completed');
    const taskId = randomUUID();
    const res = await send(step('jobwait-completed', 'Execute', taskId));
    assert.strictEqual(res.status, 200, res.text);
    const hooks = res.json.properties.notificationSetting.webhooks;
    assert.deepStrictEqual(hooks, { [`ADO_Webhook_${fake.identities.federated.planId}`]: { webhookType: 'AzureDevOps', eventType: 'RunTerminated' } });
    assert.deepStrictEqual(eventsFor(taskId), [], 'no callback before the job ends');

    assert.strictEqual(await runToEnd('jobwait-completed'), 'Completed');
    const events = eventsFor(taskId);
    assert.strictEqual(events.length, 1, JSON.stringify(events));
    const f = fake.identities.federated;
    assert.deepStrictEqual(events[0].body, { name: 'TaskCompleted', taskId, jobId: f.jobId, result: 'succeeded' });
    assert.deepStrictEqual([events[0].organization, events[0].project, events[0].hub, events[0].planId, events[0].apiVersion], ['contoso', f.teamProjectId, 'build', f.planId, '2.0-preview.1']);

    const deliveries = (await fake.workspace.webhookDeliveries()).filter((d) => d.event.taskId === taskId);
    assert.deepStrictEqual(deliveries.map((d) => [d.status, d.error]), [[200, undefined]]);
    fake.workspace.advanceJob('jobwait-completed');
    await fake.workspace.webhookDeliveries();
    assert.strictEqual(eventsFor(taskId).length, 1, 'a finished job calls back only once');
  });

  it("never records the webhook's access token", async () => {
    await submitJob('jobwait-recorded');
    fake.clearRequests();
    assert.strictEqual((await send(step('jobwait-recorded', 'Execute', randomUUID()))).status, 200);
    const patch = fake.requests.find((r) => r.method === 'PATCH');
    assert.ok(patch, 'the PATCH was recorded');
    const [hook] = Object.values((patch.body as any).properties.notificationSetting.webhooks) as Array<Record<string, string>>;
    assert.strictEqual(hook.AuthToken, 'REDACTED');
    assert.strictEqual(hook.PlanId, fake.identities.federated.planId);
    assert.ok(!JSON.stringify(fake.requests).includes(fake.identities.federated.systemAccessToken));
  });

  it('reports a failed job as a failed task', async () => {
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Failed'], error: { code: 'UserError', message: 'exit 1' } });
    await submitJob('jobwait-failed');
    fake.workspace.scriptJobs(undefined);
    const taskId = randomUUID();
    assert.strictEqual((await send(step('jobwait-failed', 'Execute', taskId))).status, 200);
    assert.strictEqual(await runToEnd('jobwait-failed'), 'Failed');
    assert.deepStrictEqual(eventsFor(taskId).map((e) => e.body.result), ['failed']);
  });

  it("cancels the job with the task's Cancel request, and the callback reports the task canceled", async () => {
    await submitJob('jobwait-cancel');
    const taskId = randomUUID();
    assert.strictEqual((await send(step('jobwait-cancel', 'Execute', taskId))).status, 200);
    fake.workspace.advanceJob('jobwait-cancel');

    const res = await send(step('jobwait-cancel', 'Cancel', taskId));
    assert.strictEqual(res.status, 202, res.text);
    assert.ok(res.headers.location, 'a Location to follow');
    assert.strictEqual(fake.workspace.jobs().find((j) => j.name === 'jobwait-cancel')?.status, 'CancelRequested');
    assert.strictEqual(await runToEnd('jobwait-cancel'), 'Canceled');
    assert.deepStrictEqual(eventsFor(taskId).map((e) => e.body.result), ['canceled']);
  });

  describe('holds the PATCH to the 2024-04-01 contract', () => {
    let taskId: string;
    let request: RenderedRequest;
    before(async () => {
      await submitJob('jobwait-strict');
      taskId = randomUUID();
      request = step('jobwait-strict', 'Execute', taskId);
    });

    function withWebhook(change: (hook: Record<string, unknown>) => void): RenderedRequest {
      const body = JSON.parse(request.body);
      const hooks = body.properties.notificationSetting.webhooks;
      change(hooks[Object.keys(hooks)[0]]);
      return { ...request, body: JSON.stringify(body) };
    }

    async function rejected(r: RenderedRequest, message: RegExp): Promise<void> {
      const res = await send(r);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.json.error.message, message);
    }

    it('refuses a member the spec does not declare on an AzureDevOps webhook', async () => {
      await rejected(withWebhook((h) => (h.callbackUrl = 'https://example.org/')), /callbackUrl: is not a known property of AzureDevOpsWebhook/);
    });

    it("refuses the Microsoft sample's PascalCase spec members: the spec's names are camelCase", async () => {
      await rejected(withWebhook((h) => {
        h.WebhookType = h.webhookType;
        delete h.webhookType;
      }), /webhookType: is required/);
    });

    it('refuses a webhook without the callback members, or with an unexpanded macro', async () => {
      await rejected(withWebhook((h) => delete h.AuthToken), /AuthToken: is required/);
      await rejected(withWebhook((h) => (h.PlanId = '$(system.PlanId)')), /PlanId: "\$\(system\.PlanId\)" is not a GUID/);
    });

    it('refuses a change of a member that cannot be updated, and a body at another api-version', async () => {
      const body = JSON.parse(request.body);
      body.properties.notificationSetting.emails = ['ml@contoso.com'];
      await rejected({ ...request, body: JSON.stringify(body) }, /notificationSetting\.emails: cannot be changed/);
      await rejected({ ...request, body: JSON.stringify({ properties: { command: 'echo' } }) }, /properties\.command: cannot be changed/);
      await rejected({ ...request, url: request.url.replace('2024-04-01', '2022-10-01') }, /2024-04-01/);
      assert.deepStrictEqual(eventsFor(taskId), []);
    });

    it('answers 404 for a job that does not exist', async () => {
      const res = await send({ ...request, url: request.url.replace('/jobs/jobwait-strict', '/jobs/no-such-job') });
      assert.strictEqual(res.status, 404, res.text);
    });
  });

  describe('the fake Azure DevOps events endpoint', () => {
    const f = () => fake.identities.federated;
    const url = () => `${f().collectionUri}${f().teamProjectId}/_apis/distributedtask/hubs/build/plans/${f().planId}/events?api-version=2.0-preview.1`;
    const event = () => ({ name: 'TaskCompleted', taskId: randomUUID(), jobId: f().jobId, result: 'succeeded' });

    it("refuses a caller without the job's access token", async () => {
      const before = fake.adoEvents.events.length;
      const res = await rawRequest(fake.caCertPath, url(), { headers: { Authorization: 'Bearer not-the-token' }, body: event() });
      assert.strictEqual(res.status, 401);
      assert.strictEqual(fake.adoEvents.events.length, before);
    });

    it('refuses a TaskCompleted without a valid result and an event for another job', async () => {
      const auth = { Authorization: `Bearer ${f().systemAccessToken}` };
      assert.strictEqual((await rawRequest(fake.caCertPath, url(), { headers: auth, body: { ...event(), result: 'done' } })).status, 400);
      assert.strictEqual((await rawRequest(fake.caCertPath, url(), { headers: auth, body: { ...event(), jobId: randomUUID() } })).status, 404);
    });

    it('accepts the token as a Basic password too', async () => {
      const e = event();
      const res = await rawRequest(fake.caCertPath, url(), { headers: { Authorization: `Basic ${Buffer.from(`:${f().systemAccessToken}`).toString('base64')}` }, body: e });
      assert.strictEqual(res.status, 200, res.text);
      assert.strictEqual(eventsFor(e.taskId).length, 1);
    });
  });
});
