// Jobs: plain PUT (not an LRO), GET that advances the scripted lifecycle, list, and cancel as a Location LRO.
import { randomUUID } from 'crypto';
import type { FakeResponse } from '../http';
import { deepEqual, validatorFor, VALIDATED_API_VERSION } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { JobRun, retryAfterHeaders, type ChildRun, type JobScript, type RunScript } from './lifecycle';
import { listPage } from './lists';
import { invalidBody, ok, systemData, userError } from './responses';
import { childArmId, mlflowTrackingUri, NAME_PATTERN, parseArmChildId, PROVIDER, resourceType, stableGuid, studioUrl } from './scope';
import type { JobRecord } from './store';
import { patchJob } from './webhooks';

/** Pending cancel operations: how many times each Location URL has been polled. */
export class CancelOperations {
  private readonly ops = new Map<string, { job: string; polls: number }>();

  start(job: string): string {
    const id = randomUUID();
    this.ops.set(id, { job, polls: 0 });
    return id;
  }

  poll(id: string): { job: string; polls: number } | undefined {
    const op = this.ops.get(id);
    if (op) op.polls += 1;
    return op;
  }
}

export async function handleJobs(ctx: ServiceContext, ops: CancelOperations, call: ArmCall, name: string | undefined, action: string | undefined): Promise<FakeResponse | undefined> {
  const method = call.req.method;
  if (name === undefined) return method === 'GET' ? listJobs(ctx, call) : undefined;
  if (action !== undefined) return action.toLowerCase() === 'cancel' && method === 'POST' ? cancelJob(ctx, ops, call, name) : undefined;
  if (method === 'PUT') return putJob(ctx, call, name);
  if (method === 'PATCH') return patchJob(ctx, ctx.webhooks, call, name);
  if (method === 'GET') {
    const job = ctx.store.jobs.get(name);
    if (!job) return missingJob(ctx, name);
    job.run.advance();
    return ok(jobView(ctx, job), 200, retryAfterHeaders(job.run.script));
  }
  return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `The fake workspace does not support ${method} on jobs.` } } };
}

function missingJob(ctx: ServiceContext, name: string): FakeResponse {
  return userError(`Job '${name}' was not found in workspace '${ctx.scope.workspaceName}'.`, 404);
}

async function putJob(ctx: ServiceContext, call: ArmCall, name: string): Promise<FakeResponse> {
  if (!NAME_PATTERN.test(name)) return userError(`'${name}' is not a valid job name: it must match ${NAME_PATTERN.source}.`);
  const checked = validBody(call, 'JobBaseResource', `job '${name}'`);
  if ('error' in checked) return checked.error;
  const body = checked.body;
  const issues = ctx.refs.job(body.properties);
  if (issues.length) return invalidBody(issues, `job '${name}'`);

  const existing = ctx.store.jobs.get(name);
  if (existing) {
    const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences('JobBaseResource', existing.body, body);
    if (changed.length) {
      return userError(`Job '${name}' already exists and these properties cannot be changed: ${changed.join(', ')}. Use a new job name to submit a different job.`);
    }
    if (!deepEqual(existing.body, body)) {
      existing.body = body;
      existing.received = structuredClone(call.req.json);
      existing.systemData = systemData(call.principal, ctx.now(), existing.systemData);
    }
    return ok(jobView(ctx, existing), 200);
  }

  const now = ctx.now();
  const script = ctx.jobScript();
  const record: JobRecord = {
    name,
    received: structuredClone(call.req.json),
    body,
    systemData: systemData(call.principal, now),
    created: now,
    run: new JobRun(script, ctx.now),
    experimentId: stableGuid(`experiment/${body.properties.experimentName ?? 'Default'}`),
  };
  adoptChildren(record, script, ctx.now);
  ctx.store.addJob(name, record);
  ctx.store.createdByPut += 1;
  return ok(jobView(ctx, record), 201);
}

function listJobs(ctx: ServiceContext, call: ArmCall): FakeResponse {
  const q = call.req.url.searchParams;
  const jobType = q.get('jobType');
  const tag = q.get('tag');
  const view = (q.get('listViewType') ?? 'ActiveOnly').toLowerCase();
  const items = [...ctx.store.jobs.values()]
    .filter((j) => !jobType || j.body.properties.jobType.toLowerCase() === jobType.toLowerCase())
    .filter((j) => !tag || Object.prototype.hasOwnProperty.call(j.body.properties.tags ?? {}, tag))
    .filter((j) => view === 'all' || (view === 'archivedonly') === Boolean(j.body.properties.isArchived))
    .map((j) => ({ view: jobView(ctx, j), created: j.created, name: j.name }));
  return listPage(call.req, items, ctx.scope.baseUrl);
}

function cancelJob(ctx: ServiceContext, ops: CancelOperations, call: ArmCall, name: string): FakeResponse {
  const job = ctx.store.jobs.get(name);
  if (!job) return missingJob(ctx, name);
  job.run.requestCancel();
  const id = ops.start(name);
  return { status: 202, headers: { Location: operationUrl(ctx, id, call.apiVersion), 'Retry-After': '0' } };
}

function operationUrl(ctx: ServiceContext, id: string, apiVersion: string): string {
  const s = ctx.scope;
  return `${s.baseUrl}/subscriptions/${s.subscriptionId}/providers/${PROVIDER}/locations/${s.location}/mfeOperationResults/${id}?api-version=${apiVersion}`;
}

/** The cancel operation's Location: 202 on the first poll, then 200 once the job is Canceled. */
export function pollCancel(ctx: ServiceContext, ops: CancelOperations, id: string, apiVersion: string): FakeResponse {
  const op = ops.poll(id);
  if (!op) return userError(`Operation '${id}' was not found.`, 404);
  if (op.polls < 2) return { status: 202, headers: { Location: operationUrl(ctx, id, apiVersion), 'Retry-After': '0' } };
  const job = ctx.store.jobs.get(op.job);
  if (job?.run.status === 'CancelRequested') job.run.advance();
  return { status: 200 };
}

/**
 * Pipeline jobs get one step run per node of `properties.jobs`, run one after another; sweep jobs get trial
 * runs (`<job>_<n>`) that run together, each logging the objective's primary metric.
 */
export function adoptChildren(record: JobRecord, script: JobScript, now: () => Date): void {
  const p = record.body.properties;
  if (p.jobType === 'Pipeline') {
    const steps: ChildRun[] = Object.keys(p.jobs ?? {}).map((node) => ({
      id: stableGuid(`step/${record.name}/${node}`),
      name: node,
      kind: 'step',
      run: new JobRun(script.steps?.[node] ?? {}, now),
      revealed: false,
    }));
    record.run.adopt(steps, 'sequential');
  } else if (p.jobType === 'Sweep') {
    const metric: string = p.objective?.primaryMetric ?? 'accuracy';
    const defaults: RunScript[] = [0.71, 0.84, 0.78].map((v, i) => ({ metrics: { [metric]: [v - 0.2, v - 0.05 * i, v] } }));
    const trials: ChildRun[] = (script.trials ?? defaults).map((t, i) => ({
      id: `${record.name}_${i}`,
      name: `${record.name}_${i}`,
      kind: 'trial',
      run: new JobRun(t, now),
      revealed: false,
    }));
    record.run.adopt(trials, 'parallel');
  }
}

/** The best finished trial of a sweep by its objective, as the sweep service records it in the job's properties. */
export function bestTrial(job: JobRecord): { id: string; score: number } | undefined {
  const objective = job.body.properties.objective;
  if (job.body.properties.jobType !== 'Sweep' || !objective) return undefined;
  const maximize = String(objective.goal).toLowerCase() === 'maximize';
  let best: { id: string; score: number } | undefined;
  for (const t of job.run.children) {
    if (t.run.status !== 'Completed') continue;
    const series = t.run.script.metrics?.[objective.primaryMetric];
    if (series === undefined) continue;
    const score = Array.isArray(series) ? series[series.length - 1] : series;
    if (!best || (maximize ? score > best.score : score < best.score)) best = { id: t.id, score };
  }
  return best;
}

/** A job as Azure ML returns it: the stored request plus status, services and the default output. */
export function jobView(ctx: ServiceContext, job: JobRecord): any {
  const props = structuredClone(job.body.properties);
  const s = ctx.scope;
  const properties: any = {
    description: null,
    tags: {},
    properties: {},
    displayName: job.name,
    ...props,
    status: job.run.status,
    services: {
      ...(props.services ?? {}),
      Tracking: service('Tracking', `${mlflowTrackingUri(s)}?`),
      Studio: service('Studio', studioUrl(s, job.name)),
    },
  };
  if (props.jobType === 'Command' || props.jobType === 'Sweep') {
    properties.outputs = {
      default: {
        description: null,
        jobOutputType: 'uri_folder',
        mode: 'ReadWriteMount',
        uri: `azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.${job.name}/`,
      },
      ...(props.outputs ?? {}),
    };
    properties.inputs = props.inputs ?? {};
  }
  // An output without a path gets its location when the job runs; until then Azure ML returns `uri: null`.
  for (const output of Object.values<any>(properties.outputs ?? {})) {
    if (output && typeof output === 'object' && output.uri === undefined) output.uri = null;
  }
  const best = bestTrial(job);
  if (best) {
    properties.properties = { ...properties.properties, best_child_run_id: best.id, score: String(best.score), best_metric_status: 'Succeeded' };
  }
  return {
    id: childArmId(s, 'jobs', job.name),
    name: job.name,
    type: resourceType('jobs'),
    properties,
    systemData: job.systemData,
  };
}

function service(jobServiceType: string, endpoint: string): any {
  return { jobServiceType, port: null, endpoint, status: null, errorMessage: null, properties: null, nodes: null };
}

/** The compute name a job runs on, for run history's `target`. */
export function computeName(job: JobRecord): string {
  const id = job.body.properties.computeId;
  return (typeof id === 'string' && parseArmChildId(id)?.name) || 'serverless';
}
