import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SimulatedClock, startFakeAzure, type FakeAzure } from '../fake-azure';
import { runTaskAsAgent, type AgentRun, type AuthScheme } from './harness';

const project = path.join(__dirname, 'fixtures', 'project');
// Compiled tests run from build/; the fixtures stay in the source tree.
const fixtures = fs.existsSync(project) ? project : path.resolve(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures', 'project');
const jobSpec = path.join(fixtures, 'job.yml');

// The job runs 61 minutes by the workspace clock, which runs 240 times faster than real time: about 15 s here.
// Job GETs ask for the next read after 250 ms (Retry-After), one simulated minute.
const JOB_MINUTES = 61;
const SIMULATED_PER_REAL = 240;
const POLL_AFTER_MS = 250;
// Tokens live 4 s (OIDC tokens 3 s), so the job outlives several of each. Anything under MSAL's 5-minute renewal
// offset and the pipeline's 2-minute refresh window is "due for refresh" from the start, so the product is never
// waiting for a token to age: what this proves is that no request ever goes out on an expired token, and that
// every sign-in (each with a new federated assertion) really happens while the job runs.
const TOKEN_LIFETIME_S = 4;
const LOG_LINES = Array.from({ length: 20 }, (_, i) => `minute ${i * 3}: still training`);
const OIDC_LIFETIME_S = 3;

describe('AmlTrain with a job that outlives every token', function () {
  this.timeout(120_000);
  const SCHEMES = ['secret', 'certificate', 'federated', 'managed'] as const;
  let fake: FakeAzure;
  const runs = new Map<AuthScheme, AgentRun>();

  before(async () => {
    fake = await startFakeAzure({
      tokenLifetimeSeconds: TOKEN_LIFETIME_S,
      oidcTokenLifetimeSeconds: OIDC_LIFETIME_S,
      clock: new SimulatedClock({ rate: SIMULATED_PER_REAL }),
    });
    // The four pipelines run side by side, as four agents would: each its own job, sign-ins and tokens.
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], runMinutes: JOB_MINUTES, retryAfterMs: POLL_AFTER_MS, logLines: LOG_LINES });
    await Promise.all(
      SCHEMES.map(async (scheme) => {
        runs.set(scheme, await runTaskAsAgent({ fake, task: 'AmlTrain', scheme, inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, jobSpec }, cwd: fixtures }));
      }),
    );
    fake.workspace.scriptJobs(undefined);
  });
  after(async () => {
    await fake?.stop();
  });

  it('accepts every request of the four runs: no expired access token at ARM, no expired assertion at Entra', () => {
    // A ranged read of a log that has not grown is answered 416, as blob storage does: that is "nothing new", not a refusal.
    const nothingNew = (q: { status: number; path: string }) => q.status === 416 && q.path.startsWith('/azureml-logs/');
    const refused = fake.requests.filter((q) => q.status >= 400 && !nothingNew(q));
    assert.deepStrictEqual(refused.map((q) => `${q.status} ${q.kind} ${q.method} ${q.path}`), []);
  });

  for (const scheme of SCHEMES) {
    it(`waits a ${JOB_MINUTES}-minute job to completion with a ${scheme} service connection, moving on to new tokens as they expire`, () => {
      const r = runs.get(scheme)!;
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      assert.strictEqual(r.outputs.jobStatus, 'Completed');
      const streamed = r.visibleLog.split(/\r?\n/).filter((l) => LOG_LINES.includes(l));
      assert.deepStrictEqual(streamed, LOG_LINES, 'the job log streamed once, in order, across token changes');

      const job = fake.workspace.jobs().find((j) => j.name === r.outputs.jobName)!;
      const ranMinutes = (job.endTime!.getTime() - job.startTime!.getTime()) / 60_000;
      assert.ok(ranMinutes >= JOB_MINUTES, `the job ran ${ranMinutes} simulated minutes`);

      // The job's reads spread over several token lifetimes, and a token serves requests only while it lives:
      // the product must have moved on to new tokens at least span / lifetime times.
      const jobReads = fake.requests.filter((q) => q.kind === 'arm' && q.method === 'GET' && q.path.endsWith(`/jobs/${job.name}`));
      const spanSeconds = (Date.parse(jobReads.at(-1)!.time) - Date.parse(jobReads[0].time)) / 1000;
      assert.ok(spanSeconds >= 3 * TOKEN_LIFETIME_S, `the job was read over only ${spanSeconds} s`);
      const issued = fake.accessTokens.filter((t) => t.appId === fake.identities[scheme].clientId);
      const used = issued.filter((t) => t.uses > 0);
      assert.ok(used.length >= Math.floor(spanSeconds / TOKEN_LIFETIME_S), `${used.length} tokens served ${spanSeconds} s of reads`);
      for (const t of issued) assert.strictEqual(t.expiresOn - t.issuedAt, TOKEN_LIFETIME_S);
      if (scheme === 'managed') assert.ok(fake.requests.filter((q) => q.kind === 'imds').length >= issued.length);
      if (scheme === 'federated') {
        // Each Entra sign-in presented its own OIDC token from Azure DevOps (only this run uses them); they expire
        // faster than the job runs.
        const oidc = fake.requests.filter((q) => q.kind === 'ado');
        assert.ok(oidc.length >= issued.length, `${oidc.length} OIDC tokens for ${issued.length} sign-ins`);
      }
    });
  }

  it('cancels the job in Azure ML when the pipeline is canceled while it waits', async () => {
    fake.clearRequests();
    // Ten simulated hours: still running when the agent sends SIGINT a few seconds in.
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], runMinutes: 600, retryAfterMs: POLL_AFTER_MS });
    const r = await runTaskAsAgent({
      fake,
      task: 'AmlTrain',
      scheme: 'secret',
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, jobSpec },
      cwd: fixtures,
      interruptAfterMs: 8_000,
    });
    assert.strictEqual(r.result, 'Cancelled', r.visibleLog);
    assert.match(r.visibleLog, /Received SIGINT/);
    assert.match(r.visibleLog, new RegExp(`Canceling job '${r.outputs.jobName}'`));
    assert.match(r.visibleLog, new RegExp(`Job '${r.outputs.jobName}' is canceled\\.`));

    const job = fake.workspace.jobs().find((j) => j.name === r.outputs.jobName)!;
    assert.strictEqual(job.status, 'Canceled');
    assert.ok(fake.requests.some((q) => q.method === 'POST' && q.path.endsWith(`/jobs/${job.name}/cancel`) && q.status === 202));
  });
});
