/**
 * What a numeric column profile keeps of its distribution, in bounded memory:
 *  - ExactCounts: every distinct value with its count while there are at most EXACT_CAP of them (integer codes,
 *    ratings, years, dates without time). Drift from these is exact, ties included.
 *  - LogSketch: past the cap, a DDSketch (Masson et al. 2019: logarithmic buckets, 1 % relative accuracy) of the
 *    distance to an anchor, the weighted median of the first EXACT_CAP distinct values. Anchoring matters because a
 *    plain DDSketch's error is relative to |x|: datetimes as epoch ms (~1.7e12, 1 % = 200 days), years or
 *    temperatures in kelvin would collapse into one or two buckets. Relative to the anchor, the error scales with the
 *    spread of the data instead.
 * The DDSketch algorithm is implemented here rather than taken from @datadog/sketches-js so the anchor, typed-array
 * buckets, a compact serialization and a merge that keeps negative values (that package's merge drops its negative
 * store) are under our control.
 */

import { hashNumber } from './hll';

export const EXACT_CAP = 512;
/**
 * The rows of a dataset that choose the grid of a numeric column's sketch (up to the end of the batch the last of them
 * is in): a column with more than EXACT_CAP distinct values in them is anchored on its first EXACT_CAP; one with
 * fewer, on all of them (LogSketch.gridOf), whenever it later needs a sketch; one with none, on gridWithoutValues.
 * Every later part of a split dataset is given that grid, so parts merge bucket by bucket and the sketch does not
 * depend on how the dataset was split.
 */
export const GRID_ROWS = 65536;
/** Distances to the anchor below which values count as the anchor, on gridWithoutValues's grids, per unit of the anchor. */
const FIXED_MIN_OFFSET_FACTOR = 1e-9;
export const RELATIVE_ACCURACY = 0.01;
/** Distances to the anchor below spread * MIN_OFFSET_FACTOR count as the anchor itself (bounds the bucket count). */
const MIN_OFFSET_FACTOR = 1e-6;

export interface SerializedExact {
  type: 'exact';
  /** Ascending. */
  values: number[];
  counts: number[];
}

export interface SerializedBuckets {
  /** Key of the first bucket. */
  offset: number;
  /** base64 of the bucket counts as LEB128 varints, one per key from offset on. */
  counts: string;
}

export interface SerializedLogSketch {
  type: 'ddsketch';
  relativeAccuracy: number;
  anchor: number;
  minOffset: number;
  zeroCount: number;
  positive: SerializedBuckets;
  negative: SerializedBuckets;
}

/**
 * A numeric column's distribution once it no longer fits in exact counts, when nothing reads its quantiles (see
 * ColumnAccumulator's quantiles option): not kept. Its distinct count is in the profile's HyperLogLog.
 */
export interface SerializedNoSketch {
  type: 'none';
}

export type SerializedSketch = SerializedExact | SerializedLogSketch | SerializedNoSketch;

/** Where a LogSketch's buckets lie: its anchor, and the distance to it below which values count as the anchor. */
export interface SketchGrid {
  anchor: number;
  minOffset: number;
}

/**
 * A distribution as disjoint pieces in ascending order: an atom where lo === hi, otherwise mass spread uniformly
 * over (lo, hi]. Exact counts are all atoms; sketch buckets are intervals clipped to the column's min..max.
 */
export interface Pieces {
  lo: Float64Array;
  hi: Float64Array;
  mass: Float64Array;
  total: number;
}

/**
 * The grid of a numeric column with no value in the rows that choose grids (GRID_ROWS): fixed before any value is
 * read, so every part of the dataset takes the same one, whichever rows it reads. It is anchored in the middle of the
 * column's declared range (min and max of its rule), at its one declared bound, or else at 0, where the sketch is a
 * plain DDSketch: datetimes far from the anchor are then sketched coarsely (1 % of epoch milliseconds is months).
 */
export function gridWithoutValues(range: { min?: number; max?: number }): SketchGrid {
  const { min, max } = range;
  if (min !== undefined && max !== undefined && max > min) return { anchor: min + (max - min) / 2, minOffset: (max - min) * MIN_OFFSET_FACTOR };
  const anchor = min ?? max ?? 0;
  return { anchor, minOffset: Math.abs(anchor) * FIXED_MIN_OFFSET_FACTOR || FIXED_MIN_OFFSET_FACTOR };
}

// ---------------------------------------------------------------- exact counts

/** Open-addressing hash table of value -> count, typed arrays so adding a value allocates nothing. */
export class ExactCounts {
  private keys: Float64Array;
  private counts: Float64Array;
  private used: Uint8Array;
  private mask: number;
  /** 32 - log2(slots): the top bits of a Fibonacci hash index the table. */
  private shift: number;
  size = 0;

  constructor(readonly cap: number = EXACT_CAP) {
    let slots = 16;
    while (slots < cap * 2) slots *= 2; // load factor <= 0.5 keeps probes short
    this.keys = new Float64Array(slots);
    this.counts = new Float64Array(slots);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
    this.shift = 32 - Math.log2(slots);
  }

  /** Adds weight to x's count; false (and nothing added) when x is new and the table already holds cap values. */
  add(x: number, weight: number): boolean {
    const keys = this.keys;
    const used = this.used;
    // Integers (codes, ages, labels) by Fibonacci hashing, without hashNumber's trip through a double's bits.
    let i = (x | 0) === x ? Math.imul(x, 0x9e3779b1) >>> this.shift : hashNumber(x) & this.mask;
    while (used[i] === 1) {
      if (keys[i] === x) {
        this.counts[i] += weight;
        return true;
      }
      i = (i + 1) & this.mask;
    }
    if (this.size >= this.cap) return false;
    used[i] = 1;
    keys[i] = x === 0 ? 0 : x;
    this.counts[i] = weight;
    this.size++;
    return true;
  }

  /**
   * add(values[r], 1) for r from `from` on, up to `to` or the first value that is new when the table is full; returns
   * that row (to when all were added). A loop of its own, so no number is boxed on the way.
   */
  addRun(values: Float64Array, from: number, to: number): number {
    for (let r = from; r < to; r++) if (!this.add(values[r], 1)) return r;
    return to;
  }

  /** Distinct values ascending with their counts. */
  entries(): { values: number[]; counts: number[] } {
    const order: number[] = [];
    for (let i = 0; i < this.used.length; i++) if (this.used[i] === 1) order.push(i);
    order.sort((a, b) => this.keys[a] - this.keys[b]);
    return { values: order.map((i) => this.keys[i]), counts: order.map((i) => this.counts[i]) };
  }

  serialize(): SerializedExact {
    return { type: 'exact', ...this.entries() };
  }
}

// ---------------------------------------------------------------- log sketch

/** Counts per integer key over a contiguous, growable range. */
class Buckets {
  counts = new Float64Array(0);
  /** Key stored at counts[0]. */
  base = 0;
  minKey = Infinity;
  maxKey = -Infinity;

  add(key: number, weight: number): void {
    const i = key - this.base;
    if (i < 0 || i >= this.counts.length) this.reserve(key, key);
    this.counts[key - this.base] += weight;
    if (key < this.minKey) this.minKey = key;
    if (key > this.maxKey) this.maxKey = key;
  }

  /** Makes room for keys lo..hi, keeping the counts; minKey and maxKey stay as they are. */
  reserve(lo: number, hi: number): void {
    if (lo - this.base >= 0 && hi - this.base < this.counts.length) return;
    const from = Math.min(this.minKey, lo);
    const to = Math.max(this.maxKey, hi);
    const span = to - from + 1;
    const length = Math.max(span + 64, this.counts.length * 2);
    const base = from - ((length - span) >> 1);
    const next = new Float64Array(length);
    if (this.maxKey >= this.minKey) {
      next.set(this.counts.subarray(this.minKey - this.base, this.maxKey - this.base + 1), this.minKey - base);
    }
    this.counts = next;
    this.base = base;
  }

  /** Widens minKey and maxKey to the counts added to keys lo..hi (reserved) behind add's back, zeros not counted. */
  settle(lo: number, hi: number): void {
    const counts = this.counts;
    const base = this.base;
    for (let k = lo, end = Math.min(this.minKey - 1, hi); k <= end; k++) {
      if (counts[k - base] !== 0) {
        this.minKey = k;
        break;
      }
    }
    for (let k = hi, end = Math.max(this.maxKey + 1, lo); k >= end; k--) {
      if (counts[k - base] !== 0) {
        this.maxKey = k;
        break;
      }
    }
  }

  get(key: number): number {
    return this.counts[key - this.base];
  }

  isEmpty(): boolean {
    return this.maxKey < this.minKey;
  }

  serialize(): SerializedBuckets {
    if (this.isEmpty()) return { offset: 0, counts: '' };
    const bytes: number[] = [];
    for (let k = this.minKey; k <= this.maxKey; k++) {
      let v = this.get(k);
      while (v >= 128) {
        bytes.push((v % 128) + 128);
        v = Math.floor(v / 128);
      }
      bytes.push(v);
    }
    return { offset: this.minKey, counts: Buffer.from(bytes).toString('base64') };
  }

  static parse(s: SerializedBuckets): Buckets {
    const b = new Buckets();
    const bytes = Buffer.from(s.counts, 'base64');
    let key = s.offset;
    let v = 0;
    let scale = 1;
    for (const byte of bytes) {
      v += (byte & 127) * scale;
      if (byte >= 128) {
        scale *= 128;
        continue;
      }
      if (v > 0) b.add(key, v);
      key++;
      v = 0;
      scale = 1;
    }
    return b;
  }
}

// ---------------------------------------------------------------- bucket keys

/** Leading mantissa bits that, with the exponent, pick a cell of the key table: 1/256 of an octave. */
const CELL_BITS = 8;
/** Index of a double's high 32-bit word in its two words: 1 on little-endian machines. */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const keyScratch = new Float64Array(1);
const keyScratchWords = new Uint32Array(keyScratch.buffer);
const keyScratchBits = new BigUint64Array(keyScratch.buffer);

/**
 * The bucket key ceil(log(d) / log(gamma)) of a distance d > 0, found without a logarithm (about half the cost of
 * Math.log): a double's exponent and first CELL_BITS mantissa bits pick a cell, narrower than a bucket, that holds
 * the key of its lowest value; one comparison with the lowest value of the next key settles the key. A cell's
 * lowest value and a key's lowest value are found with Math.log itself, so the keys are the ones Math.log gives.
 * Cells are filled one exponent at a time as values reach it. Subnormal and infinite distances take Math.log.
 */
class BucketKeys {
  /** Added to keys in the tables: above the largest |key| of a double. */
  readonly base: number;
  /** key + base of the lowest value of each cell; 0 until its exponent is filled. */
  readonly cells = new Int32Array(1 << (11 + CELL_BITS));
  /** The lowest value of each key (index key + base); 0 until needed. */
  readonly lowest: Float64Array;

  constructor(private readonly multiplier: number) {
    this.base = Math.ceil(Math.log(Number.MAX_VALUE) * multiplier) + 8;
    this.lowest = new Float64Array(2 * this.base);
  }

  /** Whether a bucket is wider than a cell, so that a cell holds at most one bucket boundary. */
  static fits(gamma: number): boolean {
    return gamma > 1 + 2 / (1 << CELL_BITS);
  }

  key(d: number): number {
    keyScratch[0] = d;
    const high = keyScratchWords[HIGH_WORD];
    const exponent = high >>> 20;
    if (exponent === 0 || exponent >= 2047) return this.exact(d);
    const cell = high >>> (20 - CELL_BITS);
    let k = this.cells[cell];
    if (k === 0) k = this.fill(exponent, cell);
    return d >= this.lowest[k + 1] ? k + 1 - this.base : k - this.base;
  }

  exact(d: number): number {
    return logKey(d, this.multiplier);
  }

  /** Fills the cells of an exponent (positive doubles 2^(exponent - 1023) up to the next power of two); cell's entry. */
  private fill(exponent: number, cell: number): number {
    for (let j = 0; j < 1 << CELL_BITS; j++) {
      keyScratchWords[HIGH_WORD] = (exponent << 20) | (j << (20 - CELL_BITS));
      keyScratchWords[1 - HIGH_WORD] = 0;
      const k = this.exact(keyScratch[0]);
      this.cells[(exponent << CELL_BITS) | j] = k + this.base;
      this.lowestOf(k + 1);
    }
    return this.cells[cell];
  }

  /** The smallest double whose key is at least k: near gamma^(k - 1), then moved a few units in the last place. */
  private lowestOf(k: number): void {
    if (this.lowest[k + this.base] !== 0) return;
    let x = Math.exp((k - 1) / this.multiplier);
    if (this.exact(x) >= k) {
      for (let below = step(x, -1); below > 0 && this.exact(below) >= k; below = step(x, -1)) x = below;
    } else {
      while (this.exact(x) < k) x = step(x, 1);
    }
    this.lowest[k + this.base] = x;
  }
}

/** The bucket key of a distance d > 0 by Math.log: ceil(log(d) / log(gamma)), multiplier = 1 / log(gamma). */
function logKey(d: number, multiplier: number): number {
  return Math.ceil(Math.log(d) * multiplier);
}

/** The next double above (+1) or below (-1) a positive one. */
function step(x: number, direction: 1 | -1): number {
  keyScratch[0] = x;
  keyScratchBits[0] += direction === 1 ? 1n : -1n;
  return keyScratch[0];
}

/** LogSketch.addRun's slots, grown to the longest run. */
let runSlots = new Int32Array(0);
/** The rows of a run that take add(). */
let runAside = new Int32Array(0);

/** One table per accuracy and thread, made when first used. */
const bucketKeys = new Map<number, BucketKeys | null>();

function bucketKeysFor(gamma: number, multiplier: number): BucketKeys | undefined {
  let keys = bucketKeys.get(gamma);
  if (keys === undefined) bucketKeys.set(gamma, (keys = BucketKeys.fits(gamma) ? new BucketKeys(multiplier) : null));
  return keys ?? undefined;
}

export class LogSketch {
  readonly gamma: number;
  private readonly multiplier: number;
  private readonly keys: BucketKeys | undefined;
  positive = new Buckets();
  negative = new Buckets();
  zeroCount = 0;
  count = 0;

  constructor(
    readonly anchor: number,
    public minOffset: number,
    readonly relativeAccuracy: number = RELATIVE_ACCURACY,
  ) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.multiplier = 1 / Math.log(this.gamma);
    this.keys = bucketKeysFor(this.gamma, this.multiplier);
  }

  /** The bucket of a distance d > 0 to the anchor: ceil(log(d) / log(gamma)). */
  private key(d: number): number {
    return this.keys !== undefined ? this.keys.key(d) : logKey(d, this.multiplier);
  }

  /**
   * Sketch for values first counted exactly: on the given grid, or anchored at their weighted median. Sketches on one
   * grid merge bucket by bucket, exactly, so the parts of a dataset are given the grid of its first part.
   */
  static fromExact(values: ArrayLike<number>, counts: ArrayLike<number>, grid: SketchGrid = LogSketch.gridOf(values, counts)): LogSketch {
    const sketch = new LogSketch(grid.anchor, grid.minOffset);
    for (let i = 0; i < values.length; i++) sketch.addWeighted(values[i], counts[i]);
    return sketch;
  }

  /** The grid fromExact puts these values on (ascending, with their counts): the weighted median as anchor. */
  static gridOf(values: ArrayLike<number>, counts: ArrayLike<number>): SketchGrid {
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i];
    let seen = 0;
    let anchor = values[0];
    for (let i = 0; i < values.length; i++) {
      seen += counts[i];
      if (seen >= total / 2) {
        anchor = values[i];
        break;
      }
    }
    const spread = values[values.length - 1] - values[0];
    return { anchor, minOffset: spread > 0 ? spread * MIN_OFFSET_FACTOR : Math.abs(anchor) * MIN_OFFSET_FACTOR || MIN_OFFSET_FACTOR };
  }

  add(x: number): void {
    const d = x - this.anchor;
    if (d >= this.minOffset) this.positive.add(this.key(d), 1);
    else if (d <= -this.minOffset) this.negative.add(this.key(-d), 1);
    else this.zeroCount++;
    this.count++;
  }

  /**
   * add(values[r]) for r from `from` to `to`, in two loops of their own (a number passed to a function that is not
   * inlined is boxed), with no branch on a value's side of the anchor: values at random fall on either side, and a
   * mispredicted branch cost more than all the rest of the work. The first loop finds each value's key in the key
   * table and notes it with its side; the second adds each to the bucket of its key on both sides, 1 to one and 0 to
   * the other. Values in the zero bucket, and distances the table has no cell for yet, take add().
   */
  addRun(values: Float64Array, from: number, to: number): void {
    const keys = this.keys;
    if (keys === undefined) {
      for (let r = from; r < to; r++) this.add(values[r]);
      return;
    }
    const anchor = this.anchor;
    const minOffset = this.minOffset;
    const cells = keys.cells;
    const lowest = keys.lowest;
    if (runSlots.length < to - from) {
      runSlots = new Int32Array(to - from);
      runAside = new Int32Array(to - from);
    }
    const slots = runSlots;
    const aside = runAside;
    let setAside = 0;
    // Slot: (key + keys.base) * 2, plus 1 below the anchor.
    let n = 0;
    let least = 0x7fffffff;
    let most = -1;
    for (let r = from; r < to; r++) {
      const d = values[r] - anchor;
      keyScratch[0] = d;
      const high = keyScratchWords[HIGH_WORD];
      const a = Math.abs(d);
      let k = cells[(high & 0x7fffffff) >>> (20 - CELL_BITS)];
      if (k === 0 || !(a >= minOffset)) {
        aside[setAside++] = r;
        continue;
      }
      k += a >= lowest[k + 1] ? 1 : 0;
      const slot = (k << 1) | (high >>> 31);
      slots[n++] = slot;
      if (slot < least) least = slot;
      if (slot > most) most = slot;
    }
    // Out of the loop: a call in it would have its arrays looked up again on every step.
    for (let i = 0; i < setAside; i++) this.add(values[aside[i]]);
    if (n === 0) return;
    const lo = (least >> 1) - keys.base;
    const hi = (most >> 1) - keys.base;
    const positive = this.positive;
    const negative = this.negative;
    positive.reserve(lo, hi);
    negative.reserve(lo, hi);
    const above = positive.counts;
    const below = negative.counts;
    const aboveAt = positive.base + keys.base;
    const belowAt = negative.base + keys.base;
    // Values in order (ids, times) fall in the slot of the value before them: counted together.
    let slot = slots[0];
    let same = 1;
    for (let i = 1; i <= n; i++) {
      const next = i < n ? slots[i] : -1;
      if (next === slot) {
        same++;
        continue;
      }
      const k = slot >> 1;
      const side = slot & 1;
      above[k - aboveAt] += same * (1 - side);
      below[k - belowAt] += same * side;
      slot = next;
      same = 1;
    }
    positive.settle(lo, hi);
    negative.settle(lo, hi);
    this.count += n;
  }

  addWeighted(x: number, weight: number): void {
    const d = x - this.anchor;
    if (d >= this.minOffset) this.positive.add(this.key(d), weight);
    else if (d <= -this.minOffset) this.negative.add(this.key(-d), weight);
    else this.zeroCount += weight;
    this.count += weight;
  }

  /** A bucket's representative distance to the anchor (DDSketch's: minimises the worst relative error). */
  private representative(key: number): number {
    return (2 * this.gamma ** key) / (1 + this.gamma);
  }

  /** Adds another sketch's content; same anchor: bucket by bucket (exact), else each bucket at its representative value. */
  mergeFrom(other: LogSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new Error('cannot merge sketches of different accuracy');
    const sameGrid = other.anchor === this.anchor;
    if (sameGrid && other.minOffset > this.minOffset) this.raiseMinOffset(other.minOffset);
    const fold = (buckets: Buckets, sign: 1 | -1): void => {
      for (let k = buckets.minKey; k <= buckets.maxKey; k++) {
        const w = buckets.get(k);
        if (w === 0) continue;
        if (sameGrid && this.gamma ** k >= this.minOffset) (sign === 1 ? this.positive : this.negative).add(k, w);
        else if (sameGrid) this.zeroCount += w;
        else this.addWeighted(other.anchor + sign * other.representative(k), w);
      }
    };
    fold(other.positive, 1);
    fold(other.negative, -1);
    if (sameGrid) this.zeroCount += other.zeroCount;
    else if (other.zeroCount > 0) this.addWeighted(other.anchor, other.zeroCount);
    // Bucket copies above bypass addWeighted, so count them here.
    if (sameGrid) this.count += other.count;
  }

  /** Moves buckets lying wholly within the new minimum distance into the zero count. */
  private raiseMinOffset(minOffset: number): void {
    this.minOffset = minOffset;
    for (const buckets of [this.positive, this.negative]) {
      for (let k = buckets.minKey; k <= buckets.maxKey && this.gamma ** k < minOffset; k++) {
        const w = buckets.get(k);
        if (w === 0) continue;
        this.zeroCount += w;
        buckets.counts[k - buckets.base] = 0;
      }
      while (buckets.minKey <= buckets.maxKey && buckets.get(buckets.minKey) === 0) buckets.minKey++;
      if (buckets.minKey > buckets.maxKey) {
        buckets.minKey = Infinity;
        buckets.maxKey = -Infinity;
      }
    }
  }

  /** Buckets as uniform pieces over their value ranges, clipped to the column's min..max. */
  pieces(min: number, max: number): Pieces {
    const lo: number[] = [];
    const hi: number[] = [];
    const mass: number[] = [];
    const push = (a: number, b: number, w: number): void => {
      let l = Math.max(a, min);
      let h = Math.min(b, max);
      if (l > h) l = h = a > max ? max : min;
      lo.push(l);
      hi.push(h);
      mass.push(w);
    };
    const g = this.gamma;
    for (let k = this.negative.maxKey; k >= this.negative.minKey; k--) {
      const w = this.negative.get(k);
      if (w > 0) push(this.anchor - g ** k, this.anchor - g ** (k - 1), w);
    }
    if (this.zeroCount > 0) push(this.anchor, this.anchor, this.zeroCount);
    for (let k = this.positive.minKey; k <= this.positive.maxKey; k++) {
      const w = this.positive.get(k);
      if (w > 0) push(this.anchor + g ** (k - 1), this.anchor + g ** k, w);
    }
    return { lo: Float64Array.from(lo), hi: Float64Array.from(hi), mass: Float64Array.from(mass), total: this.count };
  }

  serialize(): SerializedLogSketch {
    return {
      type: 'ddsketch',
      relativeAccuracy: this.relativeAccuracy,
      anchor: this.anchor,
      minOffset: this.minOffset,
      zeroCount: this.zeroCount,
      positive: this.positive.serialize(),
      negative: this.negative.serialize(),
    };
  }

  static parse(s: SerializedLogSketch): LogSketch {
    const sketch = new LogSketch(s.anchor, s.minOffset, s.relativeAccuracy);
    sketch.positive = Buckets.parse(s.positive);
    sketch.negative = Buckets.parse(s.negative);
    sketch.zeroCount = s.zeroCount;
    sketch.count = s.zeroCount + sumOf(sketch.positive) + sumOf(sketch.negative);
    return sketch;
  }
}

function sumOf(b: Buckets): number {
  let s = 0;
  for (let k = b.minKey; k <= b.maxKey; k++) s += b.get(k);
  return s;
}

/** Exact values as atoms. */
export function exactPieces(s: SerializedExact): Pieces {
  let total = 0;
  for (const c of s.counts) total += c;
  const values = Float64Array.from(s.values);
  return { lo: values, hi: values, mass: Float64Array.from(s.counts), total };
}
