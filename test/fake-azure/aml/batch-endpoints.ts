// Batch endpoints and their deployments (model and pipeline-component deployments): PUT/DELETE as long-running
// operations like online endpoints, with provisioning scripted per deployment by tests.
import type { FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import { validatorFor, VALIDATED_API_VERSION } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { listPage } from './lists';
import { checkLocation, conflict, DEPLOYMENT_NAME, ENDPOINT_NAME, EndpointOperations, identityView, type Operation, type ProvisioningOutcome } from './operations';
import { invalidBody, notFound, ok, systemData, userError, type SystemData } from './responses';
import { inScope, parseArmChildId, PROVIDER, workspaceArmId } from './scope';

/** What a test scripts for a batch deployment (by name, or `*` for any). */
export interface BatchDeploymentScript {
  /** Default Succeeded. */
  provisioning?: ProvisioningOutcome;
  /** The error a Failed provisioning reports. */
  error?: { code: string; message: string };
}

type State = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

export interface BatchDeploymentRecord {
  name: string;
  endpoint: string;
  body: any;
  state: State;
  systemData: SystemData;
  created: Date;
  script: BatchDeploymentScript;
  /** The model version a model deployment scores with (undefined for registry models and pipeline deployments). */
  modelType?: string;
  /** The pipeline component spec a pipeline-component deployment runs. */
  componentSpec?: any;
}

export interface BatchEndpointRecord {
  name: string;
  body: any;
  state: State;
  systemData: SystemData;
  created: Date;
  deployments: Map<string, BatchDeploymentRecord>;
}

const DEFAULT_FAILURE = {
  code: 'DeploymentFailed',
  message: 'The batch deployment failed to provision: the environment image could not be built. See the deployment logs for details.',
};

/** The batch endpoints of one workspace. */
export class BatchEndpoints {
  readonly endpoints = new Map<string, BatchEndpointRecord>();
  private readonly ops: EndpointOperations;
  private scripts: Record<string, BatchDeploymentScript> = {};

  constructor(private readonly ctx: ServiceContext) {
    this.ops = new EndpointOperations(ctx, (op) => this.settle(op));
  }

  script(scripts: Record<string, BatchDeploymentScript> | undefined): void {
    for (const [name, s] of Object.entries(scripts ?? {})) {
      if (s.provisioning !== undefined && !['Succeeded', 'Failed', 'hang'].includes(s.provisioning)) throw new Error(`scriptBatchDeployments: ${name}.provisioning must be Succeeded, Failed or hang`);
    }
    this.scripts = structuredClone(scripts ?? {});
  }

  /** Ends the provisioning of a hanging deployment; the next poll of its operation reports the outcome. */
  release(endpoint: string, deployment: string, outcome: 'Succeeded' | 'Failed' = 'Succeeded'): void {
    const op = this.ops.provisioning(endpoint, deployment);
    if (!op) throw new Error(`releaseBatchDeployment: no provisioning under way for ${endpoint}/${deployment}`);
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

  async handle(call: ArmCall, rest: string[]): Promise<FakeResponse | undefined> {
    const [name, third, fourth, fifth] = rest;
    const method = call.req.method;
    if (name === undefined) return method === 'GET' ? this.list(call) : undefined;
    if (third === undefined) {
      if (method === 'PUT') return this.putEndpoint(call, name);
      if (method === 'GET') return this.withEndpoint(name, (e) => ok(this.endpointView(e)));
      if (method === 'DELETE') return this.deleteEndpoint(call, name);
      return undefined;
    }
    if (third.toLowerCase() !== 'deployments' || fifth !== undefined) return undefined;
    if (fourth === undefined) return method === 'GET' ? this.withEndpoint(name, (e) => this.listDeployments(call, e)) : undefined;
    if (method === 'PUT') return this.withEndpoint(name, (e) => this.putDeployment(call, e, fourth));
    if (method === 'GET') return this.withDeployment(name, fourth, (e, d) => ok(this.deploymentView(e, d)));
    if (method === 'DELETE') {
      // ARM answers 204 for a DELETE of something that is not there (the endpoint itself must exist).
      return this.withEndpoint(name, (e) => {
        const d = e.deployments.get(fourth);
        return d ? this.deleteDeployment(call, e, d) : { status: 204 };
      });
    }
    return undefined;
  }

  private withEndpoint(name: string, f: (e: BatchEndpointRecord) => FakeResponse): FakeResponse {
    const e = this.endpoints.get(name);
    if (!e) return notFound(`Batch endpoint '${name}' was not found in workspace '${this.ctx.scope.workspaceName}'.`);
    return f(e);
  }

  private withDeployment(endpoint: string, name: string, f: (e: BatchEndpointRecord, d: BatchDeploymentRecord) => FakeResponse): FakeResponse {
    return this.withEndpoint(endpoint, (e) => {
      const d = e.deployments.get(name);
      if (!d) return notFound(`Batch deployment '${name}' was not found under endpoint '${endpoint}' in workspace '${this.ctx.scope.workspaceName}'.`);
      return f(e, d);
    });
  }

  // ---- endpoints -----------------------------------------------------------------------------------

  private list(call: ArmCall): FakeResponse {
    const items = [...this.endpoints.values()].map((e) => ({ view: this.endpointView(e), created: e.created, name: e.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  private putEndpoint(call: ArmCall, name: string): FakeResponse {
    if (!ENDPOINT_NAME.test(name)) {
      return userError(`'${name}' is not a valid batch endpoint name: it must start with a letter, be 3 to 32 characters long and contain only letters, digits and '-'.`);
    }
    const what = `batch endpoint '${name}'`;
    const checked = validBody(call, 'BatchEndpointTrackedResource', what);
    if ('error' in checked) return checked.error;
    const body = checked.body;
    const props = body.properties;
    const existing = this.endpoints.get(name);
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, body, issues);
    // Batch endpoints are invoked with Microsoft Entra tokens only (the CLI and the docs offer nothing else).
    if (props.authMode !== 'AADToken') issues.push({ path: 'properties.authMode', message: `'${props.authMode}' is not supported by batch endpoints; use AADToken` });
    if (props.keys !== undefined && props.keys !== null) issues.push({ path: 'properties.keys', message: 'batch endpoints have no keys (authMode AADToken)' });
    const defaultName = props.defaults?.deploymentName;
    if (defaultName !== undefined && defaultName !== null && !existing?.deployments.has(defaultName)) {
      issues.push({ path: 'properties.defaults.deploymentName', message: `Deployment '${defaultName}' does not exist in batch endpoint '${name}'; create it before making it the default` });
    }
    if (existing) {
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('BatchEndpointTrackedResource', existing.body, body);
      issues.push(...changed.map((p) => ({ path: p, message: 'cannot be changed after the endpoint is created' })));
    }
    if (issues.length) return invalidBody(issues, what);
    if (existing && this.busy(existing)) return conflict(`Batch endpoint '${name}' is ${existing.state}; wait for that operation to finish.`);

    const now = this.ctx.now();
    let record: BatchEndpointRecord;
    if (existing) {
      existing.body = body;
      existing.state = 'Updating';
      existing.systemData = systemData(call.principal, now, existing.systemData);
      record = existing;
    } else {
      record = { name, body, state: 'Creating', systemData: systemData(call.principal, now), created: now, deployments: new Map() };
      this.endpoints.set(name, record);
    }
    const op = this.ops.start(name, undefined, existing ? 'update' : 'create');
    return ok(this.endpointView(record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  private deleteEndpoint(call: ArmCall, name: string): FakeResponse {
    const e = this.endpoints.get(name);
    // ARM answers 204 for a DELETE of something that is not there.
    if (!e) return { status: 204 };
    if (e.state === 'Deleting') return conflict(`Batch endpoint '${name}' is already being deleted.`);
    if (this.busy(e)) return conflict(`Batch endpoint '${name}' is ${e.state}; wait for that operation to finish.`);
    e.state = 'Deleting';
    for (const d of e.deployments.values()) d.state = 'Deleting';
    const op = this.ops.start(name, undefined, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  // ---- deployments ---------------------------------------------------------------------------------

  private listDeployments(call: ArmCall, e: BatchEndpointRecord): FakeResponse {
    const items = [...e.deployments.values()].map((d) => ({ view: this.deploymentView(e, d), created: d.created, name: d.name }));
    return listPage(call.req, items, this.ctx.scope.baseUrl);
  }

  private putDeployment(call: ArmCall, e: BatchEndpointRecord, name: string): FakeResponse {
    if (!DEPLOYMENT_NAME.test(name)) return userError(`'${name}' is not a valid deployment name: it must match ${DEPLOYMENT_NAME.source}.`);
    const what = `batch deployment '${name}' of endpoint '${e.name}'`;
    const checked = validBody(call, 'BatchDeploymentTrackedResource', what);
    if ('error' in checked) return checked.error;
    const body = checked.body;
    const p = body.properties;
    const issues: ValidationIssue[] = [];
    checkLocation(this.ctx, body, issues);
    const existing = e.deployments.get(name);
    if (existing) {
      const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('BatchDeploymentTrackedResource', existing.body, body);
      issues.push(...changed.map((path) => ({ path, message: 'cannot be changed after the deployment is created' })));
    }
    this.compute(p.compute, issues);
    const config = p.deploymentConfiguration ?? undefined;
    const model = p.model ?? undefined;
    let modelType: string | undefined;
    let componentSpec: any;
    if (model && config) {
      issues.push({ path: 'properties.deploymentConfiguration', message: 'a batch deployment deploys either a model (properties.model) or a pipeline component (deploymentConfiguration), not both' });
    } else if (!model && !config) {
      issues.push({ path: 'properties.model', message: 'is required: a batch deployment deploys a model, or a pipeline component through deploymentConfiguration' });
    } else if (model) {
      modelType = this.model(model, issues);
      const mlflow = modelType === 'mlflow_model';
      // MLflow models bring their own scoring; any other model needs a scoring script and an environment.
      if (!mlflow && !p.codeConfiguration) issues.push({ path: 'properties.codeConfiguration', message: 'is required unless the model is an MLflow model (modelType mlflow_model): the scoring script' });
      if (!mlflow && !p.environmentId) issues.push({ path: 'properties.environmentId', message: 'is required unless the model is an MLflow model (modelType mlflow_model)' });
      if (p.codeConfiguration && (p.codeConfiguration.codeId === undefined || p.codeConfiguration.codeId === null)) {
        issues.push({ path: 'properties.codeConfiguration.codeId', message: 'is required: the code version holding the scoring script' });
      }
    } else {
      componentSpec = this.pipelineComponent(config, issues);
      // Best understanding: the components bring their code and environments; the deployment itself has none.
      for (const member of ['codeConfiguration', 'environmentId'] as const) {
        if (p[member] !== undefined && p[member] !== null) issues.push({ path: `properties.${member}`, message: 'is not used by a pipeline component deployment (its components name their own)' });
      }
    }
    this.ctx.refs.environment(p.environmentId, 'properties.environmentId', issues);
    if (p.codeConfiguration) this.ctx.refs.code(p.codeConfiguration.codeId, 'properties.codeConfiguration.codeId', issues);
    if (issues.length) return invalidBody(issues, what);
    if (this.busy(e)) return conflict(`Batch endpoint '${e.name}' is ${e.state}; deployments can be created once it has finished.`);
    if (existing && this.busy(existing)) return conflict(`Batch deployment '${name}' is ${existing.state}; wait for that operation to finish.`);

    const now = this.ctx.now();
    const script = structuredClone(this.scripts[name] ?? this.scripts['*'] ?? {});
    let record: BatchDeploymentRecord;
    if (existing) {
      Object.assign(existing, { body, state: 'Updating', script, modelType, componentSpec, systemData: systemData(call.principal, now, existing.systemData) });
      record = existing;
    } else {
      record = { name, endpoint: e.name, body, state: 'Creating', systemData: systemData(call.principal, now), created: now, script, modelType, componentSpec };
      e.deployments.set(name, record);
    }
    const op = this.ops.start(e.name, name, existing ? 'update' : 'create');
    return ok(this.deploymentView(e, record), existing ? 200 : 201, this.ops.asyncHeaders(op, call.apiVersion));
  }

  private deleteDeployment(call: ArmCall, e: BatchEndpointRecord, d: BatchDeploymentRecord): FakeResponse {
    // Best understanding: the CLI refuses to delete the default deployment; the service is taken to do the same.
    if (e.body.properties.defaults?.deploymentName === d.name) {
      return userError(`Deployment '${d.name}' is the default deployment of batch endpoint '${e.name}'; make another deployment the default (or clear defaults.deploymentName) before deleting it.`);
    }
    if (this.busy(d)) return conflict(`Batch deployment '${d.name}' is ${d.state}; wait for that operation to finish.`);
    d.state = 'Deleting';
    const op = this.ops.start(e.name, d.name, 'delete');
    return { status: 202, headers: this.ops.deleteHeaders(op, call.apiVersion) };
  }

  /** Batch deployments run on a compute cluster: the ARM id of an AmlCompute of this workspace. */
  private compute(compute: unknown, issues: ValidationIssue[]): void {
    const path = 'properties.compute';
    if (compute === undefined || compute === null) {
      issues.push({ path, message: 'is required: the ARM id of the compute cluster (AmlCompute) the deployment runs on' });
      return;
    }
    const before = issues.length;
    this.ctx.refs.compute(compute, path, issues);
    if (issues.length > before) return;
    const found = this.ctx.store.compute(parseArmChildId(String(compute))!.name);
    if (found?.properties.computeType !== 'AmlCompute') issues.push({ path, message: `Compute '${found?.name}' is not a compute cluster (AmlCompute)` });
  }

  /** `{referenceType: 'Id', assetId}` of a model version of this workspace (or a registry model); returns its modelType. */
  private model(model: any, issues: ValidationIssue[]): string | undefined {
    if (model.referenceType !== 'Id') {
      issues.push({ path: 'properties.model.referenceType', message: `'${model.referenceType}' is not supported for batch deployments; reference the model version by Id` });
      return undefined;
    }
    const id: string = model.assetId;
    if (/^azureml:\/\/registries\//i.test(id)) return undefined; // registry models live elsewhere
    const ref = parseArmChildId(id);
    const path = 'properties.model.assetId';
    if (!ref || ref.kind !== 'models' || ref.version === undefined) {
      issues.push({ path, message: `'${id}' is not the ARM id of a model version (/subscriptions/.../workspaces/<ws>/models/<name>/versions/<version>)` });
      return undefined;
    }
    const version = inScope(ref, this.ctx.scope) ? this.ctx.store.version('models', ref.name, ref.version) : undefined;
    if (!version) {
      issues.push({ path, message: `Could not find model asset ${ref.name}:${ref.version} (${id})` });
      return undefined;
    }
    return version.body.properties?.modelType ?? undefined;
  }

  /** `{deploymentConfigurationType: 'PipelineComponent', componentId: {referenceType: 'Id', assetId}}` of a pipeline component version. */
  private pipelineComponent(config: any, issues: ValidationIssue[]): any {
    // The schema admits only PipelineComponent (its `Model` value has no concrete type in the spec).
    const path = 'properties.deploymentConfiguration';
    const id = config.componentId?.assetId;
    if (typeof id !== 'string') {
      issues.push({ path: `${path}.componentId`, message: 'is required: {referenceType: "Id", assetId: <component version ARM id>}' });
      return undefined;
    }
    const ref = parseArmChildId(id);
    if (!ref || ref.kind !== 'components' || ref.version === undefined) {
      issues.push({ path: `${path}.componentId.assetId`, message: `'${id}' is not the ARM id of a component version (/subscriptions/.../workspaces/<ws>/components/<name>/versions/<version>)` });
      return undefined;
    }
    const version = inScope(ref, this.ctx.scope) ? this.ctx.store.version('components', ref.name, ref.version) : undefined;
    if (!version) {
      issues.push({ path: `${path}.componentId.assetId`, message: `Could not find component ${ref.name}:${ref.version} (${id})` });
      return undefined;
    }
    const spec = version.body.properties?.componentSpec;
    if (spec?.type !== 'pipeline') {
      issues.push({ path: `${path}.componentId.assetId`, message: `${ref.name}:${ref.version} is a ${spec?.type} component; a pipeline component deployment needs a pipeline component` });
      return undefined;
    }
    return spec;
  }

  // ---- long-running operations --------------------------------------------------------------------

  private busy(r: { state: State }): boolean {
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
    else this.ops.finish(op, 'Failed', d.script.error ?? DEFAULT_FAILURE);
  }

  // ---- views ---------------------------------------------------------------------------------------

  /** The fake's stand-in for `https://<endpoint>.<region>.inference.ml.azure.com/jobs`. */
  scoringUri(name: string): string {
    return `${this.ctx.scope.baseUrl}/batch/${encodeURIComponent(name)}/jobs`;
  }

  endpointView(e: BatchEndpointRecord): any {
    return {
      id: `${workspaceArmId(this.ctx.scope)}/batchEndpoints/${e.name}`,
      name: e.name,
      type: `${PROVIDER}/workspaces/batchEndpoints`,
      location: e.body.location,
      tags: e.body.tags ?? {},
      kind: e.body.kind,
      identity: identityView(e.body.identity, this.ctx.scope.tenantId, `batchEndpoints/${e.name}`),
      properties: {
        description: null,
        properties: {},
        ...e.body.properties,
        defaults: e.body.properties.defaults ?? { deploymentName: null },
        keys: null,
        scoringUri: this.scoringUri(e.name),
        swaggerUri: `${this.ctx.scope.baseUrl}/batch/${encodeURIComponent(e.name)}/swagger.json`,
        provisioningState: e.state,
      },
      systemData: e.systemData,
    };
  }

  deploymentView(e: BatchEndpointRecord, d: BatchDeploymentRecord): any {
    return {
      id: `${workspaceArmId(this.ctx.scope)}/batchEndpoints/${e.name}/deployments/${d.name}`,
      name: d.name,
      type: `${PROVIDER}/workspaces/batchEndpoints/deployments`,
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
