import * as assert from 'assert';
import { secondsToIsoDuration } from '../../../src/jobs/durations';

describe('secondsToIsoDuration', () => {
  const cases: Array<[number, string]> = [
    [1, 'PT1S'],
    [59, 'PT59S'],
    [60, 'PT1M'],
    [90, 'PT1M30S'],
    [3600, 'PT1H'],
    [7200, 'PT2H'],
    [3661, 'PT1H1M1S'],
    [86400, 'P1D'],
    [90061, 'P1DT1H1M1S'],
    [864000, 'P10D'],
    [0, 'P0D'],
  ];
  for (const [seconds, iso] of cases) {
    it(`writes ${seconds} seconds as ${iso}, like the CLI`, () => {
      assert.strictEqual(secondsToIsoDuration(seconds), iso);
    });
  }

  it('refuses fractions and negative numbers', () => {
    assert.throws(() => secondsToIsoDuration(1.5), RangeError);
    assert.throws(() => secondsToIsoDuration(-1), RangeError);
  });
});
