import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, Node, isMap, isScalar, parseDocument } from 'yaml';
import { UserError } from '../errors';
import { JobFileReader, put, type CodeSpec, type ComputeSpec, type Entry, type EnvironmentSpec } from '../jobs/spec';

// Readers for the YAML files `az ml online-endpoint|online-deployment|batch-endpoint|batch-deployment create -f` take.
// They validate into specs in REST terms; names of models, environments, code and computes are resolved later.

export type AuthMode = 'Key' | 'AMLToken' | 'AADToken';
export type NetworkAccess = 'Enabled' | 'Disabled';

export type EndpointIdentitySpec =
  | { type: 'SystemAssigned' | 'None' }
  | { type: 'UserAssigned' | 'SystemAssigned,UserAssigned'; userAssignedIdentities: string[] };

export interface OnlineEndpointSpec {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  authMode: AuthMode;
  identity?: EndpointIdentitySpec;
  publicNetworkAccess?: NetworkAccess;
  traffic?: Record<string, number>;
  mirrorTraffic?: Record<string, number>;
  kind?: string;
  /** A Kubernetes compute: the endpoint is a Kubernetes online endpoint. */
  compute?: ComputeSpec;
}

export interface BatchEndpointSpec {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  authMode: 'AADToken';
  defaultDeployment?: string;
}

/** `azureml:<name>:<version>`, `azureml:<name>@latest`, or an ARM id / registry reference used as it is. */
export type ModelSpec =
  | { kind: 'asset'; name: string; version?: string; latest?: boolean }
  | { kind: 'armId'; id: string };

export interface ProbeSpec {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface RequestSettingsSpec {
  requestTimeoutMs?: number;
  maxConcurrentRequestsPerInstance?: number;
  maxQueueWaitMs?: number;
}

export type ScaleSettingsSpec =
  | { type: 'Default' }
  | { type: 'TargetUtilization'; minInstances?: number; maxInstances?: number; pollingIntervalSeconds?: number; targetUtilizationPercentage?: number };

export interface DataCollectionSpec {
  enabled: boolean;
  samplingRate?: number;
}

export interface DataCollectorSpec {
  collections: Record<string, DataCollectionSpec>;
  samplingRate?: number;
  rollingRate?: 'Year' | 'Month' | 'Day' | 'Hour' | 'Minute';
  captureHeaders?: string[];
}

export interface ContainerResourcesSpec {
  cpu?: string;
  memory?: string;
  gpu?: string;
}

export interface OnlineDeploymentSpec {
  type: 'Managed' | 'Kubernetes';
  name: string;
  endpointName: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  model?: ModelSpec;
  modelMountPath?: string;
  code?: CodeSpec;
  scoringScript?: string;
  environment?: EnvironmentSpec;
  environmentVariables?: Record<string, string>;
  instanceType?: string;
  instanceCount?: number;
  scaleSettings?: ScaleSettingsSpec;
  requestSettings?: RequestSettingsSpec;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  appInsightsEnabled?: boolean;
  egressPublicNetworkAccess?: NetworkAccess;
  dataCollector?: DataCollectorSpec;
  /** Kubernetes only: `resources.requests` and `resources.limits`. */
  resourceRequests?: ContainerResourcesSpec;
  resourceLimits?: ContainerResourcesSpec;
}

/** A batch deployment that scores with a model (`type: model`, the default). */
export interface ModelBatchDeploymentSpec {
  type: 'model';
  name: string;
  endpointName: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  model: ModelSpec;
  code?: CodeSpec;
  scoringScript?: string;
  environment?: EnvironmentSpec;
  environmentVariables?: Record<string, string>;
  compute: ComputeSpec;
  instanceCount?: number;
  maxConcurrencyPerInstance?: number;
  miniBatchSize?: number;
  outputAction?: 'SummaryOnly' | 'AppendRow';
  outputFileName?: string;
  retrySettings?: { maxRetries?: number; timeoutSeconds?: number };
  loggingLevel?: 'Info' | 'Warning' | 'Debug';
  errorThreshold?: number;
}

/**
 * A registered pipeline component: `azureml:<name>:<version>`, `azureml:<name>@latest`, or the ARM id of a component
 * version (or `azureml://registries/<r>/components/<name>/versions/<v>`) used as it is.
 */
export type ComponentRefSpec =
  | { kind: 'asset'; name: string; version?: string; latest?: boolean }
  | { kind: 'armId'; id: string };

/** `settings:` of a pipeline component batch deployment: the settings of the pipeline jobs it runs. */
export interface PipelineBatchSettingsSpec {
  /** The compute cluster the pipeline's steps run on unless they name their own; also the deployment's compute. */
  defaultCompute: ComputeSpec;
  /** A datastore name. */
  defaultDatastore?: string;
  continueOnStepFailure?: boolean;
  forceRerun?: boolean;
}

/** A batch deployment that runs a registered pipeline component (`type: pipeline`). */
export interface PipelineBatchDeploymentSpec {
  type: 'pipeline';
  name: string;
  endpointName: string;
  description?: string;
  tags?: Record<string, string>;
  component: ComponentRefSpec;
  settings: PipelineBatchSettingsSpec;
}

export type BatchDeploymentSpec = ModelBatchDeploymentSpec | PipelineBatchDeploymentSpec;

export interface LoadedDeploySpec<T> {
  /** Absolute path of the YAML file. */
  file: string;
  spec: T;
  /** The line of each top-level field, so later problems (a model that does not exist) can point at the YAML. */
  lines: Record<string, number>;
}

const AUTH_MODES: Record<string, AuthMode> = { key: 'Key', aml_token: 'AMLToken', aad_token: 'AADToken' };
const NETWORK_ACCESS: Record<string, NetworkAccess> = { enabled: 'Enabled', disabled: 'Disabled' };
const IDENTITY_TYPES: Record<string, EndpointIdentitySpec['type']> = {
  system_assigned: 'SystemAssigned',
  user_assigned: 'UserAssigned',
  'system_assigned,user_assigned': 'SystemAssigned,UserAssigned',
  none: 'None',
};
const ROLLING_RATES = { year: 'Year', month: 'Month', day: 'Day', hour: 'Hour', minute: 'Minute' } as const;
const OUTPUT_ACTIONS = { summary_only: 'SummaryOnly', append_row: 'AppendRow' } as const;
const LOGGING_LEVELS = { info: 'Info', warning: 'Warning', debug: 'Debug' } as const;

const readOnlyField = 'is set by Azure ML and shows up in az ml ... show output; it cannot be submitted. Remove it.';
const READ_ONLY: Record<string, string> = {
  id: readOnlyField,
  provisioning_state: readOnlyField,
  scoring_uri: readOnlyField,
  openapi_uri: readOnlyField,
  swagger_uri: readOnlyField,
  creation_context: readOnlyField,
  location: 'comes from the workspace and cannot be set in the YAML. Remove it.',
};

const ONLINE_ENDPOINT_FIELDS = ['$schema', 'name', 'description', 'tags', 'properties', 'auth_mode', 'identity', 'public_network_access', 'traffic', 'mirror_traffic', 'kind', 'compute'];
const BATCH_ENDPOINT_FIELDS = ['$schema', 'name', 'description', 'tags', 'auth_mode', 'defaults'];
const DEPLOYMENT_COMMON = ['$schema', 'name', 'endpoint_name', 'type', 'description', 'tags', 'properties', 'model', 'code_configuration', 'environment', 'environment_variables'];
const ONLINE_DEPLOYMENT_FIELDS = [
  ...DEPLOYMENT_COMMON, 'model_mount_path', 'instance_type', 'instance_count', 'scale_settings', 'request_settings', 'liveness_probe', 'readiness_probe',
  'app_insights_enabled', 'egress_public_network_access', 'data_collector',
];
const KUBERNETES_DEPLOYMENT_FIELDS = [...ONLINE_DEPLOYMENT_FIELDS.filter((f) => f !== 'egress_public_network_access'), 'resources'];
const BATCH_DEPLOYMENT_FIELDS = [
  ...DEPLOYMENT_COMMON, 'compute', 'resources', 'max_concurrency_per_instance', 'mini_batch_size', 'output_action', 'output_file_name',
  'retry_settings', 'logging_level', 'error_threshold',
];

const onlineOnly = 'belongs to online deployments, not batch deployments. Remove it.';
const batchOnly = 'belongs to batch deployments, not online deployments. Remove it.';
const ONLINE_DEPLOYMENT_UNSUPPORTED: Record<string, string> = {
  ...READ_ONLY,
  compute: `${batchOnly.replace(' Remove it.', '')} An online deployment runs on instance_type (managed) or its endpoint's compute (kubernetes).`,
  mini_batch_size: batchOnly,
  max_concurrency_per_instance: batchOnly,
  output_action: batchOnly,
  output_file_name: batchOnly,
  retry_settings: batchOnly,
  logging_level: batchOnly,
  error_threshold: batchOnly,
  private_network_connection: 'is replaced by egress_public_network_access: disabled. Use that instead.',
};
const BATCH_DEPLOYMENT_UNSUPPORTED: Record<string, string> = {
  ...READ_ONLY,
  instance_type: 'belongs under resources for a batch deployment: the compute cluster decides the VM size. Remove it.',
  instance_count: 'belongs under resources: write resources: {instance_count: N}.',
  scale_settings: onlineOnly,
  request_settings: onlineOnly,
  liveness_probe: onlineOnly,
  readiness_probe: onlineOnly,
  app_insights_enabled: onlineOnly,
  data_collector: onlineOnly,
  egress_public_network_access: onlineOnly,
  component: 'belongs to pipeline component batch deployments: add type: pipeline (and remove the model deployment fields), or remove it.',
  settings: 'belongs to pipeline component batch deployments: add type: pipeline (and remove the model deployment fields), or remove it.',
  job_definition: 'belongs to pipeline component batch deployments, and is not supported: register the pipeline as a component (az ml component create -f) and deploy it with type: pipeline and component: azureml:<name>:<version>.',
};
const PIPELINE_BATCH_DEPLOYMENT_FIELDS = ['$schema', 'name', 'endpoint_name', 'type', 'description', 'tags', 'component', 'settings'];
const PIPELINE_SETTINGS = ['default_compute', 'default_datastore', 'continue_on_step_failure', 'force_rerun'];
const modelOnly = (why: string) => `belongs to model batch deployments (type: model); ${why} Remove it.`;
const notInPipeline = modelOnly('a pipeline component deployment runs what its component defines.');
// component and settings are allowed there, so the model deployment's messages for them never show.
const PIPELINE_BATCH_DEPLOYMENT_UNSUPPORTED: Record<string, string> = {
  ...BATCH_DEPLOYMENT_UNSUPPORTED,
  model: modelOnly('the steps of a pipeline component name their own models (deploy a model on its own with type: model).'),
  code_configuration: modelOnly('the steps of a pipeline component bring their own code.'),
  environment: modelOnly('the steps of a pipeline component name their own environments.'),
  environment_variables: modelOnly("set them on the component's steps instead."),
  properties: modelOnly('az ml does not send it for pipeline component deployments.'),
  compute: 'belongs to model batch deployments (type: model). A pipeline component deployment names its compute cluster under settings: write settings: {default_compute: azureml:<compute cluster>}.',
  resources: modelOnly('the steps of a pipeline component set their own resources.'),
  instance_type: onlineOnly.replace('not batch deployments', 'not pipeline component batch deployments'),
  instance_count: onlineOnly.replace('not batch deployments', 'not pipeline component batch deployments'),
  max_concurrency_per_instance: notInPipeline,
  mini_batch_size: notInPipeline,
  output_action: notInPipeline,
  output_file_name: notInPipeline,
  retry_settings: notInPipeline,
  logging_level: notInPipeline,
  error_threshold: notInPipeline,
  job_definition: 'deploys a pipeline job, which is not supported: register the pipeline as a component (az ml component create -f) and use component: azureml:<name>:<version>.',
};

/** The job reader's building blocks, with messages that speak of deployment files. */
class DeployFileReader extends JobFileReader {
  /** Like checkFields, for the top level of the file. */
  checkTop(entries: Entry[], what: string, allowed: readonly string[], unsupported: Record<string, string>): void {
    for (const { key, keyNode } of entries) {
      if (allowed.includes(key)) continue;
      if (Object.prototype.hasOwnProperty.call(unsupported, key)) this.fail(`${key} ${unsupported[key]}`, keyNode);
      this.checkFields([{ key, keyNode, value: null }], what, allowed);
    }
  }

  boolean(node: Node | null, field: string, fallback: Node): boolean {
    const scalar = this.deref(node);
    if (!isScalar(scalar) || typeof scalar.value !== 'boolean') {
      this.fail(`${field} must be true or false${scalar && isScalar(scalar) && scalar.value !== null ? `, got ${JSON.stringify(String(scalar.source ?? scalar.value))}` : ''}.`, node, fallback);
    }
    return scalar.value;
  }

  number(node: Node | null, field: string, fallback: Node, min: number, max: number): number {
    const scalar = this.deref(node);
    const value = isScalar(scalar) ? scalar.value : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(`${field} must be a number${isScalar(scalar) && scalar.value !== null ? `, got ${JSON.stringify(String(scalar.source ?? scalar.value))}` : ''}.`, node, fallback);
    }
    if (value < min || value > max) this.fail(`${field} must be between ${min} and ${max}, got ${value}.`, node, fallback);
    return value;
  }

  enumValue<T>(map: Record<string, T>, node: Node | null, field: string, fallback: Node): T {
    const text = this.string(node, field, fallback).toLowerCase();
    return map[this.oneOf(text, Object.keys(map), field, node, fallback)];
  }

  resourceName(node: Node | null, field: string, fallback: Node, what: string): string {
    const name = this.string(node, field, fallback);
    if (!/^[a-zA-Z][a-zA-Z0-9-]{2,31}$/.test(name) || name.endsWith('-')) {
      this.fail(
        `${field} "${name}" is not a valid ${what} name: use 3 to 32 letters, digits and "-", starting with a letter and not ending with "-".`,
        node,
        fallback,
      );
    }
    return name;
  }

  required(entries: Entry[], key: string, root: Node, hint: string): Entry {
    const entry = entries.find((e) => e.key === key);
    if (!entry) this.fail(`${key} is missing. ${hint}`, root);
    return entry;
  }

  endpointIdentity(node: Node | null, keyNode: Node): EndpointIdentitySpec {
    const entries = this.mapEntries(node, 'identity', keyNode);
    this.checkFields(entries, 'identity', ['type', 'user_assigned_identities'], {
      principal_id: readOnlyField,
      tenant_id: readOnlyField,
    });
    const typeEntry = entries.find((e) => e.key === 'type');
    if (!typeEntry) this.fail('identity has no type. Add type: system_assigned, user_assigned or none.', keyNode);
    const text = this.string(typeEntry.value, 'identity.type', typeEntry.keyNode).toLowerCase().replace(/\s/g, '');
    const type = IDENTITY_TYPES[this.oneOf(text, Object.keys(IDENTITY_TYPES), 'identity.type', typeEntry.value, typeEntry.keyNode)];
    const uaiEntry = entries.find((e) => e.key === 'user_assigned_identities');
    if (type === 'SystemAssigned' || type === 'None') {
      if (uaiEntry) this.fail(`identity.user_assigned_identities needs identity.type user_assigned (or system_assigned,user_assigned).`, uaiEntry.keyNode);
      return { type };
    }
    if (!uaiEntry) this.fail(`identity.type ${text} needs user_assigned_identities: a list of {resource_id: /subscriptions/.../userAssignedIdentities/<name>}.`, typeEntry.keyNode);
    const ids = this.sequence(uaiEntry.value, 'identity.user_assigned_identities', uaiEntry.keyNode).map((item) => {
      const itemEntries = this.mapEntries(item, 'identity.user_assigned_identities[]', uaiEntry.keyNode);
      this.checkFields(itemEntries, 'identity.user_assigned_identities[]', ['resource_id'], { client_id: readOnlyField, principal_id: readOnlyField });
      const id = itemEntries.find((e) => e.key === 'resource_id');
      if (!id) this.fail('identity.user_assigned_identities: each item needs resource_id: /subscriptions/.../userAssignedIdentities/<name>.', item);
      const value = this.string(id.value, 'identity.user_assigned_identities[].resource_id', id.keyNode);
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(value)) {
        this.fail(`identity.user_assigned_identities[].resource_id: ${value} is not the ARM id of a user-assigned identity (/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>).`, id.value, id.keyNode);
      }
      return value;
    });
    if (ids.length === 0) this.fail('identity.user_assigned_identities is empty; list at least one identity.', uaiEntry.keyNode);
    return { type, userAssignedIdentities: ids };
  }

  percentages(node: Node | null, field: string, keyNode: Node, max: number): Record<string, number> {
    const result: Record<string, number> = {};
    for (const { key, keyNode: k, value } of this.mapEntries(node, field, keyNode)) {
      const percent = this.integer(value, `${field}.${key}`, k, 0, ' (a percentage)');
      if (percent > max) this.fail(`${field}.${key} must be at most ${max} percent, got ${percent}.`, value, k);
      put(result, key, percent);
    }
    return result;
  }

  model(node: Node | null, keyNode: Node): ModelSpec {
    const resolved = this.deref(node);
    if (isMap(resolved)) {
      this.fail(
        'model: an inline model with a local path is not supported: the deployment would upload and register it on every run. Register it first (az ml model create, or the AmlRegisterModel task) and use model: azureml:<name>:<version>.',
        node,
        keyNode,
      );
    }
    const value = this.string(node, 'model', keyNode);
    if (value.startsWith('azureml:') && !value.startsWith('azureml://')) {
      const rest = value.slice('azureml:'.length);
      if (rest.startsWith('/subscriptions/')) return this.modelArmId(rest, node, keyNode);
      return this.assetReference(value, 'model', node, keyNode);
    }
    if (value.startsWith('/subscriptions/')) return this.modelArmId(value, node, keyNode);
    if (/^azureml:\/\/registries\/[^/]+\/models\/[^/]+\/(versions\/[^/]+|labels\/latest)$/.test(value)) return { kind: 'armId', id: value };
    if (/^[^:@/\s]+(:[^:@/\s]+|@latest)$/.test(value)) this.fail(`model: ${value} needs the azureml: prefix to name a registered model: model: azureml:${value}`, node, keyNode);
    this.fail(
      `model: ${value} is not a model reference. Use azureml:<name>:<version>, azureml:<name>@latest, azureml://registries/<registry>/models/<name>/versions/<version>, or the ARM id of a model version.`,
      node,
      keyNode,
    );
  }

  /** A registered component; local component files would have to be registered, which AmlDeploy does not do. */
  component(node: Node | null, keyNode: Node): ComponentRefSpec {
    const register = (what: string) =>
      `AmlDeploy deploys registered pipeline components only: register ${what} first with az ml component create -f <file> and use component: azureml:<name>:<version> (or azureml:<name>@latest).`;
    if (isMap(this.deref(node))) this.fail(`component: an inline component is not supported. ${register('it')}`, node, keyNode);
    const value = this.string(node, 'component', keyNode);
    if (value.startsWith('azureml:') && !value.startsWith('azureml://')) {
      const rest = value.slice('azureml:'.length);
      if (rest.startsWith('/subscriptions/')) return this.componentArmId(rest, node, keyNode);
      return this.assetReference(value, 'component', node, keyNode);
    }
    if (value.startsWith('/subscriptions/')) return this.componentArmId(value, node, keyNode);
    if (/^azureml:\/\/registries\/[^/]+\/components\/[^/]+\/versions\/[^/]+$/.test(value)) return { kind: 'armId', id: value };
    if (/\.ya?ml$/i.test(value) || /[/\\]/.test(value)) {
      this.fail(`component: ${value} is a local component file (relative to this file). ${register('it')}`, node, keyNode);
    }
    if (/^[^:@/\s]+(:[^:@/\s]+|@latest)$/.test(value)) this.fail(`component: ${value} needs the azureml: prefix to name a registered component: component: azureml:${value}`, node, keyNode);
    this.fail(
      `component: ${value} is not a component reference. Use azureml:<name>:<version>, azureml:<name>@latest, azureml://registries/<registry>/components/<name>/versions/<version>, or the ARM id of a component version.`,
      node,
      keyNode,
    );
  }

  componentArmId(id: string, node: Node | null, keyNode: Node): ComponentRefSpec {
    if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/(workspaces|registries)\/[^/]+\/components\/[^/]+\/versions\/[^/]+$/i.test(id)) {
      this.fail(`component: ${id} is not the ARM id of a component version (.../workspaces/<ws>/components/<name>/versions/<version>).`, node, keyNode);
    }
    return { kind: 'armId', id };
  }

  /** `settings:` of a pipeline component deployment; the compute cluster is required, as the deployment runs on it. */
  pipelineSettings(node: Node | null, keyNode: Node): PipelineBatchSettingsSpec {
    const entries = this.mapEntries(node, 'settings', keyNode);
    this.checkFields(entries, 'settings', PIPELINE_SETTINGS, {
      default_environment: 'is a pipeline job setting; the steps of a registered component already name their environments. Remove it.',
    });
    const settings: Partial<PipelineBatchSettingsSpec> = {};
    for (const { key, keyNode: k, value } of entries) {
      const field = `settings.${key}`;
      this.recordLine(field, k);
      if (key === 'default_compute') {
        const text = this.string(value, field, k);
        const target = text.startsWith('azureml:') ? text.slice('azureml:'.length) : text;
        if (target.startsWith('/subscriptions/')) settings.defaultCompute = { armId: target };
        else if (target.toLowerCase() === 'serverless') {
          this.fail(`${field}: a batch deployment runs on a compute cluster; serverless compute is not supported. Write default_compute: azureml:<compute cluster>.`, value, k);
        } else if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(target)) this.fail(`${field}: ${text} is not a compute name. Use default_compute: azureml:<compute cluster>.`, value, k);
        else settings.defaultCompute = { name: target };
      }
      if (key === 'default_datastore') {
        const text = this.string(value, field, k).replace(/^azureml:/, '');
        if (!/^[a-zA-Z0-9_]+$/.test(text)) this.fail(`${field}: ${text} is not a datastore name. Use default_datastore: <datastore name>, for example workspaceblobstore.`, value, k);
        settings.defaultDatastore = text;
      }
      if (key === 'continue_on_step_failure') settings.continueOnStepFailure = this.boolean(value, field, k);
      if (key === 'force_rerun') settings.forceRerun = this.boolean(value, field, k);
    }
    if (!settings.defaultCompute) {
      this.fail('settings.default_compute is missing: a pipeline component deployment runs on a compute cluster. Add default_compute: azureml:<compute cluster> under settings.', keyNode);
    }
    return settings as PipelineBatchSettingsSpec;
  }

  modelArmId(id: string, node: Node | null, keyNode: Node): ModelSpec {
    if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/(workspaces|registries)\/[^/]+\/models\/[^/]+\/versions\/[^/]+$/i.test(id)) {
      this.fail(`model: ${id} is not the ARM id of a model version (.../workspaces/<ws>/models/<name>/versions/<version>).`, node, keyNode);
    }
    return { kind: 'armId', id };
  }

  codeConfiguration(node: Node | null, keyNode: Node): { code?: CodeSpec; scoringScript: string } {
    const entries = this.mapEntries(node, 'code_configuration', keyNode);
    this.checkFields(entries, 'code_configuration', ['code', 'scoring_script']);
    const script = entries.find((e) => e.key === 'scoring_script');
    if (!script) this.fail('code_configuration has no scoring_script. Add scoring_script: score.py (relative to code).', keyNode);
    const codeEntry = entries.find((e) => e.key === 'code');
    if (!codeEntry) this.fail('code_configuration has no code. Add code: <folder with the scoring script>, relative to the YAML file.', keyNode);
    const code = this.code(codeEntry.value, codeEntry.keyNode, 'code_configuration.code');
    const scoringScript = this.string(script.value, 'code_configuration.scoring_script', script.keyNode);
    if (code.kind === 'local' && !fs.existsSync(path.resolve(code.path, scoringScript))) {
      this.fail(`code_configuration.scoring_script: ${scoringScript} is not in ${code.path}. The script path is relative to code.`, script.value, script.keyNode);
    }
    return { code, scoringScript };
  }

  probe(node: Node | null, field: string, keyNode: Node): ProbeSpec {
    const entries = this.mapEntries(node, field, keyNode);
    this.checkFields(entries, field, ['initial_delay', 'period', 'timeout', 'failure_threshold', 'success_threshold']);
    const probe: ProbeSpec = {};
    for (const { key, keyNode: k, value } of entries) {
      const f = `${field}.${key}`;
      if (key === 'initial_delay') probe.initialDelaySeconds = this.integer(value, f, k, 0, ' of seconds');
      if (key === 'period') probe.periodSeconds = this.integer(value, f, k, 1, ' of seconds');
      if (key === 'timeout') probe.timeoutSeconds = this.integer(value, f, k, 1, ' of seconds');
      if (key === 'failure_threshold') probe.failureThreshold = this.integer(value, f, k, 1);
      if (key === 'success_threshold') probe.successThreshold = this.integer(value, f, k, 1);
    }
    return probe;
  }

  requestSettings(node: Node | null, keyNode: Node): RequestSettingsSpec {
    const entries = this.mapEntries(node, 'request_settings', keyNode);
    this.checkFields(entries, 'request_settings', ['request_timeout_ms', 'max_concurrent_requests_per_instance', 'max_queue_wait_ms'], {
      request_timeout: 'is written in milliseconds: use request_timeout_ms.',
      max_queue_wait: 'is written in milliseconds: use max_queue_wait_ms.',
    });
    const settings: RequestSettingsSpec = {};
    for (const { key, keyNode: k, value } of entries) {
      const f = `request_settings.${key}`;
      if (key === 'request_timeout_ms') settings.requestTimeoutMs = this.integer(value, f, k, 1, ' of milliseconds');
      if (key === 'max_queue_wait_ms') settings.maxQueueWaitMs = this.integer(value, f, k, 1, ' of milliseconds');
      if (key === 'max_concurrent_requests_per_instance') settings.maxConcurrentRequestsPerInstance = this.integer(value, f, k, 1);
    }
    return settings;
  }

  scaleSettings(node: Node | null, keyNode: Node): ScaleSettingsSpec {
    const entries = this.mapEntries(node, 'scale_settings', keyNode);
    const typeEntry = entries.find((e) => e.key === 'type');
    if (!typeEntry) this.fail('scale_settings has no type. Add type: default or type: target_utilization.', keyNode);
    const type = this.enumValue({ default: 'Default', target_utilization: 'TargetUtilization' } as const, typeEntry.value, 'scale_settings.type', typeEntry.keyNode);
    if (type === 'Default') {
      this.checkFields(entries, 'scale_settings', ['type']);
      return { type };
    }
    this.checkFields(entries, 'scale_settings', ['type', 'min_instances', 'max_instances', 'polling_interval', 'target_utilization_percentage']);
    const settings: ScaleSettingsSpec = { type };
    for (const { key, keyNode: k, value } of entries) {
      const f = `scale_settings.${key}`;
      if (key === 'min_instances') settings.minInstances = this.integer(value, f, k, 0);
      if (key === 'max_instances') settings.maxInstances = this.integer(value, f, k, 1);
      if (key === 'polling_interval') settings.pollingIntervalSeconds = this.integer(value, f, k, 1, ' of seconds');
      if (key === 'target_utilization_percentage') {
        settings.targetUtilizationPercentage = this.integer(value, f, k, 1, ' (a percentage)');
        if (settings.targetUtilizationPercentage > 100) this.fail(`${f} must be at most 100, got ${settings.targetUtilizationPercentage}.`, value, k);
      }
    }
    if (settings.minInstances !== undefined && settings.maxInstances !== undefined && settings.minInstances > settings.maxInstances) {
      this.fail(`scale_settings.min_instances (${settings.minInstances}) is more than max_instances (${settings.maxInstances}).`, keyNode);
    }
    return settings;
  }

  dataCollector(node: Node | null, keyNode: Node): DataCollectorSpec {
    const entries = this.mapEntries(node, 'data_collector', keyNode);
    this.checkFields(entries, 'data_collector', ['collections', 'sampling_rate', 'rolling_rate', 'request_logging'], {
      destination: 'is not part of the Azure ML REST API 2024-04-01 that AmlDeploy uses. Remove it.',
    });
    const collector: DataCollectorSpec = { collections: {} };
    let hasCollections = false;
    for (const { key, keyNode: k, value } of entries) {
      if (key === 'sampling_rate') collector.samplingRate = this.number(value, 'data_collector.sampling_rate', k, 0, 1);
      if (key === 'rolling_rate') collector.rollingRate = this.enumValue(ROLLING_RATES, value, 'data_collector.rolling_rate', k);
      if (key === 'request_logging') {
        const logging = this.mapEntries(value, 'data_collector.request_logging', k);
        this.checkFields(logging, 'data_collector.request_logging', ['capture_headers']);
        const headers = logging.find((e) => e.key === 'capture_headers');
        if (headers) collector.captureHeaders = this.sequence(headers.value, 'data_collector.request_logging.capture_headers', headers.keyNode).map((h) => this.string(h, 'data_collector.request_logging.capture_headers', headers.keyNode));
      }
      if (key === 'collections') {
        hasCollections = true;
        for (const c of this.mapEntries(value, 'data_collector.collections', k)) {
          const f = `data_collector.collections.${c.key}`;
          const fields = this.mapEntries(c.value, f, c.keyNode);
          this.checkFields(fields, f, ['enabled', 'sampling_rate'], {
            data: 'registers the collected data as a named data asset, which AmlDeploy does not support yet. Remove it: the data is still collected to the default location.',
            client_id: 'is set by Azure ML. Remove it.',
          });
          const collection: DataCollectionSpec = { enabled: false };
          for (const { key: ck, keyNode: ckn, value: cv } of fields) {
            if (ck === 'enabled') {
              // The CLI samples write enabled: 'True' (a string); YAML true works too.
              const scalar = this.deref(cv);
              const text = isScalar(scalar) ? String(scalar.value).toLowerCase() : '';
              if (text !== 'true' && text !== 'false') this.fail(`${f}.enabled must be true or false${isScalar(scalar) ? `, got ${JSON.stringify(String(scalar.source ?? scalar.value))}` : ''}.`, cv, ckn);
              collection.enabled = text === 'true';
            }
            if (ck === 'sampling_rate') collection.samplingRate = this.number(cv, `${f}.sampling_rate`, ckn, 0, 1);
          }
          put(collector.collections, c.key, collection);
        }
      }
    }
    if (!hasCollections) this.fail('data_collector has no collections. Add collections: {model_inputs: {enabled: true}, model_outputs: {enabled: true}}.', keyNode);
    return collector;
  }

  containerResources(node: Node | null, field: string, keyNode: Node): ContainerResourcesSpec {
    const entries = this.mapEntries(node, field, keyNode);
    this.checkFields(entries, field, ['cpu', 'memory', 'nvidia.com/gpu']);
    const result: ContainerResourcesSpec = {};
    for (const { key, keyNode: k, value } of entries) {
      const scalar = this.deref(value);
      const text = isScalar(scalar) && scalar.value !== null ? String(scalar.source ?? scalar.value) : this.string(value, `${field}.${key}`, k);
      if (key === 'cpu') result.cpu = text;
      if (key === 'memory') result.memory = text;
      if (key === 'nvidia.com/gpu') result.gpu = text;
    }
    return result;
  }
}

function openDeployFile(file: string, what: string): { reader: DeployFileReader; root: Node; absFile: string } {
  const absFile = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absFile, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`The ${what} file ${file} does not exist (looked for ${absFile}).`, { file });
    if (code === 'EISDIR') throw new UserError(`${file} is a folder; give the path of the ${what} YAML file.`, { file });
    throw new UserError(`Cannot read the ${what} file ${file}: ${(e as Error).message}`, { file });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const reader = new DeployFileReader(file, path.dirname(absFile), text, lineCounter, doc);
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    if (firstError.code === 'MULTIPLE_DOCS') throw reader.error(`the ${what} file holds more than one YAML document (---); keep one ${what} per file.`, line);
    throw reader.error(`the ${what} file is not valid YAML: ${firstError.message.split('\n')[0]}`, line);
  }
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) throw reader.error(`the ${what} file is empty.`, 1);
  return { reader, root, absFile };
}

/** Reads an online endpoint YAML as `az ml online-endpoint create -f` takes it. */
export function loadOnlineEndpointSpec(file: string): LoadedDeploySpec<OnlineEndpointSpec> {
  const { reader, root, absFile } = openDeployFile(file, 'endpoint');
  const entries = reader.mapEntries(root, 'the endpoint');
  reader.checkTop(entries, 'the endpoint', ONLINE_ENDPOINT_FIELDS, {
    ...READ_ONLY,
    defaults: 'belongs to batch endpoints. Remove it, or create this endpoint with a batch endpoint YAML.',
  });
  const nameEntry = reader.required(entries, 'name', root, 'Add name: <endpoint name>, unique in the Azure region.');
  const spec: OnlineEndpointSpec = { name: reader.resourceName(nameEntry.value, 'name', nameEntry.keyNode, 'endpoint'), authMode: 'Key' };
  for (const { key, keyNode, value } of entries) {
    reader.recordLine(key, keyNode);
    if (key === 'description') spec.description = reader.string(value, key, keyNode, { allowEmpty: true });
    if (key === 'tags') spec.tags = reader.stringMap(value, key, keyNode);
    if (key === 'properties') spec.properties = reader.stringMap(value, key, keyNode);
    if (key === 'auth_mode') spec.authMode = reader.enumValue(AUTH_MODES, value, key, keyNode);
    if (key === 'identity') spec.identity = reader.endpointIdentity(value, keyNode);
    if (key === 'public_network_access') spec.publicNetworkAccess = reader.enumValue(NETWORK_ACCESS, value, key, keyNode);
    if (key === 'kind') spec.kind = reader.string(value, key, keyNode);
    if (key === 'compute') spec.compute = reader.compute(value, keyNode);
    if (key === 'traffic') {
      spec.traffic = reader.percentages(value, key, keyNode, 100);
      const total = Object.values(spec.traffic).reduce((a, b) => a + b, 0);
      if (total !== 100 && total !== 0) reader.fail(`traffic adds up to ${total} percent; it must add up to 100 (or 0 to send no traffic).`, value, keyNode);
    }
    if (key === 'mirror_traffic') {
      spec.mirrorTraffic = reader.percentages(value, key, keyNode, 50);
      if (Object.keys(spec.mirrorTraffic).length > 1) reader.fail('mirror_traffic names more than one deployment; traffic can be mirrored to one deployment only.', value, keyNode);
    }
  }
  if (spec.mirrorTraffic && spec.compute) reader.fail('mirror_traffic is not supported on Kubernetes online endpoints (the endpoint names a compute). Remove it.', root);
  for (const name of Object.keys(spec.mirrorTraffic ?? {})) {
    if ((spec.traffic?.[name] ?? 0) > 0) reader.fail(`mirror_traffic.${name}: a deployment cannot get both live and mirrored traffic; mirror to a deployment with 0% traffic.`, root);
  }
  return { file: absFile, spec, lines: reader.lines };
}

/** Reads a batch endpoint YAML as `az ml batch-endpoint create -f` takes it. */
export function loadBatchEndpointSpec(file: string): LoadedDeploySpec<BatchEndpointSpec> {
  const { reader, root, absFile } = openDeployFile(file, 'endpoint');
  const entries = reader.mapEntries(root, 'the endpoint');
  const onlineOnlyEndpoint = 'belongs to online endpoints. Remove it.';
  reader.checkTop(entries, 'the endpoint', BATCH_ENDPOINT_FIELDS, { ...READ_ONLY, traffic: onlineOnlyEndpoint, mirror_traffic: onlineOnlyEndpoint, public_network_access: onlineOnlyEndpoint, identity: onlineOnlyEndpoint });
  const nameEntry = reader.required(entries, 'name', root, 'Add name: <endpoint name>, unique in the Azure region.');
  const spec: BatchEndpointSpec = { name: reader.resourceName(nameEntry.value, 'name', nameEntry.keyNode, 'endpoint'), authMode: 'AADToken' };
  for (const { key, keyNode, value } of entries) {
    reader.recordLine(key, keyNode);
    if (key === 'description') spec.description = reader.string(value, key, keyNode, { allowEmpty: true });
    if (key === 'tags') spec.tags = reader.stringMap(value, key, keyNode);
    if (key === 'auth_mode') {
      const mode = reader.enumValue(AUTH_MODES, value, key, keyNode);
      if (mode !== 'AADToken') reader.fail(`auth_mode: batch endpoints only support aad_token.`, value, keyNode);
    }
    if (key === 'defaults') {
      const defaults = reader.mapEntries(value, 'defaults', keyNode);
      reader.checkFields(defaults, 'defaults', ['deployment_name']);
      const d = defaults.find((e) => e.key === 'deployment_name');
      if (d) spec.defaultDeployment = reader.resourceName(d.value, 'defaults.deployment_name', d.keyNode, 'deployment');
    }
  }
  return { file: absFile, spec, lines: reader.lines };
}

function readCommonDeployment(reader: DeployFileReader, entry: Entry, spec: Partial<Omit<OnlineDeploymentSpec, 'type' | 'model'>> & { model?: ModelSpec }): boolean {
  const { key, keyNode, value } = entry;
  switch (key) {
    case 'name':
      spec.name = reader.resourceName(value, key, keyNode, 'deployment');
      return true;
    case 'endpoint_name':
      spec.endpointName = reader.resourceName(value, key, keyNode, 'endpoint');
      return true;
    case 'description':
      spec.description = reader.string(value, key, keyNode, { allowEmpty: true });
      return true;
    case 'tags':
      spec.tags = reader.stringMap(value, key, keyNode);
      return true;
    case 'properties':
      spec.properties = reader.stringMap(value, key, keyNode);
      return true;
    case 'model':
      spec.model = reader.model(value, keyNode);
      return true;
    case 'code_configuration': {
      const { code, scoringScript } = reader.codeConfiguration(value, keyNode);
      spec.code = code;
      spec.scoringScript = scoringScript;
      return true;
    }
    case 'environment':
      spec.environment = reader.environment(value, keyNode);
      return true;
    case 'environment_variables':
      spec.environmentVariables = reader.stringMap(value, key, keyNode);
      return true;
    case '$schema':
    case 'type':
      return true;
    default:
      return false;
  }
}

/** Reads an online deployment YAML as `az ml online-deployment create -f` takes it (managed or kubernetes). */
export function loadOnlineDeploymentSpec(file: string): LoadedDeploySpec<OnlineDeploymentSpec> {
  const { reader, root, absFile } = openDeployFile(file, 'deployment');
  const entries = reader.mapEntries(root, 'the deployment');
  const typeEntry = entries.find((e) => e.key === 'type');
  const type = typeEntry ? reader.enumValue({ managed: 'Managed', kubernetes: 'Kubernetes' } as const, typeEntry.value, 'type', typeEntry.keyNode) : 'Managed';
  const allowed = type === 'Kubernetes' ? KUBERNETES_DEPLOYMENT_FIELDS : ONLINE_DEPLOYMENT_FIELDS;
  reader.checkTop(entries, 'the deployment', allowed, {
    ...ONLINE_DEPLOYMENT_UNSUPPORTED,
    ...(type === 'Managed' ? { resources: 'sets CPU and memory requests of Kubernetes deployments; a managed deployment takes instance_type. Remove it, or add type: kubernetes.' } : { egress_public_network_access: 'applies to managed deployments only. Remove it.' }),
  });
  reader.required(entries, 'name', root, 'Add name: <deployment name>, for example blue.');
  reader.required(entries, 'endpoint_name', root, 'Add endpoint_name: <the endpoint this deployment belongs to>.');
  const spec: Partial<OnlineDeploymentSpec> = { type };
  for (const entry of entries) {
    const { key, keyNode, value } = entry;
    reader.recordLine(key, keyNode);
    if (readCommonDeployment(reader, entry, spec)) continue;
    if (key === 'model_mount_path') spec.modelMountPath = reader.string(value, key, keyNode);
    if (key === 'instance_type') spec.instanceType = reader.string(value, key, keyNode);
    if (key === 'instance_count') spec.instanceCount = reader.integer(value, key, keyNode, 1);
    if (key === 'scale_settings') spec.scaleSettings = reader.scaleSettings(value, keyNode);
    if (key === 'request_settings') spec.requestSettings = reader.requestSettings(value, keyNode);
    if (key === 'liveness_probe') spec.livenessProbe = reader.probe(value, key, keyNode);
    if (key === 'readiness_probe') spec.readinessProbe = reader.probe(value, key, keyNode);
    if (key === 'app_insights_enabled') spec.appInsightsEnabled = reader.boolean(value, key, keyNode);
    if (key === 'egress_public_network_access') spec.egressPublicNetworkAccess = reader.enumValue(NETWORK_ACCESS, value, key, keyNode);
    if (key === 'data_collector') spec.dataCollector = reader.dataCollector(value, keyNode);
    if (key === 'resources') {
      const resources = reader.mapEntries(value, 'resources', keyNode);
      reader.checkFields(resources, 'resources', ['requests', 'limits']);
      for (const r of resources) {
        if (r.key === 'requests') spec.resourceRequests = reader.containerResources(r.value, 'resources.requests', r.keyNode);
        if (r.key === 'limits') spec.resourceLimits = reader.containerResources(r.value, 'resources.limits', r.keyNode);
      }
    }
  }
  if (type === 'Managed') {
    if (spec.scaleSettings?.type === 'TargetUtilization') {
      // Azure ML refuses it: managed deployments scale through Azure Monitor autoscale rules on the deployment.
      reader.fail(
        'scale_settings.type: target_utilization is for Kubernetes deployments; a managed deployment only takes type: default. Set instance_count, and autoscale it with Azure Monitor autoscale rules.',
        entries.find((e) => e.key === 'scale_settings')?.keyNode,
      );
    }
    if (!spec.instanceType) reader.fail('instance_type is missing: a managed deployment needs a VM size. Add instance_type: Standard_DS3_v2 (or another supported size).', root);
    if (spec.instanceCount === undefined) reader.fail('instance_count is missing. Add instance_count: 1 (or more).', root);
  }
  if (spec.code && !spec.environment) reader.fail('code_configuration needs an environment to run the scoring script in. Add environment: azureml:<name>:<version>.', root);
  if (!spec.model && !spec.environment) reader.fail('the deployment has neither model nor environment. Add model: azureml:<name>:<version>.', root);
  return { file: absFile, spec: spec as OnlineDeploymentSpec, lines: reader.lines };
}

/** Reads a batch deployment YAML as `az ml batch-deployment create -f` takes it: a model (`type: model`, the default) or a pipeline component (`type: pipeline`). */
export function loadBatchDeploymentSpec(file: string): LoadedDeploySpec<BatchDeploymentSpec> {
  const { reader, root, absFile } = openDeployFile(file, 'deployment');
  const entries = reader.mapEntries(root, 'the deployment');
  const typeEntry = entries.find((e) => e.key === 'type');
  const type = typeEntry ? reader.oneOf(reader.string(typeEntry.value, 'type', typeEntry.keyNode).toLowerCase(), ['model', 'pipeline'] as const, 'type', typeEntry.value, typeEntry.keyNode) : 'model';
  if (type === 'pipeline') return { file: absFile, spec: readPipelineBatchDeployment(reader, entries, root), lines: reader.lines };
  reader.checkTop(entries, 'the deployment', BATCH_DEPLOYMENT_FIELDS, BATCH_DEPLOYMENT_UNSUPPORTED);
  reader.required(entries, 'name', root, 'Add name: <deployment name>.');
  reader.required(entries, 'endpoint_name', root, 'Add endpoint_name: <the batch endpoint this deployment belongs to>.');
  reader.required(entries, 'model', root, 'Add model: azureml:<name>:<version>.');
  reader.required(entries, 'compute', root, 'Add compute: azureml:<compute cluster>.');
  const spec: Partial<ModelBatchDeploymentSpec> = { type: 'model' };
  for (const entry of entries) {
    const { key, keyNode, value } = entry;
    reader.recordLine(key, keyNode);
    if (readCommonDeployment(reader, entry, spec)) continue;
    if (key === 'compute') spec.compute = reader.compute(value, keyNode);
    if (key === 'resources') {
      const resources = reader.mapEntries(value, 'resources', keyNode);
      reader.checkFields(resources, 'resources', ['instance_count']);
      const count = resources.find((r) => r.key === 'instance_count');
      if (count) spec.instanceCount = reader.integer(count.value, 'resources.instance_count', count.keyNode, 1);
    }
    if (key === 'max_concurrency_per_instance') spec.maxConcurrencyPerInstance = reader.integer(value, key, keyNode, 1);
    if (key === 'mini_batch_size') spec.miniBatchSize = reader.integer(value, key, keyNode, 1);
    if (key === 'output_action') spec.outputAction = reader.enumValue(OUTPUT_ACTIONS, value, key, keyNode);
    if (key === 'output_file_name') spec.outputFileName = reader.string(value, key, keyNode);
    if (key === 'logging_level') spec.loggingLevel = reader.enumValue(LOGGING_LEVELS, value, key, keyNode);
    if (key === 'error_threshold') spec.errorThreshold = reader.integer(value, key, keyNode, -1);
    if (key === 'retry_settings') {
      const retry = reader.mapEntries(value, key, keyNode);
      reader.checkFields(retry, key, ['max_retries', 'timeout']);
      spec.retrySettings = {};
      for (const r of retry) {
        if (r.key === 'max_retries') spec.retrySettings.maxRetries = reader.integer(r.value, 'retry_settings.max_retries', r.keyNode, 0);
        if (r.key === 'timeout') spec.retrySettings.timeoutSeconds = reader.integer(r.value, 'retry_settings.timeout', r.keyNode, 1, ' of seconds');
      }
    }
  }
  if (spec.code && !spec.environment) reader.fail('code_configuration needs an environment to run the scoring script in. Add environment: azureml:<name>:<version>.', root);
  return { file: absFile, spec: spec as ModelBatchDeploymentSpec, lines: reader.lines };
}

function readPipelineBatchDeployment(reader: DeployFileReader, entries: Entry[], root: Node): PipelineBatchDeploymentSpec {
  reader.checkTop(entries, 'the deployment', PIPELINE_BATCH_DEPLOYMENT_FIELDS, PIPELINE_BATCH_DEPLOYMENT_UNSUPPORTED);
  reader.required(entries, 'name', root, 'Add name: <deployment name>.');
  reader.required(entries, 'endpoint_name', root, 'Add endpoint_name: <the batch endpoint this deployment belongs to>.');
  reader.required(entries, 'component', root, 'Add component: azureml:<name>:<version>, a registered pipeline component.');
  reader.required(entries, 'settings', root, 'Add settings: {default_compute: azureml:<compute cluster>}, the compute cluster the pipeline runs on.');
  const spec: Partial<PipelineBatchDeploymentSpec> = { type: 'pipeline' };
  for (const entry of entries) {
    const { key, keyNode, value } = entry;
    reader.recordLine(key, keyNode);
    if (key === 'component') spec.component = reader.component(value, keyNode);
    else if (key === 'settings') spec.settings = reader.pipelineSettings(value, keyNode);
    else readCommonDeployment(reader, entry, spec);
  }
  return spec as PipelineBatchDeploymentSpec;
}

/** Overrides from task inputs, applied before the body is built; empty values leave the YAML as it is. */
export interface DeploymentOverrides {
  name?: string;
  /** `azureml:<name>:<version>`, `azureml:<name>@latest` or an ARM id (AmlRegisterModel's `modelId` output). */
  model?: string;
  instanceType?: string;
  instanceCount?: number;
}

export function applyDeploymentOverrides<T extends OnlineDeploymentSpec | BatchDeploymentSpec>(spec: T, overrides: DeploymentOverrides): T {
  const result = { ...spec };
  const name = overrides.name?.trim();
  if (name) {
    if (!/^[a-zA-Z][a-zA-Z0-9-]{2,31}$/.test(name) || name.endsWith('-')) {
      throw new UserError(`Input 'deploymentName': "${name}" is not a valid deployment name: use 3 to 32 letters, digits and "-", starting with a letter and not ending with "-".`, { input: 'deploymentName' });
    }
    result.name = name;
  }
  const model = overrides.model?.trim();
  const instanceType = overrides.instanceType?.trim();
  if (instanceType && result.type !== 'Managed' && result.type !== 'Kubernetes') {
    throw new UserError(`Input 'instanceType': a batch deployment runs on its compute cluster; leave instanceType empty.`, { input: 'instanceType' });
  }
  if (result.type === 'pipeline') {
    if (model) {
      throw new UserError(`Input 'model': the deployment deploys a pipeline component (type: pipeline), which has no model: its steps name their own. Leave model empty.`, { input: 'model' });
    }
    if (overrides.instanceCount !== undefined) {
      throw new UserError(`Input 'instanceCount': the deployment deploys a pipeline component (type: pipeline), whose steps set their own resources. Leave instanceCount empty.`, { input: 'instanceCount' });
    }
    return result;
  }
  const withModel = result as OnlineDeploymentSpec | ModelBatchDeploymentSpec;
  if (model) withModel.model = parseModelOverride(model);
  if (overrides.instanceCount !== undefined) {
    if (!Number.isSafeInteger(overrides.instanceCount) || overrides.instanceCount < 1) {
      throw new UserError(`Input 'instanceCount': must be a whole number of at least 1, got ${overrides.instanceCount}.`, { input: 'instanceCount' });
    }
    withModel.instanceCount = overrides.instanceCount;
  }
  if (instanceType) (result as OnlineDeploymentSpec).instanceType = instanceType;
  return result;
}

/** A model reference as a task input takes it: `azureml:<name>:<version>`, `azureml:<name>@latest` or the ARM id of a model version. */
export function parseModelOverride(text: string, input = 'model'): ModelSpec {
  const rest = text.startsWith('azureml:') && !text.startsWith('azureml://') ? text.slice('azureml:'.length) : text;
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/(workspaces|registries)\/[^/]+\/models\/[^/]+\/versions\/[^/]+$/i.test(rest)) {
    return { kind: 'armId', id: rest };
  }
  if (/^azureml:\/\/registries\/[^/]+\/models\/[^/]+\/versions\/[^/]+$/.test(rest)) return { kind: 'armId', id: rest };
  const latest = /^([^:@/\s]+)@latest$/.exec(rest);
  if (latest) return { kind: 'asset', name: latest[1], latest: true };
  const versioned = /^([^:@/\s]+):([^:@/\s]+)$/.exec(rest);
  if (versioned) return { kind: 'asset', name: versioned[1], version: versioned[2] };
  throw new UserError(
    `Input '${input}': '${text}' is not a model reference. Use azureml:<name>:<version>, azureml:<name>@latest or the ARM id of a model version (the modelId output of AmlRegisterModel).`,
    { input },
  );
}
