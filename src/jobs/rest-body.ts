import { secondsToIsoDuration } from './durations';
import type {
  AssetInputType,
  CommandJobSpec,
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

export interface CommandJobProperties {
  jobType: 'Command';
  displayName?: string;
  experimentName: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  command: string;
  codeId?: string;
  environmentId: string;
  computeId?: string;
  environmentVariables?: Record<string, string>;
  inputs?: Record<string, JobInput>;
  outputs?: Record<string, JobOutput>;
  resources?: JobResourceConfiguration;
  distribution?: DistributionConfiguration;
  limits?: { jobLimitsType: 'Command'; timeout: string };
  identity?: IdentityConfiguration;
  queueSettings?: { jobTier: JobTier };
  services?: Record<string, JobService>;
  notificationSetting?: { emailOn?: EmailNotificationType[]; emails?: string[] };
}

export interface JobBaseResource {
  properties: CommandJobProperties;
}

/** ARM ids (or URIs) for everything the job names; the caller finds them in the workspace. */
export interface ResolvedReferences {
  codeId?: string;
  environmentId: string;
  computeId?: string;
  /** The resolved `uri` of every input whose path is an `azureml:` asset reference, by input name. */
  inputUris: Record<string, string>;
}

export type InputToResolve =
  | { kind: 'asset'; assetType: 'data' | 'models'; name: string; version?: string; latest?: boolean }
  | { kind: 'uri'; uri: string };

export interface ReferencesToResolve {
  /** `dir` is the local file or folder to snapshot (absolute). */
  code?: { kind: 'local'; dir: string } | { kind: 'asset'; name: string; version: string };
  environment:
    | { kind: 'asset'; name: string; version?: string; latest?: boolean }
    | { kind: 'armId'; id: string }
    | { kind: 'inline'; image: string; condaFile?: string; name?: string; description?: string };
  compute?: { name: string } | { armId: string };
  /** Every data or model input (literals need nothing); `uri` ones are already final. */
  inputs: Record<string, InputToResolve>;
}

/** What has to be looked up (or uploaded, or created) in the workspace before the job can be sent. */
export function referencesToResolve(spec: CommandJobSpec): ReferencesToResolve {
  const refs: ReferencesToResolve = { environment: { ...spec.environment }, inputs: {} };
  if (spec.code) {
    refs.code = spec.code.kind === 'local' ? { kind: 'local', dir: spec.code.path } : { ...spec.code };
  }
  if (spec.compute) refs.compute = { ...spec.compute };
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (input.type === 'literal') continue;
    const ref: InputToResolve =
      input.path.kind === 'uri'
        ? { kind: 'uri', uri: input.path.uri }
        : { ...input.path, assetType: isModelType(input.type) ? 'models' : 'data' };
    put(refs.inputs, name, ref);
  }
  return refs;
}

/**
 * The exact 2024-04-01 REST body for the job: absent fields are left out rather than sent as null or empty.
 * `extra` tags and properties (build lineage) are added to the job's own, and win on the same key.
 */
export function buildJobBody(
  spec: CommandJobSpec,
  refs: ResolvedReferences,
  extra: { tags?: Record<string, string>; properties?: Record<string, string> } = {},
): JobBaseResource {
  const job: CommandJobProperties = {
    jobType: 'Command',
    experimentName: spec.experimentName ?? 'Default',
    command: spec.command,
    environmentId: refs.environmentId,
  };
  if (spec.displayName !== undefined) job.displayName = spec.displayName;
  if (spec.description !== undefined) job.description = spec.description;

  const tags = merged(spec.tags, extra.tags);
  if (tags) job.tags = tags;
  const properties = merged(spec.properties, extra.properties);
  if (properties) job.properties = properties;

  if (spec.code) job.codeId = required(refs.codeId, 'codeId', 'the job has code');
  if (spec.compute) job.computeId = required(refs.computeId, 'computeId', 'the job names a compute');
  if (spec.environmentVariables && Object.keys(spec.environmentVariables).length > 0) {
    job.environmentVariables = { ...spec.environmentVariables };
  }

  const inputs = restInputs(spec, refs);
  if (Object.keys(inputs).length > 0) job.inputs = inputs;
  const outputs = restOutputs(spec);
  if (Object.keys(outputs).length > 0) job.outputs = outputs;

  const resources = restResources(spec);
  if (resources) job.resources = resources;
  if (spec.distribution) job.distribution = restDistribution(spec.distribution);
  if (spec.limits) job.limits = { jobLimitsType: 'Command', timeout: secondsToIsoDuration(spec.limits.timeoutSeconds) };
  if (spec.identity) {
    const { type, ...rest } = spec.identity;
    job.identity = { identityType: type, ...rest } as IdentityConfiguration;
  }
  if (spec.queueSettings) job.queueSettings = { jobTier: spec.queueSettings.jobTier };
  if (spec.services && Object.keys(spec.services).length > 0) job.services = restServices(spec.services);
  if (spec.notificationSetting) {
    const setting: NonNullable<CommandJobProperties['notificationSetting']> = {};
    if (spec.notificationSetting.emailOn) setting.emailOn = [...spec.notificationSetting.emailOn];
    if (spec.notificationSetting.emails) setting.emails = [...spec.notificationSetting.emails];
    if (Object.keys(setting).length > 0) job.notificationSetting = setting;
  }
  return { properties: job };
}

function restInputs(spec: CommandJobSpec, refs: ResolvedReferences): Record<string, JobInput> {
  const inputs: Record<string, JobInput> = {};
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (input.type === 'literal') {
      put(inputs, name, { jobInputType: 'literal', value: input.value });
      continue;
    }
    const uri =
      input.path.kind === 'uri'
        ? input.path.uri
        : required(Object.prototype.hasOwnProperty.call(refs.inputUris, name) ? refs.inputUris[name] : undefined, `inputUris.${name}`, `input ${name} is an asset`);
    const rest: AssetJobInput = { jobInputType: input.type, uri };
    if (input.mode) rest.mode = input.mode;
    if (input.description !== undefined) rest.description = input.description;
    put(inputs, name, rest);
  }
  return inputs;
}

function restOutputs(spec: CommandJobSpec): Record<string, JobOutput> {
  const outputs: Record<string, JobOutput> = {};
  for (const [name, output] of Object.entries(spec.outputs)) {
    const rest: JobOutput = { jobOutputType: output.type };
    if (output.uri !== undefined) rest.uri = output.uri;
    if (output.mode) rest.mode = output.mode;
    if (output.description !== undefined) rest.description = output.description;
    put(outputs, name, rest);
  }
  return outputs;
}

function restResources(spec: CommandJobSpec): JobResourceConfiguration | undefined {
  const resources = spec.resources;
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
