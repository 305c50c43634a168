import * as assert from 'assert';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import { checkHealth, describeHealth, percentile, type HealthResult } from '../../../src/deploy/health';
import { healthSummary } from '../../../src/deploy/probe-report';
import { DEPLOYMENT, startScoringServer, TOKEN, type ScoringServer } from './scoring-server';

/** A clock for sequential requests: each request starts at 0 and ends after the next of `latencies`. */
function sequentialClock(latencies: number[]): () => number {
  const readings = latencies.flatMap((l) => [0, l]);
  let i = 0;
  return () => readings[i++];
}

describe('checkHealth', () => {
  let server: ScoringServer;
  afterEach(async () => server?.close());

  it('sends 20 requests by default to the deployment, cycling through the bodies', async () => {
    server = await startScoringServer();
    const result = await checkHealth(server.target(), ['a', 'b', 'c']);
    assert.strictEqual(result.requests, 20);
    assert.strictEqual(server.received.length, 20);
    const counts: Record<string, number> = {};
    for (const r of server.received) counts[r.body] = (counts[r.body] ?? 0) + 1;
    assert.deepStrictEqual(counts, { a: 7, b: 7, c: 6 });
    assert.ok(server.received.every((r) => r.deployment === DEPLOYMENT && r.authorization === `Bearer ${TOKEN}`));
    assert.strictEqual(result.errors, 0);
    assert.strictEqual(result.passed, true);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const client: HttpClient = {
      sendRequest: async (request) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: '{}' };
      },
    };
    const target = { scoringUri: 'https://endpoint.example/score', deployment: DEPLOYMENT, authorization: async () => `Bearer ${TOKEN}` };
    await checkHealth(target, ['{}'], { requests: 12, httpClient: client });
    assert.strictEqual(most, 4);
    most = 0;
    await checkHealth(target, ['{}'], { requests: 12, concurrency: 3, httpClient: client });
    assert.strictEqual(most, 3);
  });

  it('passes with an error rate exactly at the limit: 1 failure in 20 at 5 %', async () => {
    server = await startScoringServer((_r, i) => (i === 7 ? { status: 500, body: 'boom' } : { body: {} }));
    const result = await checkHealth(server.target(), ['{}'], { maxErrorRate: 0.05 });
    assert.strictEqual(result.errors, 1);
    assert.strictEqual(result.errorRate, 0.05);
    assert.strictEqual(result.passed, true);
    assert.deepStrictEqual(result.reasons, []);
  });

  it('passes at a limit that is not exact in floating point: 29 failures in 100 at 29 %', async () => {
    server = await startScoringServer((_r, i) => (i < 29 ? { status: 502 } : { body: {} }));
    const result = await checkHealth(server.target(), ['{}'], { requests: 100, concurrency: 8, maxErrorRate: 29 / 100 });
    assert.strictEqual(result.errors, 29);
    assert.strictEqual(result.passed, true);
  });

  it('fails with an error rate above the limit: 2 failures in 20 at 5 %', async () => {
    server = await startScoringServer((_r, i) => (i === 3 || i === 11 ? { status: 503, body: 'no capacity' } : { body: {} }));
    const result = await checkHealth(server.target(), ['{}']);
    assert.strictEqual(result.errors, 2);
    assert.strictEqual(result.errorRate, 0.1);
    assert.strictEqual(result.passed, false);
    assert.deepStrictEqual(result.reasons, ['2 of 20 requests failed (10 %), more than the 5 % allowed']);
  });

  it('counts unanswered requests as errors and lists the distinct errors with their counts', async () => {
    server = await startScoringServer((_r, i) => (i < 2 ? { status: 503, body: 'no\n capacity' } : i === 2 ? { status: 500, body: '' } : i === 3 ? { drop: true } : { body: {} }));
    const result = await checkHealth(server.target(), ['{}'], { requests: 10, concurrency: 1 });
    assert.strictEqual(result.errors, 4);
    assert.deepStrictEqual(
      result.errorKinds.map((k) => [k.status, k.status === 0 ? 'network error' : k.message, k.count]),
      [
        [503, 'HTTP 503: no capacity', 2],
        [500, 'HTTP 500', 1],
        [0, 'network error', 1],
      ],
    );
    assert.ok(result.errorKinds[2].message.length > 0);
  });

  it('keeps only the first five kinds of error', async () => {
    server = await startScoringServer((_r, i) => ({ status: 500, body: `error ${i}` }));
    const result = await checkHealth(server.target(), ['{}'], { requests: 8, concurrency: 1 });
    assert.deepStrictEqual(result.errorKinds.map((k) => k.message), ['HTTP 500: error 0', 'HTTP 500: error 1', 'HTTP 500: error 2', 'HTTP 500: error 3', 'HTTP 500: error 4']);
  });

  it('reports p50, p95 and max latency by nearest rank', async () => {
    server = await startScoringServer();
    const latencies = Array.from({ length: 20 }, (_, i) => (i + 1) * 10).reverse();
    const result = await checkHealth(server.target(), ['{}'], { concurrency: 1, now: sequentialClock(latencies) });
    assert.deepStrictEqual([result.p50Ms, result.p95Ms, result.maxMs], [100, 190, 200]);
  });

  it('passes with the 95th percentile latency at the limit and fails above it', async () => {
    server = await startScoringServer();
    const latencies = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    const at = await checkHealth(server.target(), ['{}'], { concurrency: 1, maxLatencyMs: 190, now: sequentialClock(latencies) });
    assert.strictEqual(at.passed, true);
    const above = await checkHealth(server.target(), ['{}'], { concurrency: 1, maxLatencyMs: 189, now: sequentialClock(latencies) });
    assert.strictEqual(above.passed, false);
    assert.deepStrictEqual(above.reasons, ['the 95th percentile latency was 190 ms, above the 189 ms allowed']);
  });

  it('ignores latency when no limit is set', async () => {
    server = await startScoringServer();
    const result = await checkHealth(server.target(), ['{}'], { requests: 2, concurrency: 1, now: sequentialClock([60_000, 90_000]) });
    assert.strictEqual(result.passed, true);
  });

  it('stops sending and rejects with an AbortError when aborted', async () => {
    const controller = new AbortController();
    server = await startScoringServer((_r, i) => {
      if (i === 1) controller.abort();
      return { hang: true };
    });
    await assert.rejects(checkHealth(server.target(), ['{}'], { concurrency: 2, signal: controller.signal }), { name: 'AbortError', message: 'The operation was aborted.' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.strictEqual(server.received.length, 2);
  });

  it('sends nothing when already aborted', async () => {
    server = await startScoringServer();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(checkHealth(server.target(), ['{}'], { signal: controller.signal }), { name: 'AbortError' });
    assert.strictEqual(server.received.length, 0);
  });

  it('never shows the authorization, even when the endpoint echoes it in its errors', async () => {
    server = await startScoringServer((r) => ({ status: 401, body: `rejected ${r.authorization}` }));
    const result = await checkHealth(server.target(), ['{}'], { requests: 2 });
    const shown = [JSON.stringify(result), describeHealth(result), healthSummary(result).toMarkdown()].join('\n');
    assert.ok(!shown.includes(TOKEN), shown);
    assert.match(shown, /rejected/);
  });
});

describe('percentile', () => {
  it('takes the smallest value with at least that share of values at or below it', () => {
    assert.strictEqual(percentile([1, 2, 3, 4], 0.5), 2);
    assert.strictEqual(percentile([1, 2, 3, 4], 0.95), 4);
    assert.strictEqual(percentile([7], 0.95), 7);
    assert.strictEqual(percentile([], 0.5), 0);
  });
});

describe('health rendering', () => {
  const result: HealthResult = {
    deployment: 'green',
    requests: 20,
    errors: 2,
    errorRate: 0.1,
    maxErrorRate: 0.05,
    p50Ms: 120,
    p95Ms: 300,
    maxMs: 310,
    maxLatencyMs: 250,
    passed: false,
    reasons: ['2 of 20 requests failed (10 %), more than the 5 % allowed', 'the 95th percentile latency was 300 ms, above the 250 ms allowed'],
    errorKinds: [{ status: 503, message: 'HTTP 503: no capacity', count: 2 }],
  };

  it('says everything in one log line', () => {
    assert.strictEqual(
      describeHealth(result),
      "Health of deployment 'green': 2 of 20 requests failed (10 %, limit 5 %); latency p50 120 ms, p95 300 ms, max 310 ms (p95 limit 250 ms): failed.",
    );
  });

  it('renders the figures, why it failed and the errors for the run summary', () => {
    assert.strictEqual(
      healthSummary(result, undefined, 'at 10 % traffic').toMarkdown(),
      [
        '#### Health of deployment green at 10 % traffic: failed',
        '',
        '|  |  |\n| --- | --- |',
        '| Requests | 20 |',
        '| Failed | 2 (10 %; at most 5 % allowed) |',
        '| Latency p50 | 120 ms |',
        '| Latency p95 | 300 ms (at most 250 ms allowed) |',
        '| Latency max | 310 ms |',
        '| Why it failed | 2 of 20 requests failed (10 %), more than the 5 % allowed<br>the 95th percentile latency was 300 ms, above the 250 ms allowed |',
        '',
        '| Status | Error | Count |\n| --- | --- | --- |\n| 503 | HTTP 503: no capacity | 2 |',
        '',
      ].join('\n'),
    );
  });
});
