import * as assert from 'assert';
import type { TokenCredential } from '@azure/core-auth';
import { waitForJob, type JobState, type WaitOptions } from '../../../src/jobs/wait';
import type { WorkspaceClient } from '../../../src/workspace/client';

/** What a scripted workspace shows at poll n (n = the number of job reads so far). */
interface Model {
  jobType: string;
  jobStatus(n: number): string;
  /** Run id -> status and log text at poll n; undefined = not started (no log). */
  run(id: string, n: number): { status: string; log?: string; error?: string } | undefined;
  /** Children run history lists at poll n. */
  children?(n: number): Array<{ runId: string; displayName: string }>;
  /** Serve Range reads (206/416), as blob storage does. */
  ranges?: boolean;
  /** Retry-After of job reads (default 0, as the fake sends); undefined in the model = none. */
  retryAfterMs?: number | null;
}

/** A workspace client whose answers come from the model; every call is recorded, tagged with the poll it belongs to. */
function scriptedClient(model: Model) {
  let n = 0;
  const calls: Array<{ poll: number; call: string }> = [];
  const record = (call: string) => calls.push({ poll: n, call });
  const client = {
    workspace: { subscriptionId: 's', resourceGroup: 'rg', workspaceName: 'ws' },
    async request(method: string, p: string) {
      if (method === 'GET') n += 1;
      record(`ARM ${method} ${p}`);
      return { status: 200, body: { properties: { status: model.jobStatus(n), jobType: model.jobType } }, retryAfterMs: model.retryAfterMs === null ? undefined : (model.retryAfterMs ?? 0) };
    },
    async get(p: string) {
      record(`ARM GET ${p}`);
      return { properties: { status: model.jobStatus(n) } };
    },
    async dataPlane(p: string) {
      const details = /\/runs\/([^/]+)\/details$/.exec(p);
      if (details) {
        record(`DETAILS ${details[1]}`);
        const run = model.run(details[1], n);
        if (!run) return { status: 200, body: { runId: details[1], status: 'NotStarted', logFiles: {} } };
        const logFiles = run.log === undefined ? {} : { 'user_logs/std_log.txt': `https://blob/${details[1]}/std_log.txt?sv=1&sig=SIG${details[1]}` };
        return { status: 200, body: { runId: details[1], status: run.status, logFiles, error: run.error ? { error: { code: 'UserError', message: run.error } } : undefined } };
      }
      const children = /\/runs\/([^/]+)\/children/.exec(p);
      if (children) {
        record(`CHILDREN ${children[1]}`);
        return { status: 200, body: { value: (model.children?.(n) ?? []).map((c) => ({ ...c, status: model.run(c.runId, n)?.status ?? 'NotStarted' })) } };
      }
      throw new Error(`unexpected data-plane call ${p}`);
    },
    async fetchTextFrom(url: string, offset: number) {
      const id = /https:\/\/blob\/([^/]+)\//.exec(url)![1];
      record(`LOG ${id}`);
      const text = Buffer.from(model.run(id, n)?.log ?? '', 'utf8');
      if (!model.ranges || offset === 0) return { status: 200, text: text.toString('utf8') };
      if (offset >= text.length) return { status: 416, text: '' };
      return { status: 206, text: text.subarray(offset).toString('utf8') };
    },
  };
  return { client: client as unknown as WorkspaceClient, calls, polls: () => n };
}

function options(client: WorkspaceClient, extra: Partial<WaitOptions> = {}): WaitOptions & { logs: string[]; secrets: string[] } {
  const logs: string[] = [];
  const secrets: string[] = [];
  return {
    jobName: 'job1',
    timeoutMinutes: 0,
    cancelJobOnAbort: true,
    client,
    credential: {} as TokenCredential,
    log: { info: (m) => logs.push(m), warning: (m) => logs.push(`WARN ${m}`), debug: () => {} },
    streamLogs: true,
    onSecret: (s) => secrets.push(s),
    sleep: async () => {},
    now: () => 0,
    pollInterval: () => 1000,
    logs,
    secrets,
    ...extra,
  };
}

const state = (): JobState => ({ jobName: 'job1', status: 'NotStarted', studioUrl: 'https://studio', experimentName: 'e', timedOut: false, canceledByTask: false });
const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);
const text = (ls: string[], partial = '') => ls.map((l) => `${l}\n`).join('') + partial;

/** A command job: queued for 2 polls, running until poll 40 (one more log line per poll, half a line pending), completed at 41. */
function commandJob(ranges: boolean): Model {
  const status = (n: number) => (n <= 2 ? 'Queued' : n <= 40 ? 'Running' : 'Completed');
  return {
    jobType: 'command',
    ranges,
    jobStatus: status,
    run: (_id, n) => (n <= 2 ? { status: status(n) } : { status: status(n), log: n > 40 ? text(lines('line', 40)) : text(lines('line', n - 2), `line ${n - 1}`.slice(0, 4)) }),
  };
}

describe('waitForJob streaming', () => {
  for (const ranges of [true, false]) {
    it(`prints every line of a command job's log once and in order (${ranges ? 'Range reads' : 'whole reads'})`, async () => {
      const { client } = scriptedClient(commandJob(ranges));
      const o = options(client);
      const result = state();
      await waitForJob(o, result);
      assert.strictEqual(result.status, 'Completed');
      assert.deepStrictEqual(o.logs.filter((l) => l.startsWith('line')), lines('line', 40));
      assert.deepStrictEqual(o.logs.filter((l) => l.startsWith('Job status')), ['Job status: Queued', 'Job status: Running', 'Job status: Completed']);
      assert.ok(o.logs.indexOf('Job status: Completed') > o.logs.indexOf('line 40'), 'the end is announced after the last line');
      assert.ok(o.secrets.includes('https://blob/job1/std_log.txt?sv=1&sig=SIGjob1'), 'the SAS URL was registered as a secret');
      assert.ok(o.secrets.includes('SIGjob1'));
      assert.ok(!o.logs.some((l) => l.includes('sig=')), 'no SAS URL is printed');
    });
  }

  it('costs one ARM GET, one run-details GET and one log GET per poll of a running command job', async () => {
    const { client, calls } = scriptedClient(commandJob(true));
    await waitForJob(options(client), state());
    for (let poll = 5; poll <= 40; poll++) {
      assert.deepStrictEqual(calls.filter((c) => c.poll === poll).map((c) => c.call), ['ARM GET jobs/job1', 'DETAILS job1', 'LOG job1'], `poll ${poll}`);
    }
    assert.deepStrictEqual(calls.filter((c) => c.poll === 1).map((c) => c.call), ['ARM GET jobs/job1'], 'no data-plane call while queued');
  });

  it('makes about 130 polls of 3 calls for a 60-minute command job', async () => {
    let clock = 0;
    const minutes = () => clock / 60_000;
    const model: Model = {
      jobType: 'command',
      ranges: true,
      retryAfterMs: null,
      jobStatus: () => (minutes() < 60 ? 'Running' : 'Completed'),
      run: () => ({ status: minutes() < 60 ? 'Running' : 'Completed', log: text(lines('line', Math.min(360, Math.floor(clock / 10_000)))) }),
    };
    const { client, calls, polls } = scriptedClient(model);
    const o = options(client, { pollInterval: undefined, sleep: async (ms) => void (clock += ms), now: () => clock });
    await waitForJob(o, state());
    const count = (prefix: string) => calls.filter((c) => c.call.startsWith(prefix)).length;
    assert.strictEqual(count('ARM GET'), polls());
    assert.ok(polls() >= 120 && polls() <= 135, `${polls()} polls`);
    assert.strictEqual(count('DETAILS'), polls());
    assert.strictEqual(count('LOG'), polls());
    assert.strictEqual(calls.length, 3 * polls());
    assert.deepStrictEqual(o.logs.filter((l) => l.startsWith('line')), lines('line', 360));
  });

  it('keeps waiting, with one warning, when the log cannot be read', async () => {
    const { client } = scriptedClient(commandJob(true));
    (client as unknown as { fetchTextFrom: () => Promise<never> }).fetchTextFrom = async () => {
      throw new Error('AuthorizationFailure');
    };
    const o = options(client);
    const result = state();
    await waitForJob(o, result);
    assert.strictEqual(result.status, 'Completed');
    assert.deepStrictEqual(o.logs.filter((l) => l.startsWith('WARN')), ["WARN Could not read the job's log (AuthorizationFailure); still waiting for the job."]);
  });

  it('shows only status changes when not streaming, with one ARM GET per poll', async () => {
    const { client, calls } = scriptedClient(commandJob(true));
    const o = options(client, { streamLogs: false });
    await waitForJob(o, state());
    assert.ok(calls.every((c) => c.call.startsWith('ARM GET')));
    assert.deepStrictEqual(o.logs, ['Job status: Queued', 'Job status: Running', 'Job status: Completed']);
  });

  describe('pipeline jobs', () => {
    const steps = ['prep', 'train', 'eval'];
    // Step i runs during polls 3 + 10i .. 12 + 10i, one more log line per poll; the pipeline completes at poll 33.
    const pipeline = (failAt?: string, listedUpfront = false): Model => {
      const window = (i: number) => [3 + 10 * i, 12 + 10 * i];
      const stepStatus = (i: number, n: number) => {
        const [start, end] = window(i);
        if (n < start) return undefined;
        if (n <= end) return 'Running';
        return steps[i] === failAt ? 'Failed' : 'Completed';
      };
      const failedIndex = failAt ? steps.indexOf(failAt) : -1;
      const lastStep = failedIndex >= 0 ? failedIndex : steps.length - 1;
      return {
        jobType: 'Pipeline',
        ranges: true,
        jobStatus: (n) => (n <= 2 ? 'Queued' : n <= window(lastStep)[1] ? 'Running' : failAt ? 'Failed' : 'Completed'),
        children: (n) => steps.map((s) => ({ runId: `run-${s}`, displayName: s })).filter((_, i) => listedUpfront || (n >= window(i)[0] && i <= lastStep)),
        run: (id, n) => {
          if (id === 'job1') return { status: 'Running' };
          const i = steps.indexOf(id.replace('run-', ''));
          const status = stepStatus(i, n);
          if (!status) return undefined;
          const count = Math.min(n, window(i)[1]) - window(i)[0] + 1;
          return { status, log: text(lines(`${steps[i]} line`, count)), error: status === 'Failed' ? 'ValueError: bad column' : undefined };
        },
      };
    };

    it('prints every step log line once, in order, prefixed with the step name, and each step status change', async () => {
      const { client } = scriptedClient(pipeline());
      const o = options(client);
      const result = state();
      await waitForJob(o, result);
      assert.strictEqual(result.status, 'Completed');
      for (const s of steps) {
        assert.deepStrictEqual(o.logs.filter((l) => l.startsWith(`[${s}] ${s} line`)), lines(`[${s}] ${s} line`, 10), s);
        assert.deepStrictEqual(o.logs.filter((l) => l.startsWith(`[${s}] status`)), [`[${s}] status: Running`, `[${s}] status: Completed`]);
      }
    });

    it('reads only the running step per poll and lists the steps only when something changed or every few polls', async () => {
      const { client, calls, polls } = scriptedClient(pipeline());
      await waitForJob(options(client), state());
      const listings = calls.filter((c) => c.call.startsWith('CHILDREN')).length;
      assert.ok(listings <= Math.ceil(polls() / 5) + 3 * 2 + 2, `${listings} listings in ${polls()} polls`);
      // Polls 5-11: prep runs, nothing changes; each poll reads the job, prep's details and prep's log, plus a listing every 5th poll.
      for (let poll = 5; poll <= 11; poll++) {
        const made = calls.filter((c) => c.poll === poll).map((c) => c.call).filter((c) => !c.startsWith('CHILDREN'));
        assert.deepStrictEqual(made, ['ARM GET jobs/job1', 'DETAILS run-prep', 'LOG run-prep'], `poll ${poll}`);
      }
      assert.ok(!calls.some((c) => c.call === 'DETAILS job1'), 'the pipeline itself has no log worth reading');
    });

    it('watches steps waiting to start through the listing, without reading each of them', async () => {
      const { client, calls } = scriptedClient(pipeline(undefined, true));
      const o = options(client);
      await waitForJob(o, state());
      for (const s of steps) assert.deepStrictEqual(o.logs.filter((l) => l.startsWith(`[${s}] ${s} line`)), lines(`[${s}] ${s} line`, 10), s);
      for (let poll = 3; poll <= 32; poll++) {
        const made = calls.filter((c) => c.poll === poll).map((c) => c.call);
        assert.ok(made.filter((c) => c.startsWith('DETAILS')).length <= 2, `poll ${poll}: ${made.join(', ')}`);
      }
      assert.ok(!calls.some((c) => c.call === 'DETAILS run-eval' && c.poll < 23), 'a step that has not started is not read');
    });

    it('makes about 130 polls of 3 calls, plus a listing every 5th, for a 60-minute pipeline of 3 steps', async () => {
      let clock = 0;
      const minute = () => clock / 60_000;
      const stepOf = (id: string) => steps.indexOf(id.replace('run-', ''));
      const model: Model = {
        jobType: 'Pipeline',
        ranges: true,
        retryAfterMs: null,
        jobStatus: () => (minute() < 60 ? 'Running' : 'Completed'),
        children: () => steps.map((s) => ({ runId: `run-${s}`, displayName: s })),
        run: (id) => {
          const i = stepOf(id);
          const elapsed = minute() - 20 * i;
          if (elapsed < 0) return undefined;
          return { status: elapsed < 20 ? 'Running' : 'Completed', log: text(lines(`${steps[i]} line`, Math.min(120, Math.floor((elapsed * 60_000) / 10_000)))) };
        },
      };
      const { client, calls, polls } = scriptedClient(model);
      const o = options(client, { pollInterval: undefined, sleep: async (ms) => void (clock += ms), now: () => clock });
      await waitForJob(o, state());
      const count = (prefix: string) => calls.filter((c) => c.call.startsWith(prefix)).length;
      assert.ok(polls() >= 120 && polls() <= 135, `${polls()} polls`);
      assert.ok(count('DETAILS') <= polls() + 6, `${count('DETAILS')} details reads`);
      assert.ok(count('LOG') <= polls() + 6, `${count('LOG')} log reads`);
      assert.ok(count('CHILDREN') <= polls() / 5 + 8, `${count('CHILDREN')} listings`);
      for (const s of steps) assert.deepStrictEqual(o.logs.filter((l) => l.startsWith(`[${s}] ${s} line`)), lines(`[${s}] ${s} line`, 120), s);
    });

    it('keeps the failed step log tail and error', async () => {
      const { client } = scriptedClient(pipeline('train'));
      const result = state();
      await waitForJob(options(client), result);
      assert.strictEqual(result.status, 'Failed');
      const tail = result.printedTail!.find((t) => t.label === 'train')!;
      assert.deepStrictEqual(tail.lines, lines('train line', 10));
    });
  });
});
