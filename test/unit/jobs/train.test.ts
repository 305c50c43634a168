import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TokenCredential } from '@azure/core-auth';
import { submitJob, type TrainOptions } from '../../../src/jobs/train';
import type { WorkspaceClient } from '../../../src/workspace/client';

/** A workspace that knows one compute, one environment and scripted job statuses; it records every call. */
function fakeWorkspace(statuses: string[], opts: { runError?: { code: string; message: string }; retryAfterMs?: number } = {}) {
  const calls: string[] = [];
  let gets = 0;
  const ws = { subscriptionId: 's', resourceGroup: 'rg', workspaceName: 'ws' };
  const id = (p: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/${p}`;
  const client = {
    workspace: ws,
    armId: (c: string, n: string, v?: string) => id(`${c}/${n}${v ? `/versions/${v}` : ''}`),
    async workspaceDetails() {
      calls.push('GET workspace');
      return { id: id('').slice(0, -1), location: 'eastus' };
    },
    async get(p: string) {
      calls.push(`GET ${p}`);
      if (p === 'computes/cpu') return { id: id(p) };
      if (p === 'environments/env/versions/1') return { id: id(p) };
      if (p.startsWith('jobs/')) return { properties: { status: statuses[Math.min(gets++, statuses.length - 1)] } };
      return undefined;
    },
    async put(p: string, body: unknown) {
      calls.push(`PUT ${p}`);
      return { name: p.split('/')[1], properties: { ...(body as { properties: object }).properties, status: 'NotStarted' } };
    },
    async request(method: string, p: string) {
      calls.push(`${method} ${p}`);
      if (method === 'GET') return { status: 200, body: { properties: { status: statuses[Math.min(gets++, statuses.length - 1)] } }, retryAfterMs: opts.retryAfterMs };
      if (p.endsWith('/cancel')) statuses.push('CancelRequested', 'Canceled');
      return { status: 202, body: {} };
    },
    async dataPlane(p: string) {
      calls.push(`DATA ${p}`);
      return { status: 200, body: opts.runError ? { error: { error: opts.runError } } : {} };
    },
  };
  return { client: client as unknown as WorkspaceClient, calls };
}

describe('submitJob', () => {
  let dir: string;
  let spec: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-'));
    spec = path.join(dir, 'job.yml');
    fs.writeFileSync(spec, 'command: python train.py\nenvironment: azureml:env:1\ncompute: azureml:cpu\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function options(client: WorkspaceClient, extra: Partial<TrainOptions> = {}): TrainOptions & { slept: number[]; logs: string[] } {
    let now = 0;
    const slept: number[] = [];
    const logs: string[] = [];
    return {
      jobSpecFile: spec,
      waitForCompletion: true,
      timeoutMinutes: 0,
      cancelJobOnAbort: true,
      build: { buildId: '7' },
      client,
      credential: {} as TokenCredential,
      log: { info: (m) => logs.push(m), warning: (m) => logs.push(`WARN ${m}`), debug: () => {} },
      onSecret: () => {},
      newJobName: () => 'job_fixed',
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      now: () => now,
      slept,
      logs,
      ...extra,
    };
  }

  it('submits the job under the name it chose, tagged with the build, and waits until it completes', async () => {
    const { client, calls } = fakeWorkspace(['Queued', 'Running', 'Completed']);
    const o = options(client);
    const r = await submitJob(o);
    assert.strictEqual(r.status, 'Completed');
    assert.strictEqual(r.jobName, 'job_fixed');
    assert.ok(calls.includes('PUT jobs/job_fixed'));
    assert.deepStrictEqual(o.logs.filter((l) => l.startsWith('Job status')), ['Job status: Queued', 'Job status: Running', 'Job status: Completed']);
  });

  it('polls slower as the job runs on, but sooner when the service says so', async () => {
    const slow = options(fakeWorkspace(['Queued', 'Running', 'Running', 'Running', 'Completed']).client);
    await submitJob(slow);
    assert.ok(slow.slept[3] > slow.slept[0], `intervals did not grow: ${slow.slept}`);
    const hinted = options(fakeWorkspace(['Queued', 'Running', 'Completed'], { retryAfterMs: 0 }).client);
    await submitJob(hinted);
    assert.deepStrictEqual(hinted.slept, [0, 0]);
  });

  it('returns right after submitting when not waiting', async () => {
    const { client, calls } = fakeWorkspace(['Completed']);
    const r = await submitJob(options(client, { waitForCompletion: false }));
    assert.strictEqual(r.status, 'NotStarted');
    assert.ok(!calls.some((c) => c === 'GET jobs/job_fixed'));
  });

  it('reads the error of a failed job from its run history', async () => {
    const { client } = fakeWorkspace(['Running', 'Failed'], { runError: { code: 'UserError', message: 'no module named sklearn' } });
    const r = await submitJob(options(client));
    assert.strictEqual(r.status, 'Failed');
    assert.strictEqual(r.error, 'UserError: no module named sklearn');
  });

  it('cancels the job when the timeout passes', async () => {
    const { client, calls } = fakeWorkspace(['Running']);
    const r = await submitJob(options(client, { timeoutMinutes: 1 }));
    assert.strictEqual(r.timedOut, true);
    assert.strictEqual(r.canceledByTask, true);
    assert.ok(calls.includes('POST jobs/job_fixed/cancel'));
  });

  it('leaves the job running on timeout when cancelJobOnAbort is false', async () => {
    const { client, calls } = fakeWorkspace(['Running']);
    const r = await submitJob(options(client, { timeoutMinutes: 1, cancelJobOnAbort: false }));
    assert.strictEqual(r.timedOut, true);
    assert.ok(!calls.some((c) => c.endsWith('/cancel')));
  });

  it('cancels the job and stops when the pipeline run is canceled', async () => {
    const { client, calls } = fakeWorkspace(['Running']);
    const controller = new AbortController();
    const o = options(client, { signal: controller.signal });
    const sleep = o.sleep!;
    o.sleep = async (ms, signal) => {
      if (signal === controller.signal) {
        controller.abort();
        const e = new Error('aborted');
        e.name = 'AbortError';
        throw e;
      }
      return sleep(ms, signal);
    };
    await assert.rejects(submitJob(o), { name: 'AbortError' });
    assert.ok(calls.includes('POST jobs/job_fixed/cancel'));
  });
});
