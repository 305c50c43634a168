import * as assert from 'assert';
import { formatTraffic, liveOnly, parseTrafficSteps, sameTraffic, trafficWith } from '../../../src/deploy/traffic';

describe('traffic steps', () => {
  it('reads rising whole percentages, with commas, spaces or percent signs', () => {
    assert.deepStrictEqual(parseTrafficSteps('trafficSteps', '10,50,100'), [10, 50, 100]);
    assert.deepStrictEqual(parseTrafficSteps('trafficSteps', ' 5% 25%  100 '), [5, 25, 100]);
    assert.deepStrictEqual(parseTrafficSteps('trafficSteps', ''), [100]);
    assert.deepStrictEqual(parseTrafficSteps('trafficSteps', undefined), [100]);
    assert.deepStrictEqual(parseTrafficSteps('trafficSteps', '10'), [10]);
  });

  for (const [text, message] of [
    ['0,100', /'0' is not a traffic percentage/],
    ['10,101', /'101' is not a traffic percentage/],
    ['12.5,100', /'12\.5' is not a traffic percentage/],
    ['50,50', /50 follows 50/],
    ['50,10', /10 follows 50/],
  ] as Array<[string, RegExp]>) {
    it(`refuses '${text}' naming the input`, () => {
      assert.throws(() => parseTrafficSteps('trafficSteps', text), (e: Error & { input?: string }) => message.test(e.message) && e.input === 'trafficSteps');
    });
  }
});

describe('traffic with a new deployment at a share', () => {
  it('gives the rest to the live deployments in their proportions, summing to exactly 100', () => {
    assert.deepStrictEqual(trafficWith({ blue: 100 }, 'green', 10), { blue: 90, green: 10 });
    assert.deepStrictEqual(trafficWith({ blue: 70, red: 30 }, 'green', 50), { blue: 35, red: 15, green: 50 });
    // 2/3 and 1/3 of 90 are 60 and 30; 1/3 of 89 needs rounding by largest remainder.
    const t = trafficWith({ a: 1, b: 1, c: 1 }, 'n', 11);
    assert.strictEqual(Object.values(t).reduce((s, p) => s + p, 0), 100);
    assert.deepStrictEqual(t, { a: 30, b: 30, c: 29, n: 11 });
    assert.deepStrictEqual(trafficWith({ blue: 100 }, 'green', 100), { blue: 0, green: 100 });
  });

  it('gives the new deployment everything when nothing else is live', () => {
    assert.deepStrictEqual(trafficWith({}, 'blue', 10), { blue: 100 });
    assert.deepStrictEqual(trafficWith({ blue: 100 }, 'blue', 10), { blue: 100 });
    assert.deepStrictEqual(trafficWith({ old: 0 }, 'blue', 50), { blue: 100 });
  });

  it('ignores the new deployment\'s own earlier share when it is resumed', () => {
    assert.deepStrictEqual(trafficWith({ blue: 90, green: 10 }, 'green', 50), { blue: 50, green: 50 });
  });

  it('compares and prints traffic without the 0% entries Azure ML leaves out', () => {
    assert.ok(sameTraffic({ blue: 100, green: 0 }, { blue: 100 }));
    assert.ok(!sameTraffic({ blue: 90, green: 10 }, { blue: 100 }));
    assert.deepStrictEqual(liveOnly({ blue: 0, green: 100 }), { green: 100 });
    assert.strictEqual(formatTraffic({ blue: 90, green: 10, red: 0 }), 'blue=90%, green=10%');
    assert.strictEqual(formatTraffic({}), 'none');
  });
});
