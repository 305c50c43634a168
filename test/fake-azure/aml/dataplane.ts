// The Azure ML data plane on the fake's own host: discovery, run history (details + logs) and MLflow metrics.
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import type { FakeRequest, FakeResponse } from '../http';
import type { ServiceContext } from './context';
import { computeName } from './jobs';
import { ok } from './responses';
import { sameText, stableGuid } from './scope';
import type { JobRecord } from './store';

const LOG_NAME = 'user_logs/std_log.txt';
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
    if (service[1].toLowerCase() === 'history') return this.history(rest);
    return this.mlflow(req, rest);
  }

  /** Signed log URLs, fetched without a bearer token like SAS blob URLs. */
  handleAnonymous(req: FakeRequest): FakeResponse | undefined {
    if (req.method === 'GET' && req.url.pathname === '/discovery') return this.discovery();
    if (req.url.pathname.startsWith(LOG_PREFIX)) return this.logFile(req);
    return undefined;
  }

  private history(rest: string): FakeResponse | undefined {
    const m = /^\/(?:experimentids\/[^/]+\/)?runs\/([^/]+)(\/details)?$/i.exec(rest);
    if (!m) return undefined;
    const job = this.ctx.store.jobs.get(decodeURIComponent(m[1]));
    if (!job) return { status: 404, body: { error: { code: 'UserError', message: `Run ${m[1]} was not found.` } } };
    if (m[2]) {
      // Polling run details is how a client waits for a job, so it moves the job along like an ARM GET.
      job.run.advance();
      return ok(this.runDetails(job));
    }
    return ok(this.run(job));
  }

  private run(job: JobRecord): any {
    const r = job.run;
    return {
      runId: job.name,
      runUuid: stableGuid(`run/${job.name}`),
      parentRunId: null,
      rootRunId: job.name,
      experimentId: job.experimentId,
      status: r.status,
      createdUtc: job.created.toISOString(),
      startTimeUtc: r.startTime?.toISOString() ?? null,
      endTimeUtc: r.endTime?.toISOString() ?? null,
      displayName: job.body.properties.displayName ?? job.name,
      target: computeName(job),
      runType: job.body.properties.jobType === 'Pipeline' ? 'azureml.PipelineRun' : 'azureml.scriptrun',
      properties: job.body.properties.properties ?? {},
      tags: job.body.properties.tags ?? {},
    };
  }

  private runDetails(job: JobRecord): any {
    const r = job.run;
    const started = r.startTime !== undefined;
    const details: any = {
      ...this.run(job),
      logFiles: started ? { [LOG_NAME]: this.logUrl(job.name) } : {},
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

  logUrl(jobName: string): string {
    const path = `${LOG_PREFIX}ExperimentRun/dcid.${encodeURIComponent(jobName)}/${LOG_NAME}`;
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
    if (req.method !== 'GET' || given.length !== expected.length || !timingSafeEqual(given, expected) || Date.parse(se) < this.ctx.now().getTime()) {
      return storageError(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.');
    }
    const m = /^\/azureml-logs\/ExperimentRun\/dcid\.([^/]+)\/(.+)$/.exec(path);
    const job = m && m[2] === LOG_NAME ? this.ctx.store.jobs.get(decodeURIComponent(m[1])) : undefined;
    if (!job) return storageError(404, 'BlobNotFound', 'The specified blob does not exist.');
    const lines = logLines(job);
    const shown = lines.slice(0, job.run.revealedLines(lines.length));
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'x-ms-blob-type': 'AppendBlob' }, body: shown.map((l) => `${l}\n`).join('') };
  }

  private mlflow(req: FakeRequest, rest: string): FakeResponse | undefined {
    const route = /^\/api\/2\.0\/mlflow\/(runs\/get|metrics\/get-history)$/i.exec(rest);
    if (!route) return undefined;
    const runId = req.url.searchParams.get('run_id') ?? req.url.searchParams.get('run_uuid') ?? '';
    const job = this.ctx.store.jobs.get(runId);
    if (!job) return { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run with id=${runId} not found` } };
    if (route[1].toLowerCase() === 'metrics/get-history') {
      const key = req.url.searchParams.get('metric_key') ?? '';
      return ok({ metrics: metricHistory(job).filter((m) => m.key === key) });
    }
    return ok({ run: this.mlflowRun(job) });
  }

  private mlflowRun(job: JobRecord): any {
    const r = job.run;
    const latest = new Map<string, MetricPoint>();
    for (const point of metricHistory(job)) latest.set(point.key, point);
    const info: any = {
      run_id: job.name,
      run_uuid: job.name,
      run_name: job.body.properties.displayName ?? job.name,
      experiment_id: job.experimentId,
      user_id: job.systemData.createdBy,
      status: mlflowStatus(r.status),
      start_time: (r.startTime ?? job.created).getTime(),
      artifact_uri: `azureml://experiments/${job.body.properties.experimentName ?? 'Default'}/runs/${job.name}/artifacts`,
      lifecycle_stage: 'active',
    };
    if (r.endTime) info.end_time = r.endTime.getTime();
    const tags = Object.entries<string>(job.body.properties.tags ?? {}).map(([key, value]) => ({ key, value }));
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
function metricHistory(job: JobRecord): MetricPoint[] {
  const start = job.run.startTime;
  if (!start) return [];
  const out: MetricPoint[] = [];
  for (const [key, value] of Object.entries(job.run.script.metrics ?? {})) {
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

/** The script's lines, or a plausible driver log for the job's command. */
function logLines(job: JobRecord): string[] {
  if (job.run.script.logLines) return job.run.script.logLines;
  const p = job.body.properties;
  const command = p.command ?? p.trial?.command ?? '(pipeline)';
  const lines = [
    `[${job.created.toISOString()}] Job ${job.name} started on ${computeName(job)}`,
    `Executing: ${command}`,
    'Training...',
    'Done.',
  ];
  return lines;
}

function storageError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/xml', 'x-ms-error-code': code },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}
