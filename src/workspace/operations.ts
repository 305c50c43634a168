import type { HttpMethods } from '@azure/core-rest-pipeline';
import { pollUntil } from '../http/poll';
import type { Sleep } from '../http/retry';
import type { ArmResponse, RequestOptions } from './client';

/** Sends one ARM request; a WorkspaceClient's or RegistryClient's `request`. */
export type ArmRequester = <T>(method: HttpMethods, path: string, options: RequestOptions) => Promise<ArmResponse<T> | undefined>;

export interface OperationOutcome {
  /** Succeeded, Failed or Canceled as the operation reports it; undefined when the answer carried no operation to follow. */
  status?: string;
  error?: { code?: string; message?: string };
  /** The time was up before the operation ended. */
  timedOut: boolean;
  /** What the last poll answered: for operations whose Location ends with the result (a model package), that result. */
  body?: unknown;
}

export interface WaitOptions {
  /** What the request does, for error messages ("create the deployment 'green'"). */
  operation: string;
  signal?: AbortSignal;
  sleep?: Sleep;
  timeoutMs?: number;
  /** Called with each status read, for progress lines. */
  onStatus?: (status: string) => void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/**
 * Follows an Azure Resource Manager long-running operation from its first answer: polls the
 * `Azure-AsyncOperation` URL (or `Location`) until the operation ends or the time is up, honouring Retry-After.
 * It never throws for a failed operation: the caller decides what a failure means (a rollback, an error).
 */
export async function waitForOperation(request: ArmRequester, first: ArmResponse<unknown>, o: WaitOptions): Promise<OperationOutcome> {
  const statusUrl = first.headers.get('azure-asyncoperation') ?? first.headers.get('location');
  if (!statusUrl) return { timedOut: false };
  const url = new URL(statusUrl);
  const query = Object.fromEntries(url.searchParams);
  delete query['api-version'];
  let delay = first.retryAfterMs;
  let body: unknown;
  type Status = { status?: string; error?: { code?: string; message?: string } } | undefined;
  const result = await pollUntil<Status>({
    read: async () => {
      const r = await request<Status>('GET', url.pathname, { query, operation: `${o.operation} (while waiting for it to finish)`, signal: o.signal });
      delay = r?.retryAfterMs;
      body = r?.body;
      // A Location URL answers 202 while the operation runs and 200 (often without a body) once it is done.
      if (r?.status === 202 && !r.body?.status) return { status: 'InProgress' };
      if (r && !r.body?.status) return { status: 'Succeeded' };
      return r?.body;
    },
    onState: (s) => {
      if (s?.status) o.onStatus?.(s.status);
    },
    done: (s) => !s?.status || TERMINAL.has(s.status.toLowerCase()),
    interval: (n) => delay ?? Math.min(15_000, 2_000 * n),
    timeoutMs: o.timeoutMs ?? 30 * 60_000,
    signal: o.signal,
    sleep: o.sleep,
  });
  return { status: result.state?.status, error: result.state?.error, timedOut: result.timedOut, body };
}
