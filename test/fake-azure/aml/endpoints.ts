// Managed and Kubernetes online endpoints and their deployments: PUT/DELETE as long-running operations, traffic rules,
// keys and tokens, deployment logs and SKUs, with provisioning scripted per deployment by tests.
import { randomBytes } from 'crypto';
import { armError, type FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import { validatorFor, VALIDATED_API_VERSION } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { listPage } from './lists';
import { invalidBody, ok, systemData, userError, type SystemData } from './responses';
import { checkLocation, conflict, DEPLOYMENT_NAME, ENDPOINT_NAME, EndpointOperations, identityView, type Operation, type ProvisioningOutcome } from './operations';
import { inScope, parseArmChildId, PROVIDER, workspaceArmId } from './scope';
import type { FixedResource } from './store';

export type { ProvisioningOutcome } from './operations';

/** What a test scripts for a deployment (by name, or `*` for any). */
export interface DeploymentScript {
  /** Default Succeeded. */
  provisioning?: ProvisioningOutcome;
  /** The error a Failed provisioning reports (default an image build failure as Azure ML reports it). */
  error?: { code: string; message: string };
  /** Container logs returned by getLogs (InferenceServer); default a few start-up lines. */
  logLines?: string[];
  /** StorageInitializer container logs. */
  storageInitializerLogLines?: string[];
  /** Share (0..1) of scoring requests answered 500, spread deterministically by a counter. */
  failureRate?: number;
  /** Added to every scoring answer, in milliseconds. */
  latencyMs?: number;
}

export type EndpointState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
export type DeploymentState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

export interface DeploymentRecord {
  name: string;
  endpoint: string;
  body: any;
  state: DeploymentState;
  systemData: SystemData;
  created: Date;
  script: DeploymentScript;
  /** Scoring requests answered so far (drives failureRate). */
  scored: number;
}

export interface EndpointRecord {
  name: string;
  body: any;
  state: EndpointState;
  systemData: SystemData;
  created: Date;
  keys: { primaryKey: string; secondaryKey: string };
  deployments: Map<string, DeploymentRecord>;
  /** Smooth weighted round robin state of the live traffic, reset whenever traffic changes. */
  rr: Map<string, number>;
  /** Requests routed by traffic (drives the mirror share). */
  routed: number;
}

const DEFAULT_FAILURE = {
  code: 'ResourceNotReady',
  message: 'User container has crashed or terminated. Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-resourcenotready',
};

/** The online endpoints of one workspace. */
export class OnlineEndpoints {
  readonly endpoints = new Map<string, EndpointRecord>();
  private readonly ops: EndpointOperations;
  private scripts: Record<string, DeploymentScript> = {};
  /** AML tokens issued by the `token` action: token -> endpoint and expiry. */
  readonly amlTokens = new Map<string, { endpoint: string; expires: Date }>();

  constructor(private readonly ctx: ServiceContext) {
    this.ops = new EndpointOperations(ctx, (op) => this.settle(op));
  }

  script(scripts: Record<string, DeploymentScript> | undefined): void {
    for (const [name, s] of Object.entries(scripts ?? {})) {
      if (s.provisioning !== undefined && !['Succeeded', 'Failed', 'hang'].includes(s.provisioning)) throw new Error(`scriptDeployments: ${name}.provisioning must be Succeeded, Failed or hang`);
      if (s.failureRate !== undefined && !(s.failureRate >= 0 && s.failureRate <= 1)) throw new Error(`scriptDeployments: ${name}.failureRate must be within 0..1`);
      if (s.latencyMs !== undefined && !(s.latencyMs >= 0)) throw new Error(`scriptDeployments: ${name}.latencyMs must be >= 0`);
    }
    this.scripts = structuredClone(scripts ?? {});
  }

  /** Ends the provisioning of a hanging deployment; the next poll of its operation reports the outcome. */
  release(endpoint: string, deployment: string, outcome: 'Succeeded' | 'Failed' = 'Succeeded'): void {
    const op = this.ops.provisioning(endpoint, deployment);
    if (!op) throw new Error(`releaseDeployment: no provisioning under way for ${endpoint}/${deployment}`);
    op.released = outcome;
  }

  // ---- routing -------------------------------------------------------------------------------------

  async handle(call: ArmCall, rest: string[]): Promise<FakeResponse | undefined> {
    const [name, third, fourth, fifth] = rest;
    const method = call.req.method;
    if (name === undefined) return method === 'GET' ? this.list(call) : undefined;
    if (third === undefined) {
      if (method === 'PUT') return this.putEndpoint(call, name);
      if (method === 'GET') return this.withEndpoint(name, (e) => ok(this.endpointView(e)));
      if (method === 'PATCH') return this.patchEndpoint(call, name);
      if (method === 'DELETE') return this.deleteEndpoint(call, name);
      return undefined;
    }
    const action = third.toLowerCase();
    if (action !== 'deployments') {
      if (fourth !== undefined || method !== 'POST') return undefined;
      if (action === 'listkeys') return this.withEndpoint(name, (e) => this.listKeys(e));
      if (action === 'regeneratekeys') return this.withEndpoint(name, (e) => this.regenerateKeys(call, e));
      if (action === 'token') return this.withEndpoint(name, (e) => this.token(e));
      return undefined;
    }
    if (fourth === undefined) return method === 'GET' ? this.withEndpoint(name, (e) => this.listDeployments(call, e)) : undefined;
    if (fifth === undefined) {
      if (method === 'PUT') return this.withEndpoint(name, (e) => this.putDeployment(call, e, fourth));
      if (method === 'GET') return this.withDeployment(name, fourth, (e, d) => ok(this.deploymentView(e, d)));
      if (method === 'PATCH') return this.withDeployment(name, fourth, (e, d) => this.patchDeployment(call, e, d));
      if (method === 'DELETE') return this.withDeployment(name, fourth, (e, d) => this.deleteDeployment(call, e, d));
      return undefined;
    }
    if (rest.length > 5) return undefined;
    if (fifth.toLowerCase() === 'getlogs' && method === 'POST') return this.withDeployment(name, fourth, (e, d) => this.getLogs(call, d));
    if (fifth.toLowerCase() === 'skus' && method === 'GET') return this.withDeployment(name, fourth, (e, d) => this.skus(call, d));
    return undefined;
  }

  private withEndpoint(name: string, f: (e: EndpointRecord) => FakeResponse): FakeResponse {
    const e = this.endpoints.get(name);
    if (!e) return this.missingEndpoint(name);
    return f(e);
  }

  private withDeployment(endpoint: string, name: string, f: (e: EndpointRecord, d: DeploymentRecord) => FakeResponse): FakeResponse {
    return this.withEndpoint(endpoint, (e) => {
      const d = e.deployments.get(name);
      if (!d) return armError(404, 'ResourceNotFound', `Online deployment '${name}' was not found under endpoint '${endpoint}' in workspace '${this.ctx.scope.workspaceName}'.`);
      return f(e, d);
    });
  }

  private missingEndpoint(name: string): FakeResponse {
    return armError(404, 'ResourceNotFound', `Online endpoint '${name}' was not found in workspace '${this.ctx.scope.workspaceName}'.`);
  }

  // ---- endpoints -----------------------------------------------------------------------------------

  private list(call: ArmCall): FakeResponse {
    const items = [...this.endpoints.values()].map((e) => ({ view: this.endpointView(e), created: e.created, name: e.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  private putEndpoint(call: ArmCall, name: string): FakeResponse {
    if (!ENDPOINT_NAME.test(name)) {
      return userError(`'${name}' is not a valid online endpoint name: it must start with a letter, be 3 to 32 characters long and contain only letters, digits and '-'.`);
    }
    const checked = validBody(call, 'OnlineEndpointTrackedResource', `online endpoint '${name}'`);
    if ('error' in checked) return checked.error;
    const body = checked.body;
    const existing = this.endpoints.get(name);
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, body, issues);
    const compute = this.endpointCompute(body.properties.compute, issues);
    if (existing) {
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('OnlineEndpointTrackedResource', existing.body, body)
        .filter((p) => !p.startsWith('properties.keys')); // keys are never returned, so a re-PUT cannot repeat them
      if (changed.length) issues.push(...changed.map((p) => ({ path: p, message: 'cannot be changed after the endpoint is created' })));
      // The spec does not mark compute create-only, but a managed endpoint cannot become a Kubernetes one (or move clusters).
      const before = this.computeOf(existing);
      if (compute !== 'invalid' && before?.name.toLowerCase() !== compute?.name.toLowerCase()) {
        issues.push({ path: 'properties.compute', message: `cannot be changed after the endpoint is created (it is ${before ? `Kubernetes compute '${before.name}'` : 'a managed endpoint, without compute'})` });
      }
    }
    this.trafficRules(body.properties, existing, issues);
    if (compute && compute !== 'invalid' && Object.values<number>(body.properties.mirrorTraffic ?? {}).some((v) => v !== 0)) {
      issues.push({ path: 'properties.mirrorTraffic', message: `Mirrored traffic is not supported on Kubernetes online endpoints (endpoint '${name}' runs on compute '${compute.name}')` });
    }
    if (issues.length) return invalidBody(issues, `online endpoint '${name}'`);
    if (existing && this.busy(existing)) return conflict(`Online endpoint '${name}' is ${existing.state}; wait for that operation to finish.`);

    const now = this.ctx.now();
    let record: EndpointRecord;
    if (existing) {
      if (!sameTraffic(existing.body.properties.traffic, body.properties.traffic)) existing.rr.clear();
      existing.body = body;
      existing.state = 'Updating';
      existing.systemData = systemData(call.principal, now, existing.systemData);
      record = existing;
    } else {
      const keys = body.properties.keys ?? {};
      record = {
        name,
        body,
        state: 'Creating',
        systemData: systemData(call.principal, now),
        created: now,
        keys: { primaryKey: keys.primaryKey ?? newKey(), secondaryKey: keys.secondaryKey ?? newKey() },
        deployments: new Map(),
        rr: new Map(),
        routed: 0,
      };
      this.endpoints.set(name, record);
    }
    delete record.body.properties.keys;
    const op = this.ops.start(name, undefined, existing ? 'update' : 'create');
    return ok(this.endpointView(record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  /** PATCH at 2024-04-01 carries tags and identity only (PartialMinimalTrackedResourceWithIdentity). */
  private patchEndpoint(call: ArmCall, name: string): FakeResponse {
    const checked = validBody(call, 'PartialMinimalTrackedResourceWithIdentity', `online endpoint '${name}'`);
    if ('error' in checked) return checked.error;
    const e = this.endpoints.get(name);
    if (!e) return this.missingEndpoint(name);
    if (this.busy(e)) return conflict(`Online endpoint '${name}' is ${e.state}; wait for that operation to finish.`);
    if (checked.body.tags !== undefined) e.body.tags = checked.body.tags;
    if (checked.body.identity !== undefined) e.body.identity = { ...e.body.identity, ...checked.body.identity };
    e.systemData = systemData(call.principal, this.ctx.now(), e.systemData);
    return ok(this.endpointView(e));
  }

  private deleteEndpoint(call: ArmCall, name: string): FakeResponse {
    const e = this.endpoints.get(name);
    // ARM answers 204 for a DELETE of something that is not there.
    if (!e) return { status: 204 };
    if (e.state === 'Deleting') return conflict(`Online endpoint '${name}' is already being deleted.`);
    if (this.busy(e)) return conflict(`Online endpoint '${name}' is ${e.state}; wait for that operation to finish.`);
    e.state = 'Deleting';
    for (const d of e.deployments.values()) d.state = 'Deleting';
    const op = this.ops.start(name, undefined, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  private listKeys(e: EndpointRecord): FakeResponse {
    if (e.body.properties.authMode !== 'Key') {
      // Best understanding: keys exist only for Key endpoints; Azure ML answers a user error otherwise.
      return userError(`Online endpoint '${e.name}' uses ${e.body.properties.authMode} authentication; keys are only available for endpoints with authMode Key.`);
    }
    return ok({ ...e.keys });
  }

  private regenerateKeys(call: ArmCall, e: EndpointRecord): FakeResponse {
    const checked = validBody(call, 'RegenerateEndpointKeysRequest', `regenerateKeys of online endpoint '${e.name}'`);
    if ('error' in checked) return checked.error;
    if (e.body.properties.authMode !== 'Key') return userError(`Online endpoint '${e.name}' uses ${e.body.properties.authMode} authentication; only Key endpoints have keys to regenerate.`);
    const value = checked.body.keyValue ?? newKey();
    if (checked.body.keyType === 'Primary') e.keys.primaryKey = value;
    else e.keys.secondaryKey = value;
    const op = this.ops.start(e.name, undefined, 'update');
    this.ops.finish(op, 'Succeeded');
    return { status: 202, headers: { Location: this.ops.url('mfeOperationResults', op.id, call.apiVersion), 'Retry-After': '0' } };
  }

  private token(e: EndpointRecord): FakeResponse {
    if (e.body.properties.authMode !== 'AMLToken') {
      return userError(`Online endpoint '${e.name}' uses ${e.body.properties.authMode} authentication; tokens are only issued for endpoints with authMode AMLToken.`);
    }
    const now = this.ctx.now();
    const token = `amltoken-${randomBytes(24).toString('base64url')}`;
    const expires = new Date(now.getTime() + 3600_000);
    this.amlTokens.set(token, { endpoint: e.name, expires });
    return ok({
      accessToken: token,
      expiryTimeUtc: Math.floor(expires.getTime() / 1000),
      refreshAfterTimeUtc: Math.floor(now.getTime() / 1000) + 1800,
      tokenType: 'Bearer',
    });
  }

  /**
   * Traffic as Azure ML checks it: only deployments of this endpoint, each 0..100, summing to 100 or 0;
   * mirror traffic to one deployment at most, 0..50, never to a deployment that takes live traffic.
   */
  private trafficRules(props: any, existing: EndpointRecord | undefined, issues: ValidationIssue[]): void {
    const names = new Set(existing ? existing.deployments.keys() : []);
    const traffic: Record<string, number> = props.traffic ?? {};
    let sum = 0;
    for (const [d, v] of Object.entries(traffic)) {
      if (!names.has(d)) issues.push({ path: `properties.traffic.${d}`, message: `Deployment '${d}' does not exist in endpoint '${existing?.name ?? 'new endpoint'}'; traffic can only be set for existing deployments` });
      if (v < 0 || v > 100) issues.push({ path: `properties.traffic.${d}`, message: `Traffic percentage ${v} must be between 0 and 100` });
      sum += v;
    }
    if (sum !== 0 && sum !== 100) issues.push({ path: 'properties.traffic', message: `Traffic values must sum to 100 (or 0 for no live traffic); they sum to ${sum}` });
    const mirror: Record<string, number> = props.mirrorTraffic ?? {};
    const mirrored = Object.entries(mirror).filter(([, v]) => v !== 0);
    if (mirrored.length > 1) issues.push({ path: 'properties.mirrorTraffic', message: `Traffic can be mirrored to one deployment only; got ${mirrored.map(([d]) => d).join(', ')}` });
    for (const [d, v] of Object.entries(mirror)) {
      if (!names.has(d)) issues.push({ path: `properties.mirrorTraffic.${d}`, message: `Deployment '${d}' does not exist in endpoint '${existing?.name ?? 'new endpoint'}'; traffic can only be mirrored to existing deployments` });
      if (v < 0 || v > 50) issues.push({ path: `properties.mirrorTraffic.${d}`, message: `Mirror traffic percentage ${v} must be between 0 and 50` });
      if (v > 0 && (traffic[d] ?? 0) > 0) issues.push({ path: `properties.mirrorTraffic.${d}`, message: `Deployment '${d}' takes live traffic (${traffic[d]}%); traffic cannot be mirrored to a deployment with live traffic` });
    }
  }

  /**
   * `properties.compute` of an online endpoint: absent for a managed endpoint, else the ARM id of a Kubernetes compute
   * of this workspace (a Kubernetes endpoint). Returns the compute, undefined for none, 'invalid' after an issue.
   */
  private endpointCompute(compute: unknown, issues: ValidationIssue[]): FixedResource | undefined | 'invalid' {
    if (compute === undefined || compute === null) return undefined;
    const path = 'properties.compute';
    const ws = this.ctx.scope.workspaceName;
    const ref = parseArmChildId(String(compute));
    if (!ref || ref.kind !== 'computes' || ref.version !== undefined) {
      issues.push({ path, message: `'${compute}' is not a compute ARM id (/subscriptions/.../workspaces/<ws>/computes/<name>); omit compute for a managed online endpoint` });
      return 'invalid';
    }
    const found = inScope(ref, this.ctx.scope) ? this.ctx.store.compute(ref.name) : undefined;
    if (!found) {
      issues.push({ path, message: `Compute '${ref.name}' was not found in workspace '${ws}' (${compute}); an online endpoint's compute must be a Kubernetes compute attached to the workspace` });
      return 'invalid';
    }
    if (found.properties.computeType !== 'Kubernetes') {
      issues.push({ path, message: `Compute '${found.name}' is ${found.properties.computeType}, not Kubernetes: an online endpoint's compute must be a Kubernetes compute attached to workspace '${ws}' (omit compute for a managed online endpoint)` });
      return 'invalid';
    }
    if (found.properties.provisioningState !== 'Succeeded') {
      issues.push({ path, message: `Kubernetes compute '${found.name}' is ${found.properties.provisioningState}; it must be Succeeded to host an online endpoint` });
      return 'invalid';
    }
    return found;
  }

  /** The Kubernetes compute of an accepted endpoint, undefined for a managed endpoint. */
  private computeOf(e: EndpointRecord): FixedResource | undefined {
    const compute = e.body.properties.compute;
    if (compute === undefined || compute === null) return undefined;
    return this.ctx.store.compute(parseArmChildId(String(compute))!.name);
  }

  // ---- deployments ---------------------------------------------------------------------------------

  private listDeployments(call: ArmCall, e: EndpointRecord): FakeResponse {
    const items = [...e.deployments.values()].map((d) => ({ view: this.deploymentView(e, d), created: d.created, name: d.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  private putDeployment(call: ArmCall, e: EndpointRecord, name: string): FakeResponse {
    if (!DEPLOYMENT_NAME.test(name)) return userError(`'${name}' is not a valid deployment name: it must match ${DEPLOYMENT_NAME.source}.`);
    const what = `online deployment '${name}' of endpoint '${e.name}'`;
    const checked = validBody(call, 'OnlineDeploymentTrackedResource', what);
    if ('error' in checked) return checked.error;
    const body = checked.body;
    const p = body.properties;
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, body, issues);
    const existing = e.deployments.get(name);
    if (existing) {
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('OnlineDeploymentTrackedResource', existing.body, body);
      issues.push(...changed.map((path) => ({ path, message: 'cannot be changed after the deployment is created' })));
      if (existing.body.properties.endpointComputeType !== p.endpointComputeType) {
        issues.push({ path: 'properties.endpointComputeType', message: 'cannot be changed after the deployment is created' });
      }
    }
    const cluster = this.computeOf(e);
    if (p.endpointComputeType === 'Managed') {
      // Best understanding of Azure ML's checks: a managed deployment needs a VM size and at least one instance.
      if (cluster) issues.push({ path: 'properties.endpointComputeType', message: `Endpoint '${e.name}' is a Kubernetes endpoint (compute '${cluster.name}'); its deployments must be endpointComputeType Kubernetes` });
      if (!p.instanceType) issues.push({ path: 'properties.instanceType', message: 'is required for a managed online deployment' });
      if (!body.sku) issues.push({ path: 'sku', message: 'is required: the instance count is sku.capacity (sku: {name: "Default", capacity: N})' });
    } else if (p.endpointComputeType === 'Kubernetes') {
      if (!cluster) {
        issues.push({ path: 'properties.endpointComputeType', message: `Endpoint '${e.name}' is a managed endpoint; Kubernetes deployments need a Kubernetes endpoint (one with properties.compute)` });
      } else if (p.instanceType !== undefined && p.instanceType !== null) {
        // Omitted means the compute's default instance type. Instance types are Kubernetes resources: names match exactly.
        const known = Object.keys((cluster.properties.properties as any)?.instanceTypes ?? {});
        if (!known.includes(p.instanceType)) {
          issues.push({ path: 'properties.instanceType', message: `Instance type '${p.instanceType}' is not defined on Kubernetes compute '${cluster.name}' (instance types: ${known.join(', ') || 'none'})` });
        }
      }
      if (!body.sku) issues.push({ path: 'sku', message: 'is required: the instance count is sku.capacity (sku: {name: "Default", capacity: N})' });
    } else {
      issues.push({ path: 'properties.endpointComputeType', message: `'${p.endpointComputeType}' deployments cannot be created under an online endpoint (Managed or Kubernetes)` });
    }
    if (body.sku) {
      if (body.sku.capacity === undefined) issues.push({ path: 'sku.capacity', message: 'is required (the instance count)' });
      else if (body.sku.capacity < 1) issues.push({ path: 'sku.capacity', message: `must be at least 1, got ${body.sku.capacity}` });
    }
    this.model(p.model, 'properties.model', issues);
    this.ctx.refs.environment(p.environmentId, 'properties.environmentId', issues);
    if (p.codeConfiguration) this.ctx.refs.code(p.codeConfiguration.codeId, 'properties.codeConfiguration.codeId', issues);
    if (!p.model && !p.environmentId) issues.push({ path: 'properties.model', message: 'a deployment needs a model or an environment (custom container)' });
    if (issues.length) return invalidBody(issues, what);
    if (this.busy(e)) return conflict(`Online endpoint '${e.name}' is ${e.state}; deployments can be created once it has finished.`);
    if (existing && this.busyDeployment(existing)) return conflict(`Online deployment '${name}' is ${existing.state}; wait for that operation to finish.`);

    const now = this.ctx.now();
    const script = structuredClone(this.scripts[name] ?? this.scripts['*'] ?? {});
    let record: DeploymentRecord;
    if (existing) {
      existing.body = body;
      existing.state = 'Updating';
      existing.script = script;
      existing.systemData = systemData(call.principal, now, existing.systemData);
      record = existing;
    } else {
      record = { name, endpoint: e.name, body, state: 'Creating', systemData: systemData(call.principal, now), created: now, script, scored: 0 };
      e.deployments.set(name, record);
    }
    const op = this.ops.start(e.name, name, existing ? 'update' : 'create');
    return ok(this.deploymentView(e, record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  /** PATCH at 2024-04-01 carries tags and sku (PartialMinimalTrackedResourceWithSku): scaling. */
  private patchDeployment(call: ArmCall, e: EndpointRecord, d: DeploymentRecord): FakeResponse {
    const checked = validBody(call, 'PartialMinimalTrackedResourceWithSku', `online deployment '${d.name}'`);
    if ('error' in checked) return checked.error;
    const sku = checked.body.sku;
    if (sku?.capacity !== undefined && sku.capacity < 1) return invalidBody([{ path: 'sku.capacity', message: `must be at least 1, got ${sku.capacity}` }], `online deployment '${d.name}'`);
    if (this.busyDeployment(d)) return conflict(`Online deployment '${d.name}' is ${d.state}; wait for that operation to finish.`);
    if (checked.body.tags !== undefined) d.body.tags = checked.body.tags;
    if (sku) d.body.sku = { ...(d.body.sku ?? { name: 'Default' }), ...sku };
    d.systemData = systemData(call.principal, this.ctx.now(), d.systemData);
    return ok(this.deploymentView(e, d));
  }

  private deleteDeployment(call: ArmCall, e: EndpointRecord, d: DeploymentRecord): FakeResponse {
    const live = e.body.properties.traffic?.[d.name] ?? 0;
    const mirror = e.body.properties.mirrorTraffic?.[d.name] ?? 0;
    if (live > 0 || mirror > 0) {
      return userError(`Deployment '${d.name}' of endpoint '${e.name}' has ${live > 0 ? `${live}% traffic` : `${mirror}% mirror traffic`}; ` +
        'set its traffic to 0 on the endpoint before deleting it.');
    }
    if (this.busyDeployment(d)) return conflict(`Online deployment '${d.name}' is ${d.state}; wait for that operation to finish.`);
    d.state = 'Deleting';
    const op = this.ops.start(e.name, d.name, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  private getLogs(call: ArmCall, d: DeploymentRecord): FakeResponse {
    const checked = validBody(call, 'DeploymentLogsRequest', `getLogs of deployment '${d.name}'`);
    if ('error' in checked) return checked.error;
    const { containerType, tail } = checked.body;
    if (tail !== undefined && tail !== null && tail < 0) return invalidBody([{ path: 'tail', message: `must be 0 or more, got ${tail}` }], `getLogs of deployment '${d.name}'`);
    let lines = containerType === 'StorageInitializer'
      ? d.script.storageInitializerLogLines ?? [`Downloading model ${d.body.properties.model ?? '(none)'}`, 'Model download complete.']
      : d.script.logLines ?? [
        `Starting inference server for deployment ${d.name}`,
        'Initializing logger',
        'Scoring script loaded: init() complete',
        'Listening at: http://0.0.0.0:31311',
      ];
    if (typeof tail === 'number') lines = tail === 0 ? [] : lines.slice(-tail);
    return ok({ content: lines.join('\n') });
  }

  private skus(call: ArmCall, d: DeploymentRecord): FakeResponse {
    const value = [{
      resourceType: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
      sku: { name: 'Default', tier: 'Standard' },
      capacity: { minimum: 1, maximum: 20, default: d.body.sku?.capacity ?? 1, scaleType: 'Manual' },
    }];
    return listPage(call.req, value.map((v) => ({ view: v, created: d.created, name: d.name })), this.ctx.scope.baseUrl);
  }

  /** `azureml:<ARM id>`-less model references: ARM id of a model version of this workspace, or a registry model. */
  private model(model: unknown, path: string, issues: ValidationIssue[]): void {
    if (typeof model !== 'string') return;
    if (/^azureml:\/\/registries\//i.test(model)) return; // registry models live elsewhere
    const ref = parseArmChildId(model);
    if (!ref || ref.kind !== 'models' || ref.version === undefined) {
      issues.push({ path, message: `'${model}' is not the ARM id of a model version (/subscriptions/.../workspaces/<ws>/models/<name>/versions/<version>)` });
    } else if (!inScope(ref, this.ctx.scope) || !this.ctx.store.version('models', ref.name, ref.version)) {
      issues.push({ path, message: `Could not find model asset ${ref.name}:${ref.version} (${model})` });
    }
  }

  // ---- long-running operations --------------------------------------------------------------------

  private busy(e: EndpointRecord): boolean {
    return e.state === 'Creating' || e.state === 'Updating' || e.state === 'Deleting';
  }

  private busyDeployment(d: DeploymentRecord): boolean {
    return d.state === 'Creating' || d.state === 'Updating' || d.state === 'Deleting';
  }

  owns(id: string): boolean {
    return this.ops.owns(id);
  }

  pollStatus(id: string): FakeResponse {
    return this.ops.pollStatus(id);
  }

  pollResult(id: string, apiVersion: string): FakeResponse {
    return this.ops.pollResult(id, apiVersion);
  }

  /** The outcome of an operation at its second poll (a hang waits for release). */
  private settle(op: Operation): void {
    const e = this.endpoints.get(op.endpoint);
    const d = op.deployment !== undefined ? e?.deployments.get(op.deployment) : undefined;
    if (op.action === 'delete') {
      if (op.deployment !== undefined) e?.deployments.delete(op.deployment);
      else this.endpoints.delete(op.endpoint);
      this.ops.finish(op, 'Succeeded');
      return;
    }
    if (op.deployment === undefined) {
      if (e) e.state = 'Succeeded';
      this.ops.finish(op, 'Succeeded');
      return;
    }
    if (!d) {
      this.ops.finish(op, 'Failed', { code: 'ResourceNotFound', message: `Deployment '${op.deployment}' no longer exists.` });
      return;
    }
    const outcome = d.script.provisioning === 'hang' ? op.released : (d.script.provisioning ?? 'Succeeded');
    if (outcome === undefined) return;
    d.state = outcome;
    if (outcome === 'Succeeded') this.ops.finish(op, 'Succeeded');
    else this.ops.finish(op, 'Failed', d.script.error ?? DEFAULT_FAILURE);
  }

  // ---- views ---------------------------------------------------------------------------------------

  scoringUri(name: string): string {
    return `${this.ctx.scope.baseUrl}/inference/${encodeURIComponent(name)}/score`;
  }

  endpointView(e: EndpointRecord): any {
    const props = e.body.properties;
    return {
      id: `${workspaceArmId(this.ctx.scope)}/onlineEndpoints/${e.name}`,
      name: e.name,
      type: `${PROVIDER}/workspaces/onlineEndpoints`,
      location: e.body.location,
      tags: e.body.tags ?? {},
      kind: e.body.kind,
      identity: identityView(e.body.identity, this.ctx.scope.tenantId, `onlineEndpoints/${e.name}`),
      properties: {
        description: null,
        properties: {},
        ...props,
        keys: null,
        traffic: props.traffic ?? {},
        mirrorTraffic: props.mirrorTraffic ?? {},
        scoringUri: this.scoringUri(e.name),
        swaggerUri: `${this.ctx.scope.baseUrl}/inference/${encodeURIComponent(e.name)}/swagger.json`,
        provisioningState: e.state,
      },
      systemData: e.systemData,
    };
  }

  deploymentView(e: EndpointRecord, d: DeploymentRecord): any {
    return {
      id: `${workspaceArmId(this.ctx.scope)}/onlineEndpoints/${e.name}/deployments/${d.name}`,
      name: d.name,
      type: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
      location: d.body.location,
      tags: d.body.tags ?? {},
      kind: d.body.kind,
      sku: d.body.sku,
      identity: d.body.identity,
      properties: { description: null, properties: {}, ...d.body.properties, provisioningState: d.state },
      systemData: d.systemData,
    };
  }
}

function newKey(): string {
  return randomBytes(24).toString('base64');
}

function sameTraffic(a: Record<string, number> | undefined, b: Record<string, number> | undefined): boolean {
  const x = Object.entries(a ?? {}).filter(([, v]) => v > 0).sort();
  const y = Object.entries(b ?? {}).filter(([, v]) => v > 0).sort();
  return JSON.stringify(x) === JSON.stringify(y);
}
