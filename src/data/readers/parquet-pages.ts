/**
 * A Parquet page decoder of our own for the files most tools write: flat columns (required or optional), PLAIN and
 * dictionary encodings, data pages v1 and v2, uncompressed, Snappy, Gzip or Brotli. parquet.ts reads a row group
 * with it when every column it reads is of that kind (planOwn, scanChunk), and with parquet-wasm otherwise
 * (ZSTD, LZ4, delta encodings, nested columns, decimals, ...).
 *
 * Why: parquet-wasm copies each column chunk into its memory, decodes it into Arrow, checks each string's UTF-8
 * one by one, and hands the batch over through the C data interface. Here each column's pages are read from the file
 * into a window of the memory the page kernel (wasm/parquet-pages.ts) decompresses Snappy in and reads
 * dictionary indices in, pages are decoded into buffers reused from batch to batch, and a batch read from
 * dictionary pages comes with its dictionary, whose entries the checks take once each. On the benchmark's Parquet twin, one thread, decoding alone took 3.2 s against
 * parquet-wasm's 4.4 s (bench/datavalidate/parquet-decode.mjs); with the checks, about 20 % less CPU per row.
 *
 * The output is Arrow data of the column's Arrow type (the type parquet-wasm gives it), so both decoders feed the
 * same code: every value, null and byte is what parquet-wasm gives (test/unit/data/readers/parquet-pages.test.ts
 * compares the two on every supported type, encoding, page version and codec).
 *
 * The footer and page headers are Thrift's compact protocol (parquet.thrift); levels and dictionary indices are
 * the RLE / bit-packed hybrid of the Parquet format. The kernel reads the indices of a page that lies in its memory,
 * readIndexRuns (its twin) those of a page that zlib decompressed.
 */
import * as zlib from 'zlib';
import { isUtf8 } from 'buffer';
import { BINARY, BOOLEAN_FALSE, BOOLEAN_TRUE, CompactReader, I32, I64, LIST, readFully, STRUCT, ThriftEndsEarly } from './parquet-footer';
import { alignUp, growTo, instantiateKernel, type WasmMemory } from '../wasm';
import { PARQUET_PAGES_WASM } from '../../generated/parquet-pages-wasm';

/** Physical types (parquet.thrift Type). */
export const BOOLEAN = 0;
export const INT32 = 1;
export const INT64 = 2;
export const FLOAT = 4;
export const DOUBLE = 5;
export const BYTE_ARRAY = 6;

/** Encodings (parquet.thrift Encoding). */
const PLAIN = 0;
const PLAIN_DICTIONARY = 2;
const RLE = 3;
const RLE_DICTIONARY = 8;

/** Codecs (parquet.thrift CompressionCodec). */
const UNCOMPRESSED = 0;
const SNAPPY = 1;
const GZIP = 2;
const BROTLI = 4;

/** Page types (parquet.thrift PageType). */
const DATA_PAGE = 0;
const INDEX_PAGE = 1;
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;

/** Repetition (parquet.thrift FieldRepetitionType). */
const REQUIRED = 0;
const OPTIONAL = 1;

/** A column chunk as the footer describes it. */
export interface ChunkMeta {
  type: number;
  codec: number;
  encodings: number[];
  numValues: number;
  /** Where its pages start in the file (its dictionary page, when it has one) and how many bytes they take. */
  start: number;
  length: number;
  /** The bytes of its pages once decompressed (headers included), as its writer counted them; 0 when not given. */
  uncompressed: number;
}

/** A leaf of the schema, in column order. */
export interface Leaf {
  name: string;
  type: number;
  /** OPTIONAL: definition levels of one bit; REQUIRED: none. */
  optional: boolean;
  /** A timestamp's unit (by its logical or converted type), numbered as Arrow's TimeUnit: 1 ms, 2 us, 3 ns. */
  timeUnit?: number;
}

/** What of a footer the decoder needs; flat: every column is a leaf at the top, none repeated. */
export interface FileLayout {
  flat: boolean;
  leaves: Leaf[];
  rowGroups: Array<{ rows: number; columns: ChunkMeta[] }>;
  /** The Arrow schema its writer kept in the key-value metadata ("ARROW:schema": base64 of an IPC message), if any. */
  arrowSchema?: string;
}

/** The footer's schema and row groups (FileMetaData, compact Thrift); throws when the bytes are not such a footer. */
export function parseLayout(footer: Uint8Array): FileLayout {
  const r = new CompactReader(footer);
  const leaves: Leaf[] = [];
  const rowGroups: FileLayout['rowGroups'] = [];
  const decoder = new TextDecoder();
  let flat = true;
  let element = 0;
  let arrowSchema: string | undefined;
  r.struct((id, type) => {
    if (id === 2 && type === LIST) {
      // schema: the root (with num_children), then its children, depth first.
      r.list(() => {
        let name = '';
        let physical = -1;
        let repetition = REQUIRED;
        let children = 0;
        let timeUnit: number | undefined;
        r.struct((field, fieldType) => {
          if (field === 1 && fieldType === I32) physical = r.int();
          else if (field === 3 && fieldType === I32) repetition = r.int();
          else if (field === 4 && fieldType === BINARY) name = decoder.decode(r.binary());
          else if (field === 5 && fieldType === I32) children = r.int();
          else if (field === 6 && fieldType === I32) {
            // converted_type: TIMESTAMP_MILLIS (9), TIMESTAMP_MICROS (10); a logical type says more, and wins.
            const converted = r.int();
            if (timeUnit === undefined && (converted === 9 || converted === 10)) timeUnit = converted - 8;
          } else if (field === 10 && fieldType === STRUCT) timeUnit = logicalTimeUnit(r);
          else return false;
          return true;
        }, 2);
        if (element > 0) {
          if (children > 0 || physical < 0 || (repetition !== REQUIRED && repetition !== OPTIONAL)) flat = false;
          leaves.push({ name, type: physical, optional: repetition === OPTIONAL, ...(timeUnit !== undefined && { timeUnit }) });
        }
        element++;
      });
      return true;
    }
    if (id === 5 && type === LIST) {
      // key_value_metadata: KeyValue structs (1: key, 2: value).
      r.list(() => {
        let key = '';
        let value: string | undefined;
        r.struct((field, fieldType) => {
          if (field === 1 && fieldType === BINARY) key = decoder.decode(r.binary());
          else if (field === 2 && fieldType === BINARY) value = decoder.decode(r.binary());
          else return false;
          return true;
        }, 2);
        if (key === 'ARROW:schema' && value !== undefined) arrowSchema = value;
      });
      return true;
    }
    if (id === 4 && type === LIST) {
      r.list(() => {
        const group = { rows: 0, columns: [] as ChunkMeta[] };
        r.struct((field, fieldType) => {
          if (field === 3 && fieldType === I64) group.rows = r.int();
          else if (field === 1 && fieldType === LIST) r.list(() => group.columns.push(chunkMeta(r)));
          else return false;
          return true;
        }, 2);
        rowGroups.push(group);
      });
      return true;
    }
    return false;
  }, 0);
  return { flat, leaves, rowGroups, ...(arrowSchema !== undefined && { arrowSchema }) };
}

/** A LogicalType union: the unit of a TIMESTAMP (1 ms, 2 us, 3 ns), undefined for any other. */
function logicalTimeUnit(r: CompactReader): number | undefined {
  let unit: number | undefined;
  r.struct((kind, kindType) => {
    if (kind !== 8 || kindType !== STRUCT) return false;
    r.struct((f, t) => {
      if (f !== 2 || t !== STRUCT) return false;
      // TimeUnit: a union of empty structs, MILLIS (1), MICROS (2), NANOS (3).
      r.struct((u, ut) => {
        if (ut !== STRUCT) return false;
        unit = u;
        r.struct(() => false, 6);
        return true;
      }, 5);
      return true;
    }, 4);
    return true;
  }, 3);
  return unit !== undefined && unit >= 1 && unit <= 3 ? unit : undefined;
}

/** A ColumnChunk: its meta_data (ColumnMetaData). */
function chunkMeta(r: CompactReader): ChunkMeta {
  const meta: ChunkMeta = { type: -1, codec: -1, encodings: [], numValues: 0, start: -1, length: 0, uncompressed: 0 };
  let dataPage = -1;
  let dictionaryPage = -1;
  r.struct((field, fieldType) => {
    if (field !== 3 || fieldType !== STRUCT) return false;
    r.struct((f, t) => {
      if (f === 1 && t === I32) meta.type = r.int();
      else if (f === 2 && t === LIST) r.list(() => meta.encodings.push(r.int()));
      else if (f === 4 && t === I32) meta.codec = r.int();
      else if (f === 5 && t === I64) meta.numValues = r.int();
      else if (f === 6 && t === I64) meta.uncompressed = r.int();
      else if (f === 7 && t === I64) meta.length = r.int();
      else if (f === 9 && t === I64) dataPage = r.int();
      else if (f === 11 && t === I64) dictionaryPage = r.int();
      else return false;
      return true;
    }, 4);
    return true;
  }, 3);
  meta.start = dictionaryPage > 0 && dictionaryPage < dataPage ? dictionaryPage : dataPage;
  return meta;
}

/** A page header (PageHeader); data pages v1 and v2 and dictionary pages fill the fields they have. */
export interface PageHeader {
  type: number;
  uncompressed: number;
  compressed: number;
  /** Values (rows, for a flat column) of a data page, entries of a dictionary page. */
  values: number;
  encoding: number;
  /** v1: the definition levels' encoding. */
  levelEncoding: number;
  /** v2: the bytes of the levels, which are never compressed, and whether the values are. */
  repetitionBytes: number;
  definitionBytes: number;
  valuesCompressed: boolean;
  /** The header's own length. */
  size: number;
}

function pageHeader(bytes: Uint8Array): PageHeader {
  const r = new CompactReader(bytes);
  const h: PageHeader = { type: -1, uncompressed: -1, compressed: -1, values: -1, encoding: -1, levelEncoding: RLE, repetitionBytes: 0, definitionBytes: 0, valuesCompressed: true, size: 0 };
  r.struct((field, type) => {
    if (field === 1 && type === I32) h.type = r.int();
    else if (field === 2 && type === I32) h.uncompressed = r.int();
    else if (field === 3 && type === I32) h.compressed = r.int();
    else if (field === 5 && type === STRUCT) {
      r.struct((f, t) => {
        if (f === 1 && t === I32) h.values = r.int();
        else if (f === 2 && t === I32) h.encoding = r.int();
        else if (f === 3 && t === I32) h.levelEncoding = r.int();
        else return false;
        return true;
      }, 2);
    } else if (field === 7 && type === STRUCT) {
      r.struct((f, t) => {
        if (f === 1 && t === I32) h.values = r.int();
        else if (f === 2 && t === I32) h.encoding = r.int();
        else return false;
        return true;
      }, 2);
    } else if (field === 8 && type === STRUCT) {
      r.struct((f, t) => {
        if (f === 1 && t === I32) h.values = r.int();
        else if (f === 4 && t === I32) h.encoding = r.int();
        else if (f === 5 && t === I32) h.definitionBytes = r.int();
        else if (f === 6 && t === I32) h.repetitionBytes = r.int();
        else if (f === 7 && (t === BOOLEAN_TRUE || t === BOOLEAN_FALSE)) h.valuesCompressed = t === BOOLEAN_TRUE;
        else return false;
        return true;
      }, 2);
    } else return false;
    return true;
  }, 0);
  h.size = r.at;
  return h;
}

/** The error of a text column holding bytes that are not UTF-8 (parquet-wasm refuses them too). */
export const NOT_UTF8 = 'a text column holds bytes that are not UTF-8';

/** Data this decoder does not read (the caller reads it with parquet-wasm); any other error is corrupt data. */
export class Unsupported extends Error {}

/** Whether a chunk's codec is one this decoder reads. */
function codecSupported(codec: number): boolean {
  return codec === UNCOMPRESSED || codec === SNAPPY || codec === GZIP || codec === BROTLI;
}

/** Where a column chunk lies in a file: its bytes [start, start + length). */
export interface ChunkFile {
  fd: number;
  start: number;
  length: number;
}

/** The bytes of a page header are read this many at first, then more if the header is longer. */
const HEADER_PROBE = 4096;

/**
 * The header of the page at byte `at` of a chunk, of which read(at, n) gives bytes [at, at + n) (n at most what is
 * left of the chunk): read a few kilobytes at a time until the header is whole.
 */
export function headerAt(read: (at: number, n: number) => Uint8Array, at: number, left: number): PageHeader {
  for (let probe = Math.min(HEADER_PROBE, left); ; probe = Math.min(probe * 16, left)) {
    try {
      return pageHeader(read(at, probe));
    } catch (e) {
      if (probe >= left || !(e instanceof ThriftEndsEarly)) throw e;
    }
  }
}

let probeBytes = Buffer.allocUnsafeSlow(0);

/**
 * Walks a column chunk's page headers (not their data), read from its file, and throws Unsupported at the first page
 * this decoder does not read, or an Error when the pages do not add up to the chunk's values. Cheap: a few headers
 * per megabyte. Gives the largest page, decompressed, and the largest page with its header as the chunk has it.
 */
export function scanChunk(file: ChunkFile, meta: ChunkMeta, leaf: Leaf): { largestPage: number; largestRead: number; largestValues: number } {
  if (!codecSupported(meta.codec)) throw new Unsupported(`codec ${meta.codec}`);
  const read = (at: number, n: number): Uint8Array => {
    if (probeBytes.length < n) probeBytes = Buffer.allocUnsafeSlow(Math.max(n, HEADER_PROBE));
    return readFully(file.fd, probeBytes.subarray(0, n), file.start + at);
  };
  const length = file.length;
  let at = 0;
  let values = 0;
  let largestPage = 0;
  let largestRead = 0;
  let largestValues = 0;
  while (values < meta.numValues) {
    if (at >= length) throw new Error(`the column chunk ends after ${values} of its ${meta.numValues} values`);
    const h = headerAt(read, at, length - at);
    const page = at;
    at += h.size;
    if (h.compressed < 0 || at + h.compressed > length) throw new Error('a page runs past the end of its column chunk');
    if (h.uncompressed < 0) throw new Error('a page has a negative size');
    at += h.compressed;
    largestPage = Math.max(largestPage, h.uncompressed);
    largestRead = Math.max(largestRead, at - page);
    if (h.type === INDEX_PAGE) continue;
    if (h.type === DICTIONARY_PAGE) {
      if (h.encoding !== PLAIN && h.encoding !== PLAIN_DICTIONARY) throw new Unsupported(`dictionary encoding ${h.encoding}`);
      continue;
    }
    if (h.type !== DATA_PAGE && h.type !== DATA_PAGE_V2) throw new Unsupported(`page type ${h.type}`);
    if (h.type === DATA_PAGE && leaf.optional && h.levelEncoding !== RLE) throw new Unsupported(`level encoding ${h.levelEncoding}`);
    const e = h.encoding;
    if (!(e === PLAIN || e === PLAIN_DICTIONARY || e === RLE_DICTIONARY || (e === RLE && leaf.type === BOOLEAN))) throw new Unsupported(`encoding ${e}`);
    if (h.values < 0) throw new Error('a data page has no value count');
    values += h.values;
    largestValues = Math.max(largestValues, h.values);
  }
  if (values !== meta.numValues) throw new Error(`its pages hold ${values} values, its metadata says ${meta.numValues}`);
  return { largestPage, largestRead, largestValues };
}

interface PageKernelExports {
  decompress(input: number, n: number, output: number, outLength: number): number;
  readIndices(input: number, end: number, bitWidth: number, count: number, out: number): number;
  SLACK: { value: number };
}

/** Page memories of this thread that no reader holds (see PageMemory.acquire). */
const IDLE: PageMemory[] = [];

/**
 * The memory a reader reads the pages of a row group's column chunks into, decompresses their Snappy pages in and
 * reads their dictionary indices in (wasm/parquet-pages.ts), one per reader: each chunk's window, its page area and
 * its indices area (placeChunks). Views on it are made again after it grows (reserve).
 */
export class PageMemory {
  private constructor(
    private readonly memory: WasmMemory,
    private readonly kernel: PageKernelExports,
  ) {}

  /**
   * A page memory for a reader, which gives it back with release: one the thread used before (its pages already
   * mapped, which a new one faults in again), or a new one. Undefined where WebAssembly cannot run the kernel (then
   * parquet-wasm cannot run either).
   */
  static acquire(): PageMemory | undefined {
    const idle = IDLE.pop();
    if (idle) return idle;
    const kernel = instantiateKernel<PageKernelExports>(PARQUET_PAGES_WASM, 1);
    return kernel && new PageMemory(kernel.memory, kernel.exports);
  }

  /** Gives the memory back for the thread's next reader; nothing may read views on it after this. */
  release(): void {
    if (!IDLE.includes(this)) IDLE.push(this);
  }

  /** The slack (readable and writable bytes) each area needs past its end. */
  get slack(): number {
    return this.kernel.SLACK.value;
  }

  /** Grows the memory to at least this many bytes: views made before are then empty. */
  reserve(bytes: number): void {
    growTo(this.memory, bytes);
  }

  view(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  int32s(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }

  /** Whether bytes is a view on this memory (then the kernel can read it where it lies). */
  holds(bytes: Uint8Array): boolean {
    return bytes.buffer === this.memory.buffer;
  }

  /**
   * readIndexRuns (its twin) in the kernel: count dictionary indices of bitWidth bits from the hybrid at [input,
   * end) into the Int32Array at out, offsets in this memory, which needs the kernel's slack past end. Returns the
   * largest index, unsigned.
   */
  readIndices(input: number, end: number, bitWidth: number, count: number, out: number): number {
    const largest = this.kernel.readIndices(input, end, bitWidth, count, out);
    if (largest === -2) throw new Error('a run header of a page is malformed');
    if (largest < 0) throw new Error('the levels or indices of a page end early');
    return largest;
  }

  /** Decompresses n bytes at input into outLength bytes at output (offsets in this memory), and views them. */
  snappy(input: number, n: number, output: number, outLength: number): Uint8Array {
    const code = this.kernel.decompress(input, n, output, outLength);
    if (code !== outLength) throw new Error(`a page is not valid Snappy data (${code < 0 ? `error ${-code}` : `${code} bytes`})`);
    return this.view(output, outLength);
  }
}

/**
 * A column chunk's areas in page memory: the window its pages are read into from the file, some at a time, and the
 * area a page is decompressed into.
 */
export interface ChunkPlace {
  memory: PageMemory;
  window: number;
  windowSize: number;
  page: number;
  /** Where a page's dictionary indices are read to (an i32 per value of its largest page). */
  indices: number;
}

/** A chunk's window holds at least this many bytes (or the whole chunk), so that small pages are read a few at once. */
const WINDOW_BYTES = 1 << 18;

/**
 * Places the areas of a row group's chunks (scanned: undefined for a column not read) in page memory, each 8-byte
 * aligned: a window that holds the chunk's largest page with its header (and at least WINDOW_BYTES), then the area
 * for its largest page decompressed, each followed by the kernel's slack; then the area for the dictionary indices of
 * its page of the most values. end: the memory they need.
 */
export function placeChunks(memory: PageMemory, chunks: Array<{ length: number; largestPage: number; largestRead: number; largestValues: number } | undefined>): { places: Array<ChunkPlace | undefined>; end: number } {
  let at = 0;
  const places = chunks.map((chunk) => {
    if (chunk === undefined) return undefined;
    const windowSize = Math.min(chunk.length, Math.max(chunk.largestRead, WINDOW_BYTES));
    const window = at;
    at = alignUp(at + windowSize + memory.slack, 8);
    const page = at;
    at = alignUp(at + chunk.largestPage + memory.slack, 8);
    const indices = at;
    at = alignUp(at + 4 * chunk.largestValues, 8);
    return { memory, window, windowSize, page, indices };
  });
  return { places, end: at };
}

/**
 * The RLE / bit-packed hybrid is read by two functions, one per kind of output, so that each stays monomorphic on
 * its arrays and its branches (one function for both was optimised, then deoptimised, again and again as a chunk's
 * pages took the branches it had not yet seen). Both take bytes [at, end), throw when the runs end early, and read
 * nothing past end.
 */

/** Where runHeader left off: the first byte after the header it read. */
let runAt = 0;

/** The header (a ULEB128 varint) of the run at byte at: its length and kind (bit 0 set: bit-packed). */
function runHeader(bytes: Uint8Array, at: number, end: number): number {
  if (at >= end) throw new Error('the levels or indices of a page end early');
  let header = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    header += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 35 || at >= end) throw new Error('a run header of a page is malformed');
  }
  runAt = at;
  return header;
}

/**
 * count values of one bit (definition levels, booleans) into out[0..count). Returns how many are 1 when sum is set
 * (a page's rows with a value), else 0.
 */
function readBitRuns(bytes: Uint8Array, at: number, end: number, count: number, out: Uint8Array, sum: boolean): number {
  let n = 0;
  let total = 0;
  while (n < count) {
    const header = runHeader(bytes, at, end);
    at = runAt;
    if ((header & 1) === 0) {
      // An RLE run: one value (a byte), repeated.
      if (at + 1 > end) throw new Error('the levels or indices of a page end early');
      const v = bytes[at++] & 1;
      const m = Math.min(Math.floor(header / 2), count - n);
      out.fill(v, n, n + m);
      total += v * m;
      n += m;
      continue;
    }
    // Bit-packed groups of eight values, a byte each (the last group may be cut short by the end of the values).
    const values = Math.floor(header / 2) * 8;
    const m = Math.min(values, count - n);
    if (at + ((m + 7) >> 3) > end) throw new Error('the levels or indices of a page end early');
    let i = 0;
    for (; i + 8 <= m; i += 8) {
      const b = bytes[at + (i >> 3)];
      const o = n + i;
      out[o] = b & 1;
      out[o + 1] = (b >> 1) & 1;
      out[o + 2] = (b >> 2) & 1;
      out[o + 3] = (b >> 3) & 1;
      out[o + 4] = (b >> 4) & 1;
      out[o + 5] = (b >> 5) & 1;
      out[o + 6] = (b >> 6) & 1;
      out[o + 7] = (b >> 7) & 1;
      total += ONES[b];
    }
    for (; i < m; i++) {
      const v = (bytes[at + (i >> 3)] >> (i & 7)) & 1;
      out[n + i] = v;
      total += v;
    }
    at += values >> 3;
    n += m;
  }
  return sum ? total : 0;
}

/** Byte p of bytes when it lies before end, else 0: the bytes a value's last word reaches past the values. */
function byteBefore(bytes: Uint8Array, p: number, end: number): number {
  return p < end ? bytes[p] : 0;
}

/**
 * count values of bitWidth (0 to 32) bits (dictionary indices) into out[0..count). Returns the largest. The kernel's
 * readIndices is its twin, for pages in page memory (PageMemory.readIndices).
 */
export function readIndexRuns(bytes: Uint8Array, at: number, end: number, bitWidth: number, count: number, out: Int32Array): number {
  const byteWidth = (bitWidth + 7) >> 3;
  const mask = bitWidth === 32 ? -1 : (1 << bitWidth) - 1;
  let n = 0;
  let largest = 0;
  while (n < count) {
    const header = runHeader(bytes, at, end);
    at = runAt;
    if ((header & 1) === 0) {
      // An RLE run: one value, repeated.
      const run = Math.floor(header / 2);
      if (at + byteWidth > end) throw new Error('the levels or indices of a page end early');
      let v = 0;
      for (let k = 0; k < byteWidth; k++) v |= bytes[at + k] << (8 * k);
      at += byteWidth;
      v &= mask;
      const m = Math.min(run, count - n);
      out.fill(v, n, n + m);
      if (v >>> 0 > largest) largest = v >>> 0;
      n += m;
      continue;
    }
    // Bit-packed groups of eight values (the last group may be cut short by the end of the page's values).
    const values = Math.floor(header / 2) * 8;
    const m = Math.min(values, count - n);
    if (at + ((m * bitWidth + 7) >> 3) > end) throw new Error('the levels or indices of a page end early');
    if (bitWidth === 0) {
      // Values of no bits, and no bytes to read: all 0.
      out.fill(0, n, n + m);
    } else if (bitWidth <= 8) {
      // A group of eight values takes bitWidth bytes: two 32-bit words hold it, when eight bytes are left.
      let top = largest;
      let i = 0;
      for (let g = at; i + 8 <= m && g + 8 <= end; i += 8, g += bitWidth) {
        const lo = bytes[g] | (bytes[g + 1] << 8) | (bytes[g + 2] << 16) | (bytes[g + 3] << 24);
        const hi = bytes[g + 4] | (bytes[g + 5] << 8) | (bytes[g + 6] << 16) | (bytes[g + 7] << 24);
        for (let k = 0, bit = 0; k < 8; k++, bit += bitWidth) {
          const v = (bit >= 32 ? hi >>> (bit - 32) : bit + bitWidth <= 32 ? lo >>> bit : (lo >>> bit) | (hi << (32 - bit))) & mask;
          out[n + i + k] = v;
          if (v > top) top = v;
        }
      }
      for (let bit = i * bitWidth; i < m; i++, bit += bitWidth) {
        const p = at + (bit >> 3);
        const v = ((bytes[p] | (byteBefore(bytes, p + 1, end) << 8)) >>> (bit & 7)) & mask;
        out[n + i] = v;
        if (v > top) top = v;
      }
      largest = top;
    } else if (bitWidth <= 24) {
      let top = largest;
      for (let i = 0, bit = 0; i < m; i++, bit += bitWidth) {
        const p = at + (bit >> 3);
        const word = bytes[p] | (byteBefore(bytes, p + 1, end) << 8) | (byteBefore(bytes, p + 2, end) << 16) | (byteBefore(bytes, p + 3, end) << 24);
        const v = (word >>> (bit & 7)) & mask;
        out[n + i] = v;
        if (v > top) top = v;
      }
      largest = top;
    } else {
      for (let i = 0, bit = 0; i < m; i++, bit += bitWidth) {
        let v = 0;
        for (let k = 0; k < bitWidth; k++) {
          const b = bit + k;
          if ((bytes[at + (b >> 3)] >> (b & 7)) & 1) v += 2 ** k;
        }
        out[n + i] = v | 0;
        if (v > largest) largest = v;
      }
    }
    at += (values * bitWidth) >> 3;
    n += m;
  }
  return largest;
}

/**
 * Where each of count PLAIN byte arrays from `from` lies in the page, into starts and ends; returns where the last
 * ends. Each length becomes four spaces: the values are then separated by ASCII, so one check of the whole says
 * whether each is UTF-8, and a copy of a stretch of them stays text (a span of values, see takeBytes). A function
 * of its own: V8 optimises its loop while the first page is read (on-stack replacement), and code after the loop
 * in the same function, not run yet then, made that code deoptimise on every page after.
 */
function plainByteArrays(page: Uint8Array, from: number, to: number, count: number, starts: Int32Array, ends: Int32Array): number {
  let at = from;
  for (let i = 0; i < count; i++) {
    if (at + 4 > to) throw new Error('the values of a page end early');
    const len = page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24);
    page[at] = page[at + 1] = page[at + 2] = page[at + 3] = 0x20;
    at += 4;
    if (len < 0 || at + len > to) throw new Error('a value runs past the end of its page');
    starts[i] = at;
    ends[i] = at + len;
    at += len;
  }
  return at;
}

/** The number of bits set in each byte. */
const ONES = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x !== 0; x >>= 1) n += x & 1;
  return n;
});

/** Typed views need aligned offsets: bytes [from, to) of a page copied into scratch, which grows as needed. */
class Scratch {
  private buffer = new ArrayBuffer(1 << 16);
  take(bytes: Uint8Array, from: number, to: number): ArrayBuffer {
    if (this.buffer.byteLength < to - from) this.buffer = new ArrayBuffer(Math.max(to - from, this.buffer.byteLength * 2));
    new Uint8Array(this.buffer).set(bytes.subarray(from, to));
    return this.buffer;
  }
}

/**
 * What a batch of one column is made of; the arrays are the chunk reader's, reused from batch to batch (nothing
 * made from a batch outlives it).
 */
export interface ColumnOut {
  length: number;
  nullCount: number;
  /** A bit per row, 1: a value (Arrow's validity bitmap); undefined when the column has no nulls in the batch. */
  validity: Uint8Array | undefined;
  /**
   * INT32 and FLOAT: one 32-bit word per row; INT64 and DOUBLE: two; BOOLEAN: a bit per row. A null row's value is
   * whatever is there.
   */
  words: Int32Array;
  /**
   * BYTE_ARRAY: row r is bytes [starts[r], ends[r]) of bytes (a null row's are empty); ordered when they lie in row
   * order (PLAIN pages), not when a dictionary's values are among them.
   */
  starts?: Int32Array;
  ends?: Int32Array;
  bytes?: Buffer;
  ordered?: boolean;
  /**
   * BYTE_ARRAY, when every row of the batch comes from dictionary-encoded pages: row r holds entry codes[r] (a null
   * row's code is anything) of the chunk's dictionary, entry k being bytes [entryStarts[k], entryEnds[k]) of bytes;
   * source is the same object in each batch with this dictionary.
   */
  dictionary?: { codes: Int32Array; size: number; entryStarts: Int32Array; entryEnds: Int32Array; source: object };
  /**
   * INT32, INT64, FLOAT and DOUBLE, when every row of the batch comes from dictionary-encoded pages: row r holds
   * entry codes[r] (a null row's code is anything) of the chunk's dictionary, whose values are words as the rows'
   * are (two per value for INT64 and DOUBLE); words is the same array in each batch with this dictionary.
   */
  numberDictionary?: { codes: Int32Array; size: number; words: Int32Array };
}

/**
 * Reads one column chunk, page by page, into batches of rows (take). Its pages are read from the file into the
 * chunk's window in page memory, as many as the window holds at a time, and decompressed one at a time into its page
 * area: a row group takes the memory of its largest pages, not of its chunks. A reader goes on to the same column's
 * chunk of the next row group (reset) with the arrays it has grown: new ones for each row group would be faulted in
 * again.
 */
export class ChunkReader {
  private at = 0;
  private words = 1;
  // The dictionary: values as words (fixed width), or bytes and their offsets.
  private dictWords?: Int32Array;
  private dictBytes?: Uint8Array;
  private dictOffsets?: Int32Array;
  private dictSize = 0;
  /** A dictionary of byte arrays: where each entry lies in outBytes when the dictionary is copied first (at 0). */
  private dictEntries?: { starts: Int32Array; ends: Int32Array };
  // The current data page: its rows, the next row, definition levels (1: a value), and its values.
  private pageRows = 0;
  private pageRow = 0;
  private defs = new Uint8Array(0);
  private valueAt = 0; // the next value (non-null row) of the page
  private dictionaryEncoded = false;
  /** The current page's dictionary indices: in page memory (place.indices), or in ownIndices. */
  private indices: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private ownIndices = new Int32Array(0);
  private pageWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private pageBools = new Uint8Array(0);
  private pageBytes: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private pageStarts = new Int32Array(0);
  private pageEnds = new Int32Array(0);
  private readonly scratch = new Scratch();
  // The output, reused from batch to batch.
  private outWords = new Int32Array(0);
  private outValidity = new Uint8Array(0);
  private outStarts = new Int32Array(0);
  private outEnds = new Int32Array(0);
  private outCodes = new Int32Array(0);
  /** Whether every row of the batch so far came from a dictionary-encoded page. */
  private coded = true;
  private outBytes = Buffer.allocUnsafeSlow(0);
  /** BYTE_ARRAY: the bytes written to outBytes in the batch so far, where the dictionary's were (-1: not yet). */
  private byteAt = 0;
  private dictAt = -1;

  private file!: ChunkFile;
  private meta!: ChunkMeta;
  private leaf!: Leaf;
  private place!: ChunkPlace;
  /** The window's bytes, which are bytes [windowAt, windowEnd) of the chunk. */
  private window!: Uint8Array;
  private windowAt = 0;
  private windowEnd = 0;

  /** file: where the chunk lies; place: its areas in page memory (placeChunks), from its scan (scanChunk). */
  constructor(file: ChunkFile, meta: ChunkMeta, leaf: Leaf, place: ChunkPlace) {
    this.reset(file, meta, leaf, place);
  }

  /** Starts on another chunk (of the same column, in the next row group), from its first page. */
  reset(file: ChunkFile, meta: ChunkMeta, leaf: Leaf, place: ChunkPlace): void {
    this.file = file;
    this.meta = meta;
    this.leaf = leaf;
    this.place = place;
    this.window = place.memory.view(place.window, place.windowSize);
    this.windowAt = this.windowEnd = 0;
    this.words = leaf.type === INT64 || leaf.type === DOUBLE ? 2 : 1;
    this.at = 0;
    this.dictWords = this.dictBytes = this.dictOffsets = this.dictEntries = undefined;
    this.dictSize = 0;
    this.pageRows = this.pageRow = this.valueAt = this.present = 0;
    this.dictionaryEncoded = false;
    this.pageBytes = new Uint8Array(0);
  }

  /** The next n rows, as a batch of this column (n at most the rows left). */
  take(n: number): ColumnOut {
    const type = this.leaf.type;
    const isBytes = type === BYTE_ARRAY;
    if (isBytes && !this.leaf.optional) {
      if (this.pageRow >= this.pageRows) this.nextPage();
      if (!this.dictionaryEncoded && this.pageRows - this.pageRow >= n) return this.takePageBytes(n);
    }
    const isBool = type === BOOLEAN;
    const wordCount = isBool ? (n + 31) >> 5 : isBytes ? 0 : n * this.words;
    if (this.outWords.length < wordCount) this.outWords = new Int32Array(wordCount);
    if (isBool) this.outWords.fill(0, 0, wordCount);
    const validityBytes = (n + 7) >> 3;
    if (this.outValidity.length < validityBytes) this.outValidity = new Uint8Array(validityBytes);
    if (this.leaf.optional) this.outValidity.fill(0, 0, validityBytes);
    if (isBytes && this.outStarts.length < n) {
      this.outStarts = new Int32Array(n);
      this.outEnds = new Int32Array(n);
    }
    if (!isBool && this.outCodes.length < n) this.outCodes = new Int32Array(n);
    this.coded = !isBool;
    let nulls = 0;
    this.byteAt = 0;
    this.dictAt = -1;
    for (let row = 0; row < n; ) {
      if (this.pageRow >= this.pageRows) this.nextPage();
      const m = Math.min(n - row, this.pageRows - this.pageRow);
      if (isBytes) nulls += this.takeBytes(row, m);
      else if (isBool) nulls += this.takeBooleans(row, m);
      else if (this.words === 1) nulls += this.takeWords(row, m);
      else nulls += this.takeDoubleWords(row, m);
      this.pageRow += m;
      row += m;
    }
    return {
      length: n,
      nullCount: nulls,
      validity: nulls > 0 ? this.outValidity.subarray(0, validityBytes) : undefined,
      words: this.outWords,
      ...(isBytes && { starts: this.outStarts.subarray(0, n), ends: this.outEnds.subarray(0, n), bytes: this.outBytes, ordered: this.dictAt < 0 }),
      ...(isBytes && this.coded && this.dictAt === 0 && { dictionary: this.codedDictionary(n) }),
      ...(!isBytes && this.coded && this.dictWords !== undefined && { numberDictionary: { codes: this.outCodes.subarray(0, n), size: this.dictSize, words: this.dictWords } }),
    };
  }

  /**
   * Rows [row, row + m) of the batch from the page's next m rows: each returns the nulls among them. A required
   * column's rows all have a value; an optional one's validity bits start cleared.
   */
  private takeWords(row: number, m: number): number {
    const out = this.outWords;
    const from = this.pageRow;
    let v = this.valueAt;
    let nulls = 0;
    const codes = this.outCodes;
    if (!this.dictionaryEncoded) this.coded = false;
    if (!this.leaf.optional) {
      if (this.dictionaryEncoded) {
        const dict = this.dictWords!;
        const idx = this.indices;
        for (let i = 0; i < m; i++) {
          const k = idx[v + i];
          codes[row + i] = k;
          out[row + i] = dict[k];
        }
      } else out.set(this.pageWords.subarray(v, v + m), row);
      v += m;
    } else {
      const defs = this.defs;
      const validity = this.outValidity;
      const src = this.dictionaryEncoded ? this.dictWords! : this.pageWords;
      const idx = this.indices;
      const dict = this.dictionaryEncoded;
      for (let i = 0; i < m; i++) {
        const r = row + i;
        if (defs[from + i] === 0) {
          nulls++;
          out[r] = 0;
        } else {
          validity[r >> 3] |= 1 << (r & 7);
          if (dict) {
            const k = idx[v++];
            codes[r] = k;
            out[r] = src[k];
          } else out[r] = src[v++];
        }
      }
    }
    this.valueAt = v;
    return nulls;
  }

  private takeDoubleWords(row: number, m: number): number {
    const out = this.outWords;
    const from = this.pageRow;
    let v = this.valueAt;
    let nulls = 0;
    const codes = this.outCodes;
    if (!this.dictionaryEncoded) this.coded = false;
    if (!this.leaf.optional) {
      if (this.dictionaryEncoded) {
        const dict = this.dictWords!;
        const idx = this.indices;
        for (let i = 0; i < m; i++) {
          const k = idx[v + i];
          codes[row + i] = k;
          out[2 * (row + i)] = dict[2 * k];
          out[2 * (row + i) + 1] = dict[2 * k + 1];
        }
      } else out.set(this.pageWords.subarray(2 * v, 2 * (v + m)), 2 * row);
      v += m;
    } else {
      const defs = this.defs;
      const validity = this.outValidity;
      const src = this.dictionaryEncoded ? this.dictWords! : this.pageWords;
      const idx = this.indices;
      const dict = this.dictionaryEncoded;
      for (let i = 0; i < m; i++) {
        const r = row + i;
        if (defs[from + i] === 0) {
          nulls++;
          out[2 * r] = 0;
          out[2 * r + 1] = 0;
        } else {
          validity[r >> 3] |= 1 << (r & 7);
          const k = dict ? idx[v++] : v++;
          codes[r] = k;
          out[2 * r] = src[2 * k];
          out[2 * r + 1] = src[2 * k + 1];
        }
      }
    }
    this.valueAt = v;
    return nulls;
  }

  private takeBooleans(row: number, m: number): number {
    const out = this.outWords;
    const bools = this.pageBools;
    const defs = this.leaf.optional ? this.defs : undefined;
    const validity = this.outValidity;
    const from = this.pageRow;
    let v = this.valueAt;
    let nulls = 0;
    for (let i = 0; i < m; i++) {
      const r = row + i;
      if (defs !== undefined) {
        if (defs[from + i] === 0) {
          nulls++;
          continue;
        }
        validity[r >> 3] |= 1 << (r & 7);
      }
      if (bools[v++] !== 0) out[r >> 5] |= 1 << (r & 31);
    }
    this.valueAt = v;
    return nulls;
  }

  /**
   * Byte arrays point into outBytes, which holds copies of the stretches of pages they lie in (their lengths
   * blanked, see readPlain) and of the dictionary: a copy for each page and batch, none for each value.
   */
  private takeBytes(row: number, m: number): number {
    const starts = this.outStarts;
    const ends = this.outEnds;
    const defs = this.leaf.optional ? this.defs : undefined;
    const validity = this.outValidity;
    const from = this.pageRow;
    let v = this.valueAt;
    let nulls = 0;
    let last = this.byteAt;
    if (this.dictionaryEncoded) {
      if (this.dictAt < 0) {
        this.dictAt = this.append(this.dictBytes!, 0, this.dictBytes!.length);
        last = this.byteAt;
      }
      const at = this.dictAt;
      const offsets = this.dictOffsets!;
      const idx = this.indices;
      const codes = this.outCodes;
      for (let i = 0; i < m; i++) {
        const r = row + i;
        if (defs !== undefined) {
          if (defs[from + i] === 0) {
            nulls++;
            starts[r] = last;
            ends[r] = last;
            continue;
          }
          validity[r >> 3] |= 1 << (r & 7);
        }
        const k = idx[v++];
        codes[r] = k;
        starts[r] = at + offsets[2 * k];
        ends[r] = at + offsets[2 * k + 1];
      }
    } else {
      this.coded = false;
      const pageStarts = this.pageStarts;
      const pageEnds = this.pageEnds;
      const first = v;
      // The stretch copied starts at the first value's blanked length.
      const shift = this.byteAt - (pageStarts[first] - 4);
      for (let i = 0; i < m; i++) {
        const r = row + i;
        if (defs !== undefined) {
          if (defs[from + i] === 0) {
            nulls++;
            starts[r] = last;
            ends[r] = last;
            continue;
          }
          validity[r >> 3] |= 1 << (r & 7);
        }
        starts[r] = pageStarts[v] + shift;
        last = ends[r] = pageEnds[v++] + shift;
      }
      if (v > first) this.append(this.pageBytes, pageStarts[first] - 4, pageEnds[v - 1]);
    }
    this.valueAt = v;
    return nulls;
  }

  /**
   * n rows of a required BYTE_ARRAY column that all lie in the current PLAIN page: the page's bytes and the values'
   * places in it as they are, copying nothing (the page stays where it is until the next take).
   */
  private takePageBytes(n: number): ColumnOut {
    const v = this.valueAt;
    this.valueAt += n;
    this.pageRow += n;
    const page = this.pageBytes;
    if (this.pageBuffer === undefined || this.pageBuffer.buffer !== page.buffer || this.pageBuffer.byteOffset !== page.byteOffset || this.pageBuffer.length !== page.length) {
      this.pageBuffer = Buffer.from(page.buffer, page.byteOffset, page.length);
    }
    return { length: n, nullCount: 0, validity: undefined, words: this.outWords, starts: this.pageStarts.subarray(v, v + n), ends: this.pageEnds.subarray(v, v + n), bytes: this.pageBuffer, ordered: true };
  }

  /** A Buffer on the current PLAIN page's bytes (takePageBytes), made again when the page lies elsewhere. */
  private pageBuffer: Buffer | undefined;

  /** The batch's dictionary (see ColumnOut.dictionary), when its bytes were copied first, at 0. */
  private codedDictionary(n: number): ColumnOut['dictionary'] {
    const offsets = this.dictOffsets!;
    let entries = this.dictEntries;
    if (entries === undefined) {
      const size = this.dictSize;
      entries = this.dictEntries = { starts: new Int32Array(size), ends: new Int32Array(size) };
      for (let k = 0; k < size; k++) {
        entries.starts[k] = offsets[2 * k];
        entries.ends[k] = offsets[2 * k + 1];
      }
    }
    return { codes: this.outCodes.subarray(0, n), size: this.dictSize, entryStarts: entries.starts, entryEnds: entries.ends, source: entries };
  }

  /** Copies bytes [from, to) of source to the end of outBytes (grown as needed); returns where they start. */
  private append(source: Uint8Array, from: number, to: number): number {
    const at = this.byteAt;
    const end = at + (to - from);
    if (end > this.outBytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(end, 2 * this.outBytes.length, 1 << 16));
      this.outBytes.copy(grown, 0, 0, at);
      this.outBytes = grown;
    }
    this.outBytes.set(source.subarray(from, to), at);
    this.byteAt = end;
    return at;
  }

  /** Skips n rows (decoding the pages they are in). */
  skip(n: number): void {
    while (n > 0) {
      if (this.pageRow >= this.pageRows) this.nextPage();
      const m = Math.min(n, this.pageRows - this.pageRow);
      if (this.leaf.optional) {
        for (let i = 0; i < m; i++) this.valueAt += this.defs[this.pageRow + i];
      } else this.valueAt += m;
      this.pageRow += m;
      n -= m;
    }
  }

  /**
   * Puts bytes [at, at + n) of the chunk in the window, filling the window from `at` on when they are not all there
   * (the bytes from `at` it already holds moved to its start, the rest read); returns where `at` is in the window. n
   * is at most the window's size (scanChunk's largest read, for a page).
   */
  private ensure(at: number, n: number): number {
    if (at < this.windowAt || at + n > this.windowEnd) {
      const length = Math.min(this.file.length - at, this.place.windowSize);
      if (n > length) throw new Error('a page runs past the end of its column chunk');
      const kept = at >= this.windowAt && at < this.windowEnd ? this.windowEnd - at : 0;
      if (kept > 0) this.window.copyWithin(0, at - this.windowAt, this.windowEnd - this.windowAt);
      readFully(this.file.fd, this.window.subarray(kept, length), this.file.start + at + kept);
      this.windowAt = at;
      this.windowEnd = at + length;
    }
    return at - this.windowAt;
  }

  /** Decompresses bytes [from, from + compressed) of the window into uncompressed bytes. */
  private decompress(from: number, compressed: number, uncompressed: number): Uint8Array {
    const input = this.window.subarray(from, from + compressed);
    let out: Uint8Array;
    switch (this.meta.codec) {
      case UNCOMPRESSED:
        out = input;
        break;
      case SNAPPY: {
        const place = this.place;
        out = place.memory.snappy(place.window + from, compressed, place.page, uncompressed);
        break;
      }
      case GZIP:
        out = zlib.gunzipSync(input);
        break;
      case BROTLI:
        out = zlib.brotliDecompressSync(input);
        break;
      default:
        throw new Unsupported(`codec ${this.meta.codec}`);
    }
    if (out.length !== uncompressed) throw new Error(`a page decompressed to ${out.length} bytes, its header says ${uncompressed}`);
    return out;
  }

  /** Reads page headers up to the next data page (reading a dictionary page on the way), and decodes it. */
  private nextPage(): void {
    const length = this.file.length;
    const read = (at: number, n: number): Uint8Array => {
      const from = this.ensure(at, n);
      return this.window.subarray(from, from + n);
    };
    for (;;) {
      if (this.at >= length) throw new Error('the column chunk ends before its last row');
      const start = this.at;
      const h = headerAt(read, start, length - start);
      this.at = start + h.size + h.compressed;
      if (h.compressed < 0 || this.at > length) throw new Error('a page runs past the end of its column chunk');
      // The whole page in the window: its body is there from `body` on.
      const body = this.ensure(start, h.size + h.compressed) + h.size;
      if (h.type === INDEX_PAGE) continue;
      if (h.type === DICTIONARY_PAGE) {
        this.readDictionary(this.decompress(body, h.compressed, h.uncompressed), h.values);
        continue;
      }
      if (h.type === DATA_PAGE) {
        const page = this.decompress(body, h.compressed, h.uncompressed);
        let at = 0;
        if (this.leaf.optional) {
          if (page.length < 4) throw new Error('a data page ends before its levels');
          const length = page[0] | (page[1] << 8) | (page[2] << 16) | (page[3] << 24);
          if (length < 0 || 4 + length > page.length) throw new Error('the levels of a data page run past its end');
          this.readLevels(page, 4, 4 + length, h.values);
          at = 4 + length;
        }
        this.readValues(page, at, page.length, h);
        return;
      }
      if (h.type === DATA_PAGE_V2) {
        const levels = h.repetitionBytes + h.definitionBytes;
        if (levels < 0 || levels > h.compressed) throw new Error('the levels of a data page run past its end');
        if (this.leaf.optional) this.readLevels(this.window, body + h.repetitionBytes, body + levels, h.values);
        const values = h.valuesCompressed ? this.decompress(body + levels, h.compressed - levels, h.uncompressed - levels) : this.window.subarray(body + levels, body + h.compressed);
        this.readValues(values, 0, values.length, h);
        return;
      }
      throw new Unsupported(`page type ${h.type}`);
    }
  }

  /** A page's definition levels (1: the row has a value); their sum is the page's values. */
  private readLevels(bytes: Uint8Array, from: number, to: number, count: number): void {
    if (this.defs.length < count) this.defs = new Uint8Array(Math.max(count, 2 * this.defs.length));
    this.present = readBitRuns(bytes, from, to, count, this.defs, true);
  }

  /** The values (rows with one) of the current data page, once its levels are read. */
  private present = 0;

  /** A data page's values: rows, of which those with a definition level of 1 (all, for a required column) have one. */
  private readValues(page: Uint8Array, from: number, to: number, h: PageHeader): void {
    const rows = h.values;
    const present = this.leaf.optional ? this.present : rows;
    if (present > rows) throw new Error('a data page has more values than rows');
    this.pageRows = rows;
    this.pageRow = 0;
    this.valueAt = 0;
    const e = h.encoding;
    if (e === PLAIN_DICTIONARY || e === RLE_DICTIONARY) {
      if (this.dictWords === undefined && this.dictOffsets === undefined) throw new Error('a dictionary-encoded page comes before any dictionary');
      this.dictionaryEncoded = true;
      if (present > 0) {
        if (from >= to) throw new Error('a dictionary-encoded page has no bit width');
        const bitWidth = page[from];
        if (bitWidth > 32) throw new Error(`a dictionary-encoded page has a bit width of ${bitWidth}`);
        const memory = this.place.memory;
        let largest: number;
        if (memory.holds(page)) {
          // Where the page lies (in its area or the window, with the slack the kernel reads past its values).
          largest = memory.readIndices(page.byteOffset + from + 1, page.byteOffset + to, bitWidth, present, this.place.indices);
          this.indices = memory.int32s(this.place.indices, present);
        } else {
          // A page decompressed by zlib lies in a buffer of its own.
          if (this.ownIndices.length < present) this.ownIndices = new Int32Array(Math.max(present, 2 * this.ownIndices.length));
          largest = readIndexRuns(page, from + 1, to, bitWidth, present, this.ownIndices);
          this.indices = this.ownIndices;
        }
        if (largest >= this.dictSize) throw new Error(`a dictionary index (${largest}) is not in the dictionary of ${this.dictSize} values`);
      }
      return;
    }
    this.dictionaryEncoded = false;
    if (e === RLE) {
      // Booleans only (scanChunk): a 4-byte length, then the hybrid at one bit.
      if (this.pageBools.length < present) this.pageBools = new Uint8Array(Math.max(present, 2 * this.pageBools.length));
      if (to - from < 4) throw new Error('a page of booleans ends early');
      readBitRuns(page, from + 4, to, present, this.pageBools, false);
      return;
    }
    if (e !== PLAIN) throw new Unsupported(`encoding ${e}`);
    this.readPlain(page, from, to, present, false);
  }

  /** PLAIN values: into the page's arrays, or the dictionary's. */
  private readPlain(page: Uint8Array, from: number, to: number, count: number, dictionary: boolean): void {
    // Booleans and byte arrays are read in methods of their own, so that each is optimised on columns of its type only.
    const type = this.leaf.type;
    if (type === BOOLEAN) {
      if (dictionary) throw new Unsupported('a dictionary of booleans');
      return this.readPlainBooleans(page, from, to, count);
    }
    if (type === BYTE_ARRAY) {
      if (dictionary) return this.readByteDictionary(page, from, to, count);
      return this.readPlainBytes(page, from, to, count);
    }
    if (type !== INT32 && type !== INT64 && type !== FLOAT && type !== DOUBLE) throw new Unsupported(`physical type ${type}`);
    const width = type === INT64 || type === DOUBLE ? 8 : 4;
    if (count * width > to - from) throw new Error('the values of a page end early');
    if (dictionary) {
      this.dictWords = new Int32Array(page.slice(from, from + count * width).buffer);
      this.dictSize = count;
    } else if ((page.byteOffset + from) % 4 === 0) {
      this.pageWords = new Int32Array(page.buffer, page.byteOffset + from, (count * width) >> 2);
    } else {
      this.pageWords = new Int32Array(this.scratch.take(page, from, from + count * width), 0, (count * width) >> 2);
    }
  }

  /** count PLAIN booleans (bits) into the page's booleans. */
  private readPlainBooleans(page: Uint8Array, from: number, to: number, count: number): void {
    if ((count + 7) >> 3 > to - from) throw new Error('a page of booleans ends early');
    if (this.pageBools.length < count) this.pageBools = new Uint8Array(Math.max(count, 2 * this.pageBools.length));
    const out = this.pageBools;
    for (let i = 0; i < count; i++) out[i] = (page[from + (i >> 3)] >> (i & 7)) & 1;
  }

  /** count PLAIN byte arrays: where each lies in the page, which it checks for UTF-8. */
  private readPlainBytes(page: Uint8Array, from: number, to: number, count: number): void {
    if (this.pageStarts.length < count) {
      this.pageStarts = new Int32Array(Math.max(count, 2 * this.pageStarts.length));
      this.pageEnds = new Int32Array(this.pageStarts.length);
    }
    const at = plainByteArrays(page, from, to, count, this.pageStarts, this.pageEnds);
    if (!isUtf8(page.subarray(from, at))) throw new Error(NOT_UTF8);
    this.pageBytes = page;
  }

  /**
   * A dictionary of byte arrays, each value followed by a space (as in readPlain, so one check says whether each is
   * UTF-8): value k is bytes [offsets[2k], offsets[2k + 1]).
   */
  private readByteDictionary(page: Uint8Array, from: number, to: number, count: number): void {
    const offsets = new Int32Array(2 * count);
    let total = 0;
    for (let i = 0, at = from; i < count; i++) {
      if (at + 4 > to) throw new Error('the values of a dictionary page end early');
      const len = page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24);
      at += 4;
      if (len < 0 || at + len > to) throw new Error('a value runs past the end of its dictionary page');
      at += len;
      total += len + 1;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0, at = from, w = 0; i < count; i++) {
      const len = page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24);
      at += 4;
      offsets[2 * i] = w;
      bytes.set(page.subarray(at, at + len), w);
      w += len;
      offsets[2 * i + 1] = w;
      bytes[w++] = 0x20;
      at += len;
    }
    if (!isUtf8(bytes)) throw new Error(NOT_UTF8);
    this.dictBytes = bytes;
    this.dictOffsets = offsets;
    this.dictEntries = undefined;
    this.dictSize = count;
  }

  private readDictionary(page: Uint8Array, count: number): void {
    if (count < 0) throw new Error('a dictionary page has no value count');
    this.readPlain(page, 0, page.length, count, true);
  }
}
