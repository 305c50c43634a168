import { createHash } from 'crypto';

/** The one workspace the fake serves, and where it lives. */
export interface WorkspaceScope {
  baseUrl: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
  location: string;
}

export const PROVIDER = 'Microsoft.MachineLearningServices';

/** Sub-resource collections under a workspace, as they appear in ARM paths; assets (components too) are versioned. */
export const ASSET_KINDS = ['codes', 'environments', 'data', 'models', 'components'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];
export const COLLECTIONS = [...ASSET_KINDS, 'jobs', 'computes', 'datastores'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export function workspaceArmId(s: WorkspaceScope): string {
  return `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/${PROVIDER}/workspaces/${s.workspaceName}`;
}

export function childArmId(s: WorkspaceScope, kind: Collection, name: string, version?: string): string {
  const base = `${workspaceArmId(s)}/${kind}/${name}`;
  return version === undefined ? base : `${base}/versions/${version}`;
}

export function resourceType(kind: Collection, versions = false): string {
  return `${PROVIDER}/workspaces/${kind}${versions ? '/versions' : ''}`;
}

/** A stable GUID derived from text, so the workspace id is the same in every run. */
export function stableGuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** A reference to something in a workspace, parsed from an ARM id. */
export interface ArmReference {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
  kind: string;
  name: string;
  version?: string;
}

// ARM ids are case-insensitive in their fixed segments (and in sub/rg/workspace names).
const ARM_CHILD_ID = new RegExp(
  `^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/${PROVIDER.replace('.', '\\.')}/workspaces/([^/]+)/([^/]+)/([^/]+)(?:/versions/([^/]+))?/?$`,
  'i',
);

export function parseArmChildId(id: string): ArmReference | undefined {
  const m = ARM_CHILD_ID.exec(id);
  if (!m) return undefined;
  return { subscriptionId: m[1], resourceGroup: m[2], workspaceName: m[3], kind: m[4].toLowerCase(), name: m[5], version: m[6] };
}

export function inScope(ref: ArmReference, s: WorkspaceScope): boolean {
  return sameText(ref.subscriptionId, s.subscriptionId) && sameText(ref.resourceGroup, s.resourceGroup) && sameText(ref.workspaceName, s.workspaceName);
}

/** Names of jobs and assets: the path-parameter pattern of the spec. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;

/** The MLflow tracking URI of the workspace, with the fake's host instead of `<region>.api.azureml.ms`. */
export function mlflowTrackingUri(s: WorkspaceScope): string {
  const host = new URL(s.baseUrl).host;
  return `azureml://${host}/mlflow/v1.0${workspaceArmId(s)}`;
}

export function studioUrl(s: WorkspaceScope, jobName: string): string {
  return `https://ml.azure.com/runs/${jobName}?wsid=/subscriptions/${s.subscriptionId}/resourcegroups/${s.resourceGroup}/workspaces/${s.workspaceName}`;
}
