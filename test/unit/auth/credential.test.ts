import * as assert from 'assert';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import { createCredential } from '../../../src/auth/credential';
import { publicCloud, type AzureConnection, type Cloud } from '../../../src/auth/connection';
import { UserError } from '../../../src/errors';
import { LocalHttps, localCertificate, openIdConfiguration, type SeenRequest } from './local-https';

const tenantId = '11111111-1111-1111-1111-111111111111';
const clientId = '22222222-2222-2222-2222-222222222222';
const ARM_SCOPE = 'https://management.azure.com/.default';
const OIDC_PATH = '/org/proj/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken';

/** Entra ID's metadata and token endpoints for any tenant, and the Azure DevOps OIDC token route. */
function entraAndDevOps(events: string[]) {
  return (req: SeenRequest, baseUrl: string) => {
    const path = req.path.split('?')[0];
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
      return openIdConfiguration(baseUrl, m[1]);
    }
    if (req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
      events.push('token request');
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'arm-access-token' } };
    }
    if (req.method === 'POST' && path === OIDC_PATH) {
      events.push('oidc request');
      return { status: 200, body: { oidcToken: 'oidc-token-from-devops' } };
    }
    return undefined;
  };
}

describe('createCredential', function () {
  this.timeout(20_000);
  let server: LocalHttps;
  let tls: { cert: string; key: string };
  let events: string[];
  let cloud: Cloud;
  before(async () => {
    tls = await localCertificate();
    server = new LocalHttps(tls);
    await server.start();
    cloud = { authorityHost: server.baseUrl, resourceManagerUrl: server.baseUrl, resourceManagerAudience: 'https://management.azure.com' };
  });
  after(async () => server.stop());
  beforeEach(() => {
    server.seen.length = 0;
    events = [];
    server.route = entraAndDevOps(events);
  });

  const description = 'service connection prod-aml';
  const noSecrets = { onSecret: () => {} };
  const tokenRequest = () => {
    const req = server.seen.find((r) => r.path.split('?')[0].endsWith('/oauth2/v2.0/token'));
    assert.ok(req, `no token request among ${server.seen.map((r) => `${r.method} ${r.host}${r.path}`).join(', ')}`);
    return { req, form: new URLSearchParams(req.body) };
  };

  it('signs a service principal in with its secret at the connection cloud authority', async () => {
    const credential = createCredential({ scheme: 'ServicePrincipalSecret', cloud, description, tenantId, clientId, clientSecret: 's3cret' }, noSecrets);
    assert.ok(credential instanceof ClientSecretCredential);
    const token = await credential.getToken(ARM_SCOPE);
    assert.strictEqual(token?.token, 'arm-access-token');
    const { req, form } = tokenRequest();
    assert.strictEqual(req.path.split('?')[0], `/${tenantId}/oauth2/v2.0/token`);
    assert.strictEqual(form.get('client_id'), clientId);
    assert.strictEqual(form.get('client_secret'), 's3cret');
  });

  it('skips Entra instance discovery for an authority it does not know, so only that authority is asked', async () => {
    const credential = createCredential({ scheme: 'ServicePrincipalSecret', cloud, description, tenantId, clientId, clientSecret: 's3cret' }, noSecrets);
    await credential.getToken(ARM_SCOPE);
    assert.deepStrictEqual(
      server.seen.map((r) => `${r.method} ${r.host}${r.path.split('?')[0]}`),
      [`GET 127.0.0.1/${tenantId}/v2.0/.well-known/openid-configuration`, `POST 127.0.0.1/${tenantId}/oauth2/v2.0/token`],
    );
  });

  it('signs a service principal in with a PEM certificate given as text', async () => {
    const credential = createCredential(
      { scheme: 'ServicePrincipalCertificate', cloud, description, tenantId, clientId, certificatePem: `${tls.cert}\n${tls.key}` },
      noSecrets,
    );
    assert.ok(credential instanceof ClientCertificateCredential);
    assert.strictEqual((await credential.getToken(ARM_SCOPE))?.token, 'arm-access-token');
    const { form } = tokenRequest();
    assert.strictEqual(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.ok(form.get('client_assertion'));
  });

  describe('with workload identity federation', () => {
    const federated = (systemAccessToken?: string): AzureConnection => ({
      scheme: 'WorkloadIdentityFederation',
      cloud,
      description,
      tenantId,
      clientId,
      serviceConnectionId: 'sc-1',
      oidcRequestUri: `${server.baseUrl}${OIDC_PATH}`,
      systemAccessToken,
    });

    it('presents an OIDC token from Azure DevOps to Entra, and reports it as a secret before using it', async () => {
      const credential = createCredential(federated('job-token'), { onSecret: (s) => events.push(`secret ${s}`) });
      assert.ok(credential instanceof ClientAssertionCredential);
      assert.strictEqual((await credential.getToken(ARM_SCOPE))?.token, 'arm-access-token');
      // The SDK may ask for the assertion more than once per sign-in; every OIDC token is reported before Entra sees one.
      const oidcRequests = events.filter((e) => e === 'oidc request').length;
      assert.ok(oidcRequests >= 1);
      assert.strictEqual(events.filter((e) => e === 'secret oidc-token-from-devops').length, oidcRequests);
      assert.ok(events.indexOf('secret oidc-token-from-devops') < events.indexOf('token request'), events.join(', '));
      const oidc = server.seen.find((r) => r.path.startsWith(OIDC_PATH))!;
      assert.strictEqual(oidc.path, `${OIDC_PATH}?api-version=7.1&serviceConnectionId=sc-1`);
      assert.strictEqual(oidc.headers['authorization'], 'Bearer job-token');
      const { form } = tokenRequest();
      assert.strictEqual(form.get('client_assertion'), 'oidc-token-from-devops');
    });

    it('fails with a UserError about System.AccessToken when the job has no access token', () => {
      assert.throws(
        () => createCredential(federated(undefined), noSecrets),
        (e: unknown) => {
          assert.ok(e instanceof UserError);
          assert.match(e.message, /^service connection prod-aml uses workload identity federation/);
          assert.match(e.message, /System\.AccessToken/);
          return true;
        },
      );
    });
  });

  it('uses a managed identity, with or without a client id', () => {
    assert.ok(createCredential({ scheme: 'ManagedIdentity', cloud: publicCloud, description, clientId }, noSecrets) instanceof ManagedIdentityCredential);
    assert.ok(createCredential({ scheme: 'ManagedIdentity', cloud: publicCloud, description }, noSecrets) instanceof ManagedIdentityCredential);
  });

  it("uses the developer's own login outside a pipeline", () => {
    assert.ok(createCredential({ scheme: 'Local', cloud: publicCloud, description: 'your Azure login' }, noSecrets) instanceof DefaultAzureCredential);
  });
});
