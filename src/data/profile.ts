/**
 * Per-column profiles built in one streaming pass, mergeable (row groups, workers, files) and serializable (a saved
 * reference profile, postMessage between threads). Drift is computed from two profiles, never from raw data.
 *
 * Counting conventions:
 *  - count = non-null values (the values behind min/max/mean/std and the distribution); rows = count + nulls.
 *  - NaN and ±Infinity in a numeric column count as nulls (as pandas treats NaN) and also in nonFinite, so a
 *    report can tell them apart from empty cells.
 *  - std is the sample standard deviation (ddof = 1, as pandas' describe); 0 for a single value.
 *  - Categorical values are counted exactly up to categoryCap distinct values; later new values are counted
 *    together in otherCount, and distinct becomes a HyperLogLog estimate.
 *  - Numeric distributions are exact up to EXACT_CAP distinct values, then an anchored DDSketch (see sketch.ts).
 */

import { UserError } from '../errors';
import { BINNING_RULE } from './drift';
import { HyperLogLog, hashNumber, hashString } from './hll';
import type { DistinctTables, NumberCells } from './number-cells';
import { ExactCounts, LogSketch, SerializedExact, SerializedLogSketch, SerializedSketch, EXACT_CAP, type SketchGrid } from './sketch';
import { detachedString, type ColumnProfile, type DatasetProfile, type NumberDictionary } from './types';

export const DEFAULT_CATEGORY_CAP = 10_000;
// 2^17 bits, two a key: about 2 % false positives with 10 000 categories (one bit a key let 7 % through).
export const FILTER_WORDS = 1 << 12;
const FILTER_MASK = FILTER_WORDS - 1;

/**
 * Whether the category filter may hold a key of hash h: its bit at the low 17 bits of h and its bit at the high 17
 * (a second bit at a product of h would repeat the first: the low bits of a product depend on the low bits only).
 */
export function inFilter(filter: Uint32Array, h: number): boolean {
  const g = h >>> 15;
  return (filter[(h >>> 5) & FILTER_MASK] & (1 << (h & 31))) !== 0 && (filter[(g >>> 5) & FILTER_MASK] & (1 << (g & 31))) !== 0;
}

/** Puts a key of hash h in the category filter: the two bits inFilter looks at. */
export function addToFilter(filter: Uint32Array, h: number): void {
  const g = h >>> 15;
  filter[(h >>> 5) & FILTER_MASK] |= 1 << (h & 31);
  filter[(g >>> 5) & FILTER_MASK] |= 1 << (g & 31);
}

const TOP_VALUES = 10;

export class ColumnAccumulator {
  private readonly numeric: boolean;
  private readonly categoryCap: number;
  private count = 0;
  private nulls = 0;
  private nonFinite = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  /** A numeric column's values counted exactly, until they no longer fit: then its sketch (or none) and HyperLogLog. */
  private exact: ExactCounts | undefined;
  private sketch: LogSketch | undefined;
  /** Whether a numeric column keeps a quantile sketch once its exact counts are full (see the constructor's options). */
  private readonly quantiles: boolean;
  /**
   * The grid of the sketch: given, or settled by settleGrid; otherwise chosen from the values counted exactly when
   * the sketch starts (see LogSketch.fromExact).
   */
  private sketchGrid: SketchGrid | undefined;
  /** The grid settleGrid gives a column with no values yet (see gridWithoutValues in sketch.ts). */
  private readonly gridWithoutValues: SketchGrid | undefined;
  private hll: HyperLogLog | undefined;
  /** Category -> slot in counts: one Map lookup per value instead of a get and a set. */
  private readonly slots = new Map<string, number>();
  private counts = new Float64Array(16);
  private otherCount = 0;

  constructor(
    readonly name: string,
    readonly kind: 'numeric' | 'categorical',
    /**
     * quantiles: false for a numeric column whose quantiles nothing reads (no drift, median or saved profile): once
     * its values no longer fit in exact counts, only its distinct count is kept (its profile's sketch is { type:
     * 'none' }), which spares a sketch's work on every value.
     */
    options: { categoryCap?: number; sketchGrid?: SketchGrid; gridWithoutValues?: SketchGrid; quantiles?: boolean } = {},
  ) {
    this.numeric = kind === 'numeric';
    this.quantiles = options.quantiles ?? true;
    this.categoryCap = options.categoryCap ?? DEFAULT_CATEGORY_CAP;
    this.sketchGrid = options.sketchGrid;
    this.gridWithoutValues = options.gridWithoutValues;
    if (!(this.categoryCap >= 1)) throw new Error(`categoryCap must be at least 1, got ${this.categoryCap}`);
    if (this.numeric) this.exact = new ExactCounts(EXACT_CAP);
  }

  /** A value of a numeric column (datetimes as epoch milliseconds). Allocates nothing in the steady state. */
  addNumber(x: number): void {
    if (!this.numeric) throw new Error(`addNumber on categorical column ${this.name}`);
    if (x - x !== 0) {
      // NaN or ±Infinity
      this.nonFinite++;
      this.nulls++;
      return;
    }
    const n = ++this.count;
    const delta = x - this.mean;
    // By the reciprocal, as the number kernel does (wasm/number-parse.ts): the same doubles on either path.
    this.mean += delta * (1 / n);
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.distribute(x);
  }

  /**
   * addNumber of finite values[r] for r from `from` to `to`, whose count, mean, m2, minimum and maximum the caller
   * has updated as addNumber does (getMoments, setMoments), with their hashNumber in hashes[r] (or none: see
   * wantsHashes). One call for a run, in loops of their own: a number passed to a function that is not inlined is
   * boxed. nulls: how many of those rows are nulls (values[r] = NaN), passed over: their values and hashes are
   * gathered first into arrays without them. coded: the column's dictionary, when each row's value is the entry of
   * its code: then the values are counted by entry (see addCodedRun).
   */
  addCountedRun(values: Float64Array, hashes: Uint32Array | undefined, from: number, to: number, nulls = 0, coded?: NumberDictionary): void {
    if (coded !== undefined && this.addCodedRun(values, coded, from, to)) return;
    if (nulls > 0) {
      const n = to - from - nulls;
      if (denseValues.length < n) {
        denseValues = new Float64Array(Math.max(n, 2 * denseValues.length));
        denseHashes = new Uint32Array(denseValues.length);
      }
      const dv = denseValues;
      const dh = denseHashes;
      let w = 0;
      for (let r = from; r < to; r++) {
        const x = values[r];
        if (x !== x) continue;
        dv[w] = x;
        if (hashes !== undefined) dh[w] = hashes[r];
        w++;
      }
      values = dv;
      if (hashes !== undefined) hashes = dh;
      from = 0;
      to = w;
    }
    let r = from;
    if (this.exact !== undefined) {
      r = this.exact.addRun(values, from, to);
      if (r === to) return;
      this.switchToSketch();
    }
    this.sketch?.addRun(values, r, to);
    if (hashes !== undefined) this.hll!.addHashes(hashes, r, to);
    else for (let i = r; i < to; i++) this.hll!.addHash(hashNumber(values[i]) | 0);
  }

  /**
   * addCountedRun of a run of a dictionary-encoded column: how often each entry occurs among the values (nulls
   * passed over), then each entry added once with that weight, and hashed once for the distinct count. The counts
   * and buckets come out as the values added one by one make them. False, with nothing added, when the dictionary
   * is larger than the run, or when the entries could fill the exact counts (which take values in row order until
   * they are full).
   */
  private addCodedRun(values: Float64Array, coded: NumberDictionary, from: number, to: number): boolean {
    const { codes, size } = coded;
    if (size > to - from) return false;
    if (codedCounts.length < size) codedCounts = new Float64Array(Math.max(size, 2 * codedCounts.length));
    const counts = codedCounts;
    counts.fill(0, 0, size);
    for (let r = from; r < to; r++) if (values[r] === values[r]) counts[codes[r]]++;
    const entries = coded.values;
    const exact = this.exact;
    if (exact !== undefined) {
      let used = 0;
      for (let k = 0; k < size; k++) if (counts[k] > 0) used++;
      if (exact.size + used > exact.cap) return false;
      for (let k = 0; k < size; k++) if (counts[k] > 0) exact.add(entries[k], counts[k]);
      return true;
    }
    const sketch = this.sketch;
    const hll = this.hll!;
    for (let k = 0; k < size; k++) {
      if (counts[k] === 0) continue;
      sketch?.addWeighted(entries[k], counts[k]);
      hll.addHash(hashNumber(entries[k]) | 0);
    }
    return true;
  }

  /** Only the distinct count of values no longer counted exactly reads the hashes of addCountedRun. */
  wantsHashes(): boolean {
    return this.numeric && this.exact === undefined;
  }

  /** count, mean, m2, minimum and maximum into out from at, as addNumber left them. */
  getMoments(out: Float64Array, at: number): void {
    out[at] = this.count;
    out[at + 1] = this.mean;
    out[at + 2] = this.m2;
    out[at + 3] = this.min;
    out[at + 4] = this.max;
  }

  /** Takes count, mean, m2, minimum and maximum from getMoments's layout, updated by the caller as addNumber would. */
  setMoments(from: Float64Array, at: number): void {
    this.count = from[at];
    this.mean = from[at + 1];
    this.m2 = from[at + 2];
    this.min = from[at + 3];
    this.max = from[at + 4];
  }

  /** x into the exact counts or the sketch, and its hashNumber into the distinct count. */
  private distribute(x: number): void {
    if (this.exact === undefined) {
      this.sketch?.add(x);
      this.hll!.addHash(hashNumber(x) | 0);
    } else if (!this.exact.add(x, 1)) {
      this.switchToSketch();
      this.sketch?.add(x);
      this.hll!.addHash(hashNumber(x) | 0);
    }
  }

  /** A value of a categorical column (booleans as 'true'/'false'). */
  addText(value: string): void {
    if (this.numeric) throw new Error(`addText on numeric column ${this.name}`);
    this.count++;
    const full = this.keyFilter;
    if (full !== undefined) {
      // No new categories any more, and most values of such a column are not one: the filter rules most of them
      // out with the hash the HyperLogLog needs anyway, before the (costlier) map lookup.
      const h = hashString(value);
      if (!inFilter(full, h)) {
        this.otherCount++;
        this.hll!.addHash(h | 0);
        return;
      }
      const slot = this.slots.get(value);
      if (slot !== undefined) this.counts[slot]++;
      else {
        this.otherCount++;
        this.hll!.addHash(h | 0);
      }
      return;
    }
    const slot = this.slots.get(value);
    if (slot !== undefined) {
      this.counts[slot]++;
    } else if (this.slots.size < this.categoryCap) {
      const next = this.slots.size;
      if (next === this.counts.length) {
        const grown = new Float64Array(next * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
      this.counts[next] = 1;
      this.slots.set(detachedString(value), next);
    } else {
      if (this.hll === undefined) this.hll = hllOfCategories(this.slots.keys());
      this.otherCount++;
      this.hll.addHash(hashString(value));
      this.keyFilter = new Uint32Array(FILTER_WORDS);
      for (const key of this.slots.keys()) {
        const h = hashString(key);
        addToFilter(this.keyFilter, h);
      }
      this.buildByteIndex();
    }
  }

  /**
   * addText for a value given as ASCII bytes, counted without its text once the categories are full (most values of
   * a free-text column): found among the categories by its bytes, or counted with the rest. h: hashAsciiBytes of
   * the bytes. False: nothing was counted, call addText with the text.
   */
  addAsciiBytes(buf: Uint8Array, s: number, e: number, h: number): boolean {
    const index = this.byteIndex;
    if (index === undefined) return false;
    this.count++;
    if (!inFilter(this.keyFilter!, h)) {
      this.otherCount++;
      this.hll!.addHash(h | 0);
      return true;
    }
    const n = e - s;
    const mask = (index.length >> 1) - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = index[2 * at + 1] - 1;
      if (slot < 0) break;
      if (index[2 * at] !== (h | 0)) continue;
      const key = this.keysBySlot[slot];
      if (key.length !== n) continue;
      let k = 0;
      while (k < n && key.charCodeAt(k) === buf[s + k]) k++;
      if (k === n) {
        this.counts[slot]++;
        return true;
      }
    }
    this.otherCount++;
    this.hll!.addHash(h | 0);
    return true;
  }

  /**
   * Once the categories are full: for each category, its hashString and slot + 1 side by side (one memory access
   * per probe), by open addressing on the hash (slot + 1 = 0: empty).
   */
  private byteIndex: Int32Array | undefined;
  private keysBySlot: string[] = [];

  private buildByteIndex(): void {
    let size = 16;
    while (size < this.slots.size * 2) size *= 2;
    const index = new Int32Array(size * 2);
    this.keysBySlot = new Array<string>(this.slots.size);
    for (const [key, slot] of this.slots) {
      const h = hashString(key);
      this.keysBySlot[slot] = key;
      let at = h & (size - 1);
      while (index[2 * at + 1] !== 0) at = (at + 1) & (size - 1);
      index[2 * at] = h | 0;
      index[2 * at + 1] = slot + 1;
    }
    this.byteIndex = index;
  }

  /** The categories as NumberCells.profileDistinct looks cells up in them, made when first needed. */
  private distinctTables: DistinctTables | undefined;

  /**
   * addAsciiBytes of each cell a kernel has loaded (see NumberCells.profileDistinct), done there once the categories
   * are full: per row, the slot of its category, -1 for another value (both counted), or -2 for a cell not counted,
   * which the caller profiles. Undefined: nothing was counted.
   */
  addLoadedCells(kernel: NumberCells): Int32Array | undefined {
    if (this.byteIndex === undefined) return undefined;
    const tables = (this.distinctTables ??= this.makeDistinctTables());
    const out = kernel.profileDistinct(tables, this.hll!.registers);
    if (out === undefined) return undefined;
    const counts = this.counts;
    let counted = 0;
    let other = 0;
    for (let r = 0; r < out.length; r++) {
      const slot = out[r];
      if (slot >= 0) {
        counts[slot]++;
        counted++;
      } else if (slot === -1) other++;
    }
    this.count += counted + other;
    this.otherCount += other;
    return out;
  }

  private makeDistinctTables(): DistinctTables {
    const keys = this.keysBySlot;
    const offsets = new Int32Array(keys.length);
    const lengths = new Int32Array(keys.length);
    const all = keys.join('');
    // ASCII keys (most): one buffer, each key's bytes its characters; else each key in UTF-8.
    const ascii = Buffer.byteLength(all, 'utf8') === all.length;
    const encoded = ascii ? undefined : keys.map((key) => Buffer.from(key, 'utf8'));
    let at = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      const n = encoded ? encoded[slot].length : keys[slot].length;
      offsets[slot] = at;
      lengths[slot] = n;
      at += n;
    }
    return { filter: this.keyFilter!, index: this.byteIndex!, offsets, lengths, keys: encoded ? Buffer.concat(encoded) : Buffer.from(all, 'latin1') };
  }

  /** Once the categories are full: two bits per hashString of each category (see inFilter; no false negatives). */
  private keyFilter: Uint32Array | undefined;

  /** n more of a value already given to addText: counted where that value went (a category, or the rest). */
  addTextRepeats(value: string, n: number): void {
    if (this.numeric) throw new Error(`addTextRepeats on numeric column ${this.name}`);
    this.count += n;
    const slot = this.slots.get(value);
    if (slot !== undefined) this.counts[slot] += n;
    else this.otherCount += n; // its hash is in the HyperLogLog already
  }

  addNull(): void {
    this.nulls++;
  }

  /**
   * Called once the first GRID_ROWS rows of the dataset are in: a numeric column still counted exactly, and not
   * given a grid, keeps the grid of the values counted so far for the sketch it may need later; one without values,
   * the grid given for that case (none: it takes that of its first values later).
   */
  settleGrid(): void {
    if (this.sketchGrid !== undefined || this.exact === undefined) return;
    if (this.exact.size === 0) {
      this.sketchGrid = this.gridWithoutValues;
      return;
    }
    const { values, counts } = this.exact.entries();
    this.sketchGrid = LogSketch.gridOf(values, counts);
  }

  private switchToSketch(): void {
    const { values, counts } = this.exact!.entries();
    if (this.quantiles) this.sketch = LogSketch.fromExact(values, counts, this.sketchGrid);
    this.hll = hllOfNumbers(values);
    this.exact = undefined;
  }

  toProfile(): ColumnProfile {
    if (!this.numeric) {
      const entries: Array<[string, number]> = [];
      for (const [value, slot] of this.slots) entries.push([value, this.counts[slot]]);
      return categoricalProfile(this.name, this.count, this.nulls, entries, this.otherCount, this.categoryCap, this.hll);
    }
    const base: ColumnProfile = { name: this.name, kind: 'numeric', count: this.count, nulls: this.nulls, distinct: 0, topValues: [] };
    if (this.nonFinite > 0) base.nonFinite = this.nonFinite;
    if (this.count > 0) {
      base.min = this.min;
      base.max = this.max;
      base.mean = this.mean;
      base.std = this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 0;
    }
    return withDistribution(base, this.exact ? this.exact.serialize() : this.sketch ? this.sketch.serialize() : { type: 'none' }, this.hll);
  }
}

/** addCodedRun's count of each dictionary entry, for the thread's life (grown, never shrunk). */
let codedCounts = new Float64Array(0);
/** addCountedRun's values and hashes without the nulls of a run, for the thread's life (grown, never shrunk). */
let denseValues = new Float64Array(0);
let denseHashes = new Uint32Array(0);

function hllOfNumbers(values: Iterable<number>, into = new HyperLogLog()): HyperLogLog {
  for (const v of values) into.addHash(hashNumber(v));
  return into;
}

function hllOfCategories(values: Iterable<string>, into = new HyperLogLog()): HyperLogLog {
  for (const v of values) into.addHash(hashString(v));
  return into;
}

function topOf(entries: Array<[string, number]>): Array<{ value: string; count: number }> {
  return [...entries]
    .sort(byCountThenValue)
    .slice(0, TOP_VALUES)
    .map(([value, count]) => ({ value, count }));
}

/** Fills distinct, topValues, sketch and distinctSketch of a numeric profile from its distribution. */
function withDistribution(p: ColumnProfile, sketch: SerializedSketch, hll: HyperLogLog | undefined): ColumnProfile {
  if (sketch.type === 'exact') {
    p.distinct = sketch.values.length;
    p.topValues = topOf(sketch.values.map((v, i) => [String(v), sketch.counts[i]]));
  } else {
    p.distinct = Math.max(1, hll!.estimate());
    p.distinctSketch = hll!.toBase64();
  }
  p.sketch = sketch;
  return p;
}

/**
 * The profile of a categorical column with these categories (value and count, in any order: sorted here). Its
 * categories are kept as a list, most frequent first, and made an object only when read (see unpackCategories): a
 * worker thread posts the list as it is.
 */
function categoricalProfile(
  name: string,
  count: number,
  nulls: number,
  entries: Array<[string, number]>,
  otherCount: number,
  cap: number,
  hll: HyperLogLog | undefined,
): ColumnProfile {
  entries.sort(byCountThenValue);
  const p: ColumnProfile = {
    name,
    kind: 'categorical',
    count,
    nulls,
    distinct: hll && otherCount > 0 ? Math.max(hll.estimate(), entries.length) : entries.length,
    topValues: entries.slice(0, TOP_VALUES).map(([value, n]) => ({ value, count: n })),
    // In its place among the keys; unpackCategories makes it.
    categories: undefined,
    otherCount,
    categoryCap: cap,
  };
  unpackCategories(p, { values: entries.map((e) => e[0]), counts: Float64Array.from(entries, (e) => e[1]) });
  if (hll && otherCount > 0) p.distinctSketch = hll.toBase64();
  return p;
}

// ---------------------------------------------------------------- merge

function hllOf(p: ColumnProfile): HyperLogLog {
  if (p.distinctSketch) return HyperLogLog.fromBase64(p.distinctSketch);
  if (p.kind === 'categorical') return hllOfCategories(listed.get(p)?.values ?? Object.keys(p.categories ?? {}));
  const s = p.sketch as SerializedSketch | undefined;
  return hllOfNumbers(s && s.type === 'exact' ? s.values : []);
}

function emptyExact(): SerializedExact {
  return { type: 'exact', values: [], counts: [] };
}

/** grid: the one the dataset's sketches are on, for exact counts that no longer fit once merged. */
function mergeDistributions(a: SerializedSketch, b: SerializedSketch, grid?: SketchGrid): SerializedSketch {
  // A distribution not kept is not kept merged (the values of the other side are in the distinct count).
  if (a.type === 'none' || b.type === 'none') return { type: 'none' };
  if (a.type === 'exact' && b.type === 'exact') {
    const table = new ExactCounts(EXACT_CAP);
    const all = [a, b];
    let fits = true;
    for (const s of all) for (let i = 0; i < s.values.length && fits; i++) fits = table.add(s.values[i], s.counts[i]);
    if (fits) return table.serialize();
    const union = new Map<number, number>();
    for (const s of all) s.values.forEach((v, i) => union.set(v, (union.get(v) ?? 0) + s.counts[i]));
    const values = [...union.keys()].sort((x, y) => x - y);
    return LogSketch.fromExact(values, values.map((v) => union.get(v)!), grid).serialize();
  }
  // The sketch side keeps its anchor; exact values are added at their own value.
  const [sketchSide, other] = a.type === 'ddsketch' ? [a, b] : [b as SerializedLogSketch, a];
  const merged = LogSketch.parse(sketchSide);
  if (other.type === 'exact') other.values.forEach((v, i) => merged.addWeighted(v, other.counts[i]));
  else merged.mergeFrom(LogSketch.parse(other));
  return merged.serialize();
}

/** Categories most frequent first, then in the order of their values. */
function byCountThenValue(x: [string, number], y: [string, number]): number {
  return y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);
}

/**
 * Moves the k first items in the order of compare (a strict order: no two items equal) to the front of items, in no
 * particular order among themselves (quickselect). A column of distinct e-mails merged from many parts holds
 * hundreds of thousands of categories, of which only the cap are kept: a sort of them all cost most of the merge.
 */
export function firstInOrder<T>(items: T[], k: number, compare: (a: T, b: T) => number): void {
  let lo = 0;
  let hi = items.length - 1;
  let rounds = 0;
  while (lo < hi && k > lo && k <= hi) {
    if (++rounds > 64) {
      // Pivots that keep missing (adversarial order): sort what is left.
      const rest = items.slice(lo, hi + 1).sort(compare);
      for (let i = 0; i < rest.length; i++) items[lo + i] = rest[i];
      return;
    }
    // Median of three as the pivot, then a Hoare partition.
    const mid = lo + ((hi - lo) >> 1);
    const [a, b, c] = [items[lo], items[mid], items[hi]];
    const pivot = compare(a, b) < 0 ? (compare(b, c) < 0 ? b : compare(a, c) < 0 ? c : a) : compare(a, c) < 0 ? a : compare(b, c) < 0 ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (compare(items[i], pivot) < 0) i++;
      while (compare(pivot, items[j]) < 0) j--;
      if (i <= j) {
        const t = items[i];
        items[i] = items[j];
        items[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] before the pivot's place, [i, hi] after: go on in the side that holds the k-th boundary.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * The profile of the data of all the given profiles together (parts of one dataset, in any order). Categories are
 * summed over all of them at once and cut to the cap once, so many parts cost one ranking, not one per part. grid:
 * the grid of the dataset's sketch of a numeric column (GRID_ROWS), for parts counted exactly whose values no
 * longer fit in exact counts together.
 */
export function mergeColumnProfileList(profiles: ColumnProfile[], grid?: SketchGrid): ColumnProfile {
  if (profiles.length === 0) throw new Error('no profiles to merge');
  const first = profiles[0];
  for (const p of profiles) if (p.kind !== first.kind) throw new Error(`cannot merge a ${first.kind} and a ${p.kind} profile of column ${first.name}`);
  if (first.kind !== 'categorical') return profiles.reduce((a, b) => mergeColumnProfiles(a, b, grid));
  const sums = new CategorySums();
  for (const p of profiles) sums.add(p);
  return sums.profile();
}

/**
 * The categorical profiles of parts of one column, summed as they come (in any order): the parts of a dataset can
 * be summed while others are still being read, leaving only the cut to the cap for the end. Sums of counts are
 * exact, so the order does not change the result, and nothing of a part is kept once it is added: its distinct
 * sketch is merged at once (the categories of parts without one are the keys of the sums). Sums of more values than
 * cutAt (default: 16 times the cap, and at least 2^17; many parts, each with values of its own, as ids in many
 * small files) are cut back to the cap as they grow, the rest counted among the other values: memory stays bounded,
 * and only the counts of values below the cut can be short by what earlier cuts moved.
 */
export class CategorySums {
  constructor(private readonly cutAt?: number) {}

  private readonly sums = new Map<string, number>();
  private name: string | undefined;
  private parts = 0;
  private count = 0;
  private nulls = 0;
  private otherCount = 0;
  private cap = Infinity;
  /** The distinct sketches of the parts that have one, and the values cut from the sums. */
  private hll: HyperLogLog | undefined;

  add(p: ColumnProfile): void {
    if (p.kind !== 'categorical') throw new Error(`cannot sum the categories of a ${p.kind} profile of column ${p.name}`);
    if (this.name !== undefined && p.name !== this.name) throw new Error(`cannot sum column ${p.name} with column ${this.name}`);
    this.name = p.name;
    this.parts++;
    this.count += p.count;
    this.nulls += p.nulls;
    this.otherCount += p.otherCount ?? 0;
    this.cap = Math.min(this.cap, p.categoryCap ?? DEFAULT_CATEGORY_CAP);
    const sums = this.sums;
    const list = listed.get(p);
    if (list) {
      const { values, counts } = list;
      for (let i = 0; i < values.length; i++) sums.set(values[i], (sums.get(values[i]) ?? 0) + counts[i]);
    } else {
      const categories = p.categories ?? {};
      for (const k of Object.keys(categories)) sums.set(k, (sums.get(k) ?? 0) + categories[k]);
    }
    if (p.distinctSketch) (this.hll ??= new HyperLogLog()).merge(HyperLogLog.fromBase64(p.distinctSketch));
    if (sums.size > (this.cutAt ?? Math.max(SUMS_PER_CAP * this.cap, MIN_SUMS_CUT))) this.cut();
  }

  /** Keeps the cap's most frequent values; the others go to the other values, and to the distinct sketch. */
  private cut(): void {
    const ranked = [...this.sums.entries()];
    firstInOrder(ranked, this.cap, byCountThenValue);
    const hll = (this.hll ??= new HyperLogLog());
    for (let i = this.cap; i < ranked.length; i++) {
      this.otherCount += ranked[i][1];
      hll.addHash(hashString(ranked[i][0]));
      this.sums.delete(ranked[i][0]);
    }
  }

  /** How many profiles were added. */
  get size(): number {
    return this.parts;
  }

  /** The merged profile of the profiles added. */
  profile(): ColumnProfile {
    if (this.name === undefined) throw new Error('no profiles to sum');
    let otherCount = this.otherCount;
    let kept = this.sums;
    const cap = this.cap;
    if (kept.size > cap) {
      const ranked = [...kept.entries()];
      firstInOrder(ranked, cap, byCountThenValue);
      kept = new Map(ranked.slice(0, cap));
      for (let i = cap; i < ranked.length; i++) otherCount += ranked[i][1];
    }
    let hll: HyperLogLog | undefined;
    if (otherCount > 0) {
      // Every value of a part without a distinct sketch is a key of the sums, or was cut into this.hll.
      hll = new HyperLogLog();
      if (this.hll) hll.merge(this.hll);
      hllOfCategories(this.sums.keys(), hll);
    }
    return categoricalProfile(this.name, this.count, this.nulls, [...kept.entries()], otherCount, cap, hll);
  }
}

/** See CategorySums: how many times the cap its sums may grow to before they are cut back, and at least how many. */
const SUMS_PER_CAP = 16;
const MIN_SUMS_CUT = 1 << 17;

/**
 * The categories of a categorical profile as two arrays, in the order of its categories: how a worker thread posts
 * them. The structured clone between threads copies an object with a key for each of 10,000 categories about six
 * times slower than these arrays, and a Parquet file's parts are many.
 */
export interface CategoryList {
  values: string[];
  counts: Float64Array;
}

/** Profiles whose categories came as a list and have not been read as an object yet (see unpackCategories). */
const listed = new WeakMap<ColumnProfile, CategoryList>();

/** Takes the categories out of a categorical profile, as a list to post in their place; undefined if it has none. */
export function packCategories(p: ColumnProfile): CategoryList | undefined {
  if (p.kind !== 'categorical') return undefined;
  // Still a list (categoricalProfile's): posted as it is.
  const list = listed.get(p);
  if (list !== undefined) {
    listed.delete(p);
    delete p.categories;
    return list;
  }
  const categories = p.categories;
  if (categories === undefined) return undefined;
  const values = Object.keys(categories);
  const counts = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) counts[i] = categories[values[i]];
  delete p.categories;
  return { values, counts };
}

/**
 * Gives a profile back the categories packCategories took out. CategorySums reads the list as it is; anything else
 * that reads p.categories gets them as an object, made on that first read.
 */
export function unpackCategories(p: ColumnProfile, list: CategoryList): void {
  listed.set(p, list);
  const settle = (value: Record<string, number> | undefined) => {
    listed.delete(p);
    Object.defineProperty(p, 'categories', { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(p, 'categories', {
    enumerable: true,
    configurable: true,
    get(): Record<string, number> {
      // Null prototype, as categoricalProfile makes them.
      const record: Record<string, number> = Object.create(null) as Record<string, number>;
      for (let i = 0; i < list.values.length; i++) record[list.values[i]] = list.counts[i];
      settle(record);
      return record;
    },
    set: settle,
  });
}

/**
 * Combines the profiles of two disjoint parts of one column. Counts, min, max, mean and std are exact (Chan et al.'s
 * pairwise update); distributions merge bucket by bucket; categories are summed, and when the union exceeds the cap
 * the least frequent are folded into otherCount.
 * grid: as for mergeColumnProfileList.
 */
export function mergeColumnProfiles(a: ColumnProfile, b: ColumnProfile, grid?: SketchGrid): ColumnProfile {
  if (a.kind !== b.kind) throw new Error(`cannot merge a ${a.kind} and a ${b.kind} profile of column ${a.name}`);
  if (a.kind === 'categorical') return mergeColumnProfileList([a, b]);
  const count = a.count + b.count;
  const nulls = a.nulls + b.nulls;

  const p: ColumnProfile = { name: a.name, kind: 'numeric', count, nulls, distinct: 0, topValues: [] };
  const nonFinite = (a.nonFinite ?? 0) + (b.nonFinite ?? 0);
  if (nonFinite > 0) p.nonFinite = nonFinite;
  const parts = [a, b].filter((x) => x.count > 0);
  if (parts.length === 1) {
    Object.assign(p, { min: parts[0].min, max: parts[0].max, mean: parts[0].mean, std: parts[0].std });
  } else if (parts.length === 2) {
    const [na, nb] = [a.count, b.count];
    const [ma, mb] = [a.mean!, b.mean!];
    const m2a = a.std! ** 2 * (na - 1);
    const m2b = b.std! ** 2 * (nb - 1);
    const delta = mb - ma;
    const m2 = m2a + m2b + (delta * delta * na * nb) / count;
    p.min = Math.min(a.min!, b.min!);
    p.max = Math.max(a.max!, b.max!);
    p.mean = (na * ma + nb * mb) / count;
    p.std = Math.sqrt(m2 / (count - 1));
  }
  const merged = mergeDistributions((a.sketch as SerializedSketch | undefined) ?? emptyExact(), (b.sketch as SerializedSketch | undefined) ?? emptyExact(), grid);
  let hll: HyperLogLog | undefined;
  if (merged.type !== 'exact') {
    hll = hllOf(a);
    hll.merge(hllOf(b));
  }
  return withDistribution(p, merged, hll);
}

// ---------------------------------------------------------------- files

/** Fixed key order, so the same profile always serializes to the same text. */
function normalizeColumn(c: ColumnProfile): ColumnProfile {
  const out: ColumnProfile = { name: c.name, kind: c.kind, count: c.count, nulls: c.nulls, distinct: c.distinct, topValues: c.topValues };
  if (c.nonFinite !== undefined) out.nonFinite = c.nonFinite;
  for (const k of ['min', 'max', 'mean', 'std'] as const) if (c[k] !== undefined) out[k] = c[k];
  if (c.sketch !== undefined) out.sketch = c.sketch;
  if (c.categories !== undefined) {
    const record: Record<string, number> = Object.create(null) as Record<string, number>;
    const entries = Object.entries(c.categories).sort(byCountThenValue);
    for (const [k, v] of entries) record[k] = v;
    out.categories = record;
  }
  if (c.otherCount !== undefined) out.otherCount = c.otherCount;
  if (c.categoryCap !== undefined) out.categoryCap = c.categoryCap;
  if (c.distinctSketch !== undefined) out.distinctSketch = c.distinctSketch;
  return out;
}

/** JSON of a dataset profile, with its format, version and the binning rule drift from it will use. */
export function serializeProfile(p: DatasetProfile): string {
  const doc = {
    format: p.format,
    version: p.version,
    binning: BINNING_RULE,
    source: p.source,
    createdAt: p.createdAt,
    rowCount: p.rowCount,
    columns: p.columns.map(normalizeColumn),
  };
  return JSON.stringify(doc) + '\n';
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function columnProblem(c: unknown, i: number): string | undefined {
  if (typeof c !== 'object' || c === null) return `column ${i + 1} is not an object`;
  const col = c as Record<string, unknown>;
  const label = typeof col.name === 'string' ? `column '${col.name}'` : `column ${i + 1}`;
  if (typeof col.name !== 'string') return `${label} has no name`;
  if (col.kind !== 'numeric' && col.kind !== 'categorical') return `${label} has kind ${JSON.stringify(col.kind)}, not numeric or categorical`;
  for (const k of ['count', 'nulls', 'distinct']) if (!isCount(col[k])) return `${label} has no valid ${k}`;
  if (!Array.isArray(col.topValues)) return `${label} has no topValues`;
  if (col.kind === 'numeric') {
    const s = col.sketch as Record<string, unknown> | undefined;
    if (s === undefined || s === null || typeof s !== 'object') return `${label} has no sketch`;
    if (s.type === 'exact') {
      if (!Array.isArray(s.values) || !Array.isArray(s.counts) || s.values.length !== s.counts.length) return `${label} has a malformed exact distribution`;
    } else if (s.type === 'ddsketch') {
      const buckets = (b: unknown): boolean => typeof b === 'object' && b !== null && Number.isInteger((b as Record<string, unknown>).offset) && typeof (b as Record<string, unknown>).counts === 'string';
      if (typeof s.anchor !== 'number' || !isCount(s.minOffset) || !isCount(s.zeroCount) || !(typeof s.relativeAccuracy === 'number') || !buckets(s.positive) || !buckets(s.negative)) {
        return `${label} has a malformed sketch`;
      }
      if (typeof col.distinctSketch !== 'string') return `${label} has no distinctSketch`;
    } else {
      return `${label} has a sketch of unknown type ${JSON.stringify(s.type)}`;
    }
    if ((col.count as number) > 0 && (typeof col.min !== 'number' || typeof col.max !== 'number' || typeof col.mean !== 'number' || typeof col.std !== 'number')) {
      return `${label} lacks min, max, mean or std`;
    }
  } else {
    if (typeof col.categories !== 'object' || col.categories === null) return `${label} has no categories`;
    if (!Object.values(col.categories).every(isCount)) return `${label} has a category count that is not a number`;
  }
  if (col.distinctSketch !== undefined) {
    if (typeof col.distinctSketch !== 'string' || Buffer.from(col.distinctSketch, 'base64').length !== 4096) return `${label} has a malformed distinctSketch`;
  }
  return undefined;
}

/** Reads a profile written by serializeProfile; a UserError naming the file when it is anything else. */
export function parseProfile(text: string, file: string): DatasetProfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not a DataValidate profile: it is not JSON (${(e as Error).message}).`, { file });
  }
  const d = doc as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || d.format !== 'datavalidate-profile') {
    throw new UserError(`${file} is not a DataValidate profile (no "format": "datavalidate-profile"). Write one with the DataValidate task's profile output.`, { file });
  }
  if (d.version !== 1) {
    throw new UserError(`${file} is a DataValidate profile of version ${JSON.stringify(d.version)}; this version of the task reads version 1. Write the reference profile again with this task.`, { file });
  }
  if (!Array.isArray(d.columns) || !isCount(d.rowCount)) throw new UserError(`${file} is not a valid DataValidate profile: it has no columns or rowCount.`, { file });
  for (let i = 0; i < d.columns.length; i++) {
    const problem = columnProblem(d.columns[i], i);
    if (problem) throw new UserError(`${file} is not a valid DataValidate profile: ${problem}.`, { file });
  }
  return {
    format: 'datavalidate-profile',
    version: 1,
    rowCount: d.rowCount,
    columns: d.columns as ColumnProfile[],
    source: typeof d.source === 'string' ? d.source : file,
    createdAt: typeof d.createdAt === 'string' ? d.createdAt : '',
  };
}
