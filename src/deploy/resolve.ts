import { UserError } from '../errors';
import { resolveAsset, resolveReferences } from '../jobs/resolve';
import type { CodeToResolve, ReferencesToResolve } from '../jobs/rest-body';
import type { WorkspaceClient, WorkspaceCall } from '../workspace/client';
import type { ResolvedDeploymentReferences } from './rest-body';
import { deploymentReferencesToResolve } from './rest-body';
import type { BatchDeploymentSpec, ComponentRefSpec, LoadedDeploySpec, OnlineDeploymentSpec } from './spec';

export interface ResolveDeploymentOptions extends WorkspaceCall {
  /** false: upload and create nothing, giving local code and an inline environment the ids they would get. */
  create?: boolean;
}

/**
 * The ARM ids a deployment body needs: the model (or pipeline component), environment, compute and datastore are checked to exist (a typo fails
 * before anything is created); then local code is uploaded (once per content) and an inline environment created,
 * unless create is false.
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
  if (refs.component) result.componentId = await pipelineComponent(o.client, refs.component, where('component'));
  const toResolve: ReferencesToResolve = { inputs: {} };
  if (refs.environment) toResolve.environment = refs.environment;
  if (refs.compute) toResolve.compute = refs.compute;
  if (refs.defaultCompute) toResolve.defaultCompute = refs.defaultCompute;
  if (refs.defaultDatastore) toResolve.defaultDatastore = refs.defaultDatastore;
  if (refs.code) toResolve.code = codeToResolve(refs.code);
  const resolved = await resolveReferences(toResolve, { ...o, specFile: loaded.file, lines: loaded.lines });
  if (resolved.environmentId) result.environmentId = resolved.environmentId;
  if (resolved.computeId) result.computeId = resolved.computeId;
  if (resolved.defaultComputeId) result.defaultComputeId = resolved.defaultComputeId;
  if (resolved.defaultDatastoreId) result.defaultDatastoreId = resolved.defaultDatastoreId;
  if (resolved.codeId) result.codeId = resolved.codeId;
  if (resolved.uploadedBytes !== undefined) result.uploadedBytes = resolved.uploadedBytes;
  return result;
}

/**
 * A registered component (`@latest` taking the latest version) must exist and be a pipeline component: a batch
 * deployment runs a pipeline. ARM ids and registry references are used as they are.
 */
async function pipelineComponent(client: WorkspaceClient, ref: ComponentRefSpec, where: { file: string; line?: number }): Promise<string> {
  if (ref.kind === 'armId') return ref.id;
  const id = await resolveAsset(client, 'components', 'component', ref.name, ref.version, where);
  const version = id.slice(id.lastIndexOf('/') + 1);
  const found = await client.get<{ properties?: { componentSpec?: { type?: string } } }>(`components/${ref.name}/versions/${version}`, {
    operation: `read the component '${ref.name}:${version}'`,
  });
  const type = found?.properties?.componentSpec?.type;
  if (type !== undefined && type !== 'pipeline') {
    const at = where.line !== undefined ? `${where.file}:${where.line}` : where.file;
    throw new UserError(
      `${at}: component: '${ref.name}:${version}' is a ${type} component; a batch deployment of type pipeline needs a pipeline component (type: pipeline). Deploy a model with type: model, or wrap the component in a pipeline component and register that.`,
      where,
    );
  }
  return id;
}

function codeToResolve(code: NonNullable<OnlineDeploymentSpec['code']>): CodeToResolve {
  return code.kind === 'local' ? { kind: 'local', dir: code.path } : { kind: 'asset', name: code.name, version: code.version };
}
