import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { isRestError } from '@azure/core-rest-pipeline';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries?: number;
  /** First back-off delay when the service gives no Retry-After. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: Sleep;
  /** 0..1, for jitter; injectable so tests are deterministic. */
  random?: () => number;
}

export const retryPolicyName = 'transientRetryPolicy';

/** Status codes Azure uses for "try again": timeouts, throttling and server-side hiccups. */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Socket-level failures worth another attempt; a DNS name that does not exist is not one of them. */
const TRANSIENT_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ENETUNREACH', 'EAI_AGAIN', 'REQUEST_SEND_ERROR']);

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function abortError(): Error {
  const e = new Error('The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

/**
 * Retry-After in milliseconds from `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (seconds or an HTTP date).
 * Undefined when the response names no delay.
 */
export function retryAfterMs(response: PipelineResponse | undefined, now: () => number = Date.now): number | undefined {
  if (!response) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = response.headers.get(name);
    if (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v))) return Math.max(0, Number(v));
  }
  const v = response.headers.get('retry-after');
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

export function isTransientError(e: unknown): boolean {
  if (isRestError(e)) {
    if (e.statusCode !== undefined) return TRANSIENT_STATUS.has(e.statusCode);
    return e.code !== undefined && TRANSIENT_ERROR_CODES.has(e.code);
  }
  const code = (e as { code?: string } | undefined)?.code;
  return code !== undefined && TRANSIENT_ERROR_CODES.has(code);
}

/**
 * One retry rule for every Azure call: transient statuses and dropped connections are retried with
 * exponential back-off and jitter, and the service's Retry-After wins whenever it sends one.
 */
export function transientRetryPolicy(options: RetryOptions = {}): PipelinePolicy {
  const maxRetries = options.maxRetries ?? 6;
  const base = options.baseDelayMs ?? 800;
  const max = options.maxDelayMs ?? 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  return {
    name: retryPolicyName,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      for (let attempt = 0; ; attempt++) {
        let response: PipelineResponse | undefined;
        let error: unknown;
        try {
          response = await next(request);
          if (!TRANSIENT_STATUS.has(response.status)) return response;
        } catch (e) {
          if (!isTransientError(e) || request.abortSignal?.aborted) throw e;
          error = e;
          response = isRestError(e) ? e.response : undefined;
        }
        if (attempt >= maxRetries) {
          if (error) throw error;
          return response!;
        }
        const hinted = retryAfterMs(response);
        const delay = Math.min(max, hinted ?? base * 2 ** attempt * (0.8 + 0.4 * random()));
        await sleep(delay, request.abortSignal as AbortSignal | undefined);
      }
    },
  };
}
