import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, Node, isAlias, isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import { UserError } from '../errors';
import { suggest } from '../suggest';
import { readPipelineJob } from './spec-pipeline';
import { readSweepJob } from './spec-sweep';

/** Data and model input types a command job accepts (REST `jobInputType`, the CLI's `type`). */
export type AssetInputType = 'uri_file' | 'uri_folder' | 'mltable' | 'custom_model' | 'mlflow_model' | 'triton_model';
export type OutputType = AssetInputType;
export type InputMode = 'ReadOnlyMount' | 'ReadWriteMount' | 'Download' | 'Direct' | 'EvalMount' | 'EvalDownload';
export type OutputMode = 'ReadWriteMount' | 'Upload' | 'Direct';

/** `azureml:<name>:<version>` or `azureml:<name>@latest`: exactly one of version and latest is set. */
export interface AssetReference {
  kind: 'asset';
  name: string;
  version?: string;
  latest?: boolean;
}

/** A location Azure ML understands as it is: `azureml://...`, `https://...`, `abfss://...`, an ARM id. */
export interface UriReference {
  kind: 'uri';
  uri: string;
}

export interface LiteralInputSpec {
  type: 'literal';
  /** The value as the CLI sends it (Python `str()` of the YAML value: `True`, `0.01`, `1e-05`). */
  value: string;
}

export interface AssetInputSpec {
  type: AssetInputType;
  path: AssetReference | UriReference;
  mode?: InputMode;
  description?: string;
}

export type JobInputSpec = LiteralInputSpec | AssetInputSpec;

export interface JobOutputSpec {
  type: OutputType;
  uri?: string;
  mode?: OutputMode;
  description?: string;
}

export type CodeSpec =
  /** A local file or folder, absolute. */
  | { kind: 'local'; path: string }
  | { kind: 'asset'; name: string; version: string };

export type EnvironmentSpec =
  | AssetReference
  /** An ARM id or a registry reference (`azureml://registries/...`), used as is. */
  | { kind: 'armId'; id: string }
  | { kind: 'inline'; image: string; condaFile?: string; name?: string; description?: string };

/** Absent compute means serverless compute. */
export type ComputeSpec = { name: string } | { armId: string };

export interface ResourcesSpec {
  instanceCount?: number;
  instanceType?: string;
  shmSize?: string;
  dockerArgs?: string;
  properties?: Record<string, unknown>;
}

export type DistributionSpec =
  | { type: 'PyTorch'; processCountPerInstance?: number }
  | { type: 'Mpi'; processCountPerInstance?: number }
  | { type: 'TensorFlow'; workerCount?: number; parameterServerCount?: number };

export type IdentitySpec =
  | { type: 'UserIdentity' }
  | { type: 'AMLToken' }
  | { type: 'Managed'; clientId?: string; objectId?: string; resourceId?: string };

export type JobTier = 'Null' | 'Spot' | 'Basic' | 'Standard' | 'Premium';

export type JobServiceType = 'JupyterLab' | 'SSH' | 'TensorBoard' | 'VSCode';

export interface JobServiceSpec {
  type?: JobServiceType;
  port?: number;
  /** Run the service on every node instead of only the first. */
  allNodes?: boolean;
  properties?: Record<string, string>;
}

export type EmailNotificationType = 'JobCompleted' | 'JobFailed' | 'JobCancelled';

export interface NotificationSettingSpec {
  emailOn?: EmailNotificationType[];
  emails?: string[];
}

/** What every job type shares: identity, metadata, compute and the job-level inputs and outputs. */
export interface JobSpecBase {
  name?: string;
  displayName?: string;
  experimentName?: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  compute?: ComputeSpec;
  inputs: Record<string, JobInputSpec>;
  outputs: Record<string, JobOutputSpec>;
  identity?: IdentitySpec;
  notificationSetting?: NotificationSettingSpec;
}

/** A validated `type: command` job, in the terms of the 2024-04-01 REST API but before any name is resolved. */
export interface CommandJobSpec extends JobSpecBase {
  type: 'command';
  /** With `{inputs.x}` already rewritten to `${{inputs.x}}`. */
  command: string;
  code?: CodeSpec;
  environment: EnvironmentSpec;
  environmentVariables?: Record<string, string>;
  resources?: ResourcesSpec;
  distribution?: DistributionSpec;
  limits?: { timeoutSeconds: number };
  queueSettings?: { jobTier: JobTier };
  services?: Record<string, JobServiceSpec>;
}

/** The command part of a sweep job: what every trial runs. */
export interface TrialSpec {
  command: string;
  code?: CodeSpec;
  environment: EnvironmentSpec;
  environmentVariables?: Record<string, string>;
  resources?: ResourcesSpec;
  distribution?: DistributionSpec;
  /** The local component file the trial came from, if any. */
  componentFile?: string;
}

/** One search-space entry as REST wants it: `[distribution, parameters]`. */
export interface SearchSpaceEntry {
  distribution: SearchDistribution;
  parameters: unknown[];
}

export type SearchDistribution =
  | 'choice' | 'randint' | 'uniform' | 'loguniform' | 'quniform' | 'qloguniform' | 'normal' | 'lognormal' | 'qnormal' | 'qlognormal';

export type SamplingAlgorithmSpec =
  | { type: 'Random'; seed?: number; rule?: 'Random' | 'Sobol' }
  | { type: 'Grid' }
  | { type: 'Bayesian' };

export type EarlyTerminationSpec =
  | { type: 'Bandit'; slackFactor?: number; slackAmount?: number; evaluationInterval?: number; delayEvaluation?: number }
  | { type: 'MedianStopping'; evaluationInterval?: number; delayEvaluation?: number }
  | { type: 'TruncationSelection'; truncationPercentage?: number; evaluationInterval?: number; delayEvaluation?: number };

export interface SweepLimitsSpec {
  maxTotalTrials?: number;
  maxConcurrentTrials?: number;
  timeoutSeconds?: number;
  trialTimeoutSeconds?: number;
}

/** A validated `type: sweep` job. */
export interface SweepJobSpec extends JobSpecBase {
  type: 'sweep';
  trial: TrialSpec;
  searchSpace: Record<string, SearchSpaceEntry>;
  samplingAlgorithm: SamplingAlgorithmSpec;
  objective: { goal: 'Maximize' | 'Minimize'; primaryMetric: string };
  limits?: SweepLimitsSpec;
  earlyTermination?: EarlyTerminationSpec;
  queueSettings?: { jobTier: JobTier };
}

/** The data types a component input can declare. */
export type ComponentInputType = 'string' | 'integer' | 'number' | 'boolean' | AssetInputType;

export interface ComponentInputSpec {
  type: ComponentInputType;
  optional?: boolean;
  /** As written in the YAML (number, boolean or text). */
  default?: string | number | boolean;
  description?: string;
  min?: number;
  max?: number;
  enum?: Array<string | number | boolean>;
  mode?: InputMode;
}

export interface ComponentOutputSpec {
  type: OutputType;
  mode?: OutputMode;
  description?: string;
}

/** A command component, from a local component file or from an inline pipeline step. */
export interface CommandComponentSpec {
  /** The YAML file it was read from (the job file for inline steps). */
  file: string;
  /** Lines of its fields in that file, when it is a component file of its own. */
  lines?: Record<string, number>;
  name?: string;
  version?: string;
  displayName?: string;
  description?: string;
  tags?: Record<string, string>;
  isDeterministic?: boolean;
  command: string;
  code?: CodeSpec;
  environment: EnvironmentSpec;
  inputs: Record<string, ComponentInputSpec>;
  outputs: Record<string, ComponentOutputSpec>;
  environmentVariables?: Record<string, string>;
  resources?: ResourcesSpec;
  distribution?: DistributionSpec;
}

export type ComponentSource =
  /** A step written in the pipeline file, registered as an anonymous component. */
  | { kind: 'inline'; component: CommandComponentSpec }
  /** `component: ./train.yml`, registered as an anonymous component. */
  | { kind: 'local'; file: string; component: CommandComponentSpec }
  /** `component: azureml:name:version` or `azureml:name@latest`. */
  | { kind: 'registered'; name: string; version?: string; latest?: boolean }
  /** `component: azureml:/subscriptions/...` or `azureml://registries/...`. */
  | { kind: 'armId'; id: string };

/** `${{parent.inputs.x}}`, `${{parent.jobs.s.outputs.y}}` or `${{parent.outputs.z}}`, kept as written. */
export interface BindingSpec {
  type: 'binding';
  value: string;
  mode?: InputMode | OutputMode;
}

export type StepInputSpec = JobInputSpec | BindingSpec;
export type StepOutputSpec = JobOutputSpec | BindingSpec;

export interface PipelineStepSpec {
  type: 'command';
  component: ComponentSource;
  displayName?: string;
  description?: string;
  tags?: Record<string, string>;
  compute?: ComputeSpec;
  inputs: Record<string, StepInputSpec>;
  outputs: Record<string, StepOutputSpec>;
  environmentVariables?: Record<string, string>;
  resources?: ResourcesSpec;
  distribution?: DistributionSpec;
  limits?: { timeoutSeconds: number };
  identity?: IdentitySpec;
}

export interface PipelineSettingsSpec {
  defaultCompute?: ComputeSpec;
  /** A datastore name. */
  defaultDatastore?: string;
  continueOnStepFailure?: boolean;
  forceRerun?: boolean;
}

/** A validated `type: pipeline` job. */
export interface PipelineJobSpec extends JobSpecBase {
  type: 'pipeline';
  settings: PipelineSettingsSpec;
  jobs: Record<string, PipelineStepSpec>;
}

export type JobSpec = CommandJobSpec | SweepJobSpec | PipelineJobSpec;

export interface LoadedJobSpec<T extends JobSpec = JobSpec> {
  /** Absolute path of the YAML file. */
  file: string;
  /** Its folder: relative paths in the YAML are relative to it. */
  dir: string;
  spec: T;
  /** Things the CLI would also warn about, each naming the file and line. */
  warnings: string[];
  /**
   * The line of each top-level field and of each input and output (`compute`, `inputs.training_data`),
   * so that later problems, such as a compute that does not exist, can point at the YAML too.
   */
  lines: Record<string, number>;
}

/**
 * Reads a job YAML as `az ml job create -f` takes it and validates it into a command job.
 * Every problem is a UserError naming the file, the line and the fix.
 */
export function loadJobSpec(file: string): LoadedJobSpec {
  const { reader, root, absFile } = openYamlFile(file, 'job');
  const spec = reader.readJob(root);
  return { file: absFile, dir: path.dirname(absFile), spec, warnings: reader.warnings, lines: reader.lines };
}

/** Parses a YAML file (a job or a component) into a reader that names `file` and its lines in every error. */
export function openYamlFile(file: string, what: 'job' | 'component'): { reader: JobFileReader; root: Node | null; absFile: string } {
  const absFile = path.resolve(file);
  const text = readJobFile(file, absFile, what);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const reader = new JobFileReader(file, path.dirname(absFile), text, lineCounter, doc);
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    if (firstError.code === 'MULTIPLE_DOCS') throw reader.error(`the ${what} file holds more than one YAML document (---); keep one ${what} per file.`, line);
    throw reader.error(`the ${what} file is not valid YAML: ${firstError.message.split('\n')[0]}`, line);
  }
  return { reader, root: doc.contents as Node | null, absFile };
}

/** What the task's override inputs ask for; empty values leave the YAML as it is. */
export interface JobOverrides {
  experimentName?: string;
  displayName?: string;
  /** A compute name (with or without `azureml:`) or `serverless`. */
  compute?: string;
  /** `name=value` lines of the `inputs` task input, in order. */
  inputs?: Array<{ name: string; value: string }>;
  /** Extra tags; they win over the YAML's. */
  tags?: Record<string, string>;
}

/** Pipeline inputs win over the YAML, as `az ml job create --set` would; empty values leave the YAML as it is. */
export function applyOverrides<T extends JobSpec>(spec: T, overrides: JobOverrides): T {
  const result = { ...spec };
  if (overrides.experimentName?.trim()) result.experimentName = overrides.experimentName.trim();
  if (overrides.displayName?.trim()) result.displayName = overrides.displayName.trim();
  const compute = overrides.compute?.trim();
  if (compute) {
    const name = compute.replace(/^azureml:/i, '');
    if (!name) throw new UserError(`Input 'compute': '${compute}' names no compute. Give a compute name or serverless.`, { input: 'compute' });
    const target: ComputeSpec | undefined = name.toLowerCase() === 'serverless' ? undefined : name.startsWith('/') ? { armId: name } : { name };
    if (result.type === 'pipeline') {
      const pipeline = result as PipelineJobSpec;
      pipeline.settings = { ...pipeline.settings, defaultCompute: target };
      if (!target) delete pipeline.settings.defaultCompute;
    } else {
      result.compute = target;
      if (!target) delete result.compute;
    }
  }
  if (overrides.tags && Object.keys(overrides.tags).length) result.tags = { ...spec.tags, ...overrides.tags };
  if (overrides.inputs?.length) {
    const inputs: Record<string, JobInputSpec> = { ...spec.inputs };
    for (const { name, value } of overrides.inputs) {
      const current = Object.prototype.hasOwnProperty.call(inputs, name) ? inputs[name] : undefined;
      if (!current) {
        const names = Object.keys(spec.inputs);
        const suggestion = suggest(name, names);
        throw new UserError(
          `Input 'inputs': the job has no input '${name}'.${suggestion ? ` Did you mean ${suggestion}?` : ''} ${names.length ? `Its inputs: ${names.join(', ')}.` : 'The job declares no inputs.'}`,
          { input: 'inputs' },
        );
      }
      inputs[name] = current.type === 'literal' ? { type: 'literal', value: cliLiteralValue({ type: 'PLAIN', source: value, value }) } : { ...current, path: overridePath(name, value) };
    }
    result.inputs = inputs;
  }
  return result;
}

/** The new path of a data or model input: an asset reference or a location Azure ML reads as it is. */
function overridePath(name: string, value: string): AssetReference | UriReference {
  const text = value.trim();
  if (text.startsWith('azureml:') && !text.startsWith('azureml://')) {
    const rest = text.slice('azureml:'.length);
    if (rest.startsWith('/subscriptions/')) return { kind: 'uri', uri: rest };
    const latest = /^([^:@/\s]+)@latest$/.exec(rest);
    if (latest) return { kind: 'asset', name: latest[1], latest: true };
    const versioned = /^([^:@/\s]+):([^:@/\s]+)$/.exec(rest);
    if (versioned) return { kind: 'asset', name: versioned[1], version: versioned[2] };
  } else if (isUri(text) || text.startsWith('/subscriptions/')) {
    return { kind: 'uri', uri: text };
  }
  throw new UserError(
    `Input 'inputs': '${text}' is not a path for the data input '${name}'. Use azureml:<name>:<version>, azureml:<name>@latest, azureml://datastores/<datastore>/paths/<path> or an https:// URL.`,
    { input: 'inputs' },
  );
}

function readJobFile(file: string, absFile: string, what: 'job' | 'component'): string {
  try {
    return fs.readFileSync(absFile, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`The ${what} file ${file} does not exist (looked for ${absFile}).`, { file });
    if (code === 'EISDIR') throw new UserError(`${file} is a folder; give the path of the ${what} YAML file.`, { file });
    throw new UserError(`Cannot read the ${what} file ${file}: ${(e as Error).message}`, { file });
  }
}

const TOP_LEVEL_FIELDS = [
  '$schema', 'type', 'name', 'display_name', 'experiment_name', 'description', 'tags', 'properties', 'command', 'code',
  'environment', 'compute', 'inputs', 'outputs', 'environment_variables', 'resources', 'distribution', 'limits',
  'identity', 'queue_settings', 'services', 'notification_setting',
] as const;

const SUPPORTED_JOB_TYPES = 'supported: command, sweep, pipeline';
const OTHER_JOB_TYPES = ['automl', 'spark', 'parallel', 'import', 'data_transfer', 'finetuning', 'distillation'];

const sweepField = 'belongs to sweep jobs. Add type: sweep, or remove it.';
const pipelineField = 'belongs to pipeline jobs. Add type: pipeline, or remove it.';
const automlField = 'belongs to AutoML jobs, which AmlTrain does not support yet (supported: command, sweep, pipeline). Remove it, or submit this job with az ml job create.';
const readOnlyField = 'is set by Azure ML and shows up in az ml job show output; it cannot be submitted. Remove it.';
const newerApiField = 'needs a newer Azure ML REST API than the one AmlTrain uses (2024-04-01). Remove it.';

/** Fields every job type has. */
export const COMMON_JOB_FIELDS = [
  '$schema', 'type', 'name', 'display_name', 'experiment_name', 'description', 'tags', 'properties', 'compute', 'inputs', 'outputs',
  'identity', 'notification_setting',
] as const;
export const SWEEP_FIELDS = [...COMMON_JOB_FIELDS, 'trial', 'search_space', 'objective', 'sampling_algorithm', 'early_termination', 'limits', 'queue_settings'] as const;
export const PIPELINE_FIELDS = [...COMMON_JOB_FIELDS, 'jobs', 'settings'] as const;

const SHARED_UNSUPPORTED: Record<string, string> = {
  task: automlField,
  training_data: automlField,
  validation_data: automlField,
  test_data: automlField,
  target_column_name: automlField,
  primary_metric: automlField,
  featurization: automlField,
  parameters: readOnlyField,
  status: readOnlyField,
  creation_context: readOnlyField,
  id: readOnlyField,
};

const COMMAND_UNSUPPORTED: Record<string, string> = {
  ...SHARED_UNSUPPORTED,
  trial: sweepField,
  search_space: sweepField,
  objective: sweepField,
  sampling_algorithm: sweepField,
  early_termination: sweepField,
  jobs: pipelineField,
  settings: pipelineField,
  component: pipelineField,
};
const inTrial = 'belongs to the command of each trial in a sweep job: move it under trial:.';
const inStep = 'belongs to a step of a pipeline job: move it under jobs.<step>:.';
export const SWEEP_UNSUPPORTED: Record<string, string> = {
  ...SHARED_UNSUPPORTED,
  command: inTrial,
  code: inTrial,
  environment: inTrial,
  environment_variables: inTrial,
  resources: inTrial,
  distribution: inTrial,
  jobs: pipelineField,
  settings: pipelineField,
  component: inTrial,
};
export const PIPELINE_UNSUPPORTED: Record<string, string> = {
  ...SHARED_UNSUPPORTED,
  command: inStep,
  code: inStep,
  environment: inStep,
  environment_variables: inStep,
  resources: inStep,
  distribution: inStep,
  limits: inStep,
  queue_settings: inStep,
  services: inStep,
  component: inStep,
  trial: sweepField,
  search_space: sweepField,
  objective: sweepField,
  sampling_algorithm: sweepField,
  early_termination: sweepField,
};

export const INPUT_TYPES: readonly AssetInputType[] = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
export const INPUT_MODES: Record<string, InputMode> = {
  ro_mount: 'ReadOnlyMount',
  mount: 'ReadOnlyMount',
  rw_mount: 'ReadWriteMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};
export const OUTPUT_MODES: Record<string, OutputMode> = {
  rw_mount: 'ReadWriteMount',
  mount: 'ReadWriteMount',
  upload: 'Upload',
  direct: 'Direct',
};
const DISTRIBUTION_TYPES = { pytorch: 'PyTorch', mpi: 'Mpi', tensorflow: 'TensorFlow' } as const;
const IDENTITY_TYPES: Record<string, IdentitySpec['type']> = {
  user_identity: 'UserIdentity',
  managed: 'Managed',
  managed_identity: 'Managed',
  aml_token: 'AMLToken',
};
const JOB_TIERS: Record<string, JobTier> = { null: 'Null', spot: 'Spot', basic: 'Basic', standard: 'Standard', premium: 'Premium' };
const SERVICE_TYPES: Record<string, JobServiceType> = {
  jupyter_lab: 'JupyterLab',
  ssh: 'SSH',
  tensor_board: 'TensorBoard',
  vs_code: 'VSCode',
};
const EMAIL_ON: Record<string, EmailNotificationType> = {
  job_completed: 'JobCompleted',
  job_failed: 'JobFailed',
  job_cancelled: 'JobCancelled',
};

/** The CLI's rule for input and output names. */
export const BINDING_NAME = /^[a-zA-Z_]+[a-zA-Z0-9_]*$/;

export interface Entry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

/** Walks the parsed YAML nodes (not plain objects) so that every problem can name its line. */
export class JobFileReader {
  readonly warnings: string[] = [];
  readonly lines: Record<string, number> = {};

  constructor(
    readonly displayFile: string,
    readonly dir: string,
    readonly text: string,
    readonly lineCounter: LineCounter,
    readonly doc: Document,
  ) {}

  error(message: string, line: number | undefined): UserError {
    const where = line === undefined ? this.displayFile : `${this.displayFile}:${line}`;
    return new UserError(`${where}: ${message}`, { file: this.displayFile, line });
  }

  fail(message: string, node: Node | null | undefined, fallback?: Node): never {
    throw this.error(message, this.lineOf(node) ?? this.lineOf(fallback));
  }

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lineAt(offset);
  }

  recordLine(field: string, node: Node): void {
    const line = this.lineOf(node);
    if (line !== undefined) put(this.lines, field, line);
  }

  lineAt(offset: number): number {
    return this.lineCounter.linePos(offset).line;
  }

  readJob(root: Node | null): JobSpec {
    if (root === null || (isScalar(root) && root.value === null)) {
      throw this.error('the job file is empty; a command job needs at least command and environment.', 1);
    }
    const entries = this.mapEntries(root, 'the job');
    // The job type decides which fields make sense, so it is checked before anything else.
    const typeEntry = entries.find((e) => e.key === 'type');
    let type = 'command';
    if (typeEntry) {
      type = this.string(typeEntry.value, 'type', typeEntry.keyNode).toLowerCase();
      if (type !== 'command' && type !== 'sweep' && type !== 'pipeline') {
        const known = OTHER_JOB_TYPES.includes(type);
        this.fail(
          known
            ? `type: ${type} is not supported yet by AmlTrain (${SUPPORTED_JOB_TYPES}). Submit this job with az ml job create, or rewrite it as a command, sweep or pipeline job.`
            : `type: ${type} is not a job type AmlTrain knows (${SUPPORTED_JOB_TYPES}).`,
          typeEntry.value,
          typeEntry.keyNode,
        );
      }
    }
    if (type === 'sweep') return readSweepJob(this, entries, root);
    if (type === 'pipeline') return readPipelineJob(this, entries, root);
    return this.readCommandJob(entries, root);
  }

  /** Name, descriptions, tags, compute, inputs, outputs and the other fields all job types share; true if handled. */
  commonField(spec: Partial<CommandJobSpec | SweepJobSpec | PipelineJobSpec>, { key, keyNode, value }: Entry): boolean {
    switch (key) {
      case 'name':
        spec.name = this.jobName(value, keyNode);
        return true;
      case 'display_name':
        spec.displayName = this.string(value, key, keyNode);
        return true;
      case 'experiment_name':
        spec.experimentName = this.string(value, key, keyNode);
        return true;
      case 'description':
        spec.description = this.string(value, key, keyNode, { allowEmpty: true });
        return true;
      case 'tags':
        spec.tags = this.stringMap(value, key, keyNode);
        return true;
      case 'properties':
        spec.properties = this.stringMap(value, key, keyNode);
        return true;
      case 'compute': {
        const compute = this.compute(value, keyNode);
        if (!('name' in compute && compute.name.toLowerCase() === 'serverless')) spec.compute = compute;
        return true;
      }
      case 'inputs':
        spec.inputs = this.inputs(value, keyNode);
        return true;
      case 'outputs':
        spec.outputs = this.outputs(value, keyNode);
        return true;
      case 'identity':
        spec.identity = this.identity(value, keyNode);
        return true;
      case 'notification_setting':
        spec.notificationSetting = this.notificationSetting(value, keyNode);
        return true;
      case '$schema':
      case 'type':
        return true;
      default:
        return false;
    }
  }

  readCommandJob(entries: Entry[], root: Node): CommandJobSpec {
    const get = (key: string) => entries.find((e) => e.key === key);
    this.checkFields(entries, 'the job', TOP_LEVEL_FIELDS, COMMAND_UNSUPPORTED);

    const spec: Partial<CommandJobSpec> = { type: 'command', inputs: {}, outputs: {} };
    for (const entry of entries) {
      const { key, keyNode, value } = entry;
      this.recordLine(key, keyNode);
      if (this.commonField(spec, entry)) continue;
      switch (key) {
        case 'limits': {
          const limits = this.limits(value, keyNode);
          if (limits) spec.limits = limits;
          break;
        }
        case 'queue_settings': {
          const queueSettings = this.queueSettings(value, keyNode);
          if (queueSettings) spec.queueSettings = queueSettings;
          break;
        }
        case 'services':
          spec.services = this.services(value, keyNode);
          break;
        default:
          this.commandPart(spec, entry);
          break;
      }
    }

    const commandEntry = get('command');
    if (!commandEntry) {
      this.fail('the job has no command. Add one, for example: command: python train.py --data ${{inputs.data}}', root);
    }
    spec.command = this.command(commandEntry.value, commandEntry.keyNode, spec.inputs ?? {}, spec.outputs ?? {});
    if (!spec.environment) {
      this.fail(
        'the job has no environment. Add environment: azureml:<name>:<version> (or azureml:<name>@latest), or an inline environment with an image.',
        root,
      );
    }
    return spec as CommandJobSpec;
  }

  // ---- fields ----

  jobName(node: Node | null, keyNode: Node): string {
    const name = this.string(node, 'name', keyNode);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/.test(name)) {
      this.fail(
        `name "${name}" is not a valid job name: use letters, digits, "-" and "_", starting with a letter or digit (at most 255 characters).`,
        node,
        keyNode,
      );
    }
    return name;
  }

  /** The parts of a command job that a sweep trial and a component have too; false if `key` is none of them. */
  commandPart(target: { code?: CodeSpec; environment?: EnvironmentSpec; environmentVariables?: Record<string, string>; resources?: ResourcesSpec; distribution?: DistributionSpec }, { key, keyNode, value }: Entry, prefix = ''): boolean {
    switch (key) {
      case 'environment_variables':
        target.environmentVariables = this.stringMap(value, `${prefix}${key}`, keyNode);
        return true;
      case 'code':
        target.code = this.code(value, keyNode, `${prefix}code`);
        return true;
      case 'environment':
        target.environment = this.environment(value, keyNode, `${prefix}environment`);
        return true;
      case 'resources':
        target.resources = this.resources(value, keyNode, `${prefix}resources`);
        return true;
      case 'distribution':
        target.distribution = this.distribution(value, keyNode, `${prefix}distribution`);
        return true;
      default:
        return false;
    }
  }

  /**
   * The command, with `{inputs.x}` rewritten; every `${{inputs.x}}`, `${{outputs.x}}` (and `${{search_space.x}}`
   * where `searchSpace` is given) must name something declared.
   */
  command(
    node: Node | null,
    keyNode: Node,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown>,
    options: { field?: string; searchSpace?: Record<string, unknown>; where?: string } = {},
  ): string {
    const field = options.field ?? 'command';
    const raw = this.string(node, field, keyNode);
    const commandNode = node as Node;

    // The CLI still accepts the old {inputs.x} form, rewrites it and warns.
    const singleBrace = /\$?(?<!\{)\{(inputs|outputs)\.([^{}]*)\}(?!\})/g;
    const command = raw.replace(singleBrace, (match, kind: string, name: string) => {
      const replacement = `\${{${kind}.${name}}}`;
      const line = this.lineOfText(commandNode, match);
      this.warnings.push(
        `${this.displayFile}:${line}: the command uses ${match}, which is deprecated; it was sent as ${replacement}. Write ${replacement} instead.`,
      );
      return replacement;
    });

    const where = options.where ?? 'the job';
    const reference = /\$\{\{\s*([a-zA-Z_]+)\.([^}\s]*)\s*\}\}/g;
    for (const match of command.matchAll(reference)) {
      const kind = match[1];
      const name = match[2].split('.')[0];
      const scopes: Record<string, Record<string, unknown>> = { inputs, outputs };
      if (options.searchSpace) scopes['search_space'] = options.searchSpace;
      const declared = scopes[kind];
      if (!declared) {
        const known = Object.keys(scopes).map((k) => `\${{${k}.<name>}}`).join(', ');
        throw this.error(`the ${field} uses ${match[0]}, which is not a binding a command can use (${known}).`, this.lineOfText(commandNode, match[0]));
      }
      if (!Object.prototype.hasOwnProperty.call(declared, name)) {
        const names = Object.keys(declared);
        const hint = names.length > 0 ? ` Declared ${kind}: ${names.join(', ')}.` : ` ${where[0].toUpperCase()}${where.slice(1)} declares no ${kind}.`;
        const suggestion = suggest(name, names);
        throw this.error(
          `the ${field} uses \${{${kind}.${name}}} but ${kind}.${name} is not declared.${suggestion ? ` Did you mean ${kind}.${suggestion}?` : hint}`,
          this.lineOfText(commandNode, `${kind}.${name}`),
        );
      }
    }
    return command;
  }

  code(node: Node | null, keyNode: Node, field = 'code'): CodeSpec {
    const value = this.string(node, field, keyNode);
    if (value.startsWith('azureml:') && !value.startsWith('azureml://')) {
      const ref = this.assetReference(value, field, node, keyNode);
      if (!ref.version) {
        this.fail(`${field}: ${value} needs an explicit version: azureml:<name>:<version>.`, node, keyNode);
      }
      return { kind: 'asset', name: ref.name, version: ref.version };
    }
    if (isUri(value)) {
      this.fail(
        `${field}: ${value} is not supported: give a local folder (relative to the YAML file) or a registered code asset as azureml:<name>:<version>.`,
        node,
        keyNode,
      );
    }
    const localPath = path.resolve(this.dir, value);
    if (!fs.existsSync(localPath)) {
      this.fail(`${field}: ${value} does not exist (looked for ${localPath}). Paths are relative to the folder of the YAML file.`, node, keyNode);
    }
    return { kind: 'local', path: localPath };
  }

  environment(node: Node | null, keyNode: Node, field = 'environment'): EnvironmentSpec {
    const resolved = this.deref(node);
    if (isMap(resolved)) return this.inlineEnvironment(resolved, keyNode, field);
    const value = this.string(node, field, keyNode);
    if (value.startsWith('azureml:') && !value.startsWith('azureml://')) {
      const rest = value.slice('azureml:'.length);
      if (rest.startsWith('/subscriptions/')) return { kind: 'armId', id: rest };
      return this.assetReference(value, field, node, keyNode);
    }
    if (value.startsWith('/subscriptions/') || value.startsWith('azureml://registries/')) return { kind: 'armId', id: value };
    if (/^[^:@/\s]+(:[^:@/\s]+|@latest)$/.test(value)) {
      this.fail(`${field}: ${value} needs the azureml: prefix to name a registered environment: ${field.split('.').pop()}: azureml:${value}`, node, keyNode);
    }
    this.fail(
      `${field}: ${value} is not an environment reference. Use azureml:<name>:<version>, azureml:<name>@latest, azureml://registries/<registry>/environments/<name>/versions/<version>, or an inline environment with an image.`,
      node,
      keyNode,
    );
  }

  inlineEnvironment(node: Node, keyNode: Node, field = 'environment'): EnvironmentSpec {
    const entries = this.mapEntries(node, field);
    this.checkFields(entries, field, ['$schema', 'image', 'conda_file', 'name', 'description'], {
      build: 'building an environment from a Docker build context is not supported yet by AmlTrain. Register the environment (az ml environment create) and use environment: azureml:<name>:<version>.',
    });
    const get = (key: string) => entries.find((e) => e.key === key);
    const image = get('image');
    if (!image) this.fail(`${field} has no image. Add image: <docker image>, for example mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04`, keyNode);
    const env: EnvironmentSpec = { kind: 'inline', image: this.string(image.value, `${field}.image`, image.keyNode) };
    const conda = get('conda_file');
    if (conda) env.condaFile = this.condaFile(conda.value, conda.keyNode);
    const name = get('name');
    if (name) env.name = this.string(name.value, `${field}.name`, name.keyNode);
    const description = get('description');
    if (description) env.description = this.string(description.value, `${field}.description`, description.keyNode, { allowEmpty: true });
    return env;
  }

  condaFile(node: Node | null, keyNode: Node): string {
    const resolved = this.deref(node);
    if (isMap(resolved)) return stringify(resolved.toJS(this.doc));
    const value = this.string(node, 'environment.conda_file', keyNode);
    const condaPath = path.resolve(this.dir, value);
    try {
      return fs.readFileSync(condaPath, 'utf8').replace(/^\uFEFF/, '');
    } catch {
      this.fail(
        `environment.conda_file: ${value} cannot be read (looked for ${condaPath}). Paths are relative to the folder of the YAML file.`,
        node,
        keyNode,
      );
    }
  }

  compute(node: Node | null, keyNode: Node): ComputeSpec {
    const value = this.string(node, 'compute', keyNode);
    const target = value.startsWith('azureml:') ? value.slice('azureml:'.length) : value;
    if (target.startsWith('/subscriptions/')) return { armId: target };
    if (target.toLowerCase() === 'local') {
      this.fail(
        'compute: local runs the job on your own machine, which AmlTrain cannot do. Name a compute in the workspace (compute: azureml:<name>), or remove compute to use serverless compute.',
        node,
        keyNode,
      );
    }
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(target)) {
      this.fail(`compute: ${value} is not a compute name. Use compute: azureml:<compute name>.`, node, keyNode);
    }
    return { name: target };
  }

  inputs(node: Node | null, keyNode: Node): Record<string, JobInputSpec> {
    const inputs: Record<string, JobInputSpec> = {};
    for (const entry of this.mapEntries(node, 'inputs', keyNode)) {
      this.bindingName(entry, 'inputs');
      this.recordLine(`inputs.${entry.key}`, entry.keyNode);
      put(inputs, entry.key, this.input(entry));
    }
    return inputs;
  }

  input({ key, keyNode, value }: Entry, field = `inputs.${key}`): JobInputSpec {
    const node = this.deref(value);
    if (node === null || (isScalar(node) && node.value === null)) {
      this.fail(`${field} has no value. Give a literal (${key}: 0.01) or a data input ({type: uri_folder, path: azureml:<data>:<version>}).`, keyNode);
    }
    if (isScalar(node)) return { type: 'literal', value: cliLiteralValue(node) };
    const entries = this.mapEntries(node, field, keyNode);
    this.checkFields(entries, field, ['type', 'path', 'mode', 'description'], {
      value: `is not how a command job takes a literal input: write the value directly, ${key}: <value>.`,
      datastore: newerApiField,
      optional: 'only applies to component inputs. Remove it.',
      default: `is for component inputs; in a job write the value directly, ${key}: <value>.`,
    });
    const get = (k: string) => entries.find((e) => e.key === k);

    let type: AssetInputType = 'uri_folder';
    const typeEntry = get('type');
    if (typeEntry) {
      const text = this.string(typeEntry.value, `${field}.type`, typeEntry.keyNode);
      if (['string', 'integer', 'number', 'boolean'].includes(text)) {
        this.fail(`${field}.type: ${text} is for component inputs; in a job write the value directly, ${key}: <value>.`, typeEntry.value, typeEntry.keyNode);
      }
      type = this.oneOf(text, INPUT_TYPES, `${field}.type`, typeEntry.value, typeEntry.keyNode);
    }

    const pathEntry = get('path');
    if (!pathEntry) {
      this.fail(`${field} has no path. Add path: azureml:<data name>:<version> or path: azureml://datastores/<datastore>/paths/<path>.`, keyNode);
    }
    const input: AssetInputSpec = { type, path: this.inputPath(pathEntry, field, type) };

    const modeEntry = get('mode');
    if (modeEntry) {
      const text = this.string(modeEntry.value, `${field}.mode`, modeEntry.keyNode);
      input.mode = INPUT_MODES[this.oneOf(text, Object.keys(INPUT_MODES), `${field}.mode`, modeEntry.value, modeEntry.keyNode)];
    }
    const descriptionEntry = get('description');
    if (descriptionEntry) {
      input.description = this.string(descriptionEntry.value, `${field}.description`, descriptionEntry.keyNode, { allowEmpty: true });
    }
    return input;
  }

  inputPath({ keyNode, value }: Entry, field: string, type: AssetInputType): AssetReference | UriReference {
    const text = this.string(value, `${field}.path`, keyNode);
    if (text.startsWith('azureml:') && !text.startsWith('azureml://')) {
      const rest = text.slice('azureml:'.length);
      if (rest.startsWith('/subscriptions/')) return { kind: 'uri', uri: rest };
      return this.assetReference(text, `${field}.path`, value, keyNode);
    }
    if (isUri(text) || text.startsWith('/subscriptions/')) return { kind: 'uri', uri: text };
    const assetKind = type.endsWith('_model') ? 'model' : 'data asset';
    this.fail(
      `${field}.path: ${text} is a local path, and AmlTrain does not upload local inputs yet. ` +
        `Register it as a ${assetKind} (az ml ${type.endsWith('_model') ? 'model' : 'data'} create) and use path: azureml:<name>:<version>, ` +
        'or upload it to a datastore and use path: azureml://datastores/<datastore>/paths/<path>.',
      value,
      keyNode,
    );
  }

  outputs(node: Node | null, keyNode: Node): Record<string, JobOutputSpec> {
    const outputs: Record<string, JobOutputSpec> = {};
    for (const entry of this.mapEntries(node, 'outputs', keyNode)) {
      this.bindingName(entry, 'outputs');
      this.recordLine(`outputs.${entry.key}`, entry.keyNode);
      put(outputs, entry.key, this.output(entry));
    }
    return outputs;
  }

  output({ key, keyNode, value }: Entry, field = `outputs.${key}`): JobOutputSpec {
    const node = this.deref(value);
    // As in the CLI, an output without settings is a folder written through a read-write mount.
    if (node === null || (isScalar(node) && node.value === null)) return { type: 'uri_folder', mode: 'ReadWriteMount' };
    const entries = this.mapEntries(node, field, keyNode);
    const assetFields = `${newerApiField.replace(' Remove it.', '')} Remove it and register the output after the job (for a model, with AmlRegisterModel).`;
    this.checkFields(entries, field, ['type', 'path', 'mode', 'description'], { name: assetFields, version: assetFields });
    const get = (k: string) => entries.find((e) => e.key === k);

    const output: JobOutputSpec = { type: 'uri_folder' };
    const typeEntry = get('type');
    if (typeEntry) {
      const text = this.string(typeEntry.value, `${field}.type`, typeEntry.keyNode);
      output.type = this.oneOf(text, INPUT_TYPES, `${field}.type`, typeEntry.value, typeEntry.keyNode);
    }
    const pathEntry = get('path');
    if (pathEntry) {
      const text = this.string(pathEntry.value, `${field}.path`, pathEntry.keyNode);
      if (!isUri(text)) {
        this.fail(
          `${field}.path: ${text} is not a datastore location. Use path: azureml://datastores/<datastore>/paths/<path>, or remove path to let Azure ML choose.`,
          pathEntry.value,
          pathEntry.keyNode,
        );
      }
      output.uri = text;
    }
    const modeEntry = get('mode');
    if (modeEntry) {
      const text = this.string(modeEntry.value, `${field}.mode`, modeEntry.keyNode);
      output.mode = OUTPUT_MODES[this.oneOf(text, Object.keys(OUTPUT_MODES), `${field}.mode`, modeEntry.value, modeEntry.keyNode)];
    }
    const descriptionEntry = get('description');
    if (descriptionEntry) {
      output.description = this.string(descriptionEntry.value, `${field}.description`, descriptionEntry.keyNode, { allowEmpty: true });
    }
    return output;
  }

  resources(node: Node | null, keyNode: Node, section = 'resources'): ResourcesSpec {
    const entries = this.mapEntries(node, section, keyNode);
    this.checkFields(entries, section, ['instance_count', 'instance_type', 'shm_size', 'docker_args', 'properties'], {
      locations: newerApiField,
      max_instance_count: newerApiField,
      docker_args_list: newerApiField,
    });
    const resources: ResourcesSpec = {};
    for (const { key, keyNode: k, value } of entries) {
      const field = `${section}.${key}`;
      if (key === 'instance_count') resources.instanceCount = this.integer(value, field, k, 1);
      if (key === 'instance_type') resources.instanceType = this.string(value, field, k);
      if (key === 'docker_args') resources.dockerArgs = this.string(value, field, k);
      if (key === 'shm_size') {
        const size = this.string(value, field, k);
        if (!/^\d+[bBkKmMgG]$/.test(size)) {
          this.fail(`${field}: ${size} is not a size. Write a number and a unit b, k, m or g, for example 2g.`, value, k);
        }
        resources.shmSize = size;
      }
      if (key === 'properties') {
        const map = this.deref(value);
        if (!isMap(map)) this.fail(`${field} must be a mapping (key: value pairs).`, value, k);
        resources.properties = map.toJS(this.doc) as Record<string, unknown>;
      }
    }
    return resources;
  }

  distribution(node: Node | null, keyNode: Node, section = 'distribution'): DistributionSpec {
    const entries = this.mapEntries(node, section, keyNode);
    const typeEntry = entries.find((e) => e.key === 'type');
    if (!typeEntry) this.fail(`${section} has no type. Add type: pytorch, mpi or tensorflow.`, keyNode);
    const text = this.string(typeEntry.value, `${section}.type`, typeEntry.keyNode).toLowerCase();
    if (text === 'ray') this.fail(`${section}.type: ray ${newerApiField}`, typeEntry.value, typeEntry.keyNode);
    const kind = this.oneOf(text, Object.keys(DISTRIBUTION_TYPES) as (keyof typeof DISTRIBUTION_TYPES)[], `${section}.type`, typeEntry.value, typeEntry.keyNode);

    if (kind === 'tensorflow') {
      this.checkFields(entries, section, ['type', 'worker_count', 'parameter_server_count']);
      const distribution: DistributionSpec = { type: 'TensorFlow' };
      for (const { key, keyNode: k, value } of entries) {
        if (key === 'worker_count') distribution.workerCount = this.integer(value, `${section}.${key}`, k, 1);
        if (key === 'parameter_server_count') distribution.parameterServerCount = this.integer(value, `${section}.${key}`, k, 0);
      }
      return distribution;
    }
    this.checkFields(entries, section, ['type', 'process_count_per_instance']);
    const distribution: { type: 'PyTorch' | 'Mpi'; processCountPerInstance?: number } = {
      type: DISTRIBUTION_TYPES[kind] as 'PyTorch' | 'Mpi',
    };
    const count = entries.find((e) => e.key === 'process_count_per_instance');
    if (count) distribution.processCountPerInstance = this.integer(count.value, `${section}.process_count_per_instance`, count.keyNode, 1);
    return distribution;
  }

  limits(node: Node | null, keyNode: Node): { timeoutSeconds: number } | undefined {
    const entries = this.mapEntries(node, 'limits', keyNode);
    const sweepLimit = 'is a sweep job limit; a command job only has limits.timeout (seconds). Remove it.';
    this.checkFields(entries, 'limits', ['timeout'], {
      max_total_trials: sweepLimit,
      max_concurrent_trials: sweepLimit,
      trial_timeout: sweepLimit,
    });
    const timeout = entries.find((e) => e.key === 'timeout');
    if (!timeout) return undefined;
    return { timeoutSeconds: this.integer(timeout.value, 'limits.timeout', timeout.keyNode, 1, ' (seconds, for example 3600)') };
  }

  identity(node: Node | null, keyNode: Node): IdentitySpec {
    const entries = this.mapEntries(node, 'identity', keyNode);
    const typeEntry = entries.find((e) => e.key === 'type');
    if (!typeEntry) this.fail('identity has no type. Add type: user_identity, managed or aml_token.', keyNode);
    const text = this.string(typeEntry.value, 'identity.type', typeEntry.keyNode).toLowerCase();
    const type = IDENTITY_TYPES[this.oneOf(text, Object.keys(IDENTITY_TYPES), 'identity.type', typeEntry.value, typeEntry.keyNode)];
    if (type !== 'Managed') {
      this.checkFields(entries, 'identity', ['type']);
      return { type };
    }
    this.checkFields(entries, 'identity', ['type', 'client_id', 'object_id', 'msi_resource_id']);
    const identity: IdentitySpec = { type: 'Managed' };
    for (const { key, keyNode: k, value } of entries) {
      if (key === 'client_id') identity.clientId = this.string(value, `identity.${key}`, k);
      if (key === 'object_id') identity.objectId = this.string(value, `identity.${key}`, k);
      if (key === 'msi_resource_id') identity.resourceId = this.string(value, `identity.${key}`, k);
    }
    return identity;
  }

  queueSettings(node: Node | null, keyNode: Node): { jobTier: JobTier } | undefined {
    const entries = this.mapEntries(node, 'queue_settings', keyNode);
    this.checkFields(entries, 'queue_settings', ['job_tier'], { priority: newerApiField });
    const tier = entries.find((e) => e.key === 'job_tier');
    if (!tier) return undefined;
    const tierNode = this.deref(tier.value);
    // `job_tier: null` is a tier name in the CLI, but YAML reads a bare null as "no value".
    const text = isScalar(tierNode) && tierNode.value === null && tierNode.source ? tierNode.source : this.string(tier.value, 'queue_settings.job_tier', tier.keyNode);
    return { jobTier: JOB_TIERS[this.oneOf(text.toLowerCase(), Object.keys(JOB_TIERS), 'queue_settings.job_tier', tier.value, tier.keyNode)] };
  }

  services(node: Node | null, keyNode: Node): Record<string, JobServiceSpec> {
    const services: Record<string, JobServiceSpec> = {};
    for (const entry of this.mapEntries(node, 'services', keyNode)) {
      const field = `services.${entry.key}`;
      const entries = this.mapEntries(entry.value, field, entry.keyNode);
      const typeEntry = entries.find((e) => e.key === 'type');
      const typeName = typeEntry ? this.string(typeEntry.value, `${field}.type`, typeEntry.keyNode).toLowerCase() : undefined;
      if (typeEntry && typeName !== undefined) this.oneOf(typeName, Object.keys(SERVICE_TYPES), `${field}.type`, typeEntry.value, typeEntry.keyNode);
      const allowed = ['type', 'port', 'nodes', 'properties'];
      if (typeName === 'ssh') allowed.push('ssh_public_keys');
      if (typeName === 'tensor_board') allowed.push('log_dir');
      this.checkFields(entries, field, allowed);

      const service: JobServiceSpec = {};
      if (typeName !== undefined) service.type = SERVICE_TYPES[typeName];
      const properties: Record<string, string> = {};
      for (const { key, keyNode: k, value } of entries) {
        if (key === 'port') service.port = this.integer(value, `${field}.port`, k, 1);
        if (key === 'nodes') {
          this.oneOf(this.string(value, `${field}.nodes`, k).toLowerCase(), ['all'], `${field}.nodes`, value, k);
          service.allNodes = true;
        }
        if (key === 'properties') Object.assign(properties, this.stringMap(value, `${field}.properties`, k));
        // The CLI carries these two as service properties under the names the service expects.
        if (key === 'ssh_public_keys') put(properties, 'sshPublicKeys', this.string(value, `${field}.${key}`, k));
        if (key === 'log_dir') put(properties, 'logDir', this.string(value, `${field}.${key}`, k));
      }
      if (Object.keys(properties).length > 0) service.properties = properties;
      put(services, entry.key, service);
    }
    return services;
  }

  notificationSetting(node: Node | null, keyNode: Node): NotificationSettingSpec {
    const entries = this.mapEntries(node, 'notification_setting', keyNode);
    this.checkFields(entries, 'notification_setting', ['email_on', 'emails'], {
      webhooks: 'is not supported yet by AmlTrain. Remove it.',
    });
    const setting: NotificationSettingSpec = {};
    for (const { key, keyNode: k, value } of entries) {
      const field = `notification_setting.${key}`;
      const items = this.sequence(value, field, k);
      if (key === 'email_on') {
        setting.emailOn = items.map((item) => EMAIL_ON[this.oneOf(this.string(item, field, k).toLowerCase(), Object.keys(EMAIL_ON), field, item, k)]);
      }
      if (key === 'emails') setting.emails = items.map((item) => this.string(item, field, k));
    }
    return setting;
  }

  // ---- building blocks ----

  bindingName({ key, keyNode }: Entry, section: 'inputs' | 'outputs'): void {
    if (!BINDING_NAME.test(key) || key === '__proto__') {
      this.fail(
        `${section}.${key}: "${key}" is not a valid ${section === 'inputs' ? 'input' : 'output'} name. Use letters, digits and "_", not starting with a digit.`,
        keyNode,
      );
    }
  }

  /** `azureml:<name>:<version>` or `azureml:<name>@latest`. */
  assetReference(text: string, field: string, node: Node | null, keyNode: Node): AssetReference {
    const rest = text.slice('azureml:'.length);
    const latest = /^([^:@/\s]+)@latest$/.exec(rest);
    if (latest) return { kind: 'asset', name: latest[1], latest: true };
    const versioned = /^([^:@/\s]+):([^:@/\s]+)$/.exec(rest);
    if (versioned) return { kind: 'asset', name: versioned[1], version: versioned[2] };
    const label = /^([^:@/\s]+)@(.+)$/.exec(rest);
    if (label) {
      this.fail(`${field}: ${text} uses the label "${label[2]}"; only @latest is supported. Use azureml:${label[1]}:<version> or azureml:${label[1]}@latest.`, node, keyNode);
    }
    if (/^[^:@/\s]+$/.test(rest)) {
      this.fail(`${field}: ${text} has no version. Use azureml:${rest}:<version> or azureml:${rest}@latest.`, node, keyNode);
    }
    this.fail(`${field}: ${text} is not an asset reference. Use azureml:<name>:<version> or azureml:<name>@latest.`, node, keyNode);
  }

  deref(node: Node | null | undefined): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  mapEntries(node: Node | null, field: string, fallback?: Node): Entry[] {
    const map = this.deref(node);
    if (!isMap(map)) {
      this.fail(`${field} must be a mapping (key: value pairs)${describeFound(map)}.`, node, fallback);
    }
    const entries: Entry[] = [];
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key as Node | null);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.fail(`${field} has a key that is not a plain name.`, keyNode, map);
      }
      entries.push({ key: String(keyNode.value), keyNode, value: (pair.value as Node | null) ?? null });
    }
    return entries;
  }

  checkFields(entries: Entry[], field: string, allowed: readonly string[], unsupported: Record<string, string> = {}): void {
    for (const { key, keyNode } of entries) {
      if (allowed.includes(key)) continue;
      const where = field === 'the job' ? key : `${field}.${key}`;
      if (Object.prototype.hasOwnProperty.call(unsupported, key)) {
        this.fail(`${where} ${unsupported[key]}`, keyNode);
      }
      const suggestion = suggest(key, allowed.filter((name) => name !== '$schema'));
      const inField = field === 'the job' ? 'in the job' : `in ${field}`;
      this.fail(
        `unknown field "${key}" ${inField}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} Supported: ${allowed.filter((name) => name !== '$schema').join(', ')}.`,
        keyNode,
      );
    }
  }

  string(node: Node | null, field: string, fallback: Node, options: { allowEmpty?: boolean } = {}): string {
    const scalar = this.deref(node);
    if (!isScalar(scalar) || scalar.value === null) {
      this.fail(`${field} must be a text value${describeFound(scalar)}.`, node, fallback);
    }
    if (typeof scalar.value !== 'string') {
      this.fail(`${field} must be a text value, got ${String(scalar.source ?? scalar.value)}. Quote it: "${String(scalar.source ?? scalar.value)}".`, node, fallback);
    }
    if (!options.allowEmpty && scalar.value.trim() === '') this.fail(`${field} is empty.`, node, fallback);
    return scalar.value;
  }

  integer(node: Node | null, field: string, fallback: Node, min: number, unit = ''): number {
    const scalar = this.deref(node);
    const value = isScalar(scalar) ? scalar.value : undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      const found = isScalar(scalar) && scalar.value !== null ? `, got ${JSON.stringify(String(scalar.source ?? scalar.value))}` : describeFound(scalar);
      this.fail(`${field} must be a whole number${unit}${found}.`, node, fallback);
    }
    if (value < min) this.fail(`${field} must be at least ${min}, got ${value}.`, node, fallback);
    return value;
  }

  sequence(node: Node | null, field: string, fallback: Node): Node[] {
    const seq = this.deref(node);
    if (!isSeq(seq)) this.fail(`${field} must be a list${describeFound(seq)}.`, node, fallback);
    return seq.items.map((item) => this.deref(item as Node | null)).filter((item): item is Node => item !== null);
  }

  /** Tags, properties and environment variables: text values; numbers and booleans as written. */
  stringMap(node: Node | null, field: string, fallback: Node): Record<string, string> {
    const result: Record<string, string> = {};
    for (const { key, keyNode, value } of this.mapEntries(node, field, fallback)) {
      const scalar = this.deref(value);
      if (!isScalar(scalar) || scalar.value === null || typeof scalar.value === 'object') {
        this.fail(`${field}.${key} must be a text value${describeFound(scalar)}.`, value, keyNode);
      }
      put(result, key, typeof scalar.value === 'string' ? scalar.value : String(scalar.source ?? scalar.value));
    }
    return result;
  }

  oneOf<T extends string>(value: string, allowed: readonly T[], field: string, node: Node | null, fallback: Node): T {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const suggestion = suggest(value, allowed);
    this.fail(
      `${field}: ${value} is not one of ${allowed.join(', ')}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`,
      node,
      fallback,
    );
  }

  /** The line of `needle` inside the text of `node`, for errors about part of a multi-line command. */
  lineOfText(node: Node, needle: string): number | undefined {
    const range = node.range;
    if (!range) return undefined;
    const at = this.text.slice(range[0], range[1]).indexOf(needle);
    return this.lineAt(at >= 0 ? range[0] + at : range[0]);
  }
}

export function describeFound(node: Node | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return ', but it has no value';
  if (isMap(node)) return ', got a mapping';
  if (isSeq(node)) return ', got a list';
  if (isScalar(node)) return `, got ${JSON.stringify(String(node.source ?? node.value))}`;
  return '';
}

/** A location with a scheme (`https://`, `azureml://`, `abfss://`...); one-letter schemes are Windows drives. */
export function isUri(text: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(text);
}

/** Adds a key without the `__proto__` setter getting in the way of user-chosen names. */
export function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// The CLI loads YAML with PyYAML (YAML 1.1 rules) and sends a literal input as Python's str() of the
// loaded value. These patterns are PyYAML's implicit resolvers, so a literal reaches the job exactly
// as it would from `az ml job create`: `true` -> "True", `1.0e-5` -> "1e-05", `0777` -> "511".
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** The string the CLI sends for a literal input written as this YAML scalar. */
export function cliLiteralValue(node: { type?: string; source?: string; value: unknown }): string {
  const isPlain = node.type === 'PLAIN' && typeof node.source === 'string' && !node.source.includes('\n');
  if (!isPlain) return String(node.value);
  const text = node.source as string;
  if (PY_BOOL.test(text)) return /^(?:yes|true|on)$/i.test(text) ? 'True' : 'False';
  if (PY_INT.test(text)) return pythonIntText(text);
  if (PY_FLOAT.test(text)) return pythonFloatRepr(pythonFloatValue(text));
  return text;
}

function pythonIntText(source: string): string {
  let text = source.replace(/_/g, '');
  let negative = false;
  if (text.startsWith('-') || text.startsWith('+')) {
    negative = text.startsWith('-');
    text = text.slice(1);
  }
  let value: bigint;
  if (text === '0') value = 0n;
  else if (text.startsWith('0b')) value = BigInt(text);
  else if (text.startsWith('0x')) value = BigInt(text);
  else if (text.startsWith('0')) value = BigInt(`0o${text.slice(1)}`);
  else if (text.includes(':')) value = text.split(':').reduce((sum, part) => sum * 60n + BigInt(part), 0n);
  else value = BigInt(text);
  return (negative && value !== 0n ? '-' : '') + value.toString();
}

function pythonFloatValue(source: string): number {
  let text = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    if (text.startsWith('-')) sign = -1;
    text = text.slice(1);
  }
  if (text === '.inf') return sign * Infinity;
  if (text === '.nan') return NaN;
  if (text.includes(':')) return sign * text.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  return sign * Number(text);
}

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exponent >= 0) {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    text = `${whole}.${digits.slice(exponent + 1) || '0'}`;
  } else {
    text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return (x < 0 ? '-' : '') + text;
}
