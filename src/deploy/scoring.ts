import { performance } from 'perf_hooks';
import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  proxyPolicy,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { abortError } from '../http/retry';

/** One deployment behind an online endpoint, addressed directly whatever the endpoint's traffic split. */
export interface ScoringTarget {
  scoringUri: string;
  deployment: string;
  /** The full Authorization header value ('Bearer …'), asked for before each request so tokens can be renewed. A secret. */
  authorization: () => Promise<string>;
}

export interface ScoringResponse {
  /** HTTP status, 0 when no answer came (see `error`). */
  status: number;
  body: string;
  latencyMs: number;
  /** The deployment that answered, from the `azureml-model-deployment` response header. */
  answeredBy?: string;
  /** Why no answer came: a refused connection, a timeout. */
  error?: string;
}

export interface ScoreOptions {
  /** Default application/json. */
  contentType?: string;
  /** Default DEFAULT_SCORING_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Milliseconds from any origin, for latency; injectable so tests are deterministic. */
  now?: () => number;
  /** Injectable for tests; by default the SDK's Node client, which trusts NODE_EXTRA_CA_CERTS like every other call. */
  httpClient?: HttpClient;
}

/** Above the longest request timeout an online deployment accepts (180 s), so the endpoint's own 408 comes through. */
export const DEFAULT_SCORING_TIMEOUT_MS = 190_000;

export const DEPLOYMENT_HEADER = 'azureml-model-deployment';

const sharedClient = createDefaultHttpClient();
// No retry policy on purpose: a health check must see every failure. Proxy settings come from the environment, as for ARM calls.
const pipeline: Pipeline = createEmptyPipeline();
pipeline.addPolicy(proxyPolicy());

/**
 * POSTs one request body to the deployment, once. An HTTP error status is a response, not an exception;
 * a network failure or timeout is a response with status 0 and `error`. Only the caller's abort rejects.
 */
export async function score(target: ScoringTarget, body: string | Buffer, options: ScoreOptions = {}): Promise<ScoringResponse> {
  const now = options.now ?? (() => performance.now());
  const { signal } = options;
  if (signal?.aborted) throw abortError();
  // Online endpoints answer on https; the key or token is never sent over plain http.
  if (target.scoringUri.toLowerCase().startsWith('http:')) {
    return { status: 0, body: '', latencyMs: 0, error: `the scoring URI ${target.scoringUri} is plain http, over which the key is not sent` };
  }
  const authorization = await target.authorization();
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCORING_TIMEOUT_MS;

  // Our own controller rather than request.timeout: the SDK reports both a timeout and an abort as AbortError.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });

  const request = createPipelineRequest({
    url: target.scoringUri,
    method: 'POST',
    abortSignal: controller.signal,
    headers: createHttpHeaders({
      Authorization: authorization,
      'Content-Type': options.contentType ?? 'application/json',
      [DEPLOYMENT_HEADER]: target.deployment,
    }),
    body,
  });

  const started = now();
  try {
    const response = await pipeline.sendRequest(options.httpClient ?? sharedClient, request);
    return {
      status: response.status,
      body: redact(response.bodyAsText ?? '', authorization),
      latencyMs: Math.max(0, now() - started),
      answeredBy: response.headers.get(DEPLOYMENT_HEADER) || undefined,
    };
  } catch (e) {
    if (signal?.aborted) throw abortError();
    const latencyMs = Math.max(0, now() - started);
    const error = timedOut ? `no answer within ${formatSeconds(timeoutMs)}` : describeNetworkError(e);
    return { status: 0, body: '', latencyMs, error: redact(error, authorization) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function describeNetworkError(e: unknown): string {
  const code = (e as { code?: string } | undefined)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Removes the Authorization value, and the token in it, from text that may be logged. */
export function redact(text: string, authorization: string): string {
  const secrets = [authorization, authorization.replace(/^\S+\s+/, '')].filter((s) => s.trim().length >= 4);
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
