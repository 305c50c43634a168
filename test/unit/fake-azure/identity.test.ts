import assert from 'assert';
import { readFileSync } from 'fs';
import { createPrivateKey, type KeyObject } from 'crypto';
import {
  AzurePipelinesCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import type { FakeResponse } from '../../fake-azure/http';
import { rawRequest, type RawResponse } from '../../fake-azure/client';
import { certificateThumbprints } from '../../fake-azure/identities';
import { base64url, decodeJwt, nowSeconds, signJwt } from '../../fake-azure/jwt';
import { createClientCertificate } from '../../fake-azure/tls';
import { newRsaKeyPair } from '../../fake-azure/tokens';

const ARM_SCOPE = 'https://management.azure.com/.default';
const OTHER_TENANT = '0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e';

describe('The fake Entra ID, Azure DevOps OIDC and IMDS', function () {
  this.timeout(60_000);
  let fake: FakeAzure;
  let ca: string;

  before(async () => {
    fake = await startFakeAzure({ blob: false });
    ca = readFileSync(fake.caCertPath, 'utf8');
  });
  after(async () => {
    await fake?.stop();
  });

  /** What a task passes for a non-public authority; the CA is passed explicitly because NODE_EXTRA_CA_CERTS is read at process start. */
  const credentialOptions = () => ({ authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca } });
  const claimsOf = (token: string) => decodeJwt(token)!.claims;
  const workspacePath = () =>
    `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}?api-version=2024-04-01`;
  const armGet = (token: string) => rawRequest(fake.caCertPath, fake.url + workspacePath(), { headers: { Authorization: `Bearer ${token}` } });
  const tokenEndpoint = () => `${fake.url}/${fake.tenantId}/oauth2/v2.0/token`;
  const postToken = (form: Record<string, string>): Promise<RawResponse> =>
    rawRequest(fake.caCertPath, tokenEndpoint(), { form: { grant_type: 'client_credentials', scope: ARM_SCOPE, ...form } });
  const oidcToken = async (): Promise<string> => {
    const f = fake.identities.federated;
    const res = await rawRequest(fake.caCertPath, `${f.oidcRequestUri}?api-version=7.1&serviceConnectionId=${f.serviceConnectionId}`, {
      method: 'POST',
      body: {},
      headers: { Authorization: `Bearer ${f.systemAccessToken}` },
    });
    assert.strictEqual(res.status, 200, res.text);
    return res.json.oidcToken as string;
  };
  async function assertRejected(promise: Promise<unknown>, code: string): Promise<void> {
    await assert.rejects(promise, (e: Error) => {
      assert.match(e.message, new RegExp(code), `expected ${code} in: ${e.message}`);
      return true;
    });
  }

  describe('discovery', () => {
    it('serves OpenID configuration whose endpoints and issuer are on the fake authority', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.url}/${fake.tenantId}/v2.0/.well-known/openid-configuration`);
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.json.issuer, `${fake.url}/${fake.tenantId}/v2.0`);
      assert.strictEqual(res.json.token_endpoint, tokenEndpoint());
      for (const key of ['authorization_endpoint', 'jwks_uri', 'end_session_endpoint', 'device_authorization_endpoint']) {
        assert.ok(String(res.json[key]).startsWith(`${fake.url}/${fake.tenantId}/`), key);
      }
      const keys = await rawRequest(fake.caCertPath, res.json.jwks_uri);
      assert.strictEqual(keys.json.keys[0].kty, 'RSA');
    });
  });

  describe('client secret', () => {
    it('gives ClientSecretCredential an ARM token that ARM accepts', async () => {
      const { clientId, clientSecret } = fake.identities.secret;
      const token = await new ClientSecretCredential(fake.tenantId, clientId, clientSecret, credentialOptions()).getToken(ARM_SCOPE);
      const claims = claimsOf(token.token);
      assert.strictEqual(claims.aud, 'https://management.azure.com');
      assert.strictEqual(claims.appid, clientId);
      assert.strictEqual(claims.tid, fake.tenantId);
      assert.ok(token.expiresOnTimestamp > Date.now() + 3000_000);
      assert.notStrictEqual((await armGet(token.token)).status, 401);
      assert.deepStrictEqual(fake.verifyAccessToken(`Bearer ${token.token}`, [fake.armAudience]), {
        appId: clientId,
        objectId: claims.oid,
        tenantId: fake.tenantId,
        audience: 'https://management.azure.com',
      });
      assert.strictEqual((fake.verifyAccessToken(`Bearer ${token.token}`, ['https://storage.azure.com/']) as FakeResponse).status, 401);
    });

    it('rejects a wrong client secret with AADSTS7000215', async () => {
      const cred = new ClientSecretCredential(fake.tenantId, fake.identities.secret.clientId, 'not-the-secret', credentialOptions());
      await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS7000215');
      const raw = await postToken({ client_id: fake.identities.secret.clientId, client_secret: 'not-the-secret' });
      assert.strictEqual(raw.status, 401);
      assert.strictEqual(raw.json.error, 'invalid_client');
      assert.deepStrictEqual(raw.json.error_codes, [7000215]);
      assert.match(raw.json.error_description, /^AADSTS7000215: /);
      for (const field of ['timestamp', 'trace_id', 'correlation_id']) assert.ok(raw.json[field], field);
    });

    it('rejects the secret of another app', async () => {
      const raw = await postToken({ client_id: fake.identities.secret.clientId, client_secret: fake.identities.noAccess.clientSecret });
      assert.deepStrictEqual(raw.json.error_codes, [7000215]);
    });

    it('rejects an unknown client with AADSTS700016', async () => {
      const cred = new ClientSecretCredential(fake.tenantId, '11111111-2222-4333-8444-555555555555', 'x', credentialOptions());
      await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS700016');
    });

    it('rejects a request to another tenant with AADSTS90002', async () => {
      const { clientId, clientSecret } = fake.identities.secret;
      await assertRejected(new ClientSecretCredential(OTHER_TENANT, clientId, clientSecret, credentialOptions()).getToken(ARM_SCOPE), 'AADSTS90002');
    });

    it('rejects a scope without /.default with AADSTS1002012', async () => {
      const { clientId, clientSecret } = fake.identities.secret;
      const raw = await postToken({ client_id: clientId, client_secret: clientSecret, scope: 'https://management.azure.com/user_impersonation' });
      assert.strictEqual(raw.status, 400);
      assert.deepStrictEqual(raw.json.error_codes, [1002012]);
    });
  });

  describe('client certificate', () => {
    it('gives ClientCertificateCredential a token for the certificate in the service connection PEM', async () => {
      const { clientId, pem } = fake.identities.certificate;
      const token = await new ClientCertificateCredential(fake.tenantId, clientId, { certificate: pem }, credentialOptions()).getToken(ARM_SCOPE);
      assert.strictEqual(claimsOf(token.token).appid, clientId);
      assert.strictEqual(claimsOf(token.token).appidacr, '2');
    });

    it('rejects a certificate that is not registered for the app with AADSTS700027', async () => {
      const other = await createClientCertificate('someone-else');
      const cred = new ClientCertificateCredential(fake.tenantId, fake.identities.certificate.clientId, { certificate: `${other.cert}\n${other.key}` }, credentialOptions());
      await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS700027');
    });

    describe('with hand-made assertions', () => {
      let certKey: KeyObject;
      let thumbprints: ReturnType<typeof certificateThumbprints>;
      before(() => {
        certKey = createPrivateKey(fake.identities.certificate.pem);
        thumbprints = certificateThumbprints(fake.identities.certificate.pem);
      });
      const assertionClaims = (overrides: Record<string, unknown> = {}) => {
        const now = nowSeconds();
        const clientId = fake.identities.certificate.clientId;
        return { aud: tokenEndpoint(), iss: clientId, sub: clientId, jti: 'j1', nbf: now, exp: now + 600, ...overrides };
      };
      const presentAssertion = (assertion: string) =>
        postToken({
          client_id: fake.identities.certificate.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        });

      it('accepts an RS256 assertion identified by the SHA-1 thumbprint (x5t)', async () => {
        const jwt = signJwt(assertionClaims(), certKey, { alg: 'RS256', x5t: base64url(thumbprints.thumbprintSha1) });
        const res = await presentAssertion(jwt);
        assert.strictEqual(res.status, 200, res.text);
      });

      it('rejects an assertion signed by another key under the registered thumbprint with AADSTS700027', async () => {
        const jwt = signJwt(assertionClaims(), newRsaKeyPair().privateKey, { alg: 'PS256', 'x5t#S256': base64url(thumbprints.thumbprintSha256) });
        const res = await presentAssertion(jwt);
        assert.strictEqual(res.status, 401);
        assert.deepStrictEqual(res.json.error_codes, [700027]);
        assert.match(res.json.error_description, /did not match the expected signature/);
      });

      it('rejects an assertion whose audience is not the token endpoint', async () => {
        const jwt = signJwt(assertionClaims({ aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' }), certKey, {
          alg: 'PS256',
          'x5t#S256': base64url(thumbprints.thumbprintSha256),
        });
        assert.deepStrictEqual((await presentAssertion(jwt)).json.error_codes, [700212]);
      });

      it('rejects an expired assertion with AADSTS700024', async () => {
        const past = nowSeconds() - 3600;
        const jwt = signJwt(assertionClaims({ nbf: past, exp: past + 600 }), certKey, { alg: 'PS256', 'x5t#S256': base64url(thumbprints.thumbprintSha256) });
        assert.deepStrictEqual((await presentAssertion(jwt)).json.error_codes, [700024]);
      });
    });
  });

  describe('workload identity federation', () => {
    it('gives ClientAssertionCredential a token for an OIDC token fetched from the fake Azure DevOps', async () => {
      const { clientId } = fake.identities.federated;
      let fetched = 0;
      const cred = new ClientAssertionCredential(fake.tenantId, clientId, async () => {
        fetched += 1;
        return oidcToken();
      }, credentialOptions());
      const token = await cred.getToken(ARM_SCOPE);
      assert.ok(fetched >= 1);
      assert.strictEqual(claimsOf(token.token).appid, clientId);
      assert.notStrictEqual((await armGet(token.token)).status, 401);
    });

    it('gives AzurePipelinesCredential a token through System.OidcRequestUri', async () => {
      const f = fake.identities.federated;
      const saved = process.env.SYSTEM_OIDCREQUESTURI;
      process.env.SYSTEM_OIDCREQUESTURI = f.oidcRequestUri;
      try {
        const cred = new AzurePipelinesCredential(fake.tenantId, f.clientId, f.serviceConnectionId, f.systemAccessToken, credentialOptions());
        assert.strictEqual(claimsOf((await cred.getToken(ARM_SCOPE)).token).appid, f.clientId);
      } finally {
        if (saved === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
        else process.env.SYSTEM_OIDCREQUESTURI = saved;
      }
    });

    it('rejects an OIDC token not signed by Azure DevOps with AADSTS700027', async () => {
      const genuine = decodeJwt(await oidcToken())!;
      const forged = signJwt(genuine.claims, newRsaKeyPair().privateKey, { alg: 'RS256' });
      const cred = new ClientAssertionCredential(fake.tenantId, fake.identities.federated.clientId, async () => forged, credentialOptions());
      await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS700027');
    });

    it('rejects an OIDC token presented for an app without a federated credential for it', async () => {
      const token = await oidcToken();
      const cred = new ClientAssertionCredential(fake.tenantId, fake.identities.secret.clientId, async () => token, credentialOptions());
      await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS700211');
    });

    it('rejects an expired OIDC token with AADSTS700024', async () => {
      // A zero lifetime makes every OIDC token already expired when Entra checks it.
      const shortLived = await startFakeAzure({ blob: false, oidcTokenLifetimeSeconds: 0 });
      try {
        const f = shortLived.identities.federated;
        const res = await rawRequest(shortLived.caCertPath, `${f.oidcRequestUri}?api-version=7.1&serviceConnectionId=${f.serviceConnectionId}`, {
          method: 'POST',
          body: {},
          headers: { Authorization: `Bearer ${f.systemAccessToken}` },
        });
        const expired = res.json.oidcToken as string;
        const cred = new ClientAssertionCredential(shortLived.tenantId, f.clientId, async () => expired, {
          authorityHost: shortLived.url,
          disableInstanceDiscovery: true,
          tlsOptions: { ca: readFileSync(shortLived.caCertPath, 'utf8') },
        });
        await assertRejected(cred.getToken(ARM_SCOPE), 'AADSTS700024: Client assertion is not within its valid time range');
      } finally {
        await shortLived.stop();
      }
    });
  });

  describe('Azure DevOps OIDC endpoint', () => {
    const post = (query: string, bearer?: string) => {
      const f = fake.identities.federated;
      return rawRequest(fake.caCertPath, `${f.oidcRequestUri}?${query}`, {
        method: 'POST',
        body: {},
        headers: { Authorization: `Bearer ${bearer ?? f.systemAccessToken}`, 'X-TFS-FedAuthRedirect': 'Suppress' },
      });
    };

    it('issues a token naming the service connection, for Entra ID, valid for ten minutes', async () => {
      const claims = claimsOf(await oidcToken());
      assert.strictEqual(claims.aud, 'api://AzureADTokenExchange');
      assert.match(String(claims.iss), /^https:\/\/vstoken\.dev\.azure\.com\/[0-9a-f-]{36}$/);
      assert.strictEqual(claims.sub, `sc://contoso/mlops/${fake.identities.federated.serviceConnectionName}`);
      assert.strictEqual(Number(claims.exp) - Number(claims.iat), 600);
    });

    it('refuses a request without the job access token with 401', async () => {
      const res = await post(`api-version=7.1&serviceConnectionId=${fake.identities.federated.serviceConnectionId}`, 'wrong-token');
      assert.strictEqual(res.status, 401);
      assert.ok(!res.text.includes('oidcToken'));
    });

    it('answers an unknown service connection with 404 and a message', async () => {
      const res = await post('api-version=7.1&serviceConnectionId=00000000-0000-4000-8000-000000000000');
      assert.strictEqual(res.status, 404);
      assert.match(res.json.message, /00000000-0000-4000-8000-000000000000/);
    });

    it('accepts the preview api-versions older task libraries send and refuses unknown ones', async () => {
      const id = fake.identities.federated.serviceConnectionId;
      assert.strictEqual((await post(`api-version=7.1-preview.1&serviceConnectionId=${id}`)).status, 200);
      assert.strictEqual((await post(`api-version=7.2-preview.1&serviceConnectionId=${id}`)).status, 200);
      assert.strictEqual((await post(`api-version=5.0&serviceConnectionId=${id}`)).status, 400);
    });
  });

  describe('IMDS', () => {
    let savedHost: string | undefined;
    beforeEach(() => {
      savedHost = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = fake.imdsUrl;
    });
    afterEach(() => {
      if (savedHost === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = savedHost;
    });

    it('gives ManagedIdentityCredential a token for the managed identity that ARM accepts', async () => {
      const { clientId } = fake.identities.managed;
      // msal-node caches managed identity tokens process-wide; a resource spelled with its trailing slash
      // keeps this cache entry apart from any other fake instance's in the same test process.
      const token = await new ManagedIdentityCredential({ clientId }).getToken('https://management.azure.com//.default');
      assert.strictEqual(claimsOf(token.token).aud, 'https://management.azure.com/');
      assert.strictEqual(claimsOf(token.token).appid, clientId);
      assert.ok(token.expiresOnTimestamp > Date.now() + 3000_000);
      assert.notStrictEqual((await armGet(token.token)).status, 401);
    });

    it('answers with string-valued fields, as IMDS does', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`, {
        headers: { Metadata: 'true' },
      });
      assert.strictEqual(res.status, 200);
      for (const field of ['expires_in', 'expires_on', 'ext_expires_in', 'not_before']) assert.match(res.json[field], /^\d+$/, field);
      assert.strictEqual(res.json.resource, 'https://management.azure.com/');
      assert.strictEqual(res.json.token_type, 'Bearer');
    });

    it('rejects a request without the Metadata header', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.json.error_description, 'Required metadata header not specified');
    });

    it('rejects an unknown client id', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&client_id=${fake.identities.secret.clientId}`, {
        headers: { Metadata: 'true' },
      });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.json.error_description, 'Identity not found');
      await assert.rejects(new ManagedIdentityCredential({ clientId: fake.identities.secret.clientId }).getToken(ARM_SCOPE), /Identity not found/);
    });
  });
});
