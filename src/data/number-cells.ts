/**
 * The numbers of a CSV column of a batch, parsed from the cells' bytes and accumulated by the WebAssembly kernel of
 * wasm/number-parse.ts: the twin of parseIntegerBytes, parseNumberBytes and parseIsoDateTimeBytes on the forms data
 * mostly holds (the same doubles), which also keeps the running minimum, maximum, count, mean and variance as the
 * column's checker and profile do (the same arithmetic, in row order). It stops before each row it does not settle
 * alone, for the caller to read it as before (test/unit/data/number-cells); a missing cell it can count as a null
 * and go on (NULLS_*).
 *
 * One instance per thread, with its memory: [profileDistinct's tables | batch bytes | starts | ends | flags | state |
 * values | hashes | what one call copies in]. The batch's bytes are copied in once for all its numeric columns, and
 * for the text columns whose cells it reads: their hashes (hashTexts: hashAsciiBytes of each cell, a word at a time
 * where JavaScript reads byte by byte), their ids among the values they have seen (findIds), a pattern's verdicts
 * (matchCells), and their profile against a column's full categories (profileDistinct). A Parquet batch's typed
 * columns take the place of a batch: the numbers of one (loadNumbers), or the span of bytes the text values of one
 * lie in (loadValues).
 */
import { NUMBER_PARSE_WASM } from '../generated/number-parse-wasm';
import type { DfaTables } from './ascii-pattern';
import { FILTER_WORDS } from './profile';
import type { RawCells } from './types';
import { alignUp, growTo, instantiateKernel, WASM_PAGE, type WasmMemory } from './wasm';

interface ParseExports {
  accumulate(
    bytes: number,
    starts: number,
    ends: number,
    flags: number,
    from: number,
    count: number,
    mode: number,
    ruleMin: number,
    ruleMax: number,
    state: number,
    values: number,
    hashes: number,
    hashing: boolean,
    nullsAs: number,
  ): number;
  hashTexts(bytes: number, starts: number, ends: number, count: number, hashes: number): void;
  readBooleans(bytes: number, starts: number, ends: number, flags: number, from: number, count: number, state: number): number;
  matchCells(
    bytes: number,
    starts: number,
    ends: number,
    count: number,
    stride: number,
    shift: number,
    classOf: number,
    shifted1: number,
    shifted2: number,
    next: number,
    table: number,
    accepting: number,
    out: number,
  ): void;
  findIds(
    bytes: number,
    starts: number,
    ends: number,
    flags: number,
    count: number,
    slots: number,
    mask: number,
    hashes: number,
    offsets: number,
    lengths: number,
    keys: number,
    ids: number,
  ): void;
  profileDistinct(
    bytes: number,
    starts: number,
    ends: number,
    flags: number,
    count: number,
    filter: number,
    hll: number,
    index: number,
    mask: number,
    offsets: number,
    lengths: number,
    keys: number,
    out: number,
  ): void;
}

/**
 * Byte strings that findIds looks cells up in (a ByteInterner's, src/data/checks.ts): value id (below size) has the
 * hash hashes[id] (hashAsciiBytes) and the bytes [offsets[id], offsets[id] + lengths[id]) of bytes, within its first
 * `used`; slots holds ids by open addressing on hash & (slots.length - 1), -1 where empty.
 */
export interface ByteDictionary {
  size: number;
  slots: Int32Array;
  hashes: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  bytes: Uint8Array;
  used: number;
}

/** The largest automaton matchCells copies in (its tables of steps and of bytes, in bytes). */
const MAX_DFA_BYTES = 128 * 1024;

/**
 * The categories of a column of mostly distinct values, once full (ColumnAccumulator's, src/data/profile.ts), as
 * profileDistinct looks cells up in them: filter (FILTER_WORDS words, two bits per category's hashString), index
 * (open addressing by the hash: [hash, slot + 1] pairs, 0 where empty), and each slot's bytes at offsets[slot] of
 * keys, lengths[slot] of them. They do not change once made, and are kept in the kernel by their object.
 */
export interface DistinctTables {
  filter: Uint32Array;
  index: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  keys: Uint8Array;
}

/** The most room profileDistinct's tables get: larger ones (long texts, large category caps) are profiled by JavaScript. */
const MAX_AREA = 16 * 1024 * 1024;

/** Where each of DistinctTables lies in the kernel's memory, from `at` on: the filter first, then these. */
function tablesLayout(t: DistinctTables, at: number): { indexAt: number; offsetsAt: number; lengthsAt: number; keysAt: number } {
  const indexAt = at + FILTER_WORDS * 4;
  const offsetsAt = indexAt + t.index.length * 4;
  const lengthsAt = offsetsAt + t.offsets.length * 4;
  return { indexAt, offsetsAt, lengthsAt, keysAt: lengthsAt + t.lengths.length * 4 };
}

/** The bytes DistinctTables take in the kernel's memory (the keys read up to 7 bytes past their end). */
function tablesSize(t: DistinctTables): number {
  return alignUp(FILTER_WORDS * 4 + t.index.length * 4 + t.offsets.length * 8 + t.keys.length + 8, 8);
}

/** Dictionaries larger than these are not copied in for findIds, which then finds nothing. */
const MAX_DICTIONARY_SLOTS = 4096;
const MAX_DICTIONARY_BYTES = 64 * 1024;

export const PARSE_INTEGER = 0;
export const PARSE_NUMBER = 1;
export const PARSE_ISO_DATETIME = 2;
/** accumulate's modes for a typed column's numbers (loadNumbers): whole ones within ±(2^53 - 1), finite ones, any but NaN. */
export const TAKE_WHOLE = 3;
export const TAKE_FINITE = 4;
export const TAKE_ANY = 5;

/**
 * state: the checker's minimum and maximum, then the profile's count, mean, m2, minimum and maximum, then the rows
 * accumulate took as nulls (see NULLS_*).
 */
export const STATE_CHECK_MIN = 0;
export const STATE_CHECK_MAX = 1;
export const STATE_MOMENTS = 2;
export const STATE_NULLS = 7;
const STATE_SIZE = 8;

/** state after readBooleans: the cells read as false, as true, and the first of them (see readBooleans). */
export const STATE_FALSES = 0;
export const STATE_TRUES = 1;
export const STATE_FIRST = 2;

/**
 * accumulate's nullsAs: a missing cell stops it (for the caller to read it); or it takes an absent cell (starts[r] <
 * 0: a missing field, a typed column's null) as a null; or an empty one too. A null it takes it counts (STATE_NULLS)
 * and marks with values[r] = NaN, which it never gives a value it takes.
 */
export const NULLS_STOP = 0;
export const NULLS_ABSENT = 1;
export const NULLS_ABSENT_OR_EMPTY = 2;

/**
 * A batch with more bytes than this (rows of over 2 KB) is read by the JavaScript parsers: the kernel's memory, a copy
 * of the batch kept for the thread's life, stays within it.
 */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export class NumberCells {
  /** The running values accumulate reads and updates (see STATE_*), to set before it and read after it. */
  state = new Float64Array(0);
  /** values[r]: the number of row r, and hashes[r] its hashNumber, for each row accumulate took (NaN: a null). */
  values = new Float64Array(0);
  hashes = new Uint32Array(0);
  /**
   * The start of the memory, before a batch: profileDistinct's tables, kept from one batch to the next (the
   * address of each, by their object, held weakly), up to tablesEnd. wantArea: the room asked for, made before the
   * next batch.
   */
  private area = 0;
  private wantArea = 0;
  private tables = new WeakMap<DistinctTables, number>();
  private tablesEnd = 0;
  /** The batch whose bytes are at the start of the memory (after the area). */
  private batch: RawCells | undefined;
  /**
   * The address of the cells' byte 0 (their offsets are from there): 0 for a batch; for typed values, below the
   * span copied in, by its start (it may lie below the memory: only the span is read).
   */
  private bytesAt = 0;
  private count = 0;
  private startsAt = 0;
  private endsAt = 0;
  private flagsAt = 0;
  private stateAt = 0;
  private valuesAt = 0;
  private hashesAt = 0;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly exports: ParseExports,
  ) {}

  /** This thread's kernel, or undefined where WebAssembly cannot run it (once undefined, always). */
  static forThread(): NumberCells | undefined {
    if (thread === undefined) {
      const kernel = instantiateKernel<ParseExports>(NUMBER_PARSE_WASM, 1);
      thread = kernel ? new NumberCells(kernel.memory, kernel.exports) : null;
    }
    return thread ?? undefined;
  }

  /**
   * Takes the first count cells of column c of a batch for accumulate; false when the batch is too large or the
   * memory cannot grow: then the caller reads every cell itself. The arrays hold until the next load of this thread.
   */
  load(raw: RawCells, c: number, count: number): boolean {
    const bytes = raw.buffer.length;
    if (bytes > MAX_BATCH_BYTES) return false;
    this.settleArea();
    if (!this.layOut(this.area + bytes, count)) return false;
    const buffer = this.memory.buffer;
    if (this.batch !== raw) {
      new Uint8Array(buffer, this.area, bytes).set(raw.buffer);
      this.batch = raw;
    }
    this.bytesAt = this.area;
    const from = c * raw.stride;
    new Int32Array(buffer, this.startsAt, count).set(raw.starts.subarray(from, from + count));
    new Int32Array(buffer, this.endsAt, count).set(raw.ends.subarray(from, from + count));
    new Uint8Array(buffer, this.flagsAt, count).set(raw.flags.subarray(from, from + count));
    this.count = count;
    this.views();
    return true;
  }

  /**
   * Places the arrays of count cells (starts, ends, flags, state, values, hashes) from `at` on, and grows the memory
   * to hold them; false when it cannot grow.
   */
  private layOut(at: number, count: number): boolean {
    this.startsAt = alignUp(at, 8);
    this.endsAt = this.startsAt + count * 4;
    this.flagsAt = this.endsAt + count * 4;
    this.stateAt = alignUp(this.flagsAt + count, 8);
    this.valuesAt = this.stateAt + STATE_SIZE * 8;
    this.hashesAt = this.valuesAt + count * 8;
    return this.room(this.hashesAt + count * 4);
  }

  /**
   * Grows the memory to at least this many bytes, and renews the arrays on it (growing moves it); false when it
   * cannot grow.
   */
  private room(bytes: number): boolean {
    try {
      growTo(this.memory, bytes);
    } catch {
      return false;
    }
    if (this.hashes.buffer !== this.memory.buffer) this.views();
    return true;
  }

  /**
   * Takes the first count values of a typed UTF-8 column (value r: bytes [starts[r], ends[r]) of bytes, all within
   * [lo, hi)) for hashTexts, matchCells and findIds; only [lo, hi) is copied in, not the rest of a buffer that
   * values of other rows share. False as load.
   */
  loadValues(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number, lo: number, hi: number): boolean {
    if (hi - lo > MAX_BATCH_BYTES) return false;
    this.settleArea();
    if (!this.layOut(this.area + hi - lo, count)) return false;
    const buffer = this.memory.buffer;
    new Uint8Array(buffer, this.area, hi - lo).set(bytes.subarray(lo, hi));
    this.batch = undefined;
    // Offset s is at address area + s - lo: the kernel's address arithmetic wraps at 2^32, as the i32 given here does.
    this.bytesAt = (this.area - lo) | 0;
    new Int32Array(buffer, this.startsAt, count).set(starts.subarray(0, count));
    new Int32Array(buffer, this.endsAt, count).set(ends.subarray(0, count));
    new Uint8Array(buffer, this.flagsAt, count).fill(0);
    this.count = count;
    this.views();
    return true;
  }

  /**
   * Takes the first count numbers of a typed column for accumulate in a TAKE_* mode; a null row (its bit clear in
   * validity, from bit vo, when there is one) is a missing cell. False as load.
   */
  loadNumbers(values: ArrayLike<number>, validity: Uint8Array | undefined, vo: number, count: number): boolean {
    this.settleArea();
    if (!this.layOut(this.area, count)) return false;
    const buffer = this.memory.buffer;
    this.batch = undefined;
    this.bytesAt = this.area;
    // The validity bitmap, from bit 0, where the starts would be (the TAKE_* modes read it, not the starts).
    const bytes = (count + 7) >> 3;
    const bitmap = new Uint8Array(buffer, this.startsAt, bytes);
    if (validity === undefined) bitmap.fill(0xff);
    else if ((vo & 7) === 0) {
      const given = validity.subarray(vo >> 3, (vo >> 3) + bytes);
      bitmap.set(given);
      // Bits past the end of a short bitmap are nulls, as they read in JavaScript.
      bitmap.fill(0, given.length);
    } else {
      bitmap.fill(0);
      for (let r = 0; r < count; r++) if ((validity[(vo + r) >> 3] & (1 << ((vo + r) & 7))) !== 0) bitmap[r >> 3] |= 1 << (r & 7);
    }
    // A typed array of any kind of number (Arrow's buffer may hold more rows than the batch).
    const first = ArrayBuffer.isView(values) ? (values as unknown as Float64Array).subarray(0, count) : Array.prototype.slice.call(values, 0, count);
    new Float64Array(buffer, this.valuesAt, count).set(first);
    this.count = count;
    this.views();
    return true;
  }

  /**
   * A column of mostly distinct values profiled against its categories (see DistinctTables) for each loaded cell,
   * as addAsciiBytes does: the slot of its category, or -1 for another value, whose hash goes into hll (the
   * HyperLogLog's registers, updated here); -2 for a missing, empty or escaped cell, left to the caller. The tables
   * are copied in once and kept (see area), the registers for this call. Undefined (nothing profiled) when the
   * tables do not fit yet: the next load makes room for them. The outcomes take the place of hashes, and hold until
   * the next call of this thread's kernel but matchCells.
   */
  profileDistinct(t: DistinctTables, hll: Uint8Array): Int32Array | undefined {
    let at = this.tables.get(t);
    if (at === undefined) {
      const size = tablesSize(t);
      if (size > this.area) {
        if (2 * size <= MAX_AREA) this.wantArea = Math.max(this.wantArea, alignUp(2 * size, WASM_PAGE));
        return undefined;
      }
      if (this.tablesEnd + size > this.area) {
        // Tables of other columns (of parts already read, mostly) make room; from the next batch on, there is room
        // for them all.
        if (2 * (this.tablesEnd + size) <= MAX_AREA) this.wantArea = Math.max(this.wantArea, alignUp(2 * (this.tablesEnd + size), WASM_PAGE));
        this.tables = new WeakMap();
        this.tablesEnd = 0;
      }
      at = this.tablesEnd;
      this.tablesEnd += size;
      this.tables.set(t, at);
      const buffer = this.memory.buffer;
      const where = tablesLayout(t, at);
      new Uint32Array(buffer, at, FILTER_WORDS).set(t.filter);
      new Int32Array(buffer, where.indexAt, t.index.length).set(t.index);
      new Int32Array(buffer, where.offsetsAt, t.offsets.length).set(t.offsets);
      new Int32Array(buffer, where.lengthsAt, t.lengths.length).set(t.lengths);
      new Uint8Array(buffer, where.keysAt, t.keys.length).set(t.keys);
    }
    // The outcomes take the place of hashes (matchCells's verdicts go after them); the registers are scratch.
    const outAt = this.hashesAt;
    const hllAt = alignUp(this.hashesAt + this.count * 4, 8);
    if (!this.room(hllAt + hll.length)) return undefined;
    const buffer = this.memory.buffer;
    const registers = new Uint8Array(buffer, hllAt, hll.length);
    registers.set(hll);
    const { indexAt, offsetsAt, lengthsAt, keysAt } = tablesLayout(t, at);
    this.exports.profileDistinct(this.bytesAt, this.startsAt, this.endsAt, this.flagsAt, this.count, at, hllAt, indexAt, (t.index.length >> 1) - 1, offsetsAt, lengthsAt, keysAt, outAt);
    hll.set(registers);
    return new Int32Array(buffer, outAt, this.count);
  }

  /**
   * Makes the room profileDistinct asked for at the start of the memory, before a batch is loaded: the batch then
   * starts after it (and is copied in again), and the tables go in again as needed.
   */
  private settleArea(): void {
    if (this.wantArea <= this.area) return;
    // Without the room, the tables that asked for it are profiled by JavaScript.
    if (!this.room(this.wantArea)) {
      this.wantArea = this.area;
      return;
    }
    this.area = this.wantArea;
    this.tables = new WeakMap();
    this.tablesEnd = 0;
    this.batch = undefined;
  }

  /** The arrays on the memory as it is now (growing it moves it). */
  private views(): void {
    const buffer = this.memory.buffer;
    this.state = new Float64Array(buffer, this.stateAt, STATE_SIZE);
    this.values = new Float64Array(buffer, this.valuesAt, this.count);
    this.hashes = new Uint32Array(buffer, this.hashesAt, this.count);
  }

  /**
   * Reads the loaded rows from `from` on as mode (PARSE_*), updating state, and stops before the first row it does
   * not settle alone: a cell the JavaScript parsers are to read (missing, empty, escaped, not on their fast path),
   * or a value outside [ruleMin, ruleMax]; missing cells it takes as nulls as nullsAs says (NULLS_*). Returns that
   * row (count: it took them all). Without hashing, the rows' hashes are left as they were.
   */
  accumulate(from: number, mode: number, ruleMin: number, ruleMax: number, hashing = true, nullsAs = NULLS_STOP): number {
    return this.exports.accumulate(this.bytesAt, this.startsAt, this.endsAt, this.flagsAt, from, this.count, mode, ruleMin, ruleMax, this.stateAt, this.valuesAt, this.hashesAt, hashing, nullsAs);
  }

  /**
   * Reads the loaded rows from `from` on as parseBooleanBytes does, and stops before the first it does not read
   * (missing, empty, escaped, not one of its words). Returns that row (count: it read them all); state then holds
   * how many it read as false (STATE_FALSES) and as true (STATE_TRUES), and the first of them (STATE_FIRST: 0 for
   * false, 1 for true, -1 for none).
   */
  readBooleans(from: number): number {
    return this.exports.readBooleans(this.bytesAt, this.startsAt, this.endsAt, this.flagsAt, from, this.count, this.stateAt);
  }

  /**
   * hashes[r] = hashAsciiBytes of the bytes of each loaded cell (of any bytes, not only ASCII ones), as they stand
   * ("" inside a cell is two bytes); 0 for a missing cell. Returns hashes.
   */
  hashTexts(): Uint32Array {
    this.exports.hashTexts(this.bytesAt, this.startsAt, this.endsAt, this.count, this.hashesAt);
    return this.hashes;
  }

  /**
   * A pattern's verdicts on the loaded cells, by its automaton (see DfaTables): 1 for bytes that match as a whole, 0
   * for bytes that do not, 2 for a cell that holds a byte beyond ASCII and for a missing one. Cells with "" inside get
   * the verdict on their bytes as they stand. The automaton is copied in after the batch, for this call only.
   * Undefined (no verdicts) for an automaton over MAX_DFA_BYTES, or when the memory cannot grow. The verdicts hold
   * until the next call of this thread's kernel; the hashes of hashTexts stay.
   */
  matchCells(dfa: DfaTables): Uint8Array | undefined {
    const steps = dfa.steps;
    const nextBytes = steps ? steps.next.length * 2 : 0;
    if (nextBytes + dfa.table.length * 2 > MAX_DFA_BYTES) return undefined;
    const shifted1At = alignUp(this.hashesAt + this.count * 4, 8);
    const shifted2At = shifted1At + 1024;
    const classAt = shifted2At + 1024;
    const nextAt = classAt + 256;
    const tableAt = nextAt + nextBytes;
    const acceptingAt = tableAt + dfa.table.length * 2;
    const outAt = acceptingAt + dfa.accepting.length;
    if (!this.room(outAt + this.count)) return undefined;
    const buffer = this.memory.buffer;
    if (steps) {
      new Int32Array(buffer, shifted1At, 256).set(steps.shifted1);
      new Int32Array(buffer, shifted2At, 256).set(steps.shifted2);
      new Uint8Array(buffer, classAt, 256).set(steps.classOf);
      new Int16Array(buffer, nextAt, steps.next.length).set(steps.next);
    }
    new Int16Array(buffer, tableAt, dfa.table.length).set(dfa.table);
    new Uint8Array(buffer, acceptingAt, dfa.accepting.length).set(dfa.accepting);
    const stride = steps ? steps.stride : 0;
    const shift = steps ? steps.stride * steps.bits : 0;
    this.exports.matchCells(this.bytesAt, this.startsAt, this.endsAt, this.count, stride, shift, classAt, shifted1At, shifted2At, nextAt, tableAt, acceptingAt, outAt);
    return new Uint8Array(buffer, outAt, this.count);
  }

  /**
   * For each loaded cell, the id of its value in the dictionary (see ByteDictionary), found by its hash and bytes;
   * -1 for a value not in it, and for a missing, empty or escaped cell. The dictionary is copied in after the
   * batch, for this call only. Undefined (nothing looked up) for a dictionary over MAX_DICTIONARY_SLOTS slots or
   * MAX_DICTIONARY_BYTES bytes, or when the memory cannot grow. The ids hold until the next call of this thread's
   * kernel (they take the place of hashes).
   */
  findIds(d: ByteDictionary): Int32Array | undefined {
    if (d.slots.length > MAX_DICTIONARY_SLOTS || d.used > MAX_DICTIONARY_BYTES) return undefined;
    const slotsAt = this.hashesAt + this.count * 4;
    const hashesAt = slotsAt + d.slots.length * 4;
    const offsetsAt = hashesAt + d.size * 4;
    const lengthsAt = offsetsAt + d.size * 4;
    const keysAt = lengthsAt + d.size * 4;
    // The keys are read up to 7 bytes past their end.
    if (!this.room(keysAt + d.used + 8)) return undefined;
    const buffer = this.memory.buffer;
    new Int32Array(buffer, slotsAt, d.slots.length).set(d.slots);
    new Int32Array(buffer, hashesAt, d.size).set(d.hashes.subarray(0, d.size));
    new Int32Array(buffer, offsetsAt, d.size).set(d.offsets.subarray(0, d.size));
    new Int32Array(buffer, lengthsAt, d.size).set(d.lengths.subarray(0, d.size));
    new Uint8Array(buffer, keysAt, d.used).set(d.bytes.subarray(0, d.used));
    this.exports.findIds(this.bytesAt, this.startsAt, this.endsAt, this.flagsAt, this.count, slotsAt, d.slots.length - 1, hashesAt, offsetsAt, lengthsAt, keysAt, this.hashesAt);
    return new Int32Array(buffer, this.hashesAt, this.count);
  }
}

let thread: NumberCells | null | undefined;
