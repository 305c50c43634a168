import type { IncomingHttpHeaders } from 'http';

/** A request as the fake's handlers see it: body already read, JSON parsed when it is JSON. */
export interface FakeRequest {
  method: string;
  /** Full URL as received (https://localhost:<port>/...). */
  url: URL;
  headers: IncomingHttpHeaders;
  bodyText: string;
  /** Parsed body when the content is JSON; undefined otherwise (or when the body is empty). */
  json?: unknown;
}

/** What a handler answers. An object or array body is sent as JSON; a string as is. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The caller of an ARM or data-plane request, taken from its verified bearer token. */
export interface Principal {
  /** Application (client) id or managed identity client id the token was issued to. */
  appId: string;
  /** Object id of the principal. */
  objectId: string;
  tenantId: string;
  /** Audience the token was issued for, e.g. https://management.azure.com */
  audience: string;
}

/** Returns undefined when the request is not for this handler. */
export type Handler = (req: FakeRequest) => Promise<FakeResponse | undefined>;

/** An ARM error body as Azure Resource Manager sends it. */
export function armError(status: number, code: string, message: string, headers?: Record<string, string>): FakeResponse {
  return { status, headers, body: { error: { code, message } } };
}
