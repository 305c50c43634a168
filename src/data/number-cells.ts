/**
 * The numbers of a CSV column of a batch, parsed from the cells' bytes by the WebAssembly kernel of
 * wasm/number-parse.ts: the twin of parseIntegerBytes, parseNumberBytes and parseIsoDateTimeBytes on the forms data
 * mostly holds, giving the same doubles (test/unit/data/number-cells). The cells it does not settle (missing,
 * malformed, long, with "" inside) are left to those parsers.
 *
 * One instance per thread, with its memory: [batch bytes | starts | ends | flags | values | parsed]. The batch's
 * bytes are copied in once for all its numeric columns.
 */
import { NUMBER_PARSE_WASM } from '../generated/number-parse-wasm';
import type { RawCells } from './types';
import { growTo, instantiateKernel, type WasmMemory } from './wasm';

interface ParseExports {
  parseCells(bytes: number, starts: number, ends: number, flags: number, count: number, mode: number, values: number, parsed: number): number;
}

export const PARSE_INTEGER = 0;
export const PARSE_NUMBER = 1;
export const PARSE_ISO_DATETIME = 2;

/** values[r] is the number of row r where parsed[r] is 1; the views hold until the next parse of this thread. */
export interface ParsedCells {
  values: Float64Array;
  parsed: Uint8Array;
}

/** A batch with more bytes than this is parsed by the JavaScript parsers: its copy would cost more memory than it saves. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export class NumberCells {
  /** The batch whose bytes are at the start of the memory. */
  private batch: RawCells | undefined;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly exports: ParseExports,
  ) {}

  /** This thread's parser, or undefined where WebAssembly cannot run it (once undefined, always). */
  static forThread(): NumberCells | undefined {
    if (thread === undefined) {
      const kernel = instantiateKernel<ParseExports>(NUMBER_PARSE_WASM, 1);
      thread = kernel ? new NumberCells(kernel.memory, kernel.exports) : null;
    }
    return thread ?? undefined;
  }

  /**
   * The first count cells of column c of a batch, parsed as mode (PARSE_*), or undefined when the batch is too large
   * or the memory cannot grow: then the caller parses every cell itself.
   */
  parse(raw: RawCells, c: number, count: number, mode: number): ParsedCells | undefined {
    const bytes = raw.buffer.length;
    if (bytes > MAX_BATCH_BYTES) return undefined;
    const startsAt = align8(bytes);
    const endsAt = startsAt + count * 4;
    const flagsAt = endsAt + count * 4;
    const valuesAt = align8(flagsAt + count);
    const parsedAt = valuesAt + count * 8;
    try {
      growTo(this.memory, parsedAt + count);
    } catch {
      return undefined;
    }
    const buffer = this.memory.buffer;
    if (this.batch !== raw) {
      new Uint8Array(buffer, 0, bytes).set(raw.buffer);
      this.batch = raw;
    }
    const from = c * raw.stride;
    new Int32Array(buffer, startsAt, count).set(raw.starts.subarray(from, from + count));
    new Int32Array(buffer, endsAt, count).set(raw.ends.subarray(from, from + count));
    new Uint8Array(buffer, flagsAt, count).set(raw.flags.subarray(from, from + count));
    this.exports.parseCells(0, startsAt, endsAt, flagsAt, count, mode, valuesAt, parsedAt);
    return { values: new Float64Array(buffer, valuesAt, count), parsed: new Uint8Array(buffer, parsedAt, count) };
  }
}

let thread: NumberCells | null | undefined;

function align8(x: number): number {
  return (x + 7) & ~7;
}
