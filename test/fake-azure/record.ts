import { appendFileSync, mkdirSync } from 'fs';
import { dirname } from 'path';
import type { FaultKind } from './faults';

/** Which service a request was for. */
export type RequestKind = 'entra' | 'ado' | 'imds' | 'arm' | 'data';

export interface RecordedRequest {
  /** ISO time the request arrived. */
  time: string;
  kind: RequestKind;
  method: string;
  /** Full URL, with signature-like query values (SAS `sig`, ...) redacted. */
  url: string;
  path: string;
  apiVersion?: string;
  /** HTTP status answered; 0 when the connection was dropped instead (a `reset` fault). */
  status: number;
  fault?: FaultKind;
  /** The JSON request body, for ARM and data-plane requests only: identity requests carry secrets. */
  body?: unknown;
}

/** Query parameters whose values are credentials (SAS signatures, keys) and must never be written down. */
const SECRET_QUERY_PARAMS = ['sig', 'code', 'client_secret', 'access_token', 'token'];

export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  for (const name of [...copy.searchParams.keys()]) {
    if (SECRET_QUERY_PARAMS.includes(name.toLowerCase())) copy.searchParams.set(name, 'REDACTED');
  }
  return copy.href;
}

/** Body members that are credentials: a job webhook's AuthToken (the pipeline's System.AccessToken). */
const SECRET_BODY_MEMBERS = ['authtoken'];

/** A copy of a JSON body with credential members replaced by REDACTED, at any depth. */
export function redactBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactBody);
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, SECRET_BODY_MEMBERS.includes(k.toLowerCase()) ? 'REDACTED' : redactBody(v)]));
}

/** Keeps every request in memory and, when given a file, appends it there as one JSON line. */
export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];

  constructor(readonly file: string | undefined) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  record(entry: RecordedRequest): void {
    this.requests.push(entry);
    // Synchronous append keeps lines whole and in arrival order, which is what an audit reads.
    if (this.file) appendFileSync(this.file, JSON.stringify(entry) + '\n');
  }

  clear(): void {
    this.requests.length = 0;
  }
}
