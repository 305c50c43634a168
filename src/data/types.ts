/**
 * The contracts between the parts of the DataValidate engine: the schema, the readers that turn a file
 * into row batches, the column profiles (which drift is computed from), and the results the reports render.
 * Nothing here does work; each part lives in its own module.
 */
import { UserError } from '../errors';

export type ColumnType = 'integer' | 'number' | 'string' | 'boolean' | 'datetime' | 'category';

/** Numeric columns are profiled (and drift-compared) as numbers; the others by their values. */
export function columnKind(type: ColumnType): 'numeric' | 'categorical' {
  return type === 'integer' || type === 'number' || type === 'datetime' ? 'numeric' : 'categorical';
}
export type Severity = 'error' | 'warning';

export type ColumnCheckKind =
  | 'type'
  | 'nullable'
  | 'maxNullFraction'
  | 'min'
  | 'max'
  | 'allowed'
  | 'pattern'
  | 'unique'
  | 'minLength'
  | 'maxLength'
  | StatisticKind;

/** The checks of single values, which a column's `mostly` applies to: they pass with some values failing. */
export const VALUE_CHECK_KINDS: ReadonlySet<ColumnCheckKind> = new Set<ColumnCheckKind>(['type', 'min', 'max', 'allowed', 'pattern', 'minLength', 'maxLength']);

/** Statistics of a column a rule can bound, as Great Expectations' expect_column_mean_to_be_between and the like. */
export type StatisticKind = 'mean' | 'median' | 'stdev' | 'distinct';
export type DatasetCheckKind = 'rowCount' | 'columns' | 'primaryKey' | 'freshness' | 'malformed' | 'rowCountRatio';

export type NumericDriftMetric = 'normalized_wasserstein' | 'ks' | 'psi' | 'jensen_shannon';
export type CategoricalDriftMetric = 'jensen_shannon' | 'psi' | 'chi_squared' | 'infinity_norm';
export type DriftMetric = NumericDriftMetric | CategoricalDriftMetric;

// ---------------------------------------------------------------- schema

export interface ColumnRule {
  name: string;
  type: ColumnType;
  /** strftime-style format for datetime columns (e.g. '%Y-%m-%d %H:%M:%S'); absent = ISO 8601. */
  format?: string;
  /** False: any null fails the 'nullable' check. Default true. */
  nullable: boolean;
  /** Largest share of nulls allowed (0..1). */
  maxNullFraction?: number;
  /** Bounds; for datetime columns in epoch milliseconds. */
  min?: number;
  max?: number;
  /** Allowed values, compared as text (numbers and booleans as they are written in the schema). */
  allowed?: string[];
  /** Regular expression every non-null value must match in full. */
  pattern?: string;
  unique?: boolean;
  minLength?: number;
  maxLength?: number;
  /**
   * The share of the column's non-null values each value check (VALUE_CHECK_KINDS) needs to pass, as Great
   * Expectations' `mostly` (0 < mostly <= 1; absent: every value).
   */
  mostly?: number;
  /** Bounds on statistics of the column (mean, median and stdev of numbers; distinct values of any column). */
  statistics?: Partial<Record<StatisticKind, { min?: number; max?: number }>>;
  /** Severity of each check of this column (the column's `severity`, overridden per check). */
  severity: Record<ColumnCheckKind, Severity>;
  /** Drift metric for this column, overriding the schema default; 'skip' leaves it out. */
  drift?: { metric: DriftMetric; threshold: number } | 'skip';
  /** Line in the schema file, for messages. */
  line?: number;
}

export interface DataSchema {
  /** The schema file, for messages. */
  file?: string;
  columns: ColumnRule[];
  dataset: {
    rowCount?: { min?: number; max?: number; severity: Severity };
    /**
     * exact: the data has exactly the schema's columns; subset: every data column is in the schema (schema columns
     * may be absent); superset: the data has every schema column and may have more.
     */
    columns: { mode: 'exact' | 'subset' | 'superset'; severity: Severity };
    primaryKey?: { columns: string[]; severity: Severity };
    /** The latest value of a datetime column must not be older than maxAgeMs before the run. */
    freshness?: { column: string; maxAge: string; maxAgeMs: number; severity: Severity };
  };
  drift: {
    numerical: { metric: NumericDriftMetric; threshold: number };
    categorical: { metric: CategoricalDriftMetric; threshold: number };
    severity: Severity;
    /** Bounds on the data's rows over the reference's (TFDV's num_examples drift comparator). */
    rowCountRatio?: { min?: number; max?: number };
  };
  /** Text values read as null (default ['']). */
  missingValues: string[];
}

// ---------------------------------------------------------------- readers

/** One cell as a reader gives it: text for CSV/TSV, JSON values for JSONL, typed values for Parquet. */
export type CellValue = string | number | boolean | bigint | Date | null | undefined;

/**
 * A slice of rows in columnar form. It stays valid after the next one is read, unless the reader was opened with
 * reuseBatchBuffers (then the next batch reuses its buffers).
 */
export interface RowBatch {
  /** 1-based number of the first data row of this batch (the header is not a row). */
  firstRow: number;
  rowCount: number;
  /** values[c][r], in the order of TableReader.columns; undefined = the row had no such cell. */
  columns: Array<ArrayLike<CellValue>>;
  /** 1-based line in the file where row r starts, for text formats. */
  lineOf?: (r: number) => number;
  /**
   * CSV/TSV: the batch's bytes and where each cell lies in them, so checkers can work on bytes and leave the text
   * undecoded (columns[c] then decodes a column on first access).
   */
  raw?: RawCells;
  /**
   * Parquet: columns as Arrow holds them (numbers in typed arrays, text as UTF-8 bytes and offsets), so checkers
   * need not make a JS value of every cell; undefined for a column of another type. columns[c] has the same values.
   */
  typed?: Array<TypedColumn | undefined>;
}

/**
 * One column of a batch as typed data; row r of the batch is index r. Nulls: bit r of the Arrow validity bitmap
 * `validity` (from bit `validityOffset`) is 0; no bitmap means no nulls. cell(r) is columns[c][r] (for examples).
 */
export type TypedColumn = TypedNumbers | TypedBooleans | TypedUtf8;

interface TypedBase {
  validity?: Uint8Array;
  validityOffset: number;
  cell(r: number): CellValue;
}

/** Numbers (ints, floats: cells are numbers, or bigints beyond ±2^53, whose values are NaN). */
export interface TypedNumbers extends TypedBase {
  kind: 'numbers';
  /** The cells are timestamps or dates (Date cells) and values their epoch milliseconds (NaN: an invalid Date). */
  time: boolean;
  values: ArrayLike<number>;
  /**
   * A dictionary-encoded column's dictionary, whose entry each row holds; given only when it has no more entries
   * than the batch has rows (a larger one is cheaper to pass over than to count by).
   */
  dictionary?: NumberDictionary;
}

/**
 * The dictionary of a dictionary-encoded number column: row r holds entry codes[r] (a null row's code may be
 * anything), entry k being values[k] (as values[r] is of each row that holds it), for k below size. source is the
 * same object in each batch with the same entries.
 */
export interface NumberDictionary {
  codes: ArrayLike<number>;
  size: number;
  values: Float64Array;
  source: object;
}

/** Booleans as Arrow's bits: value r is bit bitOffset + r of bits. */
export interface TypedBooleans extends TypedBase {
  kind: 'booleans';
  bits: Uint8Array;
  bitOffset: number;
}

/**
 * UTF-8 strings: value r is bytes [starts[r], ends[r]) of bytes. For an Arrow Utf8 column these are its offsets
 * (ends = starts shifted by one); for a dictionary-encoded one, where each row's dictionary value lies.
 */
export interface TypedUtf8 extends TypedBase {
  kind: 'utf8';
  bytes: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  /** The values lie in row order (Arrow's offsets): values 0..count lie in bytes [starts[0], ends[count - 1]). */
  ordered?: boolean;
  /** A dictionary-encoded column's dictionary, whose entry each row holds. */
  dictionary?: TextDictionary;
}

/**
 * The dictionary of a dictionary-encoded text column: row r holds entry codes[r] (a null row's code may be anything),
 * entry k being bytes [entryStarts[k], entryEnds[k]) of the column's bytes, for k below size. A checker can look
 * each entry up once rather than each row's bytes. source is the same object in each batch that has the same entries
 * at the same places (a reader that keeps its dictionary from batch to batch), so what was learnt of them holds.
 */
export interface TextDictionary {
  codes: ArrayLike<number>;
  size: number;
  entryStarts: Int32Array;
  entryEnds: Int32Array;
  source: object;
}

/** Cell (column c, row r) is bytes [starts[i], ends[i]) of buffer, i = c * stride + r; starts[i] < 0: no such cell. */
export interface RawCells {
  buffer: Buffer;
  stride: number;
  starts: Int32Array;
  ends: Int32Array;
  /** RAW_QUOTED / RAW_ESCAPED bits per cell. */
  flags: Uint8Array;
  /** Bytes are Latin-1 rather than UTF-8. */
  latin1: boolean;
  /** The cell's text exactly as columns[c][r] has it (undefined for a missing cell). */
  text(c: number, r: number): string | undefined;
  /** True when every byte of the buffer is ASCII, so a cell's length is its byte count and its bytes its characters. */
  asciiOnly?(): boolean;
}

/** The cell was quoted. */
export const RAW_QUOTED = 1;
/** The cell has "" inside: its text differs from its bytes. */
export const RAW_ESCAPED = 2;

export interface TableReader {
  /** Where the data comes from, for messages ("data/train.csv", "azureml:churn:3 (part-0001.csv)"). */
  readonly source: string;
  /** Column names in data order. */
  readonly columns: string[];
  /** The format's own column types where it has them (Parquet: 'int64', 'utf8', 'timestamp[ms]'...). */
  readonly nativeTypes?: Array<string | undefined>;
  batches(signal?: AbortSignal): AsyncIterable<RowBatch>;
  /** Bytes consumed so far (for progress and throughput). */
  bytesRead(): number;
  /** Once read: columns no row of the read has (JSON Lines keys that no object had). */
  absentColumns?(): string[];
  /** CSV and TSV, of a byte range read to its end: the quote characters in it (see CsvReader.quoteCount). */
  quoteCount?(): number | undefined;
}

/** Data that cannot be read as the format says: ragged rows, bad quoting, invalid UTF-8, corrupt Parquet. */
export class DataFormatError extends UserError {
  constructor(
    message: string,
    readonly location: { source: string; line?: number; row?: number; column?: string; byteOffset?: number },
  ) {
    super(message, { file: location.source, line: location.line });
    this.name = 'DataFormatError';
  }
}

// ---------------------------------------------------------------- profiles and drift

/** What a profile keeps of one column, enough to report on it and to compute drift against another profile. */
export interface ColumnProfile {
  name: string;
  /** numeric: integer/number/datetime values; categorical: category/boolean/string values counted exactly up to a cap. */
  kind: 'numeric' | 'categorical';
  count: number;
  nulls: number;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  /** Estimated number of distinct values. */
  distinct: number;
  /** Most frequent values with their counts, largest first (at most 10). */
  topValues: Array<{ value: string; count: number }>;
  /** Numeric: a serialized quantile sketch (DDSketch). */
  sketch?: unknown;
  /** Categorical: exact counts per value (values beyond the cap are counted under otherCount). */
  categories?: Record<string, number>;
  otherCount?: number;
  /** Numeric: NaN and ±Infinity values (also counted in nulls: they have no place in a distribution). */
  nonFinite?: number;
  /** Categorical: the category cap the profile was built with (merges keep it). */
  categoryCap?: number;
  /** base64 HyperLogLog registers, present once the distinct values are no longer all counted exactly. */
  distinctSketch?: string;
  /**
   * The column's type in the schema, or the one its values parsed as: reports show a datetime's numbers (epoch
   * milliseconds) as instants. Not written to profile files.
   */
  type?: ColumnType;
}

export interface DatasetProfile {
  format: 'datavalidate-profile';
  version: 1;
  rowCount: number;
  columns: ColumnProfile[];
  /** What was profiled and when. */
  source: string;
  createdAt: string;
}

export interface DriftResult {
  column: string;
  metric: DriftMetric;
  value: number;
  threshold: number;
  drifted: boolean;
  severity: Severity;
  /** How bins were formed, when the metric depends on it (PSI, JS, chi-squared). */
  binning?: string;
  /** p-value, where meaningful (chi-squared, small samples). */
  pValue?: number;
}

// ---------------------------------------------------------------- results

export interface Example {
  /** 1-based data row. */
  row: number;
  /** 1-based line in the file, for text formats. */
  line?: number;
  /** The file the row is in, when the dataset has several. */
  file?: string;
  value: string;
}

export interface CheckResult {
  /** Stable id: 'column.age.min', 'dataset.rowCount', 'drift.income'. */
  id: string;
  kind: ColumnCheckKind | DatasetCheckKind | 'drift';
  column?: string;
  severity: Severity;
  success: boolean;
  /** What was required, in words: "age >= 18". */
  expectation: string;
  /** What was seen: "min 3", "2 duplicates", "0.231". */
  observed?: string;
  /** Values checked and how many broke the rule. */
  elementCount?: number;
  unexpectedCount?: number;
  /** The first rows that broke the rule (at most 10). */
  examples: Example[];
}

export interface ValidationReport {
  /** No failed check of severity error. */
  passed: boolean;
  /** Failed checks of severity warning. */
  warnings: number;
  errors: number;
  source: string;
  format: string;
  rowCount: number;
  bytes: number;
  durationMs: number;
  schemaFile?: string;
  columns: ColumnProfile[];
  checks: CheckResult[];
  drift?: {
    reference: string;
    results: DriftResult[];
    driftedShare: number;
    detected: boolean;
    /** The binning rule, written into every report because PSI and JS depend on it. */
    binning: string;
  };
}

/**
 * A string that does not share memory with the one it came from. Cell texts are often substrings of a whole
 * batch's decoded text, and a kept substring keeps that text alive; what outlives a batch (categories, examples)
 * is copied. Short strings are copies already.
 */
export function detachedString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}
