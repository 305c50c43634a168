import * as assert from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { RestError } from '@azure/core-rest-pipeline';
import { redact, score } from '../../../src/deploy/scoring';
import { DEPLOYMENT, startScoringServer, TOKEN, type ScoringServer } from './scoring-server';

/** A clock that returns the given readings in turn. */
function clock(...readings: number[]): () => number {
  let i = 0;
  return () => readings[Math.min(i++, readings.length - 1)];
}

describe('score', () => {
  let server: ScoringServer;
  afterEach(async () => server?.close());

  it('posts the body to the scoring URI with the key and the deployment header, and returns the answer', async () => {
    server = await startScoringServer(() => ({ body: { predictions: [42] } }));
    const r = await score(server.target(), '{"data":[[1,2]]}');
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(JSON.parse(r.body), { predictions: [42] });
    assert.strictEqual(r.answeredBy, DEPLOYMENT);
    assert.strictEqual(r.error, undefined);
    assert.deepStrictEqual(server.received, [{ body: '{"data":[[1,2]]}', contentType: 'application/json', deployment: DEPLOYMENT, authorization: `Bearer ${TOKEN}` }]);
  });

  it('sends a Buffer body with the content type asked for', async () => {
    server = await startScoringServer(() => ({ body: 'ok' }));
    await score(server.target(), Buffer.from('a,b\n1,2\n'), { contentType: 'text/csv' });
    assert.strictEqual(server.received[0].body, 'a,b\n1,2\n');
    assert.strictEqual(server.received[0].contentType, 'text/csv');
  });

  it('asks for the authorization before each request, so a renewed token is used', async () => {
    server = await startScoringServer();
    let asked = 0;
    const target = server.target({ authorization: async () => (asked++, `Bearer ${TOKEN}`) });
    await score(target, '{}');
    await score(target, '{}');
    assert.strictEqual(asked, 2);
  });

  it('returns an error status as an answer and does not retry it', async () => {
    server = await startScoringServer(() => ({ status: 503, body: 'upstream busy' }));
    const r = await score(server.target(), '{}');
    assert.strictEqual(r.status, 503);
    assert.strictEqual(r.body, 'upstream busy');
    assert.strictEqual(server.received.length, 1);
  });

  it('returns the 401 of a wrong key and the 404 of an unknown deployment as answers', async () => {
    server = await startScoringServer();
    assert.strictEqual((await score(server.target({ authorization: async () => 'Bearer wrong' }), '{}')).status, 401);
    assert.strictEqual((await score(server.target({ deployment: 'blue' }), '{}')).status, 404);
  });

  it('measures the latency with the clock it is given', async () => {
    server = await startScoringServer();
    const r = await score(server.target(), '{}', { now: clock(1000, 1250) });
    assert.strictEqual(r.latencyMs, 250);
  });

  it('reports a dropped connection as status 0 with the network error', async () => {
    server = await startScoringServer(() => ({ drop: true }));
    const r = await score(server.target(), '{}');
    assert.strictEqual(r.status, 0);
    assert.ok(r.error, 'an error is reported');
    assert.strictEqual(server.received.length, 1);
  });

  it('reports a refused connection as status 0 naming the error code', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await score({ scoringUri: `https://127.0.0.1:${port}/score`, deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}` }, '{}');
    assert.strictEqual(r.status, 0);
    assert.match(r.error!, /ECONNREFUSED/);
  });

  it('gives up on an endpoint that does not answer within the timeout', async () => {
    server = await startScoringServer(() => ({ hang: true }));
    const r = await score(server.target(), '{}', { timeoutMs: 300 });
    assert.strictEqual(r.status, 0);
    assert.strictEqual(r.error, 'no answer within 300 ms');
  });

  it('rejects with an AbortError when aborted while waiting for the answer', async () => {
    let arrived!: () => void;
    const waiting = new Promise<void>((resolve) => (arrived = resolve));
    server = await startScoringServer(() => (arrived(), { hang: true }));
    const controller = new AbortController();
    const pending = score(server.target(), '{}', { signal: controller.signal });
    await waiting;
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError', message: 'The operation was aborted.' });
  });

  it('sends nothing when already aborted', async () => {
    server = await startScoringServer();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(score(server.target(), '{}', { signal: controller.signal }), { name: 'AbortError' });
    assert.strictEqual(server.received.length, 0);
  });

  it('refuses plain http, so the key never travels unencrypted', async () => {
    let sent = false;
    const client: HttpClient = { sendRequest: async () => ((sent = true), Promise.reject(new Error('not reached'))) };
    const r = await score({ scoringUri: 'http://example.invalid/score', deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}` }, '{}', { httpClient: client });
    assert.strictEqual(r.status, 0);
    assert.strictEqual(r.error, 'the scoring URI http://example.invalid/score is plain http, over which the key is not sent');
    assert.strictEqual(sent, false);
  });

  it('never puts the authorization in an error, even when the HTTP client quotes the request', async () => {
    const leaky: HttpClient = {
      sendRequest: async (request) => {
        throw new RestError(`socket hang up sending ${JSON.stringify(request.headers.toJSON())}`, { code: 'ECONNRESET' });
      },
    };
    const r = await score({ scoringUri: 'https://127.0.0.1:9/score', deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}` }, '{}', { httpClient: leaky });
    assert.strictEqual(r.status, 0);
    assert.match(r.error!, /socket hang up/);
    assert.ok(!r.error!.includes(TOKEN), r.error);
  });

  it('never returns the token in a body that echoes the request', async () => {
    server = await startScoringServer((received) => ({ status: 500, body: `bad request, headers: ${received.authorization}` }));
    const r = await score(server.target(), '{}');
    assert.ok(!r.body.includes(TOKEN), r.body);
    assert.match(r.body, /bad request/);
  });
});

describe('redact', () => {
  it('hides the whole header value and the token alone', () => {
    assert.strictEqual(redact(`a Bearer ${TOKEN} b ${TOKEN}`, `Bearer ${TOKEN}`), 'a *** b ***');
  });
});
