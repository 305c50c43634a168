import * as assert from 'assert';
import { gridWithoutValues, LogSketch, RELATIVE_ACCURACY } from '../../../src/data/sketch';

/** The bucket a sketch anchored at 0 puts one positive value in. */
function keyOf(d: number, relativeAccuracy = RELATIVE_ACCURACY): number {
  const sketch = new LogSketch(0, Number.MIN_VALUE, relativeAccuracy);
  sketch.add(d);
  return sketch.serialize().positive.offset;
}

/** DDSketch's bucket of d by its definition. */
function byLog(d: number, relativeAccuracy = RELATIVE_ACCURACY): number {
  const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
  return Math.ceil(Math.log(d) * (1 / Math.log(gamma)));
}

const bits = new Float64Array(1);
const words = new BigUint64Array(bits.buffer);
/** The double next to a positive one, below (-1) or above (+1). */
function next(x: number, direction: 1 | -1): number {
  bits[0] = x;
  words[0] += BigInt(direction);
  return bits[0];
}

describe('log sketch buckets', () => {
  it('puts every value in the bucket ceil(log(d) / log(gamma)) says, over the whole range of doubles', () => {
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values: number[] = [Number.MIN_VALUE, 1e-310, 2 ** -1022, 1, 1.5, 2, Math.E, 1e300, Number.MAX_VALUE];
    // Log-uniform over all normal doubles, and values near 1 and near typical column scales.
    for (let i = 0; i < 30_000; i++) values.push(Math.exp((random() - 0.5) * 1400), 1 + random() * 1e-3, random() * 1e6);
    for (const accuracy of [RELATIVE_ACCURACY, 0.05, 0.001]) {
      for (const d of values) {
        if (!(d > 0 && d < Infinity)) continue;
        const expected = byLog(d, accuracy);
        if (keyOf(d, accuracy) !== expected) assert.fail(`${d} at accuracy ${accuracy}: bucket ${keyOf(d, accuracy)}, not ${expected}`);
      }
    }
  });

  it('agrees at the edges of buckets: the lowest value of each bucket, and the double just below it', () => {
    const gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
    for (let k = -2000; k <= 2000; k++) {
      // The lowest value of bucket k, found by stepping from gamma^(k - 1).
      let x = gamma ** (k - 1);
      while (byLog(x) >= k) x = next(x, -1);
      while (byLog(x) < k) x = next(x, 1);
      // (=== because Math.ceil gives -0 for keys of 0; the bucket is the same.)
      for (const d of [x, next(x, -1)]) assert.ok(keyOf(d) === byLog(d), `bucket ${k}, value ${d}: ${keyOf(d)}, not ${byLog(d)}`);
    }
  });
});

describe('log sketch runs of values', () => {
  it('sketches a run as value by value: in order, at random, at the edges of buckets, around the anchor', () => {
    const gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
    // Each bucket's lowest value above the anchor (100) and the double just below it, in order.
    const edges: number[] = [];
    for (let k = -50; k <= 400; k++) {
      let x = gamma ** (k - 1);
      while (byLog(x) >= k) x = next(x, -1);
      while (byLog(x) < k) x = next(x, 1);
      edges.push(100 + next(x, -1), 100 + x);
    }
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1e6 - 5e5;
    const runs: Array<[string, number[]]> = [
      ['ids', Array.from({ length: 50_000 }, (_, i) => i + 1)],
      ['random', Array.from({ length: 20_000 }, random)],
      ['bucket edges', edges],
      // Just above the least distance from the anchor (0.001), then just below it, in the same bucket.
      ['around the anchor', [100, 100.0001, 100.00001, 99.9999, 100, 101, 101, 99, 1e308, 1e308, 5, 5, 1e-300, -1e300, 100.5, 100.5, 100.001000001, 100.000999999]],
    ];
    for (const [label, values] of runs) {
      const one = new LogSketch(100, 0.001);
      for (const x of values) one.add(x);
      const run = new LogSketch(100, 0.001);
      run.addRun(Float64Array.from(values), 0, values.length);
      assert.deepStrictEqual(run.serialize(), one.serialize(), label);
      // In runs of many lengths, each from the middle of an array: the buckets widen from run to run.
      const pieces = new LogSketch(100, 0.001);
      const padded = Float64Array.from([NaN, NaN, ...values, NaN]);
      for (let from = 2, length = 1; from < values.length + 2; from += length, length = (length * 7 + 3) % 997) {
        pieces.addRun(padded, from, Math.min(from + length, values.length + 2));
      }
      assert.deepStrictEqual(pieces.serialize(), one.serialize(), `${label}, in pieces`);
    }
  });

  it('sketches runs that lie on one side of the anchor, then the other, then both', () => {
    const one = new LogSketch(0, 1e-6);
    const run = new LogSketch(0, 1e-6);
    const runs = [
      [5, 6, 7, 1000, 5],
      [-3, -3, -3e9, -0.5],
      [2e9, -2e9, 1e-7, -1e-7, 0, 3, -3],
      Array.from({ length: 4096 }, (_, i) => (i % 3 === 0 ? -i : i) * 1.37),
    ];
    for (const values of runs) {
      for (const x of values) one.add(x);
      run.addRun(Float64Array.from(values), 0, values.length);
      assert.deepStrictEqual(run.serialize(), one.serialize(), values.slice(0, 5).join(', '));
    }
    assert.strictEqual(run.count, one.count);
  });
});

describe('grid of a column without values in its first rows', () => {
  it('is anchored in the middle of the declared range, at the one declared bound, or at 0', () => {
    const day = 86_400_000;
    const from = Date.UTC(2020, 0, 1);
    const to = Date.UTC(2030, 0, 1);
    assert.deepStrictEqual(gridWithoutValues({ min: from, max: to }), { anchor: from + (to - from) / 2, minOffset: (to - from) * 1e-6 });
    assert.deepStrictEqual(gridWithoutValues({ min: 18 }), { anchor: 18, minOffset: 18 * 1e-9 });
    assert.deepStrictEqual(gridWithoutValues({ max: -5 }), { anchor: -5, minOffset: 5 * 1e-9 });
    assert.deepStrictEqual(gridWithoutValues({ min: 0, max: 0 }), { anchor: 0, minOffset: 1e-9 });
    assert.deepStrictEqual(gridWithoutValues({}), { anchor: 0, minOffset: 1e-9 });
    // A datetime in the declared range falls in a bucket of about 2 % of its distance to the middle: days, not the
    // months it would be anchored at 0.
    const x = Date.UTC(2027, 5, 1);
    const widthOn = (grid: { anchor: number; minOffset: number }) => {
      const sketch = new LogSketch(grid.anchor, grid.minOffset);
      sketch.add(x);
      const pieces = sketch.pieces(-Infinity, Infinity);
      assert.ok(pieces.lo[0] < x && x <= pieces.hi[0]);
      return pieces.hi[0] - pieces.lo[0];
    };
    assert.ok(widthOn(gridWithoutValues({ min: from, max: to })) < 20 * day);
    assert.ok(widthOn(gridWithoutValues({})) > 300 * day);
  });
});
