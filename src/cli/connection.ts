import * as fs from 'fs';
import * as path from 'path';
import { CliError } from './task-manifest';

/** A service principal described in a JSON file: what an Azure Resource Manager service connection holds. */
export interface ConnectionProfile {
  scheme: 'ServicePrincipal';
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** PEM file with the certificate and its private key. */
  certificatePath?: string;
  subscriptionId: string;
  /** Defaults to the public cloud. */
  resourceManagerUrl?: string;
  authorityHost?: string;
  /** The audience of ARM tokens; defaults to the resource manager URL. */
  resourceManagerAudience?: string;
}

export function readConnectionProfile(file: string): ConnectionProfile {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`Cannot read the connection profile ${file}: ${(e as Error).message}`);
  }
  const missing = ['tenantId', 'clientId', 'subscriptionId'].filter((k) => typeof json[k] !== 'string' || !json[k]);
  if ((json.scheme ?? 'ServicePrincipal') !== 'ServicePrincipal') missing.unshift(`scheme 'ServicePrincipal' (not '${String(json.scheme)}')`);
  if (!json.clientSecret && !json.certificatePath) missing.push('clientSecret or certificatePath');
  if (missing.length > 0) throw new CliError(`The connection profile ${file} lacks ${missing.join(', ')}.`);
  const profile = { scheme: 'ServicePrincipal', ...json } as ConnectionProfile;
  if (profile.certificatePath) profile.certificatePath = path.resolve(path.dirname(file), profile.certificatePath);
  return profile;
}

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** The secrets a profile carries, to be masked in everything printed. */
export function profileSecrets(profile: ConnectionProfile): string[] {
  return profile.clientSecret ? [profile.clientSecret] : [];
}

/**
 * The environment the agent gives a task for a service connection with this id (`ENDPOINT_URL_<id>`,
 * `ENDPOINT_AUTH_<id>`, `ENDPOINT_AUTH_PARAMETER_<id>_*`, `ENDPOINT_DATA_<id>_*`).
 */
export function connectionEnv(id: string, profile: ConnectionProfile): Record<string, string> {
  const resourceManagerUrl = withSlash(profile.resourceManagerUrl ?? 'https://management.azure.com/');
  const authority = withSlash(profile.authorityHost ?? 'https://login.microsoftonline.com/');
  const params: Record<string, string> = { serviceprincipalid: profile.clientId, tenantid: profile.tenantId };
  if (profile.certificatePath) {
    let pem: string;
    try {
      pem = fs.readFileSync(profile.certificatePath, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read the certificate ${profile.certificatePath}: ${(e as Error).message}`);
    }
    Object.assign(params, { servicePrincipalCertificate: pem, authenticationType: 'spnCertificate' });
  } else {
    Object.assign(params, { serviceprincipalkey: profile.clientSecret!, authenticationType: 'spnKey' });
  }
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: resourceManagerUrl,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: params, scheme: 'ServicePrincipal' }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: 'ServicePrincipal',
    [`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`]: profile.subscriptionId,
    [`ENDPOINT_DATA_${id}_ENVIRONMENT`]: 'AzureCloud',
    [`ENDPOINT_DATA_${id}_ENVIRONMENTAUTHORITYURL`]: authority,
    [`ENDPOINT_DATA_${id}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID`]: profile.resourceManagerAudience ?? resourceManagerUrl,
    [`ENDPOINT_DATA_${id}_SCOPELEVEL`]: 'Subscription',
  };
  for (const [k, v] of Object.entries(params)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
  return env;
}

/** A name usable in environment variable names for the connection (the agent uses the connection's GUID). */
export function connectionId(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9_-]/g, '_');
  return cleaned || 'local-connection';
}
