import * as path from 'path';
import type { ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { defaultDatastore, openDatastoreContainer } from '../workspace/datastore';
import { hashCodeFolder } from './code-hash';

export const HASH_VERSION = '202208';

export interface CodeUploadOptions {
  client: WorkspaceClient;
  /** Used for datastores without stored credentials (identity-based access). */
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  signal?: AbortSignal;
}

export interface CodeSnapshot {
  codeId: string;
  hash: string;
  uploadedBytes: number;
  reused: boolean;
}

interface CodeVersion {
  id: string;
  properties?: { codeUri?: string; properties?: Record<string, string> };
}

/**
 * Makes a code version for a local folder the way the Azure ML CLI does: content hash first, reuse an existing
 * code version with that hash (0 bytes uploaded), otherwise upload to the default datastore under
 * LocalUpload/<hash>/ and register an anonymous code version pointing at it.
 */
export async function uploadCodeSnapshot(dir: string, o: CodeUploadOptions): Promise<CodeSnapshot> {
  const { client, log } = o;
  const snapshot = await hashCodeFolder(dir);
  const name = codeName(snapshot.hash);
  const match = await uploadedCodeVersion(client, snapshot.hash);
  if (match) {
    log.info(`Code in '${dir}' is unchanged since an earlier upload (hash ${snapshot.hash.slice(0, 12)}): reusing ${shortId(match.id)}, nothing uploaded.`);
    return { codeId: match.id, hash: snapshot.hash, uploadedBytes: 0, reused: true };
  }

  const datastore = await defaultDatastore(client);
  if (datastore.properties.datastoreType && datastore.properties.datastoreType !== 'AzureBlob') {
    throw new UserError(`The default datastore '${datastore.name}' is of type ${datastore.properties.datastoreType}; code uploads need an Azure Blob datastore as the workspace default.`);
  }
  const container = await openDatastoreContainer(datastore, o);
  const folder = `LocalUpload/${snapshot.hash}/${baseName(dir)}`;
  log.info(`Uploading code from '${dir}': ${snapshot.files.length} files, ${formatBytes(snapshot.totalBytes)} to datastore '${datastore.name}'.`);
  const uploaded = await uploadFiles(container, folder, snapshot.files, o.signal);

  const codeUri = `${container.url}/${folder}`;
  const version = await client.put<CodeVersion>(
    `codes/${name}/versions/1`,
    { properties: { codeUri, isAnonymous: true, properties: { hash_sha256: snapshot.hash, hash_version: HASH_VERSION } } },
    { operation: 'register the code snapshot' },
  );
  return { codeId: version.id ?? client.armId('codes', name, '1'), hash: snapshot.hash, uploadedBytes: uploaded, reused: false };
}

/**
 * The id uploadCodeSnapshot gives a local folder, found without uploading or registering anything: that of the code
 * version of its content when there is one, else that of the version it would register.
 */
export async function plannedCodeId(dir: string, client: WorkspaceClient): Promise<string> {
  const { hash } = await hashCodeFolder(dir);
  const match = await uploadedCodeVersion(client, hash);
  return match?.id ?? client.armId('codes', codeName(hash), '1');
}

/** A name derived from the content makes a retried or repeated submission land on the same code version. */
function codeName(hash: string): string {
  return `code-${hash.slice(0, 40)}`;
}

/** The code version registered for content of this hash, if any. */
async function uploadedCodeVersion(client: WorkspaceClient, hash: string): Promise<CodeVersion | undefined> {
  const existing = await client.get<{ value: CodeVersion[] }>(`codes/${codeName(hash)}/versions`, {
    query: { hash, hashVersion: HASH_VERSION },
    operation: 'look for an existing code version',
    allowNotFound: true,
  });
  return existing?.value?.find((v) => v.properties?.properties?.['hash_sha256'] === hash) ?? existing?.value?.[0];
}

/** Files uploading at once. */
export const FILE_CONCURRENCY = 8;
/** Files up to this size go up in one Put Blob; larger ones in blocks of this size. */
export const SINGLE_SHOT_BYTES = 4 * 1024 * 1024;
/** Blocks of one large file in flight at once. */
export const BLOCK_CONCURRENCY = 4;

/**
 * Uploads with at most FILE_CONCURRENCY files (and BLOCK_CONCURRENCY blocks of each) in flight; returns the bytes sent.
 * Every request body is a read stream on a slice of the file, never a buffer, so memory does not grow with the
 * folder or its largest file, and a small file costs one request (uploadStream would stage a block and commit it,
 * with a buffer of the full block size each).
 */
export async function uploadFiles(container: ContainerClient, folder: string, files: Array<{ absPath: string; relPath: string; size: number }>, signal?: AbortSignal): Promise<number> {
  let total = 0;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const blob = container.getBlockBlobClient(`${folder}/${file.relPath}`);
      await blob.uploadFile(file.absPath, { blockSize: SINGLE_SHOT_BYTES, maxSingleShotSize: SINGLE_SHOT_BYTES, concurrency: BLOCK_CONCURRENCY, abortSignal: signal });
      total += file.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_CONCURRENCY, files.length) }, worker));
  return total;
}

function baseName(dir: string): string {
  return path.basename(path.resolve(dir));
}

function shortId(id: string): string {
  const m = /\/codes\/([^/]+)\/versions\/([^/]+)$/.exec(id);
  return m ? `code ${m[1]}:${m[2]}` : id;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
