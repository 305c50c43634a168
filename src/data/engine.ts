/**
 * DataValidate's engine: reads every file of a dataset once, runs the schema's checks, builds the column
 * profiles, compares them with a reference for drift, and assembles the report.
 *
 * Large local text files are split into byte ranges (one per worker), local Parquet files into row ranges (row
 * groups or parts of them), and checked in worker threads; each worker posts its counters, first examples (rows
 * and lines counted from its range), profiles and uniqueness tables, and the main thread merges them in file
 * order. No part holds more than a batch of rows (and the Parquet decoder the rows of one part).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker } from 'worker_threads';
import { UserError, isUserError } from '../errors';
import type { Log } from '../log';
import {
  collisionProbabilityNote,
  evidenceByProfile,
  keyIsUniqueColumn,
  type ColumnEvidence,
  discardPart,
  joinColumnParts,
  PartMerger,
  repeatedNames,
  showRepeatedNames,
  showValue,
  type MergedColumn,
  type MergedResult,
  type PartResult,
  type Tally,
} from './checks';
import { BINNING_RULE, columnDrift, numericPieces } from './drift';
import { formatAge, formatInstant } from './durations';
import { mergeColumnProfileList } from './profile';
import { splitIntoRanges, splitParquet, splitParquetColumns, type ReaderOptions } from './readers';
import { STATISTIC_KINDS } from './schema';
import { detectFormat, type DataFormat, type DataSource } from './sources';
import { columnKind, VALUE_CHECK_KINDS, type CheckResult, type ColumnCheckKind, type ColumnProfile, type ColumnRule, type DataSchema, type DatasetProfile, type DriftResult, type Severity, type StatisticKind, type ValidationReport } from './types';
import { GRID_ROWS, type SketchGrid } from './sketch';
import { checkPart, errorFromPosted, gridsWithoutValues, lendSource, sketchGridsOf, unpackPart, type PartTask, type WorkerReply, type WorkerRequest } from './worker';

export interface ValidateOptions {
  sources: DataSource[];
  format: 'auto' | DataFormat;
  reader: Omit<ReaderOptions, 'format' | 'range' | 'headerLine'>;
  /** Required for validation; absent in infer mode. */
  schema?: DataSchema;
  /** The reference: data (read with reader unless it has settings of its own), or a saved profile. */
  reference?: { kind: 'data'; sources: DataSource[]; format: 'auto' | DataFormat; reader?: ValidateOptions['reader'] } | { kind: 'profile'; profile: DatasetProfile; file: string };
  /** Keys 'numerical', 'categorical' or a column name; they override the schema's thresholds. */
  driftThresholds?: Record<string, number>;
  /** Default min(2, available cores); 1 checks in this thread. */
  workers?: number;
  /** The script workers start with (the bundled task passes its own file); default: this build's worker.js. */
  workerScript?: string;
  log: Log;
  signal?: AbortSignal;
  now?: () => Date;
  /** Distinct values per uniqueness check kept in memory before spilling to temporary files (tests lower it). */
  uniqueMemoryCap?: number;
  /** Where those temporary files go (default: the system's temporary folder; the task gives the agent's). */
  spillDir?: string;
  /** Local text files from this size on are split across workers (default 8 MiB; tests lower it). */
  splitMinBytes?: number;
  /**
   * Whether the profile is kept (written to a file, to compare later data with): then every numeric column keeps
   * its quantile sketch, as a profile read as a reference needs. Otherwise only the columns whose quantiles are
   * read (drift, median) do.
   */
  keepsProfile?: boolean;
}

/**
 * Rows per batch unless the caller says otherwise. A batch of text cells is the largest thing alive at a time;
 * 8192 rows of 12 columns kept peak RSS near 110 MiB where the readers' 65536 took about 350 MiB, and was no slower.
 * JSON Lines columns are the keys of a file's first batch of objects, so this is also how many it looks at.
 */
const ENGINE_BATCH_SIZE = 8192;
/**
 * Rows per batch of CSV and TSV: each column's checks read a batch's bytes once, and 2048 rows of the benchmark's 12
 * columns (about 250 KB) stay in the processor's cache from one column to the next. Against 8192 rows, that was about
 * 3 % faster with one thread and took 15-25 MiB less peak RSS with two.
 */
const CSV_BATCH_SIZE = 2048;
/**
 * A worker holds a batch, its profiles and at most a uniqueness table per checked column; smaller heap limits
 * than V8's defaults make it collect sooner, to bound RSS. The young generation: 4 MiB promoted a batch's cells
 * before they died (old-space GC, slower with two workers than with one); 16 MiB saves ~7 % CPU over 8 MiB but
 * costs ~40 MB more RSS with two workers.
 */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };
/** Local text files smaller than this are read by one worker: splitting costs more than it saves. */
const SPLIT_MIN_BYTES = 8 * 1024 * 1024;

export async function validateData(o: ValidateOptions): Promise<{ report: ValidationReport; profile: DatasetProfile }> {
  const schema = o.schema;
  if (!schema) throw new Error('validateData needs a schema; profileData profiles data without one.');
  const started = Date.now();
  const now = o.now ?? (() => new Date());
  const pool = new WorkerPool(o.workerScript);
  try {
    return await validateWith(o, schema, pool, started, now);
  } finally {
    await pool.close();
  }
}

async function validateWith(o: ValidateOptions, schema: DataSchema, pool: WorkerPool, started: number, now: () => Date): Promise<{ report: ValidationReport; profile: DatasetProfile }> {
  // The reference is planned once the data's parts are queued, and its parts queue behind them: a worker done with
  // the data goes on to the reference while this thread merges the data's parts.
  const given = o.reference;
  let dataQueued!: () => void;
  const queued = new Promise<void>((resolve) => (dataQueued = resolve));
  // Quantile sketches only where something reads them.
  const quantilesRead = (rule: ColumnRule) => o.keepsProfile === true || rule.statistics?.median !== undefined || (given !== undefined && comparedForDrift(rule));
  const withoutQuantiles = schema.columns.filter((rule) => columnKind(rule.type) === 'numeric' && !quantilesRead(rule)).map((rule) => rule.name);
  const dataScan = scanDataset(o.sources, o.format, o, schema, false, pool, { onQueued: dataQueued, ...(withoutQuantiles.length > 0 && { withoutQuantiles }) });
  let referenceScan: Promise<Scan> | undefined;
  if (given?.kind === 'data') {
    // Only the columns drift compares are profiled; the others are only named.
    const readColumns = schema.columns.filter(comparedForDrift).map((rule) => rule.name);
    // Its columns without values in the first rows take the grids the data's declared ranges give (see
    // gridWithoutValues), as the data's do: the reference's schema has no ranges.
    referenceScan = queued.then(() =>
      scanDataset(given.sources, given.format, given.reader ? { ...o, reader: given.reader } : o, profilingSchema(schema), false, pool, {
        readColumns,
        after: dataScan,
        gridsWithoutValues: gridsWithoutValues(schema),
      }),
    );
    // Reported after the data's own errors, when it is awaited; a failed data scan leaves it unawaited.
    referenceScan.catch(() => undefined);
  }
  const scan = await dataScan;
  const checks = datasetChecks(scan.merged, schema, now());
  const absent = new Set(scan.merged.absentColumns);
  for (const rule of schema.columns) {
    const column = scan.merged.columnResults.find((c) => c.name === rule.name);
    if (column && !absent.has(rule.name)) checks.push(...columnChecks(column, rule));
  }
  const profile = datasetProfile(scan.merged, scan.label, now(), schema);

  let drift: ValidationReport['drift'];
  if (given) {
    let reference: { profile: DatasetProfile; label: string };
    if (given.kind === 'profile') reference = { profile: given.profile, label: given.file };
    else {
      const ref = await referenceScan!;
      reference = { profile: datasetProfile(ref.merged, ref.label, now()), label: ref.label };
    }
    const compared = compareDrift(reference.profile, profile, schema, o.driftThresholds ?? {});
    checks.push(...compared.checks);
    const drifted = compared.results.filter((r) => r.drifted).length;
    drift = {
      reference: reference.label,
      results: compared.results,
      driftedShare: compared.results.length === 0 ? 0 : drifted / compared.results.length,
      // Any drifted column counts: one shifted feature is worth a look (Evidently's 50 % share would hide it).
      detected: drifted > 0,
      binning: BINNING_RULE,
    };
  }

  nameFiles(checks, scan.merged.files);
  const failed = checks.filter((c) => !c.success);
  const failedDrift = drift?.results.filter((r) => r.drifted) ?? [];
  const errors = failed.filter((c) => c.severity === 'error').length + failedDrift.filter((r) => r.severity === 'error').length;
  const warnings = failed.filter((c) => c.severity === 'warning').length + failedDrift.filter((r) => r.severity === 'warning').length;
  const report: ValidationReport = {
    passed: errors === 0,
    warnings,
    errors,
    source: scan.label,
    format: scan.formats,
    rowCount: scan.merged.rowCount,
    bytes: scan.merged.bytes,
    durationMs: Date.now() - started,
    ...(schema.file !== undefined && { schemaFile: schema.file }),
    columns: profile.columns,
    checks,
    ...(drift && { drift }),
  };
  return { report, profile };
}

/** Profiles data without checking it: for inferring a schema and for saving a reference profile. */
export async function profileData(o: Omit<ValidateOptions, 'reference' | 'driftThresholds'>): Promise<DatasetProfile> {
  const now = o.now ?? (() => new Date());
  const pool = new WorkerPool(o.workerScript);
  let scan: Scan;
  try {
    scan = await scanDataset(o.sources, o.format, o, o.schema, !o.schema, pool);
  } finally {
    await pool.close();
  }
  const profile = datasetProfile(scan.merged, scan.label, now());
  const malformed = scan.merged.malformed;
  if (malformed.unexpected > 0) {
    const first = malformed.examples[0];
    o.log.warning(
      `${plural(malformed.unexpected, 'row')} of ${scan.label} could not be read as ${scan.formats} and ${malformed.unexpected === 1 ? 'is' : 'are'} not in the profile` +
        `${first ? ` (the first: ${first.value.replace(/\.$/, '')})` : ''}. Validating this data fails dataset.malformed until ${malformed.unexpected === 1 ? 'it is' : 'they are'} mended.`,
    );
  }
  const late = scan.merged.lateColumns ?? [];
  if (late.length > 0) {
    const where = late.map((l) => `${l.name}${l.line !== undefined ? ` (line ${l.line})` : ''}`);
    o.log.warning(
      `${plural(late.length, 'key')} of ${scan.label} first came after the rows its columns were taken from, and ${late.length === 1 ? 'is' : 'are'} not ` +
        `in the profile: ${listNames(where)}. Declare ${late.length === 1 ? 'it' : 'them'} in the schema to validate ${late.length === 1 ? 'it' : 'them'}.`,
    );
  }
  const single = scan.merged.columns.length === 1 && /^(csv|tsv)$/.test(scan.formats) ? scan.merged.columns[0] : undefined;
  const joined = single !== undefined ? joinedBy(single, () => true) : undefined;
  if (joined !== undefined) {
    o.log.warning(`${scan.label} has one column, "${single}": if its columns are separated by '${joined}', set the input csvDelimiter to '${joined}' and infer again.`);
  }
  const evidence: Record<string, ColumnEvidence> = {};
  for (const column of scan.merged.columnResults) {
    if (column.evidence && column.sniffedType) evidence[column.name] = { type: column.sniffedType, evidence: column.evidence };
  }
  evidenceByProfile.set(profile, evidence);
  return profile;
}

// ---------------------------------------------------------------- reading

interface Scan {
  merged: MergedResult;
  label: string;
  formats: string;
}

/** How a scan fits with another one that shares its workers (the data's and the reference's). */
interface ScanSequence {
  /** The only columns to read (see PartTask.readColumns). */
  readColumns?: string[];
  /** Numeric columns whose quantiles nothing reads (see PartTask.withoutQuantiles). */
  withoutQuantiles?: string[];
  /** Called once the scan's parts are queued for the workers (or, read in this thread, once they are read). */
  onQueued?: () => void;
  /** A scan to let finish first when this one is read in this thread; its failure fails this one. */
  after?: Promise<unknown>;
  /** Split CSV files exactly, rather than at once and confirmed by the quotes their parts count (see SplitOptions.speculate). */
  exactSplits?: boolean;
  /** The grids of numeric columns without values in the first rows; by default those of the scan's schema. */
  gridsWithoutValues?: Record<string, SketchGrid>;
}

/** Why a scan stops when a split of a CSV file turns out to lie inside a quoted field. */
const MISSPLIT = new Error('A CSV file was split inside a quoted field.');

type ScanOptions = Pick<ValidateOptions, 'reader' | 'workers' | 'workerScript' | 'log' | 'signal' | 'uniqueMemoryCap' | 'spillDir' | 'splitMinBytes'>;

/**
 * scanDatasetIn a spill folder of the scan's own (made only if something spills), removed when the scan ends
 * however it ends: a worker stopped in the middle of a part, after another part failed, leaves its files there.
 */
async function scanDataset(...args: Parameters<typeof scanDatasetIn>): Promise<Scan> {
  const [sources, requestedFormat, o, ...rest] = args;
  const spillDir = path.join(o.spillDir ?? os.tmpdir(), `datavalidate-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  try {
    return await scanDatasetIn(sources, requestedFormat, { ...o, spillDir }, ...rest);
  } finally {
    try {
      fs.rmSync(spillDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Files a stopped worker still holds open (Windows): the agent's temporary folder goes after the job.
    }
  }
}

async function scanDatasetIn(
  sources: DataSource[],
  requestedFormat: 'auto' | DataFormat,
  o: ScanOptions,
  schema: DataSchema | undefined,
  sniffUniqueness: boolean,
  pool: WorkerPool,
  sequence: ScanSequence = {},
): Promise<Scan> {
  if (sources.length === 0) throw new UserError('There is no data to validate: no files were found.');
  const started = Date.now();
  const workers = Math.max(1, Math.floor(o.workers ?? Math.min(2, os.availableParallelism())));
  const formats = await Promise.all(sources.map((source) => detectFormat(source, requestedFormat)));
  const { onMalformed: _ignored, ...given } = o.reader as ReaderOptions;
  const delimited = formats.every((format) => format === 'csv' || format === 'tsv');
  const reader = { ...given, batchSize: given.batchSize ?? (delimited ? CSV_BATCH_SIZE : ENGINE_BATCH_SIZE), ...(schema && { declaredColumns: schema.columns.map((rule) => rule.name) }) };
  const withoutValues = sequence.gridsWithoutValues ?? (schema && gridsWithoutValues(schema));
  const common = {
    reader,
    schema,
    sniffUniqueness,
    readColumns: sequence.readColumns,
    withoutQuantiles: sequence.withoutQuantiles,
    uniqueMemoryCap: o.uniqueMemoryCap,
    ...(o.spillDir !== undefined && { spillDir: o.spillDir }),
    ...(withoutValues && { gridsWithoutValues: withoutValues }),
  };

  // Splits of CSV files at line breaks yet to be confirmed as record boundaries (see splitIntoRanges), by the quotes
  // their parts count.
  const splits: Split[] = [];
  const stopConfirming = new AbortController();
  // Threads that will be needed start now, while the files are split.
  const large = (s: DataSource) => s.localPath !== undefined && (s.size ?? 0) >= (o.splitMinBytes ?? SPLIT_MIN_BYTES);
  if (workers > 1 && sources.some(large)) pool.take(workers);
  // Each part costs its checkers' start and a merge: files are split only when whole ones would leave a worker
  // idle, and then only those over half a worker's share of the dataset.
  const sizes = sources.map((s) => s.size ?? 0);
  const half = sizes.reduce((a, b) => a + b, 0) / (2 * workers);
  const split = workers > 1 && !wholeFilesBalance(sizes, workers);
  const splittable = (s: DataSource) => split && large(s) && (s.size ?? 0) > half;
  let tasks: Task[];
  try {
    tasks = await partsOf(sources, formats, splittable, workers, common, !sequence.exactSplits, splits, stopConfirming.signal);
  } catch (e) {
    // The files split before the one that failed are not confirmed.
    stopConfirming.abort();
    throw e;
  }

  const useWorkers = workers > 1 && tasks.length > 1;
  let queuedFor = 0;
  const reading = new AbortController();
  const grids = new GridsForParts(headOf(tasks, schema), reading.signal, tasks[0]?.sameRows);
  // Numeric columns counted exactly in each part may need a sketch once merged: on the grid the parts were given.
  const merger = new PartMerger((profiles) => mergeColumnProfileList(profiles, grids.grid(profiles[0].name)), {
    uniqueMemoryCap: o.uniqueMemoryCap,
    spillDir: o.spillDir,
    canMergeNumeric: () => grids.ready(),
  });
  // Parts come as they are done; they are merged in data order, each as soon as those before it are in.
  const waiting = new Map<number, PartResult>();
  let next = 0;
  let dropping = false;
  // The quotes each part of a split file counted, by part (see Split).
  const quoteCounts: Array<number | undefined> = [];
  const onPart = (index: number, part: PartResult) => {
    quoteCounts[index] = part.quotes;
    // An odd count in a part before the last of its file: a split inside a quoted field; the other parts need not be
    // read on (the file is read again, split exactly).
    if (part.quotes !== undefined && part.quotes % 2 === 1 && splits.some((split) => index >= split.first && index < split.first + split.parts - 1)) reading.abort(MISSPLIT);
    // A part that comes after the scan failed is not merged: its spill files go.
    if (dropping) return discardPart(part);
    part.bytes += tasks[index].bytesBefore ?? 0;
    waiting.set(index, part);
    try {
      for (;;) {
        // The next part, or the next parts that read the same rows (each its own columns), once all of them are in.
        const size = tasks[next]?.sameRows ?? 1;
        const ready: PartResult[] = [];
        for (let k = next; k < next + size && waiting.has(k); k++) ready.push(waiting.get(k)!);
        if (ready.length < size) break;
        for (let k = next; k < next + size; k++) waiting.delete(k);
        const readColumns = tasks.slice(next, next + size).map((t) => t.task.readColumns ?? []);
        next += size;
        merger.add(size === 1 ? ready[0] : joinColumnParts(ready, readColumns));
      }
    } catch (e) {
      // Columns that differ between files: the other parts need not be read.
      reading.abort(e);
    }
  };
  const stopReading = () => reading.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', stopReading, { once: true });
  if (o.signal?.aborted) stopReading();
  // Once the parts are read: whether every split was at a record boundary.
  const confirmed = async () => (await Promise.all(splits.map((split) => split.confirm(quoteCounts.slice(split.first, split.first + split.parts))))).every(Boolean);
  let merged: MergedResult;
  try {
    const ro = { ...o, signal: reading.signal };
    if (useWorkers) {
      const run = runInWorkers(tasks, workers, pool, ro, grids, onPart);
      sequence.onQueued?.();
      ({ queuedFor } = await run);
    } else {
      // In this thread once the scan before it is done (not at all when that one failed): one dataset's batches in
      // memory at a time.
      if (sequence.after) await sequence.after;
      await runInProcess(tasks, reading.signal, grids, onPart);
      sequence.onQueued?.();
    }
    if (splits.length > 0 && !(await confirmed())) throw MISSPLIT;
    if (reading.signal.aborted) throw reading.signal.reason;
    await grids.given();
    merged = merger.finish();
  } catch (e) {
    merger.discard();
    dropping = true;
    for (const part of waiting.values()) discardPart(part);
    waiting.clear();
    // A failure caused by a wrong split (or one that comes with it) is read again with splits made exactly.
    if (o.signal?.aborted || splits.length === 0 || (e !== MISSPLIT && (await confirmed().catch(() => true)))) throw e;
    o.log.info(`A line break in a quoted field of ${labelOf(sources)} was taken for the end of a record when the file was split; reading it again, split exactly.`);
    return scanDataset(sources, requestedFormat, o, schema, sniffUniqueness, pool, { ...sequence, onQueued: undefined, exactSplits: true });
  } finally {
    o.signal?.removeEventListener('abort', stopReading);
    stopConfirming.abort();
  }
  // The time its parts waited behind another dataset's is not this dataset's.
  const seconds = (Date.now() - started - queuedFor) / 1000;
  const megabytes = merged.bytes / 1e6;
  o.log.info(
    `Read ${plural(merged.rowCount, 'row')} (${megabytes.toFixed(1)} MB) of ${labelOf(sources)} in ${seconds.toFixed(1)} s` +
      `${seconds > 0 ? ` (${(megabytes / seconds).toFixed(0)} MB/s)` : ''} with ${useWorkers ? `${Math.min(workers, tasks.length)} worker threads${tasks.some((t) => t.sameRows) ? ', each reading columns of its own' : ''}` : 'one thread'}.`,
  );
  return { merged, label: labelOf(sources), formats: [...new Set(formats)].join(', ') };
}

/**
 * Whether files of these sizes, read whole, keep the workers about equally busy: taken in order, each by the worker
 * with the least to read so far, none reads more than 10 % over an even share. Four files of about the same size
 * for two workers do; one, three or five do not.
 */
export function wholeFilesBalance(sizes: number[], workers: number): boolean {
  const loads = new Array<number>(workers).fill(0);
  for (const size of sizes) {
    let least = 0;
    for (let w = 1; w < workers; w++) if (loads[w] < loads[least]) least = w;
    loads[least] += size;
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  return Math.max(...loads) <= (1.1 * total) / workers;
}

/**
 * A CSV file split at once (see SplitOptions.speculate), its parts the tasks from first on: confirm tells, from the
 * quotes each part counted (undefined for a part not read to its end), whether every split was at a record boundary.
 */
interface Split {
  first: number;
  parts: number;
  confirm: (quoteCounts: Array<number | undefined>) => Promise<boolean>;
}

/**
 * The parts of a dataset to read: each file whole, or (splittable ones) Parquet files as runs of rows and text
 * files as byte ranges. A CSV file split at once (speculate) adds its split, to be confirmed once its parts are read.
 */
async function partsOf(
  sources: DataSource[],
  formats: DataFormat[],
  splittable: (source: DataSource) => boolean,
  workers: number,
  common: Omit<PartTask, 'source' | 'format' | 'lineBase'>,
  speculate: boolean,
  splits: Split[],
  signal: AbortSignal,
): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    const format = formats[i];
    const base: PartTask = { source: { name: source.name, localPath: source.localPath, size: source.size }, format, lineBase: 0, ...common };
    if (!splittable(source)) {
      tasks.push({ task: base, source });
      continue;
    }
    if (format === 'parquet') {
      // A group of columns per worker, every row of them, where the columns split evenly (see splitParquetColumns).
      const key = common.schema?.dataset.primaryKey;
      const together = key && !keyIsUniqueColumn(common.schema!) ? key.columns : undefined;
      const groups = await splitParquetColumns(source, workers, { readColumns: common.readColumns, together });
      if (groups) {
        groups.forEach((readColumns, k) => tasks.push({ task: { ...base, readColumns }, source, ...(k === 0 && { sameRows: groups.length }) }));
        continue;
      }
      // Otherwise a run of rows per worker, each read a piece of a row group at a time (see splitParquet).
      const parts = await splitParquet(source, workers);
      if (parts) parts.forEach((rows) => tasks.push({ task: { ...base, rows }, source }));
      else tasks.push({ task: base, source });
      continue;
    }
    const split = await splitIntoRanges(source, workers, { ...common.reader, format }, { speculate, signal });
    if (!split.header || split.ranges.length <= 1) {
      tasks.push({ task: base, source });
      continue;
    }
    const headerLines = format === 'jsonl' || common.reader.header === false ? 0 : 1 + split.header.reduce((n, name) => n + (name.split('\n').length - 1), 0);
    if (split.confirm) splits.push({ first: tasks.length, parts: split.ranges.length, confirm: split.confirm });
    // The first range starts after the header, whose bytes count with it.
    split.ranges.forEach((range, k) =>
      tasks.push({ task: { ...base, range, headerLine: split.header, lineBase: k === 0 ? headerLines : 0 }, source, ...(k === 0 && { bytesBefore: range.start }) }),
    );
  }
  return tasks;
}

/**
 * The schema reference data is read with: the same columns, types and formats, so its profiles compare with the
 * data's, and none of the checks, whose results on the reference would be thrown away.
 */
function profilingSchema(schema: DataSchema): DataSchema {
  return {
    ...schema,
    columns: schema.columns.map((rule) => ({
      name: rule.name,
      type: rule.type,
      ...(rule.format !== undefined && { format: rule.format }),
      nullable: true,
      severity: rule.severity,
      ...(rule.drift !== undefined && { drift: rule.drift }),
    })),
    dataset: { columns: schema.dataset.columns },
  };
}

function labelOf(sources: DataSource[]): string {
  if (sources.length <= 3) return sources.map((s) => s.name).join(', ');
  return `${sources[0].name} and ${sources.length - 1} more files`;
}

/**
 * A part to check; bytesBefore: bytes of its file before its range that no part reads (a split file's header);
 * sameRows, on the first of parts that read the same rows, each its own columns (a Parquet file split by columns):
 * how many they are. Their results are merged as one part.
 */
type Task = { task: PartTask; source: DataSource; bytesBefore?: number; sameRows?: number };

/**
 * When a dataset is read in parts: its first GRID_ROWS rows (or its first file, when shorter), read for the grids of
 * its numeric sketches only (other columns passed over, no checks), or undefined when there is nothing to read it
 * for. Without a schema (infer mode) columns have candidate profiles only, which pass no grids on.
 */
function headOf(tasks: Task[], schema: DataSchema | undefined): Task | undefined {
  const first = tasks[0];
  const firstParts = first?.sameRows ?? 1;
  if (!schema || tasks.length <= firstParts || first.source.localPath === undefined) return undefined;
  // The columns of the first parts (those read by columns read the first rows each).
  const firsts = tasks.slice(0, firstParts);
  const given = firsts.some((t) => t.task.readColumns === undefined) ? undefined : firsts.flatMap((t) => t.task.readColumns!);
  const readColumns = schema.columns.filter((rule) => columnKind(rule.type) === 'numeric' && (!given || given.includes(rule.name))).map((rule) => rule.name);
  if (readColumns.length === 0) return undefined;
  // The first file from its first row on, past the end of the first part when that may be shorter (a Parquet part
  // that holds the rows is read as it is: the decoder starts faster on a part than on the whole file).
  const { rows, range, readColumns: _read, ...task } = first.task;
  const size = first.source.size;
  const fromStart =
    rows && rows.end - rows.start >= GRID_ROWS ? first.task : range && size !== undefined ? { ...task, range: { start: range.start, end: size } } : task;
  return { task: { ...fromStart, schema: profilingSchema(schema), readColumns, maxRows: GRID_ROWS }, source: first.source };
}

/**
 * The sketch grids of the head of a dataset (headOf), given to every later part as it starts and to the merge, so the
 * sketches of all parts merge exactly. The first part needs none: it puts its sketches on those grids by itself
 * (ColumnAccumulator.settleGrid), or ends before it needs them.
 */
class GridsForParts {
  private grids: Promise<Record<string, SketchGrid>> | undefined;
  /** The grids, once read. */
  private settled: Record<string, SketchGrid> | undefined;

  /** firstParts: the parts that read the dataset's first rows (more than one when its first file is read by columns). */
  constructor(
    private readonly head: Task | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly firstParts = 1,
  ) {}

  /** The task of part `index` (0 = the first part) read in this thread, with the grids it is to use. */
  async taskFor(index: number, item: Task): Promise<PartTask> {
    if (index < this.firstParts || !this.head) return item.task;
    const head = this.head;
    this.grids ??= checkPart(head.task, head.source, this.signal).then((part) => (this.settled = sketchGridsOf(part, head.task.gridsWithoutValues)));
    return { ...item.task, sketchGrids: await this.grids };
  }

  /**
   * The task of part `index` for a worker, with the grids it is to use; or, for the first such part, the task and
   * the head, which that worker reads before it (then supply the grids it sends back): in this thread the head would
   * take a core from the workers, hold a batch of its own, and for Parquet grow this thread's WebAssembly memory by
   * a row group; as a part of its own, its worker would wait for this thread, maybe busy merging, to send the next.
   */
  async planFor(index: number, item: Task): Promise<{ task: PartTask; head?: PartTask }> {
    if (index < this.firstParts || !this.head) return { task: item.task };
    if (this.grids === undefined) {
      const grids = deferred<Record<string, SketchGrid>>();
      this.supplied = grids;
      this.grids = grids.promise.then((given) => (this.settled = given));
      // Its failure is the failure of the part that reads the head (or nobody's, once the scan is over): never unhandled.
      this.grids.catch(() => undefined);
      return { task: item.task, head: this.head.task };
    }
    return { task: { ...item.task, sketchGrids: await this.grids } };
  }

  /** The grids of the head, read by the worker planFor gave it to. */
  supply(grids: Promise<Record<string, SketchGrid>>): void {
    grids.then(this.supplied!.resolve, this.supplied!.reject);
  }

  private supplied: Deferred<Record<string, SketchGrid>> | undefined;

  /** The grids given to the later parts (a promise), or undefined when there were none to give. */
  given(): Promise<Record<string, SketchGrid>> | undefined {
    return this.grids;
  }

  /** Whether the grids are known, or there are none to wait for: grid() then gives what the parts were given. */
  ready(): boolean {
    return this.grids === undefined || this.settled !== undefined;
  }

  grid(column: string): SketchGrid | undefined {
    return this.settled?.[column];
  }
}

async function runInProcess(tasks: Task[], signal: AbortSignal | undefined, grids: GridsForParts, onPart: (index: number, part: PartResult) => void): Promise<void> {
  for (const [index, item] of tasks.entries()) {
    signal?.throwIfAborted();
    onPart(index, await checkPart(await grids.taskFor(index, item), item.source, signal));
  }
}

/** A part to check on a worker thread; it settles its own promise and never throws. */
interface Job {
  run(worker: Worker): Promise<void>;
  /** The pool closed before the job's turn came. */
  cancel(): void;
}

/**
 * One part sent to a worker: free once the worker can take the next part (freed), then its result; sent with a
 * head, the grids of the head first.
 */
interface Sent {
  name: string;
  free: Deferred<void>;
  freed: boolean;
  result: Deferred<PartResult>;
  grids?: Deferred<Record<string, SketchGrid>>;
}

/** The parts sent to one worker thread, in order, with its replies matched to them (see WorkerReply). Exported for tests. */
export class WorkerChannel {
  private readonly sent: Sent[] = [];
  private ending = false;
  /** Why the worker is gone, once it is: later parts fail at once. */
  private gone: ((name: string) => Error) | undefined;

  constructor(readonly worker: Pick<Worker, 'on' | 'postMessage' | 'terminate'>) {
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (e: Error) => this.fail(() => e));
    worker.on('exit', (code: number) => {
      this.gone = (name) => new Error(`A DataValidate worker thread stopped (exit code ${code}) before finishing ${name}.`);
      this.fail(this.gone);
    });
  }

  /**
   * Sends a part; free: the worker is done checking it (its result is on its way), result: the result. A part of a
   * source only this thread can read (a blob) comes with the source, lent to the worker (lendSource) until its result.
   * With a head (a local file's first rows), the worker reads the head first and checks the part on its grids,
   * which come back first (grids); a failure of the head is the part's.
   */
  send(task: PartTask, source?: DataSource, head?: PartTask): { free: Promise<void>; result: Promise<PartResult>; grids?: Promise<Record<string, SketchGrid>> } {
    const entry: Sent = { name: task.source.name, free: deferred<void>(), freed: false, result: deferred<PartResult>(), ...(head && { grids: deferred<Record<string, SketchGrid>>() }) };
    this.sent.push(entry);
    const headOf = head && { head };
    if (this.gone) this.fail(this.gone);
    else if (source === undefined) this.worker.postMessage({ task, ...headOf } satisfies WorkerRequest);
    else {
      // A compressed file is lent as it is and decompressed by the worker.
      const { port1, port2 } = new MessageChannel();
      const stopLending = lendSource(source.compressed ?? source, port1);
      entry.result.promise.then(stopLending, stopLending);
      this.worker.postMessage({ task, port: port2, gunzip: source.compressed !== undefined, ...headOf } satisfies WorkerRequest, [port2]);
    }
    return { free: entry.free.promise, result: entry.result.promise, grids: entry.grids?.promise };
  }

  /** Stops the worker once the results it has posted have arrived; the part it is checking fails. */
  end(): void {
    this.ending = true;
    if (!this.sent.some((e) => e.freed)) void this.worker.terminate();
  }

  private receive(reply: WorkerReply): void {
    if ('grids' in reply) {
      this.sent.find((e) => e.grids !== undefined && !e.freed)?.grids!.resolve(reply.grids);
      return;
    }
    if ('ready' in reply) {
      const entry = this.sent.find((e) => !e.freed);
      if (entry) {
        entry.freed = true;
        entry.free.resolve();
      }
      return;
    }
    const entry = this.sent.shift();
    if (!entry) return;
    if (!entry.freed) {
      entry.freed = true;
      entry.free.resolve();
    }
    if ('ok' in reply) {
      try {
        entry.result.resolve(unpackPart(reply.ok, reply.categoryLists));
      } catch (e) {
        entry.result.reject(e as Error);
      }
    } else {
      const error = errorFromPosted(reply.error);
      entry.result.reject(error);
      // The head failed (or the part did, after the grids came: then this does nothing).
      entry.grids?.reject(error);
    }
    if (this.ending && !this.sent.some((e) => e.freed)) void this.worker.terminate();
  }

  private fail(error: (name: string) => Error): void {
    for (const entry of this.sent.splice(0)) {
      entry.free.reject(error(entry.name));
      entry.result.reject(error(entry.name));
      entry.grids?.reject(error(entry.name));
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (e: Error) => void;
}

/** A promise with its resolve and reject, never reported as unhandled (whoever awaits it sees its rejection). */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Worker threads, started when first needed and kept for the scans that follow (the reference after the data), so
 * each thread starts once, and the queue of parts they check: each worker takes the next part when it is done with
 * one, whichever scan queued it. close() ends them.
 */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly channels = new Map<Worker, WorkerChannel>();
  private readonly queue: Job[] = [];
  /** Workers taking parts from the queue. */
  private readonly taking = new Set<Worker>();
  private closed = false;

  constructor(private readonly script = path.join(__dirname, 'worker.js')) {}

  /** n workers, the missing ones started now. */
  take(n: number): Worker[] {
    while (!this.closed && this.workers.length < n) {
      const worker = new Worker(this.script, { workerData: { dataValidateWorker: true }, resourceLimits: WORKER_HEAP_LIMITS });
      // A worker that fails while idle (it may start before there is a part for it) is replaced when next needed;
      // one that fails on a part is reported by that part.
      worker.on('error', () => this.discard(worker));
      this.channels.set(worker, new WorkerChannel(worker));
      this.workers.push(worker);
    }
    return this.workers.slice(0, n);
  }

  /** Sends a worker a part (see WorkerChannel.send). */
  send(worker: Worker, task: PartTask, source?: DataSource, head?: PartTask): ReturnType<WorkerChannel['send']> {
    return this.channels.get(worker)!.send(task, source, head);
  }

  /** Queues jobs behind those queued before, for the first n workers to take in turn. */
  submit(jobs: Job[], n: number): void {
    if (this.closed) {
      for (const job of jobs) job.cancel();
      return;
    }
    this.queue.push(...jobs);
    for (const worker of this.take(n)) if (!this.taking.has(worker)) void this.takeJobs(worker);
  }

  private async takeJobs(worker: Worker): Promise<void> {
    this.taking.add(worker);
    try {
      while (this.queue.length > 0 && this.workers.includes(worker)) await this.queue.shift()!.run(worker);
    } finally {
      this.taking.delete(worker);
    }
    // Discarded with jobs left and no worker taking them: the next worker takes over.
    if (this.queue.length > 0 && this.taking.size === 0 && !this.closed) this.submit([], 1);
  }

  /**
   * A worker that failed or was interrupted mid-part is not reused. It is stopped once the results it posted before
   * (of other scans' parts, maybe) have arrived.
   */
  discard(worker: Worker): void {
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    // Kept in channels: a part sent to it after this fails with the reason it stopped.
    this.channels.get(worker)!.end();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.cancel();
    const all = this.workers.splice(0);
    await Promise.all(all.map((worker) => worker.terminate()));
  }
}

/**
 * The parts go to the pool of worker threads, queued behind any other scan's; a worker reads a local file itself,
 * and is lent the bytes of other sources (blobs), which this thread reads. queuedFor: how long the first part waited
 * for a worker after being queued.
 */
async function runInWorkers(
  tasks: Task[],
  workers: number,
  pool: WorkerPool,
  o: Pick<ValidateOptions, 'signal' | 'log'>,
  grids: GridsForParts,
  onPart: (index: number, part: PartResult) => void,
): Promise<{ queuedFor: number }> {
  const items = tasks.map((t, i) => ({ ...t, index: i }));
  let abort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    abort = () => reject(o.signal?.reason ?? new Error('The validation was canceled.'));
    o.signal?.addEventListener('abort', abort, { once: true });
    // Canceled while the files were being split: the event has come and gone.
    if (o.signal?.aborted) abort();
  });
  aborted.catch(() => undefined);
  /** Workers on one of this scan's parts. */
  const busy = new Set<Worker>();
  let failed = false;
  const queuedAt = Date.now();
  let firstStarted: number | undefined;
  const jobs: Job[] = [];
  const done = items.map(
    (item) =>
      new Promise<void>((resolve, reject) => {
        jobs.push({
          run: async (worker) => {
            // After a failure or a cancel, the parts still queued are passed over.
            if (failed || o.signal?.aborted) return resolve();
            firstStarted ??= Date.now();
            busy.add(worker);
            let result: Promise<PartResult>;
            try {
              // A part of a source this thread reads (a blob) is lent to the worker.
              const lent = item.source.localPath === undefined ? item.source : undefined;
              const plan = await grids.planFor(item.index, item);
              const sent = pool.send(worker, plan.task, lent, plan.head);
              if (sent.grids) grids.supply(sent.grids);
              result = sent.result;
              // Done with the part: the worker takes its next one while this thread receives the result.
              await sent.free;
            } catch (e) {
              // The worker stopped (or the head of the grids, read by another worker, failed).
              failed = true;
              pool.discard(worker);
              return reject(e);
            } finally {
              busy.delete(worker);
            }
            result.then(
              (part) => {
                // After the worker's next part is posted.
                setImmediate(() => {
                  onPart(item.index, part);
                  resolve();
                });
              },
              (e: Error) => {
                failed = true;
                reject(e);
              },
            );
          },
          cancel: () => reject(new Error('The worker threads were closed before every part was checked.')),
        });
      }),
  );
  pool.submit(jobs, Math.min(workers, items.length));
  try {
    await Promise.race([Promise.all(done), aborted]);
    return { queuedFor: Math.max(0, (firstStarted ?? queuedAt) - queuedAt) };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (abort) o.signal?.removeEventListener('abort', abort);
    // A worker still checking a part of this scan (after a cancel or another part's failure) is stopped, not reused.
    for (const worker of [...busy]) pool.discard(worker);
  }
}

// ---------------------------------------------------------------- checks

function result(
  id: string,
  kind: CheckResult['kind'],
  severity: Severity,
  expectation: string,
  tally: Tally | undefined,
  observed: string,
  column?: string,
  success = (tally?.unexpected ?? 0) === 0,
): CheckResult {
  return {
    id,
    kind,
    ...(column !== undefined && { column }),
    severity,
    success,
    expectation,
    observed,
    ...(tally && { elementCount: tally.elements, unexpectedCount: tally.unexpected }),
    examples: success ? [] : (tally?.examples ?? []),
  };
}

/** Gives each example the file its row is in, for a dataset of several files (its rows count through them). */
function nameFiles(checks: CheckResult[], files: MergedResult['files']): void {
  if (files.length < 2) return;
  const ends: number[] = [];
  files.reduce((at, f) => (ends.push(at + f.rows), at + f.rows), 0);
  const fileOf = (row: number) => {
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] >= row) hi = mid;
      else lo = mid + 1;
    }
    return files[lo].source;
  };
  for (const check of checks) {
    // A line that could not be read as a row has no row to place it by.
    check.examples = check.examples.map((e) => (e.row < 1 ? e : { row: e.row, ...(e.line !== undefined && { line: e.line }), file: fileOf(e.row), value: e.value }));
  }
}

/** n and what, in the plural unless n is 1: '1 row', '2 rows'. */
export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function listNames(names: string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

/**
 * The columns the data has: those read, less the JSON Lines keys that no row had (read only because the schema
 * declares them), and with the keys that first came after the columns were set (not read).
 */
function dataColumns(merged: MergedResult): string[] {
  const absent = new Set(merged.absentColumns);
  const read = merged.columns.filter((name) => !absent.has(name));
  return [...read, ...(merged.lateColumns ?? []).map((late) => late.name).filter((name) => !read.includes(name))];
}

function datasetChecks(merged: MergedResult, schema: DataSchema, now: Date): CheckResult[] {
  const checks: CheckResult[] = [];
  const dataset = schema.dataset;
  checks.push(
    result('dataset.malformed', 'malformed', 'error', 'every row can be read as the format says', merged.malformed, merged.malformed.unexpected === 0 ? 'no malformed rows' : plural(merged.malformed.unexpected, 'malformed row')),
  );

  const declared = schema.columns.map((c) => c.name);
  const columns = dataColumns(merged);
  const missing = declared.filter((name) => !columns.includes(name));
  const extra = [...new Set(columns.filter((name) => !declared.includes(name)))];
  // A name the data gives two columns is ambiguous in every mode: the rules of that name check the first of them.
  const repeated = repeatedNames(merged.columns);
  const repeats = repeated.reduce((n, { at }) => n + at.length - 1, 0);
  const mode = dataset.columns.mode;
  const columnsOk =
    repeated.length === 0 && (mode === 'exact' ? missing.length === 0 && extra.length === 0 : mode === 'subset' ? extra.length === 0 : missing.length === 0);
  const problems = [
    ...(missing.length > 0 && mode !== 'subset' ? [`missing: ${listNames(missing)}`] : []),
    ...(extra.length > 0 && mode !== 'superset' ? [`not in the schema: ${listNames(extra)}`] : []),
    ...(repeated.length > 0 ? [`named more than once: ${showRepeatedNames(repeated)}; the rules of a name check the first column of that name`] : []),
  ];
  checks.push({
    id: 'dataset.columns',
    kind: 'columns',
    severity: dataset.columns.severity,
    success: columnsOk,
    expectation:
      mode === 'exact'
        ? 'the data has exactly the columns of the schema'
        : mode === 'subset'
          ? 'every data column is declared in the schema'
          : 'the data has every column of the schema (and may have more)',
    observed:
      columns.length === 0 && merged.rowCount === 0
        ? 'no columns: the data is empty'
        : problems.length > 0
          ? problems.join('; ') + delimiterHint(extra, declared)
          : plural(columns.length, 'column'),
    // The names the data and the schema give together, each column of a repeated name counted: never fewer than those
    // missing, extra or repeated.
    elementCount: new Set([...declared, ...columns]).size + repeats,
    unexpectedCount: (mode !== 'subset' ? missing.length : 0) + (mode !== 'superset' ? extra.length : 0) + repeats,
    examples: [],
  });

  if (dataset.rowCount) {
    const { min, max, severity } = dataset.rowCount;
    const n = merged.rowCount;
    const ok = (min === undefined || n >= min) && (max === undefined || n <= max);
    const expectation = min !== undefined && max !== undefined ? `between ${min} and ${max} rows` : min !== undefined ? `at least ${plural(min, 'row')}` : `at most ${plural(max!, 'row')}`;
    checks.push({ id: 'dataset.rowCount', kind: 'rowCount', severity, success: ok, expectation, observed: plural(n, 'row'), examples: [] });
  }

  if (dataset.primaryKey) {
    const { columns, severity } = dataset.primaryKey;
    const keyColumn = keyIsUniqueColumn(schema) ? merged.columnResults.find((c) => c.name === columns[0]) : undefined;
    const key =
      keyColumn?.unique && keyColumn.tallies.nullable
        ? { unique: keyColumn.unique, missing: keyColumn.tallies.nullable }
        : merged.primaryKey;
    const expectation = `(${columns.join(', ')}) is unique and never null`;
    if (!key) {
      const absent = columns.filter((name) => !merged.columns.includes(name));
      checks.push({ id: 'dataset.primaryKey', kind: 'primaryKey', severity, success: false, expectation, observed: `not in the data: ${absent.join(', ')}`, examples: [] });
    } else {
      const duplicates = key.unique.duplicates;
      const missingKeys = key.missing.unexpected;
      const examples = [...key.missing.examples, ...key.unique.examples].sort((a, b) => a.row - b.row).slice(0, 10);
      const parts = [plural(duplicates, 'duplicate key'), ...(missingKeys > 0 ? [plural(missingKeys, 'row') + ' with a null key value'] : [])];
      const note = duplicates > 0 ? collisionProbabilityNote(key.unique.hashedValues) : '';
      checks.push({
        id: 'dataset.primaryKey',
        kind: 'primaryKey',
        severity,
        success: duplicates === 0 && missingKeys === 0,
        expectation,
        observed: parts.join(', ') + note,
        elementCount: key.missing.elements,
        unexpectedCount: duplicates + missingKeys,
        examples: duplicates === 0 && missingKeys === 0 ? [] : examples,
      });
    }
  }

  if (dataset.freshness) {
    const { column, maxAge, maxAgeMs, severity } = dataset.freshness;
    const merged_ = merged.columnResults.find((c) => c.name === column);
    const expectation = `the latest ${column} is at most ${maxAge} before ${formatInstant(now.getTime())}`;
    if (!merged_ || merged_.max !== merged_.max) {
      checks.push({ id: 'dataset.freshness', kind: 'freshness', column, severity, success: false, expectation, observed: merged_ ? `no ${column} values` : `${column} is not in the data`, examples: [] });
    } else {
      const age = now.getTime() - merged_.max;
      checks.push({
        id: 'dataset.freshness',
        kind: 'freshness',
        column,
        severity,
        success: age <= maxAgeMs,
        expectation,
        observed: `latest ${formatInstant(merged_.max)}, ${age >= 0 ? `${formatAge(age)} old` : `${formatAge(-age)} in the future`}`,
        examples: [],
      });
    }
  }
  return checks;
}

function typeExpectation(rule: ColumnRule): string {
  switch (rule.type) {
    case 'integer':
      return 'values are integers';
    case 'number':
      return 'values are numbers';
    case 'boolean':
      return 'values are booleans (true/false, yes/no, 1/0)';
    case 'datetime':
      return rule.format ? `values are date-times in the format ${rule.format}` : 'values are ISO 8601 dates or date-times';
    case 'category':
      return 'values are categories (text, or JSON numbers and booleans)';
    default:
      return 'values are text';
  }
}

/** What to do when the values a type check refused are numbers written with a decimal comma (1,5). */
function typeHint(rule: ColumnRule, tally: Tally): string {
  if (rule.type !== 'number' && rule.type !== 'integer') return '';
  if (!tally.examples.some((e) => /^[-+]?\d+,\d+$/.test(e.value.trim()))) return '';
  return ' (numbers are read with a decimal point: a decimal comma, as in 1,5, makes a value text)';
}

/**
 * What to do when the data's header looks like columns joined by another delimiter than the one read with: a name
 * that splits, on ';', tab or '|' (or ',', read with another), into names of which one is declared.
 */
function delimiterHint(extra: string[], declared: string[]): string {
  for (const name of extra) {
    const shown = joinedBy(name, (part) => declared.includes(part.trim()));
    if (shown === undefined) continue;
    return `. The data's header "${name.length > 60 ? `${name.slice(0, 59)}…` : name}" looks like columns separated by '${shown}': set the input csvDelimiter to '${shown}'`;
  }
  return '';
}

/**
 * The delimiter (';', tab, '|' or ',', first that fits) a column name looks joined by: it splits the name into two
 * or more parts, one of which is a name looked for. As the input csvDelimiter takes it ('\t' for a tab).
 */
function joinedBy(name: string, isName: (part: string) => boolean): string | undefined {
  for (const delimiter of [';', '\t', '|', ',']) {
    const parts = name.split(delimiter);
    if (parts.length >= 2 && parts.some(isName)) return delimiter === '\t' ? '\\t' : delimiter;
  }
  return undefined;
}

function columnChecks(column: MergedColumn, rule: ColumnRule): CheckResult[] {
  const checks: CheckResult[] = [];
  const name = rule.name;
  const id = (kind: string) => `column.${name}.${kind}`;
  const t = column.tallies;
  const s = rule.severity;
  const show = (x: number) => showValue(x, rule.type);
  // A value check passes with up to (1 - mostly) of its values failing, and says so.
  const mostly = rule.mostly;
  const valueCheck = (checkId: string, kind: ColumnCheckKind, expectation: string, tally: Tally | undefined, observed: string): CheckResult => {
    if (!VALUE_CHECK_KINDS.has(kind)) throw new Error(`${kind} is not a check of single values`);
    if (mostly === undefined || mostly === 1) return result(checkId, kind, s[kind], expectation, tally, observed, name);
    const allowedFailures = Math.floor((1 - mostly) * (tally?.elements ?? 0) + 1e-9);
    const checked = result(checkId, kind, s[kind], `${expectation}, for at least ${percent(mostly)} of the values`, tally, observed, name, (tally?.unexpected ?? 0) <= allowedFailures);
    // Passed or not, the values that failed are shown.
    return { ...checked, examples: tally?.examples ?? [] };
  };
  const typeObserved = t.type!.unexpected === 0 ? `${plural(t.type!.elements, 'value')} parsed` : `${plural(t.type!.unexpected, 'value')} of another type${typeHint(rule, t.type!)}`;
  checks.push(valueCheck(id('type'), 'type', typeExpectation(rule), t.type, typeObserved));
  if (!rule.nullable) {
    checks.push(result(id('nullable'), 'nullable', s.nullable, `${name} is never null`, t.nullable, column.nulls === 0 ? 'no nulls' : plural(column.nulls, 'null'), name));
  }
  if (rule.maxNullFraction !== undefined) {
    const fraction = column.rows === 0 ? 0 : column.nulls / column.rows;
    const ok = fraction <= rule.maxNullFraction;
    checks.push({
      ...result(id('maxNullFraction'), 'maxNullFraction', s.maxNullFraction, `at most ${percent(rule.maxNullFraction)} of ${name} is null`, t.nullable, `${percent(fraction)} null (${column.nulls} of ${column.rows})`, name, ok),
    });
  }
  const observedRange = column.min === column.min ? `min ${show(column.min)}, max ${show(column.max)}` : 'no values';
  if (rule.min !== undefined) checks.push(valueCheck(id('min'), 'min', `${name} >= ${show(rule.min)}`, t.min, observedRange));
  if (rule.max !== undefined) checks.push(valueCheck(id('max'), 'max', `${name} <= ${show(rule.max)}`, t.max, observedRange));
  if (rule.allowed) {
    const shown = rule.allowed.length <= 10 ? rule.allowed.join(', ') : `${rule.allowed.slice(0, 10).join(', ')}, … (${rule.allowed.length} values)`;
    checks.push(valueCheck(id('allowed'), 'allowed', `${name} is one of ${shown}`, t.allowed, `${plural(t.allowed!.unexpected, 'value')} not allowed`));
  }
  if (rule.pattern !== undefined) {
    checks.push(valueCheck(id('pattern'), 'pattern', `${name} matches /${rule.pattern}/ in full`, t.pattern, `${plural(t.pattern!.unexpected, 'value')} not matching`));
  }
  if (rule.minLength !== undefined) checks.push(valueCheck(id('minLength'), 'minLength', `length of ${name} >= ${rule.minLength}`, t.minLength, `${plural(t.minLength!.unexpected, 'value')} shorter`));
  if (rule.maxLength !== undefined) checks.push(valueCheck(id('maxLength'), 'maxLength', `length of ${name} <= ${rule.maxLength}`, t.maxLength, `${plural(t.maxLength!.unexpected, 'value')} longer`));
  for (const kind of STATISTIC_KINDS) {
    const range = rule.statistics?.[kind];
    if (range) checks.push(statisticCheck(id(kind), kind, range, s[kind], column.profile, name));
  }
  if (rule.unique && column.unique) {
    const u = column.unique;
    const tally: Tally = { elements: u.elements, unexpected: u.duplicates, examples: u.examples };
    const note = u.duplicates > 0 ? collisionProbabilityNote(u.hashedValues) : '';
    checks.push(result(id('unique'), 'unique', s.unique, `${name} values are unique`, tally, `${plural(u.duplicates, 'duplicate')}${note}`, name));
  }
  return checks;
}

const STATISTIC_NAMES: Record<StatisticKind, string> = { mean: 'mean', median: 'median', stdev: 'standard deviation', distinct: 'distinct values' };

/** A bound on a statistic of a column, from its profile (distinct values: exact up to a few hundred, then estimated). */
function statisticCheck(checkId: string, kind: StatisticKind, range: { min?: number; max?: number }, severity: Severity, profile: ColumnProfile, column: string): CheckResult {
  const expectation = inRange(`${STATISTIC_NAMES[kind]} of ${column}`, range);
  const value = profile.count === 0 ? undefined : kind === 'mean' ? profile.mean : kind === 'stdev' ? profile.std : kind === 'median' ? medianOf(profile) : profile.distinct;
  const success = within(value, range);
  const observed = value === undefined ? 'no values' : `${STATISTIC_NAMES[kind]} ${kind === 'distinct' ? value : Number(value.toPrecision(6))}`;
  return { id: checkId, kind, column, severity, success, expectation, observed, examples: [] };
}

/** "what between min and max", or ">= min", or "<= max". */
function inRange(what: string, range: { min?: number; max?: number }): string {
  if (range.min !== undefined && range.max !== undefined) return `${what} between ${range.min} and ${range.max}`;
  return range.min !== undefined ? `${what} >= ${range.min}` : `${what} <= ${range.max}`;
}

/** Whether a value is known and within the bounds given. */
function within(value: number | undefined, range: { min?: number; max?: number }): boolean {
  return value !== undefined && !(range.min !== undefined && value < range.min) && !(range.max !== undefined && value > range.max);
}

/** The middle of a numeric profile's values: of the two middle ones, their mean (exact counts); within the sketch's accuracy otherwise. */
function medianOf(profile: ColumnProfile): number | undefined {
  if (profile.kind !== 'numeric' || profile.count === 0) return undefined;
  const { lo, hi, mass, total } = numericPieces(profile);
  const half = total / 2;
  let seen = 0;
  for (let i = 0; i < mass.length; i++) {
    if (seen + mass[i] < half) {
      seen += mass[i];
      continue;
    }
    // Exactly half of the values at or below an exact value: the middle lies between it and the next.
    if (lo[i] === hi[i]) return seen + mass[i] === half && i + 1 < mass.length ? (hi[i] + lo[i + 1]) / 2 : lo[i];
    return lo[i] + ((hi[i] - lo[i]) * (half - seen)) / mass[i];
  }
  return hi[hi.length - 1];
}

function percent(fraction: number): string {
  const value = fraction * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(value < 1 ? 3 : 2).replace(/0+$/, '')}%`;
}

function datasetProfile(merged: MergedResult, source: string, now: Date, schema?: DataSchema): DatasetProfile {
  const absent = new Set(merged.absentColumns);
  const ruleTypes = new Map(schema?.columns.map((rule) => [rule.name, rule.type]));
  return {
    format: 'datavalidate-profile',
    version: 1,
    rowCount: merged.rowCount,
    // A JSON Lines key that no row had has no profile: it is missing, not a column of nulls.
    columns: merged.columnResults.filter((c) => !absent.has(c.name)).map((c) => {
      const type = ruleTypes.get(c.name) ?? c.sniffedType;
      return type === undefined ? c.profile : { ...c.profile, type };
    }),
    source,
    createdAt: now.toISOString(),
  };
}

// ---------------------------------------------------------------- drift

/**
 * Whether drift compares a column. Free text (ids, e-mails, comments) has a new value in almost every row, so a
 * distribution distance on it measures uniqueness, not drift: string columns are compared only when the schema
 * asks for it.
 */
function comparedForDrift(rule: ColumnRule): rule is ColumnRule & { drift?: Exclude<ColumnRule['drift'], 'skip'> } {
  return rule.drift !== 'skip' && !(rule.type === 'string' && rule.drift === undefined);
}

/** The data's rows over the reference's, within bounds (TFDV's num_examples drift comparator). */
function rowCountRatioCheck(rows: number, referenceRows: number, bounds: { min?: number; max?: number }, severity: Severity): CheckResult {
  const ratio = referenceRows === 0 ? undefined : rows / referenceRows;
  const expectation = inRange('rows of the data / rows of the reference', bounds);
  const success = within(ratio, bounds);
  const observed = ratio === undefined ? `the reference has no rows (the data has ${plural(rows, 'row')})` : `${Number(ratio.toPrecision(4))} (${plural(rows, 'row')} against ${plural(referenceRows, 'row')})`;
  return { id: 'dataset.rowCountRatio', kind: 'rowCountRatio', severity, success, expectation, observed, examples: [] };
}

function compareDrift(
  reference: DatasetProfile,
  current: DatasetProfile,
  schema: DataSchema,
  thresholds: Record<string, number>,
): { results: DriftResult[]; checks: CheckResult[] } {
  const results: DriftResult[] = [];
  const checks: CheckResult[] = [];
  const severity = schema.drift.severity;
  const referenceColumns = new Map(reference.columns.map((c) => [c.name, c]));
  const currentColumns = new Map(current.columns.map((c) => [c.name, c]));
  const missingCheck = (name: string, observed: string): CheckResult => ({
    id: `drift.${name}`,
    kind: 'drift',
    column: name,
    severity,
    success: false,
    expectation: `${name} can be compared with the reference`,
    observed,
    examples: [],
  });
  for (const rule of schema.columns) {
    if (!comparedForDrift(rule)) continue;
    const cur = currentColumns.get(rule.name);
    if (!cur) continue; // the columns check reports it
    const ref = referenceColumns.get(rule.name);
    if (!ref) {
      checks.push(missingCheck(rule.name, 'the column is not in the reference'));
      continue;
    }
    // Without values on one side there is nothing to compare: said as such, rather than as a column that did not drift.
    if (ref.count === 0 || cur.count === 0) {
      checks.push(missingCheck(rule.name, ref.count === 0 ? 'the reference has no values in the column' : 'the data has no values in the column'));
      continue;
    }
    const kind = columnKind(rule.type);
    const chosen = rule.drift ?? (kind === 'numeric' ? schema.drift.numerical : schema.drift.categorical);
    const threshold = thresholds[rule.name] ?? thresholds[kind === 'numeric' ? 'numerical' : 'categorical'] ?? chosen.threshold;
    try {
      results.push(columnDrift(ref, cur, chosen.metric, threshold, severity));
    } catch (e) {
      if (!isUserError(e)) throw e;
      checks.push(missingCheck(rule.name, e.message));
    }
  }
  const declared = new Set(schema.columns.map((c) => c.name));
  for (const ref of reference.columns) {
    if (declared.has(ref.name) && !currentColumns.has(ref.name)) checks.push(missingCheck(ref.name, 'the column is in the reference but not in the current data'));
  }
  const bounds = schema.drift.rowCountRatio;
  if (bounds) checks.push(rowCountRatioCheck(current.rowCount, reference.rowCount, bounds, severity));
  return { results, checks };
}

export type { ColumnProfile };
