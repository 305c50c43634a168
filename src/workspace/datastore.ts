import { isRestError } from '@azure/core-rest-pipeline';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { WorkspaceClient } from './client';

export interface Datastore {
  name: string;
  properties: {
    datastoreType?: string;
    accountName?: string;
    containerName?: string;
    endpoint?: string;
    protocol?: string;
    isDefault?: boolean;
    credentials?: { credentialsType?: string };
  };
}

export interface DatastoreAccess {
  client: WorkspaceClient;
  /** Used for datastores without stored credentials (identity-based access). */
  credential: TokenCredential;
  onSecret: (value: string) => void;
}

/**
 * A refusal of Azure Storage (a missing role, stale credentials, a path that is gone) as a UserError that says what
 * to do; any other failure as it is. what: what was being read ("the blob data/x.csv").
 */
export function explainBlobError(e: unknown, ds: Datastore, what: string): unknown {
  if (e instanceof UserError || !isRestError(e) || e.statusCode === undefined) return e;
  const where = `datastore '${ds.name}' (storage account '${ds.properties.accountName ?? '?'}', container '${ds.properties.containerName ?? '?'}')`;
  const detail = `${e.code ? `${e.code}: ` : ''}${e.message.split('\n')[0].trim()}`;
  if (e.statusCode === 401 || e.statusCode === 403) {
    const identityBased = (ds.properties.credentials?.credentialsType ?? 'None') === 'None';
    return new UserError(
      `Azure Storage refused to let the pipeline read ${what} of ${where} (${detail}). ` +
        (identityBased
          ? "The datastore keeps no credentials, so the pipeline's own identity reads it: give the service connection's identity the 'Storage Blob Data Reader' role on the storage account."
          : "Its stored credentials may be out of date (update them in Azure ML studio, Data > Datastores), or the storage account's network rules may keep the agent out."),
    );
  }
  if (e.statusCode === 404) return new UserError(`${what[0].toUpperCase()}${what.slice(1)} of ${where} does not exist (${detail}): the data may have been moved or deleted.`);
  return e;
}

export async function getDatastore(client: WorkspaceClient, name: string): Promise<Datastore> {
  const ds = await client.get<Datastore>(`datastores/${name}`, { operation: `read the datastore '${name}'`, allowNotFound: true });
  if (!ds) throw new UserError(`The datastore '${name}' does not exist in workspace '${client.workspace.workspaceName}'.`);
  return ds;
}

export async function defaultDatastore(client: WorkspaceClient): Promise<Datastore> {
  const list = await client.get<{ value: Datastore[] }>('datastores', { query: { isDefault: 'true' }, operation: 'find the default datastore' });
  const ds = list?.value?.find((d) => d.properties) ?? undefined;
  if (!ds) throw new UserError(`The workspace '${client.workspace.workspaceName}' has no default datastore. Set one in Azure ML studio (Data > Datastores).`);
  return ds;
}

/**
 * The blob container behind an Azure Blob datastore, signed in with the datastore's stored account key or
 * SAS (read with listSecrets and masked at once), or with the pipeline's own identity for identity-based datastores.
 */
export async function openDatastoreContainer(ds: Datastore, access: DatastoreAccess): Promise<ContainerClient> {
  if (ds.properties.datastoreType && ds.properties.datastoreType !== 'AzureBlob') {
    throw new UserError(`The datastore '${ds.name}' is of type ${ds.properties.datastoreType}; only Azure Blob datastores are supported here.`);
  }
  const { accountName, containerName, endpoint, protocol } = ds.properties;
  if (!accountName || !containerName || !endpoint) throw new Error(`The datastore '${ds.name}' has no storage account, container or endpoint.`);
  const serviceUrl = `${protocol ?? 'https'}://${accountName}.blob.${endpoint}`;
  const credentialsType = ds.properties.credentials?.credentialsType ?? 'None';
  let service: BlobServiceClient;
  if (credentialsType === 'AccountKey' || credentialsType === 'Sas') {
    const secrets = await access.client.request<{ secretsType: string; key?: string; sasToken?: string }>('POST', `datastores/${ds.name}/listSecrets`, {
      operation: `read the credentials of datastore '${ds.name}'`,
    });
    const s = secrets!.body;
    if (s.secretsType === 'AccountKey' && s.key) {
      access.onSecret(s.key);
      service = new BlobServiceClient(serviceUrl, new StorageSharedKeyCredential(accountName, s.key));
    } else if (s.secretsType === 'Sas' && s.sasToken) {
      access.onSecret(s.sasToken);
      service = new BlobServiceClient(`${serviceUrl}?${s.sasToken.replace(/^\?/, '')}`);
    } else {
      throw new Error(`The datastore '${ds.name}' returned no usable ${credentialsType} secret.`);
    }
  } else {
    // Identity-based datastore: the pipeline's identity needs a Storage Blob Data role on the account.
    service = new BlobServiceClient(serviceUrl, access.credential);
  }
  return service.getContainerClient(containerName);
}
