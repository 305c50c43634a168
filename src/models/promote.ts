/**
 * Promotes a registered model version from one Azure ML workspace (say dev) into another workspace (prod) or into an
 * Azure ML registry, each side signed in with its own service connection.
 *
 *   const result = await promoteModel({
 *     source: { client: devClient, credential: devCredential },          // WorkspaceClient of the source workspace
 *     model: parseModelReference('azureml:credit-model:3'),              // input `model`
 *     target: { kind: 'workspace', client: prodClient, credential: prodCredential }
 *          // or { kind: 'registry', client: new RegistryClient({ ..., registry: { subscriptionId, resourceGroup, registryName } }) }
 *     build, log, onSecret,                                              // lineage, progress, masking
 *   });
 *   // result.status: 'promoted' | 'unchanged'; result.targetId: ARM id of the version in the target
 *
 * The target version keeps the source's name, version, description, tags, properties, model type, flavors and stage
 * (or `options.stage`), plus the promotion's lineage tags (`azure-devops.promotion.*`, `azure-devops.promotedFrom`).
 * Files are copied blob to blob (server-side from a SAS when the source datastore has a key, streamed otherwise) to
 * the target's default datastore under `LocalUpload/<content hash>/<folder>` or to the registry's pending-upload
 * location. The content hash is stored in the version's properties, so promoting again is a no-op, and a target that
 * already holds that version with other content is an error before anything is copied or created.
 */
import { createHash } from 'crypto';
import { posix } from 'path';
import type { Readable } from 'stream';
import { ContainerClient, StorageSharedKeyCredential, BlobSASPermissions } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Sleep } from '../http/retry';
import { formatBytes } from '../jobs/code-upload';
import type { Log } from '../log';
import { Summary } from '../summary';
import type { WorkspaceClient } from '../workspace/client';
import { defaultDatastore, getDatastore, openDatastoreContainer } from '../workspace/datastore';
import { joinPath, listModelFiles, resolveModelLocation, type ModelFile } from './files';
import { ASSET_NAME } from '../workspace/ids';
import { lineageTags, type BuildContext } from '../workspace/lineage';
import type { RegistryClient } from '../workspace/registry';

/** Version property holding the hash of the model's files (names, sizes, digests). */
export const CONTENT_HASH_PROPERTY = 'azureml.promote.sha256';
/** Version property holding the ARM id of the model version it was promoted from. */
export const SOURCE_PROPERTY = 'azureml.promote.source';
/** Tag naming the model version it was promoted from. */
export const PROMOTED_FROM_TAG = 'azure-devops.promotedFrom';
/** Copy Blob From URL copies up to 256 MiB in one synchronous request; larger files are streamed. */
export const SERVER_SIDE_COPY_MAX_BYTES = 256 * 1024 * 1024;
/** Files copying at once. */
export const COPY_CONCURRENCY = 8;

export interface ModelRef {
  name: string;
  version: string;
}

export interface WorkspaceSide {
  client: WorkspaceClient;
  /** Used for identity-based datastores (no stored key or SAS). */
  credential: TokenCredential;
}

export type PromotionTarget = ({ kind: 'workspace' } & WorkspaceSide) | { kind: 'registry'; client: RegistryClient };

export interface PromoteModelOptions {
  source: WorkspaceSide;
  model: ModelRef;
  target: PromotionTarget;
  /** The pipeline run doing the promotion, recorded as `azure-devops.promotion.*` tags. */
  build?: BuildContext;
  /** The task input naming the model version, for errors about it (default `model`). */
  modelInput?: string;
  /** Stage of the promoted version (e.g. "Production"); default the source's. */
  stage?: string;
  log: Log;
  /** Called with every key and SAS read, before it is used. */
  onSecret: (value: string) => void;
  signal?: AbortSignal;
  /** For the registry's long-running create. */
  sleep?: Sleep;
  /** Files up to this size are copied server-side when the source can be read with a SAS (default 256 MiB). */
  serverSideCopyMaxBytes?: number;
}

export interface PromotionResult {
  /** `unchanged`: the target already had this version with the same content; nothing was copied or created. */
  status: 'promoted' | 'unchanged';
  sourceId: string;
  targetId: string;
  /** Where the target version's files are (`azureml://datastores/...` or the registry's blob URL). */
  modelUri: string;
  contentHash: string;
  files: number;
  totalBytes: number;
  /** Bytes copied by this call (0 when unchanged). */
  copiedBytes: number;
}

interface ModelVersionBody {
  id?: string;
  properties?: {
    description?: string | null;
    tags?: Record<string, string> | null;
    properties?: Record<string, string> | null;
    modelType?: string | null;
    modelUri?: string | null;
    flavors?: Record<string, unknown> | null;
    stage?: string | null;
    jobName?: string | null;
    provisioningState?: string;
  };
}

/** `azureml:<name>:<version>` (or `<name>:<version>`), as the Azure ML CLI names a model version. */
export function parseModelReference(text: string, input = 'model'): ModelRef {
  // Strip the prefix first, so `azureml:credit-model` is not read as model `azureml`, version `credit-model`.
  const m = /^([^:@/\s]+):([^:@/\s]+)$/.exec(text.trim().replace(/^azureml:/, ''));
  if (!m || !ASSET_NAME.test(m[1])) {
    throw new UserError(`Input '${input}': '${text}' is not a model version: use azureml:<name>:<version>, e.g. azureml:credit-model:3.`, { input });
  }
  return { name: m[1], version: m[2] };
}

export async function promoteModel(o: PromoteModelOptions): Promise<PromotionResult> {
  const { log, model } = o;
  const input = o.modelInput ?? 'model';
  const label = `${model.name}:${model.version}`;
  const source = o.source.client;
  const sourceVersion = await source.get<ModelVersionBody>(`models/${model.name}/versions/${model.version}`, {
    operation: `read the model ${label}`,
    allowNotFound: true,
    signal: o.signal,
  });
  if (!sourceVersion?.properties) {
    throw new UserError(`The model ${label} was not found in workspace '${source.workspace.workspaceName}'. Check the ${input} input (azureml:<name>:<version>) and the source workspace.`, { input });
  }
  const sourceId = sourceVersion.id ?? source.armId('models', model.name, model.version);
  const modelUri = sourceVersion.properties.modelUri;
  if (!modelUri) throw new UserError(`The model ${label} has no files (its modelUri is empty), so there is nothing to promote.`, { input });

  const location = await resolveModelLocation(source, modelUri, o.signal);
  const datastore = await getDatastore(source, location.datastore);
  const sourceContainer = await openDatastoreContainer(datastore, { client: source, credential: o.source.credential, onSecret: o.onSecret });
  const files = await listModelFiles(sourceContainer, location.path, o.signal);
  if (files.length === 0) {
    throw new UserError(`The files of model ${label} were not found: nothing is stored at ${modelUri} (datastore '${location.datastore}', path '${location.path}').`, { input });
  }
  const contentHash = manifestHash(files);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const targetName = o.target.kind === 'workspace' ? `workspace '${o.target.client.workspace.workspaceName}'` : `registry '${o.target.client.registry.registryName}'`;

  // Read the target first: a missing target or role, or a conflicting version, fails here before anything is copied.
  if (o.target.kind === 'workspace') await o.target.client.workspaceDetails();
  else await o.target.client.details();
  const versionPath = `models/${model.name}/versions/${model.version}`;
  const existing = await o.target.client.get<ModelVersionBody>(versionPath, { operation: `read the model ${label} in ${targetName}`, allowNotFound: true, signal: o.signal });
  if (existing?.properties) {
    const targetId = existing.id ?? versionPath;
    if (existing.properties.properties?.[CONTENT_HASH_PROPERTY] === contentHash) {
      log.info(`The model ${label} is already in ${targetName} with the same files (hash ${contentHash.slice(0, 12)}): nothing to do.`);
      return { status: 'unchanged', sourceId, targetId, modelUri: existing.properties.modelUri ?? '', contentHash, files: files.length, totalBytes, copiedBytes: 0 };
    }
    throw new UserError(
      `The model ${label} already exists in ${targetName} with different files` +
        `${existing.properties.properties?.[SOURCE_PROPERTY] ? ` (promoted from ${existing.properties.properties[SOURCE_PROPERTY]})` : ''}. ` +
        'Model versions cannot be changed: register the new files as a new version in the source workspace and promote that version.',
      { input },
    );
  }

  const leaf = posix.basename(location.path.replace(/\/+$/, '')) || model.name;
  const single = files.length === 1 && files[0].relPath === '';
  log.info(`Promoting model ${label} to ${targetName}: ${files.length} files, ${formatBytes(totalBytes)}.`);

  let destination: { container: ContainerClient; folder: string; modelUri: string };
  if (o.target.kind === 'workspace') {
    const ds = await defaultDatastore(o.target.client);
    const container = await openDatastoreContainer(ds, { client: o.target.client, credential: o.target.credential, onSecret: o.onSecret });
    const folder = `LocalUpload/${contentHash}/${leaf}`;
    destination = { container, folder, modelUri: `azureml://datastores/${ds.name}/paths/${folder}` };
  } else {
    destination = await registryUploadLocation(o.target.client, model, leaf, o);
  }

  const copiedBytes = await copyFiles(sourceContainer, destination.container, destination.folder, files, single, o);

  const p = sourceVersion.properties;
  const promotionTags = Object.fromEntries(Object.entries(lineageTags(o.build ?? {})).map(([k, v]) => [k.replace(/^azure-devops\./, 'azure-devops.promotion.'), v]));
  const properties: Record<string, string> = { ...(p.properties ?? {}), [CONTENT_HASH_PROPERTY]: contentHash, [SOURCE_PROPERTY]: sourceId };
  if (p.jobName) properties['azureml.promote.sourceJob'] = p.jobName;
  const body = {
    properties: {
      description: p.description ?? undefined,
      tags: { ...(p.tags ?? {}), ...promotionTags, [PROMOTED_FROM_TAG]: sourceId },
      properties,
      modelType: p.modelType ?? undefined,
      modelUri: destination.modelUri,
      flavors: p.flavors ?? undefined,
      stage: o.stage ?? p.stage ?? undefined,
      isAnonymous: false,
      isArchived: false,
    },
  };
  const operation = `register the model ${label} in ${targetName}`;
  const created = o.target.kind === 'workspace'
    ? await o.target.client.put<ModelVersionBody>(versionPath, body, { operation, signal: o.signal })
    : await o.target.client.putAndWait<ModelVersionBody>(versionPath, body, { operation, signal: o.signal, sleep: o.sleep });
  const targetId = created.id ?? versionPath;
  log.info(`Promoted model ${label} to ${targetName}: ${formatBytes(copiedBytes)} copied, registered as ${targetId}.`);
  return { status: 'promoted', sourceId, targetId, modelUri: destination.modelUri, contentHash, files: files.length, totalBytes, copiedBytes };
}

/** How jobs and deployments reference the promoted version: `azureml:<name>:<version>`, or the registry form. */
export function promotedAssetUri(model: ModelRef, target: { kind: 'workspace' } | { kind: 'registry'; registryName: string }): string {
  return target.kind === 'registry' ? `azureml://registries/${target.registryName}/models/${model.name}/versions/${model.version}` : `azureml:${model.name}:${model.version}`;
}

/** The run summary of a promotion: where from, where to, and what was copied. */
export function promotionSummary(result: PromotionResult, o: { model: ModelRef; source: string; target: string }): Summary {
  return new Summary().heading(`Model ${o.model.name}:${o.model.version} promoted`).facts([
    ['Source', o.source],
    ['Target', o.target],
    ['Version', `${o.model.name}:${o.model.version}`],
    ['Result', result.status === 'promoted' ? 'promoted' : 'already there with the same files: nothing changed'],
    ['Files', `${result.files} (${formatBytes(result.totalBytes)})`],
    ['Copied', formatBytes(result.copiedBytes)],
    ['Target version', result.targetId],
  ]);
}

function manifestHash(files: ModelFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.relPath}\t${f.size}\t${f.digest}\n`);
  return hash.digest('hex');
}

/** The registry's upload location for this version (a container SAS from startPendingUpload), masked at once. */
async function registryUploadLocation(client: RegistryClient, model: ModelRef, leaf: string, o: PromoteModelOptions): Promise<{ container: ContainerClient; folder: string; modelUri: string }> {
  const r = await client.request<{ blobReferenceForConsumption?: { blobUri?: string; credential?: { credentialType?: string; sasUri?: string } } }>(
    'POST',
    `models/${model.name}/versions/${model.version}/startPendingUpload`,
    { body: { pendingUploadType: 'TemporaryBlobReference' }, operation: `get an upload location for the model ${model.name}:${model.version} in registry '${client.registry.registryName}'`, signal: o.signal },
  );
  const ref = r?.body?.blobReferenceForConsumption;
  const sasUri = ref?.credential?.sasUri;
  if (!ref?.blobUri || !sasUri) throw new Error('The registry returned no SAS upload location for the model.');
  const sas = new URL(sasUri);
  o.onSecret(sas.search.replace(/^\?/, ''));
  const [containerName, ...rest] = decodeURIComponent(sas.pathname).split('/').filter((s) => s !== '');
  const container = new ContainerClient(`${sas.origin}/${containerName}${sas.search}`);
  const folder = joinPath(rest.join('/'), leaf);
  return { container, folder, modelUri: `${ref.blobUri.replace(/\/+$/, '')}/${leaf}` };
}

/**
 * Copies with at most COPY_CONCURRENCY files in flight. A file goes server-side (Copy Blob From URL, the source
 * read through a short-lived read SAS) when the source container is signed with an account key or a SAS; otherwise,
 * or when it is too large for one synchronous copy, it is streamed in blocks so memory stays bounded.
 */
async function copyFiles(source: ContainerClient, target: ContainerClient, folder: string, files: ModelFile[], single: boolean, o: PromoteModelOptions): Promise<number> {
  const maxServerSide = o.serverSideCopyMaxBytes ?? SERVER_SIDE_COPY_MAX_BYTES;
  const keyed = source.credential instanceof StorageSharedKeyCredential;
  const sasSigned = new URL(source.url).searchParams.has('sig');
  let total = 0;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const from = source.getBlobClient(file.blobName);
      const to = target.getBlockBlobClient(single ? folder : `${folder}/${file.relPath}`);
      if (file.size <= maxServerSide && (keyed || sasSigned)) {
        let url = from.url;
        if (keyed) {
          url = await from.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) });
          o.onSecret(new URL(url).search.replace(/^\?/, ''));
        }
        await to.syncCopyFromURL(url, { abortSignal: o.signal });
      } else {
        const download = await from.download(0, undefined, { abortSignal: o.signal });
        // Two 4 MiB buffers per file in flight: memory stays bounded whatever the file size.
        await to.uploadStream(download.readableStreamBody as Readable, 4 * 1024 * 1024, 2, { abortSignal: o.signal });
      }
      total += file.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, files.length) }, worker));
  return total;
}
