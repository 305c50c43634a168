import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Log } from '../log';
import { formatMetric, readMetrics, type Goal } from '../jobs/metrics';
import { Summary, link } from '../summary';
import type { WorkspaceClient } from '../workspace/client';
import { lineageTags, type BuildContext } from '../workspace/lineage';
import { evaluateGate, type ChampionComparison, type GateResult, type MetricCondition } from './gate';
import { chooseSource, checkSourceJob, jobSourceUri, sourceJob, type ModelSource, type SourceInputs, type SourceJob } from './source';
import { MODEL_TYPES, type ModelSpec, type ModelType } from './spec';
import { planLocalModel, uploadLocalModel, type LocalModelPlan } from './upload';
import {
  findChampion,
  findRegisteredByBuild,
  freeVersion,
  getVersion,
  METRIC_PREFIX,
  nextVersion,
  sameContent,
  storedMetrics,
  versionOf,
  type ChampionSelector,
  type ModelVersion,
} from './versions';

/** The model fields from the task inputs; each one set wins over the model YAML. */
export interface ModelFields {
  name?: string;
  version?: string;
  type?: ModelType;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  stage?: string;
}

export interface ChampionOptions {
  selector: ChampionSelector;
  metric: string;
  goal: Goal;
  margin: number;
}

export interface RegisterOptions {
  client: WorkspaceClient;
  /** For datastores without stored credentials. */
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  signal?: AbortSignal;
  build: BuildContext;
  spec?: ModelSpec;
  model: ModelFields;
  source: Omit<SourceInputs, 'specPath' | 'specFile'>;
  /** The `metrics` input; when absent, the source job's metrics are used. */
  metrics?: Record<string, number>;
  conditions: MetricCondition[];
  champion?: ChampionOptions;
}

export interface RegisterResult {
  name: string;
  /** Undefined when the gate said no before a version was chosen. */
  version?: string;
  modelId?: string;
  /** `azureml:<name>:<version>`. */
  assetUri?: string;
  /** Where the model's files are (the version's modelUri). */
  modelUri: string;
  registered: boolean;
  /** Set when an existing version was used instead of creating one. */
  reused?: 'this build' | 'same version';
  gate?: GateResult;
  sourceJob?: SourceJob;
  metrics: Record<string, number>;
  metricsSource?: string;
  uploadedBytes?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/**
 * Registers a model version from a job output, a local file or folder, or a URI, after checking the source
 * and the metric gate. Every check comes before anything is created; a retried pipeline run finds the version it
 * registered before instead of adding another.
 */
export async function registerModel(o: RegisterOptions): Promise<RegisterResult> {
  const { client, log, signal } = o;
  const spec = o.spec;
  const name = o.model.name ?? spec?.name;
  if (!name) throw new UserError(`Input 'modelName' is required: the name of the model to register${spec ? ` (or set name in ${spec.file})` : ''}.`, { input: 'modelName' });
  if (!NAME.test(name)) throw new UserError(`Input 'modelName': '${name}' is not a valid model name: letters, digits, '.', '-' and '_', starting with a letter or digit.`, { input: 'modelName' });
  const explicitVersion = o.model.version ?? spec?.version;
  if (explicitVersion !== undefined && !NAME.test(explicitVersion)) {
    throw new UserError(`Input 'modelVersion': '${explicitVersion}' is not a valid version: letters, digits, '.', '-' and '_', such as 3.`, { input: 'modelVersion' });
  }
  const type: ModelType = o.model.type ?? (spec?.type as ModelType | undefined) ?? 'custom_model';
  if (!MODEL_TYPES.includes(type)) throw new UserError(`Input 'modelType' must be one of ${MODEL_TYPES.join(', ')}, not '${type}'.`, { input: 'modelType' });

  const source = chooseSource({ ...o.source, specPath: spec?.path, specFile: spec?.file });
  const job = sourceJob(source);
  const checkedJob = job ? await checkSourceJob(client, job, signal) : undefined;
  let plan: LocalModelPlan | undefined;
  if (source.kind === 'local') plan = await planLocalModel(source.path, source.input, client);
  const modelUri = uriOf(source, plan);
  log.info(`Model ${name}: ${type} from ${describeSource(source, modelUri)}.`);

  let metrics: Record<string, number> = {};
  let metricsSource: string | undefined;
  if (o.metrics) {
    metrics = o.metrics;
    metricsSource = "the 'metrics' input";
  } else if (checkedJob) {
    metrics = await readMetrics(client, checkedJob.name, signal);
    metricsSource = `the job '${checkedJob.name}'`;
  }
  const base = { name, modelUri, type, sourceJob: checkedJob, metrics, metricsSource };

  if (o.build.buildId) {
    const earlier = await findRegisteredByBuild(client, name, { buildId: o.build.buildId, runUrl: o.build.runUrl }, { modelUri, modelType: type }, signal);
    if (earlier) {
      const version = versionOf(earlier);
      log.info(`This pipeline run (build ${o.build.buildId}) already registered ${name}:${version} from this source: using it, nothing registered again.`);
      return { ...base, ...ids(client, name, version, earlier), registered: true, reused: 'this build' };
    }
  }
  if (explicitVersion !== undefined) {
    const existing = await getVersion(client, name, explicitVersion, signal);
    if (existing) {
      if (!sameContent(existing, modelUri, type)) {
        throw new UserError(
          `Input 'modelVersion': ${name}:${explicitVersion} already exists with other content (${existing.properties.modelType ?? 'custom_model'} at ${existing.properties.modelUri ?? 'no path'}), and a version cannot be changed. Leave modelVersion empty to register the next free version, or choose a new one.`,
          { input: 'modelVersion' },
        );
      }
      log.info(`${name}:${explicitVersion} already exists with the same content: nothing to register.`);
      return { ...base, ...ids(client, name, explicitVersion, existing), registered: true, reused: 'same version' };
    }
  }

  const gate = await runGate(o, name, metrics, metricsSource);
  if (gate && !gate.pass) return { ...base, registered: false, gate };

  let uploadedBytes: number | undefined;
  if (plan) uploadedBytes = (await uploadLocalModel(plan, o)).uploadedBytes;

  const version = explicitVersion ?? (await freeVersion(client, name, await nextVersion(client, name, signal), signal));
  const body = versionBody(o, { modelUri, type, jobName: checkedJob?.name, metrics });
  const created = await client.put<ModelVersion>(`models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, body, {
    operation: `register the model version ${name}:${version}`,
    signal,
  });
  log.info(`Registered ${name}:${version}.`);
  return { ...base, ...ids(client, name, version, created), registered: true, gate, uploadedBytes };
}

function ids(client: WorkspaceClient, name: string, version: string, v: ModelVersion | undefined): { version: string; modelId: string; assetUri: string } {
  return { version, modelId: v?.id ?? client.armId('models', name, version), assetUri: `azureml:${name}:${version}` };
}

function uriOf(source: ModelSource, plan: LocalModelPlan | undefined): string {
  switch (source.kind) {
    case 'job-output':
    case 'artifact':
      return jobSourceUri(source);
    case 'local':
      return plan!.modelUri;
    case 'uri':
      return source.uri;
  }
}

function describeSource(source: ModelSource, modelUri: string): string {
  if (source.kind === 'local') return `'${source.path}' (to be stored at ${modelUri})`;
  return modelUri;
}

/** The ModelVersion body: YAML fields, then task inputs over them, then lineage tags and stored metrics, which always win. */
export function versionBody(
  o: Pick<RegisterOptions, 'spec' | 'model' | 'build'>,
  content: { modelUri: string; type: ModelType; jobName?: string; metrics: Record<string, number> },
): { properties: Record<string, unknown> } {
  const tags: Record<string, string> = { ...(o.spec?.tags ?? {}), ...o.model.tags, ...lineageTags(o.build) };
  if (content.jobName) tags['azure-devops.sourceJob'] = content.jobName;
  const properties: Record<string, string> = { ...(o.spec?.properties ?? {}), ...o.model.properties };
  for (const [k, v] of Object.entries(content.metrics)) properties[`${METRIC_PREFIX}${k}`] = String(v);
  const description = o.model.description ?? o.spec?.description;
  const stage = o.model.stage ?? o.spec?.stage;
  return {
    properties: {
      modelType: content.type,
      modelUri: content.modelUri,
      ...(content.jobName ? { jobName: content.jobName } : {}),
      ...(description ? { description } : {}),
      ...(stage ? { stage } : {}),
      tags,
      properties,
      isAnonymous: false,
    },
  };
}

async function runGate(o: RegisterOptions, name: string, metrics: Record<string, number>, metricsSource: string | undefined): Promise<GateResult | undefined> {
  if (!o.conditions.length && !o.champion) return undefined;
  if (!metricsSource) {
    const input = o.conditions.length ? 'metricConditions' : 'championMetric';
    throw new UserError(
      `Input '${input}' needs the candidate's metrics, and there is no job to read them from: give the 'metrics' input (for example $(train.metrics) from AmlTrain), or register from a job with jobName.`,
      { input: 'metrics' },
    );
  }
  let comparison: ChampionComparison | undefined;
  if (o.champion) {
    const c = o.champion;
    comparison = { metric: c.metric, goal: c.goal, margin: c.margin };
    const champion = await findChampion(o.client, name, c.selector, o.signal);
    const how = 'stage' in c.selector ? `stage '${c.selector.stage}'` : `tag ${c.selector.tag.name}=${c.selector.tag.value}`;
    if (!champion) {
      o.log.info(`No version of ${name} has ${how}: there is no champion to beat.`);
    } else {
      const version = versionOf(champion);
      comparison.champion = `${name}:${version}`;
      const stored = storedMetrics(champion)[c.metric];
      if (stored !== undefined) {
        comparison.championValue = stored;
        comparison.championValueSource = `property ${METRIC_PREFIX}${c.metric}`;
      } else if (champion.properties.jobName) {
        const fromJob = (await readMetrics(o.client, champion.properties.jobName, o.signal))[c.metric];
        if (fromJob !== undefined) {
          comparison.championValue = fromJob;
          comparison.championValueSource = `job '${champion.properties.jobName}'`;
        }
      }
      o.log.info(
        `Champion (${how}): ${name}:${version}` +
          (comparison.championValue !== undefined ? `, ${c.metric} = ${formatMetric(comparison.championValue)} (from its ${comparison.championValueSource}).` : `, without a value for ${c.metric}.`),
      );
    }
  }
  const gate = evaluateGate(metrics, o.conditions, comparison, metricsSource);
  for (const note of gate.notes) o.log.info(note);
  for (const row of gate.rows) o.log.info(`  ${row.pass ? 'pass' : 'FAIL'}  ${row.metric} = ${row.candidate === undefined ? '-' : formatMetric(row.candidate)}  ${row.against}`);
  o.log.info(gate.pass ? 'The metric gate passed.' : 'The metric gate did not pass.');
  return gate;
}

/** One message for a gate that said no: every reason, and that nothing was registered. */
export function gateRefusal(result: RegisterResult): string {
  const reasons = result.gate?.reasons ?? [];
  return `The model ${result.name} was not registered: the metric gate did not pass. ${reasons.join(' ')}`.trim();
}

/** The run summary section of one registration. */
export function registrationSummary(result: RegisterResult, workspaceName: string): Summary {
  const s = new Summary().heading(`Model ${result.name}`);
  const state = !result.registered
    ? 'not registered (metric gate)'
    : result.reused === 'this build'
      ? 'already registered by this pipeline run'
      : result.reused === 'same version'
        ? 'already registered with the same content'
        : 'registered';
  s.facts([
    ['Workspace', workspaceName],
    ['Version', result.version ? `${result.name}:${result.version}` : undefined],
    ['Result', state],
    ['Files', result.modelUri],
    ['Source job', result.sourceJob ? (result.sourceJob.studioUrl ? link(result.sourceJob.name, result.sourceJob.studioUrl) : result.sourceJob.name) : undefined],
    ['Uploaded', result.uploadedBytes === undefined ? undefined : `${result.uploadedBytes} bytes`],
  ]);
  if (result.gate?.rows.length) {
    s.heading('Metric gate', 4);
    s.table(
      ['Metric', 'Candidate', 'Condition / champion', 'Result'],
      result.gate.rows.map((r) => [r.metric, r.candidate === undefined ? '-' : formatMetric(r.candidate), r.against, r.pass ? 'pass' : 'fail']),
    );
    for (const n of result.gate.notes) s.paragraph(n);
  }
  return s;
}
