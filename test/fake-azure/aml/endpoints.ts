// Managed and Kubernetes online endpoints and their deployments: PUT/DELETE as long-running operations, traffic rules,
// keys and tokens, deployment logs and SKUs, with provisioning scripted per deployment by tests.
import { randomBytes } from 'crypto';
import type { FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { EndpointCollection, type DeploymentBase, type EndpointBase, type ProvisioningScript, type ResourceState } from './endpoint-common';
import { listPage } from './lists';
import { conflict } from './operations';
import { invalidBody, ok, systemData, userError } from './responses';
import { inScope, parseArmChildId, PROVIDER } from './scope';
import type { FixedResource } from './store';

export type { ProvisioningOutcome } from './operations';

/** What a test scripts for a deployment (by name, or `*` for any); a Failed provisioning's `error` defaults to an
 * image build failure as Azure ML reports it. */
export interface DeploymentScript extends ProvisioningScript {
  /** Container logs returned by getLogs (InferenceServer); default a few start-up lines. */
  logLines?: string[];
  /** StorageInitializer container logs. */
  storageInitializerLogLines?: string[];
  /** Share (0..1) of scoring requests answered 500, spread deterministically by a counter. */
  failureRate?: number;
  /** Added to every scoring answer, in milliseconds. */
  latencyMs?: number;
}

export type EndpointState = ResourceState;
export type DeploymentState = ResourceState;

export interface DeploymentRecord extends DeploymentBase<DeploymentScript> {
  /** Scoring requests answered so far (drives failureRate). */
  scored: number;
}

export interface EndpointRecord extends EndpointBase<DeploymentRecord> {
  keys: { primaryKey: string; secondaryKey: string };
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
export class OnlineEndpoints extends EndpointCollection<DeploymentScript, DeploymentRecord, EndpointRecord> {
  /** AML tokens issued by the `token` action: token -> endpoint and expiry. */
  readonly amlTokens = new Map<string, { endpoint: string; expires: Date }>();

  constructor(ctx: ServiceContext) {
    super(ctx, { label: 'Online', collection: 'onlineEndpoints', scriptCall: 'scriptDeployments', releaseCall: 'releaseDeployment', defaultFailure: DEFAULT_FAILURE });
  }

  protected override checkScript(name: string, s: DeploymentScript): void {
    if (s.failureRate !== undefined && !(s.failureRate >= 0 && s.failureRate <= 1)) throw new Error(`scriptDeployments: ${name}.failureRate must be within 0..1`);
    if (s.latencyMs !== undefined && !(s.latencyMs >= 0)) throw new Error(`scriptDeployments: ${name}.latencyMs must be >= 0`);
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

  // ---- endpoints -----------------------------------------------------------------------------------

  private putEndpoint(call: ArmCall, name: string): FakeResponse {
    const put = this.endpointPut(call, name, 'OnlineEndpointTrackedResource');
    if ('error' in put) return put.error;
    const { body, existing, issues } = put;
    const compute = this.endpointCompute(body.properties.compute, issues);
    if (existing) {
      // keys are never returned, so a re-PUT cannot repeat them
      this.endpointChanges('OnlineEndpointTrackedResource', existing, body, issues, (p) => !p.startsWith('properties.keys'));
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
    const refused = this.endpointRefusal(name, existing, issues);
    if (refused) return refused;
    if (existing && !sameTraffic(existing.body.properties.traffic, body.properties.traffic)) existing.rr.clear();
    const keys = body.properties.keys ?? {};
    delete body.properties.keys;
    return this.acceptEndpoint(call, name, body, existing, (common) => ({
      ...common,
      keys: { primaryKey: keys.primaryKey ?? newKey(), secondaryKey: keys.secondaryKey ?? newKey() },
      rr: new Map(),
      routed: 0,
    }));
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

  private putDeployment(call: ArmCall, e: EndpointRecord, name: string): FakeResponse {
    const put = this.deploymentPut(call, e, name, 'OnlineDeploymentTrackedResource');
    if ('error' in put) return put.error;
    const { body, existing, issues, what } = put;
    const p = body.properties;
    if (existing && existing.body.properties.endpointComputeType !== p.endpointComputeType) {
      issues.push({ path: 'properties.endpointComputeType', message: 'cannot be changed after the deployment is created' });
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
    const refused = this.deploymentRefusal(e, existing, issues, what);
    if (refused) return refused;
    return this.acceptDeployment(call, e, name, body, existing, (common) => ({ ...common, scored: 0 }));
  }

  /** PATCH at 2024-04-01 carries tags and sku (PartialMinimalTrackedResourceWithSku): scaling. */
  private patchDeployment(call: ArmCall, e: EndpointRecord, d: DeploymentRecord): FakeResponse {
    const checked = validBody(call, 'PartialMinimalTrackedResourceWithSku', `online deployment '${d.name}'`);
    if ('error' in checked) return checked.error;
    const sku = checked.body.sku;
    if (sku?.capacity !== undefined && sku.capacity < 1) return invalidBody([{ path: 'sku.capacity', message: `must be at least 1, got ${sku.capacity}` }], `online deployment '${d.name}'`);
    const busy = this.busyDeployment(d);
    if (busy) return busy;
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
    return this.startDeploymentDelete(call, e, d);
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

  // ---- views ---------------------------------------------------------------------------------------

  scoringUri(name: string): string {
    return `${this.ctx.scope.baseUrl}/inference/${encodeURIComponent(name)}/score`;
  }

  endpointView(e: EndpointRecord): any {
    const props = e.body.properties;
    return this.endpointResource(e, {
      description: null,
      properties: {},
      ...props,
      keys: null,
      traffic: props.traffic ?? {},
      mirrorTraffic: props.mirrorTraffic ?? {},
      scoringUri: this.scoringUri(e.name),
      swaggerUri: `${this.ctx.scope.baseUrl}/inference/${encodeURIComponent(e.name)}/swagger.json`,
      provisioningState: e.state,
    });
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
