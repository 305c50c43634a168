// What online and batch endpoints share: records of endpoints and their deployments, scripted provisioning and its
// release, lookups, lists, PUT/DELETE as long-running operations (settled in `aml/operations.ts`), and the views'
// common members. Each kind adds its own rules, bodies, views of its endpoint properties and scoring URIs.
import type { FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import { validatorFor, VALIDATED_API_VERSION } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { listPage } from './lists';
import { checkLocation, conflict, DEPLOYMENT_NAME, ENDPOINT_NAME, EndpointOperations, identityView, type Operation, type ProvisioningOutcome } from './operations';
import { invalidBody, notFound, ok, systemData, userError, type SystemData } from './responses';
import { PROVIDER, workspaceArmId } from './scope';

export type ResourceState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

/** What a test scripts for the provisioning of a deployment (by name, or `*` for any). */
export interface ProvisioningScript {
  /** Default Succeeded. */
  provisioning?: ProvisioningOutcome;
  /** The error a Failed provisioning reports (default the kind's own). */
  error?: { code: string; message: string };
}

export interface DeploymentBase<S extends ProvisioningScript> {
  name: string;
  endpoint: string;
  body: any;
  state: ResourceState;
  systemData: SystemData;
  created: Date;
  script: S;
}

export interface EndpointBase<D> {
  name: string;
  body: any;
  state: ResourceState;
  systemData: SystemData;
  created: Date;
  deployments: Map<string, D>;
}

/** How one kind of endpoint names itself in messages and ids. */
export interface EndpointKind {
  /** `Online` or `Batch`: "Online endpoint 'e' ...", "batch deployment 'd' ...". */
  label: string;
  /** The ARM collection under the workspace: `onlineEndpoints`, `batchEndpoints`. */
  collection: string;
  /** The workspace calls that script and release provisioning, named in their errors. */
  scriptCall: string;
  releaseCall: string;
  /** What a Failed provisioning reports when its script gives no error. */
  defaultFailure: { code: string; message: string };
}

/** The endpoints of one kind in one workspace, with what both kinds do alike. */
export abstract class EndpointCollection<S extends ProvisioningScript, D extends DeploymentBase<S>, E extends EndpointBase<D>> {
  readonly endpoints = new Map<string, E>();
  protected readonly ops: EndpointOperations;
  private scripts: Record<string, S> = {};
  private readonly noun: string;

  constructor(protected readonly ctx: ServiceContext, private readonly kind: EndpointKind) {
    this.ops = new EndpointOperations(ctx, (op) => this.settle(op));
    this.noun = kind.label.toLowerCase();
  }

  abstract endpointView(e: E): any;

  /** Checks of a script beyond its provisioning outcome (throw to refuse it). */
  protected checkScript(_name: string, _script: S): void {}

  script(scripts: Record<string, S> | undefined): void {
    for (const [name, s] of Object.entries(scripts ?? {})) {
      if (s.provisioning !== undefined && !['Succeeded', 'Failed', 'hang'].includes(s.provisioning)) throw new Error(`${this.kind.scriptCall}: ${name}.provisioning must be Succeeded, Failed or hang`);
      this.checkScript(name, s);
    }
    this.scripts = structuredClone(scripts ?? {});
  }

  /** Ends the provisioning of a hanging deployment; the next poll of its operation reports the outcome. */
  release(endpoint: string, deployment: string, outcome: 'Succeeded' | 'Failed' = 'Succeeded'): void {
    const op = this.ops.provisioning(endpoint, deployment);
    if (!op) throw new Error(`${this.kind.releaseCall}: no provisioning under way for ${endpoint}/${deployment}`);
    op.released = outcome;
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

  // ---- lookups and lists ---------------------------------------------------------------------------

  protected withEndpoint(name: string, f: (e: E) => FakeResponse): FakeResponse {
    const e = this.endpoints.get(name);
    if (!e) return this.missingEndpoint(name);
    return f(e);
  }

  protected withDeployment(endpoint: string, name: string, f: (e: E, d: D) => FakeResponse): FakeResponse {
    return this.withEndpoint(endpoint, (e) => {
      const d = e.deployments.get(name);
      if (!d) return notFound(`${this.kind.label} deployment '${name}' was not found under endpoint '${endpoint}' in workspace '${this.ctx.scope.workspaceName}'.`);
      return f(e, d);
    });
  }

  protected missingEndpoint(name: string): FakeResponse {
    return notFound(`${this.kind.label} endpoint '${name}' was not found in workspace '${this.ctx.scope.workspaceName}'.`);
  }

  protected list(call: ArmCall): FakeResponse {
    const items = [...this.endpoints.values()].map((e) => ({ view: this.endpointView(e), created: e.created, name: e.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  protected listDeployments(call: ArmCall, e: E): FakeResponse {
    const items = [...e.deployments.values()].map((d) => ({ view: this.deploymentView(e, d), created: d.created, name: d.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  // ---- PUT and DELETE ------------------------------------------------------------------------------

  /**
   * The start of an endpoint PUT: the name rule, the body checked against `definition`, the endpoint being replaced
   * (if any) and the issues found so far (the location rule); or the answer when the name or body is refused.
   */
  protected endpointPut(call: ArmCall, name: string, definition: string): { error: FakeResponse } | { body: any; existing: E | undefined; issues: ValidationIssue[] } {
    if (!ENDPOINT_NAME.test(name)) {
      return { error: userError(`'${name}' is not a valid ${this.noun} endpoint name: it must start with a letter, be 3 to 32 characters long and contain only letters, digits and '-'.`) };
    }
    const checked = validBody(call, definition, `${this.noun} endpoint '${name}'`);
    if ('error' in checked) return checked;
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, checked.body, issues);
    return { body: checked.body, existing: this.endpoints.get(name), issues };
  }

  /** Issues for the create-only members a re-PUT of an endpoint changes (those `counts`). */
  protected endpointChanges(definition: string, existing: E, body: any, issues: ValidationIssue[], counts: (path: string) => boolean = () => true): void {
    const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences(definition, existing.body, body).filter(counts);
    issues.push(...changed.map((path) => ({ path, message: 'cannot be changed after the endpoint is created' })));
  }

  /** The start of a deployment PUT, as `endpointPut` for endpoints. */
  protected deploymentPut(call: ArmCall, e: E, name: string, definition: string): { error: FakeResponse } | { body: any; existing: D | undefined; issues: ValidationIssue[]; what: string } {
    if (!DEPLOYMENT_NAME.test(name)) return { error: userError(`'${name}' is not a valid deployment name: it must match ${DEPLOYMENT_NAME.source}.`) };
    const what = `${this.noun} deployment '${name}' of endpoint '${e.name}'`;
    const checked = validBody(call, definition, what);
    if ('error' in checked) return checked;
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, checked.body, issues);
    const existing = e.deployments.get(name);
    if (existing) {
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences(definition, existing.body, checked.body);
      issues.push(...changed.map((path) => ({ path, message: 'cannot be changed after the deployment is created' })));
    }
    return { body: checked.body, existing, issues, what };
  }

  /** The 400 for the issues of an endpoint PUT, or the 409 while the endpoint is busy. */
  protected endpointRefusal(name: string, existing: E | undefined, issues: ValidationIssue[]): FakeResponse | undefined {
    if (issues.length) return invalidBody(issues, `${this.noun} endpoint '${name}'`);
    if (existing && this.busy(existing)) return conflict(`${this.kind.label} endpoint '${name}' is ${existing.state}; wait for that operation to finish.`);
    return undefined;
  }

  /** The 400 for the issues of a deployment PUT, or the 409 while its endpoint or the deployment is busy. */
  protected deploymentRefusal(e: E, existing: D | undefined, issues: ValidationIssue[], what: string): FakeResponse | undefined {
    if (issues.length) return invalidBody(issues, what);
    if (this.busy(e)) return conflict(`${this.kind.label} endpoint '${e.name}' is ${e.state}; deployments can be created once it has finished.`);
    if (existing) return this.busyDeployment(existing);
    return undefined;
  }

  /** The 409 for a deployment with an operation under way. */
  protected busyDeployment(d: D): FakeResponse | undefined {
    return this.busy(d) ? conflict(`${this.kind.label} deployment '${d.name}' is ${d.state}; wait for that operation to finish.`) : undefined;
  }

  /** Replaces the endpoint's body (re-PUT, Updating) or adds it (`create`, Creating), and answers 200 or 201 with its operation. */
  protected acceptEndpoint(call: ArmCall, name: string, body: any, existing: E | undefined, create: (common: EndpointBase<D>) => E): FakeResponse {
    const now = this.ctx.now();
    let record: E;
    if (existing) {
      existing.body = body;
      existing.state = 'Updating';
      existing.systemData = systemData(call.principal, now, existing.systemData);
      record = existing;
    } else {
      record = create({ name, body, state: 'Creating', systemData: systemData(call.principal, now), created: now, deployments: new Map() });
      this.endpoints.set(name, record);
    }
    const op = this.ops.start(name, undefined, existing ? 'update' : 'create');
    return ok(this.endpointView(record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  /**
   * Replaces the deployment's body and takes its script anew (re-PUT, Updating, then `update`) or adds it (`create`,
   * Creating), and answers 200 or 201 with its operation.
   */
  protected acceptDeployment(call: ArmCall, e: E, name: string, body: any, existing: D | undefined, create: (common: DeploymentBase<S>) => D, update?: (d: D) => void): FakeResponse {
    const now = this.ctx.now();
    const script = structuredClone(this.scripts[name] ?? this.scripts['*'] ?? ({} as S));
    let record: D;
    if (existing) {
      existing.body = body;
      existing.state = 'Updating';
      existing.script = script;
      update?.(existing);
      existing.systemData = systemData(call.principal, now, existing.systemData);
      record = existing;
    } else {
      record = create({ name, endpoint: e.name, body, state: 'Creating', systemData: systemData(call.principal, now), created: now, script });
      e.deployments.set(name, record);
    }
    const op = this.ops.start(e.name, name, existing ? 'update' : 'create');
    return ok(this.deploymentView(e, record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  protected deleteEndpoint(call: ArmCall, name: string): FakeResponse {
    const e = this.endpoints.get(name);
    // ARM answers 204 for a DELETE of something that is not there.
    if (!e) return { status: 204 };
    if (e.state === 'Deleting') return conflict(`${this.kind.label} endpoint '${name}' is already being deleted.`);
    if (this.busy(e)) return conflict(`${this.kind.label} endpoint '${name}' is ${e.state}; wait for that operation to finish.`);
    e.state = 'Deleting';
    for (const d of e.deployments.values()) d.state = 'Deleting';
    const op = this.ops.start(name, undefined, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  /** Deletes a deployment once the kind's own rules allow it: 409 while busy, else 202 with its operation. */
  protected startDeploymentDelete(call: ArmCall, e: E, d: D): FakeResponse {
    const busy = this.busyDeployment(d);
    if (busy) return busy;
    d.state = 'Deleting';
    const op = this.ops.start(e.name, d.name, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  // ---- long-running operations --------------------------------------------------------------------

  protected busy(r: { state: ResourceState }): boolean {
    return r.state === 'Creating' || r.state === 'Updating' || r.state === 'Deleting';
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
    else this.ops.finish(op, 'Failed', d.script.error ?? this.kind.defaultFailure);
  }

  // ---- views ---------------------------------------------------------------------------------------

  /** The endpoint as ARM shows it, around the kind's `properties`. */
  protected endpointResource(e: E, properties: any): any {
    return {
      id: `${workspaceArmId(this.ctx.scope)}/${this.kind.collection}/${e.name}`,
      name: e.name,
      type: `${PROVIDER}/workspaces/${this.kind.collection}`,
      location: e.body.location,
      tags: e.body.tags ?? {},
      kind: e.body.kind,
      identity: identityView(e.body.identity, this.ctx.scope.tenantId, `${this.kind.collection}/${e.name}`),
      properties,
      systemData: e.systemData,
    };
  }

  deploymentView(e: E, d: D): any {
    return {
      id: `${workspaceArmId(this.ctx.scope)}/${this.kind.collection}/${e.name}/deployments/${d.name}`,
      name: d.name,
      type: `${PROVIDER}/workspaces/${this.kind.collection}/deployments`,
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
