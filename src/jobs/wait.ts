import type { TokenCredential } from '@azure/core-auth';
import type { Sleep } from '../http/retry';
import { adaptiveInterval, pollUntil } from '../http/poll';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { JobMonitor, TERMINAL_STATUSES } from './monitor';
import { runError, RunHistory } from './runs';

export { TERMINAL_STATUSES };

export interface JobResource {
  name?: string;
  properties: {
    status?: string;
    jobType?: string;
    experimentName?: string;
    displayName?: string;
    computeId?: string;
    services?: Record<string, { endpoint?: string }>;
    /** Job outputs; `uri` is null for an output whose location the service picks at run time. */
    outputs?: Record<string, { uri?: string | null; jobOutputType?: string } | null>;
    /** Sweep jobs: what the trials are ranked by. */
    objective?: { primaryMetric?: string; goal?: string };
    /** Free-form run properties; a sweep puts its best trial here (`best_child_run_id`, `score`). */
    properties?: Record<string, string>;
    settings?: { default_compute?: string } | null;
  };
  systemData?: { createdAt?: string };
}

/** What is known about a job while and after waiting for it. */
export interface JobState {
  jobName: string;
  status: string;
  studioUrl: string;
  experimentName: string;
  displayName?: string;
  computeId?: string;
  uploadedBytes?: number;
  /** Why the job failed, from its run history. */
  error?: string;
  timedOut: boolean;
  /** True when this task canceled the job (timeout or pipeline cancel). */
  canceledByTask: boolean;
  /** `command`, `pipeline`, `sweep`... once the job has been read after submission. */
  jobType?: string;
  /** The job as Resource Manager last returned it. */
  resource?: JobResource;
  /** The last lines of the log printed while waiting (per step for pipelines). */
  printedTail?: Array<{ label?: string; runId: string; lines: string[] }>;
}

export interface WaitOptions {
  jobName: string;
  /** 0 = no limit. */
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  /** Copy the job's log into `log` while waiting (default false: status changes only). */
  streamLogs?: boolean;
  /** Receives every secret met while waiting (the SAS URLs of log files). */
  onSecret?: (value: string) => void;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
  pollInterval?: (n: number) => number;
}

/**
 * Waits for a job to end, updating `result` in place; shows its status changes and, when asked, streams its
 * log. Cancels the job on timeout or abort when asked to.
 */
export async function waitForJob(o: WaitOptions, result: JobState): Promise<void> {
  const { client, log, jobName } = o;
  let hint: number | undefined;
  const interval = o.pollInterval ?? adaptiveInterval();
  const monitor = new JobMonitor({ jobName, client, log, streamLogs: o.streamLogs ?? false, onSecret: o.onSecret ?? (() => undefined), signal: o.signal });
  try {
    const outcome = await pollUntil<string>({
      read: async () => {
        const r = await client.request<JobResource>('GET', `jobs/${jobName}`, { operation: `read the job '${jobName}'`, signal: o.signal });
        hint = r!.retryAfterMs;
        result.resource = r!.body;
        result.jobType = r!.body.properties?.jobType ?? result.jobType;
        return r!.body.properties?.status ?? 'Unknown';
      },
      onState: async () => {
        await monitor.poll(result.resource!);
      },
      done: (status) => TERMINAL_STATUSES.has(status),
      interval: (n) => (hint !== undefined ? Math.min(hint, interval(n)) : interval(n)),
      timeoutMs: o.timeoutMinutes > 0 ? o.timeoutMinutes * 60_000 : undefined,
      signal: o.signal,
      sleep: o.sleep,
      now: o.now,
    });
    result.status = outcome.state;
    if (outcome.timedOut) {
      result.timedOut = true;
      log.warning(`The job did not finish within ${o.timeoutMinutes} minutes.`);
      if (o.cancelJobOnAbort) {
        result.status = await cancelJob(o, jobName);
        result.canceledByTask = true;
      }
    }
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' && o.cancelJobOnAbort) {
      result.status = await cancelJob(o, jobName);
    }
    throw e;
  } finally {
    result.printedTail = monitor.printedTail();
  }

  if (result.status === 'Failed' || result.status === 'NotResponding') {
    result.error = runError(monitor.jobDetails) ?? (await jobError(client, jobName, log));
  }
}

/** Asks Azure ML to cancel the job and waits briefly until it has accepted. Never throws: it runs while stopping. */
async function cancelJob(o: WaitOptions, jobName: string): Promise<string> {
  const { client, log } = o;
  log.info(`Canceling job '${jobName}'...`);
  try {
    await client.request('POST', `jobs/${jobName}/cancel`, { operation: `cancel the job '${jobName}'` });
    const outcome = await pollUntil<string>({
      read: async () => (await client.get<JobResource>(`jobs/${jobName}`, { operation: `read the job '${jobName}'` }))?.properties?.status ?? 'Unknown',
      done: (s) => s === 'CancelRequested' || TERMINAL_STATUSES.has(s),
      interval: () => 2_000,
      timeoutMs: 60_000,
      sleep: o.sleep,
      now: o.now,
    });
    log.info(`Job '${jobName}' is ${outcome.state === 'Canceled' ? 'canceled' : `being canceled (${outcome.state})`}.`);
    return outcome.state;
  } catch (e) {
    log.warning(`Could not cancel job '${jobName}': ${(e as Error).message}. Cancel it in Azure ML studio so it stops using compute.`);
    return 'Unknown';
  }
}

/** The job's error message from run history; a failed lookup must not hide that the job failed. */
export async function jobError(client: WorkspaceClient, jobName: string, log: Log): Promise<string | undefined> {
  try {
    return runError(await new RunHistory(client).details(jobName));
  } catch (e) {
    log.debug(`Could not read the run details of job '${jobName}': ${(e as Error).message}`);
  }
  return undefined;
}

