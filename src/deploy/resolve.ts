import type { TokenCredential } from '@azure/core-auth';
import type { Log } from '../log';
import { resolveAsset, resolveReferences } from '../jobs/resolve';
import type { CodeToResolve, ReferencesToResolve } from '../jobs/rest-body';
import type { WorkspaceClient } from '../workspace/client';
import type { ResolvedDeploymentReferences } from './rest-body';
import { deploymentReferencesToResolve } from './rest-body';
import type { BatchDeploymentSpec, LoadedDeploySpec, OnlineDeploymentSpec } from './spec';

export interface ResolveDeploymentOptions {
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  signal?: AbortSignal;
}

/**
 * The ARM ids a deployment body needs: the model, environment and compute are checked to exist (a typo fails
 * before anything is created); then local code is uploaded (once per content) and an inline environment created.
 */
export async function resolveDeploymentReferences(
  loaded: LoadedDeploySpec<OnlineDeploymentSpec | BatchDeploymentSpec>,
  o: ResolveDeploymentOptions,
): Promise<ResolvedDeploymentReferences & { uploadedBytes?: number }> {
  const refs = deploymentReferencesToResolve(loaded.spec);
  const where = (field: string) => ({ file: loaded.file, line: loaded.lines[field] });
  const result: ResolvedDeploymentReferences & { uploadedBytes?: number } = {};
  if (refs.model) {
    const m = refs.model;
    result.modelId = m.kind === 'armId' ? m.id : await resolveAsset(o.client, 'models', 'model', m.name, m.version, where('model'));
  }
  const toResolve: ReferencesToResolve = { inputs: {} };
  if (refs.environment) toResolve.environment = refs.environment;
  if (refs.compute) toResolve.compute = refs.compute;
  if (refs.code) toResolve.code = codeToResolve(refs.code);
  const resolved = await resolveReferences(toResolve, { ...o, specFile: loaded.file, lines: loaded.lines });
  if (resolved.environmentId) result.environmentId = resolved.environmentId;
  if (resolved.computeId) result.computeId = resolved.computeId;
  if (resolved.codeId) result.codeId = resolved.codeId;
  if (resolved.uploadedBytes !== undefined) result.uploadedBytes = resolved.uploadedBytes;
  return result;
}

function codeToResolve(code: NonNullable<OnlineDeploymentSpec['code']>): CodeToResolve {
  return code.kind === 'local' ? { kind: 'local', dir: code.path } : { kind: 'asset', name: code.name, version: code.version };
}
