import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { DataSource } from '../../../../src/data/sources';
import { openTable, ReaderOptions } from '../../../../src/data/readers';
import { CellValue } from '../../../../src/data/types';
import { MalformedIssue } from '../../../../src/data/readers/options';

/** A source over bytes in memory, handed out in chunks of the given size (to put chunk ends everywhere). */
export function memorySource(data: Buffer | string, chunkSize = 1 << 20, name = 'mem.csv'): DataSource {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return {
    name,
    size: bytes.length,
    open(range) {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? bytes.length, bytes.length);
      const chunks: Buffer[] = [];
      // Copies, so a reader that keeps a chunk past its use would show up as corrupted values.
      for (let i = start; i < end; i += chunkSize) chunks.push(Buffer.from(bytes.subarray(i, Math.min(end, i + chunkSize))));
      return Readable.from(chunks);
    },
  };
}

/**
 * memorySource whose readChunks hands out its chunks as local files do, and scribbles over their memory as soon as
 * its contract lets it: a reader that keeps a chunk past its use reads garbage. Without headroom, every chunk is in
 * one shared buffer, scribbled over once the next is asked for. With headroom, chunks take turns in three buffers
 * with that much room before each chunk, and a chunk's buffer (headroom too) is scribbled over once the second
 * chunk after it is asked for.
 */
export function sharedBufferSource(data: Buffer | string, chunkSize: number, name = 'shared.csv'): DataSource {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return {
    ...memorySource(bytes, chunkSize, name),
    async *readChunks(range, headroom = 0) {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? bytes.length, bytes.length);
      const buffers = Array.from({ length: headroom > 0 ? 3 : 1 }, () => Buffer.alloc(headroom + chunkSize, 0xaa));
      for (let i = start, k = 0; i < end; i += chunkSize, k++) {
        const n = Math.min(chunkSize, end - i);
        // The buffer of the chunk two before this one, if any; and this one's, used three chunks ago.
        if (headroom > 0) buffers[(k + 1) % 3].fill(0xaa);
        const buffer = buffers[k % buffers.length];
        buffer.fill(0xaa);
        bytes.copy(buffer, headroom, i, i + n);
        yield buffer.subarray(headroom, headroom + n);
        if (headroom === 0) buffer.fill(0xaa);
      }
    },
  };
}

export interface ReadResult {
  columns: string[];
  rows: CellValue[][];
  lines: number[];
  firstRows: number[];
  issues: MalformedIssue[];
  nativeTypes?: Array<string | undefined>;
}

/** Reads a whole source into rows (for small test data). */
export async function readAll(source: DataSource, options: Partial<ReaderOptions> & { collect?: boolean } = {}): Promise<ReadResult> {
  const issues: MalformedIssue[] = [];
  const opts: ReaderOptions = { format: 'csv', ...options };
  if (options.collect) opts.onMalformed = (i) => issues.push(i);
  const reader = await openTable(source, opts);
  const rows: CellValue[][] = [];
  const lines: number[] = [];
  const firstRows: number[] = [];
  for await (const b of reader.batches()) {
    firstRows.push(b.firstRow);
    for (let r = 0; r < b.rowCount; r++) {
      rows.push(b.columns.map((col) => col[r]));
      if (b.lineOf) lines.push(b.lineOf(r));
    }
  }
  return { columns: reader.columns, rows, lines, firstRows, issues, nativeTypes: reader.nativeTypes };
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'readers-test-'));
}

/** A Parquet file of test/unit/data/fixtures/parquet, from the compiled tests or the sources. */
export function parquetFixture(name: string): string {
  const candidates = [path.join(__dirname, '..', 'fixtures', 'parquet', name), path.resolve(__dirname, '../../../../../test/unit/data/fixtures/parquet', name)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`fixture ${name} not found from ${__dirname}`);
  return found;
}
