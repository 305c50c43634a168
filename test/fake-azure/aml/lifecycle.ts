/** How a job created after `scriptJobs` behaves. */
export interface JobScript {
  /** Statuses after NotStarted, one per GET of the job or its run details. Default ['Queued', 'Running', 'Completed']. */
  statuses?: string[];
  /** The job's error when it ends Failed. */
  error?: { code: string; message: string };
  /** MLflow metrics; an array is a series logged at steps 0, 1, ... */
  metrics?: Record<string, number | number[]>;
  /** Lines of user_logs/std_log.txt, revealed gradually as the job advances. */
  logLines?: string[];
  /**
   * Minutes the job runs by the workspace clock: reads do not move it into its last status before that long
   * after its start time. With a simulated clock, an hour-long job takes seconds.
   */
  runMinutes?: number;
  /**
   * Delay a GET of the job asks for before the next read (`Retry-After` in whole seconds plus `retry-after-ms`).
   * Default: `Retry-After: 0` for jobs that move one step per read, no header for jobs with `runMinutes`.
   */
  retryAfterMs?: number;
}

export const DEFAULT_STATUSES = ['Queued', 'Running', 'Completed'];
export const TERMINAL_STATUSES = new Set(['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused']);
const KNOWN_STATUSES = new Set([
  'NotStarted', 'Starting', 'Provisioning', 'Preparing', 'Queued', 'Running', 'Finalizing', 'CancelRequested',
  'Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused', 'Unknown',
]);
// Statuses that do not mean the user's process has started (no start time yet).
const NOT_RUNNING = new Set(['NotStarted', 'Starting', 'Provisioning', 'Preparing', 'Queued', 'CancelRequested', 'Canceled']);

export function checkScript(script: JobScript): void {
  for (const s of script.statuses ?? []) {
    if (!KNOWN_STATUSES.has(s)) throw new Error(`scriptJobs: '${s}' is not an Azure ML job status (${[...KNOWN_STATUSES].join(', ')})`);
  }
  const statuses = script.statuses ?? DEFAULT_STATUSES;
  if (statuses.length === 0) throw new Error('scriptJobs: statuses must not be empty');
  const last = statuses[statuses.length - 1];
  if (!TERMINAL_STATUSES.has(last)) throw new Error(`scriptJobs: the last status must be terminal, got '${last}'`);
  if (statuses.slice(0, -1).some((s) => TERMINAL_STATUSES.has(s))) throw new Error('scriptJobs: only the last status may be terminal');
  if (script.runMinutes !== undefined && !(script.runMinutes > 0)) throw new Error(`scriptJobs: runMinutes must be positive, got ${script.runMinutes}`);
  if (script.retryAfterMs !== undefined && !(script.retryAfterMs >= 0)) throw new Error(`scriptJobs: retryAfterMs must not be negative, got ${script.retryAfterMs}`);
}

/** The Retry-After headers a GET of a job with this script answers with. */
export function retryAfterHeaders(script: JobScript): Record<string, string> {
  if (script.retryAfterMs !== undefined) {
    return { 'Retry-After': String(Math.ceil(script.retryAfterMs / 1000)), 'retry-after-ms': String(script.retryAfterMs) };
  }
  // A job that moves one step per read invites the next read at once (the product honours Retry-After).
  return script.runMinutes === undefined ? { 'Retry-After': '0' } : {};
}

/** The state machine of one job: NotStarted, then one scripted status per step; cancel cuts it short. */
export class JobRun {
  private index = -1;
  private cancelRequested = false;
  private canceled = false;
  startTime?: Date;
  endTime?: Date;
  private readonly statuses: string[];

  constructor(readonly script: JobScript, private readonly now: () => Date = () => new Date()) {
    this.statuses = [...(script.statuses ?? DEFAULT_STATUSES)];
  }

  get status(): string {
    if (this.canceled) return 'Canceled';
    if (this.cancelRequested) return 'CancelRequested';
    return this.index < 0 ? 'NotStarted' : this.statuses[this.index];
  }

  get terminal(): boolean {
    return TERMINAL_STATUSES.has(this.status);
  }

  /** One step along the script (or from CancelRequested to Canceled); terminal jobs stay put. */
  advance(): void {
    if (this.terminal) return;
    if (this.cancelRequested) {
      this.canceled = true;
    } else {
      if (this.stillRunning()) return;
      this.index += 1;
    }
    this.stamp();
  }

  /** Returns false when the job had already finished (nothing to cancel). */
  requestCancel(): boolean {
    if (this.terminal) return false;
    this.cancelRequested = true;
    return true;
  }

  /** The error of a failed job, as the script gave it (or a generic one). */
  get error(): { code: string; message: string } | undefined {
    if (this.status !== 'Failed') return undefined;
    return this.script.error ?? { code: 'UserError', message: 'Execution failed. User process exited with status code 1.' };
  }

  /** How many of `total` log lines are visible: a share per step, everything once finished. */
  revealedLines(total: number): number {
    if (this.terminal) return total;
    if (this.index < 0) return 0;
    return Math.floor((total * (this.index + 1)) / this.statuses.length);
  }

  /** True while a job with `runMinutes` has not run that long yet and its next step would be the last. */
  private stillRunning(): boolean {
    const minutes = this.script.runMinutes;
    if (minutes === undefined || !this.startTime || this.index + 1 < this.statuses.length - 1) return false;
    return this.now().getTime() - this.startTime.getTime() < minutes * 60_000;
  }

  private stamp(): void {
    const status = this.status;
    if (!this.startTime && !NOT_RUNNING.has(status)) this.startTime = this.now();
    if (!this.endTime && TERMINAL_STATUSES.has(status)) this.endTime = this.now();
  }
}
