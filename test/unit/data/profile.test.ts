import { strict as assert } from 'assert';
import { columnDrift } from '../../../src/data/drift';
import {
  addToFilter,
  CategorySums,
  ColumnAccumulator,
  FILTER_WORDS,
  inFilter,
  firstInOrder,
  mergeColumnProfileList,
  mergeColumnProfiles,
  packCategories,
  parseProfile,
  serializeProfile,
  unpackCategories,
} from '../../../src/data/profile';
import { UserError } from '../../../src/errors';
import type { ColumnProfile, DatasetProfile, DriftMetric } from '../../../src/data/types';
import { ExactCounts, LogSketch, type SerializedLogSketch } from '../../../src/data/sketch';
import { hashString } from '../../../src/data/hll';
import { decode, numericProfile, readFixture, shuffle } from './drift-helpers';

const NUMERIC: DriftMetric[] = ['normalized_wasserstein', 'ks', 'psi', 'jensen_shannon'];

function close(a: number, b: number, rel = 1e-9): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

function dataset(columns: ColumnProfile[]): DatasetProfile {
  return { format: 'datavalidate-profile', version: 1, rowCount: 10, columns, source: 'data/train.csv', createdAt: '2024-06-01T00:00:00.000Z' };
}

describe('column profiles', () => {
  it('counts nulls, and NaN and ±Infinity as nulls and nonFinite, keeping them out of the statistics', () => {
    const acc = new ColumnAccumulator('x', 'numeric');
    for (const v of [1, NaN, 2, Infinity, -Infinity, 3]) acc.addNumber(v);
    acc.addNull();
    const p = acc.toProfile();
    assert.deepEqual(
      { count: p.count, nulls: p.nulls, nonFinite: p.nonFinite, min: p.min, max: p.max, mean: p.mean, std: p.std, distinct: p.distinct },
      { count: 3, nulls: 4, nonFinite: 3, min: 1, max: 3, mean: 2, std: 1, distinct: 3 },
    );
    assert.deepEqual(p.topValues.map((t) => t.value), ['1', '2', '3']);
  });

  it('gives an empty numeric column no min, max, mean or std', () => {
    const acc = new ColumnAccumulator('x', 'numeric');
    acc.addNull();
    const p = acc.toProfile();
    assert.equal(p.count, 0);
    assert.equal(p.min, undefined);
    assert.equal(p.std, undefined);
    assert.equal(new ColumnAccumulator('y', 'numeric').toProfile().distinct, 0);
  });

  it('counts categories exactly up to the cap, then in otherCount with an estimated distinct count', () => {
    const acc = new ColumnAccumulator('c', 'categorical', { categoryCap: 3 });
    for (const v of ['a', 'b', 'a', 'c', 'd', 'e', 'a', 'd', '__proto__']) acc.addText(v);
    acc.addNull();
    const p = acc.toProfile();
    assert.deepEqual({ ...p.categories }, { a: 3, b: 1, c: 1 });
    assert.equal(p.otherCount, 4);
    assert.equal(p.count, 9);
    assert.equal(p.nulls, 1);
    assert.equal(p.distinct, 6);
    assert.equal(p.categoryCap, 3);
    assert.deepEqual(p.topValues[0], { value: 'a', count: 3 });
    assert.equal(typeof p.distinctSketch, 'string');
  });

  it('keeps the categories of a profile as a list, most frequent first, until they are read', () => {
    const acc = new ColumnAccumulator('c', 'categorical');
    for (const v of ['b', 'a', 'c', 'a', '10', '2', 'c', 'a']) acc.addText(v);
    const posted = acc.toProfile();
    // A worker posts the list as it is, made into no object on the way.
    assert.equal(typeof Object.getOwnPropertyDescriptor(posted, 'categories')!.get, 'function');
    const list = packCategories(posted)!;
    assert.deepEqual([...list.values], ['a', 'c', '10', '2', 'b']);
    assert.deepEqual([...list.counts], [3, 2, 1, 1, 1]);
    assert.equal('categories' in posted, false);
    // Read, they are an object, in their place among the profile's keys.
    const read = acc.toProfile();
    assert.deepEqual(Object.keys(read), ['name', 'kind', 'count', 'nulls', 'distinct', 'topValues', 'categories', 'otherCount', 'categoryCap']);
    assert.deepEqual({ ...read.categories }, { a: 3, c: 2, '10': 1, '2': 1, b: 1 });
    assert.deepEqual(read.topValues.map((t) => t.value), ['a', 'c', '10', '2', 'b']);
  });

  it('keeps a category called __proto__ as an ordinary category', () => {
    const acc = new ColumnAccumulator('c', 'categorical');
    acc.addText('__proto__');
    acc.addText('__proto__');
    const p = acc.toProfile();
    assert.deepEqual(Object.entries(p.categories!), [['__proto__', 2]]);
    const back = parseProfile(serializeProfile(dataset([p])), 'ref.json').columns[0];
    assert.deepEqual(Object.entries(back.categories!), [['__proto__', 2]]);
  });

  it('estimates distinct values within a few percent past the exact range', () => {
    const acc = new ColumnAccumulator('x', 'numeric');
    for (let i = 0; i < 200_000; i++) acc.addNumber(i * 0.5);
    const p = acc.toProfile();
    assert.ok(Math.abs(p.distinct - 200_000) < 0.05 * 200_000, String(p.distinct));
    const c = new ColumnAccumulator('c', 'categorical', { categoryCap: 100 });
    for (let i = 0; i < 50_000; i++) c.addText(`user-${i % 20_000}`);
    const q = c.toProfile();
    assert.ok(Math.abs(q.distinct - 20_000) < 0.05 * 20_000, String(q.distinct));
  });

  it('keeps no quantile sketch of a column whose quantiles nothing reads, only its distinct count, once its exact counts are full', () => {
    const values = Float64Array.from({ length: 20_000 }, (_, i) => ((i * 7919) % 20_011) * 0.5);
    const fill = (quantiles: boolean, from: number, to: number) => {
      const a = new ColumnAccumulator('x', 'numeric', { quantiles });
      for (let i = from; i < to; i++) a.addNumber(values[i]);
      return a.toProfile();
    };
    const kept = fill(true, 0, 20_000);
    const spared = fill(false, 0, 20_000);
    assert.equal((kept.sketch as { type: string }).type, 'ddsketch');
    assert.deepEqual(spared.sketch, { type: 'none' });
    // All but the sketch as with it: counts, moments, the distinct estimate.
    assert.deepEqual({ ...spared, sketch: undefined }, { ...kept, sketch: undefined });
    assert.ok(Math.abs(spared.distinct - 20_000) < 600, String(spared.distinct));
    // Within its exact counts, a column keeps them: they are its top values.
    const few = fill(false, 0, 100);
    assert.equal((few.sketch as { type: string }).type, 'exact');
    assert.equal(few.topValues.length, 10);
    // Runs (the typed path) spare it the same way.
    const run = new ColumnAccumulator('x', 'numeric', { quantiles: false });
    run.setMoments(Float64Array.of(0, 0, 0, Infinity, -Infinity), 0);
    run.addCountedRun(values, undefined, 0, 20_000);
    assert.deepEqual(run.toProfile().sketch, { type: 'none' });
    assert.equal(run.toProfile().distinct, spared.distinct);
    // Merged with parts counted exactly or not kept, it stays not kept, and the distinct count is the union's.
    const merged = mergeColumnProfileList([fill(false, 0, 300), fill(false, 300, 12_000), fill(true, 12_000, 12_200), fill(false, 12_200, 20_000)]);
    assert.deepEqual(merged.sketch, { type: 'none' });
    assert.equal(merged.count, 20_000);
    assert.equal(merged.distinct, spared.distinct);
    assert.equal(merged.min, kept.min);
    assert.equal(merged.max, kept.max);
    // Drift needs the distribution.
    assert.throws(() => columnDrift(spared, kept, 'ks', 0.1, 'warning'), /numeric profile of x has no sketch/);
  });

  it('keeps a sketch of 10 million values to a few KB', function () {
    this.timeout(120_000);
    const acc = new ColumnAccumulator('x', 'numeric');
    let s = 1;
    for (let i = 0; i < 10_000_000; i++) {
      s = (s * 16807) % 2147483647;
      acc.addNumber(Math.exp((s / 2147483647) * 12 - 4)); // log-uniform over e^-4..e^8
    }
    const p = acc.toProfile();
    const sketchBytes = JSON.stringify(p.sketch).length;
    const profileBytes = JSON.stringify(p).length;
    assert.ok(sketchBytes < 8_000, `sketch ${sketchBytes} bytes`);
    assert.ok(profileBytes < 16_000, `profile ${profileBytes} bytes`);
  });

  it('adds numbers at millions per second', function () {
    this.timeout(120_000);
    const n = 5_000_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i) * 1000 + i * 1e-3;
    const rate = (): number => {
      const acc = new ColumnAccumulator('x', 'numeric');
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) acc.addNumber(values[i]);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return n / seconds;
    };
    rate(); // warm up the JIT
    const best = Math.max(rate(), rate());
    console.log(`      addNumber: ${(best / 1e6).toFixed(1)} M values/s`);
    assert.ok(best > 2e6, `${best} values/s`);
  });
});

describe('merging profiles', () => {
  it('merges the categories of many parts at once, keeping the most frequent over all of them', () => {
    const parts = [
      ['a', 'a', 'b', 'x1', 'x2'],
      ['b', 'b', 'c', 'x3'],
      ['c', 'c', 'c', 'a', 'x4', 'x5'],
    ].map((values) => {
      const acc = new ColumnAccumulator('k', 'categorical', { categoryCap: 3 });
      for (const v of values) acc.addText(v);
      acc.addNull();
      return acc.toProfile();
    });
    const merged = mergeColumnProfileList(parts);
    // Over all parts: c 4, a 3, b 3; what each part kept below those goes to other.
    assert.deepEqual({ ...merged.categories }, { c: 4, a: 3, b: 3 });
    assert.equal(merged.count, 15);
    assert.equal(merged.nulls, 3);
    assert.equal(merged.otherCount, 5);
    assert.equal(merged.categoryCap, 3);
    // Two parts merged as a list or as a pair give the same profile.
    assert.deepEqual(mergeColumnProfileList(parts.slice(0, 2)), mergeColumnProfiles(parts[0], parts[1]));

    // Summed as they come, in another order, the parts give the same profile.
    const sums = new CategorySums();
    for (const p of [parts[2], parts[0], parts[1]]) sums.add(p);
    assert.strictEqual(sums.size, 3);
    assert.deepStrictEqual(sums.profile(), merged);
    assert.throws(() => sums.add({ ...parts[0], name: 'other' }), /cannot sum column other with column k/);
  });

  it('cuts sums of many parts with values of their own back to the cap as they grow, keeping the counts and the distinct estimate', () => {
    // 200 parts of 10 values each, none shared, and one value in every part: 2001 values against a cap of 5.
    const parts = Array.from({ length: 200 }, (_, k) => {
      const acc = new ColumnAccumulator('id', 'categorical', { categoryCap: 5 });
      acc.addText('common');
      acc.addText('common');
      for (let i = 0; i < 4; i++) acc.addText(`v${k}-${i}`);
      return acc.toProfile();
    });
    const sums = new CategorySums(80);
    for (const p of parts) sums.add(p);
    const merged = sums.profile();
    assert.strictEqual(merged.count, 1200);
    assert.strictEqual(merged.categories!.common, 400);
    assert.strictEqual(Object.keys(merged.categories!).length, 5);
    assert.strictEqual(merged.otherCount, 1200 - Object.values(merged.categories!).reduce((a, b) => a + b, 0));
    // 801 distinct values, within the HyperLogLog's few per cent.
    assert.ok(Math.abs(merged.distinct - 801) / 801 < 0.05, String(merged.distinct));
  });

  it('merges categories posted as lists as it merges them as objects, and gives them back as objects when read', () => {
    const part = (values: string[]) => {
      const acc = new ColumnAccumulator('k', 'categorical', { categoryCap: 3 });
      for (const v of values) acc.addText(v);
      return acc.toProfile();
    };
    const values = [['a', 'a', 'b', '__proto__', 'x2'], ['b', 'b', 'c', 'x3', '__proto__'], ['c', 'c', 'c', 'a', 'x4']];
    const merged = mergeColumnProfileList(values.map(part));
    const posted = values.map(part);
    const lists = posted.map((p) => packCategories(p)!);
    assert.ok(posted.every((p) => !('categories' in p)), 'packed: the categories are out of the profile');
    assert.deepStrictEqual(lists[0], { values: ['a', '__proto__', 'b'], counts: new Float64Array([2, 1, 1]) });
    // As the posted copies come back: the lists are what CategorySums reads.
    const received = structuredClone(posted);
    received.forEach((p, i) => unpackCategories(p, structuredClone(lists[i])));
    const sums = new CategorySums();
    for (const p of received) sums.add(p);
    assert.deepStrictEqual(sums.profile(), merged);
    assert.deepStrictEqual(mergeColumnProfileList(received), merged);
    assert.ok(
      received.every((p) => Object.getOwnPropertyDescriptor(p, 'categories')?.get !== undefined),
      'summed from the lists, without making the objects',
    );
    // Read as an object, once: the same object each time, null prototype, in the order they were counted.
    const categories = received[0].categories!;
    assert.strictEqual(Object.getPrototypeOf(categories), null);
    assert.deepStrictEqual(Object.entries(categories), [['a', 2], ['__proto__', 1], ['b', 1]]);
    assert.strictEqual(received[0].categories, categories);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(received[1])), JSON.parse(JSON.stringify(part(values[1]))));
    // Written over, they are what was written; and a profile without categories has none to pack.
    received[2].categories = { z: 1 };
    assert.deepStrictEqual(received[2].categories, { z: 1 });
    assert.strictEqual(packCategories({ ...merged, categories: undefined }), undefined);
  });

  const cases = ['normal-shift', 'lognormal-shift', 'integers-ties', 'datetime-shift', 'poisson-ties'];
  for (const name of cases) {
    it(`merge(profile A, profile B) equals the profile of A ∪ B: ${name}`, () => {
      const f = readFixture(name);
      const values = shuffle(decode(f.reference, f.scale), 3);
      const cut = Math.floor(values.length * 0.37);
      const whole = numericProfile('x', values);
      const merged = mergeColumnProfiles(numericProfile('x', values.subarray(0, cut)), numericProfile('x', values.subarray(cut)));
      assert.equal(merged.count, whole.count);
      assert.equal(merged.nulls, whole.nulls);
      assert.equal(merged.min, whole.min);
      assert.equal(merged.max, whole.max);
      assert.ok(close(merged.mean!, whole.mean!), `mean ${merged.mean} vs ${whole.mean}`);
      assert.ok(close(merged.std!, whole.std!), `std ${merged.std} vs ${whole.std}`);
      assert.ok(Math.abs(merged.distinct - whole.distinct) <= 0.05 * whole.distinct);
      const cur = numericProfile('x', decode(f.current, f.scale));
      for (const metric of NUMERIC) {
        const a = columnDrift(whole, cur, metric, 0.1, 'error').value;
        const b = columnDrift(merged, cur, metric, 0.1, 'error').value;
        const expected = f.expected[metric];
        const tolerance = metric === 'normalized_wasserstein' ? 0.005 * expected + 1e-4 : metric === 'ks' ? 0.001 : 0.005;
        assert.ok(Math.abs(b - expected) <= tolerance, `${metric}: merged ${b}, whole ${a}, scipy ${expected}`);
      }
    });
  }

  it('merges many parts, exact and sketched alike, in any order', () => {
    const f = readFixture('lognormal-shift');
    const values = shuffle(decode(f.reference, f.scale), 4);
    const parts: ColumnProfile[] = [];
    // Small parts stay exact (<= 512 distinct values), large ones are sketched with their own anchors.
    const sizes = [100, 300, 20_000, 5, 40_000];
    let at = 0;
    for (const size of sizes) {
      parts.push(numericProfile('x', values.subarray(at, at + size)));
      at += size;
    }
    parts.push(numericProfile('x', values.subarray(at)));
    const kinds = parts.map((p) => (p.sketch as { type: string }).type);
    assert.ok(kinds.includes('exact') && kinds.includes('ddsketch'));
    const forward = parts.reduce((acc, p) => mergeColumnProfiles(acc, p));
    const backward = [...parts].reverse().reduce((acc, p) => mergeColumnProfiles(acc, p));
    const cur = numericProfile('x', decode(f.current, f.scale));
    for (const merged of [forward, backward]) {
      assert.equal(merged.count, values.length);
      for (const metric of NUMERIC) {
        const v = columnDrift(merged, cur, metric, 0.1, 'error').value;
        const tolerance = metric === 'normalized_wasserstein' ? 0.01 * f.expected[metric] : metric === 'ks' ? 0.002 : 0.005;
        assert.ok(Math.abs(v - f.expected[metric]) <= tolerance, `${metric}: ${v} vs ${f.expected[metric]}`);
      }
    }
  });

  it('sketches on the grid settled earlier, and merges exact parts that no longer fit on the grid given', () => {
    const first = Array.from({ length: 3000 }, (_, i) => (i % 200) * 0.5);
    const later = Array.from({ length: 3000 }, (_, i) => 500 + i * 0.25);
    const counted = new ExactCounts();
    for (const x of first) counted.add(x, 1);
    const { values, counts } = counted.entries();
    const settled = LogSketch.gridOf(values, counts);
    const acc = new ColumnAccumulator('x', 'numeric');
    for (const x of first) acc.addNumber(x);
    acc.settleGrid();
    for (const x of later) acc.addNumber(x);
    const sketch = acc.toProfile().sketch as SerializedLogSketch;
    assert.deepEqual([sketch.type, sketch.anchor, sketch.minOffset], ['ddsketch', settled.anchor, settled.minOffset]);
    // Without a settled grid, the sketch is anchored on its first 512 distinct values: another grid.
    const unsettled = new ColumnAccumulator('x', 'numeric');
    for (const x of [...first, ...later]) unsettled.addNumber(x);
    assert.notEqual((unsettled.toProfile().sketch as SerializedLogSketch).anchor, settled.anchor);
    // Two exact parts merged past the cap: on the grid given, bucket for bucket the same sketch.
    const partA = new ColumnAccumulator('x', 'numeric');
    for (const x of first) partA.addNumber(x);
    const partB = new ColumnAccumulator('x', 'numeric');
    for (const x of later.slice(0, 400)) partB.addNumber(x);
    const [a, b] = [partA.toProfile(), partB.toProfile()];
    assert.deepEqual([(a.sketch as { type: string }).type, (b.sketch as { type: string }).type], ['exact', 'exact']);
    const whole = new ColumnAccumulator('x', 'numeric', { sketchGrid: settled });
    for (const x of [...first, ...later.slice(0, 400)]) whole.addNumber(x);
    assert.deepEqual(mergeColumnProfileList([a, b], settled).sketch, whole.toProfile().sketch);
    assert.notDeepEqual(mergeColumnProfileList([a, b]).sketch, whole.toProfile().sketch);
  });

  it('keeps negative values when merging sketches', () => {
    const a = numericProfile('x', Float64Array.from({ length: 5000 }, (_, i) => -1000 + i * 0.01));
    const b = numericProfile('x', Float64Array.from({ length: 5000 }, (_, i) => 1000 + i * 0.01));
    const m = mergeColumnProfiles(a, b);
    const whole = numericProfile('x', Float64Array.from({ length: 10000 }, (_, i) => (i < 5000 ? -1000 + i * 0.01 : 1000 + (i - 5000) * 0.01)));
    assert.ok(columnDrift(m, whole, 'ks', 0.1, 'error').value < 0.01);
    assert.ok(columnDrift(m, whole, 'normalized_wasserstein', 0.1, 'error').value < 0.01);
  });

  it('sums categories, folding the least frequent into otherCount past the cap', () => {
    const make = (values: string[], cap?: number) => {
      const acc = new ColumnAccumulator('c', 'categorical', cap ? { categoryCap: cap } : {});
      values.forEach((v) => acc.addText(v));
      return acc.toProfile();
    };
    const m = mergeColumnProfiles(make(['a', 'a', 'b', 'x']), make(['a', 'c', 'c', 'y']));
    assert.deepEqual({ ...m.categories }, { a: 3, c: 2, b: 1, x: 1, y: 1 });
    assert.equal(m.count, 8);
    assert.equal(m.distinct, 5);
    const capped = mergeColumnProfiles(make(['a', 'a', 'b', 'x'], 3), make(['a', 'c', 'c', 'y', 'z'], 3));
    assert.deepEqual({ ...capped.categories }, { a: 3, c: 2, b: 1 });
    assert.equal(capped.otherCount, 3);
    assert.equal(capped.distinct, 6);
    assert.equal(capped.count, 9);
  });

  it('keeps the same categories past the cap as ranking them all would, however many parts and ties', () => {
    let seed = 7;
    const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let round = 0; round < 20; round++) {
      const cap = 1 + next(60);
      const parts: ColumnProfile[] = [];
      for (let p = 0; p < 1 + next(6); p++) {
        const acc = new ColumnAccumulator('c', 'categorical', { categoryCap: 500 });
        // Few distinct counts, so most of the cut falls among ties broken by value.
        for (let i = 0; i < 300; i++) acc.addText(`v${next(round % 2 === 0 ? 40 : 400)}`);
        parts.push(acc.toProfile());
      }
      const sums = new Map<string, number>();
      for (const p of parts) for (const [k, v] of Object.entries(p.categories!)) sums.set(k, (sums.get(k) ?? 0) + v);
      const ranked = [...sums].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
      const merged = mergeColumnProfileList(parts.map((p) => ({ ...p, categoryCap: cap })));
      assert.deepEqual(Object.entries(merged.categories!), ranked.slice(0, cap), `round ${round}`);
      assert.equal(merged.otherCount, ranked.slice(cap).reduce((a, [, v]) => a + v, 0));
    }
  });

  it('finds the first k items in order without sorting them all, for any k', () => {
    let seed = 11;
    const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let round = 0; round < 200; round++) {
      const items = Array.from({ length: next(50) }, (_, i) => [next(5), i] as [number, number]);
      const compare = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
      const k = next(items.length + 2);
      const sorted = [...items].sort(compare);
      firstInOrder(items, k, compare);
      assert.deepEqual([...items.slice(0, k)].sort(compare), sorted.slice(0, k), `round ${round}, k ${k}`);
    }
  });

  it('refuses to merge a numeric and a categorical profile', () => {
    assert.throws(() => mergeColumnProfiles(numericProfile('x', [1]), new ColumnAccumulator('x', 'categorical').toProfile()));
  });
});

describe('profile files', () => {
  function sample(): DatasetProfile {
    const f = readFixture('normal-shift');
    const c = new ColumnAccumulator('city', 'categorical');
    ['Oslo', 'Lima', 'Oslo'].forEach((v) => c.addText(v));
    const n = new ColumnAccumulator('n', 'numeric');
    [1, NaN, 2].forEach((v) => n.addNumber(v));
    return dataset([numericProfile('x', decode(f.reference, f.scale)), c.toProfile(), n.toProfile()]);
  }

  it('round-trips through serialize and parse, with the same drift', () => {
    const p = sample();
    const text = serializeProfile(p);
    const back = parseProfile(text, 'ref.json');
    assert.equal(serializeProfile(back), text);
    assert.equal(back.columns[0].mean, p.columns[0].mean);
    assert.deepEqual(JSON.parse(JSON.stringify(back.columns[1])), JSON.parse(JSON.stringify(p.columns[1])));
    const cur = p.columns[0];
    assert.equal(columnDrift(back.columns[0], cur, 'ks', 0.1, 'error').value, 0);
    const doc = JSON.parse(text);
    assert.equal(doc.format, 'datavalidate-profile');
    assert.equal(doc.version, 1);
    assert.match(doc.binning, /Sturges/);
  });

  it('survives structured cloning (postMessage)', () => {
    const p = sample();
    const clone = structuredClone(p);
    assert.equal(serializeProfile(clone), serializeProfile(p));
  });

  it('serializes the same profile to the same text regardless of category order', () => {
    const a = new ColumnAccumulator('c', 'categorical');
    const b = new ColumnAccumulator('c', 'categorical');
    ['x', 'y', 'y'].forEach((v) => a.addText(v));
    ['y', 'x', 'y'].forEach((v) => b.addText(v));
    assert.equal(serializeProfile(dataset([a.toProfile()])), serializeProfile(dataset([b.toProfile()])));
  });

  it('refuses files that are not DataValidate profiles, naming the file', () => {
    const bad: Array<[string, RegExp]> = [
      ['not json', /ref\.json is not a DataValidate profile: it is not JSON/],
      ['{"columns": []}', /ref\.json is not a DataValidate profile \(no "format"/],
      ['{"format": "datavalidate-profile", "version": 2, "columns": []}', /version 2; this version of the task reads version 1/],
      ['{"format": "datavalidate-profile", "version": 1, "rowCount": 1, "columns": [{"name": "a", "kind": "text"}]}', /column 'a' has kind "text"/],
      [
        '{"format": "datavalidate-profile", "version": 1, "rowCount": 1, "columns": [{"name": "a", "kind": "numeric", "count": 1, "nulls": 0, "distinct": 1, "topValues": [], "sketch": {"type": "kll"}}]}',
        /column 'a' has a sketch of unknown type "kll"/,
      ],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => parseProfile(text, 'ref.json'),
        (e: unknown) => e instanceof UserError && e.file === 'ref.json' && message.test(e.message),
        text,
      );
    }
  });
});

describe('the filter of a full category table', () => {
  it('holds every category, and lets through about 2 % of other values, where one bit a key let 7 % through', () => {
    const filter = new Uint32Array(FILTER_WORDS);
    for (let i = 0; i < 10_000; i++) addToFilter(filter, hashString(`category-${i}`));
    for (let i = 0; i < 10_000; i++) assert.ok(inFilter(filter, hashString(`category-${i}`)), `category-${i}`);
    let through = 0;
    for (let i = 0; i < 100_000; i++) if (inFilter(filter, hashString(`value ${i}@example.com`))) through++;
    assert.ok(through > 1000 && through < 3000, `${through} of 100,000 other values`);
  });
});
