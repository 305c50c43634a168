// Golden cases: endpoint and deployment YAMLs in the style of the azureml-examples CLI samples and the exact
// REST bodies they become, with references resolved the same way every time against the fake's workspace.
import * as fs from 'fs';
import * as path from 'path';
import { hashCodeFolder } from '../../../src/jobs/code-hash';
import { ANONYMOUS_ENVIRONMENT_NAME, anonymousEnvironmentVersion } from '../../../src/jobs/resolve';
import {
  buildBatchDeploymentBody,
  buildBatchEndpointBody,
  buildOnlineDeploymentBody,
  buildOnlineEndpointBody,
  deploymentReferencesToResolve,
  type ResolvedDeploymentReferences,
} from '../../../src/deploy/rest-body';
import { loadBatchDeploymentSpec, loadBatchEndpointSpec, loadOnlineDeploymentSpec, loadOnlineEndpointSpec, type BatchDeploymentSpec, type OnlineDeploymentSpec } from '../../../src/deploy/spec';
import { LOCATION, RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE_NAME } from '../../fake-azure/identities';

export const GOLDEN_WORKSPACE = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE_NAME}`;

/** The golden folder in the source tree (tests run from build/, the cases stay next to the sources). */
export function goldenRoot(): string {
  const candidates = [path.join(__dirname, 'golden'), path.resolve(__dirname, '../../../../test/unit/deploy/golden')];
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'README.md')));
  if (!found) throw new Error(`golden cases not found from ${__dirname}`);
  return found;
}

export type GoldenKind = 'online-endpoint' | 'online-deployment' | 'batch-endpoint' | 'batch-deployment';

/** Case folders are named for what they hold: `online-endpoint-*`, `online-deployment-*`, `batch-endpoint-*`, `batch-deployment-*`. */
export function goldenCases(): Array<{ name: string; kind: GoldenKind; definition: string }> {
  const root = goldenRoot();
  const definitions: Record<GoldenKind, string> = {
    'online-endpoint': 'OnlineEndpointTrackedResource',
    'online-deployment': 'OnlineDeploymentTrackedResource',
    'batch-endpoint': 'BatchEndpointTrackedResource',
    'batch-deployment': 'BatchDeploymentTrackedResource',
  };
  return fs
    .readdirSync(root)
    .filter((name) => fs.statSync(path.join(root, name)).isDirectory())
    .sort()
    .map((name) => {
      const kind = (Object.keys(definitions) as GoldenKind[]).find((k) => name.startsWith(`${k}-`));
      if (!kind) throw new Error(`golden case ${name} is not named for what it holds`);
      return { name, kind, definition: definitions[kind] };
    });
}

async function resolve(spec: OnlineDeploymentSpec | BatchDeploymentSpec): Promise<ResolvedDeploymentReferences> {
  const ws = GOLDEN_WORKSPACE;
  const refs = deploymentReferencesToResolve(spec);
  const out: ResolvedDeploymentReferences = {};
  if (refs.model) out.modelId = refs.model.kind === 'armId' ? refs.model.id : `${ws}/models/${refs.model.name}/versions/${refs.model.version ?? '1'}`;
  if (refs.environment) {
    const e = refs.environment;
    out.environmentId = e.kind === 'armId' ? e.id : e.kind === 'asset' ? `${ws}/environments/${e.name}/versions/${e.version ?? '1'}` : `${ws}/environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${anonymousEnvironmentVersion(e)}`;
  }
  if (refs.code) out.codeId = refs.code.kind === 'asset' ? `${ws}/codes/${refs.code.name}/versions/${refs.code.version}` : `${ws}/codes/code-${(await hashCodeFolder(refs.code.path)).hash.slice(0, 40)}/versions/1`;
  if (refs.compute) out.computeId = 'armId' in refs.compute ? refs.compute.armId : `${ws}/computes/${refs.compute.name}`;
  if (refs.component) out.componentId = refs.component.kind === 'armId' ? refs.component.id : `${ws}/components/${refs.component.name}/versions/${refs.component.version ?? '1'}`;
  if (refs.defaultCompute) out.defaultComputeId = 'armId' in refs.defaultCompute ? refs.defaultCompute.armId : `${ws}/computes/${refs.defaultCompute.name}`;
  if (refs.defaultDatastore) out.defaultDatastoreId = `${ws}/datastores/${refs.defaultDatastore}`;
  return out;
}

/** The REST body a case's YAML becomes, for the fake's workspace and location. */
export async function buildGolden(name: string, kind: GoldenKind): Promise<unknown> {
  const dir = path.join(goldenRoot(), name);
  const options = { location: LOCATION };
  switch (kind) {
    case 'online-endpoint': {
      const { spec } = loadOnlineEndpointSpec(path.join(dir, 'endpoint.yml'));
      const computeId = spec.compute ? ('armId' in spec.compute ? spec.compute.armId : `${GOLDEN_WORKSPACE}/computes/${spec.compute.name}`) : undefined;
      return buildOnlineEndpointBody(spec, { ...options, computeId });
    }
    case 'batch-endpoint':
      return buildBatchEndpointBody(loadBatchEndpointSpec(path.join(dir, 'endpoint.yml')).spec, options);
    case 'online-deployment': {
      const { spec } = loadOnlineDeploymentSpec(path.join(dir, 'deployment.yml'));
      return buildOnlineDeploymentBody(spec, await resolve(spec), options);
    }
    case 'batch-deployment': {
      const { spec } = loadBatchDeploymentSpec(path.join(dir, 'deployment.yml'));
      return buildBatchDeploymentBody(spec, await resolve(spec), options);
    }
  }
}
