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

export type SerializedSketch = SerializedExact | SerializedLogSketch;

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
    if (i < 0 || i >= this.counts.length) this.grow(key);
    this.counts[key - this.base] += weight;
    if (key < this.minKey) this.minKey = key;
    if (key > this.maxKey) this.maxKey = key;
  }

  private grow(key: number): void {
    const lo = Math.min(this.minKey, key);
    const hi = Math.max(this.maxKey, key);
    const span = hi - lo + 1;
    const length = Math.max(span + 64, this.counts.length * 2);
    const base = lo - ((length - span) >> 1);
    const next = new Float64Array(length);
    if (this.maxKey >= this.minKey) {
      next.set(this.counts.subarray(this.minKey - this.base, this.maxKey - this.base + 1), this.minKey - base);
    }
    this.counts = next;
    this.base = base;
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

export class LogSketch {
  readonly gamma: number;
  private readonly multiplier: number;
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
    if (d >= this.minOffset) this.positive.add(Math.ceil(Math.log(d) * this.multiplier), 1);
    else if (d <= -this.minOffset) this.negative.add(Math.ceil(Math.log(-d) * this.multiplier), 1);
    else this.zeroCount++;
    this.count++;
  }

  addWeighted(x: number, weight: number): void {
    const d = x - this.anchor;
    if (d >= this.minOffset) this.positive.add(Math.ceil(Math.log(d) * this.multiplier), weight);
    else if (d <= -this.minOffset) this.negative.add(Math.ceil(Math.log(-d) * this.multiplier), weight);
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
