import { createCredential } from '../auth/credential';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceCall } from '../workspace/client';
import { connectWorkspace, type OpenWorkspace } from '../workspace/connect';
import { RegistryClient } from '../workspace/registry';
import { getString } from './inputs';
import { readAzureConnection } from './connection';
import { maskSecret } from './secrets';
import type { TaskContext } from './task';
import { resolveWorkspace, type WorkspaceInputs } from './workspace-ref';

export type { OpenWorkspace } from '../workspace/connect';
export type { WorkspaceInputs } from './workspace-ref';

/**
 * The workspace a task works on and a signed-in client for it: from the service connection and the
 * resourceGroup/workspaceName inputs in a pipeline, or from the developer's login and config.json locally.
 */
export function openWorkspace(names: WorkspaceInputs, log: Log): OpenWorkspace {
  const { connection, workspace } = resolveWorkspace(names, log);
  return connectWorkspace(connection, workspace, { inputNames: { workspaceName: names.workspaceName, resourceGroup: names.resourceGroup }, log, onSecret: maskSecret });
}

/**
 * What a task hands every core call on a workspace: the signed-in client and credential, the agent's log, masking
 * of the secrets met on the way, and the pipeline's cancellation.
 */
export function workspaceCall(ws: Pick<OpenWorkspace, 'client' | 'credential'>, ctx: Pick<TaskContext, 'log' | 'signal'>): WorkspaceCall {
  return { client: ws.client, credential: ws.credential, log: ctx.log, onSecret: maskSecret, signal: ctx.signal };
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
