import * as fs from 'fs';
import * as path from 'path';
import type { ModelSpec } from '../deploy/spec';
import { UserError } from '../errors';
import { resolveReferences } from '../jobs/resolve';
import { Summary } from '../summary';
import type { WorkspaceClient, WorkspaceCall } from '../workspace/client';
import { waitForOperation } from '../workspace/operations';
import { modelNameAndVersion, readModelVersion } from './download';
import { readEnvironment } from './registered-environment';

/** The model package operation exists only in preview api-versions of the Azure ML REST API. */
export const PACKAGE_API_VERSION = '2024-04-01-preview';

export interface WorkspacePackageOptions extends WorkspaceCall {
  model: ModelSpec;
  code: { dir: string; scoringScript: string };
  environment: { kind: 'registered'; name: string; version?: string } | { kind: 'image'; baseImage?: string; condaFile?: string; pipRequirements?: string };
  environmentVariables: Record<string, string>;
  /** The environment Azure ML creates for the image; default `<model>-package`, version the model's. */
  targetEnvironment?: { name: string; version?: string };
  timeoutMs: number;
}

export interface WorkspacePackageResult {
  model: { name: string; version: string };
  targetEnvironmentId: string;
  imageName?: string;
  buildState?: string;
  logUrl?: string;
  baseEnvironmentId: string;
}

interface PackageResponse {
  buildState?: string;
  buildId?: string;
  logUrl?: string;
  targetEnvironmentId?: string;
}

/**
 * Mode `workspace`: asks Azure ML to package the model with its scoring code and environment into an image in the
 * workspace's container registry (the model package operation), waits for the build, and reads the image of the
 * environment version it created.
 */
export async function packageInWorkspace(o: WorkspacePackageOptions): Promise<WorkspacePackageResult> {
  const { client } = o;
  const version = await readModelVersion(client, o.model, o.signal);
  const { name: modelName, version: modelVersion } = modelNameAndVersion(version);
  if (!fs.existsSync(path.join(o.code.dir, o.code.scoringScript))) {
    throw new UserError(`Input 'scoringScript': '${o.code.scoringScript}' was not found in the code folder ${o.code.dir}. Give the entry script's path relative to codeDirectory.`, { input: 'scoringScript' });
  }
  const targetName = o.targetEnvironment?.name ?? `${modelName}-package`;
  const targetVersion = o.targetEnvironment?.version ?? modelVersion;
  const existing = await readImage(client, targetName, targetVersion, o.signal);
  if (existing) {
    o.log.info(`The environment ${targetName}:${targetVersion} already holds a package (${existing}): nothing to build.`);
    return { model: { name: modelName, version: modelVersion }, targetEnvironmentId: client.armId('environments', targetName, targetVersion), imageName: existing, buildState: 'Existing', baseEnvironmentId: '' };
  }
  let baseEnvironmentId: string;
  const refs: Parameters<typeof resolveReferences>[0] = { inputs: {}, code: { kind: 'local', dir: o.code.dir } };
  if (o.environment.kind === 'registered') {
    baseEnvironmentId = (await readEnvironment(client, o.environment.name, o.environment.version, o.signal)).id;
  } else {
    if (o.environment.pipRequirements) {
      throw new UserError(`Input 'pipRequirements': Azure ML packages a model with a conda environment; give a condaFile, or a registered environment, for mode 'workspace'.`, { input: 'pipRequirements' });
    }
    if (!o.environment.baseImage) throw new UserError(`Input 'baseImage' or 'environment' is required with mode 'workspace': the environment Azure ML builds the image on.`, { input: 'environment' });
    refs.environment = { kind: 'inline', image: o.environment.baseImage, condaFile: o.environment.condaFile ? fs.readFileSync(o.environment.condaFile, 'utf8') : undefined };
    baseEnvironmentId = '';
  }
  const resolved = await resolveReferences(refs, { ...o, specFile: "the task's inputs" });
  if (resolved.environmentId) baseEnvironmentId = resolved.environmentId;
  const target = { name: targetName, version: targetVersion };
  const ws = await client.workspaceDetails();
  if (!ws.workspaceId) throw new Error(`The workspace '${client.workspace.workspaceName}' did not report its id (properties.workspaceId).`);
  // The form the Azure ML SDK sends: the service names the target by location and workspace id, not by ARM id.
  const targetEnvironmentId = `azureml://locations/${ws.location}/workspaces/${ws.workspaceId}/environments/${target.name}/versions/${target.version}`;
  const body = {
    inferencingServer: { serverType: 'AzureMLOnline', codeConfiguration: { codeId: resolved.codeId!, scoringScript: o.code.scoringScript.split('\\').join('/') } },
    baseEnvironmentSource: { baseEnvironmentSourceType: 'EnvironmentAsset', resourceId: baseEnvironmentId },
    targetEnvironmentId,
    environmentVariables: o.environmentVariables,
    inputs: [],
    tags: { 'azureml.model': `${modelName}:${modelVersion}` },
  };
  const operation = `package the model '${modelName}:${modelVersion}'`;
  o.log.info(`Asking Azure ML to ${operation} into the environment ${target.name}:${target.version}.`);
  const first = (await client.request('POST', `models/${encodeURIComponent(modelName)}/versions/${encodeURIComponent(modelVersion)}/package`, {
    apiVersion: PACKAGE_API_VERSION,
    body,
    operation,
    signal: o.signal,
  }))!;
  const outcome = await waitForOperation((m, p, r) => client.request(m, p, { ...r, apiVersion: PACKAGE_API_VERSION }), first, { operation, signal: o.signal, sleep: o.sleep, timeoutMs: o.timeoutMs });
  const response = (outcome.body && typeof outcome.body === 'object' ? outcome.body : first.body) as PackageResponse | undefined;
  if (outcome.timedOut) throw new UserError(`Azure ML did not finish trying to ${operation} within ${Math.round(o.timeoutMs / 60_000)} minutes. Check the package build in Azure ML studio.`, { input: 'timeoutMinutes' });
  const failed = (outcome.status ?? '').toLowerCase() === 'failed' || (response?.buildState ?? '').toLowerCase() === 'failed';
  if (failed) {
    const e = outcome.error;
    throw new UserError(`Azure ML could not ${operation}: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? `the build ended ${response?.buildState ?? outcome.status}`}.${response?.logUrl ? ` Build log: ${response.logUrl}` : ''}`);
  }
  const result: WorkspacePackageResult = {
    model: { name: modelName, version: modelVersion },
    targetEnvironmentId: response?.targetEnvironmentId ?? targetEnvironmentId,
    buildState: response?.buildState,
    logUrl: response?.logUrl,
    baseEnvironmentId,
  };
  const created = /\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(result.targetEnvironmentId);
  result.imageName = await readImage(client, created?.[1] ?? target.name, created?.[2] ?? target.version, o.signal);
  o.log.info(result.imageName ? `Azure ML built the image ${result.imageName}.` : `Azure ML packaged the model into ${result.targetEnvironmentId}.`);
  return result;
}

/** The image of an environment version, or undefined when the version does not exist (yet). */
async function readImage(client: WorkspaceClient, name: string, version: string, signal?: AbortSignal): Promise<string | undefined> {
  const env = await client.get<{ properties?: { image?: string } }>(`environments/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, {
    operation: `read the environment '${name}:${version}'`,
    allowNotFound: true,
    signal,
  });
  return env?.properties?.image;
}

export function workspacePackageSummary(r: WorkspacePackageResult, workspaceName: string): Summary {
  return new Summary().heading(`Azure ML model ${r.model.name}:${r.model.version} packaged in the workspace`).facts([
    ['Workspace', workspaceName],
    ['Model', `${r.model.name}:${r.model.version}`],
    ['Base environment', r.baseEnvironmentId],
    ['Environment created', r.targetEnvironmentId],
    ['Image', r.imageName],
    ['Build', r.buildState],
    ['Build log', r.logUrl],
  ]);
}
