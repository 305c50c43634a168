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
 * memorySource whose readChunks hands out every chunk in one shared buffer, as local files do, and scribbles over
 * it once the reader asks for the next: a reader that keeps a chunk past its use reads garbage.
 */
export function sharedBufferSource(data: Buffer | string, chunkSize: number, name = 'shared.csv'): DataSource {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return {
    ...memorySource(bytes, chunkSize, name),
    async *readChunks(range) {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? bytes.length, bytes.length);
      const shared = Buffer.alloc(chunkSize);
      for (let i = start; i < end; i += chunkSize) {
        const n = Math.min(chunkSize, end - i);
        bytes.copy(shared, 0, i, i + n);
        yield shared.subarray(0, n);
        shared.fill(0xaa);
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
