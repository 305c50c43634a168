import assert from 'assert';
import type { FakeResponse, Principal } from '../../fake-azure/http';
import { decodeJwt, signJwt } from '../../fake-azure/jwt';
import { AccessTokenIssuer, newRsaKeyPair, verifyAccessToken } from '../../fake-azure/tokens';

const TENANT = '5f0c3b1e-8a4d-4c6e-9b27-3d1e7a9c4f02';
const ARM = ['https://management.azure.com/'];
const app = { clientId: 'client-1', objectId: 'object-1' };

function issuer(lifetimeSeconds = 3600): AccessTokenIssuer {
  return new AccessTokenIssuer(`https://localhost:1/${TENANT}/v2.0`, TENANT, lifetimeSeconds, `https://localhost:1/${TENANT}`);
}

function rejection(result: Principal | FakeResponse): { status: number; code: string; challenge: string } {
  const r = result as FakeResponse;
  assert.ok(typeof r.status === 'number', `expected a rejection, got ${JSON.stringify(result)}`);
  return {
    status: r.status,
    code: (r.body as { error: { code: string } }).error.code,
    challenge: r.headers?.['WWW-Authenticate'] ?? '',
  };
}

describe('verifyAccessToken', () => {
  it('returns the principal of a valid token, with or without trailing slash on the audience', () => {
    const iss = issuer();
    for (const resource of ['https://management.azure.com', 'https://management.azure.com/']) {
      const token = iss.issue(app, resource, '1').accessToken;
      assert.deepStrictEqual(verifyAccessToken(`Bearer ${token}`, ARM, iss), {
        appId: 'client-1',
        objectId: 'object-1',
        tenantId: TENANT,
        audience: 'https://management.azure.com',
      });
    }
  });

  it('rejects an expired token with ExpiredAuthenticationToken and a Bearer challenge', () => {
    const iss = issuer(0);
    const r = rejection(verifyAccessToken(`Bearer ${iss.issue(app, 'https://management.azure.com', '1').accessToken}`, ARM, iss));
    assert.strictEqual(r.status, 401);
    assert.strictEqual(r.code, 'ExpiredAuthenticationToken');
    assert.match(r.challenge, /^Bearer authorization_uri="https:\/\/localhost:1\/[^"]+", error="invalid_token"/);
  });

  it('rejects a token signed by another key with InvalidAuthenticationToken', () => {
    const iss = issuer();
    const genuine = decodeJwt(iss.issue(app, 'https://management.azure.com', '1').accessToken)!;
    const forged = signJwt(genuine.claims, newRsaKeyPair().privateKey, genuine.header);
    const r = rejection(verifyAccessToken(`Bearer ${forged}`, ARM, iss));
    assert.deepStrictEqual([r.status, r.code], [401, 'InvalidAuthenticationToken']);
  });

  it('rejects a token whose claims were changed after signing', () => {
    const iss = issuer();
    const genuine = iss.issue(app, 'https://management.azure.com', '1').accessToken;
    const [h, , s] = genuine.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(genuine)!.claims, appid: 'intruder' })).toString('base64url');
    assert.strictEqual(rejection(verifyAccessToken(`Bearer ${h}.${payload}.${s}`, ARM, iss)).code, 'InvalidAuthenticationToken');
  });

  it('rejects a token from another instance of the fake', () => {
    const r = rejection(verifyAccessToken(`Bearer ${issuer().issue(app, 'https://management.azure.com', '1').accessToken}`, ARM, issuer()));
    assert.strictEqual(r.code, 'InvalidAuthenticationToken');
  });

  it('rejects a token for another audience with InvalidAuthenticationTokenAudience', () => {
    const iss = issuer();
    const r = rejection(verifyAccessToken(`Bearer ${iss.issue(app, 'https://storage.azure.com', '1').accessToken}`, ARM, iss));
    assert.strictEqual(r.code, 'InvalidAuthenticationTokenAudience');
  });

  it('rejects a missing or malformed Authorization header with AuthenticationFailed', () => {
    const iss = issuer();
    assert.strictEqual(rejection(verifyAccessToken(undefined, ARM, iss)).code, 'AuthenticationFailed');
    assert.strictEqual(rejection(verifyAccessToken('Basic abc', ARM, iss)).code, 'AuthenticationFailed');
    assert.strictEqual(rejection(verifyAccessToken('Bearer not-a-jwt', ARM, iss)).code, 'InvalidAuthenticationToken');
  });
});
