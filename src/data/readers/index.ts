/**
 * Opening a data source as a table of row batches, whatever its format, and splitting a local text file into
 * byte ranges that workers can read in parallel.
 */
import * as fs from 'fs';
import { DataFormatError, TableReader } from '../types';
import type { DataSource } from '../sources';
import { openCsv, readCsvHeader } from './csv';
import { FastCsvScan } from './csv-fast';
import { openJsonl, readJsonlColumns } from './jsonl';
import { ReaderOptions } from './options';

export { DEFAULT_BATCH_SIZE, DEFAULT_TEXT_BATCH_SIZE, MalformedIssue, ReaderOptions } from './options';

export async function openTable(source: DataSource, options: ReaderOptions): Promise<TableReader> {
  switch (options.format) {
    case 'csv':
    case 'tsv':
      return openCsv(source, options);
    case 'jsonl':
      return openJsonl(source, options);
    case 'parquet': {
      if (options.range) throw new Error('Parquet files are not read by byte range.');
      // Loaded only here, so reading CSV never loads the WebAssembly module.
      const { openParquet } = await import('./parquet');
      return openParquet(source, options);
    }
    default:
      throw new DataFormatError(`Unknown data format '${String(options.format)}'.`, { source: source.name });
  }
}

/**
 * Parts a Parquet file is split into at most. Each part costs its reader's and checkers' start (the first values of
 * a column are counted exactly, text columns learn that their values are mostly distinct) and a merge: about 0.1 s
 * of CPU on the benchmark's rows, so a file is split into one part per worker, as a text file is.
 */
const MAX_PARQUET_PARTS = 32;

/**
 * Splits a local Parquet file into parts for workers to read in parallel, as rows [start, end) of the file: one run
 * of consecutive pieces of row groups per worker (at most MAX_PARQUET_PARTS), with about the same number of rows
 * each. A piece is a row group, or part of one of over pieceRows rows with an offset index (by default as the
 * reader reads it, see rowGroupPieces); with fewer row groups than workers, each row group is cut into a piece per
 * worker at least. Reading every part gives exactly the rows of one whole-file read, in order. A file whose footer
 * cannot be read, or a non-local source: undefined (read the file whole).
 */
export async function splitParquet(source: DataSource, parts: number, pieceRows?: number): Promise<Array<{ start: number; end: number }> | undefined> {
  if (parts <= 1 || source.localPath === undefined) return undefined;
  const { parquetRowGroups, rowGroupPieces } = await import('./parquet');
  const layout = parquetRowGroups(source);
  const groups = layout?.rows.map((n, g) => ({ n, indexed: layout.indexed[g] })).filter((group) => group.n > 0);
  if (!groups || groups.length === 0) return undefined;
  const total = groups.reduce((a, group) => a + group.n, 0);
  // The ends of the pieces, as rows of the file.
  const ends: number[] = [];
  const forWorkers = Math.ceil(parts / groups.length);
  let first = 0;
  for (const { n, indexed } of groups) {
    const pieces = rowGroupPieces(n, indexed, pieceRows);
    const k = Math.min(n, Math.max(forWorkers, pieces.length));
    if (k === pieces.length) pieces.forEach((piece) => ends.push(first + piece.end));
    else for (let i = 1; i <= k; i++) ends.push(first + Math.floor((n * i) / k));
    first += n;
  }
  const k = Math.min(ends.length, parts, MAX_PARQUET_PARTS);
  const ranges: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (let i = 0; i < ends.length - 1; i++) {
    // Close the run once it reaches its share of the rows, or when each run still to come needs a piece left.
    const piecesLeft = ends.length - 1 - i;
    const runsLeft = k - 1 - ranges.length;
    if (runsLeft > 0 && (ends[i] >= (total * (ranges.length + 1)) / k || piecesLeft <= runsLeft)) {
      ranges.push({ start, end: ends[i] });
      start = ends[i];
    }
  }
  ranges.push({ start, end: total });
  return ranges.length > 1 ? ranges : undefined;
}

/**
 * How much a column group may exceed an even share of the work and still be read by a worker of its own: reading a
 * file by columns, each worker runs (and its JIT compiles) the code of its columns' types only, which took about
 * 10 % less CPU than each worker reading every column of half the rows.
 */
const COLUMN_SPLIT_SLACK = 1.1;
/**
 * A value's work, as bytes of column data: reading and checking a column costs about this per row, plus its bytes
 * (decompressed). Fitted to the benchmark's Parquet twin, whose two text columns (58 bytes a row) took about 0.8 of
 * the time of its ten others (29 bytes a row).
 */
const ROW_COST_BYTES = 6;
/** The order columns are grouped in: by physical type, so a group holds columns of one type where it can. */
const TYPE_ORDER = [6 /* BYTE_ARRAY */, 7 /* FIXED_LEN_BYTE_ARRAY */, 2 /* INT64 */, 3 /* INT96 */, 1 /* INT32 */, 5 /* DOUBLE */, 4 /* FLOAT */, 0 /* BOOLEAN */];

/**
 * Splits the columns of a local Parquet file into `parts` groups for workers to read in parallel, each group every
 * row of its columns, or undefined when they cannot be split evenly (within COLUMN_SPLIT_SLACK of an even share of
 * the estimated work: the column's bytes, decompressed, and ROW_COST_BYTES per row), or the footer cannot be read.
 * readColumns: the only columns to read (default all); together: columns that must be read by one worker (a
 * compound primary key). Columns are grouped by physical type, then by size.
 */
export async function splitParquetColumns(source: DataSource, parts: number, options: { readColumns?: string[]; together?: string[] } = {}): Promise<string[][] | undefined> {
  if (parts <= 1 || source.localPath === undefined) return undefined;
  const { parquetColumnSizes } = await import('./parquet');
  const sizes = parquetColumnSizes(source);
  if (!sizes) return undefined;
  const { readColumns, together = [] } = options;
  const rank = (type: number) => (TYPE_ORDER.includes(type) ? TYPE_ORDER.indexOf(type) : TYPE_ORDER.length);
  const columns = sizes.columns
    .filter((column) => !readColumns || readColumns.includes(column.name))
    .map((column) => ({ ...column, cost: column.bytes + ROW_COST_BYTES * sizes.rows }))
    .sort((a, b) => rank(a.type) - rank(b.type) || b.cost - a.cost);
  // The columns that go together are one unit, where the first of them is.
  const units: Array<{ names: string[]; cost: number }> = [];
  let joint: { names: string[]; cost: number } | undefined;
  for (const column of columns) {
    if (!together.includes(column.name)) units.push({ names: [column.name], cost: column.cost });
    else if (joint) {
      joint.names.push(column.name);
      joint.cost += column.cost;
    } else units.push((joint = { names: [column.name], cost: column.cost }));
  }
  const groups = evenRuns(units.map((unit) => unit.cost), parts);
  if (!groups) return undefined;
  const total = units.reduce((n, unit) => n + unit.cost, 0);
  const largest = Math.max(...groups.map(([from, to]) => units.slice(from, to).reduce((n, unit) => n + unit.cost, 0)));
  if (total <= 0 || largest > (COLUMN_SPLIT_SLACK * total) / parts) return undefined;
  return groups.map(([from, to]) => units.slice(from, to).flatMap((unit) => unit.names));
}

/**
 * Cuts costs (none negative), in order, into k runs [from, to) (none empty) whose largest sum is as small as it can
 * be; undefined when there are fewer than k costs. The smallest largest sum is found by bisection, each guess tried
 * by cutting greedily (each run as long as it fits), so thousands of columns take no time.
 */
export function evenRuns(costs: number[], k: number): Array<[number, number]> | undefined {
  const n = costs.length;
  if (k < 1 || n < k) return undefined;
  const greedy = (largest: number): Array<[number, number]> => {
    const runs: Array<[number, number]> = [];
    let from = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (i > from && sum + costs[i] > largest) {
        runs.push([from, i]);
        from = i;
        sum = 0;
      }
      sum += costs[i];
    }
    runs.push([from, n]);
    return runs;
  };
  let lo = Math.max(...costs);
  let hi = costs.reduce((a, b) => a + b, 0);
  for (let round = 0; round < 100 && hi - lo > 1e-9 * hi; round++) {
    const mid = (lo + hi) / 2;
    if (greedy(mid).length <= k) hi = mid;
    else lo = mid;
  }
  const runs = greedy(hi);
  // Fewer runs than k (some fit together): runs of several costs give their last to a run of its own.
  for (let r = runs.length - 1; runs.length < k; ) {
    const [from, to] = runs[r];
    if (to - from < 2) {
      r--;
      continue;
    }
    runs.splice(r, 1, [from, to - 1], [to - 1, to]);
  }
  return runs;
}

const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Splits a local CSV/TSV/JSONL file into about `parts` byte ranges, each starting at a record boundary; the first
 * starts after the header. Reading every range (with headerLine = header) gives exactly the rows of one whole-file
 * read. CSV boundaries come from a quote-parity pre-pass (the quotes of chunks before a target counted in
 * WebAssembly, Buffer.indexOf jumping from quote to quote near one), so a line break inside a quoted field never
 * starts a range; with malformed quoting (a stray quote inside an unquoted field) parity is lost and a boundary
 * may fall inside a record, which the reads then report as malformed rows.
 * Anything else (Parquet, a non-local source, UTF-16, one part) gives one range: the whole file, header included.
 */
export async function splitIntoRanges(
  source: DataSource,
  parts: number,
  options: ReaderOptions,
  how: SplitOptions = {},
): Promise<{ header?: string[]; ranges: Array<{ start: number; end: number }>; confirm?: (quoteCounts: Array<number | undefined>) => Promise<boolean> }> {
  const size = source.size;
  const text = options.format === 'csv' || options.format === 'tsv' || options.format === 'jsonl';
  if (!text || source.localPath === undefined || size === undefined || options.encoding === 'utf16le') {
    if (size === undefined) throw new Error(`splitIntoRanges needs the size of ${source.name}.`);
    return { ranges: [{ start: 0, end: size }] };
  }
  let header: string[] | undefined;
  let dataStart: number;
  if (options.format === 'jsonl') {
    header = options.columns ?? (await readJsonlColumns(source, options));
    dataStart = 0;
  } else {
    const h = await readCsvHeader(source, options);
    header = h.names;
    dataStart = h.dataStart;
  }
  if (parts <= 1 || size - dataStart < 2) return { header, ranges: [{ start: dataStart, end: size }] };
  const rangesOf = (bounds: number[]) => {
    const ranges: Array<{ start: number; end: number }> = [];
    let start = dataStart;
    for (const b of [...bounds, size]) {
      if (b > start) ranges.push({ start, end: b });
      start = Math.max(start, b);
    }
    if (ranges.length === 0) ranges.push({ start: dataStart, end: size });
    return ranges;
  };
  const quotes = options.format !== 'jsonl';
  if (quotes && !how.speculate) return { header, ranges: rangesOf(await recordBoundaries(source, dataStart, size, parts, true, how.signal)) };
  // Without quotes (JSON Lines) a line break is a record boundary; in CSV, one outside quotes, which only the quotes
  // before it can tell: speculated here, confirmed once they are counted.
  const ranges = rangesOf(await lineStarts(source.localPath, targetsOf(dataStart, size, parts), size));
  if (!quotes) return { header, ranges };
  const confirm = async (quoteCounts: Array<number | undefined>): Promise<boolean> => {
    // A boundary is the first line break after its target; it is the one a pass from the start finds (the first
    // outside quotes) exactly when the quotes before it are even in number: when every range before it holds an
    // even number.
    const before = quoteCounts.slice(0, ranges.length - 1);
    if (quoteCounts.length === ranges.length && before.every((n) => n !== undefined)) return before.every((n) => n! % 2 === 0);
    const exact = rangesOf(await recordBoundaries(source, dataStart, size, parts, true, how.signal));
    return exact.length === ranges.length && exact.every((r, i) => r.start === ranges[i].start && r.end === ranges[i].end);
  };
  return { header, ranges, confirm };
}

export interface SplitOptions {
  /**
   * CSV/TSV: split at the first line break after each target at once, rather than reading up to the last target
   * before answering, and give confirm, which tells whether none of them lies inside a quoted field: from the
   * number of quotes in each range (CsvReader.quoteCount) when all but the last were read to their end, else by a
   * pass from the start.
   */
  speculate?: boolean;
  /** Stops the pass that confirms a speculative split (it then confirms nothing). */
  signal?: AbortSignal;
}

/** parts - 1 evenly spaced offsets between from and size. */
function targetsOf(from: number, size: number, parts: number): number[] {
  const step = (size - from) / parts;
  const targets: number[] = [];
  for (let k = 1; k < parts; k++) targets.push(Math.floor(from + k * step));
  return targets;
}

/** Offsets just after the first line break at or after each target, below size, read around the targets only. */
async function lineStarts(file: string, targets: number[], size: number): Promise<number[]> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    const out: number[] = [];
    for (const target of targets) {
      for (let at = target; at < size; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - at), at);
        if (bytesRead === 0) break;
        const lf = buffer.subarray(0, bytesRead).indexOf(LF);
        if (lf >= 0) {
          if (at + lf + 1 < size) out.push(at + lf + 1);
          break;
        }
        at += bytesRead;
      }
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Offsets just after a line break outside quotes, the first at or after each of parts-1 evenly spaced targets. */
async function recordBoundaries(source: DataSource, from: number, size: number, parts: number, quotes: boolean, signal?: AbortSignal): Promise<number[]> {
  const targets = targetsOf(from, size, parts);
  const out: number[] = [];
  let ti = 0;
  let inQuote = false;
  let at = from; // absolute offset of the current chunk
  // A local file is read into one reused buffer: this pass may read most of a large file.
  const stream = source.readChunks ? source.readChunks({ start: from, end: size }) : (source.open({ start: from, end: size }) as AsyncIterable<Buffer>);
  // Chunks before the next target only change the quote parity: the WebAssembly scanner counts their quotes 64
  // bytes at a time, where a search from quote to quote makes a call per quote.
  let counter = quotes ? FastCsvScan.create() : undefined;
  try {
    for await (const raw of stream) {
      if (signal?.aborted) return [];
      const chunk = raw;
      const len = chunk.length;
      let i = 0;
      if (counter !== undefined && ti < targets.length && targets[ti] - at >= len) {
        let odd: boolean | undefined;
        try {
          odd = counter.oddQuotes(chunk, 0, len);
        } catch {
          // Its memory could not grow: the search below goes on alone.
          counter = undefined;
        }
        if (odd !== undefined) {
          if (odd) inQuote = !inQuote;
          i = len;
        }
      }
      while (i < len && ti < targets.length) {
        if (inQuote) {
          const q = chunk.indexOf(QUOTE, i);
          if (q < 0) {
            i = len;
            break;
          }
          inQuote = false;
          i = q + 1;
          continue;
        }
        const target = targets[ti] - at;
        if (i < target) {
          // Before the target only the quote parity matters.
          const q = quotes ? chunk.indexOf(QUOTE, i) : -1;
          if (q >= 0 && q < target) {
            inQuote = true;
            i = q + 1;
          } else i = Math.min(len, target);
          continue;
        }
        const lf = chunk.indexOf(LF, i);
        const q = quotes ? chunk.indexOf(QUOTE, i) : -1;
        if (lf >= 0 && (q < 0 || lf < q)) {
          const b = at + lf + 1;
          out.push(b);
          while (ti < targets.length && targets[ti] < b) ti++;
          i = lf + 1;
        } else if (q >= 0) {
          inQuote = true;
          i = q + 1;
        } else i = len;
      }
      at += len;
      if (ti >= targets.length) break;
    }
  } finally {
    counter?.release();
    (stream as unknown as { destroy?: () => void }).destroy?.();
    await (stream as AsyncGenerator<Buffer>).return?.(undefined);
  }
  return out.filter((b) => b < size);
}
