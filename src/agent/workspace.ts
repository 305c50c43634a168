import type { TokenCredential } from '@azure/core-auth';
import { createCredential } from '../auth/credential';
import { publicCloud, trimTrailingSlash, type AzureConnection, type Cloud } from '../auth/connection';
import { UserError } from '../errors';
import type { Log } from '../log';
import { WorkspaceClient } from '../workspace/client';
import { RegistryClient } from '../workspace/registry';
import { findWorkspaceConfig, readWorkspaceConfig } from '../workspace/config';
import type { WorkspaceRef } from '../workspace/ids';
import { getString } from './inputs';
import { readAzureConnection } from './connection';
import { maskSecret } from './secrets';

export interface WorkspaceInputs {
  /** connectedService:AzureRM input. */
  connection: string;
  resourceGroup: string;
  workspaceName: string;
}

export interface OpenWorkspace {
  client: WorkspaceClient;
  credential: TokenCredential;
  connection: AzureConnection;
  tenantId?: string;
}

/**
 * The workspace a task works on and a signed-in client for it: from the service connection and the
 * resourceGroup/workspaceName inputs in a pipeline, or from the developer's login and config.json locally.
 */
export function openWorkspace(names: WorkspaceInputs, log: Log): OpenWorkspace {
  const fromEndpoint = readAzureConnection(names.connection);
  let connection: AzureConnection;
  let workspace: WorkspaceRef;
  if (fromEndpoint) {
    connection = fromEndpoint.connection;
    workspace = {
      subscriptionId: fromEndpoint.subscriptionId,
      resourceGroup: getString(names.resourceGroup, { required: true, hint: 'the resource group of the Azure ML workspace.' })!,
      workspaceName: getString(names.workspaceName, { required: true, hint: 'the name of the Azure ML workspace.' })!,
    };
  } else {
    ({ connection, workspace } = localWorkspace(names, log));
  }
  const credential = createCredential(connection, { onSecret: maskSecret });
  const client = new WorkspaceClient({
    credential,
    cloud: connection.cloud,
    workspace,
    identity: connection.description,
    inputNames: { workspaceName: names.workspaceName, resourceGroup: names.resourceGroup },
    log,
  });
  const tenantId = 'tenantId' in connection ? connection.tenantId : undefined;
  return { client, credential, connection, tenantId };
}

/**
 * Outside a pipeline: DefaultAzureCredential (Azure CLI login, environment, ...) and the workspace config.json.
 * AZURE_AUTHORITY_HOST and AZURE_RESOURCE_MANAGER_URL select another cloud, as they do for the Azure SDKs.
 */
function localWorkspace(names: WorkspaceInputs, log: Log): { connection: AzureConnection; workspace: WorkspaceRef } {
  const configFile = findWorkspaceConfig(process.cwd());
  const config = configFile ? readWorkspaceConfig(configFile) : {};
  if (configFile) log.info(`No service connection given: using your Azure login and the workspace config ${configFile}.`);
  const subscriptionId = process.env.AZURE_SUBSCRIPTION_ID || config.subscriptionId;
  const resourceGroup = getString(names.resourceGroup) ?? config.resourceGroup;
  const workspaceName = getString(names.workspaceName) ?? config.workspaceName;
  if (!subscriptionId || !resourceGroup || !workspaceName) {
    throw new UserError(
      `Input '${names.connection}' is required: choose the Azure Resource Manager service connection to use. ` +
        '(Outside Azure DevOps, sign in with the Azure CLI and put the workspace config.json, downloaded from the workspace page in the Azure portal, in the current folder or a parent.)',
      { input: names.connection },
    );
  }
  const resourceManagerUrl = trimTrailingSlash(process.env.AZURE_RESOURCE_MANAGER_URL || publicCloud.resourceManagerUrl);
  const cloud: Cloud = {
    authorityHost: trimTrailingSlash(process.env.AZURE_AUTHORITY_HOST || publicCloud.authorityHost),
    resourceManagerUrl,
    resourceManagerAudience: trimTrailingSlash(process.env.AZURE_RESOURCE_MANAGER_AUDIENCE || resourceManagerUrl),
  };
  return {
    connection: { scheme: 'Local', cloud, description: 'local Azure login', tenantId: process.env.AZURE_TENANT_ID || config.tenantId },
    workspace: { subscriptionId, resourceGroup, workspaceName },
  };
}

export interface RegistryInputs {
  /** connectedService:AzureRM input. */
  connection: string;
  resourceGroup: string;
  /** The input naming the registry, for messages. */
  registryName: string;
}

/**
 * A signed-in client for an Azure ML registry, from a service connection and the registry's resource group input.
 * A registry is only reached through a service connection: there is no config.json for it.
 */
export function openRegistry(names: RegistryInputs, registryName: string, log: Log): RegistryClient {
  const fromEndpoint = readAzureConnection(names.connection);
  if (!fromEndpoint) {
    throw new UserError(`Input '${names.connection}' is required: choose the Azure Resource Manager service connection that can write to the registry '${registryName}'.`, { input: names.connection });
  }
  const { connection, subscriptionId } = fromEndpoint;
  const resourceGroup = getString(names.resourceGroup, { required: true, hint: `the resource group of the Azure ML registry '${registryName}'.` })!;
  const credential = createCredential(connection, { onSecret: maskSecret });
  return new RegistryClient({
    credential,
    cloud: connection.cloud,
    registry: { subscriptionId, resourceGroup, registryName },
    identity: connection.description,
    inputNames: { registryName: names.registryName, resourceGroup: names.resourceGroup },
    log,
  });
}
