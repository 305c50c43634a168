import * as assert from 'assert';
import * as sinon from 'sinon';
import { adaptiveInterval, pollUntil, type PollOptions } from '../../../src/http/poll';

/** A remote state that moves through `states` (repeating the last) and a clock that only moves when sleeping. */
function scripted(states: string[], extra: Partial<PollOptions<string>> = {}) {
  let t = 1_000_000;
  let reads = 0;
  const slept: number[] = [];
  const seen: string[] = [];
  const options: PollOptions<string> = {
    read: async () => states[Math.min(reads++, states.length - 1)],
    done: (s) => s === 'Completed' || s === 'Failed',
    onState: (s) => {
      seen.push(s);
    },
    interval: (n) => n * 1000,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    now: () => t,
    ...extra,
  };
  return { options, slept, seen, reads: () => reads, elapsed: () => t - 1_000_000 };
}

describe('pollUntil', () => {
  it('reads nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const s = scripted(['Running'], { signal: controller.signal });
    await assert.rejects(pollUntil(s.options), { name: 'AbortError' });
    assert.strictEqual(s.reads(), 0);
  });

  it('returns the first state that is done, without sleeping', async () => {
    const p = scripted(['Completed']);
    assert.deepStrictEqual(await pollUntil(p.options), { state: 'Completed', timedOut: false });
    assert.deepStrictEqual(p.slept, []);
  });

  it('re-reads after the interval for each attempt until the state is done', async () => {
    const p = scripted(['Queued', 'Running', 'Running', 'Failed']);
    assert.deepStrictEqual(await pollUntil(p.options), { state: 'Failed', timedOut: false });
    assert.strictEqual(p.reads(), 4);
    assert.deepStrictEqual(p.slept, [1000, 2000, 3000]);
  });

  it('calls onState with every state read, the final one included', async () => {
    const p = scripted(['Queued', 'Running', 'Completed']);
    await pollUntil(p.options);
    assert.deepStrictEqual(p.seen, ['Queued', 'Running', 'Completed']);
  });

  it('waits for an async onState before deciding and reading again', async () => {
    const order: string[] = [];
    const p = scripted(['Running', 'Completed'], {
      onState: async (s) => {
        await Promise.resolve();
        order.push(`onState ${s}`);
      },
      done: (s) => {
        order.push(`done? ${s}`);
        return s === 'Completed';
      },
    });
    await pollUntil(p.options);
    assert.deepStrictEqual(order, ['onState Running', 'done? Running', 'onState Completed', 'done? Completed']);
  });

  it('gives up with the last state when the timeout passes, without reading again', async () => {
    const p = scripted(['Running'], { interval: () => 10_000, timeoutMs: 30_000 });
    const result = await pollUntil(p.options);
    assert.deepStrictEqual(result, { state: 'Running', timedOut: true });
    assert.strictEqual(p.elapsed(), 30_000);
    assert.strictEqual(p.reads(), 4);
  });

  it('shortens the last sleep so the final read happens at the deadline', async () => {
    const p = scripted(['Running'], { interval: () => 20_000, timeoutMs: 30_000 });
    await pollUntil(p.options);
    assert.deepStrictEqual(p.slept, [20_000, 10_000]);
  });

  it('counts the time spent reading towards the timeout', async () => {
    let t = 0;
    const p = scripted(['Running'], {
      interval: () => 1000,
      timeoutMs: 5000,
      now: () => t,
      read: async () => {
        t += 2000;
        return 'Running';
      },
      sleep: async (ms) => {
        t += ms;
      },
    });
    const result = await pollUntil(p.options);
    assert.strictEqual(result.timedOut, true);
    assert.strictEqual(t, 5000);
  });

  it('returns a state that is done even when it arrives after the deadline', async () => {
    let t = 0;
    const p = scripted(['Completed'], {
      timeoutMs: 1000,
      now: () => t,
      read: async () => {
        t += 5000;
        return 'Completed';
      },
    });
    assert.deepStrictEqual(await pollUntil(p.options), { state: 'Completed', timedOut: false });
  });

  it('never times out when timeoutMs is 0', async () => {
    const states = [...Array(50).fill('Running'), 'Completed'];
    const p = scripted(states, { interval: () => 3_600_000, timeoutMs: 0 });
    assert.deepStrictEqual(await pollUntil(p.options), { state: 'Completed', timedOut: false });
    assert.strictEqual(p.slept.length, 50);
  });

  it('passes its abort signal to sleep', async () => {
    const controller = new AbortController();
    const signals: Array<AbortSignal | undefined> = [];
    const p = scripted(['Running', 'Completed'], {
      signal: controller.signal,
      sleep: async (_ms, signal) => {
        signals.push(signal);
      },
    });
    await pollUntil(p.options);
    assert.deepStrictEqual(signals, [controller.signal]);
  });

  it('lets an error from read propagate', async () => {
    const p = scripted([], { read: async () => Promise.reject(new Error('HTTP 500')) });
    await assert.rejects(pollUntil(p.options), /HTTP 500/);
  });

  describe('with its own sleep', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers();
    });
    afterEach(() => clock.restore());

    it('rejects with AbortError when the signal aborts during a sleep, and reads no more', async () => {
      const controller = new AbortController();
      let reads = 0;
      const outcome = pollUntil({
        read: async () => {
          reads++;
          return 'Running';
        },
        done: () => false,
        interval: () => 60_000,
        signal: controller.signal,
      }).then(
        () => 'resolved',
        (e: Error) => e.name,
      );
      await clock.tickAsync(10_000);
      controller.abort();
      await clock.tickAsync(0);
      assert.strictEqual(await outcome, 'AbortError');
      assert.strictEqual(reads, 1);
    });

    it('sleeps the interval on the clock between reads', async () => {
      let reads = 0;
      const run = pollUntil({
        read: async () => ++reads,
        done: (n) => n === 2,
        interval: () => 5000,
      });
      await clock.tickAsync(4999);
      assert.strictEqual(reads, 1);
      await clock.tickAsync(1);
      assert.deepStrictEqual(await run, { state: 2, timedOut: false });
    });
  });
});

describe('adaptiveInterval', () => {
  it('starts at the minimum and grows by the factor with each poll', () => {
    const interval = adaptiveInterval(1000, 60_000, 2);
    assert.deepStrictEqual([1, 2, 3, 4].map(interval), [1000, 2000, 4000, 8000]);
  });

  it('never exceeds the maximum', () => {
    const interval = adaptiveInterval(1000, 5000, 2);
    assert.deepStrictEqual([3, 4, 5, 100].map(interval), [4000, 5000, 5000, 5000]);
  });

  it('starts at 2 seconds, grows by 30% and settles at 30 seconds by default', () => {
    const interval = adaptiveInterval();
    assert.deepStrictEqual([1, 2, 3].map(interval), [2000, 2600, 3380]);
    assert.strictEqual(interval(11), 27_572);
    assert.strictEqual(interval(12), 30_000);
    assert.strictEqual(interval(1000), 30_000);
  });

  it('rounds to whole milliseconds', () => {
    const interval = adaptiveInterval(1000, 60_000, 1.15);
    for (let n = 1; n < 20; n++) assert.ok(Number.isInteger(interval(n)), `poll ${n}: ${interval(n)}`);
  });
});
