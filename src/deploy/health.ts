import { abortError } from '../http/retry';
import type { Log } from '../log';
import { score, type ScoreOptions, type ScoringResponse, type ScoringTarget } from './scoring';

export interface HealthCheckOptions extends ScoreOptions {
  /** How many requests to send in all; default 20. */
  requests?: number;
  /** How many may be in flight at once; default 4. */
  concurrency?: number;
  /**
   * The largest share of failed requests that still passes, as a fraction: 0.05 is 5 %. Default 0.05.
   * (The task input is a percent; the task divides it by 100.)
   */
  maxErrorRate?: number;
  /** When set, the 95th percentile latency must not exceed it. */
  maxLatencyMs?: number;
  log?: Log;
}

export interface HealthError {
  /** HTTP status, 0 for no answer. */
  status: number;
  /** 'HTTP 503: <start of the body>' or the network error. */
  message: string;
  count: number;
}

export interface HealthResult {
  deployment: string;
  requests: number;
  /** Requests answered with a status that is not 2xx, or not answered. */
  errors: number;
  /** errors / requests, a fraction. */
  errorRate: number;
  maxErrorRate: number;
  /** Latencies of every request sent, answered or not, in milliseconds (nearest rank). */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  maxLatencyMs?: number;
  passed: boolean;
  /** Why it did not pass; empty when it did. */
  reasons: string[];
  /** The first MAX_ERROR_KINDS distinct errors, with how often each came. */
  errorKinds: HealthError[];
}

export const DEFAULT_HEALTH_REQUESTS = 20;
export const DEFAULT_HEALTH_CONCURRENCY = 4;
export const DEFAULT_MAX_ERROR_RATE = 0.05;
export const MAX_ERROR_KINDS = 5;

/**
 * Sends `requests` requests to the deployment, cycling through `bodies`, at most `concurrency` at a time,
 * and judges the error rate and the 95th percentile latency. On abort it stops sending and rejects with an AbortError.
 */
export async function checkHealth(target: ScoringTarget, bodies: Array<string | Buffer>, options: HealthCheckOptions = {}): Promise<HealthResult> {
  const { requests: total = DEFAULT_HEALTH_REQUESTS, concurrency = DEFAULT_HEALTH_CONCURRENCY, maxErrorRate = DEFAULT_MAX_ERROR_RATE, maxLatencyMs, log, ...scoreOptions } = options;
  if (bodies.length === 0) throw new Error('A health check needs at least one request body.');
  if (!Number.isInteger(total) || total < 1) throw new Error(`requests must be a whole number of at least 1, not ${total}.`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a whole number of at least 1, not ${concurrency}.`);
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) throw new Error(`maxErrorRate is a fraction between 0 and 1, not ${maxErrorRate}.`);

  const responses: ScoringResponse[] = new Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      if (options.signal?.aborted) throw abortError();
      const i = next++;
      responses[i] = await score(target, bodies[i % bodies.length], scoreOptions);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));

  const failed = responses.filter((r) => !isSuccess(r));
  const errorRate = failed.length / total;
  const latencies = responses.map((r) => r.latencyMs).sort((a, b) => a - b);
  const p50Ms = Math.round(percentile(latencies, 0.5));
  const p95Ms = Math.round(percentile(latencies, 0.95));
  const maxMs = Math.round(latencies[latencies.length - 1]);

  const reasons: string[] = [];
  // Compared as counts so that 1 failure in 20 at a 5 % limit passes whatever the floating point says.
  if (failed.length > Math.floor(maxErrorRate * total + 1e-9)) {
    reasons.push(`${failed.length} of ${total} requests failed (${formatPercent(errorRate)}), more than the ${formatPercent(maxErrorRate)} allowed`);
  }
  if (maxLatencyMs !== undefined && p95Ms > maxLatencyMs) reasons.push(`the 95th percentile latency was ${p95Ms} ms, above the ${maxLatencyMs} ms allowed`);

  const result: HealthResult = {
    deployment: target.deployment,
    requests: total,
    errors: failed.length,
    errorRate,
    maxErrorRate,
    p50Ms,
    p95Ms,
    maxMs,
    maxLatencyMs,
    passed: reasons.length === 0,
    reasons,
    errorKinds: errorKinds(failed),
  };
  log?.info(describeHealth(result));
  return result;
}

function isSuccess(r: ScoringResponse): boolean {
  return r.error === undefined && r.status >= 200 && r.status < 300;
}

/** Nearest rank: the smallest value with at least p of the values at or below it. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function errorKinds(failed: ScoringResponse[]): HealthError[] {
  const kinds = new Map<string, HealthError>();
  for (const r of failed) {
    const message = r.error ?? `HTTP ${r.status}${r.body.trim() ? `: ${oneLine(r.body)}` : ''}`;
    const key = `${r.status} ${message}`;
    const known = kinds.get(key);
    if (known) known.count++;
    else if (kinds.size < MAX_ERROR_KINDS) kinds.set(key, { status: r.status, message, count: 1 });
  }
  return [...kinds.values()];
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10} %`;
}

/** One log line for a health check. */
export function describeHealth(r: HealthResult): string {
  const latency = `latency p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, max ${r.maxMs} ms${r.maxLatencyMs !== undefined ? ` (p95 limit ${r.maxLatencyMs} ms)` : ''}`;
  const errors = `${r.errors} of ${r.requests} requests failed (${formatPercent(r.errorRate)}, limit ${formatPercent(r.maxErrorRate)})`;
  return `Health of deployment '${r.deployment}': ${errors}; ${latency}: ${r.passed ? 'passed' : 'failed'}.`;
}
