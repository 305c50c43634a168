/**
 * A signed-in client for a workspace, from a connection and the workspace's coordinates. No task library here:
 * DataValidate loads this from a bundle of its own, only for data in a workspace.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createCredential } from '../auth/credential';
import type { AzureConnection } from '../auth/connection';
import type { Log } from '../log';
import { WorkspaceClient } from './client';
import type { WorkspaceRef } from './ids';

export interface OpenWorkspace {
  client: WorkspaceClient;
  credential: TokenCredential;
  connection: AzureConnection;
  tenantId?: string;
}

export function connectWorkspace(
  connection: AzureConnection,
  workspace: WorkspaceRef,
  o: { inputNames: { workspaceName: string; resourceGroup: string }; log: Log; onSecret: (secret: string) => void },
): OpenWorkspace {
  const credential = createCredential(connection, { onSecret: o.onSecret });
  const client = new WorkspaceClient({
    credential,
    cloud: connection.cloud,
    workspace,
    identity: connection.description,
    inputNames: o.inputNames,
    log: o.log,
  });
  const tenantId = 'tenantId' in connection ? connection.tenantId : undefined;
  return { client, credential, connection, tenantId };
}
