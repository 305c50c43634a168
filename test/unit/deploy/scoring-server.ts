import https = require('https');
import type { IncomingMessage } from 'http';
import type { AddressInfo } from 'net';
import * as sinon from 'sinon';
import type { ScoringTarget } from '../../../src/deploy/scoring';
import { localCertificate } from '../auth/local-https';

export const TOKEN = 'eyJ0eXAiOiJKV1QiLCJzZWNyZXQiOiJkby1ub3Qtc2hvdyJ9.c2lnbmF0dXJl';
export const DEPLOYMENT = 'green';

export interface Received {
  body: string;
  contentType?: string;
  deployment?: string;
  authorization?: string;
}

export interface Answer {
  status?: number;
  body?: string | object;
  /** Defaults to the deployment the request asked for. */
  answeredBy?: string;
  /** Close the socket without answering. */
  drop?: boolean;
  /** Never answer (until the server closes). */
  hang?: boolean;
}

/** What the endpoint does with request number `index` (from 0) once its headers are checked. */
export type Handler = (received: Received, index: number) => Answer | Promise<Answer>;

export interface ScoringServer {
  uri: string;
  received: Received[];
  target(overrides?: Partial<ScoringTarget>): ScoringTarget;
  close(): Promise<void>;
}

/** One certificate for every server of the process: making a key pair takes a while. */
let certificate: Promise<{ cert: string; key: string }> | undefined;

/** Ports of the servers now open; while there is one, HTTPS requests to them trust the test certificate. */
const open = new Set<number>();
let trust: sinon.SinonStub | undefined;

/**
 * The scoring client trusts only real CAs (Node 20 reads extra ones at start-up only), so while a server runs,
 * HTTPS requests to its port carry its certificate as the CA, as local-https.ts does for the auth tests.
 */
function trustWhileOpen(port: number, cert: string): void {
  open.add(port);
  if (trust) return;
  const original = https.request.bind(https) as (options: https.RequestOptions, cb?: (res: IncomingMessage) => void) => ReturnType<typeof https.request>;
  trust = sinon.stub(https, 'request').callsFake(((options: https.RequestOptions, cb?: (res: IncomingMessage) => void) => {
    const local = String(options.hostname ?? options.host) === '127.0.0.1' && open.has(Number(options.port));
    return original(local ? { ...options, ca: cert } : options, cb);
  }) as unknown as typeof https.request);
}

function untrust(port: number): void {
  open.delete(port);
  if (open.size === 0) {
    trust?.restore();
    trust = undefined;
  }
}

/**
 * An online endpoint's scoring route on 127.0.0.1 (HTTPS, as Azure ML serves it) that, like Azure ML, answers 401
 * without the right key and 404 for a deployment it does not have, then lets `handler` answer.
 */
export async function startScoringServer(handler: Handler = () => ({ body: { predictions: [1] } })): Promise<ScoringServer> {
  const received: Received[] = [];
  certificate ??= localCertificate();
  const tls = await certificate;
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: Received = {
        body: Buffer.concat(chunks).toString('utf8'),
        contentType: req.headers['content-type'],
        deployment: req.headers['azureml-model-deployment'] as string | undefined,
        authorization: req.headers.authorization,
      };
      const index = received.push(r) - 1;
      if (req.method !== 'POST' || req.url !== '/score') return void res.writeHead(405).end();
      if (r.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end('key_auth_access_denied');
      if (r.deployment !== DEPLOYMENT) return void res.writeHead(404).end(`No deployment '${r.deployment}'`);
      const answer = await handler(r, index);
      if (answer.hang) return;
      if (answer.drop) return void req.socket.destroy();
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null);
      res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json', 'azureml-model-deployment': answer.answeredBy ?? r.deployment });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  trustWhileOpen(port, tls.cert);
  const uri = `https://127.0.0.1:${port}/score`;
  return {
    uri,
    received,
    target: (overrides = {}) => ({ scoringUri: uri, deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}`, ...overrides }),
    close: () =>
      new Promise<void>((resolve) => {
        untrust(port);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
