/** How one run (a job, a pipeline step, a sweep trial) behaves. */
export interface RunScript {
  /** Statuses after NotStarted, one per GET of the job or its run details. Default ['Queued', 'Running', 'Completed']. */
  statuses?: string[];
  /** The run's error when it ends Failed. */
  error?: { code: string; message: string };
  /** MLflow metrics; an array is a series logged at steps 0, 1, ... */
  metrics?: Record<string, number | number[]>;
  /** Lines of the run's log (user_logs/std_log.txt; a sweep's azureml-logs/hyperdrive.txt), revealed gradually as it advances. */
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

/** How a job created after `scriptJobs` behaves. */
export interface JobScript extends RunScript {
  /** Pipeline jobs: scripts of steps by node name (a key of `properties.jobs`); other steps get the default. */
  steps?: Record<string, RunScript>;
  /** Sweep jobs: one script per trial (default: three trials logging the primary metric). */
  trials?: RunScript[];
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
  checkRunScript(script);
  for (const [name, step] of Object.entries(script.steps ?? {})) checkRunScript(step, `steps.${name}.`);
  (script.trials ?? []).forEach((t, i) => checkRunScript(t, `trials[${i}].`));
}

/** The Retry-After headers a GET of a job with this script answers with. */
export function retryAfterHeaders(script: RunScript): Record<string, string> {
  if (script.retryAfterMs !== undefined) {
    return { 'Retry-After': String(Math.ceil(script.retryAfterMs / 1000)), 'retry-after-ms': String(script.retryAfterMs) };
  }
  // A job that moves one step per read invites the next read at once (the product honours Retry-After).
  return script.runMinutes === undefined ? { 'Retry-After': '0' } : {};
}

function checkRunScript(script: RunScript, where = ''): void {
  for (const s of script.statuses ?? []) {
    if (!KNOWN_STATUSES.has(s)) throw new Error(`scriptJobs: ${where}statuses: '${s}' is not an Azure ML job status (${[...KNOWN_STATUSES].join(', ')})`);
  }
  const statuses = script.statuses ?? DEFAULT_STATUSES;
  if (statuses.length === 0) throw new Error(`scriptJobs: ${where}statuses must not be empty`);
  const last = statuses[statuses.length - 1];
  if (!TERMINAL_STATUSES.has(last)) throw new Error(`scriptJobs: ${where}the last status must be terminal, got '${last}'`);
  if (statuses.slice(0, -1).some((s) => TERMINAL_STATUSES.has(s))) throw new Error(`scriptJobs: ${where}only the last status may be terminal`);
  if (script.runMinutes !== undefined && !(script.runMinutes > 0)) throw new Error(`scriptJobs: ${where}runMinutes must be positive, got ${script.runMinutes}`);
  if (script.retryAfterMs !== undefined && !(script.retryAfterMs >= 0)) throw new Error(`scriptJobs: ${where}retryAfterMs must not be negative, got ${script.retryAfterMs}`);
}

/** A pipeline step or sweep trial: a run of its own, revealed to run history while the parent runs. */
export interface ChildRun {
  /** Run id (a GUID for pipeline steps, `<parent>_<n>` for trials, as Azure ML names them). */
  id: string;
  /** Display name: the pipeline node name, or the trial's name. */
  name: string;
  kind: 'step' | 'trial';
  run: JobRun;
  /** Listed by run history (the parent has started it); set at the parent advance that starts it. */
  revealed: boolean;
  created?: Date;
}

/**
 * The state machine of one job: NotStarted, then one scripted status per step; cancel cuts it short.
 * A parent (pipeline, sweep) holds at its first running status while its children run: each parent step
 * then moves its children (steps one after another, trials together), and it finishes after them.
 */
export class JobRun {
  private index = -1;
  private cancelRequested = false;
  private canceled = false;
  startTime?: Date;
  endTime?: Date;
  private readonly statuses: string[];
  private readonly finishListeners: Array<(status: string) => void> = [];
  readonly children: ChildRun[] = [];
  private childMode: 'sequential' | 'parallel' = 'sequential';

  constructor(readonly script: RunScript, private readonly now: () => Date = () => new Date()) {
    this.statuses = [...(script.statuses ?? DEFAULT_STATUSES)];
  }

  /** Makes this run a parent. A step that fails fails a pipeline (as Azure ML does), and stops the steps after it. */
  adopt(children: ChildRun[], mode: 'sequential' | 'parallel'): void {
    this.children.push(...children);
    this.childMode = mode;
    if (mode === 'sequential' && children.some((c) => c.run.scriptedEnd === 'Failed')) this.statuses[this.statuses.length - 1] = 'Failed';
  }

  /** The status the script ends with. */
  get scriptedEnd(): string {
    return this.statuses[this.statuses.length - 1];
  }

  /** The children run history lists now. */
  get revealedChildren(): ChildRun[] {
    return this.children.filter((c) => c.revealed);
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
      for (const c of this.children) if (c.revealed && !c.run.terminal) c.run.cancelNow();
    } else if (this.index >= 0 && !NOT_RUNNING.has(this.status) && !this.childrenDone()) {
      this.advanceChildren();
    } else {
      if (this.stillRunning()) return;
      this.index += 1;
    }
    this.stamp();
  }

  /** Calls `listener` once, when the job reaches a terminal status (webhooks hang on this). */
  onFinish(listener: (status: string) => void): void {
    this.finishListeners.push(listener);
  }

  /** Returns false when the job had already finished (nothing to cancel). */
  requestCancel(): boolean {
    if (this.terminal) return false;
    this.cancelRequested = true;
    return true;
  }

  /** The parent was canceled: this child ends at once. */
  cancelNow(): void {
    this.cancelRequested = true;
    this.canceled = true;
    this.stamp();
  }

  private childrenDone(): boolean {
    if (this.children.length === 0) return true;
    if (this.childMode === 'sequential' && this.children.some((c) => c.run.status === 'Failed')) return true;
    return this.children.every((c) => c.run.terminal);
  }

  private advanceChildren(): void {
    const at = this.now();
    if (this.childMode === 'parallel') {
      for (const c of this.children) {
        if (!c.revealed) reveal(c, at);
        else c.run.advance();
      }
      return;
    }
    const current = this.children.find((c) => !c.run.terminal)!;
    if (!current.revealed) reveal(current, at);
    else current.run.advance();
    // The next step starts as soon as this one completed, so a listing right after shows it.
    const next = this.children.find((c) => !c.revealed);
    if (current.run.status === 'Completed' && next) reveal(next, at);
  }

  /** The error of a failed job, as the script gave it (or a generic one; a pipeline names its failed steps). */
  get error(): { code: string; message: string } | undefined {
    if (this.status !== 'Failed') return undefined;
    if (this.script.error) return this.script.error;
    const failed = this.children.filter((c) => c.run.status === 'Failed');
    if (failed.length) {
      return {
        code: 'UserError',
        message: `Pipeline has failed child jobs. Failed nodes: ${failed.map((c) => `/${c.name}`).join(', ')}. For more details and logs, please go to the job detail page and check the child jobs.`,
      };
    }
    return { code: 'UserError', message: 'Execution failed. User process exited with status code 1.' };
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
    if (!this.endTime && TERMINAL_STATUSES.has(status)) {
      this.endTime = this.now();
      for (const listener of this.finishListeners.splice(0)) listener(status);
    }
  }
}

function reveal(child: ChildRun, at: Date): void {
  child.revealed = true;
  child.created = at;
}
