import * as http from 'http';
import type { AddressInfo } from 'net';
import type { ScoringTarget } from '../../../src/deploy/scoring';

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

/**
 * An online endpoint's scoring route on 127.0.0.1 that, like Azure ML, answers 401 without the right key and
 * 404 for a deployment it does not have, then lets `handler` answer.
 */
export async function startScoringServer(handler: Handler = () => ({ body: { predictions: [1] } })): Promise<ScoringServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
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
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
  return {
    uri,
    received,
    target: (overrides = {}) => ({ scoringUri: uri, deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}`, ...overrides }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
