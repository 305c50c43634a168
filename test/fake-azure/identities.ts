import { createHash, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'crypto';
import { createClientCertificate } from './tls';

/**
 * Fixed, realistic-looking ids, so recorded requests and test expectations stay stable across runs.
 * Secrets, keys and certificates are made fresh at every start.
 */
export const TENANT_ID = '5f0c3b1e-8a4d-4c6e-9b27-3d1e7a9c4f02';
export const SUBSCRIPTION_ID = 'b7e2d4a9-61c3-4f58-8e0a-92c5d17b3e64';
export const RESOURCE_GROUP = 'rg-mlops';
export const WORKSPACE_NAME = 'mlw-demo';
export const LOCATION = 'eastus';
export const ARM_AUDIENCE = 'https://management.azure.com/';

export const ADO = {
  organization: 'contoso',
  organizationId: '0e4c8b7a-2f19-4d63-a5b8-71c9e3d20f4b',
  projectName: 'mlops',
  projectId: '3c9a1f6e-4b2d-47e8-9a05-c8d7e6f1b2a3',
  hostType: 'build',
  planId: 'a1d4e7b2-9c3f-4e58-b6a0-2d8f1c7e9b34',
  jobId: '6e2b9d4f-1a7c-5e30-8f4b-c2a9d1e7f053',
  serviceConnectionId: 'd2f7a9c4-3e1b-4a86-9d5c-0b8e6f2a7c19',
  serviceConnectionName: 'sc-aml-dev-wif',
} as const;

/** An app registration (or managed identity) in the fake tenant, with whatever credential it has. */
export interface AppRegistration {
  displayName: string;
  clientId: string;
  /** Object id of its service principal: the `oid` of its tokens. */
  objectId: string;
  secret?: string;
  certificate?: { thumbprintSha1: Buffer; thumbprintSha256: Buffer; publicKey: KeyObject };
  /** Federated identity credential trusting the Azure DevOps service connection. */
  federated?: { issuer: string; subject: string; audience: string };
  /** Managed identities get tokens from IMDS only, never from the token endpoint. */
  managed?: boolean;
  /** Whether it holds a role on the subscription (Contributor). */
  authorized: boolean;
}

export interface Identities {
  secret: { clientId: string; clientSecret: string };
  /** Certificate and private key PEM, as an ADO service connection holds it. */
  certificate: { clientId: string; pem: string };
  federated: {
    clientId: string;
    serviceConnectionId: string;
    serviceConnectionName: string;
    oidcRequestUri: string;
    systemAccessToken: string;
    teamProjectId: string;
    collectionUri: string;
    planId: string;
    jobId: string;
  };
  managed: { clientId: string };
  /** A valid app without any role on the subscription. */
  noAccess: { clientId: string; clientSecret: string };
}

export const ADO_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';

export function adoIssuer(organizationId: string = ADO.organizationId): string {
  return `https://vstoken.dev.azure.com/${organizationId}`;
}

export function serviceConnectionSubject(name: string = ADO.serviceConnectionName): string {
  return `sc://${ADO.organization}/${ADO.projectName}/${name}`;
}

function newSecret(): string {
  // Entra client secrets are 40 characters with a `~` after a short prefix.
  return `${randomBytes(3).toString('base64url')}8Q~${randomBytes(27).toString('base64url')}`;
}

/** SHA-1 and SHA-256 of the DER certificate: what `x5t` and `x5t#S256` carry. */
export function certificateThumbprints(certPem: string): { thumbprintSha1: Buffer; thumbprintSha256: Buffer; publicKey: KeyObject } {
  const der = new X509Certificate(certPem).raw;
  return {
    thumbprintSha1: createHash('sha1').update(der).digest(),
    thumbprintSha256: createHash('sha256').update(der).digest(),
    publicKey: createPublicKey(certPem),
  };
}

export async function createIdentities(baseUrl: string): Promise<{ identities: Identities; apps: AppRegistration[] }> {
  const clientCert = await createClientCertificate('sp-aml-mlops-cert');
  const secretApp: AppRegistration = {
    displayName: 'sp-aml-mlops-secret',
    clientId: '8d3f2a6c-1b9e-4c57-a0d4-6e2b8f9c1a37',
    objectId: 'c4a1e9d2-7f3b-4e86-b5c0-1d9a2e7f4b68',
    secret: newSecret(),
    authorized: true,
  };
  const certApp: AppRegistration = {
    displayName: 'sp-aml-mlops-cert',
    clientId: '2b7e9c4d-5a1f-4d83-9e6b-0c3a7d2f8e15',
    objectId: 'e9b3d7a1-2c6f-4a08-8d4e-5f1b9c3a7e26',
    certificate: certificateThumbprints(clientCert.cert),
    authorized: true,
  };
  const federatedApp: AppRegistration = {
    displayName: 'sp-aml-mlops-wif',
    clientId: '7a4c1e8b-3d6f-4b29-a7e0-9c2d5b8f1e43',
    objectId: 'f1c8a3e6-9b2d-4f75-8a1c-3e7d0b6a9c52',
    federated: { issuer: adoIssuer(), subject: serviceConnectionSubject(), audience: ADO_TOKEN_AUDIENCE },
    authorized: true,
  };
  const managedIdentity: AppRegistration = {
    displayName: 'id-aml-mlops-agent',
    clientId: '4e9d2b7a-6c1f-4a38-9b5e-8d0c3f7a2e91',
    objectId: 'a7d5c2e9-1f4b-4c63-8e0a-6b9d3f1c8e74',
    managed: true,
    authorized: true,
  };
  const noAccessApp: AppRegistration = {
    displayName: 'sp-aml-mlops-noaccess',
    clientId: '9c6a3f1d-8e2b-4d70-b4a9-1f5e7c2d9a06',
    objectId: 'b2e8f4a1-5d9c-4b16-a3e7-0c6f8d1b4a95',
    secret: newSecret(),
    authorized: false,
  };

  const collectionUri = `${baseUrl}/${ADO.organization}/`;
  const identities: Identities = {
    secret: { clientId: secretApp.clientId, clientSecret: secretApp.secret! },
    certificate: { clientId: certApp.clientId, pem: `${clientCert.cert.trim()}\n${clientCert.key.trim()}\n` },
    federated: {
      clientId: federatedApp.clientId,
      serviceConnectionId: ADO.serviceConnectionId,
      serviceConnectionName: ADO.serviceConnectionName,
      oidcRequestUri:
        `${collectionUri}${ADO.projectId}/_apis/distributedtask/hubs/${ADO.hostType}/plans/${ADO.planId}/jobs/${ADO.jobId}/oidctoken`,
      systemAccessToken: randomBytes(48).toString('base64url'),
      teamProjectId: ADO.projectId,
      collectionUri,
      planId: ADO.planId,
      jobId: ADO.jobId,
    },
    managed: { clientId: managedIdentity.clientId },
    noAccess: { clientId: noAccessApp.clientId, clientSecret: noAccessApp.secret! },
  };
  return { identities, apps: [secretApp, certApp, federatedApp, managedIdentity, noAccessApp] };
}
