/**
 * Where data comes from: local files named by a path, a folder or a glob, and the format of each.
 * A DataSource hands out raw bytes; the readers (./readers) turn them into row batches.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough } from 'stream';
import * as zlib from 'zlib';
import { UserError } from '../errors';
import { DataFormatError } from './types';

export type DataFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl';

export interface DataSource {
  /** Shown in messages: the path relative to the base dir (with '/'), or a blob name. */
  name: string;
  size?: number;
  /** Absolute path when the data is a local file (random access, worker threads). */
  localPath?: string;
  /** Raw bytes; with a range, bytes [start, end) (end exclusive; absent = to the end). */
  open(range?: { start: number; end?: number }): NodeJS.ReadableStream;
  /**
   * The same bytes as open, in chunks that share one buffer: a chunk is only valid until the next is asked for.
   * Local files have it, so a long read allocates one buffer instead of one per chunk (large allocations of
   * varying sizes fragment the native heap, which grew a validation's memory by 30 MB).
   *
   * With headroom, each chunk has that many bytes before it in its memory (chunk.buffer, from chunk.byteOffset -
   * headroom) that the caller may write, and a chunk stays valid until the second chunk after it is asked for: the
   * CSV reader puts the unfinished record of one chunk in front of the next, instead of copying both.
   */
  readChunks?(range?: { start: number; end?: number }, headroom?: number): AsyncIterable<Buffer>;
  /** For a gzip-compressed file: the compressed bytes this source decompresses (gunzipSource). */
  compressed?: DataSource;
}

/**
 * Extensions a folder is searched for, also with .gz after them (data.csv.gz). .txt and .json are read by content
 * (CSV/TSV, JSON Lines).
 */
export const DATA_EXTENSIONS = ['.csv', '.tsv', '.txt', '.parquet', '.pq', '.jsonl', '.ndjson', '.json'];

/** Whether a file name says gzip (data.csv.gz): such a file is read through gunzip, whole, by one thread. */
export function isGzipName(name: string): boolean {
  return /\.gz$/i.test(name);
}

/** The extension that says a file's format: '.csv' for data.csv and for data.csv.gz. */
export function dataExtension(name: string): string {
  return path.extname(isGzipName(name) ? name.slice(0, -3) : name).toLowerCase();
}

/** Whether a folder's file is data: a known extension (see DATA_EXTENSIONS). */
export function isDataFile(name: string): boolean {
  return DATA_EXTENSIONS.includes(dataExtension(name));
}

/**
 * A gzip file's bytes, decompressed as they are read: from the start only (no byte ranges, so it is never split),
 * and of unknown size. A corrupt stream is a DataFormatError naming the file.
 */
export function gunzipSource(source: DataSource): DataSource {
  return {
    name: source.name,
    compressed: source,
    ...(source.localPath !== undefined && { localPath: source.localPath }),
    open(range) {
      if (range !== undefined && range.start > 0) throw new Error(`${source.name} is compressed and cannot be read from byte ${range.start}.`);
      const out = new PassThrough();
      const raw = source.open();
      const gunzip = zlib.createGunzip();
      raw.on('error', (e: Error) => out.destroy(e));
      gunzip.on('error', (e: Error) => out.destroy(new DataFormatError(`${source.name} is not a readable gzip file: ${e.message}.`, { source: source.name })));
      // A reader that stops early destroys out: the file is closed too.
      out.on('close', () => (raw as unknown as { destroy?: () => void }).destroy?.());
      raw.pipe(gunzip).pipe(out);
      return out;
    },
  };
}

// 1 MiB reads: fewer, larger chunks keep the tokenizer in its loop; memory stays a few MiB per open file.
const READ_CHUNK = 1 << 20;
// Deep enough for any real partitioned layout, and a stop for symbolic-link loops.
const MAX_DEPTH = 64;

export function localFileSource(absPath: string, name: string, size?: number): DataSource {
  return isGzipName(absPath) ? gunzipSource(plainFileSource(absPath, name, size)) : plainFileSource(absPath, name, size);
}

function plainFileSource(absPath: string, name: string, size?: number): DataSource {
  return {
    name,
    size,
    localPath: absPath,
    open(range) {
      const start = range?.start ?? 0;
      const end = range?.end;
      // fs ranges are inclusive at the end; ours are exclusive. An empty range must give no bytes at all.
      if (end !== undefined && end <= start) return fs.createReadStream(absPath, { start: 0, end: -1, highWaterMark: READ_CHUNK });
      return fs.createReadStream(absPath, { start, end: end === undefined ? undefined : end - 1, highWaterMark: READ_CHUNK });
    },
    readChunks(range, headroom = 0) {
      return fileChunks(absPath, range?.start ?? 0, range?.end ?? Infinity, headroom);
    },
  };
}

async function* fileChunks(absPath: string, start: number, end: number, headroom: number): AsyncGenerator<Buffer> {
  const file = await fs.promises.open(absPath, 'r');
  const readAt = (buffer: Buffer, position: number): Promise<{ bytesRead: number; position: number; buffer: Buffer }> => {
    const length = Math.min(READ_CHUNK, end - position);
    if (length <= 0) return Promise.resolve({ bytesRead: 0, position, buffer });
    const read = file.read(buffer, headroom, length, position).then(({ bytesRead }) => ({ bytesRead, position, buffer }));
    // A read that fails while the caller still works on the chunk before is reported when awaited, not as unhandled.
    read.catch(() => undefined);
    return read;
  };
  // Buffers by turns: the next chunk is read while the caller works on this one, so it seldom waits for the disk.
  // With headroom, three: the chunk before this one stays as it is too.
  const spares: Buffer[] = Array.from({ length: headroom > 0 ? 2 : 1 }, () => Buffer.allocUnsafeSlow(headroom + READ_CHUNK));
  let ahead = readAt(Buffer.allocUnsafeSlow(headroom + READ_CHUNK), start);
  try {
    for (;;) {
      const chunk = await ahead;
      if (chunk.bytesRead === 0) return;
      ahead = readAt(spares.shift()!, chunk.position + chunk.bytesRead);
      spares.push(chunk.buffer);
      yield chunk.buffer.subarray(headroom, headroom + chunk.bytesRead);
    }
  } finally {
    await ahead.catch(() => undefined);
    await file.close();
  }
}

/**
 * The files a task input names: a file; a folder (every file in it, recursively, with a known data
 * extension, skipping hidden entries); or a glob (*, **, ?, {a,b}), matched against paths with '/' on every OS.
 * Sorted by path so runs are repeatable. Nothing matching is a UserError naming the input.
 */
export function localSources(pathOrGlob: string, baseDir: string, inputName: string): DataSource[] {
  const spec = pathOrGlob.trim().replace(/\\/g, '/');
  if (!spec) throw new UserError(`${inputName}: no path given.`, { input: inputName });
  const base = path.resolve(baseDir);
  const nameOf = (abs: string) => displayName(abs, base);

  if (!hasGlob(spec)) {
    const abs = path.resolve(base, spec);
    const st = statOrUndefined(abs);
    if (!st) throw new UserError(`${inputName}: '${pathOrGlob}' does not exist (looked for ${abs}).`, { input: inputName });
    if (st.isFile()) return [localFileSource(abs, nameOf(abs), st.size)];
    if (!st.isDirectory()) throw new UserError(`${inputName}: '${pathOrGlob}' is neither a file nor a folder.`, { input: inputName });
    const files = walk(abs, MAX_DEPTH).filter((f) => isDataFile(f.abs));
    if (files.length === 0) {
      throw new UserError(`${inputName}: the folder '${pathOrGlob}' holds no data file (${DATA_EXTENSIONS.join(' ')}, also with .gz).`, { input: inputName });
    }
    return sortByName(files.map((f) => localFileSource(f.abs, nameOf(f.abs), f.size)));
  }

  // Walk only from the literal part of the pattern, so 'data/2024/**/*.csv' does not list the whole base dir.
  const segments = spec.split('/');
  const firstGlob = segments.findIndex(hasGlob);
  const literal = segments.slice(0, firstGlob).join('/');
  const root = path.resolve(base, literal === '' && spec.startsWith('/') ? '/' : literal);
  const rest = segments.slice(firstGlob);
  const re = globToRegExp(rest.join('/'));
  const depth = rest.some((seg) => seg.includes('**')) ? MAX_DEPTH : rest.length - 1;
  const files = statOrUndefined(root)?.isDirectory()
    ? walk(root, depth).filter((f) => re.test(f.rel))
    : [];
  if (files.length === 0) {
    throw new UserError(`${inputName}: no file matches '${pathOrGlob}' (looked in ${root}).`, { input: inputName });
  }
  return sortByName(files.map((f) => localFileSource(f.abs, nameOf(f.abs), f.size)));
}

function sortByName(sources: DataSource[]): DataSource[] {
  return sources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A path as reports show it: relative to base with '/' when inside it, else absolute. */
export function displayName(abs: string, base: string): string {
  const rel = path.relative(base, abs);
  // Outside the base dir a relative path full of '..' says less than the absolute one.
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return abs.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** Files under dir (hidden entries skipped) down to maxDepth folders below it, with paths relative to dir using '/'. */
function walk(dir: string, maxDepth: number): Array<{ abs: string; rel: string; size: number }> {
  const out: Array<{ abs: string; rel: string; size: number }> = [];
  const visit = (d: string, rel: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Follow symbolic links to what they point at; a dangling one is skipped.
      const st = e.isSymbolicLink() ? statOrUndefined(abs) : undefined;
      const isDir = st ? st.isDirectory() : e.isDirectory();
      const isFile = st ? st.isFile() : e.isFile();
      if (isFile) out.push({ abs, rel: r, size: st?.size ?? fs.statSync(abs).size });
      else if (isDir && depth < maxDepth) visit(abs, r, depth + 1);
    }
  };
  visit(dir, '', 0);
  return out;
}

function hasGlob(s: string): boolean {
  return /[*?{]/.test(s);
}

/**
 * A glob as a regular expression over '/'-separated relative paths: '*' and '?' stay within one segment and do
 * not match a leading dot; '**' as a whole segment matches zero or more segments; {a,b} is alternation. With
 * classes, [abc], [a-z] and [!a] are character classes (MLTable patterns have them; local paths keep '[' as
 * written). Matching is case-insensitive on Windows and macOS, unless caseSensitive (blob names).
 */
export function globToRegExp(glob: string, o: { classes?: boolean; caseSensitive?: boolean } = {}): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  const atSegmentStart = () => i === 0 || glob[i - 1] === '/';
  while (i < glob.length) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*' && atSegmentStart() && (i + 2 === glob.length || glob[i + 2] === '/')) {
        // '**/' : any number of directories (none included); a trailing '**': anything below.
        if (i + 2 === glob.length) re += '(?:[^/.][^/]*)(?:/[^/.][^/]*)*';
        else re += '(?:[^/.][^/]*/)*';
        i += 3;
        continue;
      }
      re += atSegmentStart() ? '(?:[^/.][^/]*)?' : '[^/]*';
      i += 1;
      while (glob[i] === '*') i += 1;
      continue;
    }
    const close = o.classes && c === '[' ? glob.indexOf(']', i + 2) : -1;
    if (close > 0 && !glob.slice(i + 1, close).includes('/')) {
      const body = glob.slice(i + 1, close);
      const negated = body[0] === '!' || body[0] === '^';
      re += `[${negated ? '^/' : ''}${(negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&')}]`;
      i = close + 1;
      continue;
    }
    if (c === '?') re += atSegmentStart() ? '[^/.]' : '[^/]';
    else if (c === '{') {
      braces += 1;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces -= 1;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    i += 1;
  }
  if (braces > 0) throw new UserError(`The pattern '${glob}' has an unclosed '{'.`);
  // Windows and macOS file systems are case-insensitive by default: match as they do.
  return new RegExp(`^${re}$`, o.caseSensitive || process.platform === 'linux' ? '' : 'i');
}

const EXTENSION_FORMAT: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

// Enough of a file to see its first line in nearly every real data file, small enough to read instantly.
const SNIFF_BYTES = 64 * 1024;

/**
 * The format to read a source as. 'auto': by extension, else by content: the Parquet magic 'PAR1'; a first
 * non-space character '{' → JSON Lines; a first line with more tabs than commas → TSV; else CSV.
 */
export async function detectFormat(source: DataSource, requested: 'auto' | DataFormat): Promise<DataFormat> {
  if (requested !== 'auto') return requested;
  const ext = dataExtension(source.localPath ?? source.name);
  const byExt = EXTENSION_FORMAT[ext];
  if (byExt === 'parquet' && isGzipName(source.localPath ?? source.name)) {
    throw new UserError(`${source.name}: Parquet compresses its own pages, and a gzip-compressed Parquet file cannot be read. Decompress it.`, { file: source.name });
  }
  if (byExt === 'parquet' || (byExt && source.localPath === undefined)) return byExt;
  // A local file's first bytes are looked at in any case: gzip under another name would read as invalid UTF-8.
  const head = await readHead(source, byExt ? 2 : SNIFF_BYTES);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    throw new UserError(`${source.name} is gzip-compressed: name it with .gz at the end (data.csv.gz) to have it decompressed as it is read.`, { file: source.name });
  }
  if (byExt) return byExt;
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x7b) return 'jsonl';
  if (head[i] === 0x5b) {
    throw new UserError(`${source.name} holds a JSON array; DataValidate reads JSON Lines (one object per line).`, { file: source.name });
  }
  let lf = head.indexOf(0x0a, i);
  if (lf < 0) lf = head.length;
  let tabs = 0;
  let commas = 0;
  for (let j = i; j < lf; j++) {
    if (head[j] === 0x09) tabs++;
    else if (head[j] === 0x2c) commas++;
  }
  return tabs > commas ? 'tsv' : 'csv';
}

/** Up to n bytes from the start of a source. */
export async function readHead(source: DataSource, n: number): Promise<Buffer> {
  const stream = source.open({ start: 0, end: n });
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      parts.push(b);
      got += b.length;
      if (got >= n) break;
    }
  } finally {
    (stream as unknown as { destroy?: () => void }).destroy?.();
  }
  const all = Buffer.concat(parts);
  return all.length > n ? all.subarray(0, n) : all;
}

/**
 * True for the forms dataAssetSources (asset.ts) reads: azureml:name:version, azureml:name@latest,
 * azureml://datastores/... Here rather than there, so telling local data from an asset loads no Azure SDK.
 */
export function isAzureMlReference(value: string): boolean {
  return /^azureml:/i.test(value);
}
