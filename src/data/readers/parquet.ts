/**
 * Parquet reader. Row groups whose columns parquet-pages.ts reads (flat, PLAIN or dictionary encoded, uncompressed,
 * Snappy, Gzip or Brotli: what most writers write) are decoded by it, into Arrow data of the types parquet-wasm
 * gives; the others by parquet-wasm, which also reads the schema.
 *
 * parquet-wasm decodes record batches (every codec parquet supports is compiled in) and hands them
 * over through the Arrow C data interface, which arrow-js-ffi reads into apache-arrow columns that are views on the
 * decoder's memory: no copy and no second parse, about a twentieth of the cost of handing them over as Arrow IPC.
 * The research measured 3.1 M rows/s for parquet-wasm + apache-arrow against 0.7 M for a pure-JS reader. Memory is
 * bounded by a piece of at most PARQUET_PIECE_ROWS rows of a row group with an offset index, or by a row group
 * without one (the WASM memory grows to the largest, never the file).
 *
 * Batches carry their columns twice: typed (RowBatch.typed: numbers, bits, UTF-8 bytes, straight from Arrow's
 * buffers) for the checkers, and as the cell values below, made for a column only when something reads it.
 *
 * Values: numbers (int8-32, uint8-32, floats; int64/uint64 as number when within ±2^53, else bigint), strings,
 * booleans, Date for timestamps and dates (millisecond precision; finer units are truncated), null for nulls;
 * decimals as numbers; nested values (lists, structs, maps) and binary as JSON text.
 *
 * The libraries are loaded on the first Parquet read only, from a module of their own (parquet-libs.ts), which a
 * task bundles on its own. parquet-wasm's Node build reads `${__dirname}/parquet_wasm_bg.wasm` synchronously when
 * first required, so that bundle needs the file next to it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import type * as Arrow from 'apache-arrow';
import { CellValue, DataFormatError, RowBatch, TableReader, TypedColumn, type NumberDictionary } from '../types';
import { lazyColumns } from './lazy-columns';
import { readFooter, readFully, readOffsetIndexedRowGroups, readRowGroups } from './parquet-footer';
import { BOOLEAN, BYTE_ARRAY, ChunkReader, ColumnOut, DOUBLE, FLOAT, FileLayout, INT32, INT64, PageMemory, parseLayout, placeChunks, scanChunk, Unsupported, type ChunkFile } from './parquet-pages';
import { arrowText } from './text';
import { isWasmTrap } from '../wasm';
import type { DataSource } from '../sources';
import { DEFAULT_BATCH_SIZE, ReaderOptions } from './options';

type ParquetWasm = typeof import('parquet-wasm');
type ArrowModule = typeof import('apache-arrow');
type ArrowFfi = typeof import('arrow-js-ffi');

let wasmModule: ParquetWasm | undefined;
let arrowModule: ArrowModule | undefined;
let ffiModule: ArrowFfi | undefined;

/**
 * The libraries' module (see parquet-libs.ts), by path: next to this file when run from the compiled tree, and
 * next to index.js and worker.js in a task's bundle, which has it as a bundle of its own under the same name.
 */
function libraries(): typeof import('./parquet-libs') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, 'parquet-libs.js')) as typeof import('./parquet-libs');
}

/** Not the user's data: the task was shipped without the decoder's files (see the header of this file). */
class MissingLibraries extends Error {}

/** One of the libraries, loaded on demand. */
function loaded<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    throw new MissingLibraries(`Cannot load the Parquet decoder (parquet-libs.js and parquet_wasm_bg.wasm must sit next to the task's index.js): ${(e as Error).message}`);
  }
}

/** apache-arrow alone: a file the page decoder reads whole needs no parquet-wasm. */
function loadArrow(): ArrowModule {
  return (arrowModule ??= loaded(() => libraries().apacheArrow()));
}

/** parquet-wasm (its WASM is compiled on this first call) and apache-arrow. */
export function loadParquetWasm(): { pw: ParquetWasm; arrow: ArrowModule } {
  wasmModule ??= loaded(() => libraries().parquetWasm());
  return { pw: wasmModule, arrow: loadArrow() };
}

/** arrow-js-ffi, loaded with the first batch. */
function loadArrowFfi(): ArrowFfi {
  return (ffiModule ??= libraries().arrowFfi());
}

/** The error of an unreadable file; where: the part of it being read, when known ("row group 3"). */
function corrupt(source: string, detail: unknown, where?: string): DataFormatError {
  // A trap's own message ("unreachable") says nothing of the data.
  const text = isWasmTrap(detail) ? 'the decoder stopped on data it cannot decode' : detail instanceof Error ? detail.message : String(detail);
  return new DataFormatError(`${source} is not a readable Parquet file: ${where ? `${where}: ` : ''}${text}`, { source });
}

/**
 * A panic inside parquet-wasm (on data it cannot decode) is a WebAssembly trap, thrown from the microtasks in which
 * the decoder polls its futures, where no await of the caller catches it: it would end the process (or the task,
 * by the task library's handler of uncaught exceptions), and the promise the caller awaits would never settle.
 * untrapped(p) is p, rejected with the trap if one comes while it is pending, so the file is reported as
 * unreadable: while reads are pending, queueMicrotask (which the decoder's glue looks up on each call) runs its
 * callbacks through a guard that hands such a trap to them. Anything else is thrown as it would have been.
 */
const pendingReads = new Set<(trap: Error) => void>();
let queueMicrotaskOutside: typeof queueMicrotask | undefined;

function guardedQueueMicrotask(callback: () => void): void {
  queueMicrotaskOutside!(() => {
    try {
      callback();
    } catch (e) {
      if (!isWasmTrap(e) || pendingReads.size === 0) throw e;
      for (const reject of pendingReads) reject(e);
      pendingReads.clear();
    }
  });
}

async function untrapped<T>(pending: Promise<T>): Promise<T> {
  let reject!: (trap: Error) => void;
  const trapped = new Promise<never>((_, r) => (reject = r));
  pendingReads.add(reject);
  if (queueMicrotaskOutside === undefined) {
    queueMicrotaskOutside = globalThis.queueMicrotask;
    globalThis.queueMicrotask = guardedQueueMicrotask;
  }
  try {
    return await Promise.race([pending, trapped]);
  } finally {
    pendingReads.delete(reject);
    if (pendingReads.size === 0 && queueMicrotaskOutside !== undefined) {
      globalThis.queueMicrotask = queueMicrotaskOutside;
      queueMicrotaskOutside = undefined;
    }
  }
}

/** A non-local source is copied to a temporary file first: Parquet needs random access (footer first). */
async function localCopy(source: DataSource): Promise<{ file: string; cleanup: () => void }> {
  if (source.localPath) return { file: source.localPath, cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-'));
  const file = path.join(dir, 'data.parquet');
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await pipeline(source.open(), fs.createWriteStream(file));
  } catch (e) {
    cleanup();
    throw e;
  }
  return { file, cleanup };
}

/**
 * A local file in the shape of the Blob parquet-wasm reads (size, slice, arrayBuffer; it calls nothing else),
 * open until close(): each slice is read with positioned reads on one descriptor into one ArrayBuffer. Node's
 * file-backed Blob reads a slice in chunks and copies them together, which held about 85 MB more at the peak of
 * reading a million-row row group. The reads are synchronous: the decoder asks for a few column chunks for each
 * piece of a row group it decodes (see PARQUET_PIECE_ROWS), and opening the file and awaiting each read cost more
 * than the copies from the page cache themselves.
 */
function fileBlob(file: string): { blob: Blob; close(): void } {
  let fd: number | undefined = fs.openSync(file, 'r');
  const part = (start: number, end: number) => ({
    size: end - start,
    slice(from = 0, to = end - start) {
      const clamp = (x: number) => Math.max(0, Math.min(end - start, x < 0 ? end - start + x : x));
      return part(start + clamp(from), start + Math.max(clamp(from), clamp(to)));
    },
    async arrayBuffer(): Promise<ArrayBuffer> {
      if (fd === undefined) throw new Error('the file was closed');
      // Not zero-filled first: every byte is read into. Never from the pool: the whole ArrayBuffer is the slice.
      const bytes = Buffer.allocUnsafeSlow(end - start);
      readFully(fd, bytes, start);
      return bytes.buffer;
    },
  });
  try {
    const blob = part(0, fs.fstatSync(fd).size) as unknown as Blob;
    return {
      blob,
      close() {
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
      },
    };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Checks the magic at both ends, so a truncated or foreign file gets a clear message before the decoder runs. */
function checkMagic(file: string, source: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 12) throw corrupt(source, `the file is ${size} bytes, too short for Parquet`);
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    fs.readSync(fd, tail, 0, 4, size - 4);
    if (head.toString('latin1') !== 'PAR1') throw corrupt(source, 'it does not start with the Parquet magic bytes PAR1');
    if (tail.toString('latin1') !== 'PAR1') throw corrupt(source, 'it does not end with PAR1 (truncated?)');
  } finally {
    fs.closeSync(fd);
  }
}

/** Arrow type names as pyarrow writes them ('int64', 'double', 'utf8', 'timestamp[ms, tz=UTC]'). */
export function nativeTypeName(arrow: ArrowModule, t: Arrow.DataType): string {
  const T = arrow.Type;
  const u = (unit: number) => ['s', 'ms', 'us', 'ns'][unit] ?? String(unit);
  switch (t.typeId) {
    case T.Int: {
      const i = t as Arrow.Int;
      return `${i.isSigned ? 'int' : 'uint'}${i.bitWidth}`;
    }
    case T.Float:
      return ['halffloat', 'float', 'double'][(t as Arrow.Float).precision] ?? 'double';
    case T.Bool:
      return 'bool';
    case T.Utf8:
      return 'utf8';
    case T.LargeUtf8:
      return 'large_utf8';
    case T.Binary:
      return 'binary';
    case T.LargeBinary:
      return 'large_binary';
    case T.Timestamp: {
      const ts = t as Arrow.Timestamp;
      return `timestamp[${u(ts.unit)}${ts.timezone ? `, tz=${ts.timezone}` : ''}]`;
    }
    case T.Date:
      return (t as Arrow.Date_).unit === arrow.DateUnit.DAY ? 'date32[day]' : 'date64[ms]';
    case T.Decimal: {
      const d = t as Arrow.Decimal;
      return `decimal(${d.precision}, ${d.scale})`;
    }
    case T.Dictionary:
      return nativeTypeName(arrow, (t as Arrow.Dictionary).dictionary);
    default:
      return String(t).toLowerCase();
  }
}

/**
 * Rows the decoder makes per record batch at least. Each costs a round trip through parquet-wasm's stream and
 * an IPC message: 8192-row batches took about 1.5x the time of 65536-row ones; 65536 rows of typed data are a few MB.
 */
const DECODE_ROWS = 65536;

/** The rows of the page decoder's first batch (see ParquetReader.batchRows). */
const FIRST_BATCH_ROWS = 64;

/**
 * Rows the decoder is asked for at once at most: a row group of more, with an offset index, is read in pieces, one
 * decoder stream each (see rowGroupPieces). A stream decodes all its rows before it gives the first batch, so a
 * piece bounds the decoder's memory (about 215 MB for a million rows of the benchmark's 12 columns, 30 MB for
 * 131,072), and rows checked soon after they are decoded are still in the processor's cache; but each stream also
 * decodes the pages it starts and ends in, and each column's dictionary. On the benchmark's Parquet twin with two
 * threads, pieces of 131,072 rows took about 5 % less time than pieces of 524,288 (and 40 % less memory), pieces of
 * 65,536 more; with one thread, pieces of 131,072 or 262,144 rows and whole row groups took the same time within
 * the noise.
 */
export const PARQUET_PIECE_ROWS = 1 << 17;

/**
 * A row group of n rows as the pieces it is read in, in order: rows [start, end) of the group. With an offset
 * index, pieces of at most maxRows rows, about equal; without one, the whole group. The decoder skips the rows
 * before a piece by the index's page locations; without an index it decodes the whole column chunks up to the
 * piece (pieces of 131,072 rows of a million-row group took 4.5 times as long as the group at once).
 */
export function rowGroupPieces(n: number, indexed: boolean, maxRows = PARQUET_PIECE_ROWS): Array<{ start: number; end: number }> {
  if (!indexed) return n > 0 ? [{ start: 0, end: n }] : [];
  const k = Math.ceil(n / maxRows);
  const pieces: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < k; i++) pieces.push({ start: Math.floor((n * i) / k), end: Math.floor((n * (i + 1)) / k) });
  return pieces;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Fixed-width columns read straight from Arrow's buffers (values, validity bitmap): per-cell Vector.get costs a
 * visitor dispatch and a union check, which showed as the largest cost in the profile. Returns false for other types.
 */
function fixedWidth(arrow: ArrowModule, vec: Arrow.Vector, out: CellValue[]): boolean {
  const T = arrow.Type;
  const t = vec.type as Arrow.DataType;
  const id = t.typeId;
  let kind: 'num' | 'big' | 'bool' | 'time';
  let scale = 1; // to milliseconds, for times
  if (id === T.Int) kind = (t as Arrow.Int).bitWidth === 64 ? 'big' : 'num';
  else if (id === T.Float && (t as Arrow.Float).precision > 0) kind = 'num';
  else if (id === T.Bool) kind = 'bool';
  else if (id === T.Timestamp) {
    kind = 'time';
    scale = [1000, 1, 1e-3, 1e-6][(t as Arrow.Timestamp).unit] ?? 1;
  } else if (id === T.Date) {
    kind = 'time';
    scale = (t as Arrow.Date_).unit === arrow.DateUnit.DAY ? 86_400_000 : 1;
  } else return false;
  let at = 0;
  for (const d of vec.data) {
    const n = d.length;
    const bm = d.nullCount > 0 ? d.nullBitmap : undefined;
    const off = d.offset;
    const values = d.values as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      const pos = off + i;
      if (bm !== undefined && (bm[pos >> 3] & (1 << (pos & 7))) === 0) {
        out[at + i] = null;
        continue;
      }
      switch (kind) {
        case 'num':
          out[at + i] = values[i] as number;
          break;
        case 'big': {
          const v = values[i] as bigint;
          out[at + i] = v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
          break;
        }
        case 'bool':
          // Booleans are bits, and their offset applies to the values too.
          out[at + i] = ((values[pos >> 3] as number) & (1 << (pos & 7))) !== 0;
          break;
        case 'time':
          out[at + i] = new Date(Math.floor(Number(values[i]) * scale));
          break;
      }
    }
    at += n;
  }
  return true;
}

const TWO_32 = 4294967296;
const MAX_DATE_MS = 8.64e15;

/**
 * A column as typed data for the checkers (see TypedColumn): numbers and times as numbers, booleans as bits, UTF-8
 * as bytes and offsets; undefined for other types. Every value is what columnValues gives, unboxed: int64 is
 * read as two 32-bit halves (exact within ±2^53, NaN beyond, where columnValues has a bigint), a time is the
 * getTime() of the Date columnValues makes.
 */
export function typedColumn(arrow: ArrowModule, vec: Arrow.Vector, n: number, reuse?: Reuse): TypedColumn | undefined {
  if (vec.data.length !== 1) return undefined;
  const T = arrow.Type;
  const t = vec.type as Arrow.DataType;
  const id = t.typeId;
  const d = vec.data[0];
  if (d.length < n) return undefined;
  const validity = d.nullCount > 0 ? d.nullBitmap : undefined;
  const validityOffset = d.offset;
  let boxed: ArrayLike<CellValue> | undefined;
  const cell = (r: number): CellValue => (boxed ??= columnValues(arrow, vec, n))[r];
  if (id === T.Utf8) {
    const values = d.values as Uint8Array;
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const offsets = d.valueOffsets as Int32Array;
    return { kind: 'utf8', bytes, starts: offsets.subarray(0, n), ends: offsets.subarray(1, n + 1), ordered: true, validity, validityOffset, cell };
  }
  if (id === T.Dictionary) {
    // Text categories (pandas' categoricals): each row points at its value in the dictionary's bytes.
    const dictionary = d.dictionary as Arrow.Vector | undefined;
    const dd = dictionary?.data.length === 1 ? dictionary.data[0] : undefined;
    if (!dd || dd.typeId !== T.Utf8 || dd.nullCount > 0) return undefined;
    const values = dd.values as Uint8Array;
    const offsets = dd.valueOffsets as Int32Array;
    const indices = d.values as ArrayLike<number>;
    if (indices instanceof BigInt64Array || indices instanceof BigUint64Array) return undefined;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      // A null row's index may be anything; its bytes are never read.
      if (k >= 0 && k < dd.length) {
        starts[i] = offsets[k];
        ends[i] = offsets[k + 1];
      }
    }
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const entries = { codes: indices, size: dd.length, entryStarts: offsets.subarray(0, dd.length), entryEnds: offsets.subarray(1, dd.length + 1), source: dd };
    return { kind: 'utf8', bytes, starts, ends, validity, validityOffset, cell, dictionary: entries };
  }
  if (id === T.Bool) return { kind: 'booleans', bits: d.values as Uint8Array, bitOffset: d.offset, validity, validityOffset, cell };
  let scale = 0; // to milliseconds, for times
  if (id === T.Timestamp) scale = [1000, 1, 1e-3, 1e-6][(t as Arrow.Timestamp).unit] ?? 1;
  else if (id === T.Date) scale = (t as Arrow.Date_).unit === arrow.DateUnit.DAY ? 86_400_000 : 1;
  else if (!(id === T.Int || (id === T.Float && (t as Arrow.Float).precision > 0))) return undefined;
  const raw = d.values as ArrayLike<number> | BigInt64Array | BigUint64Array;
  // int64 values, and times, which are mostly int64: in one pass.
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) return { kind: 'numbers', time: scale !== 0, values: int64Values(raw, n, scale, numbersFor(reuse, n)), validity, validityOffset, cell };
  if (raw.length < n || (id === T.Date && scale === 1)) return undefined;
  let values: ArrayLike<number> = raw as ArrayLike<number>;
  if (scale !== 0) {
    // As new Date(Math.floor(v * scale)).getTime(): NaN beyond the range of Date, never -0.
    const out = numbersFor(reuse, n);
    for (let i = 0; i < n; i++) {
      const ms = Math.floor(values[i] * scale);
      out[i] = ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS ? ms + 0 : NaN;
    }
    values = out;
  }
  return { kind: 'numbers', time: scale !== 0, values, validity, validityOffset, cell };
}


/**
 * An array a reader keeps for a column's numbers from batch to batch (its batches are valid until the next one, as
 * the page decoder's are): new arrays of a batch's numbers each time are garbage, and fresh memory to fault in.
 */
interface Reuse {
  numbers?: Float64Array;
  /** The page decoder's last number dictionary of the column, and its entries' values. */
  dictionary?: { words: Int32Array; values: Float64Array };
}

/** n numbers' room: the reused array (grown as needed), or a new one. */
function numbersFor(reuse: Reuse | undefined, n: number): Float64Array {
  if (reuse === undefined) return new Float64Array(n);
  if (reuse.numbers === undefined || reuse.numbers.length < n) reuse.numbers = new Float64Array(n);
  return reuse.numbers.subarray(0, n);
}

/**
 * The first n of 64-bit integers as numbers, read as two 32-bit halves (hi * 2^32 + lo is Number(v), one rounding
 * either way): NaN beyond ±(2^53 - 1); or, for times (scale: to milliseconds), as typedColumn takes times, NaN
 * beyond the range of Date. A loop for each case.
 */
function int64Values(raw: BigInt64Array | BigUint64Array, n: number, scale: number, out: Float64Array): Float64Array {
  const halves = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
  const signed = raw instanceof BigInt64Array;
  if (scale === 0 && signed) {
    for (let i = 0; i < n; i++) {
      const v = halves[2 * i + 1] * TWO_32 + (halves[2 * i] >>> 0);
      out[i] = v >= -Number.MAX_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? v : NaN;
    }
  } else if (scale === 0) {
    for (let i = 0; i < n; i++) {
      const v = (halves[2 * i + 1] >>> 0) * TWO_32 + (halves[2 * i] >>> 0);
      out[i] = v <= Number.MAX_SAFE_INTEGER ? v : NaN;
    }
  } else if (scale === 1 && signed) {
    // Milliseconds: whole already.
    for (let i = 0; i < n; i++) {
      const ms = halves[2 * i + 1] * TWO_32 + (halves[2 * i] >>> 0);
      out[i] = ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS ? ms + 0 : NaN;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const hi = signed ? halves[2 * i + 1] : halves[2 * i + 1] >>> 0;
      const ms = Math.floor((hi * TWO_32 + (halves[2 * i] >>> 0)) * scale);
      out[i] = ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS ? ms + 0 : NaN;
    }
  }
  return out;
}

/** One Arrow column of a record batch as cell values. */
function columnValues(arrow: ArrowModule, vec: Arrow.Vector, n: number): ArrayLike<CellValue> {
  const T = arrow.Type;
  const t = vec.type as Arrow.DataType;
  const id = t.typeId;
  // Plain numbers without nulls: the typed array itself, no copy.
  if ((id === T.Int && (t as Arrow.Int).bitWidth <= 32) || (id === T.Float && (t as Arrow.Float).precision > 0)) {
    if (vec.nullCount === 0 && vec.data.length === 1) {
      const values = vec.data[0].values as ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> };
      return values.length === n ? values : values.subarray(0, n);
    }
  }
  const out: CellValue[] = new Array(n);
  if (fixedWidth(arrow, vec, out)) return out;
  if (id === T.Decimal) {
    const scale = (t as Arrow.Decimal).scale;
    for (let i = 0; i < n; i++) {
      const v = vec.get(i) as unknown;
      out[i] = v === null ? null : decimalToNumber(v, scale);
    }
    return out;
  }
  if (id === T.Utf8 || id === T.LargeUtf8) {
    for (let i = 0; i < n; i++) out[i] = vec.get(i) as string | null;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = plain(vec.get(i));
  return out;
}

function plain(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
    default:
      if (v instanceof Date) return v;
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

/** Arrow JS gives a decimal as its little-endian 32-bit words; scale it into a number. */
function decimalToNumber(v: unknown, scale: number): number {
  if (typeof v === 'number') return v / 10 ** scale;
  if (typeof v === 'bigint') return Number(v) / 10 ** scale;
  const words = v as Uint32Array;
  let big = 0n;
  for (let k = words.length - 1; k >= 0; k--) big = (big << 32n) | BigInt(words[k]);
  const bits = BigInt(words.length * 32);
  if (words.length > 0 && words[words.length - 1] & 0x80000000) big -= 1n << bits;
  return Number(big) / 10 ** scale;
}

/** A record batch parquet-wasm exported through the Arrow C data interface (RecordBatch.intoFFI). */
interface ExportedBatch {
  arrayAddr(): number;
  schemaAddr(): number;
  free(): void;
}

/**
 * An exported record batch as apache-arrow columns that are views on the decoder's memory, and that memory.
 * arrow-js-ffi views a boolean column's bits as a byte per row, eight times the bytes they take: when the bits lie
 * near the end of the decoder's memory, the view reaches past it and the parse throws a RangeError. The memory is
 * then grown by a byte per row of the batch, and the parse tried again. The decoder's allocator never hands out
 * those pages (it takes only the pages its own calls of memory.grow add), so nothing it holds is touched.
 */
function viewExported(pw: ParquetWasm, ffi: ArrowFfi, exported: ExportedBatch): { decoded: Arrow.RecordBatch; memory: ArrayBuffer } {
  const memory = pw.wasmMemory().buffer;
  try {
    return { decoded: ffi.parseRecordBatch(memory, exported.arrayAddr(), exported.schemaAddr(), false) as Arrow.RecordBatch, memory };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // The batch's row count: the first field (int64 length) of its ArrowArray.
    const rows = Number(new DataView(memory).getBigInt64(exported.arrayAddr(), true));
    pw.wasmMemory().grow(Math.ceil(rows / 65536) + 1);
    const grown = pw.wasmMemory().buffer;
    return { decoded: ffi.parseRecordBatch(grown, exported.arrayAddr(), exported.schemaAddr(), false) as Arrow.RecordBatch, memory: grown };
  }
}

/**
 * How parquet-pages.ts's output of a column becomes Arrow data of the column's Arrow type (the type parquet-wasm
 * gives it), by that type and the column's physical type; undefined where the two decoders could differ, and
 * parquet-wasm reads the file. A timestamp's unit must be the Parquet column's own: an Arrow schema in the file's
 * metadata can ask for another, which parquet-wasm converts to.
 */
type OwnKind = 'int32' | 'uint32' | 'narrow' | 'int64' | 'uint64' | 'float32' | 'float64' | 'bool' | 'utf8';

function ownKind(arrow: ArrowModule, t: Arrow.DataType, physical: number, timeUnit: number | undefined): OwnKind | undefined {
  const T = arrow.Type;
  switch (t.typeId) {
    case T.Int: {
      const i = t as Arrow.Int;
      if (i.bitWidth === 64) return physical === INT64 ? (i.isSigned ? 'int64' : 'uint64') : undefined;
      if (physical !== INT32) return undefined;
      return i.bitWidth === 32 ? (i.isSigned ? 'int32' : 'uint32') : 'narrow';
    }
    case T.Float: {
      const precision = (t as Arrow.Float).precision;
      if (precision === arrow.Precision.DOUBLE) return physical === DOUBLE ? 'float64' : undefined;
      return precision === arrow.Precision.SINGLE && physical === FLOAT ? 'float32' : undefined;
    }
    case T.Bool:
      return physical === BOOLEAN ? 'bool' : undefined;
    case T.Utf8:
      return physical === BYTE_ARRAY ? 'utf8' : undefined;
    case T.Timestamp:
      return physical === INT64 && timeUnit === (t as Arrow.Timestamp).unit ? 'int64' : undefined;
    case T.Date:
      return physical === INT32 && (t as Arrow.Date_).unit === arrow.DateUnit.DAY ? 'int32' : undefined;
    default:
      return undefined;
  }
}

/**
 * A batch of one text column from parquet-pages.ts: the typed column (its values where they lie in the reader's
 * buffer, not in Arrow's layout) and its cells, as Arrow JS would decode them.
 */
function ownText(out: ColumnOut): { typed: TypedColumn; cells: () => ArrayLike<CellValue> } {
  const { validity, length: n } = out;
  const bytes = out.bytes!;
  const starts = out.starts!;
  const ends = out.ends!;
  const cell = (r: number): CellValue => (validity !== undefined && (validity[r >> 3] & (1 << (r & 7))) === 0 ? null : arrowText(bytes, starts[r], ends[r]));
  return {
    typed: { kind: 'utf8', bytes, starts, ends, ordered: out.ordered, validity, validityOffset: 0, cell, ...(out.dictionary && { dictionary: out.dictionary }) },
    cells: () => Array.from({ length: n }, (_, r) => cell(r)),
  };
}

/** A batch of one other column from parquet-pages.ts as an Arrow vector of its type (views on the reader's buffers). */
function ownVector(arrow: ArrowModule, type: Arrow.DataType, kind: Exclude<OwnKind, 'utf8'>, out: ColumnOut): Arrow.Vector {
  const n = out.length;
  const words = out.words.buffer;
  const base = { type, length: n, nullCount: out.nullCount, nullBitmap: out.validity };
  let data: ArrayLike<number> | ArrayLike<bigint>;
  switch (kind) {
    case 'int32':
      data = new Int32Array(words, 0, n);
      break;
    case 'uint32':
      data = new Uint32Array(words, 0, n);
      break;
    case 'narrow': {
      // int8, int16, uint8, uint16: each value cut to its width, as parquet-wasm casts them.
      const ArrayType = (type as Arrow.Int).ArrayType as unknown as new (n: number) => { [i: number]: number } & ArrayLike<number>;
      const narrow = new ArrayType(n);
      const w = out.words;
      for (let i = 0; i < n; i++) narrow[i] = w[i];
      data = narrow;
      break;
    }
    case 'int64':
      data = new BigInt64Array(words, 0, n);
      break;
    case 'uint64':
      data = new BigUint64Array(words, 0, n);
      break;
    case 'float32':
      data = new Float32Array(words, 0, n);
      break;
    case 'float64':
      data = new Float64Array(words, 0, n);
      break;
    case 'bool':
      data = new Uint8Array(words, 0, (n + 7) >> 3);
      break;
  }
  return arrow.makeVector(arrow.makeData({ ...base, data } as unknown as Parameters<typeof arrow.makeData>[0]));
}

/** Grows page memory; a row group too large for it (WebAssembly's 4 GiB) is left to parquet-wasm. */
function reserve(memory: PageMemory, bytes: number): void {
  try {
    memory.reserve(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new Unsupported(`a row group of ${bytes} bytes`);
    throw e;
  }
}

/** Columns as a RowBatch: typed where they can be, and as cell values on first use; null: a column not read. */
function rowBatchOf(arrow: ArrowModule, vectors: Array<Arrow.Vector | null>, n: number, firstRow: number): RowBatch {
  const typed = vectors.map((vec) => (vec ? typedColumn(arrow, vec, n) : undefined));
  return { firstRow, rowCount: n, columns: lazyColumns(vectors.length, (c) => (vectors[c] ? columnValues(arrow, vectors[c]!, n) : new Array<CellValue>(n))), typed };
}

class ParquetReader implements TableReader {
  readonly source: string;
  columns: string[] = [];
  nativeTypes: Array<string | undefined> = [];
  private bytes = 0;
  private size = 0;
  /** parquet-wasm's view of the file: opened by open(), or only when a row group needs it (see openOwn). */
  private file?: ParquetWasm['ParquetFile']['prototype'];
  private localFile = '';
  private cleanup: () => void = () => undefined;
  /** Closes the file the decoder reads (fileBlob). */
  private closeFile: () => void = () => undefined;
  private readonly batchSize: number;
  /**
   * The most rows of the page decoder's next batch: its first batches are small (FIRST_BATCH_ROWS, doubling up to
   * batchSize), so that the functions that check a batch run over every column, and most of their paths, before V8
   * optimises them. A first batch of full size kept one of them in a loop long enough to be optimised there, on
   * feedback from part of its code, then deoptimised on the next column or path, and optimised again: on the
   * benchmark's Parquet file, about a tenth more optimising compilations and twice the deoptimisations.
   */
  private batchRows = FIRST_BATCH_ROWS;
  private readonly rows?: { start: number; end: number };
  private readonly pieceRows?: number;
  private readonly readColumns?: string[];
  /** Columns the decoder is asked for, when not all (ReaderOptions.readColumns). */
  private projection?: string[];
  /** The rows of each row group (see measurePart). */
  private counts: number[] = [];
  /**
   * What parquet-wasm is asked for, one stream after another (see wasmSelections), and the rows to drop from the
   * start of each (skip), which the decoder is not asked to skip; made when parquet-wasm first reads.
   */
  private selections: Array<{ rowGroups?: number[]; offset?: number; limit?: number; skip?: number }> | undefined;
  /** The rows [from, to) of each row group this read covers, in order (for parquet-pages.ts). */
  private groupRanges: Array<{ group: number; from: number; to: number }> = [];
  private readonly decoder: 'auto' | 'wasm';
  /**
   * What parquet-pages.ts needs to read row groups: the footer's layout, each read column's Arrow type and how its
   * output becomes that type (undefined: a column not read), the file, the page memory its chunks are read into,
   * and each column's chunk reader (reset for each row group). Undefined when parquet-wasm reads the whole file.
   */
  private own?: { layout: FileLayout; types: Arrow.DataType[]; kinds: Array<OwnKind | undefined>; fd: number; size: number; memory: PageMemory; readers: ChunkReader[]; reuse: Reuse[] };
  /** Rows and bytes this read covers: the file, or its share of the file's bytes for some of its rows. */
  private partRows = 1;
  private partBytes = 0;

  constructor(private readonly src: DataSource, options: ReaderOptions) {
    this.source = src.name;
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
    if (options.rows) this.rows = { ...options.rows };
    if (options.pieceRows !== undefined) this.pieceRows = Math.max(1, Math.floor(options.pieceRows));
    if (options.readColumns) this.readColumns = options.readColumns;
    this.decoder = options.parquetDecoder ?? 'auto';
  }

  async open(): Promise<this> {
    const local = await localCopy(this.src);
    this.cleanup = local.cleanup;
    try {
      checkMagic(local.file, this.source);
      this.localFile = local.file;
      this.size = fs.statSync(local.file).size;
      let fields: Arrow.Field[];
      let counts: number[];
      const own = this.decoder === 'auto' ? this.openOwn(local.file) : undefined;
      if (own) {
        ({ fields } = own);
        counts = own.layout.rowGroups.map((g) => g.rows);
      } else {
        const { arrow } = loadParquetWasm();
        const file = await this.wasmFile();
        fields = arrow.tableFromIPC(file.schema().intoIPCStream()).schema.fields;
        counts = this.rowGroupRows(file);
      }
      const arrow = loadArrow();
      this.columns = fields.map((f) => f.name);
      this.nativeTypes = fields.map((f) => nativeTypeName(arrow, f.type));
      // The decoder selects leaf columns by name: a nested column's leaves are not named as the column is, and a
      // name two columns share would select both. Rows are counted in the decoded batches, so one column is kept.
      const flat = fields.every((f) => ((f.type as Arrow.DataType).children?.length ?? 0) === 0);
      const projection = this.columns.filter((name) => this.readColumns?.includes(name));
      if (this.readColumns && flat && new Set(this.columns).size === this.columns.length && projection.length > 0) this.projection = projection;
      this.measurePart(counts);
      if (own) this.own = this.planOwn(local.file, fields.map((f) => f.type as Arrow.DataType), own.layout);
      else if (this.decoder === 'auto') this.own = this.planOwn(local.file, fields.map((f) => f.type as Arrow.DataType));
      return this;
    } catch (e) {
      this.close();
      throw e instanceof DataFormatError || e instanceof RangeError || e instanceof MissingLibraries ? e : corrupt(this.source, e);
    }
  }

  /** parquet-wasm's view of the file, opened on first use. */
  private async wasmFile(): Promise<ParquetWasm['ParquetFile']['prototype']> {
    if (this.file) return this.file;
    const { pw } = loadParquetWasm();
    const { blob, close } = fileBlob(this.localFile);
    this.closeFile = close;
    try {
      this.file = await untrapped(pw.ParquetFile.fromFile(blob));
    } catch (e) {
      throw corrupt(this.source, e);
    }
    return this.file;
  }

  /** The rows of each row group, as parquet-wasm reads the footer; none when it cannot (the read says why). */
  private rowGroupRows(file: ParquetWasm['ParquetFile']['prototype']): number[] {
    try {
      return file.metadata().rowGroups().map((g) => g.numRows());
    } catch (e) {
      if (this.rows) throw corrupt(this.source, e);
      return []; // read whole: the decoder says what is wrong
    }
  }

  /**
   * The file's fields and layout from its own footer, without parquet-wasm: when its writer kept the Arrow schema
   * in it (as Arrow's writers do), which parquet-wasm would read the file by, and the page decoder reads every
   * column to read (planOwn). Undefined otherwise: then parquet-wasm opens the file, and says what is wrong with it.
   */
  private openOwn(file: string): { fields: Arrow.Field[]; layout: FileLayout } | undefined {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const layout = parseLayout(readFooter(fd, fs.fstatSync(fd).size));
      if (layout.arrowSchema === undefined || !layout.flat) return undefined;
      const arrow = loadArrow();
      // The schema's IPC message, then the end of the stream.
      const message = Buffer.from(layout.arrowSchema, 'base64');
      const fields = arrow.tableFromIPC(Buffer.concat([message, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])])).schema.fields;
      if (fields.length !== layout.leaves.length || fields.some((f, c) => f.name !== layout.leaves[c].name)) return undefined;
      // The columns to read (all, without readColumns) must be of types the page decoder reads.
      const toRead = (name: string) => !this.readColumns || this.readColumns.includes(name);
      if (fields.some((f, c) => toRead(f.name) && ownKind(arrow, f.type as Arrow.DataType, layout.leaves[c].type, layout.leaves[c].timeUnit) === undefined)) return undefined;
      return { fields, layout };
    } catch (e) {
      if (e instanceof MissingLibraries) throw e;
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  bytesRead(): number {
    return this.bytes;
  }

  /**
   * Whether parquet-pages.ts can read this file's row groups: a flat schema whose leaves are the Arrow schema's
   * fields, and every column read of a type it reads (ownKind). Which row groups it then reads depends on their
   * codecs and encodings (scanChunk); parquet-wasm reads the others.
   */
  private planOwn(file: string, types: Arrow.DataType[], parsed?: FileLayout): ParquetReader['own'] {
    const arrow = loadArrow();
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const layout = parsed ?? parseLayout(readFooter(fd, size));
      const groups = parsed ? layout.rowGroups.length : this.file!.metadata().numRowGroups();
      if (!layout.flat || layout.leaves.length !== this.columns.length || layout.rowGroups.length !== groups) throw new Unsupported('the layout');
      const kinds = this.columns.map((name, c) => {
        if (this.projection && !this.projection.includes(name)) return undefined;
        const leaf = layout.leaves[c];
        const kind = leaf.name === name ? ownKind(arrow, types[c], leaf.type, leaf.timeUnit) : undefined;
        if (kind === undefined) throw new Unsupported(`column ${name}`);
        return kind;
      });
      if (layout.rowGroups.some((g) => g.columns.length !== this.columns.length)) throw new Unsupported('the row groups');
      const memory = PageMemory.acquire();
      if (memory === undefined) throw new Unsupported('WebAssembly');
      return { layout, types, kinds, fd, size, memory, readers: [], reuse: kinds.map(() => ({})) };
    } catch {
      // Anything parquet-pages.ts does not read, or a footer it cannot parse: parquet-wasm reads the file, and says
      // what is wrong with it, if anything.
      fs.closeSync(fd);
      return undefined;
    }
  }

  /**
   * What to ask the decoder for, and the rows and bytes of this read. Some rows get the file's bytes in proportion
   * to the rows before and after them, rounded so that reads of all the rows add up to the file's size.
   *
   * The rows are read as the pieces of row groups that hold them (rowGroupPieces), one decoder stream each: the
   * decoder holds a stream's rows at once, so a piece bounds its memory. parquet-wasm's stream applies offset and
   * limit to each row group it reads, so a stream with them asks for one row group. Rows that start inside a row
   * group without a usable offset index (a part, see splitParquet) are read from the group's first row, and those
   * before them dropped: the decoder would decode them to skip them anyway, and with a faulty index it traps. A
   * file whose row groups cannot be listed is asked for whole, and the decoder says what is wrong with it.
   */
  private measurePart(counts: number[]): void {
    const total = counts.reduce((a, b) => a + b, 0);
    const { start, end } = this.rows ?? { start: 0, end: total };
    if (this.rows && !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= total)) {
      throw new RangeError(`Rows ${start} to ${end} of ${this.source} are not rows of the file (it has ${total}).`);
    }
    this.counts = counts;
    let first = 0;
    counts.forEach((n, g) => {
      if (Math.max(start, first) < Math.min(end, first + n)) this.groupRanges.push({ group: g, from: Math.max(start, first) - first, to: Math.min(end, first + n) - first });
      first += n;
    });
    if (!this.rows) {
      this.partRows = Math.max(1, total);
      this.partBytes = this.size;
      return;
    }
    const share = (r: number) => Math.floor((this.size * r) / total);
    this.partRows = end - start;
    this.partBytes = end === total ? this.size - share(start) : share(end) - share(start);
  }

  /**
   * What parquet-wasm is asked for to read the part: a stream for each piece of a row group (see rowGroupPieces,
   * by the offset indexes in the footer, read only now: the page decoder needs none), or one for the whole file.
   */
  private wasmSelections(): NonNullable<ParquetReader['selections']> {
    if (this.selections) return this.selections;
    const counts = this.counts;
    const total = counts.reduce((a, b) => a + b, 0);
    if (total === 0) return (this.selections = [{}]);
    const { start, end } = this.rows ?? { start: 0, end: total };
    const indexedGroups = readOffsetIndexedRowGroups(this.localFile);
    const selections: NonNullable<ParquetReader['selections']> = [];
    let first = 0;
    counts.forEach((n, g) => {
      const indexed = indexedGroups?.[g] === true;
      for (const piece of rowGroupPieces(n, indexed, this.pieceRows)) {
        const from = Math.max(start, first + piece.start);
        const to = Math.min(end, first + piece.end);
        if (from >= to) continue;
        if (to - from === n) selections.push({ rowGroups: [g] });
        else if (indexed) selections.push({ rowGroups: [g], offset: from - first, limit: to - from });
        // Without a usable index the decoder is asked for the group's first rows, and those before `from` dropped.
        else selections.push({ rowGroups: [g], limit: to - first, ...(from > first && { skip: from - first }) });
      }
      first += n;
    });
    return (this.selections = selections);
  }

  close(): void {
    try {
      this.file?.free();
    } catch {
      // already freed
    }
    // Before the cleanup: a temporary copy cannot be removed while it is open on Windows.
    this.closeFile();
    if (this.own) {
      fs.closeSync(this.own.fd);
      this.own.memory.release();
    }
    this.own = undefined;
    this.closeFile = () => undefined;
    this.cleanup();
    this.cleanup = () => undefined;
  }

  /** A record batch as a RowBatch. */
  private rowBatch(arrow: ArrowModule, rb: Arrow.RecordBatch, firstRow: number): RowBatch {
    // Decoded with a projection, the batch holds the projected columns only: they are found by name.
    const vectors = this.columns.map((name, c) => (this.projection ? rb.getChild(name) : rb.getChildAt(c)));
    return rowBatchOf(arrow, vectors, rb.numRows, firstRow);
  }

  async *batches(signal?: AbortSignal): AsyncIterable<RowBatch> {
    const at = { firstRow: 1, total: 0 };
    try {
      if (this.own === undefined) {
        for (const selection of this.wasmSelections()) yield* this.wasmSelection(selection, at, signal);
      } else {
        const arrow = loadArrow();
        for (const range of this.groupRanges) {
          const readers = this.ownReaders(range.group);
          if (readers !== undefined) yield* this.ownRange(arrow, readers, range, at, signal);
          else for (const selection of this.wasmSelections()) if (selection.rowGroups?.[0] === range.group) yield* this.wasmSelection(selection, at, signal);
        }
      }
      this.bytes = this.partBytes;
    } finally {
      this.close();
    }
  }

  /** Progress in file bytes, in proportion to the rows read (neither decoder says where it is in the file). */
  private progress(total: number): void {
    this.bytes = Math.round((this.partBytes * total) / Math.max(total, this.partRows));
  }

  /**
   * A reader of each column read of a row group (parquet-pages.ts), its chunk read into page memory; or undefined
   * when one of them has a page it does not read (then parquet-wasm reads the group).
   */
  private ownReaders(group: number): Array<ChunkReader | undefined> | undefined {
    const own = this.own!;
    const { memory, layout, kinds } = own;
    const metas = layout.rowGroups[group].columns;
    const leaves = layout.leaves;
    try {
      // The chunks, scanned for the pages they hold (their headers read from the file), then given their areas.
      const files = kinds.map((kind, c): ChunkFile | undefined => {
        if (kind === undefined) return undefined;
        const meta = metas[c];
        if (!(meta.start >= 4 && meta.length >= 0 && meta.start + meta.length <= own.size - 8)) throw new Error(`column ${this.columns[c]} lies outside the file`);
        return { fd: own.fd, start: meta.start, length: meta.length };
      });
      const scans = files.map((file, c) => file && { length: file.length, ...scanChunk(file, metas[c], leaves[c]) });
      const { places, end } = placeChunks(memory, scans);
      reserve(memory, end);
      return files.map((file, c) => {
        if (file === undefined) return undefined;
        const args = [file, metas[c], leaves[c], places[c]!] as const;
        const reader = own.readers[c];
        if (reader === undefined) return (own.readers[c] = new ChunkReader(...args));
        reader.reset(...args);
        return reader;
      });
    } catch (e) {
      if (e instanceof Unsupported) return undefined;
      throw corrupt(this.source, e, `row group ${group}`);
    }
  }

  /**
   * A batch's number dictionary (ColumnOut.numberDictionary) with its entries' values as typedColumn gives a row's:
   * made once for each dictionary of column c.
   */
  private numberDictionary(arrow: ArrowModule, c: number, kind: Exclude<OwnKind, 'utf8'>, coded: NonNullable<ColumnOut['numberDictionary']>): NumberDictionary | undefined {
    const reuse = this.own!.reuse[c];
    let values = reuse.dictionary?.words === coded.words ? reuse.dictionary.values : undefined;
    if (values === undefined) {
      const entries = typedColumn(arrow, ownVector(arrow, this.own!.types[c], kind, { length: coded.size, nullCount: 0, validity: undefined, words: coded.words }), coded.size);
      if (entries?.kind !== 'numbers') return undefined;
      values = Float64Array.from(entries.values);
      reuse.dictionary = { words: coded.words, values };
    }
    return { codes: coded.codes, size: coded.size, values, source: values };
  }

  /** Rows [from, to) of a row group, by parquet-pages.ts, in batches. */
  private *ownRange(arrow: ArrowModule, readers: Array<ChunkReader | undefined>, range: { group: number; from: number; to: number }, at: { firstRow: number; total: number }, signal?: AbortSignal): Iterable<RowBatch> {
    const own = this.own!;
    const where = `row group ${range.group}`;
    try {
      for (const reader of readers) reader?.skip(range.from);
    } catch (e) {
      throw corrupt(this.source, e, where);
    }
    for (let start = range.from; start < range.to; ) {
      signal?.throwIfAborted();
      const n = Math.min(this.batchSize, this.batchRows, range.to - start);
      this.batchRows = Math.min(2 * this.batchRows, this.batchSize);
      const typed: Array<TypedColumn | undefined> = [];
      const cells: Array<() => ArrayLike<CellValue>> = [];
      for (let c = 0; c < readers.length; c++) {
        const reader = readers[c];
        const kind = own.kinds[c];
        if (reader === undefined || kind === undefined) {
          typed.push(undefined);
          cells.push(() => new Array<CellValue>(n));
          continue;
        }
        let out: ColumnOut;
        try {
          out = reader.take(n);
        } catch (e) {
          throw corrupt(this.source, e, `${where}, column ${this.columns[c]}`);
        }
        if (kind === 'utf8') {
          const text = ownText(out);
          typed.push(text.typed);
          cells.push(text.cells);
        } else {
          const vec = ownVector(arrow, own.types[c], kind, out);
          const column = typedColumn(arrow, vec, n, own.reuse[c]);
          // A dictionary of more entries than the batch has rows is not read (see NumericChecker.consumeTyped): the
          // values of its entries are not made.
          if (column?.kind === 'numbers' && out.numberDictionary !== undefined && out.numberDictionary.size <= n) {
            const dictionary = this.numberDictionary(arrow, c, kind, out.numberDictionary);
            if (dictionary !== undefined) column.dictionary = dictionary;
          }
          typed.push(column);
          cells.push(() => columnValues(arrow, vec, n));
        }
      }
      const batch: RowBatch = { firstRow: at.firstRow, rowCount: n, columns: lazyColumns(cells.length, (c) => cells[c]()), typed };
      at.total += n;
      this.progress(at.total);
      yield batch;
      at.firstRow += n;
      start += n;
    }
  }

  /** What one selection (see measurePart) holds, decoded by parquet-wasm. */
  private async *wasmSelection(
    { skip = 0, ...selection }: NonNullable<ParquetReader['selections']>[number],
    at: { firstRow: number; total: number },
    signal?: AbortSignal,
  ): AsyncIterable<RowBatch> {
    const { pw, arrow } = loadParquetWasm();
    const ffi = loadArrowFfi();
    const file = await this.wasmFile();
    let toSkip = skip;
    let trapped = false;
    let stream: ReadableStream<unknown>;
    try {
      // Decoded in batches of at least DECODE_ROWS rows (each costs the decoder a round trip), handed on in slices.
      const options = { batchSize: Math.max(this.batchSize, DECODE_ROWS), ...selection, ...(this.projection && { columns: this.projection }) };
      stream = (await untrapped(file.stream(options))) as ReadableStream<unknown>;
    } catch (e) {
      throw corrupt(this.source, e, selection.rowGroups && `row group ${selection.rowGroups[0]}`);
    }
    const reader = stream.getReader();
    try {
      for (;;) {
        signal?.throwIfAborted();
        let next: { done?: boolean; value?: unknown };
        try {
          next = await untrapped(reader.read());
        } catch (e) {
          // After a trap the stream is dead: cancelling it would call into the decoder again.
          if (isWasmTrap(e)) trapped = true;
          throw corrupt(this.source, e, selection.rowGroups && `row group ${selection.rowGroups[0]}`);
        }
        if (next.done) break;
        // The batch's columns are views on the decoder's memory: valid until the batch is freed, which is after
        // its last slice has been checked (each is checked before the next is asked for), and before the decoder
        // runs again. Nothing made from a batch outlives it (the checkers keep values, not arrays).
        const exported = (next.value as { intoFFI(): ExportedBatch }).intoFFI();
        try {
          const { decoded, memory } = viewExported(pw, ffi, exported);
          const from = Math.min(toSkip, decoded.numRows);
          toSkip -= from;
          for (let start = from; start < decoded.numRows; start += this.batchSize) {
            const end = Math.min(start + this.batchSize, decoded.numRows);
            const rb = start === 0 && end === decoded.numRows ? decoded : decoded.slice(start, end);
            const batch = this.rowBatch(arrow, rb, at.firstRow);
            at.total += batch.rowCount;
            this.progress(at.total);
            yield batch;
            // Memory that grew meanwhile (another decoder at work in this thread) leaves the views empty: say so
            // rather than let what was read from them stand.
            if (pw.wasmMemory().buffer !== memory) throw new Error(`The Parquet decoder's memory moved while a batch of ${this.source} was checked.`);
            at.firstRow += batch.rowCount;
          }
        } finally {
          exported.free();
        }
      }
    } finally {
      if (!trapped) await reader.cancel().catch(() => undefined);
    }
  }
}

/**
 * The rows of each row group of a local Parquet file, and whether each has a usable offset index (see
 * rowGroupPieces), from its footer (readRowGroups: without the decoder, so splitting a file does not load it);
 * undefined when the file cannot be read that way: then it is read whole, and the read reports what is wrong with it.
 */
export function parquetRowGroups(source: DataSource): { rows: number[]; indexed: boolean[] } | undefined {
  if (source.localPath === undefined) return undefined;
  try {
    checkMagic(source.localPath, source.name);
  } catch {
    return undefined;
  }
  return readRowGroups(source.localPath);
}

/**
 * The columns of a local, flat Parquet file with their physical type and their bytes once decompressed (summed over
 * its row groups, as its writer counted them), and its rows; undefined when the footer cannot be read so, or two
 * columns share a name (then the file is not split by columns).
 */
export function parquetColumnSizes(source: DataSource): { rows: number; columns: Array<{ name: string; type: number; bytes: number }> } | undefined {
  if (source.localPath === undefined) return undefined;
  let fd: number | undefined;
  try {
    fd = fs.openSync(source.localPath, 'r');
    const layout = parseLayout(readFooter(fd, fs.fstatSync(fd).size));
    const names = layout.leaves.map((leaf) => leaf.name);
    if (!layout.flat || new Set(names).size !== names.length || layout.rowGroups.some((group) => group.columns.length !== names.length)) return undefined;
    return {
      rows: layout.rowGroups.reduce((n, group) => n + group.rows, 0),
      columns: layout.leaves.map((leaf, c) => ({ name: leaf.name, type: leaf.type, bytes: layout.rowGroups.reduce((n, group) => n + group.columns[c].uncompressed, 0) })),
    };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function openParquet(source: DataSource, options: ReaderOptions): Promise<TableReader> {
  return new ParquetReader(source, options).open();
}
