export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

export function workspaceArmId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspaceName}`;
}

/** Link to a job in Azure ML studio, as the CLI prints it. */
export function studioJobUrl(ws: WorkspaceRef, jobName: string, tenantId?: string): string {
  const wsid = `/subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.workspaceName}`;
  return `https://ml.azure.com/runs/${encodeURIComponent(jobName)}?wsid=${wsid}${tenantId ? `&tid=${tenantId}` : ''}`;
}

/** Names of Azure ML assets, jobs and computes, as the service validates them. */
export const ASSET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
