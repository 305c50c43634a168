import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';
import type { WorkspaceRef } from './ids';

/**
 * Finds the workspace `config.json` the Azure portal and the Python SDK use (`config.json` or
 * `.azureml/config.json`, in the folder or any parent), as `MLClient.from_config` does.
 */
export function findWorkspaceConfig(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    for (const candidate of [path.join(dir, 'config.json'), path.join(dir, '.azureml', 'config.json')]) {
      if (fs.existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function readWorkspaceConfig(file: string): Partial<WorkspaceRef> & { tenantId?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`The workspace config '${file}' is not valid JSON (${(e as Error).message}). Download it again from the workspace page in the Azure portal.`, { file });
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof o[k] === 'string' && o[k]) return o[k] as string;
    return undefined;
  };
  return {
    subscriptionId: str('subscription_id', 'Subscription'),
    resourceGroup: str('resource_group', 'ResourceGroup'),
    workspaceName: str('workspace_name', 'WorkspaceName'),
    tenantId: str('tenant_id'),
  };
}
