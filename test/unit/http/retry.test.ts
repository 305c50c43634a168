import * as assert from 'assert';
import * as sinon from 'sinon';
import {
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type PipelineRequest,
  type PipelineResponse,
  type RawHttpHeadersInput,
} from '@azure/core-rest-pipeline';
import { isTransientError, retryAfterMs, transientRetryPolicy, type RetryOptions } from '../../../src/http/retry';

function request(abortSignal?: AbortSignal): PipelineRequest {
  return createPipelineRequest({ url: 'https://management.azure.com/subscriptions/s', method: 'GET', abortSignal });
}

function response(status: number, headers: RawHttpHeadersInput = {}, bodyAsText = ''): PipelineResponse {
  return { request: request(), status, headers: createHttpHeaders(headers), bodyAsText };
}

function socketError(code: string): RestError {
  return new RestError(`socket failure ${code}`, { code });
}

type Outcome = PipelineResponse | Error;

/** Sends through the policy; `next` plays the outcomes in order and repeats the last one. */
function send(outcomes: Outcome[], options: RetryOptions = {}, req: PipelineRequest = request()) {
  const delays: number[] = [];
  const signals: Array<AbortSignal | undefined> = [];
  let calls = 0;
  const policy = transientRetryPolicy({
    sleep: async (ms, signal) => {
      delays.push(ms);
      signals.push(signal);
    },
    random: () => 0.5,
    ...options,
  });
  const next = async () => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  const run = policy.sendRequest(req, next);
  return { run, delays, signals, calls: () => calls };
}

describe('transientRetryPolicy', () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    it(`retries an HTTP ${status} answer and returns the success that follows`, async () => {
      const s = send([response(status), response(200)]);
      assert.strictEqual((await s.run).status, 200);
      assert.strictEqual(s.calls(), 2);
    });
  }

  for (const status of [400, 401, 403, 404, 409]) {
    it(`returns an HTTP ${status} answer at once, without retrying`, async () => {
      const s = send([response(status), response(200)]);
      assert.strictEqual((await s.run).status, status);
      assert.strictEqual(s.calls(), 1);
      assert.deepStrictEqual(s.delays, []);
    });
  }

  it('returns a success without sleeping', async () => {
    const s = send([response(200)]);
    assert.strictEqual((await s.run).status, 200);
    assert.deepStrictEqual(s.delays, []);
  });

  for (const code of ['ECONNRESET', 'REQUEST_SEND_ERROR']) {
    it(`retries a RestError with code ${code} (a dropped connection)`, async () => {
      const s = send([socketError(code), response(200)]);
      assert.strictEqual((await s.run).status, 200);
      assert.strictEqual(s.calls(), 2);
    });
  }

  it('retries a plain error with code ECONNRESET', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const s = send([reset, response(200)]);
    assert.strictEqual((await s.run).status, 200);
    assert.strictEqual(s.calls(), 2);
  });

  it('throws an error that is not transient at once, such as a host name that does not exist', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
    const s = send([notFound, response(200)]);
    await assert.rejects(s.run, (e) => e === notFound);
    assert.strictEqual(s.calls(), 1);
  });

  it('never waits longer than maxDelayMs, whatever Retry-After asks', async () => {
    const s = send([response(429, { 'Retry-After': '3600' }), response(200)], { maxDelayMs: 30_000 });
    await s.run;
    assert.deepStrictEqual(s.delays, [30_000]);
  });

  it('waits the number of seconds a Retry-After header names', async () => {
    const s = send([response(429, { 'Retry-After': '7' }), response(200)]);
    await s.run;
    assert.deepStrictEqual(s.delays, [7000]);
  });

  it('waits until the HTTP date a Retry-After header names', async () => {
    const clock = sinon.useFakeTimers({ now: Date.parse('2024-05-01T10:00:00Z'), toFake: ['Date'] });
    try {
      const s = send([response(503, { 'Retry-After': 'Wed, 01 May 2024 10:00:30 GMT' }), response(200)]);
      await s.run;
      assert.deepStrictEqual(s.delays, [30_000]);
    } finally {
      clock.restore();
    }
  });

  it('waits the milliseconds of retry-after-ms rather than Retry-After', async () => {
    const s = send([response(429, { 'retry-after-ms': '250', 'Retry-After': '7' }), response(200)]);
    await s.run;
    assert.deepStrictEqual(s.delays, [250]);
  });

  it('waits the milliseconds of x-ms-retry-after-ms', async () => {
    const s = send([response(429, { 'x-ms-retry-after-ms': '1500' }), response(200)]);
    await s.run;
    assert.deepStrictEqual(s.delays, [1500]);
  });

  it('honours Retry-After on the response of a thrown RestError', async () => {
    const throttled = new RestError('Too many requests', { statusCode: 429, response: response(429, { 'Retry-After': '3' }) });
    const s = send([throttled, response(200)]);
    assert.strictEqual((await s.run).status, 200);
    assert.deepStrictEqual(s.delays, [3000]);
  });

  it('backs off exponentially from baseDelayMs when the service names no delay', async () => {
    const s = send([response(503), response(503), response(503), response(503), response(200)], { baseDelayMs: 100 });
    await s.run;
    assert.deepStrictEqual(s.delays, [100, 200, 400, 800]);
  });

  it('spreads each back-off by up to 20% either way with jitter', async () => {
    const low = send([response(503), response(503), response(200)], { baseDelayMs: 1000, random: () => 0 });
    await low.run;
    const high = send([response(503), response(503), response(200)], { baseDelayMs: 1000, random: () => 1 });
    await high.run;
    assert.deepStrictEqual(low.delays.map(Math.round), [800, 1600]);
    assert.deepStrictEqual(high.delays.map(Math.round), [1200, 2400]);
  });

  it('starts at 800 ms by default', async () => {
    const s = send([response(500), response(200)]);
    await s.run;
    assert.deepStrictEqual(s.delays, [800]);
  });

  it('never waits longer than maxDelayMs between attempts', async () => {
    const s = send([response(503)], { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 5000 });
    await s.run;
    assert.deepStrictEqual(s.delays, [1000, 2000, 4000, 5000, 5000]);
  });

  it('gives up after maxRetries and returns the last response', async () => {
    const last = response(503, { 'x-attempt': 'last' });
    const s = send([response(503), response(503), last], { maxRetries: 2 });
    assert.strictEqual(await s.run, last);
    assert.strictEqual(s.calls(), 3);
    assert.strictEqual(s.delays.length, 2);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const first = socketError('ECONNRESET');
    const last = socketError('ECONNRESET');
    const s = send([first, last], { maxRetries: 1 });
    await assert.rejects(s.run, (e) => e === last);
    assert.strictEqual(s.calls(), 2);
  });

  it('tries seven times in all by default', async () => {
    const s = send([response(503)]);
    assert.strictEqual((await s.run).status, 503);
    assert.strictEqual(s.calls(), 7);
  });

  it('hands the request abort signal to sleep, so aborting cuts a back-off short', async () => {
    const controller = new AbortController();
    const s = send([response(503), response(200)], {}, request(controller.signal));
    await s.run;
    assert.strictEqual(s.signals[0], controller.signal);
  });

  it('throws a transient error without retrying once the request is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const s = send([socketError('ECONNRESET'), response(200)], {}, request(controller.signal));
    await assert.rejects(s.run, RestError);
    assert.strictEqual(s.calls(), 1);
    assert.deepStrictEqual(s.delays, []);
  });

  describe('with its own sleep', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers();
    });
    afterEach(() => clock.restore());

    it('rejects with AbortError when the request is aborted during a back-off', async () => {
      const controller = new AbortController();
      let calls = 0;
      const policy = transientRetryPolicy({ random: () => 0.5 });
      const run = policy.sendRequest(request(controller.signal), async () => {
        calls++;
        return response(503);
      });
      const outcome = run.then(
        () => 'resolved',
        (e: Error) => e.name,
      );
      await clock.tickAsync(400);
      controller.abort();
      await clock.tickAsync(0);
      assert.strictEqual(await outcome, 'AbortError');
      assert.strictEqual(calls, 1);
    });

    it('waits out the back-off on the clock before trying again', async () => {
      let calls = 0;
      const policy = transientRetryPolicy({ random: () => 0.5 });
      const run = policy.sendRequest(request(), async () => (calls++ === 0 ? response(503) : response(200)));
      await clock.tickAsync(799);
      assert.strictEqual(calls, 1);
      await clock.tickAsync(1);
      assert.strictEqual((await run).status, 200);
      assert.strictEqual(calls, 2);
    });
  });
});

describe('retryAfterMs', () => {
  const now = () => Date.parse('2024-05-01T10:00:00Z');

  it('is undefined without a response', () => {
    assert.strictEqual(retryAfterMs(undefined), undefined);
  });

  it('is undefined when the response names no delay', () => {
    assert.strictEqual(retryAfterMs(response(503)), undefined);
  });

  it('reads Retry-After in seconds, fractions included', () => {
    assert.strictEqual(retryAfterMs(response(429, { 'Retry-After': '120' })), 120_000);
    assert.strictEqual(retryAfterMs(response(429, { 'Retry-After': '1.5' })), 1500);
  });

  it('reads Retry-After as an HTTP date, relative to now', () => {
    assert.strictEqual(retryAfterMs(response(503, { 'Retry-After': 'Wed, 01 May 2024 10:01:00 GMT' }), now), 60_000);
  });

  it('reads an HTTP date in the past as no wait', () => {
    assert.strictEqual(retryAfterMs(response(503, { 'Retry-After': 'Wed, 01 May 2024 09:00:00 GMT' }), now), 0);
  });

  it('prefers retry-after-ms, then x-ms-retry-after-ms, over Retry-After', () => {
    assert.strictEqual(retryAfterMs(response(429, { 'retry-after-ms': '10', 'x-ms-retry-after-ms': '20', 'Retry-After': '30' })), 10);
    assert.strictEqual(retryAfterMs(response(429, { 'x-ms-retry-after-ms': '20', 'Retry-After': '30' })), 20);
  });

  it('ignores a millisecond header that is not a number and falls back to Retry-After', () => {
    assert.strictEqual(retryAfterMs(response(429, { 'retry-after-ms': 'soon', 'Retry-After': '2' })), 2000);
  });

  it('reads a negative millisecond header as no wait', () => {
    assert.strictEqual(retryAfterMs(response(429, { 'retry-after-ms': '-5' })), 0);
  });

  it('is undefined for an empty or unreadable Retry-After', () => {
    assert.strictEqual(retryAfterMs(response(429, { 'Retry-After': ' ' })), undefined);
    assert.strictEqual(retryAfterMs(response(429, { 'Retry-After': 'whenever' })), undefined);
  });
});

describe('isTransientError', () => {
  it('is true for a RestError with a throttling or server status', () => {
    for (const statusCode of [408, 429, 500, 502, 503, 504]) assert.strictEqual(isTransientError(new RestError('x', { statusCode })), true, String(statusCode));
  });

  it('is false for a RestError with a client status, even with a socket code', () => {
    for (const statusCode of [400, 401, 403, 404, 409]) assert.strictEqual(isTransientError(new RestError('x', { statusCode, code: 'ECONNRESET' })), false, String(statusCode));
  });

  it('is true for a RestError without status whose code is a dropped connection', () => {
    assert.strictEqual(isTransientError(socketError('ECONNRESET')), true);
    assert.strictEqual(isTransientError(socketError(RestError.REQUEST_SEND_ERROR)), true);
  });

  it('is false for a RestError without status or code, or with a parse error', () => {
    assert.strictEqual(isTransientError(new RestError('x')), false);
    assert.strictEqual(isTransientError(socketError(RestError.PARSE_ERROR)), false);
  });

  it('is true for a plain error with code ECONNRESET and false for ENOTFOUND', () => {
    assert.strictEqual(isTransientError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
    assert.strictEqual(isTransientError(Object.assign(new Error('x'), { code: 'ENOTFOUND' })), false);
  });

  it('is false for errors without a code and for things that are not errors', () => {
    assert.strictEqual(isTransientError(new Error('boom')), false);
    assert.strictEqual(isTransientError(undefined), false);
    assert.strictEqual(isTransientError(null), false);
    assert.strictEqual(isTransientError('ECONNRESET'), false);
  });
});
