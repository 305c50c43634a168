// The fake Azure ML workspace: ARM control plane for Microsoft.MachineLearningServices and the Azure ML data plane.
import type { FakeRequest, FakeResponse, Principal } from './http';
import { armError } from './http';
import { handleAsset } from './aml/assets';
import { BatchEndpoints, type BatchDeploymentScript } from './aml/batch-endpoints';
import { BatchInvocations, isBatchPath, type BatchInvocationRecord, type BatchOutputRecord } from './aml/batch-invocation';
import { WorkspaceBlobs } from './aml/blobs';
import type { ServiceContext } from './aml/context';
import { DataPlane, isDataPlanePath } from './aml/dataplane';
import { OnlineEndpoints, type DeploymentScript } from './aml/endpoints';
import { CancelOperations, handleJobs, jobView, pollCancel } from './aml/jobs';
import { checkScript, type JobScript } from './aml/lifecycle';
import { listPage } from './aml/lists';
import { ModelPackages, type PackageRecord, type PackageScript } from './aml/packages';
import { ReferenceChecker } from './aml/references';
import { isScoringPath, Scoring, type ScoringRecord } from './aml/scoring';
import { ok, userError } from './aml/responses';
import { ASSET_KINDS, COLLECTIONS, PROVIDER, childArmId, sameText, type AssetKind, type Collection, type WorkspaceScope } from './aml/scope';
import { seedWorkspace, workspaceIdentity, workspaceView, type WorkspaceIdentity } from './aml/seed';
import { WorkspaceStore } from './aml/store';
import { JobWebhooks, type CallbackSender, type WebhookDelivery } from './aml/webhooks';
import { PACKAGE_API_VERSION, validatorFor, VALIDATED_API_VERSION } from './schema';

export type { JobScript } from './aml/lifecycle';
export type { WebhookDelivery } from './aml/webhooks';
export type { DeploymentScript } from './aml/endpoints';
export type { ScoringRecord } from './aml/scoring';
export type { BatchDeploymentScript } from './aml/batch-endpoints';
export type { BatchInvocationRecord, BatchOutputRecord } from './aml/batch-invocation';
export type { PackageRecord, PackageScript } from './aml/packages';
export { SEEDED_DATA, SEEDED_ENVIRONMENT } from './aml/seed';

/** The workspace's scope (baseUrl: the fake's own URL, which every URL handed out points at), plus who may use it. */
export interface WorkspaceServiceOptions extends WorkspaceScope {
  /** Principals with Contributor on the subscription; anyone else gets 403 AuthorizationFailed. */
  authorizedAppIds: string[];
  /** Azurite; undefined = no blob service. */
  storage: { accountName: string; accountKey: string; endpointSuffix: string; serviceUrl: string; ca?: string } | undefined;
  /** How job webhooks call back (Azure DevOps TaskCompleted events); without it every callback is a failed delivery. */
  callbacks?: CallbackSender;
  /** The workspace's time (job start and end times, `runMinutes`); default the real clock. */
  clock?: { now(): Date };
}

export interface WorkspaceService {
  /** ARM and data-plane requests with a verified bearer token; undefined = not mine. */
  handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined>;
  /** Requests without a bearer token: discovery and signed log URLs. */
  handleAnonymous(req: FakeRequest): Promise<FakeResponse | undefined>;
  /** How jobs created after this call behave; undefined restores the default (Queued, Running, Completed). */
  scriptJobs(script: JobScript | undefined): void;
  /** Created jobs with the body exactly as received. */
  jobs(): Array<{ name: string; body: any; status: string; created: Date; startTime?: Date; endTime?: Date }>;
  /** Asset versions (for codes/environments/data/models), jobs, computes or datastores as ARM returns them. */
  resources(kind: 'codes' | 'environments' | 'data' | 'models' | 'components' | 'jobs' | 'computes' | 'datastores'): Array<{ id: string; name: string; version?: string; properties: any }>;
  /** Resources created by PUT (asset containers and versions, jobs): 0 means nothing was created. */
  createdCount(): number;
  /** Resolves once the blob containers exist (requests wait for it anyway). */
  ready(): Promise<void>;
  /** Adds an asset version without a request (not counted by createdCount); properties as in a PUT body. */
  seedVersion(kind: AssetKind, name: string, version: string, properties: Record<string, unknown>): void;
  /** Moves a job one step along its script, as a GET would. */
  advanceJob(name: string): string;
  /** The signed URL of a job's user_logs/std_log.txt. */
  logUrl(jobName: string): string;
  /** Workspace id (GUID) and the default datastore's container. */
  readonly identity: WorkspaceIdentity;
  /** The webhook callbacks made when jobs ended, once those under way have finished. */
  webhookDeliveries(): Promise<WebhookDelivery[]>;
  /** How online deployments PUT after this call provision and serve, by deployment name (`*` for any). */
  scriptDeployments(scripts: Record<string, DeploymentScript> | undefined): void;
  /** Ends a hanging deployment's provisioning; the next poll of its operation reports the outcome. */
  releaseDeployment(endpoint: string, deployment: string, outcome?: 'Succeeded' | 'Failed'): void;
  /** Every request to a scoring URI, mirror copies included, in order. */
  scoringRequests(): ScoringRecord[];
  /** How batch deployments PUT after this call provision, by deployment name (`*` for any). */
  scriptBatchDeployments(scripts: Record<string, BatchDeploymentScript> | undefined): void;
  /** Ends a hanging batch deployment's provisioning; the next poll of its operation reports the outcome. */
  releaseBatchDeployment(endpoint: string, deployment: string, outcome?: 'Succeeded' | 'Failed'): void;
  /** Every invocation of a batch endpoint, refused ones included, in order. */
  batchInvocations(): BatchInvocationRecord[];
  /** The scored files written for completed batch jobs, once writes under way have finished. */
  batchOutputs(): Promise<BatchOutputRecord[]>;
  /** How model packages started after this call end (a failed build with `error`); undefined restores success. */
  scriptPackages(script: PackageScript | undefined): void;
  /** Every model package request (POST .../models/{name}/versions/{version}/package), refused ones included. */
  packageRequests(): PackageRecord[];
}

const READ_API_VERSIONS = ['2022-10-01', VALIDATED_API_VERSION];

export function createWorkspaceService(opts: WorkspaceServiceOptions): WorkspaceService {
  return new FakeWorkspace(opts);
}

type ArmRoute =
  | { kind: 'otherSubscription'; subscriptionId: string }
  | { kind: 'workspaces'; scope: 'subscription' | 'resourceGroup'; resourceGroup?: string }
  | { kind: 'workspace'; resourceGroup: string; workspace: string; rest: string[] }
  | { kind: 'operation'; id: string }
  | { kind: 'operationStatus'; id: string };

class FakeWorkspace implements WorkspaceService {
  readonly identity: WorkspaceIdentity;
  private readonly scope: WorkspaceScope;
  private readonly store: WorkspaceStore;
  private readonly ctx: ServiceContext;
  private readonly data: DataPlane;
  private readonly cancels = new CancelOperations();
  private readonly authorized: Set<string>;
  private readonly initialized: Promise<void>;
  private script: JobScript = {};
  private readonly online: OnlineEndpoints;
  private readonly scoring: Scoring;
  private readonly batch: BatchEndpoints;
  private readonly invocations: BatchInvocations;
  private readonly packages: ModelPackages;

  constructor(private readonly opts: WorkspaceServiceOptions) {
    this.scope = {
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
      tenantId: opts.tenantId,
      subscriptionId: opts.subscriptionId,
      resourceGroup: opts.resourceGroup,
      workspaceName: opts.workspaceName,
      location: opts.location,
    };
    this.identity = workspaceIdentity(this.scope, opts.storage);
    this.store = new WorkspaceStore(this.scope);
    seedWorkspace(this.store, this.identity, opts.storage);
    const blobs = opts.storage ? new WorkspaceBlobs(opts.storage, this.identity) : undefined;
    this.ctx = {
      scope: this.scope,
      identity: this.identity,
      store: this.store,
      refs: new ReferenceChecker(this.store),
      blobs,
      now: opts.clock ? () => opts.clock!.now() : () => new Date(),
      jobScript: () => structuredClone(this.script),
      webhooks: new JobWebhooks(opts.callbacks ?? (async () => { throw new Error('the workspace was started without a callback sender'); })),
    };
    this.data = new DataPlane(this.ctx);
    this.authorized = new Set(opts.authorizedAppIds.map((a) => a.toLowerCase()));
    this.online = new OnlineEndpoints(this.ctx);
    this.scoring = new Scoring(this.online, this.ctx.now, (p) => this.isAuthorized(p));
    this.batch = new BatchEndpoints(this.ctx);
    this.invocations = new BatchInvocations(this.ctx, this.batch, (p) => this.isAuthorized(p));
    this.packages = new ModelPackages(this.ctx);
    this.initialized = blobs ? blobs.init() : Promise.resolve();
    // A failed init is reported by ready() and by every request, not as an unhandled rejection.
    this.initialized.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.initialized;
  }

  scriptJobs(script: JobScript | undefined): void {
    if (script) checkScript(script);
    this.script = structuredClone(script ?? {});
  }

  jobs(): Array<{ name: string; body: any; status: string; created: Date; startTime?: Date; endTime?: Date }> {
    return [...this.store.jobs.values()].map((j) => ({
      name: j.name,
      body: structuredClone(j.received),
      status: j.run.status,
      created: j.created,
      startTime: j.run.startTime,
      endTime: j.run.endTime,
    }));
  }

  resources(kind: Collection): Array<{ id: string; name: string; version?: string; properties: any }> {
    if ((ASSET_KINDS as readonly string[]).includes(kind)) {
      const k = kind as AssetKind;
      return this.store.allVersions(k).map(({ container, version }) => ({
        id: childArmId(this.scope, k, container.name, version.version),
        name: container.name,
        version: version.version,
        properties: this.store.versionView(k, version).properties,
      }));
    }
    if (kind === 'jobs') return [...this.store.jobs.values()].map((j) => ({ ...pick(jobView(this.ctx, j)) }));
    const map = kind === 'computes' ? this.store.computes : this.store.datastores;
    return [...map.values()].map((r) => pick(this.store.fixedView(kind, r)));
  }

  createdCount(): number {
    return this.store.createdByPut;
  }

  seedVersion(kind: AssetKind, name: string, version: string, properties: Record<string, unknown>): void {
    const validator = validatorFor(VALIDATED_API_VERSION)!;
    const definition = { codes: 'CodeVersionResource', environments: 'EnvironmentVersionResource', data: 'DataVersionBaseResource', models: 'ModelVersionResource', components: 'ComponentVersionResource' }[kind];
    const issues = validator.validate(definition, { properties });
    if (issues.length) throw new Error(`seedVersion: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.store.putVersion(kind, name, version, validator.normalize(definition, { properties }), undefined, new Date());
  }

  advanceJob(name: string): string {
    const job = this.store.jobs.get(name);
    if (!job) throw new Error(`advanceJob: no job '${name}'`);
    job.run.advance();
    return job.run.status;
  }

  webhookDeliveries(): Promise<WebhookDelivery[]> {
    return this.ctx.webhooks.deliveries();
  }

  scriptDeployments(scripts: Record<string, DeploymentScript> | undefined): void {
    this.online.script(scripts);
  }

  releaseDeployment(endpoint: string, deployment: string, outcome?: 'Succeeded' | 'Failed'): void {
    this.online.release(endpoint, deployment, outcome);
  }

  scoringRequests(): ScoringRecord[] {
    return this.scoring.records.map((r) => ({ ...r }));
  }

  scriptBatchDeployments(scripts: Record<string, BatchDeploymentScript> | undefined): void {
    this.batch.script(scripts);
  }

  releaseBatchDeployment(endpoint: string, deployment: string, outcome?: 'Succeeded' | 'Failed'): void {
    this.batch.release(endpoint, deployment, outcome);
  }

  batchInvocations(): BatchInvocationRecord[] {
    return this.invocations.records.map((r) => structuredClone(r));
  }

  async batchOutputs(): Promise<BatchOutputRecord[]> {
    await this.invocations.settled();
    return this.invocations.outputs.map((o) => ({ ...o }));
  }

  scriptPackages(script: PackageScript | undefined): void {
    this.packages.setScript(script);
  }

  packageRequests(): PackageRecord[] {
    return this.packages.records.map((r) => structuredClone(r));
  }

  logUrl(jobName: string): string {
    return this.data.logUrl(jobName);
  }

  async handleAnonymous(req: FakeRequest): Promise<FakeResponse | undefined> {
    if (isScoringPath(req.url.pathname)) return this.scoring.handle(req, undefined);
    if (isBatchPath(req.url.pathname)) return this.invocations.handle(req, undefined);
    if (!isDataPlanePath(req.url.pathname)) return undefined;
    return this.data.handleAnonymous(req);
  }

  async handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined> {
    const answer = await this.route(req, principal);
    // A request that completed a batch job answers once the job's scored output is written, as Azure ML
    // reports a job Completed only after its outputs are in place.
    await this.invocations.settled();
    return answer;
  }

  private async route(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined> {
    const path = req.url.pathname;
    if (isScoringPath(path)) return this.scoring.handle(req, principal);
    if (isBatchPath(path)) return this.invocations.handle(req, principal);
    if (isDataPlanePath(path)) {
      if (path.startsWith('/azureml-logs/') || path === '/discovery') return this.data.handleAnonymous(req);
      if (!this.isAuthorized(principal)) return this.forbidden(principal, req, 'read');
      return this.data.handle(req);
    }
    const route = parseArmPath(path, this.scope);
    if (!route) return undefined;

    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion) {
      return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    }
    if (!this.isAuthorized(principal)) return this.forbidden(principal, req, actionOf(req, route));
    // The model package operation exists only at a preview api-version: it answers other api-versions itself, and
    // its Location URL carries the preview api-version.
    const isPackage = req.method === 'POST' && isPackageRoute(route);
    const isPackagePoll = route.kind === 'operation' && this.packages.owns(route.id) && apiVersion === PACKAGE_API_VERSION;
    if (!READ_API_VERSIONS.includes(apiVersion) && !isPackage && !isPackagePoll) {
      return armError(400, 'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.scope.location}' and API version '${apiVersion}' for type 'workspaces'. ` +
        `The supported api-versions are '${READ_API_VERSIONS.join(', ')}'. The supported locations are '${this.scope.location}'.`);
    }
    try {
      await this.initialized;
    } catch (e) {
      return armError(500, 'InternalServerError', `The fake workspace's blob storage could not be prepared: ${(e as Error).message}`);
    }
    const call = { req, principal, apiVersion };

    if (route.kind === 'otherSubscription') return armError(404, 'SubscriptionNotFound', `The subscription '${route.subscriptionId}' could not be found.`);
    if (route.kind === 'operation') {
      if (this.packages.owns(route.id)) return this.packages.poll(route.id, apiVersion);
      if (this.online.owns(route.id)) return this.online.pollResult(route.id, apiVersion);
      if (this.batch.owns(route.id)) return this.batch.pollResult(route.id, apiVersion);
      return pollCancel(this.ctx, this.cancels, route.id, apiVersion);
    }
    if (route.kind === 'operationStatus') return this.batch.owns(route.id) ? this.batch.pollStatus(route.id) : this.online.pollStatus(route.id);
    if (route.kind === 'workspaces') {
      if (req.method !== 'GET') return undefined;
      if (route.scope === 'resourceGroup' && !sameText(route.resourceGroup, this.scope.resourceGroup)) return this.missingResourceGroup(route.resourceGroup!);
      return listPage(req, [{ view: workspaceView(this.scope, this.identity), created: new Date(0), name: this.scope.workspaceName }], this.scope.baseUrl);
    }
    if (!sameText(route.resourceGroup, this.scope.resourceGroup)) return this.missingResourceGroup(route.resourceGroup);
    if (!sameText(route.workspace, this.scope.workspaceName)) {
      return armError(404, 'ResourceNotFound',
        `The Resource '${PROVIDER}/workspaces/${route.workspace}' under resource group '${route.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    const [collection, name, third, fourth, fifth] = route.rest.map(decodeURIComponent);
    if (collection === undefined) return req.method === 'GET' ? ok(workspaceView(this.scope, this.identity)) : undefined;
    if (isPackage) return this.packages.handle(call, name, fourth);
    if (collection.toLowerCase() === 'onlineendpoints') return this.online.handle(call, route.rest.slice(1).map(decodeURIComponent));
    if (collection.toLowerCase() === 'batchendpoints') return this.batch.handle(call, route.rest.slice(1).map(decodeURIComponent));
    const kind = COLLECTIONS.find((c) => c.toLowerCase() === collection.toLowerCase());
    if (!kind) return undefined;
    if (route.rest.length > 5) return undefined;

    if (WorkspaceStore.isAssetKind(kind)) {
      const versions = third !== undefined && third.toLowerCase() === 'versions';
      if (third !== undefined && !versions) return undefined;
      return handleAsset(this.ctx, call, { kind, name, versions, version: fourth, action: fifth });
    }
    if (route.rest.length > 3) return undefined;
    if (kind === 'jobs') return handleJobs(this.ctx, this.cancels, call, name, third);
    return this.fixed(kind, req, name, third);
  }

  /** Computes and datastores: seeded and read-only, plus the datastore secrets action. */
  private fixed(kind: 'computes' | 'datastores', req: FakeRequest, name: string | undefined, action: string | undefined): FakeResponse | undefined {
    const map = kind === 'computes' ? this.store.computes : this.store.datastores;
    if (name === undefined) {
      if (req.method !== 'GET') return undefined;
      const items = [...map.values()].map((r, i) => ({ view: this.store.fixedView(kind, r), created: new Date(i), name: r.name }));
      return listPage(req, items, this.scope.baseUrl, 'createdtime asc');
    }
    const record = kind === 'computes' ? this.store.compute(name) : this.store.datastore(name);
    const singular = kind === 'computes' ? 'Compute' : 'Datastore';
    if (!record) return userError(`${singular} '${name}' was not found in workspace '${this.scope.workspaceName}'.`, 404);
    if (action !== undefined) {
      if (kind !== 'datastores' || action.toLowerCase() !== 'listsecrets' || req.method !== 'POST') return undefined;
      if (!this.opts.storage) return userError(`Datastore '${name}' has no secrets: the fake runs without blob storage.`);
      return ok({ secretsType: 'AccountKey', key: this.opts.storage.accountKey });
    }
    if (req.method === 'GET') return ok(this.store.fixedView(kind, record));
    return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `The fake workspace has fixed ${kind}; ${req.method} is not supported.` } } };
  }

  private isAuthorized(principal: Principal): boolean {
    return this.authorized.has(principal.appId.toLowerCase());
  }

  private forbidden(principal: Principal, req: FakeRequest, action: string): FakeResponse {
    return armError(403, 'AuthorizationFailed',
      `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' ` +
      `over scope '${req.url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
  }

  private missingResourceGroup(name: string): FakeResponse {
    return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
  }
}

/** ARM routes of the Machine Learning provider; undefined for anything else. Fixed segments are case-insensitive. */
function parseArmPath(path: string, scope: WorkspaceScope): ArmRoute | undefined {
  const seg = path.split('/').filter((s) => s !== '');
  const is = (i: number, word: string) => seg[i] !== undefined && seg[i].toLowerCase() === word.toLowerCase();
  if (!is(0, 'subscriptions') || seg.length < 4) return undefined;
  let route: ArmRoute | undefined;
  if (is(2, 'providers') && is(3, PROVIDER)) {
    if (seg.length === 5 && is(4, 'workspaces')) route = { kind: 'workspaces', scope: 'subscription' };
    else if (seg.length === 8 && is(4, 'locations') && is(6, 'mfeOperationResults')) route = { kind: 'operation', id: seg[7] };
    else if (seg.length === 8 && is(4, 'locations') && is(6, 'mfeOperationsStatus')) route = { kind: 'operationStatus', id: seg[7] };
  } else if (is(2, 'resourceGroups') && is(4, 'providers') && is(5, PROVIDER) && is(6, 'workspaces')) {
    route = seg.length === 7
      ? { kind: 'workspaces', scope: 'resourceGroup', resourceGroup: seg[3] }
      : { kind: 'workspace', resourceGroup: seg[3], workspace: seg[7], rest: seg.slice(8) };
  }
  if (route && !sameText(seg[1], scope.subscriptionId)) return { kind: 'otherSubscription', subscriptionId: seg[1] };
  return route;
}

/** models/{name}/versions/{version}/package under a workspace. */
function isPackageRoute(route: ArmRoute): boolean {
  if (route.kind !== 'workspace' || route.rest.length !== 5) return false;
  const [collection, , versions, , action] = route.rest.map((x) => x.toLowerCase());
  return collection === 'models' && versions === 'versions' && action === 'package';
}

/** The RBAC action ARM would check, for the AuthorizationFailed message. */
function actionOf(req: FakeRequest, route: ArmRoute): string {
  if (route.kind !== 'workspace') return `${PROVIDER}/workspaces/read`;
  const [collection, , third, , fifth] = route.rest;
  const type = collection ? `${PROVIDER}/workspaces/${collection}${third?.toLowerCase() === 'versions' ? '/versions' : ''}` : `${PROVIDER}/workspaces`;
  const action = fifth ?? (route.rest.length === 3 && third?.toLowerCase() !== 'versions' ? third : undefined);
  if (req.method === 'POST' && action) return `${type}/${action}/action`;
  if (req.method === 'PUT' || req.method === 'PATCH') return `${type}/write`;
  if (req.method === 'DELETE') return `${type}/delete`;
  return `${type}/read`;
}

function pick(view: any): { id: string; name: string; properties: any } {
  return { id: view.id, name: view.name, properties: view.properties };
}
