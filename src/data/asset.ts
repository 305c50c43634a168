import * as path from 'path';
import { PassThrough } from 'stream';
import type { ContainerClient } from '@azure/storage-blob';
import { UserError } from '../errors';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { getDatastore, openDatastoreContainer, type DatastoreAccess } from '../workspace/datastore';
import { DATA_EXTENSIONS, gunzipSource, isDataFile, isGzipName, type DataSource } from './sources';


export interface AssetReadOptions extends DatastoreAccess {
  client: WorkspaceClient;
  log: Log;
  /** The input that named the asset, for messages. */
  inputName: string;
}


/**
 * The files of an Azure ML data asset (uri_file or uri_folder) or of an azureml://datastores/... path, as
 * sources that stream straight from blob storage: nothing is downloaded in full.
 */
export async function dataAssetSources(reference: string, o: AssetReadOptions): Promise<DataSource[]> {
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
  if (dataType === 'mltable') {
    throw new UserError(`Input '${o.inputName}': '${label}' is an MLTable data asset; DataValidate reads uri_file and uri_folder assets. Register the files as a uri_folder asset, or validate them on the agent with dataPath.`, { input: o.inputName });
  }
  const location = parseDatastoreUri(dataUri);
  if (!location) {
    throw new UserError(`Input '${o.inputName}': '${label}' points at ${dataUri}; DataValidate reads data assets stored on a workspace datastore (azureml://datastores/...).`, { input: o.inputName });
  }
  const datastore = await getDatastore(client, location.datastore);
  const container = await openDatastoreContainer(datastore, o);
  const sources = dataType === 'uri_folder' ? await folderSources(container, location.path, label) : [blobSource(container, location.path, `${label} (${path.posix.basename(location.path)})`)];
  if (sources.length === 0) throw new UserError(`Input '${o.inputName}': '${label}' holds no data files (${DATA_EXTENSIONS.join(', ')}, also with .gz).`, { input: o.inputName });
  o.log.info(`Reading ${sources.length} file(s) of ${label} from datastore '${location.datastore}'.`);
  return sources;
}

/** azureml://datastores/<ds>/paths/<path>, also in its long form with subscription, resource group and workspace. */
export function parseDatastoreUri(uri: string): { datastore: string; path: string } | undefined {
  const m = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.+)$/i.exec(uri);
  return m ? { datastore: m[1], path: m[2] } : undefined;
}

async function folderSources(container: ContainerClient, folder: string, label: string): Promise<DataSource[]> {
  const prefix = folder.endsWith('/') ? folder : `${folder}/`;
  const sources: DataSource[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) {
    if (!isDataFile(blob.name)) continue;
    sources.push(blobSource(container, blob.name, `${label} (${blob.name.slice(prefix.length)})`, blob.properties.contentLength));
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
