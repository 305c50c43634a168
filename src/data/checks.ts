/**
 * The per-column checks, run over row batches in one pass. One checker per column, specialised by type and
 * created once; each consumes a batch column in a tight loop, parses every cell once, counts elements and
 * unexpected values per check, keeps the first rows that broke each rule, and feeds the column's profiler.
 *
 * Parsing rules for text cells (CSV/TSV): integers are an optional sign and digits; numbers also take a
 * fraction and an exponent (no thousands separators, no surrounding spaces; NaN and infinities are not
 * numbers: list them in missingValues if the data writes them); booleans are true/false, 1/0 and yes/no in any
 * case; datetimes are ISO 8601 or the column's strftime format. Typed cells (JSONL, Parquet) must have a
 * JavaScript type that fits: a whole number for integer, a boolean for boolean, a string for string columns.
 *
 * Results of one part of the data (a worker's byte range) are plain, structured-clonable state; rows and lines
 * in it count from the part's start and are shifted when the parts are merged in data order.
 */
import { isAscii } from 'buffer';
import { DateFormatParser, formatInstant, parseIsoDateTime, parseIsoDateTimeBytes } from './durations';
import { compileAsciiPattern, type AsciiMatcher } from './ascii-pattern';
import { collisionProbability, discardUniqueState, hashEnd, hashNumber, hashStart, hashText, numberKey, UniqueTracker, type DuplicateTally, type UniqueState } from './unique';
import type { MalformedIssue } from './readers/options';
import { arrowText } from './readers/text';
import { UserError } from '../errors';
import { CategorySums } from './profile';
import { hashAsciiBytes } from './hll';
import { GRID_ROWS } from './sketch';
import { IsoWriter, writeNumber } from './value-text';
import {
  NULLS_ABSENT,
  NULLS_ABSENT_OR_EMPTY,
  NULLS_STOP,
  NumberCells,
  PARSE_INTEGER,
  PARSE_ISO_DATETIME,
  PARSE_NUMBER,
  STATE_CHECK_MAX,
  STATE_CHECK_MIN,
  STATE_FALSES,
  STATE_FIRST,
  STATE_MOMENTS,
  STATE_NULLS,
  STATE_TRUES,
  TAKE_ANY,
  TAKE_FINITE,
  TAKE_WHOLE,
  type ByteDictionary,
} from './number-cells';
import { columnKind, detachedString, RAW_ESCAPED, type CellValue, type ColumnCheckKind, type ColumnProfile, type ColumnRule, type ColumnType, type DataSchema, type DatasetProfile, type Example, type RawCells, type RowBatch, type TypedColumn, type TypedNumbers, type TypedUtf8, type TextDictionary, type NumberDictionary } from './types';

export const MAX_EXAMPLES = 10;
const EXAMPLE_TEXT_LENGTH = 80;

/** What feeds a column profile; profile.ts's ColumnAccumulator has this shape. */
export interface ValueProfiler {
  addNumber(x: number): void;
  addText(value: string): void;
  addNull(): void;
  /** n more of a value already given to addText (lets a caller count repeats itself). */
  addTextRepeats?(value: string, n: number): void;
  /**
   * addText for ASCII bytes [s, e) of buf when the text is not needed to count it (h: their hashAsciiBytes); false
   * when addText must be called.
   */
  addAsciiBytes?(buf: Uint8Array, s: number, e: number, h: number): boolean;
  /**
   * addAsciiBytes of each cell the kernel has loaded (all ASCII), done there: per row, -2 for a cell not counted
   * (which the caller gives addAsciiBytes), anything else for one counted. Undefined: none was counted.
   */
  addLoadedCells?(kernel: NumberCells): Int32Array | undefined;
  /**
   * For a caller that keeps a numeric column's count, mean, m2, minimum and maximum itself for a run of values
   * (ColumnAccumulator's): addNumber of values[r] without them (hashes[r]: its hashNumber), r from `from` to `to`,
   * and the running values; nulls: how many of those rows are nulls, values[r] = NaN, to pass over (addNull is
   * called for them apart).
   */
  addCountedRun?(values: Float64Array, hashes: Uint32Array | undefined, from: number, to: number, nulls?: number, coded?: NumberDictionary): void;
  /** Whether addCountedRun reads the hashes it is given (without them, it hashes what it needs itself). */
  wantsHashes?(): boolean;
  getMoments?(out: Float64Array, at: number): void;
  setMoments?(from: Float64Array, at: number): void;
  /** The first GRID_ROWS rows of the dataset are in: a numeric column keeps the grid of its values so far. */
  settleGrid?(): void;
  toProfile(): ColumnProfile;
}
export type ProfilerFactory = (name: string, kind: 'numeric' | 'categorical') => ValueProfiler;

/** Counts of one check over one part of the data. */
export interface Tally {
  elements: number;
  unexpected: number;
  examples: Example[];
}

/** What inferSchema learns from the values of a column that has no rule. */
export interface TypeEvidence {
  nonNull: number;
  integers: number;
  numbers: number;
  booleans: number;
  datetimes: number;
  /** Values that came as numbers or booleans rather than text (JSON Lines): a string column would refuse them. */
  scalars: number;
  /** Whole numbers beyond ±2^53 (long ids): not exact as numbers, so neither integer nor number checks them. */
  unsafeIntegers: number;
  /**
   * Set when uniqueness was tracked: values seen more than once (decided on hashes). A part stops counting at its
   * first repeat, so this says whether there are any, not how many.
   */
  duplicates?: number;
}

export interface ColumnState {
  name: string;
  /** The schema's rule for it, or none (an extra column, or infer mode). */
  ruled: boolean;
  rows: number;
  nulls: number;
  /** Smallest and largest parsed value (numbers, epoch ms for datetimes); NaN when there was none. */
  min: number;
  max: number;
  tallies: Partial<Record<ColumnCheckKind, Tally>>;
  unique?: UniqueState;
  profile?: ColumnProfile;
  /** Columns without a rule: the profile as numbers, as datetimes and as values; the merge picks one. */
  candidates?: { numeric?: ColumnProfile; datetime?: ColumnProfile; boolean?: ColumnProfile; categorical: ColumnProfile };
  evidence?: TypeEvidence;
}

/** All a part of the data contributes. Structured-clonable, so workers can post it. */
export interface PartResult {
  source: string;
  columns: string[];
  rowCount: number;
  /** Lines the part spans, so the next part's line numbers can be shifted; 0 when the reader has no lines. */
  lineSpan: number;
  /** Lines of its file before the part that no earlier part spans (the header, before the first byte range). */
  lineBase: number;
  bytes: number;
  columnStates: ColumnState[];
  primaryKey?: { missing: Tally; unique: UniqueState };
  malformed: Tally;
  /** Columns no row of the part has (JSON Lines keys declared by the schema that no object had). */
  absentColumns?: string[];
  /** JSON Lines keys that first came after the columns were set, and were not read; row and line of the first. */
  lateColumns?: Array<{ name: string; row?: number; line?: number }>;
  /** A CSV byte range read to its end: the quote characters in it, which confirm where its file was split. */
  quotes?: number;
}

export interface CheckerOptions {
  /** Rules to check; without a schema every column is profiled and its type sniffed (infer mode). */
  schema?: DataSchema;
  profiler: ProfilerFactory;
  nativeTypes?: Array<string | undefined>;
  /** Distinct values kept in memory per uniqueness check before spilling to disk (see unique.ts). */
  uniqueMemoryCap?: number;
  spillDir?: string;
  /** Track uniqueness of columns without rules too (infer mode, to propose unique: true). */
  sniffUniqueness?: boolean;
  /** When given, the only columns read; the others are passed over: named, never read, checked or profiled. */
  readColumns?: string[];
}

function newTally(): Tally {
  return { elements: 0, unexpected: 0, examples: [] };
}

/** A cell as text for examples: at most 80 characters. */
export function cellText(cell: CellValue): string {
  let text: string;
  if (cell === null) text = 'null';
  else if (cell === undefined) text = '(missing)';
  else if (cell instanceof Date) text = Number.isNaN(cell.getTime()) ? 'Invalid Date' : cell.toISOString();
  else text = typeof cell === 'string' ? cell : String(cell);
  return detachedString(text.length > EXAMPLE_TEXT_LENGTH ? `${text.slice(0, EXAMPLE_TEXT_LENGTH - 1)}…` : text);
}

// ---------------------------------------------------------------- number parsing

const EXACT_POWERS = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** An integer written as optional sign and digits, or NaN. Beyond 2^53 it is not exact, so also NaN. */
export function parseIntegerText(text: string): number {
  const length = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  if (i === length) return NaN;
  // Up to 15 digits always fit in 2^53; longer ones are checked for exactness.
  if (length - i > 15) return parseLongInteger(text, i, negative);
  let value = 0;
  for (; i < length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** Whether text is an optional sign and digits, as an integer column takes it (of any length). */
function isIntegerLiteral(text: string): boolean {
  let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
  if (i === text.length) return false;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

function parseLongInteger(text: string, start: number, negative: boolean): number {
  if (!isIntegerLiteral(text)) return NaN;
  const value = Number(text.slice(start));
  return Number.isSafeInteger(value) ? (negative ? -value : value) : NaN;
}

/**
 * A decimal number (sign, digits, optional fraction, optional exponent), or NaN. Short numbers are computed
 * exactly from their digits (mantissa < 2^53 and a power of ten that is exact in binary), the rest by Number().
 */
export function parseNumberText(text: string): number {
  const length = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  for (; i < length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    if (mantissa > 0) significant++;
  }
  if (i < length && text.charCodeAt(i) === 46) {
    i++;
    for (; i < length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      scale--;
      if (mantissa > 0) significant++;
    }
  }
  if (digits === 0) return NaN;
  if (i < length) {
    const e = text.charCodeAt(i);
    if (e !== 101 && e !== 69) return NaN;
    i++;
    let exponentNegative = false;
    const sign = text.charCodeAt(i);
    if (sign === 45 || sign === 43) {
      exponentNegative = sign === 45;
      i++;
    }
    let exponent = 0;
    const exponentStart = i;
    for (; i < length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NaN;
      exponent = exponent * 10 + d;
    }
    if (i === exponentStart) return NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  let value: number;
  if (significant <= 15 && scale >= -22 && scale <= 22) value = scale < 0 ? mantissa / EXACT_POWERS[-scale] : mantissa * EXACT_POWERS[scale];
  else value = Number(text.slice(negative || first === 43 ? 1 : 0));
  if (!Number.isFinite(value)) return NaN;
  return negative ? -value : value;
}

// Byte versions of the parsers, for CSV cells read straight from the reader's buffer (no string per cell). They give
// what the text versions give on the decoded cell: a byte >= 0x80 is never a digit, sign, point or exponent, just as
// a non-ASCII character is not; the rare long numbers are handed to the text version.

/** parseIntegerText of the cell bytes buf[s, e). */
export function parseIntegerBytes(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let negative = false;
  const first = i < e ? buf[i] : -1;
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = s + 1;
  }
  if (i === e) return NaN;
  if (e - i > 15) return parseIntegerText(latin1Of(buf, s, e));
  let value = 0;
  for (; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** parseNumberText of the cell bytes buf[s, e). */
export function parseNumberBytes(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let negative = false;
  const first = i < e ? buf[i] : -1;
  if (first === 45 || first === 43) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  for (; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    if (mantissa > 0) significant++;
  }
  if (i < e && buf[i] === 46) {
    i++;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      scale--;
      if (mantissa > 0) significant++;
    }
  }
  if (digits === 0) return NaN;
  if (i < e) {
    const x = buf[i];
    if (x !== 101 && x !== 69) return NaN;
    i++;
    let exponentNegative = false;
    const sign = i < e ? buf[i] : -1;
    if (sign === 45 || sign === 43) {
      exponentNegative = sign === 45;
      i++;
    }
    let exponent = 0;
    const exponentStart = i;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return NaN;
      exponent = exponent * 10 + d;
    }
    if (i === exponentStart) return NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  // Only digits, sign, point and exponent got here: the text is ASCII, and the text version decides the hard cases.
  if (!(significant <= 15 && scale >= -22 && scale <= 22)) return parseNumberText(latin1Of(buf, s, e));
  const value = scale < 0 ? mantissa / EXACT_POWERS[-scale] : mantissa * EXACT_POWERS[scale];
  if (!Number.isFinite(value)) return NaN;
  return negative ? -value : value;
}

/** Boolean spellings, case-insensitive: true/false, 1/0, yes/no (as pandas, Frictionless and YAML 1.1 write them). */
export function parseBooleanText(text: string): boolean | undefined {
  switch (text.length) {
    case 1:
      return text === '1' ? true : text === '0' ? false : undefined;
    case 2:
      return text.toLowerCase() === 'no' ? false : undefined;
    case 3:
      return text.toLowerCase() === 'yes' ? true : undefined;
    case 4:
      return text.toLowerCase() === 'true' ? true : undefined;
    case 5:
      return text.toLowerCase() === 'false' ? false : undefined;
    default:
      return undefined;
  }
}

/** parseBooleanText of the cell bytes buf[s, e) (ASCII letters in any case). */
export function parseBooleanBytes(buf: Uint8Array, s: number, e: number): boolean | undefined {
  // Setting bit 0x20 lower-cases an ASCII letter; the words have no other characters.
  switch (e - s) {
    case 1:
      return buf[s] === 49 ? true : buf[s] === 48 ? false : undefined;
    case 2:
      return (buf[s] | 0x20) === 110 && (buf[s + 1] | 0x20) === 111 ? false : undefined;
    case 3:
      return (buf[s] | 0x20) === 121 && (buf[s + 1] | 0x20) === 101 && (buf[s + 2] | 0x20) === 115 ? true : undefined;
    case 4:
      return (buf[s] | 0x20) === 116 && (buf[s + 1] | 0x20) === 114 && (buf[s + 2] | 0x20) === 117 && (buf[s + 3] | 0x20) === 101 ? true : undefined;
    case 5:
      return (buf[s] | 0x20) === 102 && (buf[s + 1] | 0x20) === 97 && (buf[s + 2] | 0x20) === 108 && (buf[s + 3] | 0x20) === 115 && (buf[s + 4] | 0x20) === 101
        ? false
        : undefined;
    default:
      return undefined;
  }
}

function latin1Of(buf: Uint8Array, s: number, e: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
}

// ---------------------------------------------------------------- column checkers

/** Shared state and bookkeeping; subclasses hold the one loop each type needs. */
abstract class ColumnChecker {
  rows = 0;
  nulls = 0;
  min = NaN;
  max = NaN;
  readonly typeTally = newTally();
  readonly nullTally = newTally();
  readonly minTally?: Tally;
  readonly maxTally?: Tally;
  readonly allowedTally?: Tally;
  readonly patternTally?: Tally;
  readonly minLengthTally?: Tally;
  readonly maxLengthTally?: Tally;
  /** Set for a unique rule, or to find whether a column without a rule is unique (dropped at its first repeat). */
  unique?: UniqueTracker;
  protected readonly ruleMin: number;
  protected readonly ruleMax: number;
  protected readonly pattern?: RegExp;
  protected readonly minLength: number;
  protected readonly maxLength: number;
  protected readonly emptyIsNull: boolean;
  protected readonly otherMissing?: Set<string>;
  // The batch being consumed, for examples.
  protected firstRow = 1;
  protected lineOf?: (r: number) => number;

  constructor(
    readonly name: string,
    readonly rule: ColumnRule | undefined,
    missingValues: string[],
    options: CheckerOptions,
  ) {
    this.emptyIsNull = missingValues.includes('');
    const others = missingValues.filter((m) => m !== '');
    if (others.length > 0) this.otherMissing = new Set(others);
    this.ruleMin = rule?.min ?? -Infinity;
    this.ruleMax = rule?.max ?? Infinity;
    this.minLength = rule?.minLength ?? 0;
    this.maxLength = rule?.maxLength ?? Infinity;
    if (rule?.min !== undefined) this.minTally = newTally();
    if (rule?.max !== undefined) this.maxTally = newTally();
    if (rule?.allowed) this.allowedTally = newTally();
    if (rule?.pattern !== undefined) {
      this.patternTally = newTally();
      this.pattern = new RegExp(`^(?:${rule.pattern})$`);
    }
    if (rule?.minLength !== undefined) this.minLengthTally = newTally();
    if (rule?.maxLength !== undefined) this.maxLengthTally = newTally();
    if (rule?.unique || (!rule && options.sniffUniqueness)) {
      // Numbers and times have exact keys (numberKey) when whole: a duplicate found when merging shows its value.
      const exactValues = rule?.type === 'integer' || rule?.type === 'number' ? 'number' : rule?.type === 'datetime' ? 'time' : undefined;
      this.unique = new UniqueTracker(options.uniqueMemoryCap, options.spillDir, exactValues);
    }
  }

  abstract consume(values: ArrayLike<CellValue>, count: number): void;

  /** Checks column c of a CSV batch from its bytes; false when this checker needs the text (consume is used then). */
  consumeRaw(_raw: RawCells, _c: number, _count: number): boolean {
    return false;
  }

  /** Checks a typed column of a Parquet batch; false when this checker needs cell values (consume is used then). */
  consumeTyped(_column: TypedColumn, _count: number): boolean {
    return false;
  }

  /** See ValueProfiler.settleGrid. */
  settleGrid(): void {}

  begin(batch: RowBatch): void {
    this.firstRow = batch.firstRow;
    this.lineOf = batch.lineOf;
    this.rows += batch.rowCount;
  }

  protected isMissingText(text: string): boolean {
    return text.length === 0 ? this.emptyIsNull : this.otherMissing !== undefined && this.otherMissing.has(text);
  }

  protected note(tally: Tally, r: number, cell: CellValue): void {
    tally.unexpected++;
    if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(this.example(r, cell));
  }

  protected example(r: number, cell: CellValue): Example {
    const row = this.firstRow + r;
    return this.lineOf ? { row, line: this.lineOf(r), value: cellText(cell) } : { row, value: cellText(cell) };
  }

  protected noteNull(r: number, cell: CellValue): void {
    this.nulls++;
    if (this.nullTally.examples.length < MAX_EXAMPLES) this.nullTally.examples.push(this.example(r, cell));
  }

  /**
   * Whether the raw cell of row r, bytes [s, e), is missing: absent (s < 0), or empty where empty means null. A
   * missing cell is noted and counted as a null in profiler.
   */
  protected missingRaw(s: number, e: number, r: number, profiler: ValueProfiler): boolean {
    if (s >= 0 && (s !== e || !this.emptyIsNull)) return false;
    this.noteNull(r, s < 0 ? undefined : '');
    profiler.addNull();
    return true;
  }

  /** Whether row r of a typed column is null by its validity bitmap (from bit vo); a null is noted and counted. */
  protected missingTyped(validity: Uint8Array | undefined, vo: number, r: number, profiler: ValueProfiler): boolean {
    if (validity === undefined || (validity[(vo + r) >> 3] & (1 << ((vo + r) & 7))) !== 0) return false;
    this.noteNull(r, null);
    profiler.addNull();
    return true;
  }

  protected trackUnique(key: number, r: number, cell: CellValue, exact = false): void {
    const line = this.lineOf ? this.lineOf(r) : 0;
    if (this.unique!.add(key, this.firstRow + r, line, exact)) this.unique!.noteExample(this.firstRow + r, line, cellText(cell));
  }

  protected checkText(text: string, r: number, cell: CellValue): void {
    if (this.patternTally) {
      this.patternTally.elements++;
      if (!this.pattern!.test(text)) this.note(this.patternTally, r, cell);
    }
  }

  abstract finishProfile(): Pick<ColumnState, 'profile' | 'candidates' | 'evidence'>;

  state(): ColumnState {
    this.nullTally.elements = this.rows;
    this.nullTally.unexpected = this.nulls;
    const tallies: Partial<Record<ColumnCheckKind, Tally>> = { type: this.typeTally, nullable: this.nullTally };
    if (this.minTally) tallies.min = this.minTally;
    if (this.maxTally) tallies.max = this.maxTally;
    if (this.allowedTally) tallies.allowed = this.allowedTally;
    if (this.patternTally) tallies.pattern = this.patternTally;
    if (this.minLengthTally) tallies.minLength = this.minLengthTally;
    if (this.maxLengthTally) tallies.maxLength = this.maxLengthTally;
    return {
      name: this.name,
      ruled: this.rule !== undefined,
      rows: this.rows,
      nulls: this.nulls,
      min: this.min,
      max: this.max,
      tallies,
      ...(this.unique && { unique: this.unique.state() }),
      ...this.finishProfile(),
    };
  }
}

const INTEGER = 0;
const NUMBER = 1;
const ISO_DATETIME = 2;
const FORMATTED_DATETIME = 3;
/** See NumericChecker.allowedTable. */
const ALLOWED_TABLE_SPAN = 4096;

/** integer, number and datetime columns: every value becomes a number (epoch ms for datetimes). */
class NumericChecker extends ColumnChecker {
  private readonly mode: number;
  private readonly dateParser?: DateFormatParser;
  private readonly allowedNumbers?: Set<number>;
  /**
   * The allowed values when all are integers less than ALLOWED_TABLE_SPAN apart (codes, labels, ratings): 1 at
   * value - allowedLowest. A lookup in it cost a tenth of Set.has, which boxes a number that is not a small integer.
   */
  private readonly allowedTable?: Uint8Array;
  private readonly allowedLowest: number = 0;
  private readonly profiler: ValueProfiler;
  private readonly acceptsEpochNumbers: boolean;

  constructor(name: string, rule: ColumnRule, missingValues: string[], options: CheckerOptions, nativeType: string | undefined) {
    super(name, rule, missingValues, options);
    this.mode = rule.type === 'integer' ? INTEGER : rule.type === 'number' ? NUMBER : rule.format ? FORMATTED_DATETIME : ISO_DATETIME;
    if (rule.format) this.dateParser = new DateFormatParser(rule.format);
    if (rule.allowed) {
      const allowed = (this.allowedNumbers = new Set(rule.allowed.map((v) => this.parseText(v))));
      const values = [...allowed];
      if (values.length > 0 && values.every(Number.isSafeInteger)) {
        const lowest = values.reduce((a, b) => Math.min(a, b));
        const span = values.reduce((a, b) => Math.max(a, b)) - lowest + 1;
        if (span <= ALLOWED_TABLE_SPAN) {
          this.allowedTable = new Uint8Array(span);
          for (const x of values) this.allowedTable[x - lowest] = 1;
          this.allowedLowest = lowest;
        }
      }
    }
    this.profiler = options.profiler(name, 'numeric');
    this.acceptsEpochNumbers = nativeType !== undefined && /^(timestamp|date)/i.test(nativeType);
  }

  private parseText(text: string): number {
    switch (this.mode) {
      case INTEGER:
        return parseIntegerText(text);
      case NUMBER:
        return parseNumberText(text);
      case ISO_DATETIME:
        return parseIsoDateTime(text);
      default:
        return this.dateParser!.parse(text);
    }
  }

  private parseTyped(cell: number | boolean | bigint | Date): number {
    const isDate = this.mode >= ISO_DATETIME;
    if (typeof cell === 'number') {
      if (isDate) return this.acceptsEpochNumbers ? cell : NaN;
      if (!Number.isFinite(cell)) return NaN;
      return this.mode === INTEGER && !Number.isSafeInteger(cell) ? NaN : cell;
    }
    if (typeof cell === 'bigint') {
      if (isDate && !this.acceptsEpochNumbers) return NaN;
      const value = Number(cell);
      return Number.isSafeInteger(value) ? value : NaN;
    }
    if (cell instanceof Date) return isDate ? cell.getTime() : NaN;
    return NaN;
  }

  consume(values: ArrayLike<CellValue>, count: number): void {
    const profiler = this.profiler;
    const typeTally = this.typeTally;
    const ruleMin = this.ruleMin;
    const ruleMax = this.ruleMax;
    let min = this.min;
    let max = this.max;
    for (let r = 0; r < count; r++) {
      const cell = values[r];
      let x: number;
      if (typeof cell === 'string') {
        if (this.isMissingText(cell)) {
          this.noteNull(r, cell);
          profiler.addNull();
          continue;
        }
        x = this.parseText(cell);
      } else if (cell === null || cell === undefined) {
        this.noteNull(r, cell);
        profiler.addNull();
        continue;
      } else x = this.parseTyped(cell);
      typeTally.elements++;
      if (x !== x) {
        this.note(typeTally, r, cell);
        continue;
      }
      if (!(x >= min)) min = x;
      if (!(x <= max)) max = x;
      if (x < ruleMin) {
        this.minTally!.elements++;
        this.note(this.minTally!, r, cell);
      } else if (this.minTally) this.minTally.elements++;
      if (x > ruleMax) {
        this.maxTally!.elements++;
        this.note(this.maxTally!, r, cell);
      } else if (this.maxTally) this.maxTally.elements++;
      if (this.allowedNumbers) {
        this.allowedTally!.elements++;
        if (!this.allowedNumbers.has(x)) this.note(this.allowedTally!, r, cell);
      }
      if (this.patternTally) this.checkText(typeof cell === 'string' ? cell : cellText(cell), r, cell);
      if (this.unique) {
        const k = numberKey(x);
        this.trackUnique(k.key, r, cell, k.exact);
      }
      profiler.addNumber(x);
    }
    this.min = min;
    this.max = max;
  }

  /**
   * The loop of consume over cell bytes. A cell's text is only decoded for an example and for a cell with "" inside.
   * Patterns and extra missing values need the text: consume does those.
   */
  consumeRaw(raw: RawCells, c: number, count: number): boolean {
    if (this.patternTally !== undefined || this.otherMissing !== undefined || this.mode === FORMATTED_DATETIME) return false;
    const profiler = this.profiler;
    const typeTally = this.typeTally;
    const ruleMin = this.ruleMin;
    const ruleMax = this.ruleMax;
    const mode = this.mode;
    const buf = raw.buffer;
    const starts = raw.starts;
    const ends = raw.ends;
    const flags = raw.flags;
    const base = c * raw.stride;
    // Runs of rows the WebAssembly kernel settles alone (parsed, counted, checked against min and max); each row it
    // stops before is read here, as every row is without it.
    const kernel = profiler.addCountedRun && profiler.getMoments && profiler.setMoments ? NumberCells.forThread() : undefined;
    const fast = kernel !== undefined && kernel.load(raw, c, count) ? kernel : undefined;
    const kernelMode = mode === INTEGER ? PARSE_INTEGER : mode === NUMBER ? PARSE_NUMBER : PARSE_ISO_DATETIME;
    // The cells missingRaw takes as nulls.
    const nullsAs = this.emptyIsNull ? NULLS_ABSENT_OR_EMPTY : NULLS_ABSENT;
    const cellAt = (r: number) => raw.text(c, r);
    let min = this.min;
    let max = this.max;
    for (let r = 0; r < count; r++) {
      if (fast !== undefined) {
        this.min = min;
        this.max = max;
        const stop = this.settle(fast, r, kernelMode, nullsAs, cellAt);
        min = this.min;
        max = this.max;
        if (stop === count) break;
        r = stop;
      }
      const i = base + r;
      const s = starts[i];
      const e = ends[i];
      if (this.missingRaw(s, e, r, profiler)) continue;
      let x: number;
      if (flags[i] & RAW_ESCAPED) x = this.parseText(raw.text(c, r)!);
      else x = mode === INTEGER ? parseIntegerBytes(buf, s, e) : mode === NUMBER ? parseNumberBytes(buf, s, e) : parseIsoDateTimeBytes(buf, s, e);
      typeTally.elements++;
      if (x !== x) {
        this.note(typeTally, r, raw.text(c, r));
        continue;
      }
      if (!(x >= min)) min = x;
      if (!(x <= max)) max = x;
      if (x < ruleMin) {
        this.minTally!.elements++;
        this.note(this.minTally!, r, raw.text(c, r));
      } else if (this.minTally) this.minTally.elements++;
      if (x > ruleMax) {
        this.maxTally!.elements++;
        this.note(this.maxTally!, r, raw.text(c, r));
      } else if (this.maxTally) this.maxTally.elements++;
      this.allowedAndUnique(x, r, cellAt);
      profiler.addNumber(x);
    }
    this.min = min;
    this.max = max;
    return true;
  }

  /**
   * allowedAndUnique's checks of a run of rows, values[r] for r from `from` to `to`: a loop each, in functions of
   * their own, so the numbers stay unboxed.
   */
  private allowedRun(values: Float64Array, from: number, to: number, nulls: number, cellAt: (r: number) => CellValue | undefined): void {
    const tally = this.allowedTally!;
    tally.elements += to - from - nulls;
    const table = this.allowedTable;
    if (table !== undefined) {
      const lowest = this.allowedLowest;
      const span = table.length;
      for (let r = from; r < to; r++) {
        const i = values[r] - lowest;
        // NaN: a null (see settle).
        if (!((i | 0) === i && i >= 0 && i < span && table[i] === 1) && i === i) this.note(tally, r, cellAt(r));
      }
      return;
    }
    const allowed = this.allowedNumbers!;
    for (let r = from; r < to; r++) if (!allowed.has(values[r]) && values[r] === values[r]) this.note(tally, r, cellAt(r));
  }

  private uniqueRun(values: Float64Array, from: number, to: number, cellAt: (r: number) => CellValue | undefined): void {
    const unique = this.unique!;
    for (let r = from; r < to; r++) {
      const x = values[r];
      if (x !== x) continue; // a null (see settle)
      const line = this.lineOf ? this.lineOf(r) : 0;
      if (unique.addNumber(x, this.firstRow + r, line)) unique.noteExample(this.firstRow + r, line, cellText(cellAt(r)));
    }
  }

  /** The allowed values and uniqueness checks of the number x of row r (cellAt: the cell, for an example). */
  private allowedAndUnique(x: number, r: number, cellAt: (r: number) => CellValue | undefined): void {
    if (this.allowedNumbers) {
      this.allowedTally!.elements++;
      if (!this.allowedNumbers.has(x)) this.note(this.allowedTally!, r, cellAt(r));
    }
    if (this.unique) {
      const line = this.lineOf ? this.lineOf(r) : 0;
      if (this.unique.addNumber(x, this.firstRow + r, line)) this.unique.noteExample(this.firstRow + r, line, cellText(cellAt(r)));
    }
  }

  /**
   * Runs the kernel (loaded with this column's batch) from row `from` on, as mode, with the running values handed
   * over both ways (this.min, this.max and the profiler's), and takes the rows it settles: their tallies, the checks
   * it does not do (allowed values, uniqueness), and their distribution. Missing cells it takes as nulls as nullsAs
   * says (NULLS_*), once the nulls have all the examples they keep: then a null is only counted, which it does.
   * Returns the row it stopped before.
   */
  private settle(kernel: NumberCells, from: number, mode: number, nullsAs: number, cellAt: (r: number) => CellValue | undefined, coded?: NumberDictionary): number {
    const profiler = this.profiler;
    const state = kernel.state;
    state[STATE_CHECK_MIN] = this.min;
    state[STATE_CHECK_MAX] = this.max;
    state[STATE_NULLS] = 0;
    profiler.getMoments!(state, STATE_MOMENTS);
    // A dictionary's entries are hashed once each, not each row (see addCountedRun).
    const hashing = coded === undefined && (profiler.wantsHashes?.() ?? true);
    const to = kernel.accumulate(from, mode, this.ruleMin, this.ruleMax, hashing, this.nullTally.examples.length < MAX_EXAMPLES ? NULLS_STOP : nullsAs);
    this.min = state[STATE_CHECK_MIN];
    this.max = state[STATE_CHECK_MAX];
    profiler.setMoments!(state, STATE_MOMENTS);
    const nulls = state[STATE_NULLS];
    this.nulls += nulls;
    for (let i = 0; i < nulls; i++) profiler.addNull();
    const n = to - from - nulls;
    this.typeTally.elements += n;
    if (this.minTally) this.minTally.elements += n;
    if (this.maxTally) this.maxTally.elements += n;
    const values = kernel.values;
    const hashes = hashing ? kernel.hashes : undefined;
    if (this.allowedNumbers !== undefined) this.allowedRun(values, from, to, nulls, cellAt);
    if (this.unique !== undefined) this.uniqueRun(values, from, to, cellAt);
    profiler.addCountedRun!(values, hashes, from, to, nulls, coded);
    return to;
  }

  /**
   * The loop of consume over a typed column's numbers, with what parseTyped makes of each cell decided once per
   * column. A cell value is only made for an example. Patterns need the text: consume does those.
   */
  consumeTyped(column: TypedColumn, count: number): boolean {
    if (column.kind !== 'numbers' || this.patternTally !== undefined) return false;
    const profiler = this.profiler;
    const typeTally = this.typeTally;
    const ruleMin = this.ruleMin;
    const ruleMax = this.ruleMax;
    const values = column.values;
    const validity = column.validity;
    const vo = column.validityOffset;
    const isDate = this.mode >= ISO_DATETIME;
    // A Date is a value of datetime columns only; a number of a datetime column only when the file's type is a
    // time; otherwise a number must be finite, and for integer columns whole and within ±2^53.
    const rejected = column.time ? !isDate : isDate && !this.acceptsEpochNumbers;
    const finiteOnly = !column.time && !isDate;
    const wholeOnly = finiteOnly && this.mode === INTEGER;
    const cellAt = (r: number) => column.cell(r);
    // Runs of rows the kernel settles alone (see consumeRaw), in the mode that takes what this loop takes.
    const kernel = !rejected && profiler.addCountedRun && profiler.getMoments && profiler.setMoments ? NumberCells.forThread() : undefined;
    const fast = kernel !== undefined && kernel.loadNumbers(values, validity, vo, count) ? kernel : undefined;
    const kernelMode = wholeOnly ? TAKE_WHOLE : finiteOnly ? TAKE_FINITE : TAKE_ANY;
    const dictionary = column.dictionary;
    let min = this.min;
    let max = this.max;
    for (let r = 0; r < count; r++) {
      if (fast !== undefined) {
        this.min = min;
        this.max = max;
        // Counted by dictionary entry only where the entries are fewer than the rows left (see addCountedRun): else
        // the kernel hashes the values for the distinct count, which JavaScript would do after it.
        const coded = dictionary !== undefined && dictionary.size <= count - r ? dictionary : undefined;
        const stop = this.settle(fast, r, kernelMode, NULLS_ABSENT, cellAt, coded);
        min = this.min;
        max = this.max;
        if (stop === count) break;
        r = stop;
      }
      if (this.missingTyped(validity, vo, r, profiler)) continue;
      let x = rejected ? NaN : values[r];
      if (finiteOnly && (x - x !== 0 || (wholeOnly && !Number.isSafeInteger(x)))) x = NaN;
      typeTally.elements++;
      if (x !== x) {
        this.note(typeTally, r, column.cell(r));
        continue;
      }
      if (!(x >= min)) min = x;
      if (!(x <= max)) max = x;
      if (x < ruleMin) {
        this.minTally!.elements++;
        this.note(this.minTally!, r, column.cell(r));
      } else if (this.minTally) this.minTally.elements++;
      if (x > ruleMax) {
        this.maxTally!.elements++;
        this.note(this.maxTally!, r, column.cell(r));
      } else if (this.maxTally) this.maxTally.elements++;
      this.allowedAndUnique(x, r, cellAt);
      profiler.addNumber(x);
    }
    this.min = min;
    this.max = max;
    return true;
  }

  settleGrid(): void {
    this.profiler.settleGrid?.();
  }

  finishProfile(): Pick<ColumnState, 'profile'> {
    return { profile: this.profiler.toProfile() };
  }
}

/**
 * The span [lo, hi) of bytes that these values lie in (a batch's slices share one buffer of values, which is far
 * larger than one slice's): from the first and the last when they lie in row order (TypedUtf8.ordered).
 */
function valuesSpan(bytes: Buffer, starts: Int32Array, ends: Int32Array, count: number, ordered = false): { lo: number; hi: number } {
  if (ordered && count > 0) return starts[0] < ends[count - 1] ? { lo: starts[0], hi: ends[count - 1] } : { lo: 0, hi: 0 };
  let lo = bytes.length;
  let hi = 0;
  for (let r = 0; r < count; r++) {
    if (starts[r] < lo) lo = starts[r];
    if (ends[r] > hi) hi = ends[r];
  }
  return lo < hi ? { lo, hi } : { lo: 0, hi: 0 };
}

/** distinctAscii's verdict of a pattern not yet tested. */
const UNDECIDED = 2;

/** Distinct values a text column remembers by their bytes (with what the checks said about each). */
const INTERN_CAP = 4096;
/** Entries of ByteInterner.quick; QUICK_SHARED marks a key of several values. */
const QUICK_SIZE = 4096;
const QUICK_SHARED = -1;

/** ByteInterner.quick's key of a value of n bytes that starts with byte first and ends with byte last. */
function quickKey(first: number, last: number, n: number): number {
  return (((first * 31 + last) << 3) + n) & (QUICK_SIZE - 1);
}

/** Room for distinct values an interner starts with, doubled as needed: a category of a few values stays small. */
const INTERN_START = 64;

/**
 * The distinct values of a text column seen so far, found again by their bytes: a repeated value needs no string,
 * no Set or Map lookup and no regular expression, only a hash of its bytes. Its checks are decided once, when it is
 * first seen, and its repeats are counted here and handed to the profile at the end.
 */
class ByteInterner {
  /** Open addressing, twice the room for values: the id of the value in each slot, -1 when empty. */
  private slots = new Int32Array(INTERN_START * 2).fill(-1);
  private mask = INTERN_START * 2 - 1;
  private hashes = new Int32Array(INTERN_START);
  private offsets = new Int32Array(INTERN_START);
  private lengths = new Int32Array(INTERN_START);
  private bytes = Buffer.alloc(4096);
  private used = 0;
  size = 0;
  readonly texts: string[] = [];
  /** Per value: bit 1 fails minLength, 2 maxLength, 4 allowed, 8 pattern. */
  fails = new Uint8Array(INTERN_START);
  uniqueKeys = new Float64Array(INTERN_START);
  repeats = new Float64Array(INTERN_START);

  /**
   * Each value's id + 1 by its length and first and last bytes (quickKey), where no other value has the same key
   * (then QUICK_SHARED): for a column of a few categories, most cells are found without hashing them.
   */
  private readonly quick = new Int32Array(QUICK_SIZE);

  /**
   * The id of the value of bytes [s, e) when quick names one with these bytes, else -1 (the value may still be known:
   * find it by its hash).
   */
  quickFind(buf: Uint8Array, s: number, e: number): number {
    const n = e - s;
    if (n === 0) return -1;
    const id = this.quick[quickKey(buf[s], buf[e - 1], n)] - 1;
    if (id < 0 || this.lengths[id] !== n) return -1;
    const o = this.offsets[id];
    const bytes = this.bytes;
    for (let k = 0; k < n; k++) if (bytes[o + k] !== buf[s + k]) return -1;
    return id;
  }

  /** The value's id, or -1 when it is not known; slot gets where it would go. */
  find(buf: Uint8Array, s: number, e: number, h: number): number {
    const n = e - s;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const id = this.slots[slot];
      if (id < 0) {
        this.freeSlot = slot;
        return -1;
      }
      if (this.hashes[id] === (h | 0) && this.lengths[id] === n) {
        const o = this.offsets[id];
        const bytes = this.bytes;
        let k = 0;
        while (k < n && bytes[o + k] === buf[s + k]) k++;
        if (k === n) return id;
      }
      slot = (slot + 1) & mask;
    }
  }

  freeSlot = 0;

  /** The values as NumberCells.findIds looks cells up in them. */
  dictionary(): ByteDictionary {
    return { size: this.size, slots: this.slots, hashes: this.hashes, offsets: this.offsets, lengths: this.lengths, bytes: this.bytes, used: this.used };
  }

  /** Adds the value find() just missed; its id. */
  add(buf: Buffer, s: number, e: number, h: number, text: string): number {
    if (this.size === this.hashes.length) this.grow(h);
    const id = this.size++;
    const n = e - s;
    if (this.used + n > this.bytes.length) {
      const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.used + n));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    buf.copy(this.bytes, this.used, s, e);
    this.offsets[id] = this.used;
    this.lengths[id] = n;
    this.hashes[id] = h | 0;
    this.used += n;
    this.texts.push(text);
    this.slots[this.freeSlot] = id;
    if (n > 0) {
      const q = quickKey(buf[s], buf[e - 1], n);
      this.quick[q] = this.quick[q] === 0 ? id + 1 : QUICK_SHARED;
    }
    return id;
  }

  /** Twice the room for values; freeSlot becomes where a value of hash h goes in the new table. */
  private grow(h: number): void {
    const capacity = this.hashes.length * 2;
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const out = make(capacity);
      out.set(a);
      return out;
    };
    this.hashes = widen(this.hashes, (n) => new Int32Array(n));
    this.offsets = widen(this.offsets, (n) => new Int32Array(n));
    this.lengths = widen(this.lengths, (n) => new Int32Array(n));
    this.fails = widen(this.fails, (n) => new Uint8Array(n));
    this.uniqueKeys = widen(this.uniqueKeys, (n) => new Float64Array(n));
    this.repeats = widen(this.repeats, (n) => new Float64Array(n));
    this.slots = new Int32Array(capacity * 2).fill(-1);
    this.mask = capacity * 2 - 1;
    const free = (hash: number) => {
      let slot = hash & this.mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
      return slot;
    };
    for (let id = 0; id < this.size; id++) this.slots[free(this.hashes[id])] = id;
    this.freeSlot = free(h);
  }
}

/** string and category columns: values are compared as text. */
class TextChecker extends ColumnChecker {
  private readonly allowedTexts?: Set<string>;
  private readonly profiler: ValueProfiler;
  private readonly acceptsScalars: boolean;
  /** Raw CSV cells: repeated values by their bytes; undefined once too few values repeat to be worth it. */
  private interner?: ByteInterner;
  private interning = true;
  /** The pattern as a matcher of ASCII bytes, when it compiles to one (see ascii-pattern.ts). */
  private readonly asciiPattern?: AsciiMatcher;

  constructor(name: string, rule: ColumnRule, missingValues: string[], options: CheckerOptions) {
    super(name, rule, missingValues, options);
    if (rule.allowed) this.allowedTexts = new Set(rule.allowed);
    this.profiler = options.profiler(name, 'categorical');
    // A category may be written as a JSON number or boolean (label: 1); free text must be text.
    this.acceptsScalars = rule.type === 'category';
    if (rule.pattern !== undefined) this.asciiPattern = compileAsciiPattern(rule.pattern);
  }

  consume(values: ArrayLike<CellValue>, count: number): void {
    const profiler = this.profiler;
    const typeTally = this.typeTally;
    for (let r = 0; r < count; r++) {
      const cell = values[r];
      let text: string;
      if (typeof cell === 'string') {
        if (this.isMissingText(cell)) {
          this.noteNull(r, cell);
          profiler.addNull();
          continue;
        }
        text = cell;
      } else if (cell === null || cell === undefined) {
        this.noteNull(r, cell);
        profiler.addNull();
        continue;
      } else if (this.acceptsScalars && (typeof cell === 'number' || typeof cell === 'boolean' || typeof cell === 'bigint')) {
        text = String(cell);
      } else {
        typeTally.elements++;
        this.note(typeTally, r, cell);
        continue;
      }
      this.consumeOne(text, r);
    }
  }

  /**
   * consume over cell bytes: a value seen before (by its bytes) repeats the checks' verdicts on it; a new one is
   * decoded and checked as text. Cells with "" inside, and all cells once the column proves to be mostly distinct
   * values, go the text way.
   */
  consumeRaw(raw: RawCells, c: number, count: number): boolean {
    if (this.otherMissing !== undefined || this.profiler.addTextRepeats === undefined) return false;
    if (!this.interning) return this.consumeDistinctRaw(raw, c, count);
    const interner = (this.interner ??= new ByteInterner());
    const buf = raw.buffer;
    const base = c * raw.stride;
    let misses = 0;
    // The values seen before the batch, found by the WebAssembly kernel; the others (and values first seen in the
    // batch) are found here.
    const kernel = interner.size > 0 ? NumberCells.forThread() : undefined;
    const ids = kernel !== undefined && kernel.load(raw, c, count) ? kernel.findIds(interner.dictionary()) : undefined;
    // Repeats of values that pass every check are counted here and their tallies at the end (passing); other ones
    // (with uniqueness, every one) go through repeat.
    const each = this.unique !== undefined;
    let passing = 0;
    for (let r = 0; r < count; r++) {
      if (ids !== undefined && ids[r] >= 0) {
        const id = ids[r];
        if (each || interner.fails[id] !== 0) this.repeat(interner, id, r);
        else {
          interner.repeats[id]++;
          passing++;
        }
        continue;
      }
      const i = base + r;
      const s = raw.starts[i];
      const e = raw.ends[i];
      if (this.missingRaw(s, e, r, this.profiler)) continue;
      if (raw.flags[i] & RAW_ESCAPED) {
        this.consumeOne(raw.text(c, r)!, r);
        continue;
      }
      let id = interner.quickFind(buf, s, e);
      let h = 0;
      if (id < 0) id = interner.find(buf, s, e, (h = hashAsciiBytes(buf, s, e)));
      if (id < 0) {
        misses++;
        if (interner.size < INTERN_CAP) {
          // A string of its own: a substring of the batch's text would keep the whole batch alive in the profile.
          const text = buf.toString(raw.latin1 ? 'latin1' : 'utf8', s, e);
          this.consumeOne(text, r);
          this.remember(interner, buf, s, e, h, text);
        } else this.consumeOne(raw.text(c, r)!, r);
        continue;
      }
      this.repeat(interner, id, r);
    }
    this.passed(passing);
    // A full table that keeps missing means mostly distinct values: hashing them only adds work.
    if (interner.size >= INTERN_CAP && misses * 2 > count) this.interning = false;
    return true;
  }

  /**
   * consumeRaw for a column of mostly distinct values (free text, e-mails, ids): ASCII cells are profiled from their
   * bytes, and only decoded when a check needs the text (a pattern, allowed values, uniqueness) or for an example.
   */
  private consumeDistinctRaw(raw: RawCells, c: number, count: number): boolean {
    if (raw.asciiOnly === undefined || !raw.asciiOnly() || this.profiler.addAsciiBytes === undefined) return false;
    const profiler = this.profiler;
    const buf = raw.buffer;
    const base = c * raw.stride;
    const needsText = this.distinctNeedsText();
    const decode = (r: number) => raw.text(c, r)!;
    // From the WebAssembly kernel, which reads a word where JavaScript reads a byte: the cells' profile (counted),
    // or their hashes for it, and the pattern's verdicts.
    const kernel = NumberCells.forThread();
    const loaded = kernel !== undefined && kernel.load(raw, c, count);
    const counted = loaded ? profiler.addLoadedCells?.(kernel) : undefined;
    const hashes = loaded && counted === undefined ? kernel.hashTexts() : undefined;
    const verdicts = loaded && !needsText && this.patternTally !== undefined ? kernel.matchCells(this.asciiPattern!.dfa) : undefined;
    let clean = 0;
    for (let r = 0; r < count; r++) {
      const i = base + r;
      const s = raw.starts[i];
      const e = raw.ends[i];
      if (counted !== undefined && counted[r] !== -2) {
        const verdict = verdicts !== undefined ? verdicts[r] : UNDECIDED;
        // Tallied with the others like it after the loop (see passesOnBytes).
        if (!needsText && this.passesOnBytes(e - s, verdict)) clean++;
        else this.distinctChecks(buf, s, e, r, needsText, decode, verdict, true);
        continue;
      }
      if (this.missingRaw(s, e, r, profiler)) continue;
      if (raw.flags[i] & RAW_ESCAPED) {
        const n = this.unescape(buf, s, e);
        this.distinctAscii(this.unescaped, 0, n, hashAsciiBytes(this.unescaped, 0, n), r, needsText, decode);
      } else this.distinctAscii(buf, s, e, hashes !== undefined ? hashes[r] : hashAsciiBytes(buf, s, e), r, needsText, decode, verdicts !== undefined ? verdicts[r] : UNDECIDED);
    }
    this.passed(clean);
    return true;
  }

  /** The bytes of the last escaped cell unescape read, each "" as one ". */
  private unescaped = new Uint8Array(256);

  /** Writes bytes [s, e) of a cell with "" inside into this.unescaped, each "" as one "; returns their length. */
  private unescape(buf: Uint8Array, s: number, e: number): number {
    if (this.unescaped.length < e - s) this.unescaped = new Uint8Array(2 * (e - s));
    const out = this.unescaped;
    let k = 0;
    for (let i = s; i < e; i++) {
      const b = buf[i];
      out[k++] = b;
      if (b === 0x22) i++;
    }
    return k;
  }

  /**
   * One non-null ASCII value of a mostly distinct column, bytes [s, e) (h: their hashAsciiBytes): profiled from its
   * bytes, and decoded (by decode(r)) only when a check needs its text, or for an example. verdict: the pattern's
   * on the bytes when known (1 matches, 0 does not), else UNDECIDED.
   */
  private distinctAscii(bytes: Uint8Array, s: number, e: number, h: number, r: number, needsText: boolean, decode: (r: number) => string, verdict = UNDECIDED): void {
    this.distinctChecks(bytes, s, e, r, needsText, decode, verdict, this.profiler.addAsciiBytes!(bytes, s, e, h));
  }

  /**
   * Whether an ASCII value of this length, with this verdict of the pattern on its bytes (UNDECIDED: none), passes
   * every check distinctChecks makes of it when its text is not needed: then a value the profile counted needs only
   * the tallies, which the loops over a batch add for all such values at once (passed), with no call per value.
   */
  private passesOnBytes(length: number, verdict: number): boolean {
    return length >= this.minLength && length <= this.maxLength && (verdict === 1 || (verdict === UNDECIDED && this.patternTally === undefined));
  }

  /** distinctAscii's checks, once the profile counted the value (counted), or not (then addText of its text). */
  private distinctChecks(bytes: Uint8Array, s: number, e: number, r: number, needsText: boolean, decode: (r: number) => string, verdict: number, counted: boolean): void {
    if (needsText) {
      this.consumeOne(decode(r), r, !counted);
      return;
    }
    // Length checks (an ASCII value's length is its byte count) and the pattern on the bytes.
    this.typeTally.elements++;
    const length = e - s;
    if (this.minLengthTally) {
      this.minLengthTally.elements++;
      if (length < this.minLength) this.note(this.minLengthTally, r, decode(r));
    }
    if (this.maxLengthTally) {
      this.maxLengthTally.elements++;
      if (length > this.maxLength) this.note(this.maxLengthTally, r, decode(r));
    }
    if (this.patternTally) {
      this.patternTally.elements++;
      if (verdict === 1 ? false : verdict === 0 || !this.asciiPattern!.test(bytes, s, e)) this.note(this.patternTally, r, decode(r));
    }
    if (!counted) this.profiler.addText(decode(r));
  }

  /** Whether a mostly distinct column's checks need each value's text (otherwise its bytes do). */
  private distinctNeedsText(): boolean {
    return (this.patternTally !== undefined && this.asciiPattern === undefined) || this.allowedTexts !== undefined || this.unique !== undefined;
  }

  /**
   * consume over a typed UTF-8 column (Parquet): repeated values by their bytes as consumeRaw does, or, once the
   * column proves to be mostly distinct values (or with extra missing values), each value decoded and checked as text.
   */
  consumeTyped(column: TypedColumn, count: number): boolean {
    if (column.kind !== 'utf8') return false;
    // Each way of reading the batch is a method of its own, optimised on its own: one function for all three was
    // deoptimised and optimised again each time a column took a way it had not taken yet.
    if (this.otherMissing === undefined && !this.interning && this.profiler.addAsciiBytes !== undefined) {
      const span = valuesSpan(column.bytes, column.starts, column.ends, count, column.ordered);
      if (isAscii(column.bytes.subarray(span.lo, span.hi))) return this.consumeTypedDistinct(column, count, span);
      return this.consumeTypedTexts(column, count);
    }
    if (this.otherMissing !== undefined || !this.interning || this.profiler.addTextRepeats === undefined) return this.consumeTypedTexts(column, count);
    return this.consumeTypedRepeats(column, count);
  }

  /**
   * consumeTyped of mostly distinct ASCII values, as consumeDistinctRaw reads them, with the kernel's profile (of a
   * batch without nulls: the kernel does not see the validity bitmap) or hashes, and verdicts. span: where the
   * values' bytes lie.
   */
  private consumeTypedDistinct(column: Extract<TypedColumn, { kind: 'utf8' }>, count: number, span: { lo: number; hi: number }): boolean {
    const profiler = this.profiler;
    const { bytes, starts, ends, validity, validityOffset: vo } = column;
    const needsText = this.distinctNeedsText();
    const decode = (r: number) => arrowText(bytes, starts[r], ends[r]);
    const kernel = NumberCells.forThread();
    const loaded = kernel !== undefined && kernel.loadValues(bytes, starts, ends, count, span.lo, span.hi);
    const counted = loaded && validity === undefined ? profiler.addLoadedCells?.(kernel) : undefined;
    const hashes = loaded && counted === undefined ? kernel.hashTexts() : undefined;
    const verdicts = loaded && !needsText && this.patternTally !== undefined ? kernel.matchCells(this.asciiPattern!.dfa) : undefined;
    let clean = 0;
    for (let r = 0; r < count; r++) {
      const s = starts[r];
      const e = ends[r];
      if (counted !== undefined && counted[r] !== -2) {
        const verdict = verdicts !== undefined ? verdicts[r] : UNDECIDED;
        if (!needsText && this.passesOnBytes(e - s, verdict)) clean++;
        else this.distinctChecks(bytes, s, e, r, needsText, decode, verdict, true);
        continue;
      }
      if (this.missingTyped(validity, vo, r, profiler)) continue;
      if (this.missingRaw(s, e, r, profiler)) continue;
      this.distinctAscii(bytes, s, e, hashes !== undefined ? hashes[r] : hashAsciiBytes(bytes, s, e), r, needsText, decode, verdicts !== undefined ? verdicts[r] : UNDECIDED);
    }
    this.passed(clean);
    return true;
  }

  /** consumeTyped of each value as a text, checked on its own. */
  private consumeTypedTexts(column: Extract<TypedColumn, { kind: 'utf8' }>, count: number): boolean {
    const profiler = this.profiler;
    const { bytes, starts, ends, validity, validityOffset: vo } = column;
    for (let r = 0; r < count; r++) {
      if (this.missingTyped(validity, vo, r, profiler)) continue;
      const text = arrowText(bytes, starts[r], ends[r]);
      if (this.isMissingText(text)) {
        this.noteNull(r, text);
        profiler.addNull();
        continue;
      }
      this.consumeOne(text, r);
    }
    return true;
  }

  /** consumeTyped of a column of repeated values, each found among those remembered (see consumeRaw). */
  private consumeTypedRepeats(column: Extract<TypedColumn, { kind: 'utf8' }>, count: number): boolean {
    const profiler = this.profiler;
    const { bytes, starts, ends, validity, validityOffset: vo } = column;
    const interner = (this.interner ??= new ByteInterner());
    let misses = 0;
    // The values seen before the batch: by their dictionary entries, each looked up once, or found by the kernel
    // (see consumeRaw).
    const dictionary = column.dictionary;
    let ids: Int32Array | undefined;
    if (dictionary !== undefined && dictionary.size <= count) ids = this.dictionaryIds(interner, bytes, dictionary, count);
    else {
      const kernel = interner.size > 0 ? NumberCells.forThread() : undefined;
      if (kernel !== undefined) {
        const span = valuesSpan(bytes, starts, ends, count, column.ordered);
        if (kernel.loadValues(bytes, starts, ends, count, span.lo, span.hi)) ids = kernel.findIds(interner.dictionary());
      }
    }
    const each = this.unique !== undefined;
    let passing = 0;
    for (let r = 0; r < count; r++) {
      if (this.missingTyped(validity, vo, r, profiler)) continue;
      if (ids !== undefined && ids[r] >= 0) {
        const id = ids[r];
        if (each || interner.fails[id] !== 0) this.repeat(interner, id, r);
        else {
          interner.repeats[id]++;
          passing++;
        }
        continue;
      }
      const s = starts[r];
      const e = ends[r];
      if (this.missingRaw(s, e, r, profiler)) continue;
      let id = interner.quickFind(bytes, s, e);
      let h = 0;
      if (id < 0) id = interner.find(bytes, s, e, (h = hashAsciiBytes(bytes, s, e)));
      if (id < 0) {
        misses++;
        const text = arrowText(bytes, s, e);
        this.consumeOne(text, r);
        if (interner.size < INTERN_CAP) this.remember(interner, bytes, s, e, h, text);
        continue;
      }
      this.repeat(interner, id, r);
    }
    this.passed(passing);
    // A full table that keeps missing means mostly distinct values: hashing them only adds work.
    if (interner.size >= INTERN_CAP && misses * 2 > count) this.interning = false;
    return true;
  }

  /** What dictionaryIds learnt of the entries of the last dictionary it was given: each one's id, or -1. */
  private entryIds?: { source: object; ids: Int32Array };
  private rowIds = new Int32Array(0);

  /**
   * For rows 0..count of a dictionary-encoded column, the id of each row's value among the values remembered, or -1
   * (as the kernel's findIds gives them): each entry of the dictionary is looked up once, not each row. An entry
   * found stays found in the batches that follow with the same dictionary; one not found yet is looked up again.
   */
  private dictionaryIds(interner: ByteInterner, bytes: Buffer, dictionary: TextDictionary, count: number): Int32Array {
    const { size, entryStarts, entryEnds, codes } = dictionary;
    let known = this.entryIds;
    if (known === undefined || known.source !== dictionary.source || known.ids.length < size) known = this.entryIds = { source: dictionary.source, ids: new Int32Array(size).fill(-1) };
    const entries = known.ids;
    for (let k = 0; k < size; k++) {
      if (entries[k] >= 0) continue;
      const s = entryStarts[k];
      const e = entryEnds[k];
      if (e <= s) continue; // empty: missing or not, it takes the path of a value not remembered
      const id = interner.quickFind(bytes, s, e);
      entries[k] = id >= 0 ? id : interner.find(bytes, s, e, hashAsciiBytes(bytes, s, e));
    }
    if (this.rowIds.length < count) this.rowIds = new Int32Array(Math.max(count, 2 * this.rowIds.length));
    const ids = this.rowIds;
    for (let r = 0; r < count; r++) {
      const k = codes[r];
      // A null row's code may be out of range; its id is never read.
      ids[r] = k >= 0 && k < size ? entries[k] : -1;
    }
    return ids;
  }

  /** The tallies of n values that passed every check (as repeat, for each of them, or distinctChecks would take them, but uniqueness). */
  private passed(n: number): void {
    this.typeTally.elements += n;
    if (this.minLengthTally) this.minLengthTally.elements += n;
    if (this.maxLengthTally) this.maxLengthTally.elements += n;
    if (this.allowedTally) this.allowedTally.elements += n;
    if (this.patternTally) this.patternTally.elements += n;
  }

  /** A repeat of a remembered value: the bookkeeping consumeOne does, from the verdicts kept for the value. */
  private repeat(interner: ByteInterner, id: number, r: number): void {
    this.typeTally.elements++;
    const fails = interner.fails[id];
    if (this.minLengthTally) {
      this.minLengthTally.elements++;
      if (fails & 1) this.note(this.minLengthTally, r, interner.texts[id]);
    }
    if (this.maxLengthTally) {
      this.maxLengthTally.elements++;
      if (fails & 2) this.note(this.maxLengthTally, r, interner.texts[id]);
    }
    if (this.allowedTally) {
      this.allowedTally.elements++;
      if (fails & 4) this.note(this.allowedTally, r, interner.texts[id]);
    }
    if (this.patternTally) {
      this.patternTally.elements++;
      if (fails & 8) this.note(this.patternTally, r, interner.texts[id]);
    }
    if (this.unique) this.trackUnique(interner.uniqueKeys[id], r, interner.texts[id]);
    interner.repeats[id]++;
  }

  private remember(interner: ByteInterner, buf: Buffer, s: number, e: number, h: number, text: string): void {
    const id = interner.add(buf, s, e, h, text);
    let fails = 0;
    if (text.length < this.minLength) fails |= 1;
    if (text.length > this.maxLength) fails |= 2;
    if (this.allowedTexts && !this.allowedTexts.has(text)) fails |= 4;
    if (this.pattern && !this.pattern.test(text)) fails |= 8;
    interner.fails[id] = fails;
    if (this.unique) {
      hashStart();
      hashText(text);
      interner.uniqueKeys[id] = hashEnd();
    }
  }

  /** One non-null text cell: its length, allowed-value, pattern and uniqueness checks and (unless already done) its profile. */
  private consumeOne(text: string, r: number, profile = true): void {
    this.typeTally.elements++;
    const length = text.length;
    if (this.minLengthTally) {
      this.minLengthTally.elements++;
      if (length < this.minLength) this.note(this.minLengthTally, r, text);
    }
    if (this.maxLengthTally) {
      this.maxLengthTally.elements++;
      if (length > this.maxLength) this.note(this.maxLengthTally, r, text);
    }
    if (this.allowedTexts) {
      this.allowedTally!.elements++;
      if (!this.allowedTexts.has(text)) this.note(this.allowedTally!, r, text);
    }
    if (this.patternTally) this.checkText(text, r, text);
    if (this.unique) {
      hashStart();
      hashText(text);
      this.trackUnique(hashEnd(), r, text);
    }
    if (profile) this.profiler.addText(text);
  }

  finishProfile(): Pick<ColumnState, 'profile'> {
    const interner = this.interner;
    if (interner) {
      // Repeats were counted here; the profile saw each value once, when it was new, so its category order is kept.
      for (let id = 0; id < interner.size; id++) if (interner.repeats[id] > 0) this.profiler.addTextRepeats!(interner.texts[id], interner.repeats[id]);
      this.interner = undefined;
    }
    return { profile: this.profiler.toProfile() };
  }
}

/** A column passed over (CheckerOptions.readColumns): its cells are not read, and its profile is empty. */
class SkippedColumn extends ColumnChecker {
  consume(): void {}

  consumeRaw(): boolean {
    return true;
  }

  consumeTyped(): boolean {
    return true;
  }

  finishProfile(): Pick<ColumnState, 'profile'> {
    return { profile: { name: this.name, kind: this.rule ? columnKind(this.rule.type) : 'categorical', count: 0, nulls: 0, distinct: 0, topValues: [] } };
  }
}

class BooleanChecker extends ColumnChecker {
  private readonly allowedValues?: [boolean, boolean];
  private readonly profiler: ValueProfiler;

  constructor(name: string, rule: ColumnRule, missingValues: string[], options: CheckerOptions) {
    super(name, rule, missingValues, options);
    if (rule.allowed) {
      const parsed = rule.allowed.map((v) => parseBooleanText(v));
      this.allowedValues = [parsed.includes(false), parsed.includes(true)];
    }
    this.profiler = options.profiler(name, 'categorical');
  }

  consume(values: ArrayLike<CellValue>, count: number): void {
    const profiler = this.profiler;
    for (let r = 0; r < count; r++) {
      const cell = values[r];
      let value: boolean | undefined;
      if (typeof cell === 'string') {
        if (this.isMissingText(cell)) {
          this.noteNull(r, cell);
          profiler.addNull();
          continue;
        }
        value = parseBooleanText(cell);
      } else if (cell === null || cell === undefined) {
        this.noteNull(r, cell);
        profiler.addNull();
        continue;
      } else if (typeof cell === 'boolean') value = cell;
      this.typeTally.elements++;
      if (value === undefined) {
        this.note(this.typeTally, r, cell);
        continue;
      }
      if (this.allowedValues) {
        this.allowedTally!.elements++;
        if (!this.allowedValues[value ? 1 : 0]) this.note(this.allowedTally!, r, cell);
      }
      if (this.patternTally) this.checkText(typeof cell === 'string' ? cell : String(cell), r, cell);
      if (this.unique) {
        hashStart();
        hashNumber(value ? 1 : 0);
        this.trackUnique(hashEnd(), r, cell);
      }
      profiler.addText(value ? 'true' : 'false');
    }
  }

  /** consume over cell bytes; patterns and extra missing values need the text. */
  consumeRaw(raw: RawCells, c: number, count: number): boolean {
    if (this.patternTally !== undefined || this.otherMissing !== undefined) return false;
    const profiler = this.profiler;
    const buf = raw.buffer;
    const base = c * raw.stride;
    // Runs of cells the kernel reads (see readBooleans) where nothing needs their rows: no uniqueness, no value not
    // allowed; each row it stops before is read here, as every row is without it.
    const kernel = this.countsAlone() ? NumberCells.forThread() : undefined;
    const fast = kernel !== undefined && kernel.load(raw, c, count) ? kernel : undefined;
    for (let r = 0; r < count; r++) {
      if (fast !== undefined) {
        const stop = fast.readBooleans(r);
        const state = fast.state;
        this.countBooleans(state[STATE_FALSES], state[STATE_TRUES], state[STATE_FIRST]);
        if (stop === count) break;
        r = stop;
      }
      const i = base + r;
      const s = raw.starts[i];
      const e = raw.ends[i];
      if (this.missingRaw(s, e, r, profiler)) continue;
      const value = raw.flags[i] & RAW_ESCAPED ? parseBooleanText(raw.text(c, r)!) : parseBooleanBytes(buf, s, e);
      this.typeTally.elements++;
      if (value === undefined) {
        this.note(this.typeTally, r, raw.text(c, r));
        continue;
      }
      if (this.allowedValues) {
        this.allowedTally!.elements++;
        if (!this.allowedValues[value ? 1 : 0]) this.note(this.allowedTally!, r, raw.text(c, r));
      }
      if (this.unique) {
        hashStart();
        hashNumber(value ? 1 : 0);
        const line = this.lineOf ? this.lineOf(r) : 0;
        if (this.unique.add(hashEnd(), this.firstRow + r, line)) this.unique.noteExample(this.firstRow + r, line, cellText(raw.text(c, r)));
      }
      // The profile sees each value once (so its category order is kept); repeats are counted here.
      const k = value ? 1 : 0;
      if (this.repeats[k] < 0 || profiler.addTextRepeats === undefined) {
        profiler.addText(value ? 'true' : 'false');
        if (this.repeats[k] < 0) this.repeats[k] = 0;
      } else this.repeats[k]++;
    }
    return true;
  }

  /** Whether valid values need no row of their own: no uniqueness, no value not allowed (see countBooleans). */
  private countsAlone(): boolean {
    return this.unique === undefined && (this.allowedValues === undefined || (this.allowedValues[0] && this.allowedValues[1])) && this.profiler.addTextRepeats !== undefined;
  }

  /**
   * The tallies and profile of a run of valid values (falses and trues of them, the first of them `first`: 0 or 1,
   * -1 for none), as the loops keep them value by value; only where countsAlone.
   */
  private countBooleans(falses: number, trues: number, first: number): void {
    if (first < 0) return;
    this.typeTally.elements += falses + trues;
    if (this.allowedTally) this.allowedTally.elements += falses + trues;
    // The profile sees each value once, in the order they came; repeats are counted here.
    this.countValue(first, first === 1 ? trues : falses);
    this.countValue(1 - first, first === 1 ? falses : trues);
  }

  /** n more of value k (0: false, 1: true) for the profile: the first given to it, the others counted as repeats. */
  private countValue(k: number, n: number): void {
    if (n === 0) return;
    if (this.repeats[k] < 0) {
      this.profiler.addText(k === 1 ? 'true' : 'false');
      this.repeats[k] = n - 1;
    } else this.repeats[k] += n;
  }

  /** consume over a typed column's bits (Parquet booleans); patterns need the text. */
  consumeTyped(column: TypedColumn, count: number): boolean {
    if (column.kind !== 'booleans' || this.patternTally !== undefined) return false;
    const profiler = this.profiler;
    const validity = column.validity;
    const vo = column.validityOffset;
    const bits = column.bits;
    const bo = column.bitOffset;
    if (validity === undefined && count > 0 && this.countsAlone()) {
      // No nulls: the values are counted, and tallied at once.
      let trues = 0;
      for (let r = 0; r < count; r++) trues += (bits[(bo + r) >> 3] >> ((bo + r) & 7)) & 1;
      this.countBooleans(count - trues, trues, (bits[bo >> 3] >> (bo & 7)) & 1);
      return true;
    }
    for (let r = 0; r < count; r++) {
      if (this.missingTyped(validity, vo, r, profiler)) continue;
      const k = (bits[(bo + r) >> 3] >> ((bo + r) & 7)) & 1;
      this.typeTally.elements++;
      if (this.allowedValues) {
        this.allowedTally!.elements++;
        if (!this.allowedValues[k]) this.note(this.allowedTally!, r, k === 1);
      }
      if (this.unique) {
        hashStart();
        hashNumber(k);
        const line = this.lineOf ? this.lineOf(r) : 0;
        if (this.unique.add(hashEnd(), this.firstRow + r, line)) this.unique.noteExample(this.firstRow + r, line, cellText(k === 1));
      }
      // The profile sees each value once (so its category order is kept); repeats are counted here.
      if (this.repeats[k] < 0 || profiler.addTextRepeats === undefined) {
        profiler.addText(k ? 'true' : 'false');
        if (this.repeats[k] < 0) this.repeats[k] = 0;
      } else this.repeats[k]++;
    }
    return true;
  }

  /** Repeats of false and true not yet given to the profile; -1 until the value is first seen. */
  private readonly repeats = [-1, -1];

  finishProfile(): Pick<ColumnState, 'profile'> {
    for (let k = 0; k < 2; k++) {
      if (this.repeats[k] > 0) this.profiler.addTextRepeats!(k ? 'true' : 'false', this.repeats[k]);
      this.repeats[k] = this.repeats[k] < 0 ? -1 : 0;
    }
    return { profile: this.profiler.toProfile() };
  }
}

/** A rule of this type and nothing more: what a reading of a column without a rule is checked as (see ByType). */
function bareRule(name: string, type: ColumnType): ColumnRule {
  return { name, type, nullable: true, severity: {} as ColumnRule['severity'] };
}

/** Whether a reading's checker took every value of its type so far. */
function fits(checker: ColumnChecker | undefined): checker is ColumnChecker {
  return checker !== undefined && checker.typeTally.unexpected === 0;
}

/**
 * The readings of a column without a rule, as the checkers of each type: their loops over the cells' bytes or a
 * typed column's values (and the WebAssembly kernel's) take the place of SniffingChecker's value at a time. A
 * reading that stops fitting is dropped after the batch it stopped in, except the numbers while the booleans fit:
 * none of theirs may be a number ("0" and "1" are numbers, not booleans). No ISO datetime is a number. The text
 * reading of Parquet numbers and times reads the texts of their values (SniffingChecker.textsOf); that of Parquet
 * booleans is one of booleans, whose texts are true and false.
 */
interface ByType {
  /** Every value as text (a category: its profile is SniffingChecker's of values). */
  text: TextChecker | BooleanChecker;
  numbers?: NumericChecker;
  datetimes?: NumericChecker;
  booleans?: BooleanChecker;
  /** Whether every value so far is an integer literal within ±2^53 (only while the numbers fit). */
  integers: boolean;
  /** Integer literals beyond ±2^53 (only while the numbers fit). */
  unsafeIntegers: number;
  /** Values that came as numbers or booleans rather than text (see TypeEvidence.scalars). */
  scalars: number;
}

/**
 * A column without a rule: every value is tried as integer, number, boolean and ISO datetime, and profiled
 * as numbers, as datetimes and as values until one reading stops fitting; the merge keeps the one that fits.
 * Cells read from their bytes (consumeRaw) or a typed column (consumeTyped) go to the checker of each type (ByType)
 * when nothing needs a value of its own: no missing values but the empty one. Then the evidence counts every value
 * for a reading that fits them all, and none for one that does not (sniffedType only asks whether one fits them
 * all); and repeats are looked for until the batch of the first, where consume stops at the first.
 */
class SniffingChecker extends ColumnChecker {
  private numeric?: ValueProfiler;
  private datetime?: ValueProfiler;
  /** Booleans as true and false (yes, No, TRUE...), while every value is one; categorical keeps the text as written. */
  private boolean?: ValueProfiler;
  /** Repeated values found before uniqueness stopped being tracked (see consume); 0 while it is. */
  private repeats = 0;
  private readonly categorical: ValueProfiler;
  private readonly evidence: TypeEvidence = { nonNull: 0, integers: 0, numbers: 0, booleans: 0, datetimes: 0, scalars: 0, unsafeIntegers: 0 };

  /** The readings as checkers, from the first batch on when it comes as raw cells or a typed column (see ByType). */
  private byType?: ByType;
  private batch?: RowBatch;

  constructor(
    name: string,
    private readonly missingValues: string[],
    private readonly options: CheckerOptions,
  ) {
    super(name, undefined, missingValues, options);
    this.numeric = options.profiler(name, 'numeric');
    this.datetime = options.profiler(name, 'numeric');
    this.boolean = options.profiler(name, 'categorical');
    this.categorical = options.profiler(name, 'categorical');
  }

  begin(batch: RowBatch): void {
    super.begin(batch);
    this.batch = batch;
    const t = this.byType;
    if (t) for (const checker of [t.text, t.numbers, t.datetimes, t.booleans]) checker?.begin(batch);
  }

  /**
   * Sets the checkers of each type up (see ByType) when the batch of count rows is the first, and the missing values
   * are the empty one at most; for Parquet booleans (booleans), when no repeats are looked for (a boolean checker
   * would look for them by value, consume does by text). Returns whether it did.
   */
  private startByType(count: number, booleans = false): boolean {
    if (this.rows !== count || (booleans && this.unique !== undefined) || this.otherMissing !== undefined) return false;
    const { name, missingValues, options } = this;
    // Repeats are looked for among the texts (infer mode), as consume does: by the text checker, until the first.
    const text = booleans
      ? new BooleanChecker(name, bareRule(name, 'boolean'), missingValues, options)
      : new TextChecker(name, { ...bareRule(name, 'category'), ...(this.unique && { unique: true }) }, missingValues, options);
    if (this.unique) {
      this.unique.discard();
      this.unique = text.unique;
    }
    const t: ByType = {
      text,
      numbers: new NumericChecker(name, bareRule(name, 'number'), missingValues, options, undefined),
      datetimes: new NumericChecker(name, bareRule(name, 'datetime'), missingValues, options, undefined),
      booleans: new BooleanChecker(name, bareRule(name, 'boolean'), missingValues, options),
      integers: true,
      unsafeIntegers: 0,
      scalars: 0,
    };
    for (const checker of [t.text, t.numbers, t.datetimes, t.booleans]) checker?.begin(this.batch!);
    this.byType = t;
    return true;
  }

  /** Reads the batch's cells by type (see ByType) from the first batch on (see startByType). */
  consumeRaw(raw: RawCells, c: number, count: number): boolean {
    if (this.byType === undefined && !this.startByType(count)) return false;
    const t = this.byType!;
    // The text reading can refuse a batch (one not all ASCII, of a column of mostly distinct values): consume reads it.
    if (!t.text.consumeRaw(raw, c, count)) return false;
    const scanIntegers = fits(t.numbers);
    for (const checker of [t.numbers, t.datetimes, t.booleans]) {
      if (checker && !checker.consumeRaw(raw, c, count)) checker.consume(Array.from({ length: count }, (_, r) => raw.text(c, r)), count);
    }
    if (scanIntegers) this.integerCells(raw, c, count);
    this.dropMisfits();
    return true;
  }

  /**
   * Reads a typed column (Parquet) by type (see ByType) from the first batch on (see startByType): each checker
   * from the column's values or bytes where it reads them, else from its cells while it fits (a column of words
   * stops fitting as numbers, datetimes and booleans in its first batch, one of numbers as datetimes and booleans).
   * The text checker reads numbers and times as the texts of their cells (see textsOf).
   */
  consumeTyped(column: TypedColumn, count: number): boolean {
    if (this.byType === undefined && !this.startByType(count, column.kind === 'booleans')) return false;
    const t = this.byType!;
    let cells: CellValue[] | undefined;
    const cellsOf = () => (cells ??= Array.from({ length: count }, (_, r) => column.cell(r)));
    const scanIntegers = fits(t.numbers);
    const nulls = t.text.nulls;
    const texts = column.kind === 'numbers' ? this.textsOf(column, count) : column;
    for (const checker of [t.text, t.numbers, t.datetimes, t.booleans]) {
      if (checker && !checker.consumeTyped(checker === t.text ? texts : column, count)) checker.consume(cellsOf(), count);
    }
    if (column.kind === 'booleans' || (column.kind === 'numbers' && !column.time)) t.scalars += count - (t.text.nulls - nulls);
    if (scanIntegers && column.kind === 'utf8') this.integerValues(cellsOf(), count, true);
    else if (scanIntegers && column.kind === 'numbers' && !column.time) this.integerNumbers(column, count);
    this.dropMisfits();
    return true;
  }

  /** The texts textsOf writes and where each lies, reused from batch to batch. */
  private textBytes = Buffer.alloc(0);
  private textStarts = new Int32Array(0);
  private textEnds = new Int32Array(0);
  private isoWriter?: IsoWriter;

  /**
   * A typed column of numbers or times as the texts of its cells, as consume takes them: String of a number or
   * bigint, the ISO 8601 text of a Date (see value-text.ts).
   */
  private textsOf(column: TypedNumbers, count: number): TypedUtf8 {
    // The longest text of a number is 24 characters (-1.2345678901234567e-100), of a time 27 (+275760-09-13T00:00:00.000Z).
    if (this.textStarts.length < count) {
      this.textBytes = Buffer.allocUnsafe(count * 27);
      this.textStarts = new Int32Array(count);
      this.textEnds = new Int32Array(count);
    }
    const bytes = this.textBytes;
    const starts = this.textStarts.subarray(0, count);
    const ends = this.textEnds.subarray(0, count);
    const { values, validity, validityOffset: vo, time } = column;
    const iso = time ? (this.isoWriter ??= new IsoWriter()) : undefined;
    let at = 0;
    for (let r = 0; r < count; r++) {
      starts[r] = at;
      if (validity === undefined || (validity[(vo + r) >> 3] & (1 << ((vo + r) & 7))) !== 0) {
        const x = values[r];
        if (iso !== undefined) at = iso.write(bytes, at, x);
        else if (x === x) at = writeNumber(bytes, at, x);
        // NaN: a float's own, or a bigint beyond ±2^53.
        else at += bytes.write(String(column.cell(r)), at, 'latin1');
      }
      ends[r] = at;
    }
    const cell = (r: number): CellValue => (starts[r] === ends[r] ? null : bytes.toString('latin1', starts[r], ends[r]));
    return { kind: 'utf8', bytes, starts, ends, ordered: true, validity, validityOffset: vo, cell };
  }

  /** ByType.integers and unsafeIntegers of a typed column of numbers (see integerValues): from its values. */
  private integerNumbers(column: TypedNumbers, count: number): void {
    const t = this.byType!;
    const { values, validity, validityOffset: vo } = column;
    for (let r = 0; r < count; r++) {
      if (validity !== undefined && (validity[(vo + r) >> 3] & (1 << ((vo + r) & 7))) === 0) continue;
      const x = values[r];
      if (Number.isSafeInteger(x)) continue;
      t.integers = false;
      // A float beyond ±2^53. (A bigint's value is NaN, which the numbers do not fit.)
      if (Number.isInteger(x)) t.unsafeIntegers++;
    }
  }

  /**
   * ByType.integers and unsafeIntegers of the batch's cells: a cell of at most 15 bytes is an integer literal within
   * ±2^53 when parseIntegerBytes reads it, and can be no literal beyond; a longer one, or one with "" inside, is
   * read as text.
   */
  private integerCells(raw: RawCells, c: number, count: number): void {
    const t = this.byType!;
    const buf = raw.buffer;
    const base = c * raw.stride;
    for (let r = 0; r < count; r++) {
      const i = base + r;
      const s = raw.starts[i];
      const e = raw.ends[i];
      if (s < 0 || (s === e && this.emptyIsNull)) continue;
      if (e - s > 15 || raw.flags[i] & RAW_ESCAPED) this.integerText(raw.text(c, r)!);
      // Past the first value that is no integer, only literals beyond ±2^53 matter (unsafeIntegers).
      else if (t.integers && Number.isNaN(parseIntegerBytes(buf, s, e))) t.integers = false;
    }
  }

  /**
   * ByType.integers, unsafeIntegers and scalars of a batch's values, as consume counts the evidence (integers only
   * while the numbers fit). The columns read by type have texts; other values come only in a dataset of files whose
   * types differ.
   */
  private integerValues(values: ArrayLike<CellValue>, count: number, integers: boolean): void {
    const t = this.byType!;
    for (let r = 0; r < count; r++) {
      const cell = values[r];
      if (typeof cell === 'string') {
        if (integers && !this.isMissingText(cell)) this.integerText(cell);
      } else if (typeof cell === 'number' || typeof cell === 'bigint') {
        t.scalars++;
        const n = Number(cell);
        if (!Number.isInteger(n)) t.integers = false;
        else if (!Number.isSafeInteger(n)) {
          t.unsafeIntegers++;
          t.integers = false;
        }
      } else if (cell !== null && cell !== undefined) {
        if (typeof cell === 'boolean') t.scalars++;
        t.integers = false;
      }
    }
  }

  /** ByType.integers and unsafeIntegers of one value's text, as consume counts evidence.integers and unsafeIntegers. */
  private integerText(text: string): void {
    const t = this.byType!;
    if (!isIntegerLiteral(text)) t.integers = false;
    else if (!Number.isSafeInteger(parseNumberText(text))) {
      t.unsafeIntegers++;
      t.integers = false;
    }
  }

  /**
   * Takes the nulls of the batch, and the minimum and maximum of its numbers (only while the numbers are read: no
   * check reads those of a column without a rule), and drops the readings that stopped fitting (see ByType).
   */
  private dropMisfits(): void {
    const t = this.byType!;
    this.nulls = t.text.nulls;
    // Infer only asks whether a value repeats: past the batch of the first repeat, the values need not be kept.
    if (this.unique && this.unique.tally.duplicates > 0) {
      this.repeats = this.unique.tally.duplicates;
      this.unique.discard();
      this.unique = t.text.unique = undefined;
    }
    if (t.numbers) {
      this.min = t.numbers.min;
      this.max = t.numbers.max;
    }
    if (t.datetimes && !fits(t.datetimes)) t.datetimes = undefined;
    const numbersSeen = t.numbers ? t.numbers.typeTally.elements - t.numbers.typeTally.unexpected : 0;
    if (t.booleans && !(fits(t.booleans) && numbersSeen === 0)) t.booleans = undefined;
    if (t.numbers && !fits(t.numbers) && !t.booleans) t.numbers = undefined;
  }

  consume(values: ArrayLike<CellValue>, count: number): void {
    const t = this.byType;
    if (t !== undefined) {
      // A batch of a column read by type (see consumeRaw) whose cells came as text: each checker reads the texts.
      const scanIntegers = fits(t.numbers);
      for (const checker of [t.text, t.numbers, t.datetimes, t.booleans]) checker?.consume(values, count);
      this.integerValues(values, count, scanIntegers);
      this.dropMisfits();
      return;
    }
    const evidence = this.evidence;
    for (let r = 0; r < count; r++) {
      const cell = values[r];
      if (cell === null || cell === undefined || (typeof cell === 'string' && this.isMissingText(cell))) {
        this.nulls++;
        this.numeric?.addNull();
        this.datetime?.addNull();
        this.boolean?.addNull();
        this.categorical.addNull();
        continue;
      }
      evidence.nonNull++;
      let number = NaN;
      let instant = NaN;
      let text: string;
      let isBoolean = false;
      // An integer as an integer column reads it: digits (not 1.0 or 1e3), or a whole JSON or Parquet number.
      let integral = false;
      if (typeof cell === 'string') {
        text = cell;
        number = parseNumberText(cell);
        integral = number === number && isIntegerLiteral(cell);
        if (number !== number) {
          instant = parseIsoDateTime(cell);
          isBoolean = instant !== instant && parseBooleanText(cell) !== undefined && cell !== '0' && cell !== '1';
        }
      } else if (typeof cell === 'number' || typeof cell === 'bigint') {
        // An infinite number (Parquet floats) is none a number column takes: such a column is text.
        number = typeof cell === 'number' && cell - cell !== 0 ? NaN : Number(cell);
        text = String(cell);
        integral = Number.isInteger(number);
        evidence.scalars++;
      } else if (typeof cell === 'boolean') {
        isBoolean = true;
        text = String(cell);
        evidence.scalars++;
      } else if (cell instanceof Date) {
        instant = cell.getTime();
        text = cellText(cell);
      } else text = String(cell);
      if (number === number) {
        evidence.numbers++;
        if (integral) {
          if (Number.isSafeInteger(number)) evidence.integers++;
          else evidence.unsafeIntegers++;
        }
        if (!(number >= this.min)) this.min = number;
        if (!(number <= this.max)) this.max = number;
        this.numeric?.addNumber(number);
      } else this.numeric = undefined;
      if (instant === instant) {
        evidence.datetimes++;
        this.datetime?.addNumber(instant);
      } else this.datetime = undefined;
      if (isBoolean) {
        evidence.booleans++;
        this.boolean?.addText(typeof cell === 'boolean' ? text : String(parseBooleanText(text)));
      } else this.boolean = undefined;
      if (this.unique) {
        hashStart();
        hashText(text);
        this.trackUnique(hashEnd(), r, cell);
        // Infer only asks whether a value repeats: past the first repeat, the column's values need not be kept.
        if (this.unique.tally.duplicates > 0) {
          this.repeats = this.unique.tally.duplicates;
          this.unique.discard();
          this.unique = undefined;
        }
      }
      this.categorical.addText(text);
    }
  }

  finishProfile(): Pick<ColumnState, 'candidates' | 'evidence'> {
    const t = this.byType;
    if (t !== undefined) {
      // The booleans left fit every value, and no value was a number (see dropMisfits).
      const numbers = fits(t.numbers) ? t.numbers : undefined;
      const datetimes = fits(t.datetimes) ? t.datetimes : undefined;
      const booleans = fits(t.booleans) ? t.booleans : undefined;
      const nonNull = t.text.rows - t.text.nulls;
      return {
        candidates: {
          ...(numbers && { numeric: numbers.finishProfile().profile }),
          ...(datetimes && { datetime: datetimes.finishProfile().profile }),
          ...(booleans && { boolean: booleans.finishProfile().profile }),
          categorical: t.text.finishProfile().profile!,
        },
        evidence: {
          nonNull,
          integers: numbers && t.integers ? nonNull : 0,
          numbers: numbers ? nonNull : 0,
          booleans: booleans ? nonNull : 0,
          datetimes: datetimes ? nonNull : 0,
          scalars: t.scalars,
          unsafeIntegers: numbers ? t.unsafeIntegers : 0,
          ...(this.repeats > 0 && { duplicates: this.repeats }),
        },
      };
    }
    return {
      candidates: {
        ...(this.numeric && { numeric: this.numeric.toProfile() }),
        ...(this.datetime && { datetime: this.datetime.toProfile() }),
        ...(this.boolean && { boolean: this.boolean.toProfile() }),
        categorical: this.categorical.toProfile(),
      },
      evidence: { ...this.evidence, ...(this.repeats > 0 && { duplicates: this.repeats }) },
    };
  }
}

function createChecker(name: string, rule: ColumnRule | undefined, missingValues: string[], options: CheckerOptions, nativeType?: string): ColumnChecker {
  if (options.readColumns && !options.readColumns.includes(name)) return new SkippedColumn(name, rule, missingValues, options);
  if (!rule) return new SniffingChecker(name, missingValues, options);
  switch (rule.type) {
    case 'integer':
    case 'number':
    case 'datetime':
      return new NumericChecker(name, rule, missingValues, options, nativeType);
    case 'boolean':
      return new BooleanChecker(name, rule, missingValues, options);
    default:
      return new TextChecker(name, rule, missingValues, options);
  }
}

// ---------------------------------------------------------------- a table

/** Checks one part of a table: every column of the data, the primary key, and malformed rows reported by the reader. */
export class TableChecker {
  private readonly checkers: ColumnChecker[];
  /** Whether each column is passed over (see CheckerOptions.readColumns). */
  private readonly passedOver: boolean[];
  private rowCount = 0;
  private lineSpan = 0;
  private readonly keyColumns?: number[];
  private readonly keyMissing = newTally();
  private readonly keyUnique?: UniqueTracker;
  private readonly malformed = newTally();
  private bytes = 0;
  private readonly emptyIsNull: boolean;
  private readonly otherMissing: Set<string>;

  constructor(
    private readonly source: string,
    private readonly columns: string[],
    options: CheckerOptions,
  ) {
    const schema = options.schema;
    const missingValues = schema?.missingValues ?? [''];
    this.emptyIsNull = missingValues.includes('');
    this.otherMissing = new Set(missingValues.filter((m) => m !== ''));
    const rules = new Map((schema?.columns ?? []).map((rule) => [rule.name, rule]));
    this.checkers = columns.map((name, c) => createChecker(name, rules.get(name), missingValues, options, options.nativeTypes?.[c]));
    this.passedOver = this.checkers.map((checker) => checker instanceof SkippedColumn);
    const key = schema?.dataset.primaryKey;
    // Tracked by the part that reads its columns (a part may read only some: see CheckerOptions.readColumns).
    const read = (name: string) => columns.includes(name) && (!options.readColumns || options.readColumns.includes(name));
    if (key && key.columns.every(read) && !keyIsUniqueColumn(schema!)) {
      this.keyColumns = key.columns.map((name) => columns.indexOf(name));
      this.keyUnique = new UniqueTracker(options.uniqueMemoryCap, options.spillDir);
    }
  }

  consume(batch: RowBatch): void {
    const count = batch.rowCount;
    const raw = batch.raw;
    const typed = batch.typed;
    for (let c = 0; c < this.checkers.length; c++) {
      const checker = this.checkers[c];
      checker.begin(batch);
      // A column passed over is never read: asking for its cells would make a batch column of nulls.
      if (this.passedOver[c]) continue;
      if (raw !== undefined ? !checker.consumeRaw(raw, c, count) : !(typed?.[c] !== undefined && checker.consumeTyped(typed[c]!, count))) checker.consume(batch.columns[c], count);
    }
    if (this.keyColumns) this.consumeKey(batch);
    // The sketch grids of a dataset are those of its first GRID_ROWS rows (a part further in is given them).
    if (this.rowCount < GRID_ROWS && this.rowCount + count >= GRID_ROWS) for (const checker of this.checkers) checker.settleGrid();
    this.rowCount += count;
    // Malformed rows are counted among all the rows read, and the lines that could not be read as rows.
    this.malformed.elements += count;
    if (batch.lineOf && count > 0) {
      // The part ends on the last row's line, plus the line breaks inside its quoted values.
      let breaks = 0;
      if (raw) {
        // Counted on bytes, so columns nobody decoded stay undecoded.
        for (let c = 0; c < this.checkers.length; c++) {
          const i = c * raw.stride + count - 1;
          for (let k = raw.starts[i]; k >= 0 && k < raw.ends[i]; k++) if (raw.buffer[k] === 0x0a) breaks++;
        }
      } else {
        for (const column of batch.columns) {
          const cell = column[count - 1];
          if (typeof cell === 'string' && cell.indexOf('\n') >= 0) breaks += cell.split('\n').length - 1;
        }
      }
      this.lineSpan = batch.lineOf(count - 1) + breaks;
    }
  }

  private consumeKey(batch: RowBatch): void {
    const keyColumns = this.keyColumns!;
    const tracker = this.keyUnique!;
    const missingValues = this.otherMissing;
    const emptyIsNull = this.emptyIsNull;
    const columns = keyColumns.map((c) => batch.columns[c]);
    for (let r = 0; r < batch.rowCount; r++) {
      hashStart();
      let missing = false;
      for (let k = 0; k < columns.length; k++) {
        const cell = columns[k][r];
        if (typeof cell === 'string') {
          if ((cell.length === 0 && emptyIsNull) || missingValues.has(cell)) missing = true;
          hashText(cell);
        } else if (typeof cell === 'number') hashNumber(cell);
        else if (cell === null || cell === undefined) missing = true;
        else hashText(cellText(cell));
      }
      this.keyMissing.elements++;
      const row = batch.firstRow + r;
      const line = batch.lineOf ? batch.lineOf(r) : 0;
      if (missing) {
        this.keyMissing.unexpected++;
        if (this.keyMissing.examples.length < MAX_EXAMPLES) this.keyMissing.examples.push(exampleAt(row, line, keyText(columns, r)));
        continue;
      }
      if (tracker.add(hashEnd(), row, line)) tracker.noteExample(row, line, keyText(columns, r));
    }
  }

  /**
   * A row the reader could not read as the format says; it is reported, and reading goes on where it can. skipped:
   * it is not among the rows read (a JSON Lines line that is no object, or where reading stopped).
   */
  noteMalformed(issue: Pick<MalformedIssue, 'message' | 'row' | 'line'>, skipped = issue.row === undefined): void {
    this.malformed.unexpected++;
    if (skipped) this.malformed.elements++;
    if (this.malformed.examples.length < MAX_EXAMPLES) {
      const example: Example = { row: issue.row ?? 0, value: issue.message.length > 200 ? `${issue.message.slice(0, 199)}…` : issue.message };
      if (issue.line !== undefined) example.line = issue.line;
      this.malformed.examples.push(example);
    }
  }

  setBytes(bytes: number): void {
    this.bytes = bytes;
  }

  result(): PartResult {
    return {
      source: this.source,
      columns: this.columns,
      rowCount: this.rowCount,
      lineSpan: this.lineSpan,
      lineBase: 0,
      bytes: this.bytes,
      columnStates: this.checkers.map((checker) => checker.state()),
      ...(this.keyUnique && { primaryKey: { missing: this.keyMissing, unique: this.keyUnique.state() } }),
      malformed: this.malformed,
    };
  }
}

/** A one-column key on a column that is checked for uniqueness anyway: the key check reuses that work. */
export function keyIsUniqueColumn(schema: DataSchema): boolean {
  const key = schema.dataset.primaryKey;
  return key !== undefined && key.columns.length === 1 && schema.columns.some((c) => c.name === key.columns[0] && c.unique === true);
}

function exampleAt(row: number, line: number, value: string): Example {
  return line > 0 ? { row, line, value } : { row, value };
}

function keyText(columns: Array<ArrayLike<CellValue>>, r: number): string {
  return cellText(columns.map((column) => cellText(column[r])).join(' | '));
}

// ---------------------------------------------------------------- merging parts

/** One column over the whole dataset. */
export interface MergedColumn {
  name: string;
  ruled: boolean;
  rows: number;
  nulls: number;
  min: number;
  max: number;
  tallies: Partial<Record<ColumnCheckKind, Tally>>;
  unique?: DuplicateTally & { hashedValues: number };
  profile: ColumnProfile;
  /** Columns without a rule: what their values parsed as. */
  evidence?: TypeEvidence;
  sniffedType?: ColumnType;
}

export interface MergedResult {
  columns: string[];
  rowCount: number;
  bytes: number;
  columnResults: MergedColumn[];
  primaryKey?: { missing: Tally; unique: DuplicateTally & { hashedValues: number } };
  malformed: Tally;
  /** Columns that no row of any part has (see PartResult.absentColumns). */
  absentColumns?: string[];
  /** The files of the dataset in data order, with their rows (consecutive parts of one file together). */
  files: Array<{ source: string; rows: number }>;
  /** Each late key once, where it first came (see PartResult.lateColumns). */
  lateColumns?: Array<{ name: string; row?: number; line?: number }>;
}

/**
 * Merges the parts of one dataset in data order. Rows and lines of each part count from its start; rows are
 * shifted by the rows of all parts before it (rows count through the files of a dataset), lines by the lines of
 * the parts of the same file before it.
 */
export function mergeParts(
  parts: PartResult[],
  mergeProfiles: (profiles: ColumnProfile[]) => ColumnProfile,
  options: MergeOptions = {},
): MergedResult {
  const merger = new PartMerger(mergeProfiles, options);
  try {
    for (const part of parts) merger.add(part);
  } catch (e) {
    merger.discard();
    throw e;
  }
  return merger.finish();
}

export interface MergeOptions {
  uniqueMemoryCap?: number;
  spillDir?: string;
  /**
   * Whether numeric profiles can be merged yet (default: always): not while the grid mergeProfiles puts sketches
   * on is still to come. Until then they wait, then are merged in order.
   */
  canMergeNumeric?: () => boolean;
}

/** Removes what a part that will not be merged has on disk: the spill files of its uniqueness tables. */
export function discardPart(part: PartResult): void {
  for (const state of part.columnStates) if (state.unique) discardUniqueState(state.unique);
  if (part.primaryKey) discardUniqueState(part.primaryKey.unique);
}

/**
 * The parts that read the same rows of a file, each its own columns (readColumns[k]: those part k read), as one
 * part: each column's state from the part that read it (the first part's, a column passed over, for a column none
 * read), the primary key from the part that tracked it. What the parts hold of columns they passed over goes.
 */
export function joinColumnParts(parts: PartResult[], readColumns: string[][]): PartResult {
  const [first] = parts;
  const malformed = newTally();
  for (const part of parts) {
    if (part.rowCount !== first.rowCount || part.columns.length !== first.columns.length) throw new Error(`The parts of ${first.source} read by columns do not have the same rows and columns.`);
    malformed.elements = Math.max(malformed.elements, part.malformed.elements);
    malformed.unexpected += part.malformed.unexpected;
    for (const example of part.malformed.examples) if (malformed.examples.length < MAX_EXAMPLES) malformed.examples.push(example);
  }
  const reader = (name: string) => Math.max(0, readColumns.findIndex((names) => names.includes(name)));
  const keyed = parts.find((part) => part.primaryKey !== undefined);
  // What a part has of a column it passed over (nothing), spill files and all.
  parts.forEach((part, k) =>
    part.columnStates.forEach((state, c) => {
      if (reader(first.columns[c]) !== k && state.unique) discardUniqueState(state.unique);
    }),
  );
  for (const part of parts) if (part !== keyed && part.primaryKey) discardUniqueState(part.primaryKey.unique);
  return {
    ...first,
    bytes: Math.max(...parts.map((part) => part.bytes)),
    columnStates: first.columns.map((name, c) => parts[reader(name)].columnStates[c]),
    ...(keyed && { primaryKey: keyed.primaryKey }),
    malformed,
  };
}

/**
 * mergeParts a part at a time, as the parts come in data order: nothing of a part is kept once it is added (its
 * numeric profiles are merged as they come, its categories summed, its unique values absorbed), so the memory of
 * a dataset of many files does not grow with their number.
 */
export class PartMerger {
  /** Each numeric column's profiles not merged yet (the first is the merge of those before). */
  private readonly numeric: ColumnProfile[][] = [];
  /** Each categorical column's categories, summed as the parts come. */
  private readonly categories: CategorySums[] = [];
  private readonly merged: MergedResult = { columns: [], rowCount: 0, bytes: 0, columnResults: [], malformed: newTally(), files: [] };
  private readonly trackers = new Map<string, UniqueTracker>();
  private first: PartResult | undefined;
  private rowOffset = 0;
  private lineOffset = 0;
  private keyMissing: Tally | undefined;
  private previousSource: string | undefined;
  private absent: Set<string> | undefined;
  private discarded = false;

  constructor(
    private readonly mergeProfiles: (profiles: ColumnProfile[]) => ColumnProfile,
    private readonly options: MergeOptions = {},
  ) {}

  private trackerFor(name: string): UniqueTracker {
    let tracker = this.trackers.get(name);
    if (!tracker) this.trackers.set(name, (tracker = new UniqueTracker(this.options.uniqueMemoryCap, this.options.spillDir)));
    return tracker;
  }

  /** The next part in data order. A part whose columns differ from the first part's is a UserError. */
  add(part: PartResult): void {
    // A part that comes after the merge was given up (another part failed) leaves nothing behind.
    if (this.discarded) return discardPart(part);
    const first = (this.first ??= part);
    if (part.columns.length !== first.columns.length || part.columns.some((name, i) => name !== first.columns[i])) {
      throw new UserError(
        `${part.source} has the columns ${part.columns.join(', ')}, but ${first.source} has ${first.columns.join(', ')}. ` +
          'The files of one dataset must have the same columns in the same order; validate them separately otherwise.',
        { file: part.source },
      );
    }
    const merged = this.merged;
    if (part === first) merged.columns = part.columns;
    const pairwise = (a: ColumnProfile, b: ColumnProfile) => this.mergeProfiles([a, b]);
    if (part.source !== this.previousSource) this.lineOffset = 0;
    this.previousSource = part.source;
    this.lineOffset += part.lineBase;
    const { rowOffset, lineOffset } = this;
    for (let c = 0; c < part.columnStates.length; c++) {
      const state = part.columnStates[c];
      let target = merged.columnResults[c];
      if (!target) {
        target = merged.columnResults[c] = {
          name: state.name,
          ruled: state.ruled,
          rows: 0,
          nulls: 0,
          min: NaN,
          max: NaN,
          tallies: {},
          profile: state.profile ?? state.candidates!.categorical,
        };
        if (state.candidates) (target as MergedColumn & { candidates?: ColumnState['candidates'] }).candidates = state.candidates;
        if (state.evidence) target.evidence = { ...state.evidence };
      } else {
        mergeCandidates(target as MergedColumn & { candidates?: ColumnState['candidates'] }, state, pairwise);
        if (state.evidence && target.evidence) mergeEvidence(target.evidence, state.evidence);
      }
      if (state.profile) this.addProfile(c, state.profile);
      target.rows += state.rows;
      target.nulls += state.nulls;
      if (!(state.min >= target.min)) target.min = state.min;
      if (!(state.max <= target.max)) target.max = state.max;
      for (const [kind, tally] of Object.entries(state.tallies) as Array<[ColumnCheckKind, Tally]>) {
        target.tallies[kind] = addTally(target.tallies[kind], tally, rowOffset, lineOffset);
      }
      if (state.unique) this.trackerFor(`column:${state.name}`).absorb(state.unique, rowOffset, lineOffset);
    }
    if (part.primaryKey) {
      this.keyMissing = addTally(this.keyMissing, part.primaryKey.missing, rowOffset, lineOffset);
      this.trackerFor('primaryKey').absorb(part.primaryKey.unique, rowOffset, lineOffset);
    }
    merged.malformed = addTally(merged.malformed, part.malformed, rowOffset, lineOffset);
    const partAbsent = new Set(part.absentColumns);
    this.absent = this.absent === undefined ? partAbsent : new Set([...this.absent].filter((name) => partAbsent.has(name)));
    for (const late of part.lateColumns ?? []) {
      if (merged.lateColumns?.some((l) => l.name === late.name)) continue;
      (merged.lateColumns ??= []).push({
        name: late.name,
        ...(late.row !== undefined && { row: late.row + rowOffset }),
        ...(late.line !== undefined && { line: late.line + lineOffset }),
      });
    }
    merged.rowCount += part.rowCount;
    merged.bytes += part.bytes;
    const last = merged.files[merged.files.length - 1];
    if (last?.source === part.source) last.rows += part.rowCount;
    else merged.files.push({ source: part.source, rows: part.rowCount });
    this.rowOffset += part.rowCount;
    this.lineOffset += part.lineSpan;
  }

  private addProfile(c: number, profile: ColumnProfile): void {
    if (profile.kind === 'categorical') {
      (this.categories[c] ??= new CategorySums()).add(profile);
      return;
    }
    const waiting = (this.numeric[c] ??= []);
    waiting.push(profile);
    // Merged in order as they come, once their grid is known (which is before any part after the first is read).
    if (waiting.length >= 2 && (this.options.canMergeNumeric?.() ?? true)) this.numeric[c] = [this.mergeProfiles(waiting)];
  }

  /** The merged result of the parts added. */
  finish(): MergedResult {
    const merged = this.merged;
    try {
      merged.columnResults.forEach((column, c) => {
        const sums = this.categories[c];
        if (sums && sums.size > 1) column.profile = sums.profile();
        const waiting = this.numeric[c];
        if (waiting) column.profile = waiting.length > 1 ? this.mergeProfiles(waiting) : waiting[0];
      });
      for (const column of merged.columnResults) {
        const tracker = this.trackers.get(`column:${column.name}`);
        if (tracker) column.unique = tracker.finish();
        if (column.evidence) {
          // Parts that stopped at a repeat carry their count; the others' values were merged into column.unique.
          if (column.unique) column.evidence.duplicates = (column.evidence.duplicates ?? 0) + column.unique.duplicates;
          const candidates = (column as MergedColumn & { candidates?: ColumnState['candidates'] }).candidates!;
          column.sniffedType = sniffedType(column.evidence);
          column.profile =
            (column.sniffedType === 'integer' || column.sniffedType === 'number') && candidates.numeric
              ? candidates.numeric
              : column.sniffedType === 'datetime' && candidates.datetime
                ? candidates.datetime
                : column.sniffedType === 'boolean' && candidates.boolean
                  ? candidates.boolean
                  : candidates.categorical;
          delete (column as MergedColumn & { candidates?: unknown }).candidates;
        }
      }
      const keyTracker = this.trackers.get('primaryKey');
      if (keyTracker) merged.primaryKey = { missing: this.keyMissing!, unique: keyTracker.finish() };
      if (this.absent && this.absent.size > 0) merged.absentColumns = [...this.absent];
    } catch (e) {
      this.discard();
      throw e;
    }
    return merged;
  }

  /** Drops what the parts added left on disk (spilled unique values), when the merge will not finish. */
  discard(): void {
    this.discarded = true;
    for (const tracker of this.trackers.values()) tracker.discard();
  }
}

function mergeCandidates(
  target: MergedColumn & { candidates?: ColumnState['candidates'] },
  state: ColumnState,
  mergeProfiles: (a: ColumnProfile, b: ColumnProfile) => ColumnProfile,
): void {
  const into = target.candidates;
  const from = state.candidates;
  if (!into || !from) return;
  into.categorical = mergeProfiles(into.categorical, from.categorical);
  into.numeric = into.numeric && from.numeric ? mergeProfiles(into.numeric, from.numeric) : undefined;
  into.datetime = into.datetime && from.datetime ? mergeProfiles(into.datetime, from.datetime) : undefined;
  into.boolean = into.boolean && from.boolean ? mergeProfiles(into.boolean, from.boolean) : undefined;
}

function mergeEvidence(into: TypeEvidence, from: TypeEvidence): void {
  into.nonNull += from.nonNull;
  into.integers += from.integers;
  into.numbers += from.numbers;
  into.booleans += from.booleans;
  into.datetimes += from.datetimes;
  into.scalars += from.scalars;
  into.unsafeIntegers += from.unsafeIntegers;
  if (from.duplicates !== undefined) into.duplicates = (into.duplicates ?? 0) + from.duplicates;
}

/** The narrowest type every value of a column fits; category vs string is left to inferSchema. */
export function sniffedType(evidence: TypeEvidence): ColumnType {
  const n = evidence.nonNull;
  if (n === 0) return 'string';
  if (evidence.integers === n) return 'integer';
  // Long ids (beyond ±2^53) would lose digits as numbers: kept as text.
  if (evidence.numbers === n && evidence.unsafeIntegers === 0) return 'number';
  if (evidence.booleans === n) return 'boolean';
  if (evidence.datetimes === n) return 'datetime';
  return 'string';
}

function addTally(into: Tally | undefined, from: Tally, rowOffset: number, lineOffset: number): Tally {
  const result = into ?? newTally();
  result.elements += from.elements;
  result.unexpected += from.unexpected;
  for (const e of from.examples) {
    if (result.examples.length >= MAX_EXAMPLES) break;
    const row = e.row === 0 ? 0 : e.row + rowOffset;
    result.examples.push(e.line === undefined ? { row, value: e.value } : { row, line: e.line + lineOffset, value: e.value });
  }
  return result;
}

/** Column names that occur more than once, with the 1-based positions of each, in order of first occurrence. */
export function repeatedNames(columns: string[]): Array<{ name: string; at: number[] }> {
  const positions = new Map<string, number[]>();
  columns.forEach((name, i) => {
    const at = positions.get(name);
    if (at) at.push(i + 1);
    else positions.set(name, [i + 1]);
  });
  return [...positions].filter(([, at]) => at.length > 1).map(([name, at]) => ({ name, at }));
}

/** "a (columns 1 and 3), b (columns 2, 4 and 5)" */
export function showRepeatedNames(repeated: Array<{ name: string; at: number[] }>): string {
  const positions = (at: number[]) => `${at.slice(0, -1).join(', ')} and ${at[at.length - 1]}`;
  return repeated.map(({ name, at }) => `${name} (columns ${positions(at)})`).join(', ');
}

/** Bounds of a column in words, for expectations and observations. */
export function showValue(value: number, type: ColumnType | undefined): string {
  if (type === 'datetime') return formatInstant(value);
  return String(value);
}

/** What the values of each column parsed as, for inferSchema; kept beside a profile that profileData made. */
export interface ColumnEvidence {
  type: ColumnType;
  evidence: TypeEvidence;
}
export const evidenceByProfile = new WeakMap<DatasetProfile, Record<string, ColumnEvidence>>();

/** Uniqueness is decided on 53-bit hashes; say so when a collision is not negligible. */
export function collisionProbabilityNote(hashedValues: number): string {
  const p = collisionProbability(hashedValues);
  return p < 1e-6 ? '' : ` (decided on 53-bit hashes of ${hashedValues} values: a reported duplicate is a hash collision with probability ${p < 0.001 ? p.toExponential(1) : p.toFixed(3)})`;
}
