import https = require('https');
import type { IncomingHttpHeaders, IncomingMessage, RequestOptions, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import * as sinon from 'sinon';
import { generate } from 'selfsigned';

export interface SeenRequest {
  method: string;
  /** The host the client meant to reach, before it was routed to the local server. */
  host: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  body?: unknown;
}

export type Route = (req: SeenRequest, baseUrl: string) => Answer | undefined;

/** A self-signed certificate (and key) for 127.0.0.1, valid for a day. */
export async function localCertificate(): Promise<{ cert: string; key: string }> {
  const day = 24 * 3600 * 1000;
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - day),
    notAfterDate: new Date(Date.now() + day),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * An HTTPS server on 127.0.0.1 that records every request and answers from `route` (400 when it has no answer).
 * While started, every HTTPS request of this process is sent to it: the SDK clients under test create their own
 * agents and Node 20 reads extra CAs only at start-up, so the test trusts its certificate per request instead;
 * a request for any other host is routed here too and recorded under the host it was meant for, so nothing leaves the machine.
 */
export class LocalHttps {
  readonly seen: SeenRequest[] = [];
  route: Route = () => undefined;
  private server?: https.Server;
  private stub?: sinon.SinonStub;

  constructor(private readonly tls: { cert: string; key: string }) {}

  get baseUrl(): string {
    return `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = https.createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    const original = https.request.bind(https) as (options: RequestOptions, cb?: (res: IncomingMessage) => void) => ReturnType<typeof https.request>;
    this.stub = sinon.stub(https, 'request').callsFake(((options: RequestOptions & { ca?: string }, cb?: (res: IncomingMessage) => void) => {
      const host = String(options.hostname ?? options.host);
      const local = host === '127.0.0.1' && Number(options.port) === port;
      const routed: https.RequestOptions = { ...options, ca: this.tls.cert, headers: { ...options.headers, 'x-original-host': host } };
      if (!local) Object.assign(routed, { hostname: '127.0.0.1', host: undefined, port, servername: undefined, checkServerIdentity: () => undefined });
      return original(routed, cb);
    }) as unknown as typeof https.request);
  }

  async stop(): Promise<void> {
    this.stub?.restore();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        host: String(req.headers['x-original-host'] ?? ''),
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.seen.push(seen);
      const answer = this.route(seen, this.baseUrl) ?? { status: 400, body: { error: 'invalid_request', error_description: `unexpected ${seen.method} ${seen.host}${seen.path}` } };
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { 'Content-Type': typeof answer.body === 'string' ? 'text/html' : 'application/json' });
      res.end(text);
    });
  }
}

/** Entra ID's OpenID discovery document for a tenant served at `${baseUrl}/${tenant}`, as MSAL reads it. */
export function openIdConfiguration(baseUrl: string, tenant: string): Answer {
  const base = `${baseUrl}/${tenant}`;
  return {
    status: 200,
    body: {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      issuer: `${base}/v2.0`,
    },
  };
}
