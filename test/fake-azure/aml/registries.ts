// An Azure ML registry behind the front door: the registry resource, its model containers and versions
// (created as an LRO, as Azure ML does), and pending uploads to the registry's own storage container.
import { randomUUID } from 'crypto';
import {
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
} from '@azure/storage-blob';
import { armError, type FakeRequest, type FakeResponse, type Principal } from '../http';
import { deepEqual, validatorFor, VALIDATED_API_VERSION } from '../schema';
import { azuriteServiceClient } from '../storage';
import { validBody, type ArmCall } from './context';
import { listPage } from './lists';
import { ok, systemData, userError, type SystemData } from './responses';
import { NAME_PATTERN, PROVIDER, sameText, stableGuid } from './scope';
import type { StorageInfo } from './seed';

export interface RegistryServiceOptions {
  baseUrl: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  location: string;
  /** Principals with a role on the registry; anyone else gets 403 AuthorizationFailed. */
  authorizedAppIds: string[];
  storage: StorageInfo | undefined;
}

export interface RegistryService {
  readonly registryName: string;
  readonly resourceGroup: string;
  /** The registry's storage: its blob container in Azurite and the ARM id of the (system-created) account. */
  readonly storage: { container: string; storageAccountId: string };
  /** ARM requests for this registry (and its operation status URLs); undefined = not mine. */
  handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined>;
  /** Model versions as GET returns them. */
  models(): Array<{ id: string; name: string; version: string; properties: any }>;
  /** Model containers and versions created by PUT: 0 means nothing was created. */
  createdCount(): number;
  ready(): Promise<void>;
}

export function createRegistryService(o: RegistryServiceOptions): RegistryService {
  return new FakeRegistry(o);
}

interface ModelVersion {
  name: string;
  version: string;
  body: any;
  systemData: SystemData;
  created: Date;
  provisioningState: 'Creating' | 'Succeeded';
}

interface ModelContainer {
  name: string;
  created: Date;
  systemData: SystemData;
  versions: Map<string, ModelVersion>;
}

/** An operation status URL answers InProgress this many times, then Succeeded. */
const POLLS_IN_PROGRESS = 1;

class FakeRegistry implements RegistryService {
  readonly registryName: string;
  readonly resourceGroup: string;
  readonly storage: { container: string; storageAccountId: string };
  private readonly registryId: string;
  private readonly authorized: Set<string>;
  private readonly models_ = new Map<string, ModelContainer>();
  private readonly operations = new Map<string, { version: ModelVersion; polls: number }>();
  private readonly pendingUploads = new Map<string, string>();
  private readonly blobs?: BlobServiceClient;
  private readonly initialized: Promise<void>;
  private created = 0;

  constructor(private readonly o: RegistryServiceOptions) {
    this.registryName = o.registryName;
    this.resourceGroup = o.resourceGroup;
    this.registryId = `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}/providers/${PROVIDER}/registries/${o.registryName}`;
    const guid = stableGuid(this.registryId.toLowerCase());
    this.storage = {
      container: `registry-${guid}`,
      storageAccountId: `/subscriptions/${o.subscriptionId}/resourceGroups/azureml-rg-${o.registryName}_${guid}/providers/Microsoft.Storage/storageAccounts/${o.storage?.accountName ?? 'devstoreaccount1'}`,
    };
    this.authorized = new Set(o.authorizedAppIds.map((a) => a.toLowerCase()));
    if (o.storage) this.blobs = azuriteServiceClient(o.storage);
    this.initialized = this.blobs ? this.blobs.getContainerClient(this.storage.container).createIfNotExists().then(() => undefined) : Promise.resolve();
    this.initialized.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.initialized;
  }

  createdCount(): number {
    return this.created;
  }

  models(): Array<{ id: string; name: string; version: string; properties: any }> {
    return [...this.models_.values()].flatMap((c) => [...c.versions.values()].map((v) => {
      const view = this.versionView(v);
      return { id: view.id, name: v.name, version: v.version, properties: view.properties };
    }));
  }

  async handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined> {
    const seg = req.url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    const is = (i: number, word: string) => sameText(seg[i], word);
    if (!is(0, 'subscriptions') || !sameText(seg[1], this.o.subscriptionId)) return undefined;
    const operation = is(2, 'providers') && is(3, PROVIDER) && is(4, 'locations') && is(6, 'mfeOperationsStatus') && seg.length === 8;
    if (operation && !this.operations.has(seg[7])) return undefined;
    const mine = is(2, 'resourceGroups') && sameText(seg[3], this.o.resourceGroup) && is(4, 'providers') && is(5, PROVIDER) && is(6, 'registries') && sameText(seg[7], this.registryName);
    if (!operation && !mine) return undefined;

    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion) return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    if (!this.authorized.has(principal.appId.toLowerCase())) {
      return armError(403, 'AuthorizationFailed',
        `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action '${actionOf(req.method, seg.slice(8))}' ` +
        `over scope '${req.url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    }
    if (apiVersion !== VALIDATED_API_VERSION) {
      return armError(400, 'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.o.location}' and API version '${apiVersion}' for type 'registries'. The supported api-versions are '${VALIDATED_API_VERSION}'.`);
    }
    try {
      await this.initialized;
    } catch (e) {
      return armError(500, 'InternalServerError', `The fake registry's blob storage could not be prepared: ${(e as Error).message}`);
    }
    if (operation) return this.pollOperation(seg[7]);

    const call: ArmCall = { req, principal, apiVersion };
    const [collection, name, versionsWord, version, action, ...extra] = seg.slice(8);
    if (collection === undefined) return req.method === 'GET' ? ok(this.view()) : methodNotAllowed(req.method);
    if (!sameText(collection, 'models') || extra.length) return undefined;
    if (name === undefined) return req.method === 'GET' ? this.listContainers(req) : methodNotAllowed(req.method);
    if (versionsWord === undefined) return req.method === 'GET' ? this.getContainer(name) : methodNotAllowed(req.method);
    if (!sameText(versionsWord, 'versions')) return undefined;
    if (version === undefined) return req.method === 'GET' ? this.listVersions(req, name) : methodNotAllowed(req.method);
    if (action !== undefined) {
      return sameText(action, 'startPendingUpload') && req.method === 'POST' ? this.startPendingUpload(call, name, version) : undefined;
    }
    if (req.method === 'GET') return this.getVersion(name, version);
    if (req.method === 'PUT') return this.putVersion(call, name, version);
    return methodNotAllowed(req.method);
  }

  private view(): any {
    const o = this.o;
    const host = new URL(o.baseUrl).host;
    return {
      id: this.registryId,
      name: this.registryName,
      type: `${PROVIDER}/registries`,
      location: o.location,
      tags: {},
      kind: '',
      identity: { type: 'SystemAssigned', principalId: stableGuid(`registry-mi/${this.registryId}`), tenantId: o.tenantId },
      sku: { name: 'P3', tier: 'Standard' },
      systemData: systemData(undefined, new Date('2024-05-01T08:00:00.000Z')),
      properties: {
        discoveryUrl: `${o.baseUrl}/registrymanagement/v1.0/registries/${this.registryName}/discoveryUrl`,
        intellectualPropertyPublisher: null,
        managedResourceGroup: { resourceId: this.storage.storageAccountId.split('/providers/')[0] },
        mlFlowRegistryUri: `azureml://${host}/mlflow/v1.0${this.registryId}`,
        publicNetworkAccess: 'Enabled',
        registryPrivateEndpointConnections: [],
        regionDetails: [{
          location: o.location,
          acrDetails: [{ systemCreatedAcrAccount: { acrAccountName: `acr${this.registryName.replace(/[^a-z0-9]/gi, '').toLowerCase()}`, acrAccountSku: 'Premium' } }],
          storageAccountDetails: [{
            systemCreatedStorageAccount: {
              storageAccountName: o.storage?.accountName ?? 'devstoreaccount1',
              storageAccountType: 'Standard_LRS',
              storageAccountHnsEnabled: false,
              allowBlobPublicAccess: false,
              armResourceId: { resourceId: this.storage.storageAccountId },
            },
          }],
        }],
      },
    };
  }

  private containerView(c: ModelContainer): any {
    const versions = [...c.versions.values()];
    const latest = versions.reduce<ModelVersion | undefined>((a, b) => (!a || b.created >= a.created ? b : a), undefined);
    const numbers = versions.map((v) => v.version).filter((v) => /^\d+$/.test(v)).map(Number);
    return {
      id: `${this.registryId}/models/${c.name}`,
      name: c.name,
      type: `${PROVIDER}/registries/models`,
      properties: {
        description: null,
        tags: {},
        properties: {},
        isArchived: false,
        latestVersion: latest?.version ?? null,
        nextVersion: String(numbers.length ? Math.max(...numbers) + 1 : 1),
        provisioningState: 'Succeeded',
      },
      systemData: c.systemData,
    };
  }

  private versionView(v: ModelVersion): any {
    return {
      id: `${this.registryId}/models/${v.name}/versions/${v.version}`,
      name: v.version,
      type: `${PROVIDER}/registries/models/versions`,
      properties: { description: null, tags: {}, properties: {}, ...v.body.properties, provisioningState: v.provisioningState },
      systemData: v.systemData,
    };
  }

  private listContainers(req: FakeRequest): FakeResponse {
    return listPage(req, [...this.models_.values()].map((c) => ({ view: this.containerView(c), created: c.created, name: c.name })), this.o.baseUrl);
  }

  private getContainer(name: string): FakeResponse {
    const c = this.models_.get(name);
    return c ? ok(this.containerView(c)) : userError(`Could not find model container '${name}' in registry '${this.registryName}'.`, 404);
  }

  private listVersions(req: FakeRequest, name: string): FakeResponse {
    const versions = [...(this.models_.get(name)?.versions.values() ?? [])];
    return listPage(req, versions.map((v) => ({ view: this.versionView(v), created: v.created, name: v.version })), this.o.baseUrl);
  }

  private getVersion(name: string, version: string): FakeResponse {
    const v = this.models_.get(name)?.versions.get(version);
    return v ? ok(this.versionView(v)) : userError(`Could not find model asset ${name}:${version} in registry '${this.registryName}'.`, 404);
  }

  /** A write SAS on the registry's container, for one folder per model version (the same one when asked again). */
  private startPendingUpload(call: ArmCall, name: string, version: string): FakeResponse {
    const checked = validBody(call, 'PendingUploadRequestDto', `startPendingUpload of model ${name}:${version}`);
    if ('error' in checked) return checked.error;
    if (!NAME_PATTERN.test(name)) return userError(`'${name}' is not a valid model name: it must match ${NAME_PATTERN.source}.`);
    if (this.models_.get(name)?.versions.has(version)) {
      return userError(`Model ${name}:${version} already exists in registry '${this.registryName}'; a registry asset version cannot be uploaded again.`);
    }
    if (!this.o.storage) return userError('This fake registry was started without blob storage, so it cannot hand out upload locations.');
    const key = `${name}/${version}`;
    const pendingUploadId: string = checked.body.pendingUploadId ?? this.pendingUploads.get(key) ?? randomUUID();
    this.pendingUploads.set(key, pendingUploadId);
    const now = new Date();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: this.storage.container,
        permissions: ContainerSASPermissions.parse('racwl'),
        startsOn: new Date(now.getTime() - 5 * 60_000),
        expiresOn: new Date(now.getTime() + 24 * 3600_000),
        protocol: SASProtocol.Https,
      },
      new StorageSharedKeyCredential(this.o.storage.accountName, this.o.storage.accountKey),
    ).toString();
    const blobUri = `${this.accountUrl()}/${this.storage.container}/LocalUpload/${pendingUploadId.replace(/-/g, '')}`;
    return ok({
      blobReferenceForConsumption: { blobUri, storageAccountArmId: this.storage.storageAccountId, credential: { credentialType: 'SAS', sasUri: `${blobUri}?${sas}` } },
      pendingUploadId,
      pendingUploadType: 'TemporaryBlobReference',
    });
  }

  /**
   * Creates a version (201 + Azure-AsyncOperation, provisioning until the operation is polled to Succeeded).
   * The model's files must already be in the registry's storage: Azure ML copies them into the registry when the
   * version is created and fails the creation when there is nothing there.
   */
  private async putVersion(call: ArmCall, name: string, version: string): Promise<FakeResponse> {
    const what = `model version ${name}:${version} in registry '${this.registryName}'`;
    if (!NAME_PATTERN.test(name)) return userError(`'${name}' is not a valid model name: it must match ${NAME_PATTERN.source}.`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(version)) return userError(`'${version}' is not a valid version: use letters, digits, '.', '-' or '_', starting with a letter or digit.`);
    const checked = validBody(call, 'ModelVersionResource', what);
    if ('error' in checked) return checked.error;
    const body = checked.body;
    const existing = this.models_.get(name)?.versions.get(version);
    if (existing) {
      if (existing.body.properties?.modelUri !== body.properties?.modelUri) return userError('Asset paths cannot be updated.');
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('ModelVersionResource', existing.body, body);
      if (changed.length) return userError(`${what} already exists; these properties cannot be changed: ${changed.join(', ')}.`, 409);
      if (!deepEqual(existing.body, body)) {
        existing.body = body;
        existing.systemData = systemData(call.principal, new Date(), existing.systemData);
      }
      return ok(this.versionView(existing), 200);
    }
    const problem = await this.modelUriProblem(body.properties?.modelUri);
    if (problem) return userError(`The request body for ${what} is invalid: properties.modelUri: ${problem}`);

    const now = new Date();
    let container = this.models_.get(name);
    if (!container) {
      container = { name, created: now, systemData: systemData(call.principal, now), versions: new Map() };
      this.models_.set(name, container);
      this.created += 1;
    }
    const record: ModelVersion = { name, version, body, systemData: systemData(call.principal, now), created: now, provisioningState: 'Creating' };
    container.versions.set(version, record);
    this.created += 1;
    const operationId = randomUUID();
    this.operations.set(operationId, { version: record, polls: 0 });
    const status = `${this.o.baseUrl}/subscriptions/${this.o.subscriptionId}/providers/${PROVIDER}/locations/${this.o.location}/mfeOperationsStatus/${operationId}?api-version=${call.apiVersion}`;
    return ok(this.versionView(record), 201, { 'Azure-AsyncOperation': status, 'Retry-After': '0' });
  }

  private pollOperation(id: string): FakeResponse {
    const op = this.operations.get(id)!;
    op.polls += 1;
    const done = op.polls > POLLS_IN_PROGRESS;
    if (done) op.version.provisioningState = 'Succeeded';
    return ok({ id, name: id, status: done ? 'Succeeded' : 'InProgress' }, 200, done ? undefined : { 'Retry-After': '0' });
  }

  private async modelUriProblem(uri: unknown): Promise<string | undefined> {
    if (typeof uri !== 'string' || !uri) return 'is required: a registry model version points at files uploaded to the registry (startPendingUpload)';
    if (!this.blobs || !this.o.storage) return undefined;
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      return `'${uri}' is not a URL of the registry's storage`;
    }
    const [container, ...rest] = decodeURIComponent(u.pathname).split('/').filter((s) => s !== '');
    if (`${u.protocol}//${u.host}`.toLowerCase() !== this.accountUrl().toLowerCase() || container !== this.storage.container) {
      return `'${uri}' is not in the registry's storage (${this.accountUrl()}/${this.storage.container}/...): upload the files with startPendingUpload first`;
    }
    const path = rest.join('/');
    const c = this.blobs.getContainerClient(container);
    for await (const blob of c.listBlobsFlat({ prefix: path })) {
      if (blob.name === path || blob.name.startsWith(`${path}/`)) return undefined;
    }
    return `nothing was uploaded at ${uri}`;
  }

  private accountUrl(): string {
    return `https://${this.o.storage!.accountName}.blob.${this.o.storage!.endpointSuffix}`;
  }
}

function methodNotAllowed(method: string): FakeResponse {
  return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `The fake registry does not support ${method} on this resource.` } } };
}

function actionOf(method: string, rest: string[]): string {
  const type = `${PROVIDER}/registries${rest[0] ? `/${rest[0]}` : ''}${rest[2] ? '/versions' : ''}`;
  if (method === 'POST' && rest[4]) return `${type}/${rest[4]}/action`;
  if (method === 'PUT') return `${type}/write`;
  return `${type}/read`;
}
