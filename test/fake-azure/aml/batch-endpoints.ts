// Batch endpoints and their deployments (model and pipeline-component deployments): PUT/DELETE as long-running
// operations like online endpoints, with provisioning scripted per deployment by tests.
import type { FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import type { ArmCall, ServiceContext } from './context';
import { EndpointCollection, type DeploymentBase, type EndpointBase, type ProvisioningScript } from './endpoint-common';
import { ok, userError } from './responses';
import { inScope, parseArmChildId } from './scope';

/**
 * What a test scripts for a batch deployment (by name, or `*` for any): its provisioning (default Succeeded) and the
 * error a Failed provisioning reports.
 */
export type BatchDeploymentScript = ProvisioningScript;

export interface BatchDeploymentRecord extends DeploymentBase<BatchDeploymentScript> {
  /** The model version a model deployment scores with (undefined for registry models and pipeline deployments). */
  modelType?: string;
  /** The pipeline component spec a pipeline-component deployment runs. */
  componentSpec?: any;
}

export type BatchEndpointRecord = EndpointBase<BatchDeploymentRecord>;

const DEFAULT_FAILURE = {
  code: 'DeploymentFailed',
  message: 'The batch deployment failed to provision: the environment image could not be built. See the deployment logs for details.',
};

/** The batch endpoints of one workspace. */
export class BatchEndpoints extends EndpointCollection<BatchDeploymentScript, BatchDeploymentRecord, BatchEndpointRecord> {
  constructor(ctx: ServiceContext) {
    super(ctx, { label: 'Batch', collection: 'batchEndpoints', scriptCall: 'scriptBatchDeployments', releaseCall: 'releaseBatchDeployment', defaultFailure: DEFAULT_FAILURE });
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

  // ---- endpoints -----------------------------------------------------------------------------------

  private putEndpoint(call: ArmCall, name: string): FakeResponse {
    const put = this.endpointPut(call, name, 'BatchEndpointTrackedResource');
    if ('error' in put) return put.error;
    const { body, existing, issues } = put;
    const props = body.properties;
    // Batch endpoints are invoked with Microsoft Entra tokens only (the CLI and the docs offer nothing else).
    if (props.authMode !== 'AADToken') issues.push({ path: 'properties.authMode', message: `'${props.authMode}' is not supported by batch endpoints; use AADToken` });
    if (props.keys !== undefined && props.keys !== null) issues.push({ path: 'properties.keys', message: 'batch endpoints have no keys (authMode AADToken)' });
    const defaultName = props.defaults?.deploymentName;
    if (defaultName !== undefined && defaultName !== null && !existing?.deployments.has(defaultName)) {
      issues.push({ path: 'properties.defaults.deploymentName', message: `Deployment '${defaultName}' does not exist in batch endpoint '${name}'; create it before making it the default` });
    }
    if (existing) this.endpointChanges('BatchEndpointTrackedResource', existing, body, issues);
    const refused = this.endpointRefusal(name, existing, issues);
    if (refused) return refused;
    return this.acceptEndpoint(call, name, body, existing, (common) => common);
  }

  // ---- deployments ---------------------------------------------------------------------------------

  private putDeployment(call: ArmCall, e: BatchEndpointRecord, name: string): FakeResponse {
    const put = this.deploymentPut(call, e, name, 'BatchDeploymentTrackedResource');
    if ('error' in put) return put.error;
    const { body, existing, issues, what } = put;
    const p = body.properties;
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
    const refused = this.deploymentRefusal(e, existing, issues, what);
    if (refused) return refused;
    return this.acceptDeployment(call, e, name, body, existing, (common) => ({ ...common, modelType, componentSpec }), (d) => Object.assign(d, { modelType, componentSpec }));
  }

  private deleteDeployment(call: ArmCall, e: BatchEndpointRecord, d: BatchDeploymentRecord): FakeResponse {
    // Best understanding: the CLI refuses to delete the default deployment; the service is taken to do the same.
    if (e.body.properties.defaults?.deploymentName === d.name) {
      return userError(`Deployment '${d.name}' is the default deployment of batch endpoint '${e.name}'; make another deployment the default (or clear defaults.deploymentName) before deleting it.`);
    }
    return this.startDeploymentDelete(call, e, d);
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

  // ---- views ---------------------------------------------------------------------------------------

  /** The fake's stand-in for `https://<endpoint>.<region>.inference.ml.azure.com/jobs`. */
  scoringUri(name: string): string {
    return `${this.ctx.scope.baseUrl}/batch/${encodeURIComponent(name)}/jobs`;
  }

  endpointView(e: BatchEndpointRecord): any {
    return this.endpointResource(e, {
      description: null,
      properties: {},
      ...e.body.properties,
      defaults: e.body.properties.defaults ?? { deploymentName: null },
      keys: null,
      scoringUri: this.scoringUri(e.name),
      swaggerUri: `${this.ctx.scope.baseUrl}/batch/${encodeURIComponent(e.name)}/swagger.json`,
      provisioningState: e.state,
    });
  }
}
