/**
 * The CSV reader's fast path: the WebAssembly scanner of wasm/csv-scan.ts, which reads plain records (the header's
 * number of fields, quoted fields without line feeds) 64 bytes at a time and writes their cells straight into
 * the batch's arrays. The reader hands it the records from each record start on; it stops before any record it
 * does not take, which the reader's own tokenizer then reads. Both give the same cells (test/unit/data/csv-fast).
 *
 * Each reader has its own instance and memory: [starts | ends | flags | input]. The batch's cell arrays are views
 * on that memory, renewed when it grows (growing moves it); a batch that may outlive the next one gets copies.
 */
import { CSV_SCAN_WASM } from '../../generated/csv-scan-wasm';
import { alignUp, growTo, instantiateKernel, type WasmMemory } from '../wasm';

interface ScanExports {
  scan(input: number, n: number, delim: number, ncols: number, stride: number, row0: number, maxRows: number, add: number, starts: number, ends: number, flags: number): number;
  stopped(): number;
  countQuotes(input: number, n: number): number;
}

/**
 * Reads shorter than this are tokenized without the scanner, which saves little on them: a dataset of 10,000 small
 * files took 7.7 s with it, 6.8 s without (more full garbage collections in the worker threads).
 */
const FAST_SCAN_MIN_BYTES = 256 * 1024;
/**
 * Scanners of readers that closed, for the next readers of this thread: a new memory costs about 0.25 ms in page
 * faults and address space, which a dataset of 10,000 small files felt (6.8 s -> 9.3 s). One whose memory grew
 * past POOLED_BYTES (a very long record) is let go rather than kept.
 */
const idle: FastCsvScan[] = [];
const POOLED = 4;
const POOLED_BYTES = 8 * 1024 * 1024;
/** The scanner reads whole 64-byte blocks: the last one may run past the input. */
const PADDING = 64;

export class FastCsvScan {
  starts = new Int32Array(0);
  ends = new Int32Array(0);
  flags = new Uint8Array(0);
  private cells = 0;
  private inputAt = 0;
  /** The tokenizer's buffer copied into the input region: bytes [from, to) of that buffer. */
  private mirrored: Buffer | undefined;
  private from = 0;
  private to = 0;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly exports: ScanExports,
  ) {}

  /**
   * The scanner for a read of this many bytes (a file, or the range of one; undefined: not known), or undefined:
   * reads under FAST_SCAN_MIN_BYTES are tokenized without it.
   */
  static forRead(bytes: number | undefined): FastCsvScan | undefined {
    return bytes !== undefined && bytes < FAST_SCAN_MIN_BYTES ? undefined : FastCsvScan.create();
  }

  /**
   * A scanner with memory of its own (until release), or undefined when WebAssembly cannot run it here.
   */
  static create(): FastCsvScan | undefined {
    const pooled = idle.pop();
    if (pooled) return pooled;
    const kernel = instantiateKernel<ScanExports>(CSV_SCAN_WASM, 16);
    return kernel && new FastCsvScan(kernel.memory, kernel.exports);
  }

  /** Hands the scanner to the next reader of this thread: its arrays and memory are no longer this reader's. */
  release(): void {
    this.mirrored = undefined;
    if (idle.length < POOLED && this.memory.buffer.byteLength <= POOLED_BYTES && !idle.includes(this)) idle.push(this);
  }

  /**
   * Room for a batch of this many cells; the arrays' contents are kept only while the size is the same. Throws when
   * the memory cannot grow (then the reader goes on without the scanner).
   */
  layout(cells: number): void {
    if (cells === this.cells) return;
    const inputAt = alignUp(cells * 9, 16);
    this.grow(inputAt + PADDING);
    this.cells = cells;
    this.inputAt = inputAt;
    this.mirrored = undefined;
    this.views();
  }

  /** Clears the batch's flags, which the scanner writes only for quoted fields: call before each batch. */
  clearFlags(): void {
    this.flags.fill(0);
  }

  /**
   * Scans buf from pos (a record start) up to limit. Rows go to the batch from row row0 on, at most maxRows; a cell
   * of the batch is its byte offset in buf plus shift. Returns the rows taken and where the first record not taken
   * starts (limit or before: the tokenizer reads on from there).
   */
  scan(buf: Buffer, pos: number, limit: number, delim: number, ncols: number, stride: number, row0: number, maxRows: number, shift: number): { rows: number; next: number } {
    if (this.mirrored !== buf || pos < this.from || limit > this.to) {
      // Once per buffer the tokenizer fills: from the first record asked for to its end.
      this.grow(this.inputAt + (buf.length - pos) + PADDING);
      this.views();
      new Uint8Array(this.memory.buffer, this.inputAt, buf.length - pos).set(buf.subarray(pos));
      this.mirrored = buf;
      this.from = pos;
      this.to = buf.length;
    }
    const at = pos - this.from;
    const rows = this.exports.scan(this.inputAt + at, limit - pos, delim, ncols, stride, row0, maxRows, pos + shift, 0, this.cells * 4, this.cells * 8);
    return { rows, next: pos + this.exports.stopped() };
  }

  /**
   * Copies the whole of buf (a buffer the tokenizer was just fed) into the input region, which scan then reads
   * from, and returns the number of quotes in bytes [countFrom, buf.length) of it: the reader counts the quotes of
   * what it reads this way (see CsvReader.quoteCount). Throws when the memory cannot grow.
   */
  mirrorCounting(buf: Buffer, countFrom: number): number {
    this.grow(this.inputAt + buf.length + PADDING);
    this.views();
    new Uint8Array(this.memory.buffer, this.inputAt, buf.length).set(buf);
    this.mirrored = buf;
    this.from = 0;
    this.to = buf.length;
    return this.exports.countQuotes(this.inputAt + countFrom, buf.length - countFrom);
  }

  /**
   * Whether bytes [from, to) of buf hold an odd number of quotes: a stretch of CSV that starts outside quotes then
   * ends inside a quoted field. Uses the input region, so call it between batches, or on a scanner of its own.
   */
  oddQuotes(buf: Uint8Array, from: number, to: number): boolean {
    this.grow(this.inputAt + (to - from) + PADDING);
    this.views();
    new Uint8Array(this.memory.buffer, this.inputAt, to - from).set(buf.subarray(from, to));
    this.mirrored = undefined;
    return (this.exports.countQuotes(this.inputAt, to - from) & 1) === 1;
  }

  /** Grows the memory to at least this many bytes (a RangeError when it cannot); the views must then be renewed. */
  private grow(bytes: number): void {
    growTo(this.memory, bytes);
  }

  /** The cell arrays on the memory as it is now. */
  private views(): void {
    const buffer = this.memory.buffer;
    if (this.starts.buffer !== buffer || this.starts.length !== this.cells) {
      this.starts = new Int32Array(buffer, 0, this.cells);
      this.ends = new Int32Array(buffer, this.cells * 4, this.cells);
      this.flags = new Uint8Array(buffer, this.cells * 8, this.cells);
    }
  }
}
