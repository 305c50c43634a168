import { createHash } from 'crypto';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { uploadCodeSnapshot } from './code-upload';
import type { ResolvedReferences } from './rest-body';
import type { referencesToResolve } from './rest-body';

type References = ReturnType<typeof referencesToResolve>;

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
}

interface Versioned {
  id: string;
  properties?: { latestVersion?: string };
}

/**
 * Turns the names a job YAML uses (azureml:env@latest, azureml:cpu-cluster, azureml:data:1, ./src) into the
 * ARM ids the REST body needs, checking that each exists first so a typo fails before anything is created.
 * Uploading the code comes last: it is the only step that creates something.
 */
export async function resolveReferences(refs: References, o: ResolveOptions): Promise<ResolvedReferences & { uploadedBytes?: number }> {
  const { client } = o;
  const at = (field: string) => ({ file: o.specFile, line: o.lines?.[field] });

  let computeId: string | undefined;
  if (refs.compute) {
    if ('armId' in refs.compute) {
      computeId = refs.compute.armId;
    } else {
      const name = refs.compute.name;
      const compute = await client.get<{ id: string }>(`computes/${name}`, { operation: `read the compute '${name}'`, allowNotFound: true });
      if (!compute) throw new UserError(`The compute '${name}' named in ${o.specFile} does not exist in workspace '${client.workspace.workspaceName}'. Check the name under 'compute:' or create the compute cluster first.`, at('compute'));
      computeId = compute.id;
    }
  }

  let environmentId: string | undefined;
  const env = refs.environment;
  if (env.kind === 'armId') {
    environmentId = env.id;
  } else if (env.kind === 'asset') {
    environmentId = await resolveAsset(client, 'environments', 'environment', env.name, env.version, at('environment'));
  }

  const inputUris: Record<string, string> = {};
  for (const [input, ref] of Object.entries(refs.inputs)) {
    if (ref.kind === 'asset') {
      const label = ref.assetType === 'models' ? 'model' : 'data asset';
      inputUris[input] = await resolveAsset(client, ref.assetType, label, ref.name, ref.version, at(`inputs.${input}`), input);
    } else {
      await checkDatastoreUri(client, ref.uri, input, at(`inputs.${input}`));
      inputUris[input] = ref.uri;
    }
  }

  // Everything above only reads; from here on things are created, once every reference is known to exist.
  if (env.kind === 'inline') environmentId = await createAnonymousEnvironment(client, env);

  let codeId: string | undefined;
  let uploadedBytes: number | undefined;
  if (refs.code?.kind === 'asset') {
    codeId = await resolveAsset(client, 'codes', 'code asset', refs.code.name, refs.code.version, at('code'));
  } else if (refs.code?.kind === 'local') {
    const snapshot = await uploadCodeSnapshot(refs.code.dir, o);
    codeId = snapshot.codeId;
    uploadedBytes = snapshot.uploadedBytes;
  }

  return { codeId, environmentId: environmentId!, computeId, inputUris, uploadedBytes };
}

/** name:version -> ARM id, checking it exists; no version (or @latest) takes the container's latest version. */
async function resolveAsset(
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

/**
 * An inline environment (image + conda file) becomes an anonymous environment version whose version is a hash
 * of its definition, so the same definition is registered once and reused.
 */
async function createAnonymousEnvironment(client: WorkspaceClient, env: { image: string; condaFile?: string; description?: string }): Promise<string> {
  const name = 'CliV2AnonymousEnvironment';
  const version = createHash('sha256').update(JSON.stringify({ image: env.image, condaFile: env.condaFile ?? null })).digest('hex').slice(0, 32);
  const existing = await client.get<Versioned>(`environments/${name}/versions/${version}`, { operation: 'read the inline environment', allowNotFound: true });
  if (existing) return existing.id;
  const properties: Record<string, unknown> = { image: env.image, isAnonymous: true, osType: 'Linux' };
  if (env.condaFile) properties.condaFile = env.condaFile;
  if (env.description) properties.description = env.description;
  const created = await client.put<Versioned>(`environments/${name}/versions/${version}`, { properties }, { operation: 'register the inline environment' });
  return created.id ?? client.armId('environments', name, version);
}
