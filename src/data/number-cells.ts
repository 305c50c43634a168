/**
 * The numbers of a CSV column of a batch, parsed from the cells' bytes and accumulated by the WebAssembly kernel of
 * wasm/number-parse.ts: the twin of parseIntegerBytes, parseNumberBytes and parseIsoDateTimeBytes on the forms data
 * mostly holds (the same doubles), which also keeps the running minimum, maximum, count, mean and variance as the
 * column's checker and profile do (the same arithmetic, in row order). It stops before each row it does not settle
 * alone, for the caller to read it as before (test/unit/data/number-cells).
 *
 * One instance per thread, with its memory: [batch bytes | starts | ends | flags | state | values | hashes]. The
 * batch's bytes are copied in once for all its numeric columns, and for the text columns whose cells it hashes
 * (hashTexts: hashAsciiBytes of each cell, a word at a time where JavaScript reads byte by byte).
 */
import { NUMBER_PARSE_WASM } from '../generated/number-parse-wasm';
import type { RawCells } from './types';
import { alignUp, growTo, instantiateKernel, type WasmMemory } from './wasm';

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
  ): number;
  hashTexts(bytes: number, starts: number, ends: number, count: number, hashes: number): void;
}

export const PARSE_INTEGER = 0;
export const PARSE_NUMBER = 1;
export const PARSE_ISO_DATETIME = 2;

/** state: the checker's minimum and maximum, then the profile's count, mean, m2, minimum and maximum. */
export const STATE_CHECK_MIN = 0;
export const STATE_CHECK_MAX = 1;
export const STATE_MOMENTS = 2;
const STATE_SIZE = 7;

/**
 * A batch with more bytes than this (rows of over 2 KB) is read by the JavaScript parsers: the kernel's memory, a copy
 * of the batch kept for the thread's life, stays within it.
 */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export class NumberCells {
  /** The running values accumulate reads and updates (see STATE_*), to set before it and read after it. */
  state = new Float64Array(0);
  /** values[r]: the number of row r, and hashes[r] its hashNumber, for each row accumulate took. */
  values = new Float64Array(0);
  hashes = new Uint32Array(0);
  /** The batch whose bytes are at the start of the memory. */
  private batch: RawCells | undefined;
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
    this.startsAt = alignUp(bytes, 8);
    this.endsAt = this.startsAt + count * 4;
    this.flagsAt = this.endsAt + count * 4;
    this.stateAt = alignUp(this.flagsAt + count, 8);
    this.valuesAt = this.stateAt + STATE_SIZE * 8;
    this.hashesAt = this.valuesAt + count * 8;
    try {
      growTo(this.memory, this.hashesAt + count * 4);
    } catch {
      return false;
    }
    const buffer = this.memory.buffer;
    if (this.batch !== raw) {
      new Uint8Array(buffer, 0, bytes).set(raw.buffer);
      this.batch = raw;
    }
    const from = c * raw.stride;
    new Int32Array(buffer, this.startsAt, count).set(raw.starts.subarray(from, from + count));
    new Int32Array(buffer, this.endsAt, count).set(raw.ends.subarray(from, from + count));
    new Uint8Array(buffer, this.flagsAt, count).set(raw.flags.subarray(from, from + count));
    this.count = count;
    this.state = new Float64Array(buffer, this.stateAt, STATE_SIZE);
    this.values = new Float64Array(buffer, this.valuesAt, count);
    this.hashes = new Uint32Array(buffer, this.hashesAt, count);
    return true;
  }

  /**
   * Reads the loaded rows from `from` on as mode (PARSE_*), updating state, and stops before the first row it does
   * not settle alone: a cell the JavaScript parsers are to read (missing, empty, escaped, not on their fast path),
   * or a value outside [ruleMin, ruleMax]. Returns that row (count: it took them all).
   */
  accumulate(from: number, mode: number, ruleMin: number, ruleMax: number): number {
    return this.exports.accumulate(0, this.startsAt, this.endsAt, this.flagsAt, from, this.count, mode, ruleMin, ruleMax, this.stateAt, this.valuesAt, this.hashesAt);
  }

  /**
   * hashes[r] = hashAsciiBytes of the bytes of each loaded cell (of any bytes, not only ASCII ones), as they stand
   * ("" inside a cell is two bytes); 0 for a missing cell. Returns hashes.
   */
  hashTexts(): Uint32Array {
    this.exports.hashTexts(0, this.startsAt, this.endsAt, this.count, this.hashesAt);
    return this.hashes;
  }
}

let thread: NumberCells | null | undefined;
