import { createHash } from 'crypto';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import { suggest } from '../suggest';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { plannedCodeId, uploadCodeSnapshot } from './code-upload';
import type { CodeToResolve, EnvironmentToResolve, InputToResolve, ReferencesToResolve, ResolvedReferences, ResolvedStep, StepToResolve } from './rest-body';
import { stepComponentProblem } from './spec-pipeline';

type References = ReferencesToResolve;

export interface ResolveOptions {
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  signal?: AbortSignal;
  /** The job YAML, named in errors about what it references. */
  specFile: string;
  /** Line of each field of the YAML ('compute', 'environment', 'inputs.x'), so errors point at it. */
  lines?: Record<string, number>;
  /**
   * false: create nothing, and give local code and inline environments the ids they would get (see plannedCodeId),
   * to compare a definition with what runs before anything is uploaded.
   */
  create?: boolean;
}

interface Versioned {
  id: string;
  properties?: { latestVersion?: string };
}

/**
 * Turns the names a job YAML uses (azureml:env@latest, azureml:cpu-cluster, azureml:data:1, ./src, components) into
 * the ARM ids the REST body needs, checking that each exists first so a typo fails before anything is created.
 * Creating comes last: anonymous environments and code uploads, each once per distinct definition or folder.
 */
export async function resolveReferences(refs: References, o: ResolveOptions): Promise<ResolvedReferences & { uploadedBytes?: number }> {
  const { client } = o;
  const at = (field: string) => ({ file: o.specFile, line: o.lines?.[field] });
  const cache = new Map<string, Promise<string>>();
  const once = (key: string, make: () => Promise<string>): Promise<string> => {
    let found = cache.get(key);
    if (!found) {
      found = make();
      cache.set(key, found);
    }
    return found;
  };

  const compute = (ref: { name: string } | { armId: string }, field: string): Promise<string> => {
    if ('armId' in ref) return Promise.resolve(ref.armId);
    const name = ref.name;
    return once(`compute:${name.toLowerCase()}`, async () => {
      const found = await client.get<{ id: string }>(`computes/${name}`, { operation: `read the compute '${name}'`, allowNotFound: true });
      if (!found) throw new UserError(`The compute '${name}' named in ${o.specFile} does not exist in workspace '${client.workspace.workspaceName}'. Check the name under '${field}:' or create the compute cluster first.`, at(field));
      return found.id;
    });
  };
  const environment = (env: EnvironmentToResolve, field: string, where = at(field)): Promise<string> | undefined => {
    if (env.kind === 'armId') return Promise.resolve(env.id);
    if (env.kind === 'asset') return once(`env:${env.name}:${env.version ?? '@latest'}`, () => resolveAsset(client, 'environments', 'environment', env.name, env.version, where));
    return undefined;
  };
  const inputs = async (toResolve: Record<string, InputToResolve>, prefix: string): Promise<Record<string, string>> => {
    const uris: Record<string, string> = {};
    for (const [input, ref] of Object.entries(toResolve)) {
      if (ref.kind === 'asset') {
        const label = ref.assetType === 'models' ? 'model' : 'data asset';
        uris[input] = await once(`${ref.assetType}:${ref.name}:${ref.version ?? '@latest'}`, () => resolveAsset(client, ref.assetType, label, ref.name, ref.version, at(`${prefix}inputs.${input}`), input));
      } else {
        await checkDatastoreUri(client, ref.uri, input, at(`${prefix}inputs.${input}`));
        uris[input] = ref.uri;
      }
    }
    return uris;
  };

  // A local component's environment and code are named in the component file, so errors point there.
  const inComponent = (step: StepToResolve, field: string) => (step.componentFile ? { file: step.componentFile, line: step.componentLines?.[field] } : undefined);
  const result: ResolvedReferences & { uploadedBytes?: number } = { workspaceId: client.workspaceId, inputUris: {} };
  if (refs.compute) result.computeId = await compute(refs.compute, 'compute');
  if (refs.environment) result.environmentId = await environment(refs.environment, refs.steps ? 'environment' : o.lines?.['trial.environment'] !== undefined ? 'trial.environment' : 'environment');
  result.inputUris = await inputs(refs.inputs, '');
  if (refs.defaultCompute) result.defaultComputeId = await compute(refs.defaultCompute, 'settings.default_compute');
  if (refs.defaultDatastore) {
    const name = refs.defaultDatastore;
    const ds = await client.get<{ id: string }>(`datastores/${name}`, { operation: `read the datastore '${name}'`, allowNotFound: true });
    if (!ds) throw new UserError(`The datastore '${name}' named in ${o.specFile} (settings.default_datastore) does not exist in workspace '${client.workspace.workspaceName}'.`, at('settings.default_datastore'));
    result.defaultDatastoreId = ds.id;
  }
  const steps: Record<string, ResolvedStep> = {};
  const registeredOutputs = new Map<string, string[]>();
  for (const [name, step] of Object.entries(refs.steps ?? {})) {
    const prefix = `jobs.${name}.`;
    const resolved: ResolvedStep = { inputUris: await inputs(step.inputs, prefix) };
    if (step.compute) resolved.computeId = await compute(step.compute, `${prefix}compute`);
    if (step.environment) resolved.environmentId = await environment(step.environment, `${prefix}environment`, inComponent(step, 'environment'));
    if (step.component) {
      const registered = await registeredComponent(client, name, step, o, at(`${prefix}component`));
      resolved.componentId = registered.id;
      if (registered.outputs) registeredOutputs.set(name, registered.outputs);
    }
    steps[name] = resolved;
  }
  if (refs.steps) result.steps = steps;
  // Outputs of registered components are only known now: bindings to them are checked before anything is created.
  for (const [name, step] of Object.entries(refs.steps ?? {})) {
    for (const binding of step.stepOutputBindings) {
      const outputs = registeredOutputs.get(binding.step);
      if (!outputs || outputs.includes(binding.output)) continue;
      const field = `jobs.${name}.inputs.${binding.input}`;
      const line = o.lines?.[field];
      const suggestion = suggest(binding.output, outputs);
      const hint = suggestion ? ` Did you mean \${{parent.jobs.${binding.step}.outputs.${suggestion}}}?` : ` Its outputs: ${outputs.join(', ') || 'none'}.`;
      throw new UserError(`${o.specFile}${line !== undefined ? `:${line}` : ''}: ${field}: ${binding.expression}: the component of step '${binding.step}' has no output '${binding.output}'.${hint}`, { file: o.specFile, line });
    }
  }

  // Everything above only reads; from here on things are created, once every reference is known to exist.
  const code = async (ref: CodeToResolve, field: string, where = at(field)): Promise<string> => {
    if (ref.kind === 'asset') return once(`code:${ref.name}:${ref.version}`, () => resolveAsset(client, 'codes', 'code asset', ref.name, ref.version, where));
    return once(`local:${ref.dir}`, async () => {
      if (o.create === false) return plannedCodeId(ref.dir, client);
      const snapshot = await uploadCodeSnapshot(ref.dir, o);
      result.uploadedBytes = (result.uploadedBytes ?? 0) + snapshot.uploadedBytes;
      return snapshot.codeId;
    });
  };
  const inline = (env: EnvironmentToResolve) => {
    if (env.kind !== 'inline') return undefined;
    if (o.create === false) return Promise.resolve(client.armId('environments', ANONYMOUS_ENVIRONMENT_NAME, anonymousEnvironmentVersion(env)));
    return once(`inline:${env.image}\n${env.condaFile ?? ''}`, () => createAnonymousEnvironment(client, env));
  };
  if (refs.environment?.kind === 'inline') result.environmentId = await inline(refs.environment);
  if (refs.code) result.codeId = await code(refs.code, refs.steps ? 'code' : o.lines?.['trial.code'] !== undefined ? 'trial.code' : 'code');
  for (const [name, step] of Object.entries(refs.steps ?? {})) {
    if (step.environment?.kind === 'inline') steps[name].environmentId = await inline(step.environment);
    if (step.code) steps[name].codeId = await code(step.code, `jobs.${name}.code`, inComponent(step, 'code'));
  }
  return result;
}

/** A registered component must exist, and take the inputs and outputs the step gives it. */
async function registeredComponent(client: WorkspaceClient, step: string, refs: StepToResolve, o: ResolveOptions, where: { file: string; line?: number }): Promise<{ id: string; outputs?: string[] }> {
  const ref = refs.component!;
  if (ref.kind === 'armId') return { id: ref.id };
  const id = await resolveAsset(client, 'components', 'component', ref.name, ref.version, where);
  const version = id.slice(id.lastIndexOf('/') + 1);
  const found = await client.get<{ properties?: { componentSpec?: { inputs?: Record<string, { optional?: boolean; default?: unknown }>; outputs?: Record<string, unknown> } } }>(
    `components/${ref.name}/versions/${version}`,
    { operation: `read the component '${ref.name}:${version}'` },
  );
  const spec = found?.properties?.componentSpec;
  if (spec) {
    const given = { inputs: Object.fromEntries(refs.inputNames.map((n) => [n, null])), outputs: Object.fromEntries(refs.outputNames.map((n) => [n, null])) };
    const problem = stepComponentProblem(given as never, { inputs: spec.inputs ?? {}, outputs: spec.outputs ?? {} }, `the component '${ref.name}:${version}'`);
    if (problem) {
      const field = `jobs.${step}.${problem.field}`;
      const line = o.lines?.[field] ?? where.line;
      throw new UserError(`${o.specFile}${line !== undefined ? `:${line}` : ''}: ${field}: ${problem.message}`, { file: o.specFile, line });
    }
  }
  return { id, outputs: spec ? Object.keys(spec.outputs ?? {}) : undefined };
}

/** name:version -> ARM id, checking it exists; no version (or @latest) takes the container's latest version. */
export async function resolveAsset(
  client: WorkspaceClient,
  collection: string,
  label: string,
  name: string,
  version: string | undefined,
  where: { file: string; line?: number },
  input?: string,
): Promise<string> {
  const specFile = where.file;
  const about = input ? ` (input '${input}')` : '';
  if (version === undefined) {
    const container = await client.get<Versioned>(`${collection}/${name}`, { operation: `read the ${label} '${name}'`, allowNotFound: true });
    const latest = container?.properties?.latestVersion;
    if (!container || !latest) {
      throw new UserError(`The ${label} '${name}'${about} named in ${specFile} does not exist in workspace '${client.workspace.workspaceName}'.`, where);
    }
    version = latest;
  }
  const found = await client.get<Versioned>(`${collection}/${name}/versions/${version}`, { operation: `read the ${label} '${name}:${version}'`, allowNotFound: true });
  if (!found) {
    throw new UserError(`The ${label} '${name}:${version}'${about} named in ${specFile} does not exist in workspace '${client.workspace.workspaceName}'. Check the name and version.`, where);
  }
  return found.id;
}

/** `azureml://datastores/<name>/paths/...` must name a datastore of this workspace. */
async function checkDatastoreUri(client: WorkspaceClient, uri: string, input: string, where: { file: string; line?: number }): Promise<void> {
  const m = /^azureml:\/\/datastores\/([^/]+)\/paths\//i.exec(uri);
  if (!m) return;
  const ds = await client.get(`datastores/${m[1]}`, { operation: `read the datastore '${m[1]}'`, allowNotFound: true });
  if (!ds) {
    throw new UserError(`Input '${input}' in ${where.file} points at the datastore '${m[1]}', which does not exist in workspace '${client.workspace.workspaceName}'.`, where);
  }
}

export const ANONYMOUS_ENVIRONMENT_NAME = 'CliV2AnonymousEnvironment';

/** The version of an inline environment: a hash of its definition. */
export function anonymousEnvironmentVersion(env: { image: string; condaFile?: string }): string {
  return createHash('sha256').update(JSON.stringify({ image: env.image, condaFile: env.condaFile ?? null })).digest('hex').slice(0, 32);
}

/**
 * An inline environment (image + conda file) becomes an anonymous environment version whose version is a hash
 * of its definition, so the same definition is registered once and reused.
 */
async function createAnonymousEnvironment(client: WorkspaceClient, env: { image: string; condaFile?: string; description?: string }): Promise<string> {
  const name = ANONYMOUS_ENVIRONMENT_NAME;
  const version = anonymousEnvironmentVersion(env);
  const existing = await client.get<Versioned>(`environments/${name}/versions/${version}`, { operation: 'read the inline environment', allowNotFound: true });
  if (existing) return existing.id;
  const properties: Record<string, unknown> = { image: env.image, isAnonymous: true, osType: 'Linux' };
  if (env.condaFile) properties.condaFile = env.condaFile;
  if (env.description) properties.description = env.description;
  const created = await client.put<Versioned>(`environments/${name}/versions/${version}`, { properties }, { operation: 'register the inline environment' });
  return created.id ?? client.armId('environments', name, version);
}
