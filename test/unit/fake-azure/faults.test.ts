import assert from 'assert';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';
import { FaultInjector, type FaultKind } from '../../fake-azure/faults';

function decisions(injector: FaultInjector, n: number, identity = false): Array<FaultKind | undefined> {
  return Array.from({ length: n }, () => injector.decide(identity));
}

describe('Fault injection', () => {
  describe('the injector', () => {
    it('fails roughly the requested share of requests', () => {
      const injector = new FaultInjector();
      injector.set({ rate: 0.2, seed: 7 });
      const failed = decisions(injector, 5000).filter(Boolean).length;
      assert.ok(failed > 900 && failed < 1100, `${failed} of 5000`);
      assert.strictEqual(injector.injected, failed);
    });

    it('repeats the same faults for the same seed and differs for another seed', () => {
      const run = (seed: number) => {
        const injector = new FaultInjector();
        injector.set({ rate: 0.3, seed });
        return decisions(injector, 200);
      };
      assert.deepStrictEqual(run(42), run(42));
      assert.notDeepStrictEqual(run(42), run(43));
    });

    it('uses only the kinds asked for, and each of them', () => {
      const injector = new FaultInjector();
      injector.set({ rate: 1, kinds: ['429', 'reset'], seed: 1 });
      const kinds = new Set(decisions(injector, 200));
      assert.deepStrictEqual([...kinds].sort(), ['429', 'reset']);
      assert.strictEqual(injector.byKind['429'] + injector.byKind.reset, 200);
      assert.strictEqual(injector.byKind['500'], 0);
    });

    it('spares identity requests unless asked to include them', () => {
      const injector = new FaultInjector();
      injector.set({ rate: 1 });
      assert.deepStrictEqual(decisions(injector, 20, true), Array(20).fill(undefined));
      injector.set({ rate: 1, includeIdentity: true });
      assert.ok(decisions(injector, 20, true).every(Boolean));
    });

    it('stops failing once faults are cleared', () => {
      const injector = new FaultInjector();
      injector.set({ rate: 1 });
      injector.set(undefined);
      assert.ok(decisions(injector, 50).every((d) => d === undefined));
    });

    it('refuses a rate outside 0..1 and unknown kinds', () => {
      const injector = new FaultInjector();
      assert.throws(() => injector.set({ rate: 1.5 }), RangeError);
      assert.throws(() => injector.set({ rate: 0.5, kinds: ['418' as FaultKind] }), RangeError);
      assert.throws(() => injector.set({ rate: 0.5, kinds: [] }), RangeError);
    });
  });

  describe('through the fake', function () {
    this.timeout(60_000);
    let fake: FakeAzure;
    let token: string;
    before(async () => {
      fake = await startFakeAzure({ blob: false });
      token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    });
    after(async () => {
      await fake?.stop();
    });
    afterEach(() => fake.setFaults(undefined));

    const armUrl = () => `${fake.url}/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}?api-version=2024-04-01`;
    const armGet = () => rawRequest(fake.caCertPath, armUrl(), { headers: { Authorization: `Bearer ${token}` } });

    for (const [kind, code] of [['429', 'TooManyRequests'], ['500', 'InternalServerError'], ['503', 'ServiceUnavailable']] as const) {
      it(`answers ${kind} with Retry-After: 0 and an ARM error body`, async () => {
        fake.setFaults({ rate: 1, kinds: [kind] });
        const res = await armGet();
        assert.strictEqual(res.status, Number(kind));
        assert.strictEqual(res.headers['retry-after'], '0');
        assert.strictEqual(res.json.error.code, code);
        assert.ok(res.json.error.message);
      });
    }

    it('drops the connection without an answer for a reset', async () => {
      fake.setFaults({ rate: 1, kinds: ['reset'] });
      await assert.rejects(armGet(), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message));
    });

    it('leaves Entra, Azure DevOps and IMDS alone unless identity faults are asked for', async () => {
      fake.setFaults({ rate: 1, kinds: ['503'] });
      const { clientId, clientSecret } = fake.identities.secret;
      assert.ok(await tokenWithSecret(fake, clientId, clientSecret));
      const imds = await rawRequest(fake.caCertPath, `${fake.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`, { headers: { Metadata: 'true' } });
      assert.strictEqual(imds.status, 200);

      fake.setFaults({ rate: 1, kinds: ['503'], includeIdentity: true });
      await assert.rejects(tokenWithSecret(fake, clientId, clientSecret), /503/);
    });

    it('counts and records the faults it injected', async () => {
      const before = fake.faultsInjected;
      fake.clearRequests();
      fake.setFaults({ rate: 0.5, kinds: ['429'], seed: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await armGet()).status);
      const throttled = statuses.filter((s) => s === 429).length;
      assert.ok(throttled > 5 && throttled < 35, `${throttled} of 40`);
      assert.strictEqual(fake.faultsInjected - before, throttled);
      assert.strictEqual(fake.requests.filter((r) => r.fault === '429' && r.status === 429).length, throttled);
    });

    it('injects the same faults again for the same seed and the same requests', async () => {
      const run = async () => {
        fake.setFaults({ rate: 0.4, kinds: ['429', '503'], seed: 11 });
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++) statuses.push((await armGet()).status);
        return statuses;
      };
      assert.deepStrictEqual(await run(), await run());
    });
  });
});
