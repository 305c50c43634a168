import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { createServer as createHttpsServer } from 'https';
import type { AddressInfo } from 'net';
import { armError, type FakeRequest, type FakeResponse } from './http';
import { newGuid } from './jwt';

/** What a dispatcher decides: an answer, or dropping the connection without one. */
export type Outcome = FakeResponse | 'reset';
export type Dispatch = (req: FakeRequest) => Promise<Outcome>;

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** HTTPS when given; plain HTTP otherwise (IMDS is plain HTTP on a real VM too). */
  tls?: { cert: string; key: string };
  /** 0 (default) picks a free port. */
  port?: number;
  dispatch: Dispatch;
}

export function isJsonContent(headers: IncomingHttpHeaders): boolean {
  return /[/+]json\b/i.test(headers['content-type'] ?? '');
}

/** Listens on 127.0.0.1 only: nothing outside this machine should ever reach the fake. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const scheme = opts.tls ? 'https' : 'http';
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res, scheme, opts.dispatch);
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, scheme: string, dispatch: Dispatch): Promise<void> {
  let outcome: Outcome;
  try {
    const fakeRequest = await readRequest(req, scheme);
    outcome = await dispatch(fakeRequest);
  } catch (e) {
    // A bug in the fake must show up as a loud 500, not a hung test.
    console.error('fake-azure: handler failed', e);
    outcome = armError(500, 'InternalServerError', `The fake failed to handle the request: ${(e as Error).message}`);
  }
  if (outcome === 'reset') {
    req.socket.destroy();
    return;
  }
  send(res, outcome);
}

async function readRequest(req: IncomingMessage, scheme: string): Promise<FakeRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bodyText = Buffer.concat(chunks).toString('utf8');
  const host = req.headers.host ?? `127.0.0.1:${req.socket.localPort}`;
  const url = new URL(req.url ?? '/', `${scheme}://${host}`);
  let json: unknown;
  if (bodyText && isJsonContent(req.headers)) {
    try {
      json = JSON.parse(bodyText);
    } catch {
      json = undefined; // the front door answers 400 for a JSON content type with an unparsable body
    }
  }
  return { method: (req.method ?? 'GET').toUpperCase(), url, headers: req.headers, bodyText, json };
}

function send(res: ServerResponse, r: FakeResponse): void {
  const headers: Record<string, string> = { 'x-ms-request-id': newGuid(), ...(r.headers ?? {}) };
  const hasHeader = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  let payload: string | Buffer | undefined;
  if (r.body === undefined || r.body === null) {
    payload = undefined;
  } else if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) {
    payload = r.body;
    if (!hasHeader('content-type')) headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(r.body);
    if (!hasHeader('content-type')) headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(r.status, headers);
  res.end(payload);
}
