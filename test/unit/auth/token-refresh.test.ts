import * as assert from 'assert';
import * as sinon from 'sinon';
import { createCredential } from '../../../src/auth/credential';
import type { AzureConnection, Cloud } from '../../../src/auth/connection';
import { WorkspaceClient } from '../../../src/workspace/client';
import { LocalHttps, localCertificate, openIdConfiguration, type SeenRequest } from './local-https';

const tenantId = '11111111-1111-1111-1111-111111111111';
const clientId = '22222222-2222-2222-2222-222222222222';
const OIDC_PATH = '/org/proj/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken';
const TOKEN_LIFETIME_S = 3600;
const POLL_MS = 30_000;
const JOB_MINUTES = 125;

// The e2e tests can only afford tokens that live seconds, which MSAL (5-minute renewal offset) and the pipeline's
// token cycler (2-minute refresh window) treat as due from the start. Here Date is faked, so hour-long tokens age for
// real: a two-hour wait polled every 30 s must reuse each token for most of its life and switch before it expires.
describe('signing in again during a long wait (hour-long tokens, faked Date)', function () {
  this.timeout(30_000);
  let server: LocalHttps;
  let cloud: Cloud;
  let clock: sinon.SinonFakeTimers;
  let issued: Array<{ token: string; expiresOn: number }>;
  let used: Array<{ token: string; at: number }>;
  let oidcRequests: number;

  before(async () => {
    server = new LocalHttps(await localCertificate());
    await server.start();
    cloud = { authorityHost: server.baseUrl, resourceManagerUrl: server.baseUrl, resourceManagerAudience: 'https://management.azure.com' };
  });
  after(async () => server.stop());
  beforeEach(() => {
    issued = [];
    used = [];
    oidcRequests = 0;
    server.seen.length = 0;
    // Only Date: sockets, timers and TLS keep real time.
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-11-29T08:00:00Z') });
    server.route = (req: SeenRequest, baseUrl: string) => {
      const path = req.path.split('?')[0];
      if (req.method === 'GET' && path === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
        return openIdConfiguration(baseUrl, tenantId);
      }
      if (req.method === 'POST' && path === `/${tenantId}/oauth2/v2.0/token`) {
        const token = `token-${issued.length + 1}`;
        issued.push({ token, expiresOn: Date.now() + TOKEN_LIFETIME_S * 1000 });
        return { status: 200, body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: token } };
      }
      if (req.method === 'POST' && path === OIDC_PATH) {
        oidcRequests += 1;
        return { status: 200, body: { oidcToken: `oidc-${oidcRequests}` } };
      }
      if (req.method === 'GET' && path.endsWith('/jobs/long-job')) {
        const token = /^Bearer (.+)$/.exec(String(req.headers.authorization))?.[1] ?? '';
        used.push({ token, at: Date.now() });
        const live = issued.find((t) => t.token === token && t.expiresOn > Date.now());
        return live ? { status: 200, body: { name: 'long-job', properties: { status: 'Running' } } } : { status: 401, body: { error: { code: 'ExpiredAuthenticationToken', message: 'expired' } } };
      }
      return undefined;
    };
  });
  afterEach(() => clock.restore());

  async function pollFor(connection: AzureConnection): Promise<void> {
    const credential = createCredential(connection, { onSecret: () => {} });
    const client = new WorkspaceClient({
      credential,
      cloud,
      workspace: { subscriptionId: 'sub', resourceGroup: 'rg', workspaceName: 'ws' },
      identity: 'the service connection',
      log: { info: () => {}, warning: () => {}, debug: () => {} },
      retry: { maxRetries: 0 },
    });
    for (let t = 0; t <= JOB_MINUTES * 60_000; t += POLL_MS) {
      await client.get('jobs/long-job', { operation: 'read the job' });
      // A refresh started in the background by this poll finishes (in real time) before the next poll.
      await new Promise((r) => setTimeout(r, 20));
      clock.tick(POLL_MS);
    }
  }

  function assertReusedThenRefreshed(): void {
    // Every poll went out on a live token.
    for (const u of used) assert.ok(issued.some((t) => t.token === u.token && t.expiresOn > u.at), `${u.token} used after it expired`);
    // 125 minutes need three one-hour tokens; each served most of its hour before the next was fetched.
    assert.deepStrictEqual(issued.map((t) => t.token), ['token-1', 'token-2', 'token-3']);
    const polls = (token: string) => used.filter((u) => u.token === token).length;
    assert.ok(polls('token-1') >= 110 && polls('token-2') >= 110, `polls per token: ${issued.map((t) => polls(t.token)).join(', ')}`);
  }

  it('reuses a service principal token for most of its hour and fetches the next one before it expires', async () => {
    await pollFor({ scheme: 'ServicePrincipalSecret', cloud, description: 'sc', tenantId, clientId, clientSecret: 's3cret' });
    assertReusedThenRefreshed();
  });

  it('does the same with workload identity federation, asking Azure DevOps for a new OIDC token at each sign-in', async () => {
    await pollFor({
      scheme: 'WorkloadIdentityFederation',
      cloud,
      description: 'sc',
      tenantId,
      clientId,
      serviceConnectionId: 'sc-id',
      oidcRequestUri: `${server.baseUrl}${OIDC_PATH}`,
      systemAccessToken: 'system-token',
    });
    assertReusedThenRefreshed();
    const signIns = server.seen.filter((r) => r.path.split('?')[0].endsWith('/oauth2/v2.0/token'));
    // Never an assertion reused from an earlier sign-in (msal-node even asks for two per sign-in).
    assert.strictEqual(signIns.length, 3);
    assert.ok(oidcRequests >= signIns.length, `${oidcRequests} OIDC tokens for ${signIns.length} sign-ins`);
  });
});
