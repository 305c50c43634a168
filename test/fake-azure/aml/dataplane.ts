// The Azure ML data plane on the fake's own host: discovery, run history (details + logs) and MLflow metrics.
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import type { FakeRequest, FakeResponse } from '../http';
import type { ServiceContext } from './context';
import { bestTrial, computeName } from './jobs';
import type { ChildRun, JobRun, RunScript } from './lifecycle';
import { ok } from './responses';
import { sameText, stableGuid } from './scope';
import type { JobRecord } from './store';

const LOG_NAME = 'user_logs/std_log.txt';
// Run history pages children like other lists.
const CHILDREN_PAGE = 20;

/** A run of run history: a job, or a step or trial of one (`job` is then its parent). */
interface RunRef {
  id: string;
  job: JobRecord;
  run: JobRun;
  child?: ChildRun;
}
const LOG_PREFIX = '/azureml-logs/';
const WORKSPACE_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)(\/.*)$/i;

/** True for paths this module serves (everything of the data plane except signed log blobs). */
export function isDataPlanePath(path: string): boolean {
  return path === '/discovery' || /^\/(history|mlflow)\/v1\.0\//i.test(path) || path.startsWith(LOG_PREFIX);
}

export class DataPlane {
  // Log URLs are signed like SAS URLs (HMAC over path and expiry) with a key only this process knows.
  private readonly signingKey = randomBytes(32);

  constructor(private readonly ctx: ServiceContext) {}

  discovery(): FakeResponse {
    const api = this.ctx.scope.baseUrl;
    return ok({
      api,
      catalog: api,
      experimentation: api,
      gallery: `${api}/gallery/v1.0`,
      history: api,
      hyperdrive: api,
      labeling: api,
      modelmanagement: api,
      pipelines: api,
      studiocoreservices: api,
    });
  }

  /** Data-plane calls that carry a bearer token (already verified and authorized by the caller). */
  handle(req: FakeRequest): FakeResponse | undefined {
    const path = req.url.pathname;
    if (path === '/discovery') return req.method === 'GET' ? this.discovery() : undefined;
    if (path.startsWith(LOG_PREFIX)) return this.logFile(req);
    const service = /^\/(history|mlflow)\/v1\.0(\/.*)$/i.exec(path);
    if (!service || req.method !== 'GET') return undefined;
    const ws = WORKSPACE_PATH.exec(service[2]);
    if (!ws) return undefined;
    const s = this.ctx.scope;
    const rest = ws[4];
    if (!sameText(ws[1], s.subscriptionId) || !sameText(ws[2], s.resourceGroup) || !sameText(ws[3], s.workspaceName)) {
      return { status: 404, body: { error: { code: 'UserError', message: `Workspace '${ws[3]}' was not found in resource group '${ws[2]}'.` } } };
    }
    if (service[1].toLowerCase() === 'history') return this.history(req, rest);
    return this.mlflow(req, rest);
  }

  /** Signed log URLs, fetched without a bearer token like SAS blob URLs. */
  handleAnonymous(req: FakeRequest): FakeResponse | undefined {
    if (req.method === 'GET' && req.url.pathname === '/discovery') return this.discovery();
    if (req.url.pathname.startsWith(LOG_PREFIX)) return this.logFile(req);
    return undefined;
  }

  private history(req: FakeRequest, rest: string): FakeResponse | undefined {
    const m = /^\/(?:experimentids\/[^/]+\/)?runs\/([^/]+)(\/details|\/children)?$/i.exec(rest);
    if (!m) return undefined;
    const ref = this.findRun(decodeURIComponent(m[1]));
    if (!ref) return { status: 404, body: { error: { code: 'UserError', message: `Run ${m[1]} was not found.` } } };
    const what = m[2]?.toLowerCase();
    if (what === '/details') {
      // Polling run details is how a client waits for a job, so it moves the run along like an ARM GET.
      ref.run.advance();
      return ok(this.runDetails(ref));
    }
    if (what === '/children') return ok(this.children(req, ref));
    return ok(this.run(ref));
  }

  /** A job by name, or a step or trial its parent has started (listing does not advance anything). */
  private findRun(id: string): RunRef | undefined {
    const job = this.ctx.store.jobs.get(id);
    if (job) return { id, job, run: job.run };
    for (const parent of this.ctx.store.jobs.values()) {
      const child = parent.run.revealedChildren.find((c) => c.id === id);
      if (child) return { id, job: parent, run: child.run, child };
    }
    return undefined;
  }

  /** `runs/{id}/children`: a page of the run's started children, oldest first, continued with `$continuationtoken`. */
  private children(req: FakeRequest, ref: RunRef): any {
    const all = ref.child ? [] : ref.run.revealedChildren;
    const token = req.url.searchParams.get('$continuationtoken') ?? req.url.searchParams.get('continuationtoken');
    const skip = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
    const top = Number(req.url.searchParams.get('$top')) || CHILDREN_PAGE;
    const size = Math.min(top, CHILDREN_PAGE);
    const page = all.slice(skip, skip + size).map((c) => this.run({ id: c.id, job: ref.job, run: c.run, child: c }));
    const more = skip + size < all.length;
    return { value: page, continuationToken: more ? Buffer.from(String(skip + size)).toString('base64') : null, nextLink: null };
  }

  private run(ref: RunRef): any {
    const { job, run: r, child } = ref;
    const p = job.body.properties;
    return {
      runId: ref.id,
      runUuid: stableGuid(`run/${ref.id}`),
      parentRunId: child ? job.name : null,
      rootRunId: job.name,
      experimentId: job.experimentId,
      status: r.status,
      createdUtc: (child?.created ?? job.created).toISOString(),
      startTimeUtc: r.startTime?.toISOString() ?? null,
      endTimeUtc: r.endTime?.toISOString() ?? null,
      displayName: child ? child.name : (p.displayName ?? job.name),
      target: computeName(job),
      runType: child ? 'azureml.scriptrun' : p.jobType === 'Pipeline' ? 'azureml.PipelineRun' : p.jobType === 'Sweep' ? 'hyperdrive' : 'azureml.scriptrun',
      properties: child ? this.childProperties(ref) : { ...(p.properties ?? {}), ...this.sweepProperties(job) },
      tags: child ? {} : (p.tags ?? {}),
    };
  }

  private childProperties(ref: RunRef): Record<string, string> {
    if (ref.child!.kind === 'step') return { 'azureml.nodeid': stableGuid(`node/${ref.child!.name}`).slice(0, 8), 'azureml.pipelinerunid': ref.job.name };
    return { 'azureml.runsource': 'hyperdrive', hyperparameters: '{}' };
  }

  /** A sweep's run properties name its objective and, once a trial finished, its best trial. */
  private sweepProperties(job: JobRecord): Record<string, string> {
    const p = job.body.properties;
    if (p.jobType !== 'Sweep') return {};
    const props: Record<string, string> = { primary_metric_config: JSON.stringify({ name: p.objective.primaryMetric, goal: String(p.objective.goal).toLowerCase() }) };
    const best = bestTrial(job);
    if (best) Object.assign(props, { best_child_run_id: best.id, score: String(best.score), best_metric_status: 'Succeeded' });
    return props;
  }

  private runDetails(ref: RunRef): any {
    const r = ref.run;
    const started = r.startTime !== undefined;
    const name = mainLogName(ref);
    const details: any = {
      ...this.run(ref),
      logFiles: started ? { [name]: this.logUrl(ref.id) } : {},
      services: {},
      inputDatasets: [],
      outputDatasets: [],
      warnings: [],
      revision: 1,
    };
    const error = r.error;
    if (error) details.error = { error: { code: error.code, message: error.message, details: [] } };
    return details;
  }

  /** Signed URL of a run's main log (a job, step or trial: user_logs/std_log.txt; a sweep: azureml-logs/hyperdrive.txt). */
  logUrl(runId: string): string {
    const ref = this.findRun(runId);
    const path = `${LOG_PREFIX}ExperimentRun/dcid.${encodeURIComponent(runId)}/${ref ? mainLogName(ref) : LOG_NAME}`;
    const se = new Date(this.ctx.now().getTime() + 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const q = new URLSearchParams({ sv: '2021-08-06', sr: 'b', sp: 'r', se, sig: this.sign(path, se) });
    return `${this.ctx.scope.baseUrl}${path}?${q}`;
  }

  private sign(path: string, se: string): string {
    return createHmac('sha256', this.signingKey).update(`${path}\n${se}`).digest('base64');
  }

  private logFile(req: FakeRequest): FakeResponse {
    const path = req.url.pathname;
    const se = req.url.searchParams.get('se') ?? '';
    const sig = req.url.searchParams.get('sig') ?? '';
    const expected = Buffer.from(this.sign(path, se));
    const given = Buffer.from(sig);
    const m = /^\/azureml-logs\/ExperimentRun\/dcid\.([^/]+)\/(.+)$/.exec(path);
    const ref = m ? this.findRun(decodeURIComponent(m[1])) : undefined;
    // A run of another workspace is not in this one's storage (with several workspaces, each is asked in turn).
    if (!ref) return storageError(404, 'BlobNotFound', 'The specified blob does not exist.');
    if (req.method !== 'GET' || given.length !== expected.length || !timingSafeEqual(given, expected) || Date.parse(se) < this.ctx.now().getTime()) {
      return storageError(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.');
    }
    if (m![2] !== mainLogName(ref)) return storageError(404, 'BlobNotFound', 'The specified blob does not exist.');
    const lines = logLines(ref);
    const shown = lines.slice(0, ref.run.revealedLines(lines.length));
    const blob = Buffer.from(shown.map((l) => `${l}\n`).join(''), 'utf8');
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'x-ms-blob-type': 'AppendBlob', 'Accept-Ranges': 'bytes' };
    const range = parseRange(header(req, 'x-ms-range') ?? header(req, 'range'));
    if (range === 'invalid') return storageError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.');
    if (!range) return { status: 200, headers, body: blob.toString('utf8') };
    // Blob storage answers a range that starts at or past the end with 416 InvalidRange.
    if (range.start >= blob.length) {
      const refused = storageError(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.');
      return { ...refused, headers: { ...refused.headers, 'Content-Range': `bytes */${blob.length}` } };
    }
    const end = Math.min(range.end ?? blob.length - 1, blob.length - 1);
    return { status: 206, headers: { ...headers, 'Content-Range': `bytes ${range.start}-${end}/${blob.length}` }, body: blob.subarray(range.start, end + 1) };
  }

  private mlflow(req: FakeRequest, rest: string): FakeResponse | undefined {
    const route = /^\/api\/2\.0\/mlflow\/(runs\/get|metrics\/get-history)$/i.exec(rest);
    if (!route) return undefined;
    const runId = req.url.searchParams.get('run_id') ?? req.url.searchParams.get('run_uuid') ?? '';
    const ref = this.findRun(runId);
    if (!ref) return { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run with id=${runId} not found` } };
    if (route[1].toLowerCase() === 'metrics/get-history') {
      const key = req.url.searchParams.get('metric_key') ?? '';
      return ok({ metrics: metricHistory(ref.run).filter((m) => m.key === key) });
    }
    return ok({ run: this.mlflowRun(ref) });
  }

  private mlflowRun(ref: RunRef): any {
    const { job, run: r, child } = ref;
    const latest = new Map<string, MetricPoint>();
    for (const point of metricHistory(r)) latest.set(point.key, point);
    const info: any = {
      run_id: ref.id,
      run_uuid: ref.id,
      run_name: child?.name ?? job.body.properties.displayName ?? job.name,
      experiment_id: job.experimentId,
      user_id: job.systemData.createdBy,
      status: mlflowStatus(r.status),
      start_time: (r.startTime ?? child?.created ?? job.created).getTime(),
      artifact_uri: `azureml://experiments/${job.body.properties.experimentName ?? 'Default'}/runs/${ref.id}/artifacts`,
      lifecycle_stage: 'active',
    };
    if (r.endTime) info.end_time = r.endTime.getTime();
    const tags = child ? [{ key: 'mlflow.parentRunId', value: job.name }] : Object.entries<string>(job.body.properties.tags ?? {}).map(([key, value]) => ({ key, value }));
    return { info, data: { metrics: [...latest.values()], params: [], tags } };
  }
}

interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Metrics exist once the user's process has started; a series is logged one step per second. */
function metricHistory(run: JobRun): MetricPoint[] {
  const start = run.startTime;
  if (!start) return [];
  const out: MetricPoint[] = [];
  for (const [key, value] of Object.entries((run.script as RunScript).metrics ?? {})) {
    const series = Array.isArray(value) ? value : [value];
    series.forEach((v, step) => out.push({ key, value: v, timestamp: start.getTime() + step * 1000, step }));
  }
  return out;
}

function mlflowStatus(status: string): string {
  if (status === 'Completed') return 'FINISHED';
  if (status === 'Failed' || status === 'NotResponding') return 'FAILED';
  if (status === 'Canceled') return 'KILLED';
  if (status === 'Running' || status === 'Finalizing' || status === 'CancelRequested') return 'RUNNING';
  return 'SCHEDULED';
}

/** The main log of a run: a sweep's is the sweep service's log, a pipeline's its execution log. */
function mainLogName(ref: RunRef): string {
  if (ref.child) return LOG_NAME;
  const type = ref.job.body.properties.jobType;
  if (type === 'Sweep') return 'azureml-logs/hyperdrive.txt';
  if (type === 'Pipeline') return 'logs/azureml/executionlogs.txt';
  return LOG_NAME;
}

/** The script's lines, or a plausible log for the run. */
function logLines(ref: RunRef): string[] {
  if (ref.run.script.logLines) return ref.run.script.logLines;
  const { job, child } = ref;
  const p = job.body.properties;
  const at = (child?.created ?? job.created).toISOString();
  if (child?.kind === 'step') {
    const node = p.jobs?.[child.name] ?? {};
    return [`[${at}] Step ${child.name} of pipeline ${job.name} started`, `Executing: ${node.command ?? node.componentId ?? node.type ?? 'component'}`, `Step ${child.name} done.`];
  }
  if (child?.kind === 'trial') return [`[${at}] Trial ${child.id} started on ${computeName(job)}`, `Executing: ${p.trial?.command ?? ''}`, 'Done.'];
  if (p.jobType === 'Sweep') {
    const trials = job.run.children;
    return [
      `[${at}] Sweep ${job.name}: ${trials.length} trials, primary metric ${p.objective?.primaryMetric} (${p.objective?.goal})`,
      ...trials.map((t) => `Launching trial ${t.id}`),
      'All trials finished.',
    ];
  }
  if (p.jobType === 'Pipeline') return [`[${at}] Pipeline ${job.name}: ${Object.keys(p.jobs ?? {}).length} steps`, 'Pipeline done.'];
  return [`[${at}] Job ${job.name} started on ${computeName(job)}`, `Executing: ${p.command ?? ''}`, 'Training...', 'Done.'];
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `bytes=start-` or `bytes=start-end`; other forms (suffix ranges, several ranges) are not served here. */
function parseRange(value: string | undefined): { start: number; end?: number } | 'invalid' | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(value.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : undefined;
  if (end !== undefined && end < start) return 'invalid';
  return { start, end };
}

function storageError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/xml', 'x-ms-error-code': code },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}
