/** Where to sign in and which Resource Manager to talk to: public Azure, a sovereign cloud, Azure Stack, or a local fake. */
export interface Cloud {
  /** Entra ID authority host, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Azure Resource Manager URL, e.g. https://management.azure.com */
  resourceManagerUrl: string;
  /** Token audience for Resource Manager, e.g. https://management.azure.com */
  resourceManagerAudience: string;
}

interface Base {
  cloud: Cloud;
  /** Human-readable origin used in error messages, e.g. "service connection 'prod-aml'". */
  description: string;
}

export type AzureConnection =
  | (Base & { scheme: 'ServicePrincipalSecret'; tenantId: string; clientId: string; clientSecret: string })
  | (Base & { scheme: 'ServicePrincipalCertificate'; tenantId: string; clientId: string; certificatePem: string })
  | (Base & {
      scheme: 'WorkloadIdentityFederation';
      tenantId: string;
      clientId: string;
      serviceConnectionId: string;
      /** The agent's System.OidcRequestUri. */
      oidcRequestUri: string;
      /** System.AccessToken, which authorizes the OIDC token request; missing when the job may not use it. */
      systemAccessToken?: string;
    })
  | (Base & { scheme: 'ManagedIdentity'; tenantId?: string; clientId?: string })
  /** A developer's own login (Azure CLI, environment, VS Code...) through DefaultAzureCredential. */
  | (Base & { scheme: 'Local'; tenantId?: string });

export const publicCloud: Cloud = {
  authorityHost: 'https://login.microsoftonline.com',
  resourceManagerUrl: 'https://management.azure.com',
  resourceManagerAudience: 'https://management.azure.com',
};

/** Authorities whose metadata Entra's public instance discovery knows; any other host must skip discovery. */
const KNOWN_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.chinacloudapi.cn',
  'login.microsoftonline.us',
  'login.microsoftonline.de',
]);

export function isKnownAuthority(authorityHost: string): boolean {
  try {
    return KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `.default` scope for a resource; Entra accepts the resource with or without its trailing slash. */
export function scopeFor(audience: string): string {
  return `${trimTrailingSlash(audience)}/.default`;
}
