import { timingSafeEqual, type KeyObject } from 'crypto';
import type { FakeRequest, FakeResponse } from './http';
import type { AppRegistration } from './identities';
import { base64url, decodeJwt, newGuid, nowSeconds, numberClaim, stringClaim, verifyJwtSignature, type DecodedJwt } from './jwt';
import type { AccessTokenIssuer, AuthMethod } from './tokens';

/** An OIDC issuer whose tokens apps may present as federated credentials (the fake Azure DevOps). */
export interface TrustedIssuer {
  issuer: string;
  publicKey: KeyObject;
}

export interface EntraOptions {
  /** https://localhost:<port>, the authority host. */
  baseUrl: string;
  tenantId: string;
  apps: readonly AppRegistration[];
  tokens: AccessTokenIssuer;
  federationIssuers: readonly TrustedIssuer[];
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra accepts assertions a little early or late, for clock skew between machines. */
const CLOCK_SKEW_SECONDS = 300;

const DISCOVERY = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
const TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const KEYS = /^\/([^/]+)\/discovery\/v2\.0\/keys$/;

/** True for the paths Entra serves, so the front door can route (and exempt them from faults). */
export function isEntraPath(path: string): boolean {
  return DISCOVERY.test(path) || TOKEN.test(path) || KEYS.test(path);
}

/** Thrown inside the token endpoint; becomes Entra's error JSON. */
class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    message: string,
  ) {
    super(`AADSTS${code}: ${message}`);
  }
}

function entraErrorResponse(e: EntraError, req: FakeRequest): FakeResponse {
  const traceId = newGuid();
  const correlationId = req.url.searchParams.get('client-request-id') ?? (req.headers['client-request-id'] as string | undefined) ?? newGuid();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status: e.status,
    headers: { 'Cache-Control': 'no-store, no-cache' },
    body: {
      error: e.error,
      error_description: `${e.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
    },
  };
}

export class EntraService {
  constructor(private readonly opts: EntraOptions) {}

  async handle(req: FakeRequest): Promise<FakeResponse | undefined> {
    const path = req.url.pathname;
    let m: RegExpExecArray | null;
    if ((m = DISCOVERY.exec(path)) && req.method === 'GET') return this.discovery(decodeURIComponent(m[1]));
    if ((m = KEYS.exec(path)) && req.method === 'GET') return { status: 200, body: this.opts.tokens.jwks() };
    if ((m = TOKEN.exec(path))) {
      if (req.method !== 'POST') return { status: 405, body: { error: 'invalid_request', error_description: 'Use POST.' } };
      try {
        return this.token(decodeURIComponent(m[1]), req);
      } catch (e) {
        if (e instanceof EntraError) return entraErrorResponse(e, req);
        throw e;
      }
    }
    return undefined;
  }

  tokenEndpoint(tenant: string): string {
    return `${this.opts.baseUrl}/${tenant}/oauth2/v2.0/token`;
  }

  /**
   * Answered for any tenant segment: MSAL has the public cloud's metadata built in and goes straight to the
   * token endpoint, which is where Entra reports an unknown tenant (AADSTS90002); the fake keeps that order.
   */
  private discovery(tenant: string): FakeResponse {
    const base = `${this.opts.baseUrl}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.opts.baseUrl}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'appid'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'localhost',
        cloud_graph_host_name: 'localhost',
        msgraph_host: 'localhost',
      },
    };
  }

  private token(tenant: string, req: FakeRequest): FakeResponse {
    if (tenant.toLowerCase() !== this.opts.tenantId.toLowerCase()) {
      throw new EntraError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    }
    const form = new URLSearchParams(req.bodyText);
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      throw new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType ?? ''}'.`);
    }
    const clientId = form.get('client_id');
    if (!clientId) throw missingParameter('client_id');
    const app = this.opts.apps.find((a) => !a.managed && a.clientId.toLowerCase() === clientId.toLowerCase());
    if (!app) {
      throw new EntraError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${this.opts.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    const resource = resourceFromScope(form.get('scope'));
    const authMethod = this.authenticate(app, form, this.tokenEndpoint(tenant));
    const issued = this.opts.tokens.issue(app, resource, authMethod);
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store, no-cache' },
      body: { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.accessToken },
    };
  }

  /** Checks the client credential the request carries; throws the AADSTS error Entra would send. */
  private authenticate(app: AppRegistration, form: URLSearchParams, tokenEndpoint: string): AuthMethod {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!app.secret || !sameSecret(secret, app.secret)) {
        throw new EntraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
      }
      return '1';
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        throw new EntraError(400, 'invalid_request', 700025, `Client assertion type must be '${JWT_BEARER}'.`);
      }
      const jwt = decodeJwt(assertion);
      if (!jwt) throw new EntraError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
      const iss = stringClaim(jwt.claims, 'iss');
      const trusted = this.opts.federationIssuers.find((i) => i.issuer === iss);
      if (trusted) this.checkFederatedAssertion(app, jwt, trusted);
      else if (iss !== undefined && iss.toLowerCase() === app.clientId.toLowerCase()) this.checkCertificateAssertion(app, jwt, tokenEndpoint);
      else throw new EntraError(400, 'invalid_request', 700211, `No matching federated identity record found for presented assertion issuer '${iss ?? ''}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
      return '2';
    }
    throw new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  /** A JWT the app signed with its certificate's key (ClientCertificateCredential). */
  private checkCertificateAssertion(app: AppRegistration, jwt: DecodedJwt, tokenEndpoint: string): void {
    const { header, claims } = jwt;
    const presented = header['x5t#S256'] ?? header.x5t;
    const cert = app.certificate;
    const expected = cert && (header['x5t#S256'] !== undefined ? cert.thumbprintSha256 : cert.thumbprintSha1);
    if (!cert || !expected || presented !== base64url(expected)) {
      throw new EntraError(401, 'invalid_client', 700027, `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintHex(presented)}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`);
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      throw new EntraError(401, 'invalid_client', 700027, `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprintHex(presented)}', Found key 'Start=..., End=...']`);
    }
    if (stringClaim(claims, 'sub')?.toLowerCase() !== app.clientId.toLowerCase()) {
      throw new EntraError(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
    }
    if (stringClaim(claims, 'aud') !== tokenEndpoint) {
      throw new EntraError(401, 'invalid_client', 700212, `The audience '${stringClaim(claims, 'aud') ?? ''}' of the client assertion is not valid. It must be the token endpoint '${tokenEndpoint}'.`);
    }
    checkTimeRange(claims);
  }

  /** A token from the fake Azure DevOps, presented under the app's federated identity credential (workload identity federation). */
  private checkFederatedAssertion(app: AppRegistration, jwt: DecodedJwt, trusted: TrustedIssuer): void {
    if (!verifyJwtSignature(jwt, trusted.publicKey)) {
      throw new EntraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    }
    const { claims } = jwt;
    const sub = stringClaim(claims, 'sub') ?? '';
    const audClaim = claims.aud;
    const audiences = Array.isArray(audClaim) ? audClaim : [audClaim];
    const fic = app.federated;
    if (!fic || fic.issuer !== trusted.issuer) {
      throw new EntraError(400, 'invalid_request', 700211, `No matching federated identity record found for presented assertion issuer '${trusted.issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
    }
    if (!audiences.includes(fic.audience)) {
      throw new EntraError(400, 'invalid_request', 700212, `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'.`);
    }
    if (sub !== fic.subject) {
      throw new EntraError(400, 'invalid_request', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${trusted.issuer}'. Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(',')}'.`);
    }
    checkTimeRange(claims);
  }
}

function missingParameter(name: string): EntraError {
  return new EntraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
}

/** `https://management.azure.com/.default` -> `https://management.azure.com`; the client credentials flow allows only `/.default`. */
function resourceFromScope(scope: string | null): string {
  if (!scope) throw missingParameter('scope');
  const scopes = scope.split(' ').filter(Boolean);
  const single = scopes.length === 1 ? scopes[0] : undefined;
  if (!single || !single.endsWith('/.default') || single.length === '/.default'.length) {
    throw new EntraError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  return single.slice(0, -'/.default'.length);
}

function checkTimeRange(claims: Record<string, unknown>): void {
  const now = nowSeconds();
  const exp = numberClaim(claims, 'exp');
  const nbf = numberClaim(claims, 'nbf') ?? numberClaim(claims, 'iat');
  const iso = (s: number | undefined) => (s === undefined ? 'unknown' : new Date(s * 1000).toISOString());
  if (exp === undefined || exp <= now || (nbf !== undefined && nbf > now + CLOCK_SKEW_SECONDS)) {
    throw new EntraError(400, 'invalid_client', 700024, `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${iso(nbf)}, expiry time of assertion ${iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function thumbprintHex(x5t: unknown): string {
  return typeof x5t === 'string' ? Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() : '';
}
