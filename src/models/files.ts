import { createHash } from 'crypto';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { UserError } from '../errors';
import type { WorkspaceClient } from '../workspace/client';
import { defaultDatastore } from '../workspace/datastore';

// Where a registered model version's files are, and what they are: shared by promotion and packaging.

/** One file of a model version, as a blob of its datastore. */
export interface ModelFile {
  blobName: string;
  relPath: string;
  size: number;
  digest: string;
}

/** Datastore and path of a model version's files in its workspace. */
export async function resolveModelLocation(client: WorkspaceClient, modelUri: string, signal?: AbortSignal): Promise<{ datastore: string; path: string }> {
  const ws = client.workspace;
  const short = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/i.exec(modelUri);
  if (short) return { datastore: short[1], path: short[2] };
  const long = /^azureml:\/\/subscriptions\/([^/]+)\/resource[gG]roups\/([^/]+)\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/([^/]+)\/datastores\/([^/]+)\/paths\/(.*)$/i.exec(modelUri);
  if (long) {
    const same = [long[1], long[2], long[3]].map((x) => x.toLowerCase()).join('/') === [ws.subscriptionId, ws.resourceGroup, ws.workspaceName].map((x) => x.toLowerCase()).join('/');
    if (!same) throw new UserError(`The model's files are in another workspace (${modelUri}); use that workspace.`, { input: 'model' });
    return { datastore: long[4], path: long[5] };
  }
  const runs = /^runs:\/([^/]+)\/(.*)$/.exec(modelUri);
  const job = runs ? [runs[0], runs[1], 'artifacts', runs[2]] : /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths\/(.*))?$/.exec(modelUri);
  if (job) {
    const [, jobName, output, sub = ''] = job;
    // `artifacts` is the job's default artifact location (ExperimentRun/dcid.<job>) in the artifact store.
    if (output === 'artifacts') return { datastore: 'workspaceartifactstore', path: joinPath(`ExperimentRun/dcid.${jobName}`, sub) };
    const j = await client.get<{ properties?: { outputs?: Record<string, { uri?: string | null } | null> } }>(`jobs/${jobName}`, { operation: `read the job '${jobName}' that produced the model`, allowNotFound: true, signal });
    if (!j) throw new UserError(`The model's files are an output of the job '${jobName}', which no longer exists in workspace '${ws.workspaceName}'.`, { input: 'model' });
    const uri = j.properties?.outputs?.[output]?.uri;
    if (uri) {
      const base = await resolveModelLocation(client, uri, signal);
      return { datastore: base.datastore, path: joinPath(base.path, sub) };
    }
    // An output without a uri went to Azure ML's default place for it.
    const ds = await defaultDatastore(client);
    return { datastore: ds.name, path: joinPath(`azureml/${jobName}/${output}`, sub) };
  }
  throw new UserError(
    `The model's files are at '${modelUri}', which cannot be read from here: supported are azureml://datastores/<name>/paths/<path>, azureml://jobs/<job>/outputs/<output>[/paths/<path>] and runs:/<job>/<path>.`,
    { input: 'model' },
  );
}

export function joinPath(a: string, b: string): string {
  return [a.replace(/\/+$/, ''), b.replace(/^\/+/, '')].filter((x) => x !== '').join('/');
}

/** The blob named `path`, or every blob under the folder `path` (relative paths sorted, so the hash is stable). */
export async function listModelFiles(container: ContainerClient, path: string, signal?: AbortSignal): Promise<ModelFile[]> {
  const folder = path.replace(/\/+$/, '');
  const items: BlobItem[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: folder, abortSignal: signal })) {
    if (blob.name === folder || blob.name.startsWith(`${folder}/`) || folder === '') items.push(blob);
  }
  const exact = items.find((b) => b.name === folder);
  const chosen = exact && !path.endsWith('/') ? [exact] : items.filter((b) => b.name !== folder);
  const files: ModelFile[] = [];
  for (const blob of chosen) {
    const relPath = blob === exact ? '' : blob.name.slice(folder ? folder.length + 1 : 0);
    const md5 = blob.properties.contentMD5;
    const digest = md5 && md5.length ? `md5:${Buffer.from(md5).toString('hex')}` : `sha256:${await sha256OfBlob(container, blob.name, signal)}`;
    files.push({ blobName: blob.name, relPath, size: blob.properties.contentLength ?? 0, digest });
  }
  return files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

async function sha256OfBlob(container: ContainerClient, name: string, signal?: AbortSignal): Promise<string> {
  const download = await container.getBlobClient(name).download(0, undefined, { abortSignal: signal });
  const hash = createHash('sha256');
  for await (const chunk of download.readableStreamBody as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
