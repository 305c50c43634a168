/**
 * CSV/TSV reader: a streaming RFC 4180 tokenizer over Buffer chunks. It works on bytes (the delimiter, quote, CR
 * and LF are ASCII, so this is exact for UTF-8 and Latin-1) and decodes only each finished field, straight from
 * the buffer. Per-string parsers decode whole chunks and build every field character by character, which is what
 * holds them near 150-180 MB/s (research, part B).
 *
 * A record split across chunks is carried over (only the unfinished record is copied, in front of the next chunk
 * where a local file's chunks leave room for it) and the tokenizer resumes where it stopped, so memory is a few
 * chunks plus one batch, never the file.
 */
import { isAscii } from 'buffer';
import { CellValue, DataFormatError, RAW_ESCAPED, RAW_QUOTED, RawCells, RowBatch, TableReader } from '../types';
import type { DataSource } from '../sources';
import { DEFAULT_TEXT_BATCH_SIZE, MalformedIssue, ReaderOptions, batchRowsFor } from './options';
import { lazyColumns } from './lazy-columns';
import { bufferChunks, SLICERS, transcodeUtf16, Utf8Checker } from './text';
import { FastCsvScan } from './csv-fast';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

// Tokenizer states between bytes.
const ST_FIELD = 0; // at the start of a field
const ST_UNQUOTED = 1; // inside an unquoted field
const ST_QUOTED = 2; // inside a quoted field; p is where to look for the next quote

// Field flags.
const F_QUOTED = 1;
const F_ESCAPED = 2; // has "" inside: needs unescaping
const F_BADQUOTE = 4;

const DEFAULT_MAX_RECORD = 64 * 1024 * 1024;
/**
 * Room asked for before each chunk of a local file: a record left unfinished at the end of a chunk, if no longer,
 * goes there rather than both being copied into a buffer of the tokenizer's own (see Tokenizer.feed).
 */
const CHUNK_HEADROOM = 64 * 1024;

/** Header names and the absolute offset of the first data record (for splitting a file into ranges). */
export interface CsvHeader {
  names: string[];
  dataStart: number;
}

/** The reader's state machine; public fields only for the reader in this file. */
class Tokenizer {
  buf: Buffer = Buffer.alloc(0);
  n = 0;
  p = 0;
  /** Absolute offset (in the decoded byte stream) of buf[0]. */
  base = 0;
  recStart = 0;
  st = ST_FIELD;
  nf = 0;
  fieldStart = 0;
  flags = 0;
  /** LFs inside quoted fields of the current record, for line numbers. */
  recLfs = 0;
  /** Line where the current record starts. */
  line = 1;
  /** A bad quote seen in the current record (rare: kept out of the hot loop). */
  recBad = -1;
  /** The buffer decoded as Latin-1, made when the first field needs it. */
  str: string | undefined;
  /** Index of the next byte >= 0x80 at or after the last position asked for (n: none). */
  nextHigh = 0;
  fs = new Int32Array(64);
  fe = new Int32Array(64);
  ff = new Uint8Array(64);

  /**
   * Called at each record start (p = recStart, nothing of the record read yet) before the record is tokenized here:
   * takes the records it can from p on (see FastCsvScan) and returns where the first one it did not take starts.
   * Sets stopAfterFast to stop the scan there, as onRecord's true does.
   */
  fast: ((p: number) => number) | undefined;
  stopAfterFast = false;

  constructor(
    readonly delim: number,
    /** Called with the end (exclusive, after the LF) of each finished record; true stops the scan there. */
    readonly onRecord: (end: number) => boolean,
  ) {}

  /** Moves nextHigh to the first byte >= 0x80 at or after i. */
  findHigh(i: number): void {
    const buf = this.buf;
    const n = this.n;
    while (i < n && buf[i] < 0x80) i++;
    this.nextHigh = i;
  }

  private newBuffer(): void {
    this.str = undefined;
    // One native check of the whole buffer settles the common all-ASCII case.
    if (isAscii(this.buf)) this.nextHigh = this.n;
    else this.findHigh(0);
  }

  /** The memory behind buf, and the other of the two buffers the tokenizer works in by turns. */
  private bufMemory: Buffer = Buffer.alloc(0);
  private spare: Buffer = Buffer.alloc(0);

  /**
   * Appends a chunk, keeping the unfinished record (the only bytes still needed). When the chunk has room for that
   * record in the memory before it (headroom: see DataSource.readChunks), the record is copied there and the
   * tokenizer reads the chunk where it is, until the next feed. Otherwise the chunk is copied, never kept: a source
   * may reuse its memory for the next chunk. The two work buffers take turns, so nothing is allocated once they
   * are large enough.
   */
  feed(chunk: Buffer, headroom = 0): void {
    const keep = Math.max(0, this.n - this.recStart);
    const shift = this.n - keep;
    const need = keep + chunk.length;
    if (keep <= headroom) {
      const next = Buffer.from(chunk.buffer, chunk.byteOffset - keep, need);
      if (keep > 0) this.buf.copy(next, 0, shift, this.n);
      this.buf = next;
    } else {
      let next = this.spare;
      if (next.length < need) next = Buffer.allocUnsafeSlow(need + (need >> 2));
      if (keep > 0) this.buf.copy(next, 0, shift, this.n);
      chunk.copy(next, keep);
      this.spare = this.bufMemory;
      this.bufMemory = next;
      // A view of exactly the bytes in use: searches (indexOf) must not run into what an earlier chunk left after them.
      this.buf = next.subarray(0, need);
    }
    this.n = need;
    this.base += shift;
    this.p -= shift;
    this.fieldStart -= shift;
    if (this.recBad >= 0) this.recBad -= shift;
    for (let i = 0; i < this.nf; i++) {
      this.fs[i] -= shift;
      this.fe[i] -= shift;
    }
    this.recStart = 0;
    this.newBuffer();
  }

  pendingBytes(): number {
    return this.n - this.recStart;
  }

  private grow(): void {
    const cap = this.fs.length * 2;
    const fs = new Int32Array(cap);
    fs.set(this.fs);
    const fe = new Int32Array(cap);
    fe.set(this.fe);
    const ff = new Uint8Array(cap);
    ff.set(this.ff);
    this.fs = fs;
    this.fe = fe;
    this.ff = ff;
  }

  private countLfs(s: number, e: number): void {
    const buf = this.buf;
    let i = buf.indexOf(LF, s);
    while (i >= 0 && i < e) {
      this.recLfs++;
      i = buf.indexOf(LF, i + 1);
    }
  }

  /**
   * Tokenizes from p until the buffer runs out (false) or onRecord asks to stop (true). Locals mirror the
   * fields so the hot loop touches no object state.
   */
  scan(): boolean {
    const buf = this.buf;
    const n = this.n;
    const d = this.delim;
    let p = this.p;
    let st = this.st;
    let nf = this.nf;
    let s = this.fieldStart;
    let flags = this.flags;
    let stopped = false;
    const fast = this.fast;
    for (;;) {
      if (st === ST_FIELD) {
        if (nf === 0 && fast !== undefined && p < n) {
          p = fast(p);
          if (this.stopAfterFast) {
            this.stopAfterFast = false;
            stopped = true;
            break;
          }
        }
        if (p >= n) break;
        if (buf[p] === QUOTE) {
          st = ST_QUOTED;
          flags = F_QUOTED;
          p++;
          s = p;
        } else {
          st = ST_UNQUOTED;
          flags = 0;
          s = p;
        }
      }
      if (st === ST_UNQUOTED) {
        let b = 0;
        while (p < n) {
          b = buf[p];
          if (b === d || b === LF) break;
          if (b === QUOTE) {
            flags |= F_BADQUOTE;
            if (this.recBad < 0) this.recBad = p;
          }
          p++;
        }
        if (p >= n) break;
        if (nf === this.fs.length) this.grow();
        if (b === d) {
          this.fs[nf] = s;
          this.fe[nf] = p;
          this.ff[nf] = flags;
          nf++;
          p++;
          st = ST_FIELD;
          continue;
        }
        const e = p > s && buf[p - 1] === CR ? p - 1 : p;
        this.fs[nf] = s;
        this.fe[nf] = e;
        this.ff[nf] = flags;
        nf++;
        p++;
        st = ST_FIELD;
        this.nf = nf;
        if (this.onRecord(p)) {
          stopped = true;
          nf = 0;
          break;
        }
        nf = 0;
        continue;
      }
      // ST_QUOTED: jump from quote to quote (memchr); most quoted fields have none inside.
      const q = buf.indexOf(QUOTE, p);
      if (q < 0) {
        p = n;
        break;
      }
      if (q + 1 >= n) {
        p = q; // what follows the quote decides; look again when more bytes come
        break;
      }
      const b1 = buf[q + 1];
      if (b1 === QUOTE) {
        flags |= F_ESCAPED;
        p = q + 2;
        continue;
      }
      let after: number; // where the field's terminator is
      if (b1 === d || b1 === LF) after = q + 1;
      else if (b1 === CR) {
        if (q + 2 >= n) {
          p = q;
          break;
        }
        after = buf[q + 2] === LF ? q + 2 : -1;
      } else after = -1;
      this.countLfs(s, q);
      if (after < 0) {
        // Text after the closing quote: keep the raw field (quotes included) and read on as unquoted.
        if (this.recBad < 0) this.recBad = q + 1;
        flags = F_BADQUOTE;
        s -= 1;
        st = ST_UNQUOTED;
        p = q + 1;
        continue;
      }
      if (nf === this.fs.length) this.grow();
      this.fs[nf] = s;
      this.fe[nf] = q;
      this.ff[nf] = flags;
      nf++;
      p = after + 1;
      st = ST_FIELD;
      if (buf[after] === d) continue;
      this.nf = nf;
      if (this.onRecord(p)) {
        stopped = true;
        nf = 0;
        break;
      }
      nf = 0;
    }
    this.p = p;
    this.st = st;
    this.nf = nf;
    this.fieldStart = s;
    this.flags = flags;
    return stopped;
  }
}

/**
 * The cells between one column's first cell and the next column's in a batch's arrays: the batch's rows and 16 more.
 * The scanner writes each record's cells across all the columns, and with a stride of a power of two, such as the
 * 2048 rows of a batch, they were 8 KiB apart: the same set of the processor's first-level cache, which holds 8 lines
 * of it, for 24 or more streams of writes. With 64 bytes more per column, the scanner took about half the time.
 */
function cellStride(rows: number): number {
  return rows + 16;
}

interface CsvSettings {
  delimiter: number;
  header: boolean;
  encoding: 'utf8' | 'latin1' | 'utf16le';
  batchSize: number;
  columns?: string[];
  declaredColumns?: string[];
  range?: { start: number; end: number };
  headerLine?: string[];
  onMalformed?: (issue: MalformedIssue) => void;
  maxRecordBytes: number;
  reuseBatchBuffers: boolean;
}

function settingsOf(source: DataSource, options: ReaderOptions): CsvSettings {
  const delimiter = options.format === 'tsv' ? '\t' : options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 0x7f || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new DataFormatError(`The delimiter must be one ASCII character other than a quote or a line break; got ${JSON.stringify(delimiter)}.`, { source: source.name });
  }
  return {
    delimiter: delimiter.charCodeAt(0),
    header: options.header ?? true,
    encoding: options.encoding ?? 'utf8',
    batchSize: Math.max(1, Math.floor(options.batchSize ?? DEFAULT_TEXT_BATCH_SIZE)),
    columns: options.columns,
    declaredColumns: options.declaredColumns,
    range: options.range,
    headerLine: options.headerLine,
    onMalformed: options.onMalformed,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD,
    reuseBatchBuffers: options.reuseBatchBuffers ?? false,
  };
}

class CsvReader implements TableReader {
  readonly source: string;
  columns: string[] = [];
  private readonly counter = { bytes: 0 };
  private readonly s: CsvSettings;
  private readonly tok: Tokenizer;
  private readonly utf8: Utf8Checker | undefined;
  private chunks?: AsyncIterator<Buffer>;
  private stream?: NodeJS.ReadableStream;
  private eof = false;
  /** Header state: 'read' = the next record is the header; 'infer' = the next record sets the column count. */
  private headerMode: 'read' | 'infer' | 'done';
  private ncols = 0;
  private rowsBefore = 0;
  // The batch being filled: its records' bytes are copied into batchBuf (in bulk, whenever the tokenizer's buffer
  // is about to be replaced and when the batch is taken), cells are offsets into it, decoded only when asked for.
  // With reuseBatchBuffers, a batch whose records never left the tokenizer's buffer is read there (takeBatch).
  private batchBuf = Buffer.alloc(0);
  /** Bytes of tok.buf from spanStart on belong to the batch and go to batchBuf at spanDest. */
  private spanStart = 0;
  private spanDest = 0;
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private flags = new Uint8Array(0);
  private lastBatchBytes = 64 * 1024;
  private lines = new Float64Array(0);
  /** With reuseBatchBuffers: the byte buffer every batch fills in turn. */
  private spareBatchBuf = Buffer.alloc(0);
  private rows = 0;
  /** Cells between a column's and the next column's in the batch's arrays (see cellStride). */
  private stride = 0;
  /** The WebAssembly scanner that reads plain records; the batch's cell arrays are views on its memory. */
  private fast: FastCsvScan | undefined;
  private bomChecked: boolean;
  /** The room before each chunk the source was asked for (see CHUNK_HEADROOM). */
  private headroom = 0;
  /** Quote characters in the chunks of a byte range so far (see quoteCount). */
  private quotes = 0;
  /** Absolute offset of the first data record, once the header is read. */
  dataStart = 0;
  private readonly latin1: boolean;

  constructor(private readonly src: DataSource, options: ReaderOptions) {
    this.source = src.name;
    this.s = settingsOf(src, options);
    this.tok = new Tokenizer(this.s.delimiter, (end) => this.record(end));
    this.fast = FastCsvScan.forRead(this.s.range ? this.s.range.end - this.s.range.start : src.size);
    if (this.fast) this.tok.fast = (p) => this.fastRecords(p);
    this.utf8 = this.s.encoding === 'utf8' ? new Utf8Checker() : undefined;
    this.latin1 = this.s.encoding === 'latin1';
    const start = this.s.range?.start ?? 0;
    this.tok.base = start;
    this.bomChecked = start > 0;
    // A range after the start has no header: its names come from the caller.
    const names = start > 0 || !this.s.header ? this.s.headerLine ?? this.s.columns : undefined;
    if (names) {
      this.setColumns(names);
      this.headerMode = 'done';
    } else {
      this.headerMode = start === 0 && this.s.header ? 'read' : 'infer';
    }
  }

  async open(): Promise<this> {
    const range = this.s.range;
    const bytes = range ? { start: range.start, end: range.end } : undefined;
    // Chunks of a local file share their buffers, with room before each for the record the chunk before leaves
    // unfinished (Tokenizer.feed). UTF-16 is read into new chunks.
    const utf16 = this.s.encoding === 'utf16le';
    this.headroom = this.src.readChunks && !utf16 ? CHUNK_HEADROOM : 0;
    let it: AsyncIterable<Buffer> = bufferChunks(this.src.readChunks ? this.src.readChunks(bytes, this.headroom) : (this.stream = this.src.open(bytes)), this.counter);
    if (utf16) it = transcodeUtf16(it, this.source);
    this.chunks = it[Symbol.asyncIterator]();
    // Names are part of the reader's contract, so the header (or the first record) is read now.
    while (this.headerMode !== 'done' && (await this.step()));
    if (this.headerMode !== 'done') this.setColumns(this.s.columns ?? []);
    return this;
  }

  bytesRead(): number {
    return this.counter.bytes;
  }

  private setColumns(names: string[]): void {
    this.columns = names.slice();
    this.ncols = names.length;
    // Before the first batch is made: a wide table gets fewer rows per batch.
    this.s.batchSize = batchRowsFor(this.s.batchSize, this.ncols);
    this.stride = cellStride(this.s.batchSize);
  }

  /**
   * One round: tokenize what is buffered (up to a full batch or the header); when it runs out, take the next chunk
   * or finish the input. False once everything has been read.
   */
  private async step(): Promise<boolean> {
    if (this.tok.scan()) return true;
    if (this.eof) return false;
    const next = await this.chunks!.next();
    if (next.done) {
      this.eof = true;
      this.finishInput();
      return true;
    }
    const given = next.value;
    const chunk = this.bomChecked ? given : this.skipBom(given);
    if (chunk.length === 0) return true;
    // A chunk after a byte-order mark starts 3 bytes into the source's chunk; one joined to the start of a
    // byte-order mark is new memory.
    const headroom = chunk.buffer === given.buffer && chunk.byteOffset >= given.byteOffset ? this.headroom + chunk.byteOffset - given.byteOffset : 0;
    const at = this.tok.base + this.tok.n;
    this.utf8?.check(chunk, at);
    // Everything before the unfinished record has been tokenized, so this is the length of one record so far.
    if (this.tok.pendingBytes() > this.s.maxRecordBytes) this.tooLong();
    this.feed(chunk, headroom);
    return true;
  }

  private bomHead: Buffer | undefined;

  /** Drops a UTF-8 BOM at the start of the file, even when it arrives in pieces. */
  private skipBom(chunk: Buffer): Buffer {
    const head = this.bomHead ? Buffer.concat([this.bomHead, chunk]) : chunk;
    const bom = [0xef, 0xbb, 0xbf];
    const k = Math.min(3, head.length);
    for (let i = 0; i < k; i++) {
      if (head[i] !== bom[i]) {
        this.bomChecked = true;
        this.bomHead = undefined;
        return head;
      }
    }
    if (head.length < 3) {
      this.bomHead = Buffer.from(head); // a chunk's memory may be reused
      return Buffer.alloc(0);
    }
    this.bomChecked = true;
    this.bomHead = undefined;
    this.tok.base += 3;
    return head.subarray(3);
  }

  /** End of input: a record without a final line break still counts; an open quote is an error. */
  private finishInput(): void {
    const t = this.tok;
    if (this.bomHead) {
      // A file shorter than a BOM that starts like one.
      const rest = this.bomHead;
      this.bomHead = undefined;
      this.bomChecked = true;
      this.utf8?.check(rest, t.base + t.n);
      this.feed(rest);
    }
    this.utf8?.finish();
    if (t.st !== ST_FIELD || t.nf > 0) {
      // A synthetic line break ends the last record (it is not data, and not counted as read).
      this.feed(Buffer.from([LF]));
      t.scan();
    }
    if (t.st === ST_QUOTED) {
      const at = t.base + t.fieldStart - 1;
      throw new DataFormatError(
        `${this.source}: a quoted field opened at line ${t.line + this.lfsBefore(t.fieldStart)}${this.rowText()} (byte ${at}) is never closed.`,
        { source: this.source, line: t.line, row: this.rowsBefore + this.rows + 1, byteOffset: at },
      );
    }
    this.checkUtf8Until(Infinity);
  }

  private lfsBefore(i: number): number {
    let count = 0;
    const buf = this.tok.buf;
    let k = buf.indexOf(LF, this.tok.recStart);
    while (k >= 0 && k < i) {
      count++;
      k = buf.indexOf(LF, k + 1);
    }
    return count;
  }

  private rowText(): string {
    return this.headerMode === 'done' ? ` (row ${this.rowsBefore + this.rows + 1})` : ' (the header)';
  }

  private tooLong(): never {
    const t = this.tok;
    const mib = Math.round(this.s.maxRecordBytes / 1024 / 1024);
    throw new DataFormatError(
      `${this.source}: the record at line ${t.line}${this.rowText()} (byte ${t.base + t.recStart}) is longer than ${mib} MiB; ` +
        'most likely a quote is never closed.',
      { source: this.source, line: t.line, byteOffset: t.base + t.recStart },
    );
  }

  /** Throws when the first invalid UTF-8 byte lies before end (absolute). */
  private checkUtf8Until(endAbs: number): void {
    const bad = this.utf8?.bad ?? Infinity;
    if (bad >= endAbs || bad === Infinity) return;
    const t = this.tok;
    const i = bad - t.base;
    const line = t.line + (i >= t.recStart ? this.lfsBefore(i) : 0);
    throw new DataFormatError(
      `${this.source}: invalid UTF-8 at line ${line}${this.rowText()}, byte ${bad}. If the file is not UTF-8, set the encoding (e.g. latin1).`,
      { source: this.source, line, row: this.headerMode === 'done' ? this.rowsBefore + this.rows + 1 : undefined, byteOffset: bad },
    );
  }

  /** Hands the tokenizer a chunk, first saving the finished records of the open batch (its buffer is replaced). */
  private feed(chunk: Buffer, headroom = 0): void {
    if (this.rows > 0) this.flushSpan();
    this.tok.feed(chunk, headroom);
    if (this.s.range) this.quotes += this.quotesIn(chunk);
    this.spanStart = this.tok.recStart;
  }

  /**
   * The quotes of a chunk just fed: counted by the scanner as it copies the tokenizer's buffer into its memory, which
   * it would do before its first scan of it anyway, or here, without it.
   */
  private quotesIn(chunk: Buffer): number {
    const t = this.tok;
    if (this.fast !== undefined && t.fast !== undefined) {
      try {
        const quotes = this.fast.mirrorCounting(t.buf, t.n - chunk.length);
        // Its memory may have grown and moved: the open batch's cells are read and written on it.
        this.cellViews();
        return quotes;
      } catch {
        // No memory for a copy of the buffer: the tokenizer reads on alone (as in fastRecords).
        t.fast = undefined;
      }
    }
    let count = 0;
    for (let q = chunk.indexOf(QUOTE); q >= 0; q = chunk.indexOf(QUOTE, q + 1)) count++;
    return count;
  }

  /**
   * A byte range's reader, once it has read every byte of the range: the number of quote characters among them,
   * whether or not the records they are in were well-formed. The engine confirms the record boundaries it split a
   * file at with it (see splitIntoRanges): each range before the last must hold an even number.
   */
  quoteCount(): number | undefined {
    return this.s.range && this.eof ? this.quotes : undefined;
  }

  /** Copies the open batch's finished records still only in the tokenizer's buffer into batchBuf. */
  private flushSpan(): void {
    const t = this.tok;
    const bytes = t.recStart - this.spanStart;
    if (bytes <= 0) return;
    const need = this.spanDest + bytes;
    if (need > this.batchBuf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.batchBuf.length * 2));
      this.batchBuf.copy(grown, 0, 0, this.spanDest);
      this.batchBuf = grown;
      if (this.s.reuseBatchBuffers) this.spareBatchBuf = grown;
    }
    t.buf.copy(this.batchBuf, this.spanDest, this.spanStart, t.recStart);
    this.spanDest = need;
    this.spanStart = t.recStart;
  }

  private newBatch(recordStart: number): void {
    const size = this.s.batchSize;
    const cells = this.stride * this.ncols;
    const reuse = this.s.reuseBatchBuffers;
    if (this.fast) {
      try {
        this.fast.layout(cells);
        this.cellViews();
        this.fast.clearFlags();
      } catch {
        // No memory for the scanner's arrays: the tokenizer reads every record.
        this.fast = undefined;
        this.tok.fast = undefined;
      }
    }
    if (!this.fast && (!reuse || this.starts.length !== cells)) {
      this.starts = new Int32Array(cells);
      this.ends = new Int32Array(cells);
      this.flags = new Uint8Array(cells);
    }
    if (!reuse || this.lines.length !== size) this.lines = new Float64Array(size);
    const bytes = Math.min(this.lastBatchBytes + (this.lastBatchBytes >> 3) + 1024, 1 << 30);
    if (!reuse) this.batchBuf = Buffer.allocUnsafe(bytes);
    else {
      if (this.spareBatchBuf.length < bytes) this.spareBatchBuf = Buffer.allocUnsafe(bytes);
      this.batchBuf = this.spareBatchBuf;
    }
    this.spanStart = recordStart;
    this.spanDest = 0;
    this.rows = 0;
  }

  /**
   * A field's text. Where its bytes are ASCII (or the encoding is Latin-1), a substring of the buffer decoded once
   * as Latin-1: a JIT-inlined substring costs far less than one native slice call per field. Other UTF-8 fields are
   * decoded on their own.
   */
  private text(i: number): string {
    const t = this.tok;
    const s0 = t.fs[i];
    const e0 = t.fe[i];
    let s: string;
    if (e0 <= t.nextHigh || this.latin1) {
      if (t.str === undefined) t.str = SLICERS.latin1Slice.call(t.buf, 0, t.n);
      s = t.str.substring(s0, e0);
    } else if (s0 > t.nextHigh && (t.findHigh(s0), e0 <= t.nextHigh)) {
      s = (t.str ??= SLICERS.latin1Slice.call(t.buf, 0, t.n)).substring(s0, e0);
    } else s = SLICERS.utf8Slice.call(t.buf, s0, e0);
    return t.ff[i] & F_ESCAPED ? s.replace(/""/g, '"') : s;
  }

  /** The batch's cell arrays, as the scanner's memory holds them now (growing it moves them). */
  private cellViews(): void {
    this.starts = this.fast!.starts;
    this.ends = this.fast!.ends;
    this.flags = this.fast!.flags;
  }

  /**
   * Tokenizer.fast: the plain records from the record start p on, read by the scanner into the open batch (up to
   * its end). Not the header, and not past invalid UTF-8, whose record the tokenizer reports.
   */
  private fastRecords(p: number): number {
    const t = this.tok;
    if (this.headerMode !== 'done' || p !== t.recStart) return p;
    const bad = this.utf8 ? this.utf8.bad - t.base : Infinity;
    const limit = bad < t.n ? bad : t.n;
    if (limit <= p) return p;
    if (this.rows === 0) {
      // A blank line is not a row: no batch for it (the tokenizer skips it).
      const b = t.buf[p];
      if (b === LF || (b === CR && t.buf[p + 1] === LF)) return p;
      this.newBatch(p);
    }
    const size = this.s.batchSize;
    const r0 = this.rows;
    let taken: { rows: number; next: number };
    try {
      taken = this.fast!.scan(t.buf, p, limit, this.s.delimiter, this.ncols, this.stride, r0, size - r0, this.spanDest - this.spanStart);
    } catch {
      // No memory for a copy of the buffer: the tokenizer reads on, into the arrays it has (they did not move).
      t.fast = undefined;
      return p;
    }
    const { rows, next } = taken;
    this.cellViews();
    if (rows === 0) return p;
    const lines = this.lines;
    let line = t.line;
    for (let r = r0; r < r0 + rows; r++) lines[r] = line++;
    t.line = line;
    t.recStart = next;
    this.rows = r0 + rows;
    if (this.rows === size) t.stopAfterFast = true;
    return next;
  }

  /** A finished record: [recStart, end) in the buffer, fields in the tokenizer's arrays. True = stop the scan. */
  private record(end: number): boolean {
    const t = this.tok;
    if (this.utf8 && this.utf8.bad < t.base + end) this.checkUtf8Until(t.base + end);
    const nf = t.nf;
    const line = t.line;
    t.line += 1 + t.recLfs;
    t.recLfs = 0;
    const recordStart = t.recStart;
    const recAt = t.base + recordStart;
    const bad = t.recBad;
    t.recBad = -1;
    t.recStart = end;
    // A blank line is not a record (as pandas and most readers do); a quoted empty field is one.
    if (nf === 1 && t.fe[0] === t.fs[0] && (t.ff[0] & F_QUOTED) === 0) return false;
    if (this.headerMode === 'read') {
      const names: string[] = new Array(nf);
      // An empty name (pandas writes its index so) is named by its position, as a file without a header is.
      for (let i = 0; i < nf; i++) names[i] = this.text(i) || `column_${i + 1}`;
      this.setColumns(names);
      this.headerMode = 'done';
      this.dataStart = t.base + end;
      return true;
    }
    const first = this.headerMode === 'infer';
    if (first) {
      // Without a header, the columns take the schema's names in order; fields beyond them are column_i.
      const names: string[] = [];
      for (let i = 1; i <= nf; i++) names.push(this.s.declaredColumns?.[i - 1] ?? `column_${i}`);
      this.setColumns(this.s.columns ?? names);
      this.headerMode = 'done';
      this.dataStart = recAt;
    }
    if (this.rows === 0) this.newBatch(recordStart);
    const r = this.rows;
    const ncols = this.ncols;
    const k = nf < ncols ? nf : ncols;
    const stride = this.stride;
    const shift = this.spanDest - this.spanStart;
    const starts = this.starts;
    const ends = this.ends;
    const flags = this.flags;
    const fs = t.fs;
    const fe = t.fe;
    const ff = t.ff;
    for (let c = 0, i = r; c < ncols; c++, i += stride) {
      if (c < k) {
        starts[i] = fs[c] + shift;
        ends[i] = fe[c] + shift;
        flags[i] = ff[c] & (RAW_QUOTED | RAW_ESCAPED); // the same bits as F_QUOTED and F_ESCAPED
      } else starts[i] = -1;
    }
    this.lines[r] = line;
    this.rows = r + 1;
    if (nf !== this.ncols || bad >= 0) this.malformed(nf, line, this.rowsBefore + r + 1, recAt, bad);
    // The first record of a file without a header ends open(), as a header does: batches() reads on from there.
    return first || this.rows === this.s.batchSize;
  }

  private malformed(nf: number, line: number, row: number, recAt: number, bad: number): void {
    const t = this.tok;
    const issues: MalformedIssue[] = [];
    if (bad >= 0) {
      // recStart already moved past this record, and the bad quote's field index is the first flagged one.
      let field = 0;
      for (let i = 0; i < nf; i++) if (t.ff[i] & F_BADQUOTE) { field = i; break; }
      const column = this.columns[field];
      issues.push({
        kind: 'quote',
        message: `${this.source}: row ${row} (line ${line}) has a quote inside an unquoted field${column !== undefined ? ` (column ${column})` : ''}; the field is read as written.`,
        source: this.source,
        line,
        row,
        byteOffset: t.base + bad,
        column,
      });
    }
    if (nf !== this.ncols) {
      issues.push({
        kind: 'ragged',
        message: `${this.source}: row ${row} (line ${line}) has ${nf} field${nf === 1 ? '' : 's'}; the header has ${this.ncols}.`,
        source: this.source,
        line,
        row,
        byteOffset: recAt,
        expected: this.ncols,
        actual: nf,
      });
    }
    for (const issue of issues) {
      if (!this.s.onMalformed) {
        throw new DataFormatError(issue.message, { source: this.source, line, row, byteOffset: issue.byteOffset, column: issue.column });
      }
      this.s.onMalformed(issue);
    }
  }

  private takeBatch(): RowBatch {
    const rowCount = this.rows;
    let bytes: Buffer;
    if (this.s.reuseBatchBuffers && this.spanDest === 0) {
      // All its records are in the tokenizer's buffer, which stays as it is until the feed after next (see
      // Tokenizer.feed): the batch, read before the next one is, is read there.
      bytes = this.tok.buf.subarray(this.spanStart, this.tok.recStart);
    } else {
      this.flushSpan();
      bytes = this.batchBuf.subarray(0, this.spanDest);
    }
    const lines = this.lines;
    // Cells on the scanner's memory are valid until the next batch is read: a batch that may be kept gets copies.
    const copy = this.fast !== undefined && !this.s.reuseBatchBuffers;
    const [starts, ends, flags] = copy ? [this.starts.slice(), this.ends.slice(), this.flags.slice()] : [this.starts, this.ends, this.flags];
    const raw = new BatchCells(bytes, this.stride, starts, ends, flags, this.latin1);
    this.lastBatchBytes = bytes.length;
    const batch: RowBatch = { firstRow: this.rowsBefore + 1, rowCount, columns: lazyColumns(this.ncols, (c) => {
      const column: CellValue[] = new Array(rowCount);
      for (let r = 0; r < rowCount; r++) column[r] = raw.text(c, r);
      return column;
    }), lineOf: (r) => lines[r], raw };
    this.rowsBefore += rowCount;
    this.rows = 0;
    this.batchBuf = Buffer.alloc(0);
    return batch;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<RowBatch> {
    try {
      for (;;) {
        signal?.throwIfAborted();
        // A batch the first record of a file without a header filled in open() (a batch of one row).
        if (this.rows >= this.s.batchSize) yield this.takeBatch();
        let more: boolean;
        try {
          more = await this.step();
        } catch (e) {
          // The rows read before the data went wrong are checked too; then the error ends the read.
          if (e instanceof DataFormatError && this.rows > 0) yield this.takeBatch();
          throw e;
        }
        if (this.rows >= this.s.batchSize || (!more && this.rows > 0)) yield this.takeBatch();
        if (!more) return;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    // The last batch was checked before the read ended: the scanner and its memory can go to the next reader.
    this.fast?.release();
    this.fast = undefined;
    this.tok.fast = undefined;
    (this.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    // Ends the chunk generators, which closes a local file read by readChunks.
    await this.chunks?.return?.();
  }
}

/** A batch's cells as bytes; text is decoded per cell on demand, exactly as the reader used to decode every cell. */
class BatchCells implements RawCells {
  /** Whether all of the buffer is ASCII (-1: not known yet). */
  private ascii = -1;

  constructor(
    readonly buffer: Buffer,
    readonly stride: number,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    readonly flags: Uint8Array,
    readonly latin1: boolean,
  ) {}

  asciiOnly(): boolean {
    if (this.ascii < 0) this.ascii = this.latin1 || isAscii(this.buffer) ? 1 : 0;
    return this.ascii === 1 && !this.latin1;
  }

  text(c: number, r: number): string | undefined {
    const i = c * this.stride + r;
    const s0 = this.starts[i];
    if (s0 < 0) return undefined;
    const e0 = this.ends[i];
    const buf = this.buffer;
    if (this.ascii < 0) this.ascii = this.latin1 || isAscii(buf) ? 1 : 0;
    let plain = this.ascii === 1;
    if (!plain) {
      let k = s0;
      while (k < e0 && buf[k] < 0x80) k++;
      plain = k === e0;
    }
    // Each cell decoded on its own: substrings of the whole batch decoded once were as fast, but that 1 MB string
    // outlived the young generation of a worker batch after batch, which filled the old one.
    const s = plain ? SLICERS.latin1Slice.call(buf, s0, e0) : SLICERS.utf8Slice.call(buf, s0, e0);
    return this.flags[i] & RAW_ESCAPED ? s.replace(/""/g, '"') : s;
  }
}

export async function openCsv(source: DataSource, options: ReaderOptions): Promise<TableReader & { dataStart: number }> {
  const reader = new CsvReader(source, options);
  try {
    return await reader.open();
  } catch (e) {
    await reader.close();
    throw e;
  }
}

export async function readCsvHeader(source: DataSource, options: ReaderOptions): Promise<CsvHeader> {
  const reader = new CsvReader(source, { ...options, range: undefined, batchSize: 1 });
  try {
    await reader.open();
    return { names: reader.columns, dataStart: reader.dataStart };
  } finally {
    await reader.close();
  }
}
