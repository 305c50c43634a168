import type { FakeRequest, FakeResponse } from './http';
import type { AppRegistration } from './identities';
import type { AccessTokenIssuer } from './tokens';

/** MSAL asks for it with a trailing slash, @azure/identity's probe without; IMDS answers both. */
const TOKEN_PATH = /^\/metadata\/identity\/oauth2\/token\/?$/;

/** IMDS error bodies are OAuth-style, not ARM-style. */
function imdsError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

/**
 * The Azure Instance Metadata Service token endpoint, as a VM with user-assigned managed identities serves it
 * (reached through AZURE_POD_IDENTITY_AUTHORITY_HOST, which @azure/identity and MSAL honour).
 */
export class ImdsService {
  constructor(
    private readonly identities: readonly AppRegistration[],
    private readonly tokens: AccessTokenIssuer,
  ) {}

  async handle(req: FakeRequest): Promise<FakeResponse | undefined> {
    if (!TOKEN_PATH.test(req.url.pathname)) return undefined;
    // @azure/identity may probe without the header and only checks that something answers; IMDS answers 400.
    if (req.headers['metadata']?.toString().toLowerCase() !== 'true') {
      return imdsError(400, 'invalid_request', 'Required metadata header not specified');
    }
    if (req.method !== 'GET') return imdsError(405, 'invalid_request', 'Only GET is supported');
    const q = req.url.searchParams;
    if (!q.get('api-version')) return imdsError(400, 'invalid_request', 'Required query variable \'api-version\' is missing');
    const resource = q.get('resource');
    if (!resource) return imdsError(400, 'invalid_request', 'Required query variable \'resource\' is missing');

    const identity = this.pick(q);
    if (!identity) return imdsError(400, 'invalid_request', 'Identity not found');
    const issued = this.tokens.issue(identity, resource, '0');
    // IMDS sends every number as a string.
    return {
      status: 200,
      body: {
        access_token: issued.accessToken,
        client_id: identity.clientId,
        expires_in: String(issued.expiresIn),
        expires_on: String(issued.expiresOn),
        ext_expires_in: String(issued.expiresIn),
        not_before: String(issued.notBefore),
        resource,
        token_type: 'Bearer',
      },
    };
  }

  /** With no id in the query, a VM that has exactly one identity uses it. */
  private pick(q: URLSearchParams): AppRegistration | undefined {
    const clientId = q.get('client_id');
    const objectId = q.get('object_id') ?? q.get('principal_id');
    if (clientId) return this.identities.find((i) => i.clientId.toLowerCase() === clientId.toLowerCase());
    if (objectId) return this.identities.find((i) => i.objectId.toLowerCase() === objectId.toLowerCase());
    if (q.get('msi_res_id') || q.get('mi_res_id')) return undefined;
    return this.identities.length === 1 ? this.identities[0] : undefined;
  }
}
