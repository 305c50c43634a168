import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { numberKey, UniqueTracker, VALUE_NOT_KEPT, type ExactValues } from '../../../src/data/unique';

describe('uniqueness keys', () => {
  it('gives whole numbers exact, distinct keys, so ids never collide', () => {
    const seen = new Set<number>();
    for (const x of [0, 1, -1, 2 ** 40, -(2 ** 40), 2 ** 51 - 1, -(2 ** 51)]) {
      const k = numberKey(x);
      assert.strictEqual(k.exact, true, String(x));
      assert.ok(k.key > 0 && k.key < 2 ** 53, String(x));
      assert.ok(!seen.has(k.key), `two numbers share the key of ${x}`);
      seen.add(k.key);
    }
  });

  it('hashes fractions and numbers beyond 51 bits', () => {
    assert.strictEqual(numberKey(0.5).exact, false);
    assert.strictEqual(numberKey(2 ** 60).exact, false);
  });

  it('finds a duplicate id among many spilled values with no hash-collision caveat', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unique-'));
    try {
      const tracker = new UniqueTracker(1024, dir);
      for (let id = 1; id <= 50_000; id++) {
        const k = numberKey(id);
        tracker.add(k.key, id, id + 1, k.exact);
      }
      const dup = numberKey(777);
      if (tracker.add(dup.key, 50_001, 50_002, dup.exact)) tracker.noteExample(50_001, 50_002, '777');
      const result = tracker.finish();
      assert.strictEqual(result.duplicates, 1);
      assert.strictEqual(result.hashedValues, 0);
      assert.deepStrictEqual(result.examples.map((e) => e.row), [50_001]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a duplicate among spilled ids that arrive out of order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unique-'));
    try {
      const tracker = new UniqueTracker(1024, dir);
      // A permutation of 1..20000 (7919 is prime to 20000), so the ids form no runs.
      for (let i = 1; i <= 20_000; i++) {
        const k = numberKey(((i * 7919) % 20_000) + 1);
        tracker.add(k.key, i, 0, k.exact);
      }
      const dup = numberKey(4242);
      tracker.add(dup.key, 20_001, 0, dup.exact);
      const merged = new UniqueTracker(1024, dir);
      merged.absorb(tracker.state(), 0, 0);
      const result = merged.finish();
      assert.strictEqual(result.duplicates, 1);
      assert.deepStrictEqual(result.examples.map((e) => e.row), [20_001]);
      assert.deepStrictEqual(fs.readdirSync(dir), [], 'spill files are removed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('uniqueness of ids in increasing order', () => {
  /** A part tracker fed [value, row, line] triples, handed over as the engine hands parts over. */
  function part(values: Array<[number, number, number]>, cap = 1 << 18, exactValues?: ExactValues) {
    const tracker = new UniqueTracker(cap, undefined, exactValues);
    const found: number[] = [];
    for (const [v, row, line] of values) {
      const k = numberKey(v);
      if (tracker.add(k.key, row, line, k.exact)) found.push(row);
    }
    return { state: tracker.state(), found };
  }
  const ids = (from: number, to: number, firstRow = 1): Array<[number, number, number]> =>
    Array.from({ length: to - from + 1 }, (_, i) => [from + i, firstRow + i, firstRow + i + 1] as [number, number, number]);

  it('keeps a sorted id column as one run: no table entries to hand over', () => {
    const { state, found } = part(ids(1, 100_000));
    assert.deepStrictEqual(found, []);
    assert.strictEqual(state.kind, 'memory');
    assert.strictEqual((state as { entries: Float64Array }).entries.length, 0);
    assert.strictEqual(state.runs.length, 4);
  });

  it('finds a repeat of an earlier id within a part at once, by its run', () => {
    const { found, state } = part([...ids(1, 10), [5, 11, 12], ...ids(11, 20, 12)]);
    assert.deepStrictEqual(found, [11]);
    assert.strictEqual(state.tally.duplicates, 1);
  });

  it('finds ids that two parts share, naming the later rows', () => {
    const a = part(ids(1, 1000));
    const b = part(ids(990, 2000, 1)); // its rows count from its own start
    const merged = new UniqueTracker();
    merged.absorb(a.state, 0, 0);
    merged.absorb(b.state, 1000, 1001);
    const result = merged.finish();
    assert.strictEqual(result.duplicates, 11); // 990..1000
    // id 990 is row 990 in part a and row 1001 overall in part b.
    assert.deepStrictEqual(result.examples.map((e) => [e.row, e.line]), Array.from({ length: 10 }, (_, k) => [1001 + k, 1003 + k]));
  });

  it('counts every repeat when three parts hold the same ids', () => {
    const merged = new UniqueTracker();
    for (let p = 0; p < 3; p++) merged.absorb(part(ids(1, 500)).state, p * 500, 0);
    assert.strictEqual(merged.finish().duplicates, 1000);
  });

  it('checks table entries and spilled entries of one part against the runs of another', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unique-'));
    try {
      const sorted = part(ids(1, 5000));
      // Descending ids start no run after the first: they go to the table, and past the cap to spill files.
      const descending: Array<[number, number, number]> = [];
      for (let v = 9000, row = 1; v >= 4990; v--, row++) descending.push([v, row, 0]);
      for (const cap of [1 << 18, 100]) {
        const other = part(descending, cap);
        const merged = new UniqueTracker(cap, dir);
        merged.absorb(sorted.state, 0, 0);
        merged.absorb(other.state, 5000, 0);
        const result = merged.finish();
        assert.strictEqual(result.duplicates, 11, `cap ${cap}`); // 4990..5000
        assert.strictEqual(result.examples[0].row, 5000 + 4001, `cap ${cap}`); // 5000 is the 4001st of the descending part
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows a duplicate found when merging as the value its exact key holds; a hashed one as not kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unique-'));
    try {
      const descending = (from: number, to: number): Array<[number, number, number]> =>
        Array.from({ length: from - to + 1 }, (_, i) => [from - i, i + 1, 0] as [number, number, number]);
      const values = (result: { examples: Array<{ value: string }> }) => result.examples.map((e) => e.value);
      // Runs against runs, table entries against runs, table against table in memory and in spilled partitions.
      for (const cap of [1 << 18, 50]) {
        const merged = new UniqueTracker(cap, dir);
        merged.absorb(part(ids(1, 100), cap, 'number').state, 0, 0);
        merged.absorb(part(ids(99, 101, 1), cap, 'number').state, 100, 0);
        merged.absorb(part(descending(300, 95), cap, 'number').state, 103, 0);
        merged.absorb(part(descending(300, 290), cap, 'number').state, 309, 0);
        const result = merged.finish();
        assert.strictEqual(result.duplicates, 2 + 7 + 11, `cap ${cap}`);
        assert.deepStrictEqual(values(result), ['99', '100', '101', '100', '99', '98', '97', '96', '95', '300'], `cap ${cap}`);
      }
      // Times as ISO 8601; negative whole numbers as they are.
      const time = Date.UTC(2024, 0, 2, 3, 4, 5);
      const times = new UniqueTracker();
      times.absorb(part([[time, 1, 0]], 1 << 18, 'time').state, 0, 0);
      times.absorb(part([[time, 1, 0]], 1 << 18, 'time').state, 1, 0);
      assert.deepStrictEqual(values(times.finish()), ['2024-01-02T03:04:05.000Z']);
      const negative = new UniqueTracker();
      negative.absorb(part([[-7, 1, 0]], 1 << 18, 'number').state, 0, 0);
      negative.absorb(part([[-7, 1, 0]], 1 << 18, 'number').state, 1, 0);
      assert.deepStrictEqual(values(negative.finish()), ['-7']);
      // A hashed value among the keys (a fraction): a key of the tables may be a hash, so its value is not known
      // (keys of the runs are exact all the same).
      const mixed = new UniqueTracker();
      mixed.absorb(part([[0.5, 1, 0], [5, 2, 0], [3, 3, 0]], 1 << 18, 'number').state, 0, 0);
      mixed.absorb(part([[5, 1, 0], [3, 2, 0]], 1 << 18, 'number').state, 3, 0);
      assert.deepStrictEqual(values(mixed.finish()), ['5', VALUE_NOT_KEPT]);
      // Without exactValues (text columns, compound keys), never a value.
      const text = new UniqueTracker();
      text.absorb(part([[3, 1, 0]]).state, 0, 0);
      text.absorb(part([[3, 1, 0]]).state, 1, 0);
      assert.deepStrictEqual(values(text.finish()), [VALUE_NOT_KEPT]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mixes runs and table when ids are mostly sorted, and finds no duplicate where there is none', () => {
    // Sorted with gaps, then late arrivals that fill the gaps.
    const values: Array<[number, number, number]> = [];
    let row = 0;
    for (let v = 2; v <= 4000; v += 2) values.push([v, ++row, 0]);
    for (let v = 1; v <= 4000; v += 2) values.push([v, ++row, 0]);
    const { found, state } = part(values);
    assert.deepStrictEqual(found, []);
    const merged = new UniqueTracker();
    merged.absorb(state, 0, 0);
    assert.strictEqual(merged.finish().duplicates, 0);
    const again = part([...values, [1234, ++row, 0], [2, ++row, 0]]);
    assert.deepStrictEqual(again.found, [row - 1, row]);
  });
});

