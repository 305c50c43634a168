import * as path from 'path';
import { PassThrough } from 'stream';
import type { ContainerClient } from '@azure/storage-blob';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { explainBlobError, getDatastore, openDatastoreContainer, type Datastore, type DatastoreAccess } from '../workspace/datastore';
import { parseMlTable, type MlTablePath, type TableRead } from './mltable';
import { DATA_EXTENSIONS, globToRegExp, gunzipSource, isDataFile, isGzipName, type DataSource } from './sources';

export interface AssetReadOptions extends DatastoreAccess {
  client: WorkspaceClient;
  log: Log;
  /** The input that named the asset, for messages. */
  inputName: string;
}

/** The files of a data asset, and how its MLTable says to read them (for an mltable asset). */
export interface AssetData {
  sources: DataSource[];
  read?: TableRead;
}

/**
 * The files of an Azure ML data asset (uri_file, uri_folder, or the files an mltable asset's MLTable file names) or
 * of an azureml://datastores/... path, as sources that stream straight from blob storage: nothing is downloaded in
 * full.
 */
export async function dataAssetSources(reference: string, o: AssetReadOptions): Promise<AssetData> {
  const { client } = o;
  let dataUri: string;
  let dataType: string;
  let label: string;
  if (/^azureml:\/\//i.test(reference)) {
    dataUri = reference;
    dataType = reference.endsWith('/') ? 'uri_folder' : 'uri_file';
    label = reference;
  } else {
    const m = /^azureml:([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([^:@]+)|@latest)?$/i.exec(reference);
    if (!m) {
      throw new UserError(`Input '${o.inputName}': '${reference}' is not a data asset reference. Use azureml:<name>:<version> or azureml:<name>@latest.`, { input: o.inputName });
    }
    const [, name, requested] = m;
    let version: string | undefined = requested;
    if (!version) {
      const container = await client.get<{ properties?: { latestVersion?: string } }>(`data/${name}`, { operation: `read the data asset '${name}'`, allowNotFound: true });
      version = container?.properties?.latestVersion;
      if (!version) throw new UserError(`Input '${o.inputName}': the data asset '${name}' does not exist in workspace '${client.workspace.workspaceName}'.`, { input: o.inputName });
    }
    const asset = await client.get<{ properties: { dataUri: string; dataType: string } }>(`data/${name}/versions/${version}`, {
      operation: `read the data asset '${name}:${version}'`,
      allowNotFound: true,
    });
    if (!asset) {
      throw new UserError(`Input '${o.inputName}': the data asset '${name}:${version}' does not exist in workspace '${client.workspace.workspaceName}'. Check the name and version.`, { input: o.inputName });
    }
    dataUri = asset.properties.dataUri;
    dataType = asset.properties.dataType;
    label = `azureml:${name}:${version}`;
  }
  const location = parseDatastoreUri(dataUri);
  if (!location) {
    throw new UserError(`Input '${o.inputName}': '${label}' points at ${dataUri}; DataValidate reads data assets stored on a workspace datastore (azureml://datastores/...).`, { input: o.inputName });
  }
  const stores = new Map<string, Promise<DatastoreBlobs>>();
  const storeOf = (name: string) => {
    let store = stores.get(name);
    if (!store) stores.set(name, (store = getDatastore(client, name).then(async (ds) => new DatastoreBlobs(await openDatastoreContainer(ds, o), ds))));
    return store;
  };
  const store = await storeOf(location.datastore);
  let data: AssetData;
  if (dataType === 'mltable') data = await mlTableData(store, location.path, label, storeOf, o);
  else if (dataType === 'uri_folder') data = { sources: await store.folder(location.path, (blob, prefix) => `${label} (${blob.slice(prefix.length)})`) };
  else data = { sources: [store.source(location.path, `${label} (${path.posix.basename(location.path)})`)] };
  if (data.sources.length === 0) throw new UserError(`Input '${o.inputName}': '${label}' holds no data files (${DATA_EXTENSIONS.join(', ')}, also with .gz).`, { input: o.inputName });
  o.log.info(`Reading ${data.sources.length} file(s) of ${label} from datastore '${location.datastore}'.`);
  return data;
}

/**
 * The files an mltable asset's MLTable file names (its paths, relative to the file's folder or on a datastore),
 * and its read settings. Its other transformations are not applied: the task says so.
 */
async function mlTableData(
  store: DatastoreBlobs,
  folder: string,
  label: string,
  storeOf: (datastore: string) => Promise<DatastoreBlobs>,
  o: AssetReadOptions,
): Promise<AssetData> {
  const root = folder.replace(/\/+$/, '');
  const fileName = `${root}/MLTable`;
  const where = `the MLTable file of ${label}`;
  if (!(await store.exists(fileName))) {
    throw new UserError(`Input '${o.inputName}': '${label}' is an mltable asset, but its folder has no MLTable file (${fileName}).`, { input: o.inputName });
  }
  const text = await store.text(fileName);
  const spec = parseMlTable(text, `Input '${o.inputName}': ${where}`);
  if (spec.ignored.length > 0) {
    o.log.warning(`${label}: DataValidate checks the files its MLTable reads as they are; its transformations ${spec.ignored.join(', ')} are not applied.`);
  }
  const sources: DataSource[] = [];
  for (const entry of spec.paths) sources.push(...(await mlTablePathSources(entry, store, root, label, storeOf, `Input '${o.inputName}': ${where}`)));
  return { sources, read: spec.read };
}

async function mlTablePathSources(
  entry: MlTablePath,
  store: DatastoreBlobs,
  root: string,
  label: string,
  storeOf: (datastore: string) => Promise<DatastoreBlobs>,
  where: string,
): Promise<DataSource[]> {
  let blobPath: string;
  let inStore = store;
  if (/^[a-z][a-z0-9+.-]*:/i.test(entry.value)) {
    const location = parseDatastoreUri(entry.value);
    if (!location) {
      throw new UserError(`${where} reads ${entry.value}; DataValidate reads MLTable paths relative to the MLTable file, or on a workspace datastore (azureml://datastores/...).`);
    }
    inStore = await storeOf(location.datastore);
    blobPath = location.path.replace(/\/+$/, '');
  } else {
    const joined = path.posix.normalize(`${root}/${entry.value}`).replace(/\/+$/, '');
    if (joined === '..' || joined.startsWith('../')) throw new UserError(`${where}: the path ${entry.value} leads out of the datastore.`);
    blobPath = joined === '.' ? '' : joined;
  }
  const name = (blob: string) => `${label} (${blob.startsWith(`${root}/`) ? blob.slice(root.length + 1) : blob})`;
  if (entry.kind === 'file') {
    if (!(await inStore.exists(blobPath))) throw new UserError(`${where} reads the file ${entry.value}, which does not exist (${blobPath}).`);
    return [inStore.source(blobPath, name(blobPath))];
  }
  if (entry.kind === 'folder') {
    const sources = await inStore.folder(blobPath, name);
    if (sources.length === 0) throw new UserError(`${where}: the folder ${entry.value} holds no data files (${DATA_EXTENSIONS.join(', ')}, also with .gz).`);
    return sources;
  }
  // A pattern: the blobs under its folders without wildcards that match it as a whole.
  const fixed = blobPath.split('/');
  const firstWild = fixed.findIndex((segment) => /[*?[{]/.test(segment));
  const sources = await inStore.folder(firstWild <= 0 ? '' : fixed.slice(0, firstWild).join('/'), name, globToRegExp(blobPath, { classes: true, caseSensitive: true }));
  if (sources.length === 0) throw new UserError(`${where}: no data file matches the pattern ${entry.value}.`);
  return sources;
}

/** azureml://datastores/<ds>/paths/<path>, also in its long form with subscription, resource group and workspace. */
export function parseDatastoreUri(uri: string): { datastore: string; path: string } | undefined {
  const m = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.+)$/i.exec(uri);
  return m ? { datastore: m[1], path: m[2] } : undefined;
}

/**
 * The blobs of one datastore, read with its container client; what Azure Storage refuses (a missing role, stale
 * credentials, a blob that is gone) becomes a UserError that says what to do (explainBlobError).
 */
class DatastoreBlobs {
  constructor(
    private readonly container: ContainerClient,
    private readonly ds: Datastore,
  ) {}

  private explain(e: unknown, what: string): unknown {
    return explainBlobError(e, this.ds, what);
  }

  async *list(prefix: string): AsyncIterable<{ name: string; properties: { contentLength?: number } }> {
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix })) yield blob;
    } catch (e) {
      throw this.explain(e, `the blobs under '${prefix}'`);
    }
  }

  async exists(blobName: string): Promise<boolean> {
    try {
      return await this.container.getBlobClient(blobName).exists();
    } catch (e) {
      throw this.explain(e, `the blob '${blobName}'`);
    }
  }

  async text(blobName: string): Promise<string> {
    try {
      return (await this.container.getBlobClient(blobName).downloadToBuffer()).toString('utf8');
    } catch (e) {
      throw this.explain(e, `the blob '${blobName}'`);
    }
  }

  /**
   * The data files in a folder and below it (those whose whole name matches, with matching); nameOf names each by
   * its blob name (and the folder's prefix).
   */
  async folder(folder: string, nameOf: (blobName: string, prefix: string) => string, matching?: RegExp): Promise<DataSource[]> {
    const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
    const sources: DataSource[] = [];
    for await (const blob of this.list(prefix)) {
      if (!isDataFile(blob.name) || (matching && !matching.test(blob.name))) continue;
      sources.push(this.source(blob.name, nameOf(blob.name, prefix), blob.properties.contentLength));
    }
    return sources.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A blob as a source, decompressed as it is read when its name ends in .gz. */
  source(blobName: string, name: string, size?: number): DataSource {
    const plain = this.plainSource(blobName, name, size);
    return isGzipName(blobName) ? gunzipSource(plain) : plain;
  }

  private plainSource(blobName: string, name: string, size?: number): DataSource {
    const blob = this.container.getBlobClient(blobName);
    const explain = (e: unknown) => {
      const explained = this.explain(e, `the blob '${blobName}'`);
      return explained instanceof Error ? explained : new Error(String(explained));
    };
    return {
      name,
      size,
      open(range) {
        // Streams the blob (or a byte range of it) as it downloads.
        const out = new PassThrough();
        const start = range?.start ?? 0;
        const count = range?.end !== undefined ? range.end - start : undefined;
        blob
          .download(start, count)
          .then((response) => {
            const body = response.readableStreamBody;
            if (!body) {
              out.end();
              return;
            }
            body.on('error', (e) => out.destroy(explain(e)));
            body.pipe(out);
          })
          .catch((e: unknown) => out.destroy(explain(e)));
        return out;
      },
    };
  }
}
