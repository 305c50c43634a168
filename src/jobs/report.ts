import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../errors';
import type { Sleep } from '../http/retry';
import type { Log } from '../log';
import { Summary, link } from '../summary';
import type { WorkspaceClient } from '../workspace/client';
import { studioJobUrl } from '../workspace/ids';
import { inertLine, lastLines, maskSasUrl, selectLogs } from './logs';
import { bestRun, formatMetric, readMetrics, type Goal } from './metrics';
import { RunHistory, runError, runLabel, type RunDetails, type RunInfo } from './runs';
import { TERMINAL_STATUSES, waitForJob, type JobResource, type JobState } from './wait';

export const TAIL_LINES = 50;
// Metrics are read one request per child run; a bigger sweep is summarized by its first trials.
const MAX_CHILDREN_WITH_METRICS = 25;

export interface ChildReport {
  runId: string;
  name: string;
  status: string;
  metrics: Record<string, number>;
  error?: string;
}

/** Everything the task reports about a job once waiting is over. */
export interface JobReport {
  jobName: string;
  displayName?: string;
  status: string;
  studioUrl: string;
  experimentName?: string;
  jobType?: string;
  compute?: string;
  startTime?: string;
  endTime?: string;
  durationSeconds?: number;
  error?: string;
  /** The last lines of the log of the job, or of the failed step, when the job did not complete. */
  logTail?: { source: string; lines: string[] };
  metrics: Record<string, number>;
  /** Pipeline steps or sweep trials. */
  children: ChildReport[];
  childKind?: 'step' | 'trial';
  objective?: { primaryMetric: string; goal: Goal };
  bestTrial?: { runId: string; name: string; value?: number };
  /** Named job outputs that have a location. */
  outputs: Record<string, string>;
}

export interface ReportOptions {
  client: WorkspaceClient;
  log: Log;
  /** Receives the SAS URLs of log files read for the report. */
  onSecret: (value: string) => void;
  signal?: AbortSignal;
}

/**
 * Reads what is worth reporting about a job that has stopped being waited for: run details (times, error),
 * metrics of the job and of its steps or trials, the best trial, outputs, and the log tail of a failure.
 */
export async function buildJobReport(state: JobState, o: ReportOptions): Promise<JobReport> {
  const { client, log, signal } = o;
  const history = new RunHistory(client, signal);
  const resource = state.resource;
  const props = resource?.properties;
  const jobType = (props?.jobType ?? state.jobType)?.toLowerCase();
  const report: JobReport = {
    jobName: state.jobName,
    displayName: props?.displayName ?? state.displayName,
    status: state.status,
    studioUrl: state.studioUrl,
    experimentName: props?.experimentName ?? state.experimentName,
    jobType,
    compute: computeName(props?.computeId ?? state.computeId ?? props?.settings?.default_compute ?? undefined),
    error: state.error,
    metrics: {},
    children: [],
    outputs: jobOutputs(resource),
  };

  const details = await optional(log, `the run details of '${state.jobName}'`, () => history.details(state.jobName));
  if (details) {
    report.startTime = details.startTimeUtc ?? undefined;
    report.endTime = details.endTimeUtc ?? undefined;
    if (report.startTime && report.endTime) report.durationSeconds = Math.max(0, Math.round((Date.parse(report.endTime) - Date.parse(report.startTime)) / 1000));
    report.error ??= runError(details);
    report.compute ??= details.target ?? undefined;
  }
  report.metrics = (await optional(log, `the metrics of '${state.jobName}'`, () => readMetrics(client, state.jobName, signal))) ?? {};

  if (jobType === 'pipeline' || jobType === 'sweep') {
    report.childKind = jobType === 'pipeline' ? 'step' : 'trial';
    const children = (await optional(log, `the child runs of '${state.jobName}'`, () => history.children(state.jobName))) ?? [];
    report.children = await childReports(children, o);
  }
  if (jobType === 'sweep') {
    const objective = sweepObjective(resource);
    report.objective = objective;
    report.bestTrial = bestTrial(resource, report.children, objective);
  }

  if (state.status !== 'Completed') {
    report.logTail = await failureTail(state, report, details, o);
    if (report.childKind === 'step') {
      // A pipeline's own error only names its failed steps; the step's error says what went wrong.
      const failed = report.children.find((c) => c.error && c.status !== 'Completed');
      const stepError = failed && `step '${failed.name}' failed: ${failed.error}`;
      if (stepError && !report.error) report.error = stepError;
      else if (stepError && !report.error!.includes(failed!.error!)) report.error = `${report.error!.replace(/\.?\s*$/, '.')} The ${stepError}`;
    }
  }
  return report;
}

async function childReports(children: RunInfo[], o: ReportOptions): Promise<ChildReport[]> {
  const out: ChildReport[] = [];
  for (const [i, child] of children.entries()) {
    const metrics = i < MAX_CHILDREN_WITH_METRICS ? ((await optional(o.log, `the metrics of '${runLabel(child)}'`, () => readMetrics(o.client, child.runId, o.signal))) ?? {}) : {};
    out.push({ runId: child.runId, name: runLabel(child), status: child.status ?? 'Unknown', metrics });
  }
  return out;
}

/** The last log lines of a job that did not complete: printed while waiting, else read now. */
async function failureTail(state: JobState, report: JobReport, details: RunDetails | undefined, o: ReportOptions): Promise<JobReport['logTail']> {
  const printed = state.printedTail ?? [];
  if (report.childKind === 'step') {
    const failed = report.children.find((c) => c.status === 'Failed') ?? report.children.find((c) => c.status !== 'Completed');
    if (!failed) return undefined;
    const history = new RunHistory(o.client, o.signal);
    const stepDetails = await optional(o.log, `the run details of step '${failed.name}'`, () => history.details(failed.runId));
    failed.error = runError(stepDetails);
    const seen = printed.find((p) => p.runId === failed.runId);
    if (seen) return { source: `step '${failed.name}'`, lines: seen.lines.slice(-TAIL_LINES) };
    const lines = await readTail(stepDetails, 'command', o);
    return lines.length ? { source: `step '${failed.name}'`, lines } : undefined;
  }
  const own = printed.find((p) => p.runId === state.jobName);
  if (own) return { source: `job '${state.jobName}'`, lines: own.lines.slice(-TAIL_LINES) };
  const lines = await readTail(details, report.jobType, o);
  return lines.length ? { source: `job '${state.jobName}'`, lines } : undefined;
}

/** The last lines of a run's main log, read whole (the run has ended, its log no longer grows). */
export async function readTail(details: RunDetails | undefined, jobType: string | undefined, o: ReportOptions, n = TAIL_LINES): Promise<string[]> {
  const files = details?.logFiles ?? {};
  for (const url of Object.values(files)) maskSasUrl(url, o.onSecret);
  const name = selectLogs(files, jobType)[0];
  if (!name) return [];
  const text = await optional(o.log, `the log '${name}'`, () => o.client.fetchText(files[name], { operation: `read the log '${name}'`, allowNotFound: true, signal: o.signal }));
  return text ? lastLines(text, n) : [];
}

/** Named outputs with a location; an output whose location the service picks at run time has `uri: null`. */
export function jobOutputs(resource: JobResource | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, output] of Object.entries(resource?.properties?.outputs ?? {})) {
    if (typeof output?.uri === 'string' && output.uri) out[name] = output.uri;
  }
  return out;
}

function sweepObjective(resource: JobResource | undefined): JobReport['objective'] {
  const o = resource?.properties?.objective;
  if (!o?.primaryMetric) return undefined;
  return { primaryMetric: o.primaryMetric, goal: (o.goal ?? '').toLowerCase() === 'minimize' ? 'minimize' : 'maximize' };
}

/** The trial the sweep service named best (`best_child_run_id`), else the best by the objective among the trials read. */
function bestTrial(resource: JobResource | undefined, trials: ChildReport[], objective: JobReport['objective']): JobReport['bestTrial'] {
  const named = resource?.properties?.properties?.['best_child_run_id'];
  const score = Number(resource?.properties?.properties?.['score']);
  if (named) {
    const trial = trials.find((t) => t.runId === named);
    const value = objective && trial ? trial.metrics[objective.primaryMetric] : undefined;
    return { runId: named, name: trial?.name ?? named, value: value ?? (Number.isFinite(score) ? score : undefined) };
  }
  if (!objective) return undefined;
  const best = bestRun(trials, objective.primaryMetric, objective.goal);
  return best && { runId: best.runId, name: best.name, value: best.metrics[objective.primaryMetric] };
}

function computeName(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return id.split('/').pop()?.replace(/^azureml:/, '') || undefined;
}

/** Reporting is best effort: a failed read is logged for debugging and leaves its part out. */
async function optional<T>(log: Log, what: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    log.debug(`Could not read ${what}: ${(e as Error)?.message ?? String(e)}`);
    return undefined;
  }
}

/** The run summary of a job: facts, metrics, steps or trials, best trial, outputs, and a failure's log tail. */
export function jobSummary(report: JobReport, workspaceName: string, extra: Array<[string, string | undefined]> = []): Summary {
  const s = new Summary().heading(`Azure ML job ${report.jobName}`);
  s.facts([
    ['Job', link(report.displayName ?? report.jobName, report.studioUrl)],
    ['Status', report.status],
    ['Type', report.jobType],
    ['Experiment', report.experimentName],
    ['Workspace', workspaceName],
    ['Compute', report.compute],
    ['Duration', report.durationSeconds === undefined ? undefined : formatDuration(report.durationSeconds)],
    ...extra,
    ['Best trial', report.bestTrial ? bestTrialText(report) : undefined],
    ['Error', report.error],
  ]);
  const metricNames = Object.keys(report.metrics);
  if (metricNames.length) {
    s.heading('Metrics', 4).table(['Metric', 'Value'], metricNames.map((k) => [k, formatMetric(report.metrics[k])]));
  }
  if (report.children.length) {
    const keys = [...new Set(report.children.flatMap((c) => Object.keys(c.metrics)))].sort();
    const shown = report.objective && keys.includes(report.objective.primaryMetric) ? [report.objective.primaryMetric, ...keys.filter((k) => k !== report.objective!.primaryMetric)] : keys;
    const columns = shown.slice(0, 6);
    s.heading(report.childKind === 'trial' ? 'Trials' : 'Steps', 4).table(
      [report.childKind === 'trial' ? 'Trial' : 'Step', 'Status', ...columns],
      report.children.map((c) => [
        c.runId === report.bestTrial?.runId ? `${c.name} (best)` : c.name,
        c.status,
        ...columns.map((k) => (c.metrics[k] === undefined ? '' : formatMetric(c.metrics[k]))),
      ]),
    );
  }
  const outputNames = Object.keys(report.outputs);
  if (outputNames.length) s.heading('Outputs', 4).table(['Output', 'URI'], outputNames.map((n) => [n, report.outputs[n]]));
  if (report.logTail) s.heading(`Last lines of the log of ${report.logTail.source}`, 4).code(report.logTail.lines.join('\n'));
  return s;
}

function bestTrialText(report: JobReport): string {
  const b = report.bestTrial!;
  const o = report.objective;
  const value = o && b.value !== undefined ? ` (${o.primaryMetric} = ${formatMetric(b.value)}, ${o.goal})` : '';
  return `${b.name}${value}`;
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = seconds % 60;
  if (h) return `${h}h ${m}m ${sec}s`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** Output variables every mode sets: name, status, link, metrics and one `output_<name>` per output URI. */
export function jobOutputVariables(report: JobReport): Record<string, string> {
  const metrics: Record<string, number> = { ...report.metrics };
  if (report.childKind === 'step') {
    for (const c of report.children) for (const [k, v] of Object.entries(c.metrics)) metrics[`${c.name}.${k}`] ??= v;
  }
  const vars: Record<string, string> = {
    jobName: report.jobName,
    jobStatus: report.status,
    studioUrl: report.studioUrl,
    metrics: JSON.stringify(metrics),
  };
  for (const [name, uri] of Object.entries(report.outputs)) vars[`output_${name}`] = uri;
  return vars;
}

/** The error a task fails with when the job did not complete: its error and the last lines of its log. */
export function jobFailureMessage(report: JobReport): string {
  const why = report.error ? `: ${report.error}` : '.';
  let message = `Job '${report.jobName}' ended with status ${report.status}${why} See ${report.studioUrl}`;
  if (report.logTail?.lines.length) {
    message += `\nLast ${report.logTail.lines.length} lines of the log of ${report.logTail.source}:\n${report.logTail.lines.join('\n')}`;
  }
  return message;
}

export interface AttachOptions extends ReportOptions {
  jobName: string;
  credential: TokenCredential;
  /** 0 = no limit. */
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
  streamLogs: boolean;
  tenantId?: string;
  sleep?: Sleep;
  now?: () => number;
  pollInterval?: (n: number) => number;
}

/**
 * Report mode: attaches to an existing job, waits for it (streaming its log) if it still runs, or prints the
 * tail of its log if it has already ended. Submits nothing.
 */
export async function attachToJob(o: AttachOptions): Promise<JobState> {
  const { client, log, jobName } = o;
  await client.workspaceDetails();
  const job = await client.get<JobResource>(`jobs/${encodeURIComponent(jobName)}`, { operation: `read the job '${jobName}'`, allowNotFound: true, signal: o.signal });
  if (!job) {
    throw new UserError(`Input 'jobName': the job '${jobName}' was not found in workspace '${client.workspace.workspaceName}'. Check the name (for example $(submit.jobName)) and that both steps use the same workspace.`, { input: 'jobName' });
  }
  const studioUrl = job.properties?.services?.['Studio']?.endpoint ?? studioJobUrl(client.workspace, jobName, o.tenantId);
  const state: JobState = {
    jobName,
    status: job.properties?.status ?? 'Unknown',
    studioUrl,
    experimentName: job.properties?.experimentName ?? 'Default',
    displayName: job.properties?.displayName,
    computeId: job.properties?.computeId,
    jobType: job.properties?.jobType,
    resource: job,
    timedOut: false,
    canceledByTask: false,
  };
  log.info(`Job '${jobName}' (${state.jobType ?? 'job'}) in experiment '${state.experimentName}': ${state.status}.`);
  log.info(`Studio: ${studioUrl}`);
  if (!TERMINAL_STATUSES.has(state.status)) {
    await waitForJob({ ...o, jobName }, state);
    return state;
  }
  if (o.streamLogs) await printEndedTail(state, o);
  return state;
}

/** The last lines of an ended job's log (pipelines: of each step, prefixed with its name). */
async function printEndedTail(state: JobState, o: AttachOptions): Promise<void> {
  const history = new RunHistory(o.client, o.signal);
  const runs: Array<{ runId: string; label?: string }> = [];
  if (state.jobType?.toLowerCase() === 'pipeline') {
    for (const child of (await optional(o.log, `the steps of '${state.jobName}'`, () => history.children(state.jobName))) ?? []) runs.push({ runId: child.runId, label: runLabel(child) });
  } else {
    runs.push({ runId: state.jobName });
  }
  state.printedTail = [];
  for (const run of runs) {
    const details = await optional(o.log, `the run details of '${run.label ?? run.runId}'`, () => history.details(run.runId));
    const lines = await readTail(details, run.label ? 'command' : state.jobType, o);
    if (!lines.length) continue;
    o.log.info(`Last ${lines.length} lines of the log of ${run.label ? `step '${run.label}'` : `job '${state.jobName}'`}:`);
    for (const line of lines.map(inertLine)) o.log.info(run.label ? `[${run.label}] ${line}` : line);
    state.printedTail.push({ ...run, lines });
  }
}
