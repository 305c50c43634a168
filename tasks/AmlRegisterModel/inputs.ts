import { getChoice, getExistingFile, getString, parseKeyValueLines } from '../../src/agent/inputs';
import { UserError } from '../../src/errors';
import type { Goal } from '../../src/jobs/metrics';
import { parseConditions, parseMetricsJson, type MetricCondition } from '../../src/models/gate';
import { parseModelReference, type ModelRef } from '../../src/models/promote';
import { MODEL_TYPES, type ModelType } from '../../src/models/spec';
import type { ChampionOptions } from '../../src/models/register';

/** Every input of task.json except the workspace and connection ones, read once into plain values. Names match task.json exactly. */
export type AmlRegisterModelInputs = RegisterInputs | PromoteInputs;

export interface RegisterInputs {
  action: 'register';
  modelSpec?: string;
  jobName?: string;
  jobOutput?: string;
  artifactPath?: string;
  modelPath?: string;
  modelName?: string;
  modelVersion?: string;
  modelType?: ModelType;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  stage?: string;
  metrics?: Record<string, number>;
  metricConditions: MetricCondition[];
  champion?: ChampionOptions;
  gateFailureAction: 'fail' | 'warn';
}

export interface PromoteInputs {
  action: 'promote';
  sourceModel: ModelRef;
  /** Exactly one of a workspace or a registry; the connection and resource group are read by openWorkspace/openRegistry. */
  target: { kind: 'workspace' } | { kind: 'registry'; registryName: string };
  stage?: string;
}

/** Input names whose values are read by openWorkspace rather than here: the source side of a promotion. */
export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

/** The target side of a promotion, read by openWorkspace or openRegistry. */
export const targetInputNames = { connection: 'targetAzureSubscription', resourceGroup: 'targetResourceGroup', workspaceName: 'targetWorkspaceName', registryName: 'targetRegistryName' } as const;

export function readInputs(): AmlRegisterModelInputs {
  const action = getChoice('action', ['register', 'promote'] as const, 'register');
  return action === 'promote' ? readPromoteInputs() : readRegisterInputs();
}

function readPromoteInputs(): PromoteInputs {
  const reference = getString('sourceModel', { required: true, hint: 'the model version to promote, azureml:<name>:<version>, such as azureml:credit-model:3.' })!;
  const sourceModel = parseModelReference(reference, 'sourceModel');
  const workspace = getString('targetWorkspaceName');
  const registryName = getString('targetRegistryName');
  if (workspace && registryName) {
    throw new UserError(`Inputs 'targetWorkspaceName' and 'targetRegistryName' are both set: promote into one target, a workspace or a registry.`, { input: 'targetRegistryName' });
  }
  if (!workspace && !registryName) {
    throw new UserError(`Input 'targetWorkspaceName' or 'targetRegistryName' is required with action promote: the workspace (such as mlw-prod) or the Azure ML registry to promote into.`, { input: 'targetWorkspaceName' });
  }
  // Outside a pipeline both sides may use the developer's login; in a pipeline the target needs its own connection.
  if (getString('azureSubscription') && !getString('targetAzureSubscription')) {
    throw new UserError(`Input 'targetAzureSubscription' is required with action promote: the Azure Resource Manager service connection for the target ${registryName ? 'registry' : 'workspace'} (it may be the same as azureSubscription).`, { input: 'targetAzureSubscription' });
  }
  getString('targetResourceGroup', { required: true, hint: `the resource group of the target ${registryName ? `registry '${registryName}'` : `workspace '${workspace}'`}.` });
  return {
    action: 'promote',
    sourceModel,
    target: registryName ? { kind: 'registry', registryName } : { kind: 'workspace' },
    stage: getString('stage'),
  };
}

function readRegisterInputs(): RegisterInputs {
  const modelType = getString('modelType');
  if (modelType !== undefined && !MODEL_TYPES.includes(modelType as ModelType)) {
    throw new UserError(`Input 'modelType' must be one of ${MODEL_TYPES.join(', ')}, not '${modelType}'.`, { input: 'modelType' });
  }
  return {
    action: 'register',
    modelSpec: getExistingFile('modelSpec', { required: false }),
    jobName: getString('jobName'),
    jobOutput: getString('jobOutput'),
    artifactPath: getString('artifactPath'),
    modelPath: getString('modelPath'),
    modelName: getString('modelName'),
    modelVersion: getString('modelVersion'),
    modelType: modelType as ModelType | undefined,
    description: getString('description'),
    tags: toRecord(parseKeyValueLines('tags', getString('tags'))),
    properties: toRecord(parseKeyValueLines('properties', getString('properties'))),
    stage: getString('stage'),
    metrics: parseMetricsJson('metrics', getString('metrics')),
    metricConditions: parseConditions('metricConditions', getString('metricConditions')),
    champion: readChampion(),
    gateFailureAction: getChoice('gateFailureAction', ['fail', 'warn'] as const, 'fail'),
  };
}

function readChampion(): ChampionOptions | undefined {
  const stage = getString('championStage');
  const tag = getString('championTag');
  const metric = getString('championMetric');
  const goal: Goal = getChoice('championGoal', ['maximize', 'minimize'] as const, 'maximize');
  const marginText = getString('championMargin');
  if (!stage && !tag) {
    if (metric) throw new UserError(`Input 'championMetric' is set but no champion is chosen: set championStage (such as Production) or championTag (name=value).`, { input: 'championStage' });
    return undefined;
  }
  if (stage && tag) throw new UserError(`Inputs 'championStage' and 'championTag' are both set: choose the champion by one of them.`, { input: 'championTag' });
  if (!metric) throw new UserError(`Input 'championMetric' is required with a champion: the metric to compare, such as accuracy.`, { input: 'championMetric' });
  const margin = marginText === undefined ? 0 : Number(marginText);
  if (!Number.isFinite(margin) || margin < 0) throw new UserError(`Input 'championMargin' must be a number of at least 0, not '${marginText}'.`, { input: 'championMargin' });
  if (tag) {
    const [entry] = parseKeyValueLines('championTag', tag);
    if (!entry.value) throw new UserError(`Input 'championTag': '${tag}' needs a value: write name=value, such as champion=true.`, { input: 'championTag' });
    return { selector: { tag: entry }, metric, goal, margin };
  }
  return { selector: { stage: stage! }, metric, goal, margin };
}

function toRecord(entries: Array<{ name: string; value: string }>): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}
