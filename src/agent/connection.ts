import * as tl from 'azure-pipelines-task-lib/task';
import { publicCloud, trimTrailingSlash, type AzureConnection, type Cloud } from '../auth/connection';
import { UserError } from '../errors';
import { maskSecret } from './secrets';

const AUTHORITY_BY_ENVIRONMENT: Record<string, string> = {
  azurecloud: 'https://login.microsoftonline.com',
  azurechinacloud: 'https://login.chinacloudapi.cn',
  azureusgovernment: 'https://login.microsoftonline.us',
  azuregermancloud: 'https://login.microsoftonline.de',
};

/**
 * Reads the Azure Resource Manager service connection named by `inputName`, the way the agent exposes it
 * (ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id>, ENDPOINT_DATA_<id>_*). Every secret is masked as soon as it is read.
 * Returns undefined when the input is empty (the task then runs with the developer's own login).
 */
export function readAzureConnection(inputName: string): { connection: AzureConnection; subscriptionId: string } | undefined {
  const id = tl.getInput(inputName, false)?.trim();
  if (!id) return undefined;
  const auth = tl.getEndpointAuthorization(id, true);
  const url = tl.getEndpointUrl(id, true);
  if (!auth || !url) {
    throw new UserError(
      `Input '${inputName}': the service connection '${id}' is not available to this step. Use the name or id of an Azure Resource Manager service connection this pipeline is authorized to use.`,
      { input: inputName },
    );
  }
  const data = (key: string) => tl.getEndpointDataParameter(id, key, true)?.trim() || undefined;
  const param = (key: string) => auth.parameters?.[key] ?? auth.parameters?.[key.toLowerCase()] ?? findCaseInsensitive(auth.parameters, key);
  const description = `service connection ${id}`;

  const environment = (data('environment') ?? 'AzureCloud').toLowerCase();
  const cloud: Cloud = {
    resourceManagerUrl: trimTrailingSlash(url),
    authorityHost: trimTrailingSlash(
      data('activeDirectoryAuthority') ?? data('environmentAuthorityUrl') ?? AUTHORITY_BY_ENVIRONMENT[environment] ?? publicCloud.authorityHost,
    ),
    resourceManagerAudience: trimTrailingSlash(data('activeDirectoryServiceEndpointResourceId') ?? url),
  };
  const subscriptionId = data('subscriptionId');
  if (!subscriptionId) {
    throw new UserError(
      `The ${description} has no subscription. Use a service connection scoped to a subscription (scope level "Subscription") that contains the workspace.`,
      { input: inputName },
    );
  }

  const scheme = (auth.scheme || 'ServicePrincipal').toLowerCase();
  const tenantId = param('tenantid');
  const clientId = param('serviceprincipalid');
  const requireParam = (value: string | undefined, what: string): string => {
    if (!value) throw new UserError(`The ${description} has no ${what}. Edit the service connection in Project settings and save it again.`, { input: inputName });
    return value;
  };

  switch (scheme) {
    case 'serviceprincipal': {
      const type = (param('authenticationType') ?? 'spnKey').toLowerCase();
      if (type === 'spncertificate') {
        const pem = requireParam(param('servicePrincipalCertificate'), 'certificate');
        maskSecret(pem);
        return {
          subscriptionId,
          connection: { scheme: 'ServicePrincipalCertificate', cloud, description, tenantId: requireParam(tenantId, 'tenant id'), clientId: requireParam(clientId, 'service principal id'), certificatePem: pem },
        };
      }
      const secret = requireParam(param('serviceprincipalkey'), 'service principal key');
      maskSecret(secret);
      return {
        subscriptionId,
        connection: { scheme: 'ServicePrincipalSecret', cloud, description, tenantId: requireParam(tenantId, 'tenant id'), clientId: requireParam(clientId, 'service principal id'), clientSecret: secret },
      };
    }
    case 'workloadidentityfederation': {
      const systemAccessToken = systemToken();
      if (systemAccessToken) maskSecret(systemAccessToken);
      return {
        subscriptionId,
        connection: {
          scheme: 'WorkloadIdentityFederation',
          cloud,
          description,
          tenantId: requireParam(tenantId, 'tenant id'),
          clientId: requireParam(clientId, 'service principal id'),
          serviceConnectionId: id,
          oidcRequestUri: oidcRequestUri(),
          systemAccessToken,
        },
      };
    }
    case 'managedserviceidentity':
      return {
        subscriptionId,
        connection: { scheme: 'ManagedIdentity', cloud, description, tenantId, clientId: data('msiclientId') ?? undefined },
      };
    default:
      throw new UserError(
        `Input '${inputName}': the ${description} uses the authentication scheme '${auth.scheme}', which this task does not support. Use an Azure Resource Manager connection with workload identity federation, a service principal (secret or certificate) or a managed identity.`,
        { input: inputName },
      );
  }
}

function findCaseInsensitive(params: Record<string, string> | undefined, key: string): string | undefined {
  if (!params) return undefined;
  const k = Object.keys(params).find((p) => p.toLowerCase() === key.toLowerCase());
  return k ? params[k] : undefined;
}

/** The job's OAuth token: from the SystemVssConnection endpoint, or the System.AccessToken variable when mapped. */
function systemToken(): string | undefined {
  const auth = tl.getEndpointAuthorization('SystemVssConnection', true);
  return auth?.parameters?.['AccessToken'] || tl.getVariable('System.AccessToken') || undefined;
}

/** System.OidcRequestUri, or the same route built from the plan variables on agents that do not set it. */
function oidcRequestUri(): string {
  const direct = tl.getVariable('System.OidcRequestUri');
  if (direct) return direct;
  const collection = tl.getVariable('System.CollectionUri') ?? tl.getVariable('System.TeamFoundationCollectionUri');
  const project = tl.getVariable('System.TeamProjectId');
  const hub = tl.getVariable('System.HostType');
  const plan = tl.getVariable('System.PlanId');
  const job = tl.getVariable('System.JobId');
  if (!collection || !project || !hub || !plan || !job) {
    throw new UserError(
      'Workload identity federation needs an Azure DevOps agent that provides System.OidcRequestUri (agent 3.232.1 or later). Update the agent or use a service connection with a secret.',
    );
  }
  return `${trimTrailingSlash(collection)}/${project}/_apis/distributedtask/hubs/${hub}/plans/${plan}/jobs/${job}/oidctoken`;
}
