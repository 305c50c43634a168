import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { UserError } from '../errors';
import { transientRetryPolicy } from '../http/retry';

export interface OidcRequest {
  oidcRequestUri: string;
  serviceConnectionId: string;
  systemAccessToken: string;
}

const httpClient = createDefaultHttpClient();
const retry = transientRetryPolicy({ maxRetries: 4 });

/** Asks Azure DevOps for an OIDC token that Entra ID accepts as a federated client assertion for the service connection. */
export async function requestOidcToken(req: OidcRequest): Promise<string> {
  const url = `${req.oidcRequestUri}?api-version=7.1&serviceConnectionId=${encodeURIComponent(req.serviceConnectionId)}`;
  const request = createPipelineRequest({
    url,
    method: 'POST',
    body: '{}',
    headers: createHttpHeaders({
      'Content-Type': 'application/json',
      Authorization: `Bearer ${req.systemAccessToken}`,
      // Without it Azure DevOps answers an expired token with a sign-in redirect instead of a 401.
      'X-TFS-FedAuthRedirect': 'Suppress',
    }),
  });
  const response = await retry.sendRequest(request, (r) => httpClient.sendRequest(r));
  let token: string | undefined;
  try {
    token = (JSON.parse(response.bodyAsText ?? '') as { oidcToken?: string }).oidcToken;
  } catch {
    token = undefined;
  }
  if (response.status !== 200 || !token) {
    throw new UserError(
      `Azure DevOps did not issue an OIDC token for service connection ${req.serviceConnectionId} (HTTP ${response.status}). ` +
        'Check that the service connection uses workload identity federation and that this pipeline is allowed to use it.',
    );
  }
  return token;
}
