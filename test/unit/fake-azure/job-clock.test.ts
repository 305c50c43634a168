import assert from 'assert';
import { SimulatedClock } from '../../fake-azure/clock';
import { blobOperation } from '../../fake-azure/storage';
import { AccessTokenIssuer, verifyAccessToken } from '../../fake-azure/tokens';
import { call, commandJobBody, createFixtureCode, newWorkspace, WS_PATH } from './workspace-helpers';

const JOB = `${WS_PATH}/jobs/long-1`;

describe('fake Azure: simulated clock and jobs that run for minutes', () => {
  it('stands still until advanced, or runs at a rate', async () => {
    const still = new SimulatedClock({ start: new Date('2026-01-01T00:00:00Z') });
    assert.strictEqual(still.now().toISOString(), '2026-01-01T00:00:00.000Z');
    still.advance(90_000);
    assert.strictEqual(still.now().toISOString(), '2026-01-01T00:01:30.000Z');
    assert.throws(() => still.advance(-1));

    const fast = new SimulatedClock({ rate: 1000 });
    const before = fast.now().getTime();
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(fast.now().getTime() - before >= 10_000, 'at 1000x, 20 ms of real time is at least 10 s');
  });

  it('keeps a job with runMinutes running until that long after its start by the workspace clock', async () => {
    const clock = new SimulatedClock();
    const ws = newWorkspace({ clock });
    await createFixtureCode(ws);
    ws.scriptJobs({ statuses: ['Queued', 'Running', 'Completed'], runMinutes: 60 });
    assert.strictEqual((await call(ws, 'PUT', JOB, commandJobBody())).status, 201);
    const read = async () => call(ws, 'GET', JOB);

    assert.strictEqual((await read()).body.properties.status, 'Queued');
    const running = await read();
    assert.strictEqual(running.body.properties.status, 'Running');
    assert.strictEqual(running.headers?.['Retry-After'], undefined, 'a job that moves with the clock does not invite an immediate re-read');
    for (let i = 0; i < 5; i++) assert.strictEqual((await read()).body.properties.status, 'Running');
    clock.advance(59 * 60_000);
    assert.strictEqual((await read()).body.properties.status, 'Running');
    clock.advance(60_000);
    assert.strictEqual((await read()).body.properties.status, 'Completed');

    const job = ws.jobs().find((j) => j.name === 'long-1')!;
    assert.strictEqual(job.endTime!.getTime() - job.startTime!.getTime(), 60 * 60_000);
  });

  it('answers job GETs with the scripted Retry-After, in seconds and in milliseconds', async () => {
    const ws = newWorkspace();
    await createFixtureCode(ws);
    ws.scriptJobs({ retryAfterMs: 1500 });
    await call(ws, 'PUT', JOB, commandJobBody());
    const res = await call(ws, 'GET', JOB);
    assert.strictEqual(res.headers?.['Retry-After'], '2');
    assert.strictEqual(res.headers?.['retry-after-ms'], '1500');
    assert.throws(() => ws.scriptJobs({ runMinutes: 0 }), /runMinutes/);
    assert.throws(() => ws.scriptJobs({ retryAfterMs: -1 }), /retryAfterMs/);
  });
});

describe('fake Azure: issued access tokens', () => {
  it('records every token issued and counts the requests that presented it', () => {
    const issuer = new AccessTokenIssuer('https://localhost:1/t/v2.0', 't', 60, 'https://localhost:1/t');
    const a = issuer.issue({ clientId: 'app-1', objectId: 'obj-1' }, 'https://management.azure.com', '1');
    issuer.issue({ clientId: 'app-1', objectId: 'obj-1' }, 'https://management.azure.com', '1');
    verifyAccessToken(`Bearer ${a.accessToken}`, ['https://management.azure.com'], issuer);
    verifyAccessToken(`Bearer ${a.accessToken}`, ['https://management.azure.com'], issuer);
    verifyAccessToken(`Bearer ${a.accessToken}`, ['https://ml.azure.com'], issuer); // refused: not counted
    assert.deepStrictEqual(issuer.issued.map((t) => [t.appId, t.expiresOn - t.issuedAt, t.uses]), [['app-1', 60, 2], ['app-1', 60, 0]]);
    assert.notStrictEqual(issuer.issued[0].tokenId, issuer.issued[1].tokenId);
    assert.ok(!JSON.stringify(issuer.issued).includes(a.accessToken), 'the record holds no token text');
  });
});

describe('fake Azure: blob request log', () => {
  const op = (method: string, query: string, headers: Record<string, string> = {}) => blobOperation(method, new URLSearchParams(query), headers);
  it('names requests as the Blob service REST reference does', () => {
    assert.strictEqual(op('PUT', '', { 'x-ms-blob-type': 'BlockBlob' }), 'Put Blob');
    assert.strictEqual(op('PUT', 'comp=block&blockid=AAAA'), 'Put Block');
    assert.strictEqual(op('PUT', 'comp=blocklist'), 'Put Block List');
    assert.strictEqual(op('PUT', 'restype=container'), 'Create Container');
    assert.strictEqual(op('PUT', '', { 'x-ms-copy-source': 'https://x/y' }), 'Copy Blob');
    assert.strictEqual(op('GET', 'restype=container&comp=list&prefix=a'), 'List Blobs');
    assert.strictEqual(op('GET', ''), 'Get Blob');
    assert.strictEqual(op('HEAD', ''), 'Get Blob Properties');
    assert.strictEqual(op('GET', 'comp=list'), 'List Containers');
    assert.strictEqual(op('DELETE', ''), 'Delete Blob');
  });
});
