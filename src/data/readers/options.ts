/** Options and issue types shared by the readers (re-exported from ./index). */
import type { DataFormat } from '../sources';

/** A problem in one row that the reader reported and read past (see ReaderOptions.onMalformed). */
export interface MalformedIssue {
  /**
   * ragged: a CSV/TSV row with more or fewer fields than the header (missing cells are undefined, extra ones dropped);
   * quote: a quote inside an unquoted field or text after a closing quote (the field is kept as its raw text);
   * json: a JSON Lines line that is not a JSON object (the line is skipped, not counted as a row);
   * unexpectedKey: a JSON Lines key that is not a column: neither in the first batch nor declared (reported once
   * per key; its values are ignored).
   */
  kind: 'ragged' | 'quote' | 'json' | 'unexpectedKey';
  message: string;
  source: string;
  /** 1-based line where the record starts (relative to the range start when reading a range). */
  line?: number;
  /** 1-based data row (relative to the range start when reading a range); absent for skipped JSON lines. */
  row?: number;
  /** Absolute byte offset in the file of the record (or field) start. */
  byteOffset?: number;
  column?: string;
  expected?: number;
  actual?: number;
  key?: string;
}

export interface ReaderOptions {
  format: DataFormat;
  /** CSV only; default ',' (tsv: '\t'). One single-byte character. */
  delimiter?: string;
  /**
   * The names a schema declares. JSON Lines: each is a column from the start, as the keys of the first batch are,
   * so a key that first comes later is read too; one that no row has is reported by absentColumns(). CSV/TSV
   * without a header (and without `columns`): the columns take these names in order, fields beyond them column_i.
   */
  declaredColumns?: string[];
  /**
   * CSV/TSV: the first record holds the names (default true; an empty one is named column_i by its position); false →
   * names from `columns`, or `declaredColumns` and column_i.
   */
  header?: boolean;
  /** Default utf8 (a UTF-8 BOM is skipped). utf16le is transcoded to UTF-8 first (byte offsets then count UTF-8 bytes). */
  encoding?: 'utf8' | 'latin1' | 'utf16le';
  /**
   * Rows per batch. Default: 65536 for Parquet (typed arrays), 8192 for CSV/TSV/JSONL, whose cells are JS strings:
   * 65536 rows of strings outlive V8's young generation and get promoted, which measured 2-3x slower in GC.
   */
  batchSize?: number;
  /** Expected names: JSONL column order / names for header-less CSV. */
  columns?: string[];
  /**
   * CSV/TSV/JSONL: bytes [start, end) of a local file, aligned to record starts (see splitIntoRanges). Rows and
   * lines are then counted from the start of the range; byte offsets stay absolute. A range starting at 0
   * includes the header, which is read as usual.
   */
  range?: { start: number; end: number };
  /**
   * Parquet: read only rows [start, end) of the file (0-based; see splitParquet). Rows are then counted from start,
   * and bytesRead ends at the rows' share of the file's bytes.
   */
  rows?: { start: number; end: number };
  /**
   * Parquet: the rows the decoder is asked for at once at most (PARQUET_PIECE_ROWS by default); a row group of more
   * is read in pieces, which bound the decoder's memory.
   */
  pieceRows?: number;
  /**
   * Parquet: which decoder reads the pages: 'auto' (the default) reads with parquet-pages.ts the row groups it can
   * read and with parquet-wasm the others; 'wasm' reads every row group with parquet-wasm (tests and the benchmark
   * compare the two).
   */
  parquetDecoder?: 'auto' | 'wasm';
  /**
   * The only columns the caller reads (see CheckerOptions.readColumns). Parquet decodes just these when no column of
   * the file is nested; the others come as nulls. Other formats read every column.
   */
  readColumns?: string[];
  /** With range: the header names read once by the caller (splitIntoRanges gives them). */
  headerLine?: string[];
  /**
   * Report-and-continue for row-level problems (ragged rows, bad quoting, bad JSON lines, unexpected JSON keys).
   * Without it the first such problem is thrown as a DataFormatError. Problems that make the rest of the file
   * unreadable (an unterminated quote, invalid UTF-8, a corrupt Parquet file) are always thrown.
   */
  onMalformed?: (issue: MalformedIssue) => void;
  /** Longest CSV record, bytes (default 64 MiB): beyond it the reader stops, as an open quote would swallow the file. */
  maxRecordBytes?: number;
  /**
   * CSV/TSV: a batch is only valid until the next one is asked for, because the next one reuses its buffers. Less
   * garbage (about 6 % less CPU and 10 MB less memory per reader); for consumers that keep nothing of a batch.
   */
  reuseBatchBuffers?: boolean;
}

export const DEFAULT_BATCH_SIZE = 65536;
export const DEFAULT_TEXT_BATCH_SIZE = 8192;

/**
 * Cells of a batch at most: 8192 rows of up to 64 columns. A wider table gets fewer rows per batch (64 at least),
 * so what a batch holds per cell does not grow with the columns: a CSV of 1,000 columns in batches of 8192 rows
 * held about 70 MB of cell arrays per reader.
 */
const MAX_BATCH_CELLS = DEFAULT_TEXT_BATCH_SIZE * 64;

/** The rows of a batch for a table of this many columns, at most `rows`. */
export function batchRowsFor(rows: number, columns: number): number {
  return Math.min(rows, Math.max(64, Math.floor(MAX_BATCH_CELLS / Math.max(1, columns))));
}
