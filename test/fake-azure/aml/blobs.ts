import {
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
} from '@azure/storage-blob';
import { azuriteServiceClient } from '../storage';
import { diabetesCsv, SEEDED_DATA, type StorageInfo, type WorkspaceIdentity } from './seed';

/** What the workspace needs from its storage account (Azurite): containers, existence checks, SAS. */
export class WorkspaceBlobs {
  private readonly client: BlobServiceClient;

  constructor(private readonly storage: StorageInfo, private readonly id: WorkspaceIdentity) {
    this.client = azuriteServiceClient(storage);
  }

  /** `https://<account>.blob.<suffix>`: the production-style account URL the product builds from a datastore. */
  get accountUrl(): string {
    return `https://${this.storage.accountName}.blob.${this.storage.endpointSuffix}`;
  }

  /** Creates the datastores' containers and uploads the seeded data asset's file. */
  async init(): Promise<void> {
    await this.client.getContainerClient(this.id.defaultContainer).createIfNotExists();
    await this.client.getContainerClient(this.id.artifactContainer).createIfNotExists();
    const csv = diabetesCsv();
    await this.client.getContainerClient(this.id.defaultContainer).getBlockBlobClient(SEEDED_DATA.path).upload(csv, Buffer.byteLength(csv));
  }

  /** Container and blob path of a URL on this account (either URL style), or undefined for any other URL. */
  parse(url: string): { container: string; path: string } | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    const segments = decodeURIComponent(u.pathname).split('/').filter((s, i) => i > 0 || s !== '');
    const productHost = `${this.storage.accountName}.blob.${this.storage.endpointSuffix}`.toLowerCase();
    const service = new URL(this.storage.serviceUrl);
    if (u.host.toLowerCase() === productHost) {
      // production style: /<container>/<path>
    } else if (u.host === service.host && segments[0] === this.storage.accountName) {
      segments.shift();
    } else {
      return undefined;
    }
    const [container, ...rest] = segments;
    return container ? { container, path: rest.join('/') } : undefined;
  }

  /** True when a blob is named `path` or lives under the folder `path`. */
  async exists(container: string, path: string): Promise<boolean> {
    const c = this.client.getContainerClient(container);
    if (!(await c.exists())) return false;
    const folder = path.endsWith('/') || path === '' ? path : `${path}/`;
    for await (const blob of c.listBlobsFlat({ prefix: path })) {
      if (blob.name === path || blob.name.startsWith(folder)) return true;
    }
    return false;
  }

  /** The blobs named `path` or under the folder `path`, by name. */
  async list(container: string, path: string): Promise<string[]> {
    const c = this.client.getContainerClient(container);
    if (!(await c.exists())) return [];
    const folder = path.endsWith('/') || path === '' ? path : `${path}/`;
    const names: string[] = [];
    for await (const blob of c.listBlobsFlat({ prefix: path })) {
      if (blob.name === path || blob.name.startsWith(folder)) names.push(blob.name);
    }
    return names;
  }

  async read(container: string, path: string): Promise<string> {
    const buffer = await this.client.getContainerClient(container).getBlockBlobClient(path).downloadToBuffer();
    return buffer.toString('utf8');
  }

  async write(container: string, path: string, text: string): Promise<void> {
    await this.client.getContainerClient(container).getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
  }

  /** A write SAS for the default container and a blob folder in it, as startPendingUpload hands out. */
  pendingUpload(folder: string, now: Date): { blobUri: string; sasUri: string } {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: this.id.defaultContainer,
        permissions: ContainerSASPermissions.parse('racwl'),
        startsOn: new Date(now.getTime() - 5 * 60_000),
        expiresOn: new Date(now.getTime() + 24 * 3600_000),
        protocol: SASProtocol.Https,
      },
      new StorageSharedKeyCredential(this.storage.accountName, this.storage.accountKey),
    ).toString();
    const blobUri = `${this.accountUrl}/${this.id.defaultContainer}/${folder}`;
    return { blobUri, sasUri: `${blobUri}?${sas}` };
  }
}
