import { createHash } from 'crypto';
import { secondsToIsoDuration } from './durations';
import type {
  AssetInputType,
  CommandComponentSpec,
  CommandJobSpec,
  DistributionSpec,
  JobInputSpec,
  JobOutputSpec,
  JobSpec,
  PipelineJobSpec,
  PipelineStepSpec,
  ResourcesSpec,
  SweepJobSpec,
  EmailNotificationType,
  InputMode,
  JobServiceType,
  JobTier,
  OutputMode,
  OutputType,
} from './spec';

// The body of `PUT .../jobs/{name}?api-version=2024-04-01` for a command job, as the REST spec names it.

export interface LiteralJobInput {
  jobInputType: 'literal';
  value: string;
  description?: string;
}

export interface AssetJobInput {
  jobInputType: AssetInputType;
  uri: string;
  mode?: InputMode;
  description?: string;
}

export type JobInput = LiteralJobInput | AssetJobInput;

export interface JobOutput {
  jobOutputType: OutputType;
  uri?: string;
  mode?: OutputMode;
  description?: string;
}

export interface JobResourceConfiguration {
  instanceCount?: number;
  instanceType?: string;
  shmSize?: string;
  dockerArgs?: string;
  properties?: Record<string, unknown>;
}

export type DistributionConfiguration =
  | { distributionType: 'PyTorch'; processCountPerInstance?: number }
  | { distributionType: 'Mpi'; processCountPerInstance?: number }
  | { distributionType: 'TensorFlow'; workerCount?: number; parameterServerCount?: number };

export type IdentityConfiguration =
  | { identityType: 'UserIdentity' }
  | { identityType: 'AMLToken' }
  | { identityType: 'Managed'; clientId?: string; objectId?: string; resourceId?: string };

export interface JobService {
  jobServiceType?: JobServiceType;
  port?: number;
  nodes?: { nodesValueType: 'All' };
  properties?: Record<string, string>;
}

/** The REST members every job type shares. */
export interface JobPropertiesBase {
  displayName?: string;
  experimentName: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  computeId?: string;
  inputs?: Record<string, JobInput>;
  outputs?: Record<string, JobOutput>;
  identity?: IdentityConfiguration;
  notificationSetting?: { emailOn?: EmailNotificationType[]; emails?: string[] };
}

export interface CommandJobProperties extends JobPropertiesBase {
  jobType: 'Command';
  command: string;
  codeId?: string;
  environmentId: string;
  environmentVariables?: Record<string, string>;
  resources?: JobResourceConfiguration;
  distribution?: DistributionConfiguration;
  limits?: { jobLimitsType: 'Command'; timeout: string };
  queueSettings?: { jobTier: JobTier };
  services?: Record<string, JobService>;
}

/** What every trial of a sweep runs: the command part of a command job (REST `TrialComponent`). */
export type TrialComponent = Pick<CommandJobProperties, 'command' | 'codeId' | 'environmentId' | 'environmentVariables' | 'resources' | 'distribution'>;

export interface SweepJobProperties extends JobPropertiesBase {
  jobType: 'Sweep';
  trial: TrialComponent;
  searchSpace: Record<string, [string, unknown[]]>;
  samplingAlgorithm: { samplingAlgorithmType: 'Random' | 'Grid' | 'Bayesian'; seed?: number; rule?: 'Random' | 'Sobol' };
  objective: { goal: 'Maximize' | 'Minimize'; primaryMetric: string };
  limits?: { jobLimitsType: 'Sweep'; maxTotalTrials?: number; maxConcurrentTrials?: number; timeout?: string; trialTimeout?: string };
  earlyTermination?: Record<string, unknown> & { policyType: string };
  queueSettings?: { jobTier: JobTier };
}

export interface PipelineJobProperties extends JobPropertiesBase {
  jobType: 'Pipeline';
  /** Free-form in the spec; keys as the Azure ML CLI sends them (snake_case). */
  settings: Record<string, unknown>;
  jobs: Record<string, Record<string, unknown>>;
}

export interface JobBaseResource {
  properties: CommandJobProperties | SweepJobProperties | PipelineJobProperties;
}

/** A component version to create before the job: `components/{name}/versions/{version}`. */
export interface ComponentToCreate {
  name: string;
  version: string;
  /** The pipeline step it is for. */
  step: string;
  body: { properties: { componentSpec: Record<string, unknown>; isAnonymous: true; properties: Record<string, string>; tags: Record<string, string> } };
}

export interface Submission {
  components: ComponentToCreate[];
  job: JobBaseResource;
}

/** ARM ids (or URIs) for everything a pipeline step names. */
export interface ResolvedStep {
  /** Registered components. */
  componentId?: string;
  /** For inline and local components. */
  codeId?: string;
  environmentId?: string;
  computeId?: string;
  inputUris: Record<string, string>;
}

/** ARM ids (or URIs) for everything the job names; the caller finds them in the workspace. */
export interface ResolvedReferences {
  /** The workspace's ARM id: anonymous components get ids under it. Needed for pipelines. */
  workspaceId?: string;
  /** Of the command job, or of a sweep's trial. */
  codeId?: string;
  environmentId?: string;
  computeId?: string;
  /** The resolved `uri` of every input whose path is an `azureml:` asset reference, by input name. */
  inputUris: Record<string, string>;
  defaultComputeId?: string;
  defaultDatastoreId?: string;
  steps?: Record<string, ResolvedStep>;
}

export type InputToResolve =
  | { kind: 'asset'; assetType: 'data' | 'models'; name: string; version?: string; latest?: boolean }
  | { kind: 'uri'; uri: string };

export type CodeToResolve = { kind: 'local'; dir: string } | { kind: 'asset'; name: string; version: string };
export type EnvironmentToResolve =
  | { kind: 'asset'; name: string; version?: string; latest?: boolean }
  | { kind: 'armId'; id: string }
  | { kind: 'inline'; image: string; condaFile?: string; name?: string; description?: string };
export type ComputeToResolve = { name: string } | { armId: string };

export interface StepToResolve {
  /** A registered component (checked to exist, its interface compared with the step). */
  component?: { kind: 'registered'; name: string; version?: string; latest?: boolean } | { kind: 'armId'; id: string };
  /** Of an inline or local component. */
  code?: CodeToResolve;
  environment?: EnvironmentToResolve;
  compute?: ComputeToResolve;
  inputs: Record<string, InputToResolve>;
  /** The component file and its lines, for errors about its code or environment. */
  componentFile?: string;
  componentLines?: Record<string, number>;
  /** What the step gives the component, compared with a registered component's interface. */
  inputNames: string[];
  outputNames: string[];
  /** `${{parent.jobs.<step>.outputs.<output>}}` bindings of this step's inputs, by input name. */
  stepOutputBindings: Array<{ input: string; step: string; output: string; expression: string }>;
}

export interface ReferencesToResolve {
  /** `dir` is the local file or folder to snapshot (absolute). */
  code?: CodeToResolve;
  environment?: EnvironmentToResolve;
  compute?: ComputeToResolve;
  /** Every data or model input (literals need nothing); `uri` ones are already final. */
  inputs: Record<string, InputToResolve>;
  defaultCompute?: ComputeToResolve;
  defaultDatastore?: string;
  steps?: Record<string, StepToResolve>;
}

/** What has to be looked up (or uploaded, or created) in the workspace before the job can be sent. */
export function referencesToResolve(spec: JobSpec): ReferencesToResolve {
  const refs: ReferencesToResolve = { inputs: assetInputs(spec.inputs) };
  if (spec.compute) refs.compute = { ...spec.compute };
  if (spec.type === 'command' || spec.type === 'sweep') {
    const command = spec.type === 'command' ? spec : spec.trial;
    refs.environment = { ...command.environment };
    if (command.code) refs.code = codeToResolve(command.code);
    return refs;
  }
  if (spec.settings.defaultCompute) refs.defaultCompute = { ...spec.settings.defaultCompute };
  if (spec.settings.defaultDatastore) refs.defaultDatastore = spec.settings.defaultDatastore;
  refs.steps = {};
  for (const [name, step] of Object.entries(spec.jobs)) {
    const stepRefs: StepToResolve = {
      inputs: assetInputs(step.inputs as Record<string, JobInputSpec>),
      inputNames: Object.keys(step.inputs),
      stepOutputBindings: stepOutputBindings(step.inputs),
      outputNames: Object.keys(step.outputs),
    };
    if (step.compute) stepRefs.compute = { ...step.compute };
    const source = step.component;
    if (source.kind === 'registered' || source.kind === 'armId') {
      stepRefs.component = { ...source };
    } else {
      stepRefs.environment = { ...source.component.environment };
      if (source.component.code) stepRefs.code = codeToResolve(source.component.code);
      if (source.kind === 'local') {
        stepRefs.componentFile = source.file;
        if (source.component.lines) stepRefs.componentLines = source.component.lines;
      }
    }
    put(refs.steps, name, stepRefs);
  }
  return refs;
}

function stepOutputBindings(inputs: PipelineStepSpec['inputs']): StepToResolve['stepOutputBindings'] {
  const found: StepToResolve['stepOutputBindings'] = [];
  for (const [input, value] of Object.entries(inputs)) {
    if (value.type !== 'binding') continue;
    for (const m of value.value.matchAll(/\$\{\{\s*parent\.jobs\.([A-Za-z0-9_]+)\.outputs\.([A-Za-z0-9_]+)\s*\}\}/g)) {
      found.push({ input, step: m[1], output: m[2], expression: m[0] });
    }
  }
  return found;
}

function codeToResolve(code: NonNullable<CommandJobSpec['code']>): CodeToResolve {
  return code.kind === 'local' ? { kind: 'local', dir: code.path } : { ...code };
}

/** Data and model inputs; literals and bindings need nothing from the workspace. */
function assetInputs(inputs: Record<string, JobInputSpec | { type: 'binding' }>): Record<string, InputToResolve> {
  const result: Record<string, InputToResolve> = {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.type === 'literal' || input.type === 'binding') continue;
    const asset = input as Extract<JobInputSpec, { path: unknown }>;
    const ref: InputToResolve =
      asset.path.kind === 'uri' ? { kind: 'uri', uri: asset.path.uri } : { ...asset.path, assetType: isModelType(asset.type) ? 'models' : 'data' };
    put(result, name, ref);
  }
  return result;
}

/**
 * The exact 2024-04-01 REST body for the job: absent fields are left out rather than sent as null or empty.
 * `extra` tags and properties (build lineage) are added to the job's own, and win on the same key.
 */
export function buildJobBody(spec: JobSpec, refs: ResolvedReferences, extra: { tags?: Record<string, string>; properties?: Record<string, string> } = {}): JobBaseResource {
  return buildSubmission(spec, refs, extra).job;
}

/** The job body and, for a pipeline, the anonymous component versions its inline and local steps become. */
export function buildSubmission(spec: JobSpec, refs: ResolvedReferences, extra: { tags?: Record<string, string>; properties?: Record<string, string> } = {}): Submission {
  if (spec.type === 'sweep') return { components: [], job: { properties: sweepProperties(spec, refs, extra) } };
  if (spec.type === 'pipeline') return pipelineSubmission(spec, refs, extra);
  return { components: [], job: { properties: commandProperties(spec, refs, extra) } };
}

/** Fields every job type has. */
function baseProperties(spec: JobSpec, extra: { tags?: Record<string, string>; properties?: Record<string, string> }) {
  const job: {
    displayName?: string;
    experimentName: string;
    description?: string;
    tags?: Record<string, string>;
    properties?: Record<string, string>;
  } = { experimentName: spec.experimentName ?? 'Default' };
  if (spec.displayName !== undefined) job.displayName = spec.displayName;
  if (spec.description !== undefined) job.description = spec.description;
  const tags = merged(spec.tags, extra.tags);
  if (tags) job.tags = tags;
  const properties = merged(spec.properties, extra.properties);
  if (properties) job.properties = properties;
  return job;
}

function commonTail(spec: JobSpec, refs: ResolvedReferences, job: { computeId?: string; inputs?: Record<string, JobInput>; outputs?: Record<string, JobOutput>; identity?: IdentityConfiguration; notificationSetting?: CommandJobProperties['notificationSetting'] }): void {
  if (spec.compute) job.computeId = required(refs.computeId, 'computeId', 'the job names a compute');
  const inputs = restInputs(spec.inputs, refs.inputUris);
  if (Object.keys(inputs).length > 0) job.inputs = inputs;
  const outputs = restOutputs(spec.outputs);
  if (Object.keys(outputs).length > 0) job.outputs = outputs;
  if (spec.identity) job.identity = restIdentity(spec.identity);
  if (spec.notificationSetting) {
    const setting: NonNullable<CommandJobProperties['notificationSetting']> = {};
    if (spec.notificationSetting.emailOn) setting.emailOn = [...spec.notificationSetting.emailOn];
    if (spec.notificationSetting.emails) setting.emails = [...spec.notificationSetting.emails];
    if (Object.keys(setting).length > 0) job.notificationSetting = setting;
  }
}

function commandProperties(spec: CommandJobSpec, refs: ResolvedReferences, extra: { tags?: Record<string, string>; properties?: Record<string, string> }): CommandJobProperties {
  const job: CommandJobProperties = {
    jobType: 'Command',
    ...baseProperties(spec, extra),
    command: spec.command,
    environmentId: required(refs.environmentId, 'environmentId', 'a command job has an environment'),
  };
  if (spec.code) job.codeId = required(refs.codeId, 'codeId', 'the job has code');
  if (spec.environmentVariables && Object.keys(spec.environmentVariables).length > 0) {
    job.environmentVariables = { ...spec.environmentVariables };
  }
  commonTail(spec, refs, job);
  const resources = restResources(spec.resources);
  if (resources) job.resources = resources;
  if (spec.distribution) job.distribution = restDistribution(spec.distribution);
  if (spec.limits) job.limits = { jobLimitsType: 'Command', timeout: secondsToIsoDuration(spec.limits.timeoutSeconds) };
  if (spec.queueSettings) job.queueSettings = { jobTier: spec.queueSettings.jobTier };
  if (spec.services && Object.keys(spec.services).length > 0) job.services = restServices(spec.services);
  return job;
}

function sweepProperties(spec: SweepJobSpec, refs: ResolvedReferences, extra: { tags?: Record<string, string>; properties?: Record<string, string> }): SweepJobProperties {
  const trial: SweepJobProperties['trial'] = {
    command: spec.trial.command,
    environmentId: required(refs.environmentId, 'environmentId', 'a sweep trial has an environment'),
  };
  if (spec.trial.code) trial.codeId = required(refs.codeId, 'codeId', 'the trial has code');
  if (spec.trial.environmentVariables && Object.keys(spec.trial.environmentVariables).length > 0) trial.environmentVariables = { ...spec.trial.environmentVariables };
  const resources = restResources(spec.trial.resources);
  if (resources) trial.resources = resources;
  if (spec.trial.distribution) trial.distribution = restDistribution(spec.trial.distribution);

  const searchSpace: SweepJobProperties['searchSpace'] = {};
  for (const [name, entry] of Object.entries(spec.searchSpace)) put(searchSpace, name, [entry.distribution, structuredClone(entry.parameters)]);
  const { type: samplingType, ...sampling } = spec.samplingAlgorithm as { type: 'Random' | 'Grid' | 'Bayesian'; seed?: number; rule?: 'Random' | 'Sobol' };

  const job: SweepJobProperties = {
    jobType: 'Sweep',
    ...baseProperties(spec, extra),
    trial,
    searchSpace,
    samplingAlgorithm: { samplingAlgorithmType: samplingType, ...sampling },
    objective: { goal: spec.objective.goal, primaryMetric: spec.objective.primaryMetric },
  };
  commonTail(spec, refs, job);
  if (spec.limits) {
    const limits: NonNullable<SweepJobProperties['limits']> = { jobLimitsType: 'Sweep' };
    if (spec.limits.maxTotalTrials !== undefined) limits.maxTotalTrials = spec.limits.maxTotalTrials;
    if (spec.limits.maxConcurrentTrials !== undefined) limits.maxConcurrentTrials = spec.limits.maxConcurrentTrials;
    if (spec.limits.timeoutSeconds !== undefined) limits.timeout = secondsToIsoDuration(spec.limits.timeoutSeconds);
    if (spec.limits.trialTimeoutSeconds !== undefined) limits.trialTimeout = secondsToIsoDuration(spec.limits.trialTimeoutSeconds);
    job.limits = limits;
  }
  if (spec.earlyTermination) {
    const { type, ...policy } = spec.earlyTermination;
    job.earlyTermination = { policyType: type, ...policy };
  }
  if (spec.queueSettings) job.queueSettings = { jobTier: spec.queueSettings.jobTier };
  return job;
}

/** The name the Azure ML CLI gives every anonymous component; the version is a hash of its definition. */
export const ANONYMOUS_COMPONENT_NAME = 'azureml_anonymous';

function pipelineSubmission(spec: PipelineJobSpec, refs: ResolvedReferences, extra: { tags?: Record<string, string>; properties?: Record<string, string> }): Submission {
  const components: ComponentToCreate[] = [];
  const jobs: Record<string, Record<string, unknown>> = {};
  for (const [name, step] of Object.entries(spec.jobs)) {
    const resolved = refs.steps?.[name] ?? { inputUris: {} };
    let componentId: string;
    const source = step.component;
    if (source.kind === 'registered' || source.kind === 'armId') {
      componentId = required(resolved.componentId, `steps.${name}.componentId`, `step ${name} runs a registered component`);
    } else {
      const workspaceId = required(refs.workspaceId, 'workspaceId', 'a pipeline with inline or local components needs the workspace id');
      const component = anonymousComponent(name, source.component, source.kind === 'local' ? 'YAML.COMPONENT' : 'YAML.JOB', resolved);
      components.push(component);
      componentId = `${workspaceId}/components/${component.name}/versions/${component.version}`;
    }
    put(jobs, name, pipelineNode(name, step, componentId, resolved, source.kind));
  }

  const settings: Record<string, unknown> = {};
  if (spec.settings.defaultCompute) settings.default_compute = required(refs.defaultComputeId, 'defaultComputeId', 'the pipeline has a default compute');
  if (spec.settings.defaultDatastore) settings.default_datastore = required(refs.defaultDatastoreId, 'defaultDatastoreId', 'the pipeline has a default datastore');
  if (spec.settings.continueOnStepFailure !== undefined) settings.continue_on_step_failure = spec.settings.continueOnStepFailure;
  if (spec.settings.forceRerun !== undefined) settings.force_rerun = spec.settings.forceRerun;
  settings._source = 'YAML.JOB';

  const job: PipelineJobProperties = { jobType: 'Pipeline', ...baseProperties(spec, extra), settings, jobs };
  commonTail(spec, refs, job);
  return { components, job: { properties: job } };
}

/** A step as the Azure ML CLI writes a pipeline node: snake_case keys, bindings as literal inputs. */
function pipelineNode(name: string, step: PipelineStepSpec, componentId: string, resolved: ResolvedStep, kind: string): Record<string, unknown> {
  const node: Record<string, unknown> = { name, type: 'command', componentId };
  node._source = kind === 'local' ? 'YAML.COMPONENT' : kind === 'inline' ? 'YAML.JOB' : 'REMOTE.WORKSPACE.COMPONENT';
  if (step.displayName !== undefined) node.display_name = step.displayName;
  if (step.description !== undefined) node.description = step.description;
  if (step.tags) node.tags = { ...step.tags };
  if (step.compute) node.computeId = required(resolved.computeId, `steps.${name}.computeId`, `step ${name} names a compute`);
  const inputs: Record<string, unknown> = {};
  for (const [inputName, input] of Object.entries(step.inputs)) {
    if (input.type === 'binding') {
      const rest: Record<string, unknown> = { job_input_type: 'literal', value: input.value };
      if (input.mode) rest.mode = input.mode;
      put(inputs, inputName, rest);
    } else if (input.type === 'literal') {
      put(inputs, inputName, { job_input_type: 'literal', value: input.value });
    } else {
      const rest: Record<string, unknown> = { job_input_type: input.type, uri: input.path.kind === 'uri' ? input.path.uri : required(own(resolved.inputUris, inputName), `steps.${name}.inputUris.${inputName}`, 'the input is an asset') };
      if (input.mode) rest.mode = input.mode;
      if (input.description !== undefined) rest.description = input.description;
      put(inputs, inputName, rest);
    }
  }
  node.inputs = inputs;
  const outputs: Record<string, unknown> = {};
  for (const [outputName, output] of Object.entries(step.outputs)) {
    if (output.type === 'binding') {
      const rest: Record<string, unknown> = { type: 'literal', value: output.value };
      if (output.mode) rest.mode = output.mode;
      put(outputs, outputName, rest);
    } else {
      const rest: Record<string, unknown> = { job_output_type: output.type };
      if (output.uri !== undefined) rest.uri = output.uri;
      if (output.mode) rest.mode = output.mode;
      if (output.description !== undefined) rest.description = output.description;
      put(outputs, outputName, rest);
    }
  }
  node.outputs = outputs;
  if (step.environmentVariables && Object.keys(step.environmentVariables).length > 0) node.environment_variables = { ...step.environmentVariables };
  const resources = snakeResources(step.resources);
  if (resources) node.resources = resources;
  if (step.distribution) node.distribution = snakeDistribution(step.distribution, 'distribution_type');
  if (step.limits) node.limits = { job_limits_type: 'Command', timeout: secondsToIsoDuration(step.limits.timeoutSeconds) };
  if (step.identity) {
    const { type, ...rest } = step.identity as { type: string; clientId?: string; objectId?: string; resourceId?: string };
    const identity: Record<string, unknown> = { identity_type: type };
    if (rest.clientId) identity.client_id = rest.clientId;
    if (rest.objectId) identity.object_id = rest.objectId;
    if (rest.resourceId) identity.resource_id = rest.resourceId;
    node.identity = identity;
  }
  return node;
}

/** The component version an inline or local component becomes: a `componentSpec` in the CLI's YAML terms. */
function anonymousComponent(step: string, component: CommandComponentSpec, source: string, resolved: ResolvedStep): ComponentToCreate {
  const spec: Record<string, unknown> = { type: 'command' };
  if (component.displayName !== undefined) spec.display_name = component.displayName;
  if (component.description !== undefined) spec.description = component.description;
  if (component.tags) spec.tags = { ...component.tags };
  // The CLI's default: a step reruns only when its component, inputs or settings change.
  spec.is_deterministic = component.isDeterministic ?? true;
  const inputs: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(component.inputs)) {
    const rest: Record<string, unknown> = { type: input.type };
    if (input.optional !== undefined) rest.optional = input.optional;
    if (input.default !== undefined) rest.default = input.default;
    if (input.description !== undefined) rest.description = input.description;
    if (input.min !== undefined) rest.min = input.min;
    if (input.max !== undefined) rest.max = input.max;
    if (input.enum) rest.enum = [...input.enum];
    if (input.mode) rest.mode = input.mode;
    put(inputs, name, rest);
  }
  spec.inputs = inputs;
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(component.outputs)) {
    const rest: Record<string, unknown> = { type: output.type };
    if (output.mode) rest.mode = output.mode;
    if (output.description !== undefined) rest.description = output.description;
    put(outputs, name, rest);
  }
  spec.outputs = outputs;
  spec.command = component.command;
  if (component.code) spec.code = `azureml:${required(resolved.codeId, `steps.${step}.codeId`, `step ${step} has code`)}`;
  spec.environment = `azureml:${required(resolved.environmentId, `steps.${step}.environmentId`, `step ${step} has an environment`)}`;
  if (component.environmentVariables && Object.keys(component.environmentVariables).length > 0) spec.environment_variables = { ...component.environmentVariables };
  const resources = snakeResources(component.resources);
  if (resources) spec.resources = resources;
  if (component.distribution) spec.distribution = snakeDistribution(component.distribution, 'type');
  spec._source = source;
  // The same definition always gets the same version, so a re-run reuses the component instead of adding one.
  const version = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 32);
  const componentSpec = { name: ANONYMOUS_COMPONENT_NAME, version, ...spec };
  return { name: ANONYMOUS_COMPONENT_NAME, version, step, body: { properties: { componentSpec, isAnonymous: true, properties: {}, tags: {} } } };
}

function snakeResources(resources: ResourcesSpec | undefined): Record<string, unknown> | undefined {
  if (!resources) return undefined;
  const rest: Record<string, unknown> = {};
  if (resources.instanceCount !== undefined) rest.instance_count = resources.instanceCount;
  if (resources.instanceType !== undefined) rest.instance_type = resources.instanceType;
  if (resources.shmSize !== undefined) rest.shm_size = resources.shmSize;
  if (resources.dockerArgs !== undefined) rest.docker_args = resources.dockerArgs;
  if (resources.properties !== undefined) rest.properties = resources.properties;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** A node's distribution uses `distribution_type`; a component's uses the YAML's `type` (pytorch, mpi, tensorflow). */
function snakeDistribution(distribution: DistributionSpec, typeKey: 'distribution_type' | 'type'): Record<string, unknown> {
  const rest: Record<string, unknown> = { [typeKey]: typeKey === 'type' ? distribution.type.toLowerCase() : distribution.type };
  if ('processCountPerInstance' in distribution && distribution.processCountPerInstance !== undefined) rest.process_count_per_instance = distribution.processCountPerInstance;
  if ('workerCount' in distribution && distribution.workerCount !== undefined) rest.worker_count = distribution.workerCount;
  if ('parameterServerCount' in distribution && distribution.parameterServerCount !== undefined) rest.parameter_server_count = distribution.parameterServerCount;
  return rest;
}

function restIdentity(identity: NonNullable<CommandJobSpec['identity']>): IdentityConfiguration {
  const { type, ...rest } = identity;
  return { identityType: type, ...rest } as IdentityConfiguration;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function restInputs(inputs: Record<string, JobInputSpec>, inputUris: Record<string, string>): Record<string, JobInput> {
  const result: Record<string, JobInput> = {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.type === 'literal') {
      put(result, name, { jobInputType: 'literal', value: input.value });
      continue;
    }
    const uri = input.path.kind === 'uri' ? input.path.uri : required(own(inputUris, name), `inputUris.${name}`, `input ${name} is an asset`);
    const rest: AssetJobInput = { jobInputType: input.type, uri };
    if (input.mode) rest.mode = input.mode;
    if (input.description !== undefined) rest.description = input.description;
    put(result, name, rest);
  }
  return result;
}

function restOutputs(specOutputs: Record<string, JobOutputSpec>): Record<string, JobOutput> {
  const outputs: Record<string, JobOutput> = {};
  for (const [name, output] of Object.entries(specOutputs)) {
    const rest: JobOutput = { jobOutputType: output.type };
    if (output.uri !== undefined) rest.uri = output.uri;
    if (output.mode) rest.mode = output.mode;
    if (output.description !== undefined) rest.description = output.description;
    put(outputs, name, rest);
  }
  return outputs;
}

function restResources(resources: ResourcesSpec | undefined): JobResourceConfiguration | undefined {
  if (!resources) return undefined;
  const rest: JobResourceConfiguration = {};
  if (resources.instanceCount !== undefined) rest.instanceCount = resources.instanceCount;
  if (resources.instanceType !== undefined) rest.instanceType = resources.instanceType;
  if (resources.shmSize !== undefined) rest.shmSize = resources.shmSize;
  if (resources.dockerArgs !== undefined) rest.dockerArgs = resources.dockerArgs;
  if (resources.properties !== undefined) rest.properties = resources.properties;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function restDistribution(distribution: NonNullable<CommandJobSpec['distribution']>): DistributionConfiguration {
  const { type, ...settings } = distribution;
  return { distributionType: type, ...settings } as DistributionConfiguration;
}

function restServices(services: NonNullable<CommandJobSpec['services']>): Record<string, JobService> {
  const rest: Record<string, JobService> = {};
  for (const [name, service] of Object.entries(services)) {
    const item: JobService = {};
    if (service.type) item.jobServiceType = service.type;
    if (service.port !== undefined) item.port = service.port;
    if (service.allNodes) item.nodes = { nodesValueType: 'All' };
    if (service.properties) item.properties = { ...service.properties };
    put(rest, name, item);
  }
  return rest;
}

function isModelType(type: AssetInputType): boolean {
  return type === 'custom_model' || type === 'mlflow_model' || type === 'triton_model';
}

function merged(own?: Record<string, string>, extra?: Record<string, string>): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const [key, value] of [...Object.entries(own ?? {}), ...Object.entries(extra ?? {})]) put(result, key, String(value));
  return Object.keys(result).length > 0 ? result : undefined;
}

/** A missing resolution is a bug in the caller, not something the user can fix. */
function required(value: string | undefined, what: string, why: string): string {
  if (value === undefined || value === '') throw new Error(`buildJobBody: ${what} is missing, but ${why}`);
  return value;
}

function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
