import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, type Node } from 'yaml';
import { readComponentFile } from './component';
import {
  put,
  SWEEP_FIELDS,
  SWEEP_UNSUPPORTED,
  type EarlyTerminationSpec,
  type Entry,
  type JobFileReader,
  type JobInputSpec,
  type SamplingAlgorithmSpec,
  type SearchDistribution,
  type SearchSpaceEntry,
  type SweepJobSpec,
  type SweepLimitsSpec,
  type TrialSpec,
} from './spec';

/** The parameters of each search-space distribution, in the order REST wants them. */
const DISTRIBUTIONS: Record<SearchDistribution, string[]> = {
  choice: ['values'],
  randint: ['upper'],
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
};

const SAMPLING: Record<string, SamplingAlgorithmSpec['type']> = { random: 'Random', grid: 'Grid', bayesian: 'Bayesian' };
const GOALS: Record<string, 'Maximize' | 'Minimize'> = { maximize: 'Maximize', minimize: 'Minimize' };
const POLICIES: Record<string, EarlyTerminationSpec['type']> = {
  bandit: 'Bandit',
  median_stopping: 'MedianStopping',
  truncation_selection: 'TruncationSelection',
};

/** A `type: sweep` job: a trial command run many times over a search space. */
export function readSweepJob(r: JobFileReader, entries: Entry[], root: Node): SweepJobSpec {
  r.checkFields(entries, 'the job', SWEEP_FIELDS, SWEEP_UNSUPPORTED);
  const spec: Partial<SweepJobSpec> = { type: 'sweep', inputs: {}, outputs: {} };
  let trialEntry: Entry | undefined;
  for (const entry of entries) {
    const { key, keyNode, value } = entry;
    r.recordLine(key, keyNode);
    if (r.commonField(spec, entry)) continue;
    switch (key) {
      case 'trial':
        trialEntry = entry;
        break;
      case 'search_space':
        spec.searchSpace = searchSpace(r, value, keyNode);
        break;
      case 'sampling_algorithm':
        spec.samplingAlgorithm = samplingAlgorithm(r, value, keyNode);
        break;
      case 'objective':
        spec.objective = objective(r, value, keyNode);
        break;
      case 'limits':
        spec.limits = limits(r, value, keyNode);
        break;
      case 'early_termination':
        spec.earlyTermination = earlyTermination(r, value, keyNode);
        break;
      case 'queue_settings': {
        const queueSettings = r.queueSettings(value, keyNode);
        if (queueSettings) spec.queueSettings = queueSettings;
        break;
      }
      default:
        break;
    }
  }
  const missing = (field: string, example: string) => r.fail(`the sweep job has no ${field}. Add one, for example: ${example}`, root);
  if (!spec.searchSpace) missing('search_space', 'search_space: {learning_rate: {type: uniform, min_value: 0.001, max_value: 0.1}}');
  if (!spec.objective) missing('objective', 'objective: {goal: maximize, primary_metric: accuracy}');
  if (!spec.samplingAlgorithm) missing('sampling_algorithm', 'sampling_algorithm: random');
  if (!trialEntry) missing('trial', 'trial: {command: python train.py --lr ${{search_space.learning_rate}}, environment: azureml:<name>:<version>}');
  spec.trial = trial(r, trialEntry!, spec as SweepJobSpec);
  return spec as SweepJobSpec;
}

function trial(r: JobFileReader, { keyNode, value }: Entry, spec: SweepJobSpec): TrialSpec {
  const node = r.deref(value);
  if (isScalar(node) && typeof node.value === 'string') return componentTrial(r, node.value, value, keyNode, spec);
  const entries = r.mapEntries(value, 'trial', keyNode);
  r.checkFields(entries, 'trial', ['command', 'code', 'environment', 'environment_variables', 'resources', 'distribution'], {
    inputs: 'belongs to the sweep job itself: move inputs to the top level and use ${{inputs.<name>}} in trial.command.',
    outputs: 'belongs to the sweep job itself: move outputs to the top level and use ${{outputs.<name>}} in trial.command.',
    compute: 'belongs to the sweep job itself: move compute to the top level.',
    limits: 'belongs to the sweep job itself: move limits to the top level (timeout, trial_timeout, max_total_trials, max_concurrent_trials).',
  });
  const result: Partial<TrialSpec> = {};
  for (const entry of entries) {
    r.recordLine(`trial.${entry.key}`, entry.keyNode);
    r.commandPart(result, entry, 'trial.');
  }
  const command = entries.find((e) => e.key === 'command');
  if (!command) r.fail('trial has no command. Add one, for example: command: python train.py --lr ${{search_space.learning_rate}}', keyNode);
  result.command = r.command(command.value, command.keyNode, spec.inputs, spec.outputs, { field: 'trial.command', searchSpace: spec.searchSpace, where: 'the sweep job' });
  if (!result.environment) {
    r.fail('trial has no environment. Add environment: azureml:<name>:<version> (or azureml:<name>@latest), or an inline environment with an image.', keyNode);
  }
  return result as TrialSpec;
}

/**
 * `trial: ./train.yml`: the trial runs a command component. Its inputs are given by the sweep's inputs or by
 * search-space entries of the same name (sent as `${{search_space.x}}`); the other inputs need a default.
 */
function componentTrial(r: JobFileReader, file: string, node: Node | null, keyNode: Node, spec: SweepJobSpec): TrialSpec {
  const componentFile = path.resolve(r.dir, file);
  if (!fs.existsSync(componentFile) || !fs.statSync(componentFile).isFile()) {
    r.fail(`trial: ${file} is not a component file (looked for ${componentFile}). Give an inline trial (command, environment...) or the path of a command component YAML, relative to the job file.`, node, keyNode);
  }
  const component = readComponentFile(componentFile);
  let command = component.command;
  for (const [name, input] of Object.entries(component.inputs)) {
    const inSearchSpace = Object.prototype.hasOwnProperty.call(spec.searchSpace, name);
    const given = Object.prototype.hasOwnProperty.call(spec.inputs, name);
    if (inSearchSpace && !given) {
      command = command.replace(new RegExp(`\\$\\{\\{\\s*inputs\\.${name}\\s*\\}\\}`, 'g'), `\${{search_space.${name}}}`);
    } else if (!given) {
      if (input.default !== undefined) {
        put<JobInputSpec>(spec.inputs, name, { type: 'literal', value: String(typeof input.default === 'boolean' ? (input.default ? 'True' : 'False') : input.default) });
      } else if (!input.optional) {
        r.fail(`trial: the component ${file} needs the input '${name}'; give it under inputs: or as a search_space entry.`, node, keyNode);
      }
    }
  }
  for (const name of Object.keys(spec.inputs)) {
    if (!Object.prototype.hasOwnProperty.call(component.inputs, name)) {
      r.fail(`inputs.${name}: the trial component ${file} has no input '${name}' (it has: ${Object.keys(component.inputs).join(', ') || 'none'}).`, null, keyNode);
    }
  }
  const result: TrialSpec = { command, environment: component.environment, componentFile };
  if (component.code) result.code = component.code;
  if (component.environmentVariables) result.environmentVariables = component.environmentVariables;
  if (component.resources) result.resources = component.resources;
  if (component.distribution) result.distribution = component.distribution;
  return result;
}

function searchSpace(r: JobFileReader, node: Node | null, keyNode: Node): Record<string, SearchSpaceEntry> {
  const space: Record<string, SearchSpaceEntry> = {};
  const entries = r.mapEntries(node, 'search_space', keyNode);
  if (entries.length === 0) r.fail('search_space is empty; add at least one entry.', node, keyNode);
  for (const { key, keyNode: k, value } of entries) {
    const field = `search_space.${key}`;
    r.recordLine(field, k);
    const parts = r.mapEntries(value, field, k);
    const typeEntry = parts.find((e) => e.key === 'type');
    if (!typeEntry) r.fail(`${field} has no type. Add type: ${Object.keys(DISTRIBUTIONS).join(', ')}.`, k);
    const type = r.oneOf(r.string(typeEntry.value, `${field}.type`, typeEntry.keyNode), Object.keys(DISTRIBUTIONS) as SearchDistribution[], `${field}.type`, typeEntry.value, typeEntry.keyNode);
    const names = DISTRIBUTIONS[type];
    r.checkFields(parts, field, ['type', ...names]);
    const parameters: unknown[] = [];
    for (const name of names) {
      const part = parts.find((e) => e.key === name);
      if (!part) r.fail(`${field} (${type}) has no ${name}. A ${type} needs ${names.join(', ')}.`, k);
      if (name === 'values') {
        const items = r.sequence(part.value, `${field}.values`, part.keyNode);
        if (items.length === 0) r.fail(`${field}.values is empty; list at least one value.`, part.value, part.keyNode);
        parameters.push(items.map((item) => {
          if (!isScalar(item) || item.value === null) r.fail(`${field}.values must hold numbers or text, not mappings or lists.`, item, part.keyNode);
          return item.value;
        }));
      } else if (name === 'upper') {
        parameters.push(r.integer(part.value, `${field}.upper`, part.keyNode, 1));
      } else {
        parameters.push(number(r, part.value, `${field}.${name}`, part.keyNode));
      }
    }
    if (names[0] === 'min_value' && (parameters[0] as number) >= (parameters[1] as number)) {
      r.fail(`${field}: min_value (${parameters[0]}) must be less than max_value (${parameters[1]}).`, k);
    }
    if (names[2] === 'q' && (parameters[2] as number) <= 0) r.fail(`${field}.q must be greater than 0.`, k);
    if (names[1] === 'sigma' && (parameters[1] as number) <= 0) r.fail(`${field}.sigma must be greater than 0.`, k);
    put(space, key, { distribution: type, parameters });
  }
  return space;
}

function number(r: JobFileReader, node: Node | null, field: string, keyNode: Node): number {
  const scalar = r.deref(node);
  if (!isScalar(scalar) || typeof scalar.value !== 'number' || !Number.isFinite(scalar.value)) {
    r.fail(`${field} must be a number${isScalar(scalar) && scalar.value !== null ? `, got ${JSON.stringify(String(scalar.source ?? scalar.value))}` : ''}.`, node, keyNode);
  }
  return scalar.value;
}

function samplingAlgorithm(r: JobFileReader, node: Node | null, keyNode: Node): SamplingAlgorithmSpec {
  const resolved = r.deref(node);
  if (!isMap(resolved)) {
    const text = r.string(node, 'sampling_algorithm', keyNode).toLowerCase();
    return { type: SAMPLING[r.oneOf(text, Object.keys(SAMPLING), 'sampling_algorithm', node, keyNode)] } as SamplingAlgorithmSpec;
  }
  const entries = r.mapEntries(node, 'sampling_algorithm', keyNode);
  const typeEntry = entries.find((e) => e.key === 'type');
  if (!typeEntry) r.fail('sampling_algorithm has no type. Add type: random, grid or bayesian.', keyNode);
  const type = SAMPLING[r.oneOf(r.string(typeEntry.value, 'sampling_algorithm.type', typeEntry.keyNode).toLowerCase(), Object.keys(SAMPLING), 'sampling_algorithm.type', typeEntry.value, typeEntry.keyNode)];
  if (type !== 'Random') {
    r.checkFields(entries, 'sampling_algorithm', ['type']);
    return { type } as SamplingAlgorithmSpec;
  }
  r.checkFields(entries, 'sampling_algorithm', ['type', 'seed', 'rule']);
  const result: SamplingAlgorithmSpec = { type: 'Random' };
  for (const { key, keyNode: k, value } of entries) {
    if (key === 'seed') result.seed = r.integer(value, 'sampling_algorithm.seed', k, 0);
    if (key === 'rule') {
      const rule = r.oneOf(r.string(value, 'sampling_algorithm.rule', k).toLowerCase(), ['random', 'sobol'], 'sampling_algorithm.rule', value, k);
      result.rule = rule === 'sobol' ? 'Sobol' : 'Random';
    }
  }
  return result;
}

function objective(r: JobFileReader, node: Node | null, keyNode: Node): SweepJobSpec['objective'] {
  const entries = r.mapEntries(node, 'objective', keyNode);
  r.checkFields(entries, 'objective', ['goal', 'primary_metric']);
  const goal = entries.find((e) => e.key === 'goal');
  const metric = entries.find((e) => e.key === 'primary_metric');
  if (!goal) r.fail('objective has no goal. Add goal: maximize or goal: minimize.', keyNode);
  if (!metric) r.fail('objective has no primary_metric. Add the name of the metric the trials log, for example primary_metric: accuracy.', keyNode);
  const goalText = r.oneOf(r.string(goal.value, 'objective.goal', goal.keyNode).toLowerCase(), Object.keys(GOALS), 'objective.goal', goal.value, goal.keyNode);
  return { goal: GOALS[goalText], primaryMetric: r.string(metric.value, 'objective.primary_metric', metric.keyNode) };
}

function limits(r: JobFileReader, node: Node | null, keyNode: Node): SweepLimitsSpec {
  const entries = r.mapEntries(node, 'limits', keyNode);
  r.checkFields(entries, 'limits', ['max_total_trials', 'max_concurrent_trials', 'timeout', 'trial_timeout']);
  const result: SweepLimitsSpec = {};
  for (const { key, keyNode: k, value } of entries) {
    const field = `limits.${key}`;
    if (key === 'max_total_trials') result.maxTotalTrials = r.integer(value, field, k, 1);
    if (key === 'max_concurrent_trials') result.maxConcurrentTrials = r.integer(value, field, k, 1);
    if (key === 'timeout') result.timeoutSeconds = r.integer(value, field, k, 1, ' (seconds, for example 7200)');
    if (key === 'trial_timeout') result.trialTimeoutSeconds = r.integer(value, field, k, 1, ' (seconds, for example 1200)');
  }
  if (result.maxTotalTrials !== undefined && result.maxConcurrentTrials !== undefined && result.maxConcurrentTrials > result.maxTotalTrials) {
    r.fail(`limits.max_concurrent_trials (${result.maxConcurrentTrials}) is more than limits.max_total_trials (${result.maxTotalTrials}).`, keyNode);
  }
  return result;
}

function earlyTermination(r: JobFileReader, node: Node | null, keyNode: Node): EarlyTerminationSpec {
  const entries = r.mapEntries(node, 'early_termination', keyNode);
  const typeEntry = entries.find((e) => e.key === 'type');
  if (!typeEntry) r.fail('early_termination has no type. Add type: bandit, median_stopping or truncation_selection.', keyNode);
  const type = POLICIES[r.oneOf(r.string(typeEntry.value, 'early_termination.type', typeEntry.keyNode).toLowerCase(), Object.keys(POLICIES), 'early_termination.type', typeEntry.value, typeEntry.keyNode)];
  const shared = ['type', 'evaluation_interval', 'delay_evaluation'];
  const own = type === 'Bandit' ? ['slack_factor', 'slack_amount'] : type === 'TruncationSelection' ? ['truncation_percentage'] : [];
  r.checkFields(entries, 'early_termination', [...shared, ...own]);
  const policy: Record<string, unknown> = { type };
  for (const { key, keyNode: k, value } of entries) {
    const field = `early_termination.${key}`;
    if (key === 'evaluation_interval') policy.evaluationInterval = r.integer(value, field, k, 0);
    if (key === 'delay_evaluation') policy.delayEvaluation = r.integer(value, field, k, 0);
    if (key === 'slack_factor') policy.slackFactor = number(r, value, field, k);
    if (key === 'slack_amount') policy.slackAmount = number(r, value, field, k);
    if (key === 'truncation_percentage') {
      const percentage = r.integer(value, field, k, 1);
      if (percentage > 99) r.fail(`${field} must be between 1 and 99, got ${percentage}.`, value, k);
      policy.truncationPercentage = percentage;
    }
  }
  if (type === 'Bandit' && policy.slackFactor === undefined && policy.slackAmount === undefined) {
    r.fail('early_termination (bandit) needs slack_factor or slack_amount.', keyNode);
  }
  if (policy.slackFactor !== undefined && policy.slackAmount !== undefined) {
    r.fail('early_termination (bandit) takes slack_factor or slack_amount, not both.', keyNode);
  }
  return policy as EarlyTerminationSpec;
}
