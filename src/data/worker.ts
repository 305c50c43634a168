/**
 * Checking one part of a dataset (a whole file, a byte range of a local text file, or some rows of a local
 * Parquet file), in this thread or in a worker thread. The engine starts workers with a script that calls
 * runDataWorker(): build/src/data/worker.js when run unbundled (this module starts itself there), or the task's
 * worker bundle (tasks/DataValidate/worker.ts, bundled to dist/worker.js).
 */
import { Readable } from 'stream';
import { isMainThread, parentPort, workerData, type MessagePort } from 'worker_threads';
import { isUserError, UserError } from '../errors';
import { TableChecker, type PartResult } from './checks';
import { ColumnAccumulator, packCategories, unpackCategories, type CategoryList } from './profile';
import { openTable, type ReaderOptions } from './readers';
import { gunzipSource, localFileSource, type DataFormat, type DataSource } from './sources';
import { columnKind, DataFormatError, type ColumnProfile, type DataSchema } from './types';
import { gridWithoutValues, LogSketch, type SerializedSketch, type SketchGrid } from './sketch';
import type { UniqueState } from './unique';

/** What a worker needs to check one part; plain data, so it can be posted. */
export interface PartTask {
  source: { name: string; localPath?: string; size?: number };
  format: DataFormat;
  reader: Omit<ReaderOptions, 'format' | 'range' | 'headerLine' | 'onMalformed'>;
  range?: { start: number; end: number };
  /** Parquet: the rows of the file to read (see splitParquet). */
  rows?: { start: number; end: number };
  headerLine?: string[];
  /** Lines before the range's first line that no earlier part counted (the header, for the first range). */
  lineBase: number;
  schema?: DataSchema;
  sniffUniqueness?: boolean;
  /** The only columns to read (see CheckerOptions.readColumns). */
  readColumns?: string[];
  uniqueMemoryCap?: number;
  spillDir?: string;
  /** Grids for the sketches of numeric columns, by column name (see sketchGridsOf). */
  sketchGrids?: Record<string, SketchGrid>;
  /** Numeric columns whose quantiles nothing reads: they keep no sketch (see ColumnAccumulator's quantiles option). */
  withoutQuantiles?: string[];
  /** The grids of numeric columns without values in the dataset's first rows, by column name (see gridsWithoutValues). */
  gridsWithoutValues?: Record<string, SketchGrid>;
  /** Stop once this many rows are checked (whole batches): reads the head of the part only. */
  maxRows?: number;
}

/** Reads a part and runs every check on it. Unreadable data ends the part with a malformed-data issue. */
export async function checkPart(task: PartTask, source: DataSource, signal?: AbortSignal): Promise<PartResult> {
  const pending: Array<{ message: string; row?: number; line?: number }> = [];
  const lateColumns: NonNullable<PartResult['lateColumns']> = [];
  let checker: TableChecker | undefined;
  const table = await openTable(source, {
    ...task.reader,
    // Each batch is checked before the next is read, and the checks keep no part of it.
    reuseBatchBuffers: true,
    format: task.format,
    ...(task.range && { range: task.range }),
    ...(task.rows && { rows: task.rows }),
    ...(task.headerLine && { headerLine: task.headerLine }),
    ...(task.readColumns && { readColumns: task.readColumns }),
    onMalformed: (issue) => {
      // A key that came after the columns were set is a column of the data: the columns check reports it.
      if (issue.kind === 'unexpectedKey') lateColumns.push({ name: issue.key!, row: issue.row, line: issue.line });
      else if (checker) checker.noteMalformed(issue);
      else pending.push(issue);
    },
  });
  checker = new TableChecker(source.name, table.columns, {
    schema: task.schema,
    profiler: (name, kind) =>
      new ColumnAccumulator(name, kind, {
        sketchGrid: task.sketchGrids?.[name],
        gridWithoutValues: task.gridsWithoutValues?.[name],
        quantiles: !task.withoutQuantiles?.includes(name),
      }),
    nativeTypes: table.nativeTypes,
    sniffUniqueness: task.sniffUniqueness,
    readColumns: task.readColumns,
    uniqueMemoryCap: task.uniqueMemoryCap,
    spillDir: task.spillDir,
  });
  for (const issue of pending) checker.noteMalformed(issue);
  try {
    let rows = 0;
    for await (const batch of table.batches(signal)) {
      checker.consume(batch);
      rows += batch.rowCount;
      if (task.maxRows !== undefined && rows >= task.maxRows) break;
    }
  } catch (e) {
    // The rest of the part cannot be read; what was read is still checked and the problem is reported.
    if (!(e instanceof DataFormatError)) throw e;
    checker.noteMalformed({ message: e.message, row: e.location.row, line: e.location.line }, true);
  }
  checker.setBytes(table.bytesRead());
  const result = checker.result();
  result.lineBase = task.lineBase;
  const absent = table.absentColumns?.() ?? [];
  if (absent.length > 0) result.absentColumns = absent;
  if (lateColumns.length > 0) result.lateColumns = lateColumns;
  const quotes = table.quoteCount?.();
  if (quotes !== undefined) result.quotes = quotes;
  return result;
}

/**
 * The grid of each numeric column of a schema for when the dataset's first rows have no value of it: the same for
 * every part, so that the parts' sketches still merge exactly (see gridWithoutValues in sketch.ts).
 */
export function gridsWithoutValues(schema: DataSchema): Record<string, SketchGrid> {
  const grids: Record<string, SketchGrid> = {};
  for (const rule of schema.columns) if (columnKind(rule.type) === 'numeric') grids[rule.name] = gridWithoutValues(rule);
  return grids;
}

/**
 * The grids the sketches of a part's numeric columns were put on, by column name: given to the other parts of its
 * dataset (PartTask.sketchGrids), their sketches merge with its own exactly, as if one thread had read them all.
 * A column still counted exactly passes on the grid of its values (see GRID_ROWS); one without values, its grid in
 * withoutValues (none when not there).
 */
export function sketchGridsOf(result: PartResult, withoutValues: Record<string, SketchGrid> = {}): Record<string, SketchGrid> {
  const grids: Record<string, SketchGrid> = {};
  for (const column of result.columnStates) {
    // Columns without a rule (infer mode) profile several candidate types: none of them passes its grid on.
    const sketch = column.profile?.sketch as SerializedSketch | undefined;
    if (column.profile?.kind !== 'numeric' || sketch === undefined) continue;
    if (sketch.type === 'ddsketch') grids[column.name] = { anchor: sketch.anchor, minOffset: sketch.minOffset };
    // Still counted exactly: the grid its values would be given (ColumnAccumulator.settleGrid).
    else if (sketch.type === 'none') continue;
    else if (sketch.values.length > 0) grids[column.name] = LogSketch.gridOf(sketch.values, sketch.counts);
    else if (withoutValues[column.name] !== undefined) grids[column.name] = withoutValues[column.name];
  }
  return grids;
}

/** The source of a task in a worker: a local file opened again by path. */
export function sourceOfTask(task: PartTask): DataSource {
  if (!task.source.localPath) throw new Error(`${task.source.name} is not a local file and cannot be read in a worker.`);
  return localFileSource(task.source.localPath, task.source.name, task.source.size);
}

/** Buffers of the uniqueness tables and runs, moved rather than copied to the main thread. */
export function transferablesOf(result: PartResult): ArrayBuffer[] {
  const states: UniqueState[] = [];
  for (const column of result.columnStates) if (column.unique) states.push(column.unique);
  if (result.primaryKey) states.push(result.primaryKey.unique);
  return states.flatMap((s) => (s.kind === 'memory' ? [s.entries.buffer as ArrayBuffer, s.runs.buffer as ArrayBuffer] : [s.runs.buffer as ArrayBuffer]));
}

/** The categorical profiles of a part, in column order: a column's profile, or (without a schema) its candidate one. */
function categoricalProfilesOf(result: PartResult): ColumnProfile[] {
  const profiles: ColumnProfile[] = [];
  for (const state of result.columnStates) {
    if (state.profile?.kind === 'categorical') profiles.push(state.profile);
    if (state.candidates) profiles.push(state.candidates.categorical);
  }
  return profiles;
}

/**
 * Takes the categories out of a part's profiles to post them as lists (see CategoryList), one for each of
 * categoricalProfilesOf, null where a profile has none; with the lists' buffers, to be moved.
 */
export function packPart(result: PartResult): { lists: Array<CategoryList | null>; transfer: ArrayBuffer[] } {
  const lists = categoricalProfilesOf(result).map((p) => packCategories(p) ?? null);
  return { lists, transfer: lists.flatMap((list) => (list ? [list.counts.buffer as ArrayBuffer] : [])) };
}

/** Gives a posted part's profiles back the categories packPart took out. */
export function unpackPart(result: PartResult, lists: Array<CategoryList | null>): PartResult {
  const profiles = categoricalProfilesOf(result);
  if (profiles.length !== lists.length) throw new Error(`A part of ${result.source} came with ${lists.length} category lists for ${profiles.length} profiles.`);
  profiles.forEach((p, i) => lists[i] && unpackCategories(p, lists[i]));
  return result;
}

/**
 * A part to check; port: for a source read in the main thread (a blob), where its bytes come from (lendSource);
 * head: a local file's first rows (see headOf in engine.ts), read first, whose sketch grids (posted back at once as
 * { grids }) are the part's.
 */
export type WorkerRequest = { task: PartTask; port?: MessagePort; gunzip?: boolean; head?: PartTask };

/** An error as it crosses between threads: its kind and location survive. */
export interface PostedError {
  message: string;
  name: string;
  stack?: string;
  user: boolean;
  file?: string;
  line?: number;
  location?: DataFormatError['location'];
}

export function postedError(e: unknown): PostedError {
  const error = e instanceof Error ? e : new Error(String(e));
  return {
    message: error.message,
    name: error.name,
    stack: error.stack,
    user: isUserError(error),
    file: isUserError(error) ? error.file : undefined,
    line: isUserError(error) ? error.line : undefined,
    location: error instanceof DataFormatError ? error.location : undefined,
  };
}

/** The error a PostedError stands for, of its kind again (DataFormatError, UserError or another). */
export function errorFromPosted(error: PostedError): Error {
  let e: Error;
  if (error.location) e = new DataFormatError(error.message, error.location);
  else if (error.user) e = new UserError(error.message, { file: error.file, line: error.line });
  else {
    e = new Error(error.message);
    e.name = error.name;
  }
  if (error.stack) e.stack = error.stack;
  return e;
}

/** What a worker asks of a lent source (see lendSource), and what it gets back. Ids number the worker's opens. */
export type LendRequest = { open: number; range?: { start: number; end?: number } } | { pull: number } | { close: number };
export type LendReply = { id: number; chunk: Uint8Array } | { id: number; end: true } | { id: number; error: PostedError };

/** Chunks a lent source sends ahead of the worker's reads: enough to keep the worker busy, few enough to bound memory. */
const LENT_AHEAD = 4;

/**
 * Lends a source that only the main thread can read (a blob, read with the workspace's credentials) to a worker:
 * the worker opens it through port (borrowedSource) and the bytes come in chunks, a few ahead of its reads. The
 * main thread only moves bytes; the worker does the checking. Returns a function that closes what is still open.
 */
export function lendSource(source: DataSource, port: MessagePort): () => void {
  const open = new Map<number, { stream: NodeJS.ReadableStream & { destroy?: () => void }; credits: number }>();
  port.on('message', (request: LendRequest) => {
    if ('open' in request) {
      const id = request.open;
      let stream: NodeJS.ReadableStream;
      try {
        stream = source.open(request.range);
      } catch (e) {
        port.postMessage({ id, error: postedError(e) } satisfies LendReply);
        return;
      }
      const entry = { stream, credits: LENT_AHEAD };
      open.set(id, entry);
      stream.on('data', (chunk: Buffer) => {
        // A copy of its own, moved to the worker: the stream may reuse the chunk's memory.
        const copy = new Uint8Array(chunk);
        port.postMessage({ id, chunk: copy } satisfies LendReply, [copy.buffer]);
        if (--entry.credits <= 0) stream.pause();
      });
      stream.on('end', () => {
        open.delete(id);
        port.postMessage({ id, end: true } satisfies LendReply);
      });
      stream.on('error', (e: Error) => {
        open.delete(id);
        port.postMessage({ id, error: postedError(e) } satisfies LendReply);
      });
    } else if ('pull' in request) {
      const entry = open.get(request.pull);
      if (entry && ++entry.credits > 0 && entry.stream.isPaused()) entry.stream.resume();
    } else {
      open.get(request.close)?.stream.destroy?.();
      open.delete(request.close);
    }
  });
  // Closed by either side (the part's result came, or the worker stopped): what is still open stops downloading.
  port.on('close', () => {
    for (const { stream } of open.values()) stream.destroy?.();
    open.clear();
  });
  return () => port.close();
}

/** The worker's side of lendSource: a source whose bytes come through port. */
export function borrowedSource(task: PartTask, port: MessagePort): DataSource {
  const streams = new Map<number, Readable>();
  let next = 0;
  port.on('message', (reply: LendReply) => {
    const stream = streams.get(reply.id);
    if (!stream) return;
    if ('chunk' in reply) stream.push(Buffer.from(reply.chunk.buffer, reply.chunk.byteOffset, reply.chunk.byteLength));
    else {
      streams.delete(reply.id);
      if ('end' in reply) stream.push(null);
      else stream.destroy(errorFromPosted(reply.error));
    }
  });
  return {
    name: task.source.name,
    size: task.source.size,
    open(range) {
      const id = next++;
      const stream = new Readable({
        highWaterMark: 1 << 22,
        read: () => port.postMessage({ pull: id } satisfies LendRequest),
        destroy: (error, callback) => {
          // Stopped before the end (a reader that has what it needs): the lender stops too.
          if (streams.delete(id)) port.postMessage({ close: id } satisfies LendRequest);
          callback(error);
        },
      });
      streams.set(id, stream);
      port.postMessage({ open: id, ...(range && { range }) } satisfies LendRequest);
      return stream;
    },
  };
}

/**
 * For each part: { ready } as soon as the part is checked, then its result. The engine hands the worker its next
 * part on { ready }, so the worker does not wait while the (much larger) result is taken apart in the main thread.
 */
export type WorkerReply =
  | { ready: true }
  | { grids: Record<string, SketchGrid> }
  | { ok: PartResult; categoryLists: Array<CategoryList | null> }
  | { error: PostedError };

let started = false;

/** The worker side: checks each part it is sent and posts the result (or the error) back. */
export function runDataWorker(): void {
  if (started || isMainThread || !parentPort) return;
  started = true;
  const port = parentPort;
  // { ready } first, then the result or the error (see WorkerReply).
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => {
    port.postMessage({ ready: true } satisfies WorkerReply);
    port.postMessage(message, transfer);
  };
  port.on('message', (request: WorkerRequest) => {
    let source: DataSource;
    if (request.port) {
      const borrowed = borrowedSource(request.task, request.port);
      source = request.gunzip ? gunzipSource(borrowed) : borrowed;
    } else source = sourceOfTask(request.task);
    const head = request.head;
    const checked = head
      ? Promise.resolve(head)
          .then((headTask) => checkPart(headTask, sourceOfTask(headTask)))
          .then((headResult) => {
            const grids = sketchGridsOf(headResult, head.gridsWithoutValues);
            port.postMessage({ grids } satisfies WorkerReply);
            return checkPart({ ...request.task, sketchGrids: grids }, source);
          })
      : checkPart(request.task, source);
    checked.then(
      (result) => {
        request.port?.close();
        const { lists, transfer } = packPart(result);
        reply({ ok: result, categoryLists: lists }, [...transferablesOf(result), ...transfer]);
      },
      (e: unknown) => {
        request.port?.close();
        reply({ error: postedError(e) } satisfies WorkerReply);
      },
    );
  });
}

// Started as a script of its own (unbundled builds and tests), the module serves as the worker.
if (!isMainThread && (workerData as { dataValidateWorker?: boolean } | undefined)?.dataValidateWorker) runDataWorker();
