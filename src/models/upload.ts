import * as path from 'path';
import * as fs from 'fs';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Log } from '../log';
import { hashCodeFolder, type CodeHash } from '../jobs/code-hash';
import { formatBytes, uploadFiles } from '../jobs/code-upload';
import type { WorkspaceClient } from '../workspace/client';
import { defaultDatastore, openDatastoreContainer, type Datastore } from '../workspace/datastore';

/** Where a local model goes, known before anything is uploaded: the content hash names the folder. */
export interface LocalModelPlan {
  localPath: string;
  isFile: boolean;
  snapshot: CodeHash;
  datastore: Datastore;
  /** The blob folder the files go to, in the datastore's container. */
  blobFolder: string;
  /** What the model version points at: the file, or the folder with a trailing slash. */
  modelUri: string;
}

const MODEL = { noun: 'model', emptyHint: 'Point modelPath at the file or folder your training wrote the model to.' };

/**
 * Hashes a local model file or folder the way the Azure ML CLI hashes uploads, and names its place on the
 * default datastore: `LocalUpload/<hash>/<name>`, so the same content always lands (and is found) in the same place.
 */
export async function planLocalModel(localPath: string, input: string, client: WorkspaceClient): Promise<LocalModelPlan> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(localPath);
  } catch {
    throw new UserError(`Input '${input}': '${localPath}' does not exist on the agent. Give a file or folder (relative paths start at ${process.cwd()}), or a URI such as azureml://datastores/<datastore>/paths/<path>.`, { input });
  }
  const snapshot = await hashCodeFolder(localPath, MODEL);
  const datastore = await defaultDatastore(client);
  if (datastore.properties.datastoreType && datastore.properties.datastoreType !== 'AzureBlob') {
    throw new UserError(`The default datastore '${datastore.name}' is of type ${datastore.properties.datastoreType}; uploading a model needs an Azure Blob datastore as the workspace default.`);
  }
  const name = path.basename(path.resolve(localPath));
  const isFile = stat.isFile();
  const blobFolder = isFile ? `LocalUpload/${snapshot.hash}` : `LocalUpload/${snapshot.hash}/${name}`;
  const modelUri = `azureml://datastores/${datastore.name}/paths/${blobFolder}${isFile ? `/${name}` : '/'}`;
  return { localPath, isFile, snapshot, datastore, blobFolder, modelUri };
}

export interface UploadOptions {
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  signal?: AbortSignal;
}

/**
 * Uploads the files the datastore does not have yet. Content addressed by hash, a file already there with its
 * size is the same file, so an unchanged model uploads nothing.
 */
export async function uploadLocalModel(plan: LocalModelPlan, o: UploadOptions): Promise<{ uploadedBytes: number; reused: boolean }> {
  const container = await openDatastoreContainer(plan.datastore, o);
  const present = new Map<string, number>();
  for await (const blob of container.listBlobsFlat({ prefix: `${plan.blobFolder}/`, abortSignal: o.signal })) present.set(blob.name, blob.properties.contentLength ?? -1);
  const missing = plan.snapshot.files.filter((f) => present.get(`${plan.blobFolder}/${f.relPath}`) !== f.size);
  const hash = plan.snapshot.hash.slice(0, 12);
  if (missing.length === 0) {
    o.log.info(`The model in '${plan.localPath}' is already on datastore '${plan.datastore.name}' (hash ${hash}): nothing uploaded.`);
    return { uploadedBytes: 0, reused: true };
  }
  const bytes = missing.reduce((n, f) => n + f.size, 0);
  o.log.info(`Uploading the model from '${plan.localPath}': ${missing.length} file(s), ${formatBytes(bytes)} to datastore '${plan.datastore.name}' (hash ${hash}).`);
  const uploadedBytes = await uploadFiles(container, plan.blobFolder, missing, o.signal);
  return { uploadedBytes, reused: false };
}
