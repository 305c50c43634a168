import { join } from 'path';
import { AdoOidcService } from './ado';
import { AdoPlanEventsService } from './ado-events';
import { EntraService } from './entra';
import { FaultInjector, type FaultKind, type FaultSettings } from './faults';
import { imdsDispatch, mainDispatch } from './frontdoor';
import {
  ADO,
  ARM_AUDIENCE,
  createIdentities,
  LOCATION,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
  TENANT_ID,
  WORKSPACE_NAME,
  type Identities,
} from './identities';
import { ImdsService } from './imds';
import { RequestRecorder, type RecordedRequest } from './record';
import { startServer, type Dispatch, type RunningServer } from './server';
import { startAzurite, type AzuriteInstance, type BlobRequest } from './storage';
import { createTlsFiles, type TlsFiles } from './tls';
import type { FakeResponse, Principal } from './http';
import { AccessTokenIssuer, verifyAccessToken, type IssuedTokenRecord } from './tokens';
import { createWorkspaceService, type WorkspaceService } from './workspace';
import { loopbackSender } from './aml/webhooks';
import { createRegistryService, type RegistryService } from './aml/registries';
import { WorkspaceRouter } from './aml/router';

export type { FaultKind, FaultSettings } from './faults';
export type { Identities } from './identities';
export type { RecordedRequest, RequestKind } from './record';
export type { PlanEvent } from './ado-events';
export type { BlobRequest } from './storage';
export type { IssuedTokenRecord } from './tokens';
export type { RegistryService } from './aml/registries';
export { SimulatedClock } from './clock';

export interface FakeAzureOptions {
  /** JSON-lines file every request is appended to; defaults to env FAKE_AZURE_RECORD. */
  recordFile?: string;
  /** Lifetime of Entra and IMDS access tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Lifetime of Azure DevOps OIDC tokens (default 600, as Azure DevOps issues them). */
  oidcTokenLifetimeSeconds?: number;
  /** Start Azurite for blob storage (default true). */
  blob?: boolean;
  /** The workspace's clock for job lifecycles (e.g. a SimulatedClock); default the real clock. */
  clock?: { now(): Date };
  /**
   * More workspaces beside the default one (`mlw-demo` in `rg-mlops`), e.g. a production workspace to promote to.
   * Each has its own default datastore container in the same Azurite and is open only to the identities named
   * (default: every identity with a role, as the default workspace).
   */
  workspaces?: ExtraWorkspace[];
  /** Azure ML registries (`registries/{name}`, model containers and versions, pending uploads). */
  registries?: ExtraRegistry[];
  /** Fixed ports, for the standalone CLI; tests leave them at 0 (a free port). */
  port?: number;
  imdsPort?: number;
}

/** Identities of `fake.identities` by their key. */
export type IdentityName = keyof Identities;

export interface ExtraWorkspace {
  workspaceName: string;
  /** Default: the default workspace's resource group. */
  resourceGroup?: string;
  /** Identities with a role on this workspace; default every identity with a role on the subscription. */
  authorizedIdentities?: IdentityName[];
}

export interface ExtraRegistry {
  registryName: string;
  resourceGroup?: string;
  authorizedIdentities?: IdentityName[];
}

export interface FakeAzure {
  /** https://localhost:<port>: Entra authority host, ARM, Azure DevOps OIDC and the Azure ML data plane. */
  readonly url: string;
  /** http://127.0.0.1:<port>: value for AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  readonly imdsUrl: string;
  /** For NODE_EXTRA_CA_CERTS. */
  readonly caCertPath: string;
  /** Absolute path of build/test/support/localhost-dns.js, for `NODE_OPTIONS=--require <path>`. */
  readonly dnsPreloadPath: string;
  readonly armAudience: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  readonly location: string;
  readonly identities: Identities;
  readonly workspace: WorkspaceService;
  /** Every workspace by name: the default one and those of `options.workspaces`. */
  readonly workspaces: Readonly<Record<string, WorkspaceService>>;
  /** The registries of `options.registries`, by name. */
  readonly registries: Readonly<Record<string, RegistryService>>;
  /** Azure DevOps plan events (`{collectionUri}{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/events`) Azure ML called back with. */
  readonly adoEvents: AdoPlanEventsService;
  /** Azurite, where the workspace's datastores keep their blobs; undefined when started with blob: false. */
  readonly storage?: {
    accountName: string;
    accountKey: string;
    serviceUrl: string;
    ca?: string;
    /** What clients asked of the blob service (not the fake's own requests). */
    readonly requests: BlobRequest[];
    clearRequests(): void;
  };
  /** Every Entra and IMDS access token issued, with how many requests presented it. */
  readonly accessTokens: readonly IssuedTokenRecord[];
  /** Checks a bearer token as the front door does: the caller, or the 401 ARM would send. */
  verifyAccessToken(authorizationHeader: string | undefined, expectedAudiences: readonly string[]): Principal | FakeResponse;
  setFaults(f?: FaultSettings): void;
  readonly faultsInjected: number;
  readonly faultsByKind: Readonly<Record<FaultKind, number>>;
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

/** Starts the whole local Azure: TLS material, HTTPS and IMDS servers, identity services, Azurite and the workspace. */
export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeAzure> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  try {
    const tls: TlsFiles = await createTlsFiles();
    cleanups.push(() => tls.remove());

    // Servers start first (their ports make the URLs every service needs); requests before wiring get a 503.
    let dispatchMain: Dispatch = notReady;
    let dispatchImds: Dispatch = notReady;
    const main: RunningServer = await startServer({ tls, port: options.port, dispatch: (r) => dispatchMain(r) });
    cleanups.push(() => main.close());
    const imdsServer: RunningServer = await startServer({ port: options.imdsPort, dispatch: (r) => dispatchImds(r) });
    cleanups.push(() => imdsServer.close());

    const url = `https://localhost:${main.port}`;
    const imdsUrl = `http://127.0.0.1:${imdsServer.port}`;
    const { identities, apps } = await createIdentities(url);
    const tokens = new AccessTokenIssuer(`${url}/${TENANT_ID}/v2.0`, TENANT_ID, options.tokenLifetimeSeconds ?? 3600, `${url}/${TENANT_ID}`);
    const ado = new AdoOidcService({
      ...ADO,
      systemAccessToken: identities.federated.systemAccessToken,
      serviceConnections: [{ id: ADO.serviceConnectionId, name: ADO.serviceConnectionName }],
      lifetimeSeconds: options.oidcTokenLifetimeSeconds ?? 600,
    });
    const adoEvents = new AdoPlanEventsService({ ...ADO, systemAccessToken: identities.federated.systemAccessToken });
    const entra = new EntraService({ baseUrl: url, tenantId: TENANT_ID, apps, tokens, federationIssuers: [ado.trustedIssuer] });
    const imds = new ImdsService(apps.filter((a) => a.managed), tokens);

    let storage: AzuriteInstance | undefined;
    if (options.blob ?? true) {
      storage = await startAzurite({ certPath: tls.certPath, keyPath: tls.keyPath, caCertPath: tls.caCertPath });
      cleanups.push(() => storage!.stop());
    }
    const storageInfo = storage && {
      accountName: storage.accountName,
      accountKey: storage.accountKey,
      endpointSuffix: storage.endpointSuffix,
      serviceUrl: storage.serviceUrl,
    };
    const withRole = apps.filter((a) => a.authorized).map((a) => a.clientId);
    const appIdsOf = (names: IdentityName[] | undefined) => (names ? names.map((n) => identities[n].clientId) : withRole);
    const newWorkspace = (resourceGroup: string, workspaceName: string, authorizedAppIds: string[]) =>
      createWorkspaceService({
        baseUrl: url,
        tenantId: TENANT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        resourceGroup,
        workspaceName,
        location: LOCATION,
        authorizedAppIds,
        storage: storageInfo,
        callbacks: loopbackSender(tls.caCertPath),
        clock: options.clock,
      });
    const workspace = newWorkspace(RESOURCE_GROUP, WORKSPACE_NAME, withRole);
    const workspaces: Record<string, WorkspaceService> = { [WORKSPACE_NAME]: workspace };
    const router = new WorkspaceRouter(SUBSCRIPTION_ID, { resourceGroup: RESOURCE_GROUP, workspaceName: WORKSPACE_NAME, service: workspace });
    for (const w of options.workspaces ?? []) {
      if (workspaces[w.workspaceName]) throw new Error(`startFakeAzure: workspace '${w.workspaceName}' is given twice`);
      const resourceGroup = w.resourceGroup ?? RESOURCE_GROUP;
      workspaces[w.workspaceName] = newWorkspace(resourceGroup, w.workspaceName, appIdsOf(w.authorizedIdentities));
      router.addWorkspace({ resourceGroup, workspaceName: w.workspaceName, service: workspaces[w.workspaceName] });
    }
    const registries: Record<string, RegistryService> = {};
    for (const r of options.registries ?? []) {
      registries[r.registryName] = createRegistryService({
        baseUrl: url,
        tenantId: TENANT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        resourceGroup: r.resourceGroup ?? RESOURCE_GROUP,
        registryName: r.registryName,
        location: LOCATION,
        authorizedAppIds: appIdsOf(r.authorizedIdentities),
        storage: storageInfo,
      });
      router.addRegistry(registries[r.registryName]);
    }

    const faults = new FaultInjector();
    const recorder = new RequestRecorder(options.recordFile ?? (process.env.FAKE_AZURE_RECORD || undefined));
    dispatchMain = mainDispatch({ entra, ado, adoEvents, resources: router, tokens, faults, recorder, armAudience: ARM_AUDIENCE });
    dispatchImds = imdsDispatch(imds, faults, recorder);

    let stopped: Promise<void> | undefined;
    return {
      url,
      imdsUrl,
      caCertPath: tls.caCertPath,
      dnsPreloadPath: join(__dirname, '..', 'support', 'localhost-dns.js'),
      armAudience: ARM_AUDIENCE,
      tenantId: TENANT_ID,
      subscriptionId: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      workspaceName: WORKSPACE_NAME,
      location: LOCATION,
      identities,
      workspace,
      workspaces,
      registries,
      adoEvents,
      storage: storage && {
        accountName: storage.accountName,
        accountKey: storage.accountKey,
        serviceUrl: storage.serviceUrl,
        ca: storage.ca,
        requests: storage.requests,
        clearRequests: () => storage!.clearRequests(),
      },
      accessTokens: tokens.issued,
      verifyAccessToken: (header, audiences) => verifyAccessToken(header, audiences, tokens),
      setFaults: (f) => faults.set(f),
      get faultsInjected() {
        return faults.injected;
      },
      get faultsByKind() {
        return faults.byKind;
      },
      requests: recorder.requests,
      clearRequests: () => recorder.clear(),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

const notReady: Dispatch = async () => ({ status: 503, headers: { 'Retry-After': '0' }, body: { error: { code: 'ServiceUnavailable', message: 'The fake is starting.' } } });
