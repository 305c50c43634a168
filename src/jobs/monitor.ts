import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { LogStream, maskSasUrl, selectLogs } from './logs';
import { RunHistory, runLabel, type RunDetails } from './runs';

/** Statuses after which a run never changes again. */
export const TERMINAL_STATUSES = new Set(['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused']);
// Before these are over no user process runs, so there is no log to read yet.
const NOT_STARTED = new Set(['NotStarted', 'Queued', 'Starting', 'Provisioning', 'Preparing']);

export interface MonitorOptions {
  jobName: string;
  client: WorkspaceClient;
  log: Log;
  /** Copy the logs into the pipeline log; when false only status changes are shown. */
  streamLogs: boolean;
  /** Every SAS URL goes here before anything else happens with it. */
  onSecret: (value: string) => void;
  signal?: AbortSignal;
  /** A pipeline's steps are listed again at least every this many polls (default 5), besides on changes. */
  relistEvery?: number;
  tailLines?: number;
}

/** One run whose status and log are followed: the job itself, or a pipeline step. */
interface FollowedRun {
  runId: string;
  label: string;
  /** What status changes are announced as: `Job status` or `[prep] status`. */
  statusPrefix: string;
  /** What log lines are prefixed with. */
  linePrefix: string;
  announced: Set<string>;
  status?: string;
  streams: Map<string, LogStream>;
  details?: RunDetails;
  done: boolean;
}

function waitingToStart(run: FollowedRun): boolean {
  return NOT_STARTED.has(run.status ?? 'NotStarted');
}

export interface JobResourceView {
  name?: string;
  properties: { status?: string; jobType?: string };
}

/**
 * Follows a running job between status reads: announces status changes and prints new log lines.
 * Per poll it costs one run-details GET and one log GET per growing log of the job (command, sweep), or per
 * running step (pipeline); a pipeline's steps are listed again only when something changed or every few polls.
 */
export class JobMonitor {
  private readonly history: RunHistory;
  private readonly own: FollowedRun;
  private readonly steps = new Map<string, FollowedRun>();
  private readonly secrets = new Set<string>();
  private pollsSinceListing = Number.POSITIVE_INFINITY;
  private stepEnded = false;
  private lastJobStatus?: string;
  private streamFailed = false;

  constructor(private readonly o: MonitorOptions) {
    this.history = new RunHistory(o.client, o.signal);
    this.own = this.followed(o.jobName, o.jobName, 'Job status', '');
  }

  /** Called with every read of the job resource, the last one included (then every log is drained). */
  async poll(job: JobResourceView): Promise<void> {
    const status = job.properties.status ?? 'Unknown';
    const jobType = (job.properties.jobType ?? 'command').toLowerCase();
    const changed = status !== this.lastJobStatus;
    this.lastJobStatus = status;
    const final = TERMINAL_STATUSES.has(status);
    if (!final) this.announce(this.own, status);
    try {
      if (jobType === 'pipeline') {
        if (this.o.streamLogs) await this.pollSteps(status, changed, final);
      } else if (this.o.streamLogs && (!NOT_STARTED.has(status) || final)) {
        await this.pollRun(this.own, jobType, final);
      }
    } catch (e) {
      // Streaming is a view on the job: a log that cannot be read must not stop the wait for the job itself.
      if ((e as Error)?.name === 'AbortError') throw e;
      if (!this.streamFailed) this.o.log.warning(`Could not read the job's log (${(e as Error)?.message ?? String(e)}); still waiting for the job.`);
      else this.o.log.debug(`Could not read the job's log: ${(e as Error)?.message ?? String(e)}`);
      this.streamFailed = true;
    }
    this.announce(this.own, status);
  }

  /** Run details of the job from the last poll that read them. */
  get jobDetails(): RunDetails | undefined {
    return this.own.details;
  }

  /** The last lines printed of the job's log (pipelines: of each step that printed any), for error reports. */
  printedTail(): Array<{ label?: string; runId: string; lines: string[] }> {
    const out: Array<{ label?: string; runId: string; lines: string[] }> = [];
    const first = [...this.own.streams.values()][0];
    if (first && first.linesPrinted > 0) out.push({ runId: this.own.runId, lines: first.lastLines() });
    for (const step of this.steps.values()) {
      const s = [...step.streams.values()][0];
      if (s && s.linesPrinted > 0) out.push({ label: step.label, runId: step.runId, lines: s.lastLines() });
    }
    return out;
  }

  private followed(runId: string, label: string, statusPrefix: string, linePrefix: string): FollowedRun {
    return { runId, label, statusPrefix, linePrefix, announced: new Set(), streams: new Map(), done: false };
  }

  private announce(run: FollowedRun, status: string | undefined): void {
    if (!status) return;
    run.status = status;
    // Run history and Resource Manager can lag each other by a read; a status is announced once.
    if (run.announced.has(status)) return;
    run.announced.add(status);
    this.o.log.info(`${run.statusPrefix}: ${status}`);
  }

  private async pollSteps(status: string, parentChanged: boolean, final: boolean): Promise<void> {
    this.pollsSinceListing += 1;
    // Steps exist only once the pipeline runs.
    if (NOT_STARTED.has(status) && !final) return;
    // Steps waiting to start are watched through the listing (one call for all of them), running ones one by one.
    const running = [...this.steps.values()].some((s) => !s.done && !waitingToStart(s));
    if (final || parentChanged || this.stepEnded || !running || this.pollsSinceListing >= (this.o.relistEvery ?? 5)) {
      const children = await this.history.children(this.o.jobName);
      this.pollsSinceListing = 0;
      this.stepEnded = false;
      for (const child of children) {
        let step = this.steps.get(child.runId);
        if (!step) {
          const label = runLabel(child);
          step = this.followed(child.runId, label, `[${label}] status`, `[${label}] `);
          this.steps.set(child.runId, step);
        }
        if (child.status && child.status !== 'NotStarted' && !TERMINAL_STATUSES.has(child.status)) this.announce(step, child.status);
        else step.status ??= child.status;
      }
    }
    for (const step of this.steps.values()) {
      if (step.done || (waitingToStart(step) && !final)) continue;
      await this.pollRun(step, 'command', final);
      if (step.done) this.stepEnded = true;
    }
  }

  /** One run-details read and one read per selected log; a run seen finished is drained and not read again. */
  private async pollRun(run: FollowedRun, jobType: string, final: boolean): Promise<void> {
    const details = await this.history.details(run.runId);
    if (!details) return;
    run.details = details;
    const ended = final || TERMINAL_STATUSES.has(details.status ?? '');
    // A start is announced before the lines it brings, an end after the last lines.
    if (!TERMINAL_STATUSES.has(details.status ?? '')) this.announce(run, details.status);
    const logFiles = details.logFiles ?? {};
    for (const url of Object.values(logFiles)) this.secret(url);
    for (const name of selectLogs(logFiles, jobType)) {
      let stream = run.streams.get(name);
      if (!stream) {
        stream = new LogStream({
          print: (line) => this.o.log.info(line),
          read: (url, offset) => this.o.client.fetchTextFrom(url, offset, { operation: `read the log '${name}' of '${run.label}'`, allowNotFound: true, signal: this.o.signal }),
          prefix: run.linePrefix,
          tailLines: this.o.tailLines,
        });
        run.streams.set(name, stream);
        if (!run.linePrefix) this.o.log.info(`Streaming ${name}`);
      }
      await stream.poll(logFiles[name], ended);
    }
    this.announce(run, details.status);
    if (ended) run.done = true;
  }

  private secret(url: string): void {
    if (this.secrets.has(url)) return;
    this.secrets.add(url);
    maskSasUrl(url, this.o.onSecret);
  }
}
