import * as fs from 'fs';
import * as path from 'path';
import type { ModelSpec } from '../deploy/spec';
import { UserError } from '../errors';
import { resolveModelLocation, listModelFiles } from '../models/files';
import type { WorkspaceClient, WorkspaceCall } from '../workspace/client';
import { getDatastore, openDatastoreContainer } from '../workspace/datastore';

export interface ModelDownloadOptions extends WorkspaceCall {
  model: ModelSpec;
  /** The folder the files are written to, as registered (nested folders kept). */
  targetDir: string;
}

export interface DownloadedModel {
  name: string;
  version: string;
  id: string;
  type?: string;
  modelUri: string;
  /** Paths relative to the target folder, with `/`, sorted. */
  files: Array<{ path: string; bytes: number }>;
  totalBytes: number;
}

interface ModelVersionResource {
  id: string;
  name: string;
  properties: { modelUri?: string; modelType?: string };
}

const PARALLEL_DOWNLOADS = 4;

/**
 * Downloads a registered model version's files from the workspace's datastore, byte for byte, keeping the folder
 * layout it was registered with. A model registered as a single file is written under its own file name.
 */
export async function downloadModel(o: ModelDownloadOptions): Promise<DownloadedModel> {
  const { client } = o;
  const version = await readModelVersion(client, o.model, o.signal);
  const modelUri = version.properties.modelUri;
  if (!modelUri) throw new UserError(`The model ${shortName(version)} has no files (no modelUri) to package.`, { input: 'model' });
  const location = await resolveModelLocation(client, modelUri, o.signal);
  const datastore = await getDatastore(client, location.datastore);
  const container = await openDatastoreContainer(datastore, o);
  const listed = await listModelFiles(container, location.path, o.signal);
  if (listed.length === 0) {
    throw new UserError(`The model ${shortName(version)} points at ${modelUri}, where there are no files. Check the model in Azure ML studio.`, { input: 'model' });
  }
  const files = listed.map((f) => ({ ...f, relPath: f.relPath || path.posix.basename(f.blobName) }));
  for (const f of files) {
    // A blob name is data from the service: it must not write outside the target folder.
    const target = path.resolve(o.targetDir, ...f.relPath.split('/'));
    if (!target.startsWith(path.resolve(o.targetDir) + path.sep)) throw new Error(`The model file '${f.relPath}' would be written outside the target folder.`);
  }
  fs.mkdirSync(o.targetDir, { recursive: true });
  o.log.info(`Downloading ${files.length} file(s) of ${shortName(version)} from datastore '${datastore.name}'.`);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const target = path.join(o.targetDir, ...f.relPath.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await container.getBlobClient(f.blobName).downloadToFile(target, 0, undefined, { abortSignal: o.signal });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, files.length) }, worker));
  const sizes = files.map((f) => ({ path: f.relPath, bytes: fs.statSync(path.join(o.targetDir, ...f.relPath.split('/'))).size }));
  return {
    ...modelNameAndVersion(version),
    id: version.id,
    type: version.properties.modelType,
    modelUri,
    files: sizes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    totalBytes: sizes.reduce((s, f) => s + f.bytes, 0),
  };
}

/** The model version a reference names, checked to exist in this workspace. */
export async function readModelVersion(client: WorkspaceClient, model: ModelSpec, signal?: AbortSignal): Promise<ModelVersionResource> {
  let name: string;
  let version: string | undefined;
  if (model.kind === 'armId') {
    const m = /\/workspaces\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(model.id);
    if (!m) throw new UserError(`Input 'model': '${model.id}' is a model in an Azure ML registry; package it from a workspace it is registered in (promote it with AmlRegisterModel first).`, { input: 'model' });
    if (m[1].toLowerCase() !== client.workspace.workspaceName.toLowerCase()) {
      throw new UserError(`Input 'model': the model version '${model.id}' belongs to workspace '${m[1]}', not '${client.workspace.workspaceName}'. Use that workspace, or the model's name and version in this one.`, { input: 'model' });
    }
    [name, version] = [m[2], m[3]];
  } else {
    name = model.name;
    version = model.version;
  }
  if (version === undefined) {
    const container = await client.get<{ properties?: { latestVersion?: string } }>(`models/${encodeURIComponent(name)}`, { operation: `read the model '${name}'`, allowNotFound: true, signal });
    version = container?.properties?.latestVersion;
    if (!version) throw new UserError(`Input 'model': the model '${name}' does not exist in workspace '${client.workspace.workspaceName}'.`, { input: 'model' });
  }
  const found = await client.get<ModelVersionResource>(`models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, {
    operation: `read the model '${name}:${version}'`,
    allowNotFound: true,
    signal,
  });
  if (!found) throw new UserError(`Input 'model': the model '${name}:${version}' does not exist in workspace '${client.workspace.workspaceName}'. Check the name and version.`, { input: 'model' });
  return found;
}

/** Name and version from a model version's id (the resource's own `name` is its version). */
export function modelNameAndVersion(v: { id: string }): { name: string; version: string } {
  const m = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(v.id);
  if (!m) throw new Error(`'${v.id}' is not the id of a model version.`);
  return { name: decodeURIComponent(m[1]), version: decodeURIComponent(m[2]) };
}

function shortName(v: ModelVersionResource): string {
  const { name, version } = modelNameAndVersion(v);
  return `${name}:${version}`;
}
