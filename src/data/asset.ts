import * as path from 'path';
import { PassThrough } from 'stream';
import type { ContainerClient } from '@azure/storage-blob';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { getDatastore, openDatastoreContainer, type DatastoreAccess } from '../workspace/datastore';
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
  const containers = new Map<string, Promise<ContainerClient>>();
  const containerOf = (name: string) => {
    let container = containers.get(name);
    if (!container) containers.set(name, (container = getDatastore(client, name).then((datastore) => openDatastoreContainer(datastore, o))));
    return container;
  };
  const container = await containerOf(location.datastore);
  let data: AssetData;
  if (dataType === 'mltable') data = await mlTableData(container, location.path, label, containerOf, o);
  else data = { sources: dataType === 'uri_folder' ? await folderSources(container, location.path, (blob, prefix) => `${label} (${blob.slice(prefix.length)})`) : [blobSource(container, location.path, `${label} (${path.posix.basename(location.path)})`)] };
  if (data.sources.length === 0) throw new UserError(`Input '${o.inputName}': '${label}' holds no data files (${DATA_EXTENSIONS.join(', ')}, also with .gz).`, { input: o.inputName });
  o.log.info(`Reading ${data.sources.length} file(s) of ${label} from datastore '${location.datastore}'.`);
  return data;
}

/**
 * The files an mltable asset's MLTable file names (its paths, relative to the file's folder or on a datastore),
 * and its read settings. Its other transformations are not applied: the task says so.
 */
async function mlTableData(
  container: ContainerClient,
  folder: string,
  label: string,
  containerOf: (datastore: string) => Promise<ContainerClient>,
  o: AssetReadOptions,
): Promise<AssetData> {
  const root = folder.replace(/\/+$/, '');
  const fileName = `${root}/MLTable`;
  const where = `the MLTable file of ${label}`;
  let text: string;
  try {
    text = (await container.getBlobClient(fileName).downloadToBuffer()).toString('utf8');
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) {
      throw new UserError(`Input '${o.inputName}': '${label}' is an mltable asset, but its folder has no MLTable file (${fileName}).`, { input: o.inputName });
    }
    throw e;
  }
  const spec = parseMlTable(text, `Input '${o.inputName}': ${where}`);
  if (spec.ignored.length > 0) {
    o.log.warning(`${label}: DataValidate checks the files its MLTable reads as they are; its transformations ${spec.ignored.join(', ')} are not applied.`);
  }
  const sources: DataSource[] = [];
  for (const entry of spec.paths) sources.push(...(await mlTablePathSources(entry, container, root, label, containerOf, `Input '${o.inputName}': ${where}`)));
  return { sources, read: spec.read };
}

async function mlTablePathSources(
  entry: MlTablePath,
  container: ContainerClient,
  root: string,
  label: string,
  containerOf: (datastore: string) => Promise<ContainerClient>,
  where: string,
): Promise<DataSource[]> {
  let blobPath: string;
  let inContainer = container;
  if (/^[a-z][a-z0-9+.-]*:/i.test(entry.value)) {
    const location = parseDatastoreUri(entry.value);
    if (!location) {
      throw new UserError(`${where} reads ${entry.value}; DataValidate reads MLTable paths relative to the MLTable file, or on a workspace datastore (azureml://datastores/...).`);
    }
    inContainer = await containerOf(location.datastore);
    blobPath = location.path.replace(/\/+$/, '');
  } else {
    const joined = path.posix.normalize(`${root}/${entry.value}`).replace(/\/+$/, '');
    if (joined === '..' || joined.startsWith('../')) throw new UserError(`${where}: the path ${entry.value} leads out of the datastore.`);
    blobPath = joined === '.' ? '' : joined;
  }
  const name = (blob: string) => `${label} (${blob.startsWith(`${root}/`) ? blob.slice(root.length + 1) : blob})`;
  if (entry.kind === 'file') {
    if (!(await inContainer.getBlobClient(blobPath).exists())) throw new UserError(`${where} reads the file ${entry.value}, which does not exist (${blobPath}).`);
    return [blobSource(inContainer, blobPath, name(blobPath))];
  }
  if (entry.kind === 'folder') {
    const sources = await folderSources(inContainer, blobPath, name);
    if (sources.length === 0) throw new UserError(`${where}: the folder ${entry.value} holds no data files (${DATA_EXTENSIONS.join(', ')}, also with .gz).`);
    return sources;
  }
  // A pattern: the blobs under its folders without wildcards that match it as a whole.
  const fixed = blobPath.split('/');
  const firstWild = fixed.findIndex((segment) => /[*?[{]/.test(segment));
  const prefix = firstWild <= 0 ? '' : `${fixed.slice(0, firstWild).join('/')}/`;
  const re = globToRegExp(blobPath, { classes: true, caseSensitive: true });
  const sources: DataSource[] = [];
  for await (const blob of inContainer.listBlobsFlat({ prefix })) {
    if (re.test(blob.name) && isDataFile(blob.name)) sources.push(blobSource(inContainer, blob.name, name(blob.name), blob.properties.contentLength));
  }
  if (sources.length === 0) throw new UserError(`${where}: no data file matches the pattern ${entry.value}.`);
  return sources.sort((a, b) => a.name.localeCompare(b.name));
}

/** azureml://datastores/<ds>/paths/<path>, also in its long form with subscription, resource group and workspace. */
export function parseDatastoreUri(uri: string): { datastore: string; path: string } | undefined {
  const m = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.+)$/i.exec(uri);
  return m ? { datastore: m[1], path: m[2] } : undefined;
}

/** The data files in a folder and below it; nameOf names each by its blob name (and the folder's prefix). */
async function folderSources(container: ContainerClient, folder: string, nameOf: (blobName: string, prefix: string) => string): Promise<DataSource[]> {
  const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  const sources: DataSource[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) {
    if (!isDataFile(blob.name)) continue;
    sources.push(blobSource(container, blob.name, nameOf(blob.name, prefix), blob.properties.contentLength));
  }
  return sources.sort((a, b) => a.name.localeCompare(b.name));
}

function blobSource(container: ContainerClient, blobName: string, name: string, size?: number): DataSource {
  return isGzipName(blobName) ? gunzipSource(plainBlobSource(container, blobName, name, size)) : plainBlobSource(container, blobName, name, size);
}

function plainBlobSource(container: ContainerClient, blobName: string, name: string, size?: number): DataSource {
  const blob = container.getBlobClient(blobName);
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
          body.on('error', (e) => out.destroy(e));
          body.pipe(out);
        })
        .catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
      return out;
    },
  };
}
