import { generateKeyPairSync, type KeyObject } from 'crypto';
import { armError, type FakeResponse, type Principal } from './http';
import { decodeJwt, keyId, newGuid, nowSeconds, numberClaim, signJwt, stringClaim, verifyJwtSignature } from './jwt';

export function newRsaKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** Resource URIs compare equal with or without a trailing slash, as ARM treats them. */
export function sameResource(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  /** Seconds since the epoch. */
  expiresOn: number;
  notBefore: number;
}

/** How the app proved itself, as Entra records it in `appidacr`: 0 none (managed identity), 1 secret, 2 certificate or assertion. */
export type AuthMethod = '0' | '1' | '2';

/** One access token the fake issued and how often a request presented it; no token text, so nothing to leak. */
export interface IssuedTokenRecord {
  /** The token's `uti` claim: unique per token. */
  tokenId: string;
  appId: string;
  audience: string;
  authMethod: AuthMethod;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresOn: number;
  /** Requests that presented it and were let through. */
  uses: number;
}

/** Signs the fake's access tokens (RS256 with its own key) and checks them on the way back in. */
export class AccessTokenIssuer {
  private readonly keys = newRsaKeyPair();
  readonly kid = keyId(this.keys.publicKey);
  /** Every token issued, in order, so tests can see that a long run really moved on to new tokens. */
  readonly issued: IssuedTokenRecord[] = [];
  private readonly byId = new Map<string, IssuedTokenRecord>();

  constructor(
    /** The `iss` of its tokens: the tenant's v2.0 issuer on the fake authority. */
    readonly issuer: string,
    readonly tenantId: string,
    readonly lifetimeSeconds: number,
    /** Where a client should get a token, for WWW-Authenticate challenges. */
    readonly authorizationUri: string,
  ) {}

  issue(app: { clientId: string; objectId: string }, resource: string, authMethod: AuthMethod): IssuedToken {
    const iat = nowSeconds();
    const exp = iat + this.lifetimeSeconds;
    const uti = newGuid();
    const claims = {
      aud: resource,
      iss: this.issuer,
      iat,
      nbf: iat,
      exp,
      appid: app.clientId,
      appidacr: authMethod,
      idtyp: 'app',
      oid: app.objectId,
      sub: app.objectId,
      tid: this.tenantId,
      uti,
      ver: '1.0',
    };
    const accessToken = signJwt(claims, this.keys.privateKey, { alg: 'RS256', kid: this.kid, x5t: this.kid });
    const record: IssuedTokenRecord = { tokenId: uti, appId: app.clientId, audience: resource, authMethod, issuedAt: iat, expiresOn: exp, uses: 0 };
    this.issued.push(record);
    this.byId.set(uti, record);
    return { accessToken, expiresIn: this.lifetimeSeconds, expiresOn: exp, notBefore: iat };
  }

  /** The public key as a JSON Web Key Set, served at the tenant's jwks_uri. */
  jwks(): { keys: object[] } {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e, issuer: this.issuer }] };
  }

  get publicKey(): KeyObject {
    return this.keys.publicKey;
  }

  /** Counts a request that presented the token with this `uti` and passed every check. */
  noteUse(tokenId: string | undefined): void {
    const record = tokenId === undefined ? undefined : this.byId.get(tokenId);
    if (record) record.uses += 1;
  }
}

function unauthorized(issuer: AccessTokenIssuer, code: string, message: string): FakeResponse {
  // The challenge tells a client where to authenticate, as ARM's does.
  const challenge = `Bearer authorization_uri="${issuer.authorizationUri}", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  return armError(401, code, message, { 'WWW-Authenticate': challenge });
}

/**
 * Checks a bearer token the way ARM does: our signature, our issuer and tenant, one of the expected audiences
 * (with or without trailing slash), and the time window. Returns the caller, or the 401 to send back.
 */
export function verifyAccessToken(
  authorizationHeader: string | undefined,
  expectedAudiences: readonly string[],
  issuer: AccessTokenIssuer,
): Principal | FakeResponse {
  if (!authorizationHeader) {
    return unauthorized(issuer, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader.trim());
  if (!match) {
    return unauthorized(issuer, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is not in a valid 'Bearer <token>' format.");
  }
  const jwt = decodeJwt(match[1]);
  const invalid = () => unauthorized(issuer, 'InvalidAuthenticationToken', 'The access token is invalid.');
  if (!jwt || jwt.header.alg !== 'RS256' || jwt.header.kid !== issuer.kid || !verifyJwtSignature(jwt, issuer.publicKey)) {
    return invalid();
  }
  const { claims } = jwt;
  const aud = stringClaim(claims, 'aud');
  const appId = stringClaim(claims, 'appid');
  const objectId = stringClaim(claims, 'oid');
  const tenantId = stringClaim(claims, 'tid');
  const exp = numberClaim(claims, 'exp');
  const nbf = numberClaim(claims, 'nbf');
  if (stringClaim(claims, 'iss') !== issuer.issuer || !aud || !appId || !objectId || !tenantId || exp === undefined) {
    return invalid();
  }
  if (tenantId !== issuer.tenantId) {
    return unauthorized(issuer, 'InvalidAuthenticationTokenTenant', `The access token is from the wrong issuer '${tenantId}'. It must match the tenant '${issuer.tenantId}' associated with this subscription.`);
  }
  if (!expectedAudiences.some((a) => sameResource(a, aud))) {
    const allowed = expectedAudiences.map((a) => `'${a}'`).join(',');
    return unauthorized(issuer, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${allowed}.`);
  }
  const now = nowSeconds();
  if (exp <= now) {
    return unauthorized(issuer, 'ExpiredAuthenticationToken', `The access token expiry UTC time '${new Date(exp * 1000).toISOString()}' is earlier than current UTC time '${new Date(now * 1000).toISOString()}'.`);
  }
  if (nbf !== undefined && nbf > now + 300) {
    return unauthorized(issuer, 'InvalidAuthenticationToken', 'The access token is not yet valid.');
  }
  issuer.noteUse(stringClaim(claims, 'uti'));
  return { appId, objectId, tenantId, audience: aud.replace(/\/+$/, '') };
}

export function isPrincipal(v: Principal | FakeResponse): v is Principal {
  return typeof (v as Principal).appId === 'string';
}
