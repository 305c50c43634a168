import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { UserError } from '../errors';
import { isKnownAuthority, type AzureConnection } from './connection';
import { requestOidcToken } from './oidc';

export interface CredentialOptions {
  /** Called with every secret the credential handles (the OIDC token of each request), before it is used. */
  onSecret: (value: string) => void;
}

/**
 * A TokenCredential for any row of the authentication matrix. Secrets stay in memory.
 * Nothing here caches tokens: every request asks the pipeline's token cycler, which refreshes 2 minutes before
 * expiry over MSAL's cache (renewal 5 minutes before), so a wait of any length signs in again as tokens run out.
 */
export function createCredential(conn: AzureConnection, options: CredentialOptions): TokenCredential {
  const authority = {
    authorityHost: conn.cloud.authorityHost,
    // Entra's instance discovery only knows the public clouds; sovereign, Azure Stack and local authorities skip it.
    disableInstanceDiscovery: !isKnownAuthority(conn.cloud.authorityHost),
  };
  switch (conn.scheme) {
    case 'ServicePrincipalSecret':
      return new ClientSecretCredential(conn.tenantId, conn.clientId, conn.clientSecret, authority);
    case 'ServicePrincipalCertificate':
      // The PEM (certificate + private key) is handed over as a string, so it is never written to disk.
      return new ClientCertificateCredential(conn.tenantId, conn.clientId, { certificate: conn.certificatePem }, authority);
    case 'WorkloadIdentityFederation': {
      const { oidcRequestUri, serviceConnectionId, systemAccessToken } = conn;
      if (!systemAccessToken) {
        throw new UserError(
          `${conn.description} uses workload identity federation, which needs the job's access token (System.AccessToken) to ask Azure DevOps for an OIDC token, and the agent did not provide it. ` +
            'Check that the pipeline job is allowed to use its OAuth token (classic pipelines: "Allow scripts to access the OAuth token"), or use a service connection with a secret or a managed identity.',
        );
      }
      // Entra calls this for every new access token, so each exchange gets a fresh OIDC token (they live ~10 minutes).
      return new ClientAssertionCredential(
        conn.tenantId,
        conn.clientId,
        async () => {
          const token = await requestOidcToken({ oidcRequestUri, serviceConnectionId, systemAccessToken });
          options.onSecret(token);
          return token;
        },
        authority,
      );
    }
    case 'ManagedIdentity':
      return conn.clientId ? new ManagedIdentityCredential({ clientId: conn.clientId }) : new ManagedIdentityCredential();
    case 'Local':
      return new DefaultAzureCredential({ ...authority, tenantId: conn.tenantId });
  }
}
