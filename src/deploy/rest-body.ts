import { secondsToIsoDuration } from '../jobs/durations';
import type { CodeSpec, ComputeSpec, EnvironmentSpec } from '../jobs/spec';
import type {
  AuthMode,
  BatchDeploymentSpec,
  BatchEndpointSpec,
  ContainerResourcesSpec,
  EndpointIdentitySpec,
  ComponentRefSpec,
  ModelBatchDeploymentSpec,
  ModelSpec,
  NetworkAccess,
  OnlineDeploymentSpec,
  OnlineEndpointSpec,
  PipelineBatchDeploymentSpec,
  ProbeSpec,
} from './spec';

// The bodies of `PUT .../onlineEndpoints/{e}[/deployments/{d}]` and `.../batchEndpoints/...` at api-version 2024-04-01,
// as the REST spec names them. Names of models, environments, code and computes arrive already resolved to ARM ids.

export const DEPLOY_API_VERSION = '2024-04-01';

export interface ManagedServiceIdentity {
  type: EndpointIdentitySpec['type'];
  userAssignedIdentities?: Record<string, Record<string, never>>;
}

export interface OnlineEndpointBody {
  location: string;
  kind?: string;
  identity: ManagedServiceIdentity;
  tags?: Record<string, string>;
  properties: {
    authMode: AuthMode;
    description?: string;
    properties?: Record<string, string>;
    compute?: string;
    traffic?: Record<string, number>;
    mirrorTraffic?: Record<string, number>;
    publicNetworkAccess?: NetworkAccess;
  };
}

export interface ProbeSettings {
  initialDelay?: string;
  period?: string;
  timeout?: string;
  failureThreshold?: number;
  successThreshold?: number;
}

export type OnlineScaleSettings =
  | { scaleType: 'Default' }
  | { scaleType: 'TargetUtilization'; minInstances?: number; maxInstances?: number; pollingInterval?: string; targetUtilizationPercentage?: number };

export interface ContainerResourceSettings {
  cpu?: string;
  memory?: string;
  gpu?: string;
}

export interface OnlineDeploymentBody {
  location: string;
  tags?: Record<string, string>;
  sku: { name: 'Default'; capacity?: number };
  properties: {
    endpointComputeType: 'Managed' | 'Kubernetes';
    description?: string;
    properties?: Record<string, string>;
    model?: string;
    modelMountPath?: string;
    codeConfiguration?: { codeId: string; scoringScript: string };
    environmentId?: string;
    environmentVariables?: Record<string, string>;
    instanceType?: string;
    scaleSettings?: OnlineScaleSettings;
    requestSettings?: { requestTimeout?: string; maxConcurrentRequestsPerInstance?: number; maxQueueWait?: string };
    livenessProbe?: ProbeSettings;
    readinessProbe?: ProbeSettings;
    appInsightsEnabled: boolean;
    egressPublicNetworkAccess?: NetworkAccess;
    dataCollector?: {
      collections: Record<string, { dataCollectionMode: 'Enabled' | 'Disabled'; samplingRate?: number }>;
      requestLogging?: { captureHeaders: string[] };
      rollingRate?: string;
    };
    containerResourceRequirements?: { containerResourceRequests?: ContainerResourceSettings; containerResourceLimits?: ContainerResourceSettings };
  };
}

export interface BatchEndpointBody {
  location: string;
  tags?: Record<string, string>;
  properties: { authMode: 'AADToken'; description?: string; defaults?: { deploymentName: string } };
}

export interface BatchDeploymentBody {
  location: string;
  tags?: Record<string, string>;
  properties: {
    description?: string;
    properties?: Record<string, string>;
    /** A model deployment's model; a pipeline component deployment has deploymentConfiguration instead. */
    model?: { referenceType: 'Id'; assetId: string };
    deploymentConfiguration?: PipelineComponentDeploymentConfiguration;
    codeConfiguration?: { codeId: string; scoringScript: string };
    environmentId?: string;
    environmentVariables?: Record<string, string>;
    compute: string;
    resources?: { instanceCount: number };
    maxConcurrencyPerInstance?: number;
    miniBatchSize?: number;
    outputAction?: 'SummaryOnly' | 'AppendRow';
    outputFileName?: string;
    retrySettings?: { maxRetries?: number; timeout?: string };
    loggingLevel?: 'Info' | 'Warning' | 'Debug';
    errorThreshold?: number;
  };
}

/** `BatchPipelineComponentDeploymentConfiguration`: settings are the pipeline job settings, every value a string. */
export interface PipelineComponentDeploymentConfiguration {
  deploymentConfigurationType: 'PipelineComponent';
  componentId: { referenceType: 'Id'; assetId: string };
  settings?: Record<string, string>;
}

/** What a deployment names and the caller must turn into ARM ids (registering code and inline environments as needed). */
export interface DeploymentReferencesToResolve {
  model?: ModelSpec;
  code?: CodeSpec;
  environment?: EnvironmentSpec;
  compute?: ComputeSpec;
  /** A pipeline component deployment's component, to be checked to be a pipeline component. */
  component?: ComponentRefSpec;
  /** A pipeline component deployment's settings.default_compute and settings.default_datastore. */
  defaultCompute?: ComputeSpec;
  defaultDatastore?: string;
}

/** ARM ids of what the deployment names, resolved against the workspace. */
export interface ResolvedDeploymentReferences {
  modelId?: string;
  codeId?: string;
  environmentId?: string;
  computeId?: string;
  componentId?: string;
  defaultComputeId?: string;
  defaultDatastoreId?: string;
}

/** Where the resource lives: tracked resources need the workspace's location. */
export interface BodyOptions {
  location: string;
}

export function deploymentReferencesToResolve(spec: OnlineDeploymentSpec | BatchDeploymentSpec): DeploymentReferencesToResolve {
  const refs: DeploymentReferencesToResolve = {};
  if (spec.type === 'pipeline') {
    refs.component = spec.component;
    refs.defaultCompute = spec.settings.defaultCompute;
    if (spec.settings.defaultDatastore) refs.defaultDatastore = spec.settings.defaultDatastore;
    return refs;
  }
  if (spec.model) refs.model = spec.model;
  if (spec.code) refs.code = spec.code;
  if (spec.environment) refs.environment = spec.environment;
  if (spec.type === 'model') refs.compute = spec.compute;
  return refs;
}

export function buildOnlineEndpointBody(spec: OnlineEndpointSpec, options: BodyOptions & { computeId?: string }): OnlineEndpointBody {
  const properties: OnlineEndpointBody['properties'] = { authMode: spec.authMode };
  if (spec.description !== undefined) properties.description = spec.description;
  if (spec.properties) properties.properties = spec.properties;
  if (spec.compute) properties.compute = required(options.computeId, 'computeId', 'the endpoint names a compute');
  // As the Azure ML CLI does, deployments with 0% are left out rather than sent.
  if (spec.traffic) properties.traffic = withoutZeroes(spec.traffic);
  if (spec.mirrorTraffic) properties.mirrorTraffic = withoutZeroes(spec.mirrorTraffic);
  if (spec.publicNetworkAccess) properties.publicNetworkAccess = spec.publicNetworkAccess;
  const body: OnlineEndpointBody = { location: location(options), identity: identityBody(spec.identity), properties };
  if (spec.kind) body.kind = spec.kind;
  if (spec.tags) body.tags = spec.tags;
  return body;
}

export function buildOnlineDeploymentBody(spec: OnlineDeploymentSpec, refs: ResolvedDeploymentReferences, options: BodyOptions): OnlineDeploymentBody {
  const p: OnlineDeploymentBody['properties'] = { endpointComputeType: spec.type, appInsightsEnabled: spec.appInsightsEnabled ?? false };
  if (spec.description !== undefined) p.description = spec.description;
  if (spec.properties) p.properties = spec.properties;
  if (spec.model) p.model = required(refs.modelId, 'modelId', 'the deployment names a model');
  if (spec.modelMountPath) p.modelMountPath = spec.modelMountPath;
  if (spec.code && spec.scoringScript) p.codeConfiguration = { codeId: required(refs.codeId, 'codeId', 'the deployment has code'), scoringScript: spec.scoringScript };
  if (spec.environment) p.environmentId = required(refs.environmentId, 'environmentId', 'the deployment names an environment');
  if (spec.environmentVariables) p.environmentVariables = spec.environmentVariables;
  if (spec.instanceType) p.instanceType = spec.instanceType;
  if (spec.scaleSettings) {
    const s = spec.scaleSettings;
    if (s.type === 'Default') p.scaleSettings = { scaleType: 'Default' };
    else {
      const t: OnlineScaleSettings = { scaleType: 'TargetUtilization' };
      if (s.minInstances !== undefined) t.minInstances = s.minInstances;
      if (s.maxInstances !== undefined) t.maxInstances = s.maxInstances;
      if (s.pollingIntervalSeconds !== undefined) t.pollingInterval = secondsToIsoDuration(s.pollingIntervalSeconds);
      if (s.targetUtilizationPercentage !== undefined) t.targetUtilizationPercentage = s.targetUtilizationPercentage;
      p.scaleSettings = t;
    }
  }
  if (spec.requestSettings) {
    const r = spec.requestSettings;
    const out: NonNullable<OnlineDeploymentBody['properties']['requestSettings']> = {};
    if (r.requestTimeoutMs !== undefined) out.requestTimeout = millisecondsToIsoDuration(r.requestTimeoutMs);
    if (r.maxConcurrentRequestsPerInstance !== undefined) out.maxConcurrentRequestsPerInstance = r.maxConcurrentRequestsPerInstance;
    if (r.maxQueueWaitMs !== undefined) out.maxQueueWait = millisecondsToIsoDuration(r.maxQueueWaitMs);
    p.requestSettings = out;
  }
  if (spec.livenessProbe) p.livenessProbe = probeBody(spec.livenessProbe);
  if (spec.readinessProbe) p.readinessProbe = probeBody(spec.readinessProbe);
  if (spec.egressPublicNetworkAccess) p.egressPublicNetworkAccess = spec.egressPublicNetworkAccess;
  if (spec.dataCollector) {
    const d = spec.dataCollector;
    const collections: NonNullable<OnlineDeploymentBody['properties']['dataCollector']>['collections'] = {};
    for (const [name, c] of Object.entries(d.collections)) {
      const rate = c.samplingRate ?? d.samplingRate;
      collections[name] = { dataCollectionMode: c.enabled ? 'Enabled' : 'Disabled', ...(rate !== undefined ? { samplingRate: rate } : {}) };
    }
    p.dataCollector = { collections };
    if (d.captureHeaders) p.dataCollector.requestLogging = { captureHeaders: d.captureHeaders };
    if (d.rollingRate) p.dataCollector.rollingRate = d.rollingRate;
  }
  if (spec.resourceRequests || spec.resourceLimits) {
    p.containerResourceRequirements = {};
    if (spec.resourceRequests) p.containerResourceRequirements.containerResourceRequests = containerResources(spec.resourceRequests);
    if (spec.resourceLimits) p.containerResourceRequirements.containerResourceLimits = containerResources(spec.resourceLimits);
  }
  const body: OnlineDeploymentBody = { location: location(options), sku: { name: 'Default' }, properties: p };
  if (spec.instanceCount !== undefined) body.sku.capacity = spec.instanceCount;
  if (spec.tags) body.tags = spec.tags;
  return body;
}

export function buildBatchEndpointBody(spec: BatchEndpointSpec, options: BodyOptions): BatchEndpointBody {
  const body: BatchEndpointBody = { location: location(options), properties: { authMode: spec.authMode } };
  if (spec.description !== undefined) body.properties.description = spec.description;
  if (spec.defaultDeployment) body.properties.defaults = { deploymentName: spec.defaultDeployment };
  if (spec.tags) body.tags = spec.tags;
  return body;
}

export function buildBatchDeploymentBody(spec: BatchDeploymentSpec, refs: ResolvedDeploymentReferences, options: BodyOptions): BatchDeploymentBody {
  if (spec.type === 'pipeline') return pipelineBatchDeploymentBody(spec, refs, options);
  return modelBatchDeploymentBody(spec, refs, options);
}

/**
 * As the CLI sends it (the SDK's PipelineComponentBatchDeployment): the component version by id, the YAML's tags and
 * description on the deployment, and the settings as strings, booleans written as Python writes them ("True",
 * "False"). Two differences: the default compute and datastore go as the ARM ids they were checked against (the CLI
 * sends what the YAML says, a name or an ARM id; pipeline jobs get ARM ids), and the default compute is also the
 * deployment's `compute`, which the REST spec has for every batch deployment.
 */
function pipelineBatchDeploymentBody(spec: PipelineBatchDeploymentSpec, refs: ResolvedDeploymentReferences, options: BodyOptions): BatchDeploymentBody {
  const computeId = required(refs.defaultComputeId, 'defaultComputeId', 'the deployment names settings.default_compute');
  const settings: Record<string, string> = { default_compute: computeId };
  if (spec.settings.defaultDatastore) settings.default_datastore = required(refs.defaultDatastoreId, 'defaultDatastoreId', 'the deployment names settings.default_datastore');
  if (spec.settings.continueOnStepFailure !== undefined) settings.continue_on_step_failure = spec.settings.continueOnStepFailure ? 'True' : 'False';
  if (spec.settings.forceRerun !== undefined) settings.force_rerun = spec.settings.forceRerun ? 'True' : 'False';
  const p: BatchDeploymentBody['properties'] = {
    compute: computeId,
    deploymentConfiguration: {
      deploymentConfigurationType: 'PipelineComponent',
      componentId: { referenceType: 'Id', assetId: required(refs.componentId, 'componentId', 'the deployment names a component') },
      settings,
    },
  };
  if (spec.description !== undefined) p.description = spec.description;
  const body: BatchDeploymentBody = { location: location(options), properties: p };
  if (spec.tags) body.tags = spec.tags;
  return body;
}

function modelBatchDeploymentBody(spec: ModelBatchDeploymentSpec, refs: ResolvedDeploymentReferences, options: BodyOptions): BatchDeploymentBody {
  const p: BatchDeploymentBody['properties'] = {
    model: { referenceType: 'Id', assetId: required(refs.modelId, 'modelId', 'the deployment names a model') },
    compute: required(refs.computeId, 'computeId', 'a batch deployment names a compute'),
  };
  if (spec.description !== undefined) p.description = spec.description;
  if (spec.properties) p.properties = spec.properties;
  if (spec.code && spec.scoringScript) p.codeConfiguration = { codeId: required(refs.codeId, 'codeId', 'the deployment has code'), scoringScript: spec.scoringScript };
  if (spec.environment) p.environmentId = required(refs.environmentId, 'environmentId', 'the deployment names an environment');
  if (spec.environmentVariables) p.environmentVariables = spec.environmentVariables;
  if (spec.instanceCount !== undefined) p.resources = { instanceCount: spec.instanceCount };
  if (spec.maxConcurrencyPerInstance !== undefined) p.maxConcurrencyPerInstance = spec.maxConcurrencyPerInstance;
  if (spec.miniBatchSize !== undefined) p.miniBatchSize = spec.miniBatchSize;
  if (spec.outputAction) p.outputAction = spec.outputAction;
  if (spec.outputFileName) p.outputFileName = spec.outputFileName;
  if (spec.retrySettings) {
    p.retrySettings = {};
    if (spec.retrySettings.maxRetries !== undefined) p.retrySettings.maxRetries = spec.retrySettings.maxRetries;
    if (spec.retrySettings.timeoutSeconds !== undefined) p.retrySettings.timeout = secondsToIsoDuration(spec.retrySettings.timeoutSeconds);
  }
  if (spec.loggingLevel) p.loggingLevel = spec.loggingLevel;
  if (spec.errorThreshold !== undefined) p.errorThreshold = spec.errorThreshold;
  const body: BatchDeploymentBody = { location: location(options), properties: p };
  if (spec.tags) body.tags = spec.tags;
  return body;
}

/** Milliseconds as an ISO-8601 duration, as the CLI writes request timeouts: 5000 -> "PT5S", 1500 -> "PT1.5S". */
export function millisecondsToIsoDuration(ms: number): string {
  if (ms % 1000 === 0) return secondsToIsoDuration(ms / 1000);
  const whole = Math.floor(ms / 1000);
  const head = whole >= 60 ? secondsToIsoDuration(whole - (whole % 60)) : 'PT';
  const fraction = String(ms % 1000).padStart(3, '0').replace(/0+$/, '');
  return `${head === 'P0D' ? 'PT' : head}${whole % 60}.${fraction}S`;
}

function identityBody(identity: EndpointIdentitySpec | undefined): ManagedServiceIdentity {
  // Without an identity in the YAML the CLI asks for a system-assigned one.
  if (!identity) return { type: 'SystemAssigned' };
  if (!('userAssignedIdentities' in identity)) return { type: identity.type };
  return { type: identity.type, userAssignedIdentities: Object.fromEntries(identity.userAssignedIdentities.map((id) => [id, {}])) };
}

function probeBody(probe: ProbeSpec): ProbeSettings {
  const out: ProbeSettings = {};
  if (probe.failureThreshold !== undefined) out.failureThreshold = probe.failureThreshold;
  if (probe.successThreshold !== undefined) out.successThreshold = probe.successThreshold;
  if (probe.timeoutSeconds !== undefined) out.timeout = secondsToIsoDuration(probe.timeoutSeconds);
  if (probe.periodSeconds !== undefined) out.period = secondsToIsoDuration(probe.periodSeconds);
  if (probe.initialDelaySeconds !== undefined) out.initialDelay = secondsToIsoDuration(probe.initialDelaySeconds);
  return out;
}

function containerResources(r: ContainerResourcesSpec): ContainerResourceSettings {
  const out: ContainerResourceSettings = {};
  if (r.cpu !== undefined) out.cpu = r.cpu;
  if (r.memory !== undefined) out.memory = r.memory;
  if (r.gpu !== undefined) out.gpu = r.gpu;
  return out;
}

function withoutZeroes(traffic: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(traffic).filter(([, percent]) => percent !== 0));
}

function location(options: BodyOptions): string {
  if (!options.location?.trim()) throw new Error('location is required: pass the workspace location');
  return options.location;
}

function required(value: string | undefined, name: string, why: string): string {
  if (!value) throw new Error(`${name} was not resolved, but ${why}`);
  return value;
}
