/**
 * Which workspace a task works on, and the connection to reach it, from the task's inputs: task library and
 * configuration only, no Azure SDK (see src/workspace/connect.ts for the client).
 */
import { publicCloud, trimTrailingSlash, type AzureConnection, type Cloud } from '../auth/connection';
import { UserError } from '../errors';
import type { Log } from '../log';
import { findWorkspaceConfig, readWorkspaceConfig } from '../workspace/config';
import type { WorkspaceRef } from '../workspace/ids';
import { getString } from './inputs';
import { readAzureConnection } from './connection';

export interface WorkspaceInputs {
  /** connectedService:AzureRM input. */
  connection: string;
  resourceGroup: string;
  workspaceName: string;
}

/**
 * The workspace a task works on and the connection to reach it with: from the service connection and the
 * resourceGroup/workspaceName inputs in a pipeline, or from the developer's login and config.json locally.
 */
export function resolveWorkspace(names: WorkspaceInputs, log: Log): { connection: AzureConnection; workspace: WorkspaceRef } {
  const fromEndpoint = readAzureConnection(names.connection);
  if (!fromEndpoint) return localWorkspace(names, log);
  return {
    connection: fromEndpoint.connection,
    workspace: {
      subscriptionId: fromEndpoint.subscriptionId,
      resourceGroup: getString(names.resourceGroup, { required: true, hint: 'the resource group of the Azure ML workspace.' })!,
      workspaceName: getString(names.workspaceName, { required: true, hint: 'the name of the Azure ML workspace.' })!,
    },
  };
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
