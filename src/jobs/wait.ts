import type { TokenCredential } from '@azure/core-auth';
import type { Sleep } from '../http/retry';
import { adaptiveInterval, pollUntil } from '../http/poll';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';

/** Statuses after which a job never changes again. */
export const TERMINAL_STATUSES = new Set(['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused']);

export interface JobResource {
  name?: string;
  properties: { status?: string; experimentName?: string; displayName?: string; computeId?: string; services?: Record<string, { endpoint?: string }> };
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
}

export interface WaitOptions {
  jobName: string;
  /** 0 = no limit. */
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
  pollInterval?: (n: number) => number;
}

/** Waits for a job to end, updating `result` in place; cancels it on timeout or abort when asked to. */
export async function waitForJob(o: WaitOptions, result: JobState): Promise<void> {
  const { client, log, jobName } = o;
  let hint: number | undefined;
  let last = result.status;
  const interval = o.pollInterval ?? adaptiveInterval();
  try {
    const outcome = await pollUntil<string>({
      read: async () => {
        const r = await client.request<JobResource>('GET', `jobs/${jobName}`, { operation: `read the job '${jobName}'`, signal: o.signal });
        hint = r!.retryAfterMs;
        return r!.body.properties?.status ?? 'Unknown';
      },
      onState: (status) => {
        if (status !== last) log.info(`Job status: ${status}`);
        last = status;
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
  }

  if (result.status === 'Failed' || result.status === 'NotResponding') {
    result.error = await jobError(client, jobName, log);
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
async function jobError(client: WorkspaceClient, jobName: string, log: Log): Promise<string | undefined> {
  const { subscriptionId, resourceGroup, workspaceName } = client.workspace;
  try {
    const details = await client.dataPlane<{ error?: { error?: { code?: string; message?: string } } }>(
      `/history/v1.0/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}/runs/${jobName}/details`,
      { operation: `read the run details of job '${jobName}'`, allowNotFound: true },
    );
    const err = details?.body?.error?.error;
    if (err?.message) return err.code ? `${err.code}: ${err.message}` : err.message;
  } catch (e) {
    log.debug(`Could not read the run details of job '${jobName}': ${(e as Error).message}`);
  }
  return undefined;
}

