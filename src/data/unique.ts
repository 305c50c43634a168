/**
 * Uniqueness in bounded memory. Values are hashed to 53 bits (two 32-bit multiplicative hashes, kept as one
 * float64) and remembered with the row (and line) where they were first seen, in an open-addressing table of
 * Float64Arrays. Up to `memoryCap` distinct values stay in memory (default 2^18: about 12 MiB); beyond that every
 * value is appended to one of 64 temporary files chosen by its hash, and duplicates are found one partition at a
 * time when the results are merged, so memory stays bounded by a partition (1/64 of the values, 24 bytes each: 3.75 MB per 10 million values).
 * Whole numbers of up to 51 bits (ids) get exact keys instead, so their uniqueness is exact. Exact keys that arrive
 * in increasing order (ids, as data usually has them) are kept as runs of consecutive keys instead of table entries:
 * a sorted id column needs no table, no spill file and no lookup, only a comparison with the largest key so far.
 * For everything else
 * uniqueness is decided on the hash: a false duplicate needs a 53-bit collision (probability about n^2 / 2^54,
 * reported with the result); a real duplicate is never missed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Example } from './types';

export const DEFAULT_UNIQUE_MEMORY_CAP = 1 << 18;
const PARTITIONS = 64;
const ENTRY_FLOATS = 3;
const BUFFERED_ENTRIES = 512;
const MAX_EXAMPLES = 10;
const TWO_32 = 4294967296;
/** A run of exact keys: its first and last key, and the row and line of its first key (rows and lines then step by one). */
const RUN_FLOATS = 4;

/** Runs a tracker keeps; later keys that start no run go to the table. 4096 runs are 128 KiB. */
const MAX_RUNS = 4096;

/**
 * Of count sorted, disjoint intervals [from, to] laid out every `stride` floats of data (from, to first), the index
 * of the one holding key, or -1: a binary search.
 */
function intervalHolding(data: Float64Array, count: number, stride: number, key: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = mid * stride;
    if (key < data[at]) hi = mid - 1;
    else if (key > data[at + 1]) lo = mid + 1;
    else return mid;
  }
  return -1;
}

// ---------------------------------------------------------------- hashing

// The running hash lives in module variables so that hashing a cell allocates nothing.
let h1 = 0;
let h2 = 0;
const numberScratch = new Float64Array(1);
const numberWords = new Uint32Array(numberScratch.buffer);

export function hashStart(): void {
  h1 = 0x811c9dc5;
  h2 = 0x9747b28c;
}

export function hashText(text: string): void {
  let a = h1;
  let b = h2;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  // The length closes the value, so compound keys ("a|b" + "c" vs "a" + "b|c") cannot run into each other.
  h1 = Math.imul(a ^ length, 0x01000193);
  h2 = Math.imul(b ^ (length + 0x3c6ef372), 0x5bd1e995);
}

export function hashNumber(x: number): void {
  numberScratch[0] = x === 0 ? 0 : x; // -0 and 0 are one value
  h1 = Math.imul(h1 ^ numberWords[0], 0x01000193);
  h1 = Math.imul(h1 ^ numberWords[1], 0x01000193);
  h2 = Math.imul(h2 ^ numberWords[1], 0x5bd1e995);
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2 ^ numberWords[0], 0x5bd1e995);
  h2 ^= h2 >>> 15;
}

const TWO_51 = 2 ** 51;
const TWO_52 = 2 ** 52;

/**
 * The key of a number: whole numbers of up to 51 bits (ids, counts) map one-to-one into [2^52, 2^53), so their
 * uniqueness is exact; other numbers are hashed. `exact` tells which, for the collision note.
 */
export function numberKey(x: number): { key: number; exact: boolean } {
  numberKeyResult.exact = numberKeyInto(x, numberKeyCell);
  numberKeyResult.key = numberKeyCell[0];
  return numberKeyResult;
}
// Reused so the hot loop allocates nothing; read it before the next call.
const numberKeyResult = { key: 0, exact: false };
const numberKeyCell = new Float64Array(1);

/** numberKey of x written to out[0]; returns whether it is exact. */
function numberKeyInto(x: number, out: Float64Array): boolean {
  if (Number.isInteger(x) && x >= -TWO_51 && x < TWO_51) {
    out[0] = x + TWO_51 + TWO_52;
    return true;
  }
  hashStart();
  hashNumber(x);
  out[0] = hashEnd();
  return false;
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 53-bit key of what was hashed since hashStart; never 0, which marks an empty slot. */
export function hashEnd(): number {
  const lo = mix(h1 ^ Math.imul(h2, 0x27d4eb2d));
  const hi = mix(h2 ^ lo) & 0x1fffff;
  const key = hi * TWO_32 + lo;
  return key === 0 ? 1 : key;
}

function slotOf(key: number, mask: number): number {
  const lo = key % TWO_32;
  const hi = (key - lo) / TWO_32;
  // Every bit of the key mixed into every bit of the slot (murmur3's finalizer): keys of consecutive whole numbers
  // differ in their low bits only, and must not share a slot. The low 8 bits a partition's keys share spread like any.
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) & mask;
}

function partitionOf(key: number): number {
  return key % TWO_32 & (PARTITIONS - 1);
}

// ---------------------------------------------------------------- state passed between threads

export interface DuplicateTally {
  elements: number;
  /** Values whose key is a hash (text, fractions, compound keys), as opposed to an exact key. */
  hashed: number;
  duplicates: number;
  examples: Example[];
}

/** What a tracker hands over when its part of the data is done: either its table or its spill files. */
export type UniqueState = (
  | { kind: 'memory'; tally: DuplicateTally; entries: Float64Array; runs: Float64Array }
  | { kind: 'spilled'; tally: DuplicateTally; dir: string; prefix: string; runs: Float64Array }
) & { exactValues?: ExactValues };

/**
 * What the exact keys of a tracker (numberKey's) are the values of: numbers, or times as epoch milliseconds. A
 * duplicate found when merging, after the value's text is gone, is then shown as the value its key holds.
 */
export type ExactValues = 'number' | 'time';

/** Removes the spill files of a state no tracker will absorb (a part dropped after another one failed). */
export function discardUniqueState(state: UniqueState): void {
  if (state.kind === 'spilled') fs.rmSync(state.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- tracker

export class UniqueTracker {
  private keys: Float64Array;
  private rows: Float64Array;
  private lines: Float64Array;
  private mask: number;
  private size = 0;
  private spill?: { dir: string; prefix: string; fds: number[]; buffers: Float64Array[]; fill: Int32Array };
  readonly tally: DuplicateTally = { elements: 0, hashed: 0, duplicates: 0, examples: [] };
  private readonly extraFiles: Array<{ dir: string; prefix: string; rowOffset: number; lineOffset: number }> = [];
  /** Runs of exact keys in increasing order ([first key, last key, row, line] each); absorbed parts' runs follow. */
  private runs = new Float64Array(16 * RUN_FLOATS);
  private runCount = 0;
  /** Runs of this tracker's own add calls (the first ones); those after them came from absorbed parts. */
  private ownRuns = 0;
  /** The largest exact key added so far (0: none): a larger one cannot be a duplicate. */
  private maxExact = 0;
  private runsFull = false;

  constructor(
    private readonly memoryCap = DEFAULT_UNIQUE_MEMORY_CAP,
    private readonly spillDir = os.tmpdir(),
    /** Set by the checker of a number or datetime column; a merging tracker takes it from the parts it absorbs. */
    private exactValues?: ExactValues,
  ) {
    const capacity = 1024;
    this.keys = new Float64Array(capacity);
    this.rows = new Float64Array(capacity);
    this.lines = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /**
   * Counts one value (its key from hashEnd). Returns true when it was seen before, so the caller can record the
   * row as an example with its text. In spill mode duplicates are only found at merge time.
   */
  add(key: number, row: number, line: number, exact = false): boolean {
    this.key[0] = key;
    return this.addKey(row, line, exact);
  }

  /**
   * add of a number's key (numberKey): a number of a column of ids is a small integer, which, unlike its key, is
   * passed without boxing.
   */
  addNumber(x: number, row: number, line: number): boolean {
    return this.addKey(row, line, numberKeyInto(x, this.key));
  }

  /** The key add and addNumber hand to addKey: written to memory, where a number argument would be boxed. */
  private readonly key = new Float64Array(1);

  private addKey(row: number, line: number, exact: boolean): boolean {
    const key = this.key[0];
    this.tally.elements++;
    if (!exact) this.tally.hashed++;
    else if (key > this.maxExact) {
      this.maxExact = key;
      if (this.extendRuns(row, line)) return false;
    } else if (this.runCount > 0 && this.runOf(key) >= 0) {
      this.tally.duplicates++;
      return true;
    }
    if (this.spill) {
      this.append(key, row, line);
      return false;
    }
    const mask = this.mask;
    let slot = slotOf(key, mask);
    const keys = this.keys;
    for (;;) {
      const found = keys[slot];
      if (found === 0) break;
      if (found === key) {
        this.tally.duplicates++;
        return true;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    this.rows[slot] = row;
    this.lines[slot] = line;
    this.size++;
    if (this.size > this.memoryCap) this.startSpilling();
    else if (this.size * 2 > keys.length) this.grow();
    return false;
  }

  /** Adds this.key, larger than every exact key so far, to the runs: false when it starts no run and there is no room. */
  private extendRuns(row: number, line: number): boolean {
    const key = this.key[0];
    if (this.runsFull) return false;
    const n = this.runCount;
    if (n > 0) {
      const at = (n - 1) * RUN_FLOATS;
      const runs = this.runs;
      const step = key - runs[at];
      if (key === runs[at + 1] + 1 && row === runs[at + 2] + step && line === (runs[at + 3] === 0 ? 0 : runs[at + 3] + step)) {
        runs[at + 1] = key;
        return true;
      }
    }
    if (n === MAX_RUNS) {
      this.runsFull = true;
      return false;
    }
    this.pushRun(key, key, row, line);
    this.ownRuns = this.runCount;
    return true;
  }

  private pushRun(first: number, last: number, row: number, line: number): void {
    if ((this.runCount + 1) * RUN_FLOATS > this.runs.length) {
      const grown = new Float64Array(this.runs.length * 2);
      grown.set(this.runs);
      this.runs = grown;
    }
    const at = this.runCount * RUN_FLOATS;
    this.runs[at] = first;
    this.runs[at + 1] = last;
    this.runs[at + 2] = row;
    this.runs[at + 3] = line;
    this.runCount++;
  }

  /** The index of this tracker's own run holding key, or -1 (its runs are sorted and disjoint). */
  private runOf(key: number): number {
    return intervalHolding(this.runs, this.ownRuns, RUN_FLOATS, key);
  }

  /** Records an example of a duplicate found by add (the caller has the value text). */
  noteExample(row: number, line: number, value: string): void {
    if (this.tally.examples.length < MAX_EXAMPLES) this.tally.examples.push(exampleOf(row, line, value));
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    const oldLines = this.lines;
    const capacity = oldKeys.length * 2;
    this.keys = new Float64Array(capacity);
    this.rows = new Float64Array(capacity);
    this.lines = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.insertFirst(oldKeys[i], oldRows[i], oldLines[i]);
  }

  /** Inserts keeping the smallest row per key; returns the row of the later occurrence when the key was there. */
  private insertFirst(key: number, row: number, line: number): { row: number; line: number } | undefined {
    const mask = this.mask;
    let slot = slotOf(key, mask);
    for (;;) {
      const found = this.keys[slot];
      if (found === 0) break;
      if (found === key) {
        if (row < this.rows[slot]) {
          const later = { row: this.rows[slot], line: this.lines[slot] };
          this.rows[slot] = row;
          this.lines[slot] = line;
          return later;
        }
        return { row, line };
      }
      slot = (slot + 1) & mask;
    }
    this.keys[slot] = key;
    this.rows[slot] = row;
    this.lines[slot] = line;
    this.size++;
    return undefined;
  }

  private startSpilling(): void {
    // The folder may be one a scan named for its own spill files, made only once something spills.
    fs.mkdirSync(this.spillDir, { recursive: true });
    const dir = fs.mkdtempSync(path.join(this.spillDir, 'datavalidate-unique-'));
    const prefix = 'part';
    const fds: number[] = [];
    const buffers: Float64Array[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      fds.push(fs.openSync(path.join(dir, `${prefix}-${p}.bin`), 'w'));
      buffers.push(new Float64Array(BUFFERED_ENTRIES * ENTRY_FLOATS));
    }
    this.spill = { dir, prefix, fds, buffers, fill: new Int32Array(PARTITIONS) };
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.append(keys[i], this.rows[i], this.lines[i]);
    this.keys = new Float64Array(0);
    this.rows = new Float64Array(0);
    this.lines = new Float64Array(0);
    this.size = 0;
  }

  private append(key: number, row: number, line: number): void {
    const spill = this.spill!;
    const p = partitionOf(key);
    const buffer = spill.buffers[p];
    let at = spill.fill[p];
    buffer[at] = key;
    buffer[at + 1] = row;
    buffer[at + 2] = line;
    at += ENTRY_FLOATS;
    if (at === buffer.length) {
      fs.writeSync(spill.fds[p], buffer);
      at = 0;
    }
    spill.fill[p] = at;
  }

  private closeSpill(): { dir: string; prefix: string } | undefined {
    const spill = this.spill;
    if (!spill) return undefined;
    for (let p = 0; p < PARTITIONS; p++) {
      if (spill.fill[p] > 0) fs.writeSync(spill.fds[p], spill.buffers[p].subarray(0, spill.fill[p]));
      fs.closeSync(spill.fds[p]);
    }
    this.spill = undefined;
    return { dir: spill.dir, prefix: spill.prefix };
  }

  /** Hands over this part's table (compact, for transfer to the main thread) or its spill files. */
  state(): UniqueState {
    const closed = this.closeSpill();
    const runs = this.runs.slice(0, this.runCount * RUN_FLOATS);
    const values = this.exactValues && { exactValues: this.exactValues };
    if (closed) return { kind: 'spilled', tally: this.tally, ...closed, runs, ...values };
    const entries = new Float64Array(this.size * ENTRY_FLOATS);
    let at = 0;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === 0) continue;
      entries[at] = this.keys[i];
      entries[at + 1] = this.rows[i];
      entries[at + 2] = this.lines[i];
      at += ENTRY_FLOATS;
    }
    return { kind: 'memory', tally: this.tally, entries, runs, ...values };
  }

  /**
   * The text of a duplicate found when its value's text is no longer at hand: the value an exact key holds, when the
   * key is known to be exact (a key of the runs, or any key while no value has been hashed), else VALUE_NOT_KEPT.
   */
  private valueOfKey(key: number, exact: boolean): string {
    if (this.exactValues === undefined || !(exact || this.tally.hashed === 0) || !(key >= TWO_52)) return VALUE_NOT_KEPT;
    const x = key - TWO_51 - TWO_52;
    return this.exactValues === 'time' ? new Date(x).toISOString() : String(x);
  }

  /**
   * Adds another part's state, whose rows and lines start after `rowOffset` and `lineOffset`. Parts must be
   * absorbed in data order for the examples to name the later occurrence of each value.
   */
  absorb(state: UniqueState, rowOffset: number, lineOffset: number): void {
    this.exactValues ??= state.exactValues;
    this.tally.elements += state.tally.elements;
    this.tally.hashed += state.tally.hashed;
    this.tally.duplicates += state.tally.duplicates;
    for (const e of state.tally.examples) this.tally.examples.push(shifted(e, rowOffset, lineOffset));
    const runs = state.runs;
    for (let at = 0; at < runs.length; at += RUN_FLOATS) {
      this.pushRun(runs[at], runs[at + 1], runs[at + 2] + rowOffset, runs[at + 3] === 0 ? 0 : runs[at + 3] + lineOffset);
    }
    if (state.kind === 'spilled') {
      this.extraFiles.push({ dir: state.dir, prefix: state.prefix, rowOffset, lineOffset });
      // Everything else must then be partitioned too, so that each partition can be resolved on its own.
      if (!this.spill) this.startSpilling();
      return;
    }
    const entries = state.entries;
    for (let at = 0; at < entries.length; at += ENTRY_FLOATS) {
      const row = entries[at + 1] + rowOffset;
      const line = entries[at + 2] === 0 ? 0 : entries[at + 2] + lineOffset;
      if (this.spill) {
        this.append(entries[at], row, line);
        continue;
      }
      const later = this.insertFirst(entries[at], row, line);
      if (later) {
        this.tally.duplicates++;
        this.pushExample(exampleOf(later.row, later.line, this.valueOfKey(entries[at], false)));
      } else if (this.size > this.memoryCap) this.startSpilling();
      else if (this.size * 2 > this.keys.length) this.grow();
    }
  }

  /**
   * Finishes after all parts were absorbed: resolves spilled partitions one at a time, removes temporary files,
   * and returns the tally with the first examples in row order.
   */
  finish(): DuplicateTally & { hashedValues: number } {
    const own = this.closeSpill();
    const files = [...(own ? [{ ...own, rowOffset: 0, lineOffset: 0 }] : []), ...this.extraFiles];
    try {
      this.mergeRuns();
      if (this.unionCount > 0) this.checkTableAgainstRuns();
      if (files.length > 0) this.resolvePartitions(files);
    } finally {
      for (const file of files) fs.rmSync(file.dir, { recursive: true, force: true });
    }
    this.tally.examples.sort((a, b) => a.row - b.row);
    this.tally.examples.length = Math.min(this.tally.examples.length, MAX_EXAMPLES);
    return { ...this.tally, hashedValues: this.tally.hashed };
  }

  /** The runs of all parts, sorted and merged: [first key, last key] pairs. */
  private union = new Float64Array(0);
  private unionCount = 0;
  /** Offsets of the runs in the order of their first keys. */
  private sortedRuns = new Int32Array(0);

  /**
   * Sorts the runs of all parts by first key and merges them into the union; keys that two runs share are
   * duplicates, each reported at its later row.
   */
  private mergeRuns(): void {
    const n = this.runCount;
    const runs = this.runs;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => runs[a * RUN_FLOATS] - runs[b * RUN_FLOATS]);
    this.sortedRuns = Int32Array.from(order, (i) => i * RUN_FLOATS);
    const union = new Float64Array(n * 2);
    let count = 0;
    let cover = -1; // the run reaching furthest so far
    for (const i of order) {
      const at = i * RUN_FLOATS;
      const first = runs[at];
      const last = runs[at + 1];
      if (count > 0 && first <= union[count * 2 - 1] + 1) {
        const reach = union[count * 2 - 1];
        if (first <= reach) {
          const shared = Math.min(last, reach) - first + 1;
          this.tally.duplicates += shared;
          for (let k = 0; k < Math.min(shared, MAX_EXAMPLES); k++) {
            const a = this.runPosition(at, first + k);
            const b = this.runPosition(cover, first + k);
            const value = this.valueOfKey(first + k, true);
            this.pushExample(a.row > b.row ? exampleOf(a.row, a.line, value) : exampleOf(b.row, b.line, value));
          }
        }
        if (last > reach) {
          union[count * 2 - 1] = last;
          cover = at;
        }
      } else {
        union[count * 2] = first;
        union[count * 2 + 1] = last;
        count++;
        cover = at;
      }
    }
    this.union = union;
    this.unionCount = count;
  }

  /** The row and line of a key in the run at offset at. */
  private runPosition(at: number, key: number): { row: number; line: number } {
    const step = key - this.runs[at];
    const line = this.runs[at + 3];
    return { row: this.runs[at + 2] + step, line: line === 0 ? 0 : line + step };
  }

  private inUnion(key: number): boolean {
    return intervalHolding(this.union, this.unionCount, 2, key) >= 0;
  }

  /** A key of the table that some part's runs hold too is a duplicate across parts. */
  private checkTableAgainstRuns(): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 0 && this.inUnion(keys[i])) this.noteRunDuplicate(keys[i], this.rows[i], this.lines[i]);
    }
  }

  /** A table key found in the runs: counted, with the later of its two rows as the example. */
  private noteRunDuplicate(key: number, row: number, line: number): void {
    this.tally.duplicates++;
    // The last run starting at or before key, then back to one that reaches it (runs of different parts overlap).
    const sorted = this.sortedRuns;
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.runs[sorted[mid]] <= key) lo = mid;
      else hi = mid - 1;
    }
    let other = { row: 0, line: 0 };
    for (let k = lo; k >= 0; k--) {
      if (key >= this.runs[sorted[k]] && key <= this.runs[sorted[k] + 1]) {
        other = this.runPosition(sorted[k], key);
        break;
      }
    }
    const value = this.valueOfKey(key, true);
    this.pushExample(other.row > row ? exampleOf(other.row, other.line, value) : exampleOf(row, line, value));
  }

  /** Removes spill files without resolving them (when a run is abandoned). */
  discard(): void {
    const own = this.closeSpill();
    for (const file of [...(own ? [own] : []), ...this.extraFiles]) fs.rmSync(file.dir, { recursive: true, force: true });
  }

  /** Keeps the examples bounded while merging: only the ones with the smallest rows can be reported. */
  private pushExample(example: Example): void {
    const examples = this.tally.examples;
    examples.push(example);
    if (examples.length > 4 * MAX_EXAMPLES) {
      examples.sort((a, b) => a.row - b.row);
      examples.length = MAX_EXAMPLES;
    }
  }

  private resolvePartitions(files: Array<{ dir: string; prefix: string; rowOffset: number; lineOffset: number }>): void {
    for (let p = 0; p < PARTITIONS; p++) {
      const contents = files.map((file) => fs.readFileSync(path.join(file.dir, `${file.prefix}-${p}.bin`)));
      const entries = contents.reduce((n, bytes) => n + bytes.length / 8 / ENTRY_FLOATS, 0);
      // Sized for the whole partition at once: growing step by step costs more than the table itself.
      let capacity = 1024;
      while (capacity < entries * 2) capacity *= 2;
      this.keys = new Float64Array(capacity);
      this.rows = new Float64Array(capacity);
      this.lines = new Float64Array(capacity);
      this.mask = capacity - 1;
      this.size = 0;
      for (let f = 0; f < files.length; f++) {
        const file = files[f];
        const bytes = contents[f];
        const entries = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
        for (let at = 0; at < entries.length; at += ENTRY_FLOATS) {
          const row = entries[at + 1] + file.rowOffset;
          const line = entries[at + 2] === 0 ? 0 : entries[at + 2] + file.lineOffset;
          if (this.unionCount > 0 && this.inUnion(entries[at])) {
            this.noteRunDuplicate(entries[at], row, line);
            continue;
          }
          const later = this.insertFirst(entries[at], row, line);
          if (later) {
            this.tally.duplicates++;
            this.pushExample(exampleOf(later.row, later.line, this.valueOfKey(entries[at], false)));
          } else if (this.size * 2 > this.keys.length) this.grow();
        }
      }
    }
    this.keys = new Float64Array(0);
    this.rows = new Float64Array(0);
    this.lines = new Float64Array(0);
  }
}

/**
 * Shown for duplicates found after the value's text was gone (across parallel parts, or after spilling) whose key is
 * a hash (text, fractions, compound keys): whole numbers and times are shown as the value their key holds.
 */
export const VALUE_NOT_KEPT = '(duplicate found when merging; value not kept)';

/** The chance that at least one reported duplicate among n hashed values is a 53-bit collision. */
export function collisionProbability(n: number): number {
  return -Math.expm1((-n * (n - 1)) / 2 / 2 ** 53);
}

function exampleOf(row: number, line: number, value: string): Example {
  return line > 0 ? { row, line, value } : { row, value };
}

function shifted(e: Example, rowOffset: number, lineOffset: number): Example {
  return e.line === undefined ? { row: e.row + rowOffset, value: e.value } : { row: e.row + rowOffset, line: e.line + lineOffset, value: e.value };
}
