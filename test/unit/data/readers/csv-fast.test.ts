import * as assert from 'assert';
import * as sinon from 'sinon';
import { FastCsvScan } from '../../../../src/data/readers/csv-fast';
import { openTable, ReaderOptions } from '../../../../src/data/readers';
import { MalformedIssue } from '../../../../src/data/readers/options';
import { RowBatch } from '../../../../src/data/types';
import { seededRandom } from '../../../support/random';
import { memorySource, sharedBufferSource } from './helpers';

/** Reads with the scanner for every read (true), for none (false), or as the reader chooses by size (undefined). */
async function withScanner<T>(scanner: boolean | undefined, read: () => Promise<T>): Promise<T> {
  if (scanner === undefined) return read();
  const forRead = sinon.stub(FastCsvScan, 'forRead').callsFake(() => (scanner ? FastCsvScan.create() : undefined));
  try {
    return await read();
  } finally {
    forRead.restore();
  }
}

/**
 * Everything a reader gives: columns, each batch's rows, lines and raw cells, its malformed issues, or its error.
 * scanner: see withScanner.
 */
async function readEverything(data: Buffer | string, options: Partial<ReaderOptions>, chunkSize: number, shared: boolean, scanner?: boolean) {
  return withScanner(scanner, () => readAll(data, options, chunkSize, shared));
}

async function readAll(data: Buffer | string, options: Partial<ReaderOptions>, chunkSize: number, shared: boolean) {
  const issues: MalformedIssue[] = [];
  const source = shared ? sharedBufferSource(data, chunkSize) : memorySource(data, chunkSize);
  const out: { columns?: string[]; batches: unknown[]; issues: MalformedIssue[]; error?: string } = { batches: [], issues };
  try {
    const reader = await openTable(source, { format: 'csv', onMalformed: (i) => issues.push(i), ...options });
    out.columns = reader.columns;
    for await (const b of reader.batches()) out.batches.push(batchOf(b, reader.columns.length));
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}

function batchOf(b: RowBatch, ncols: number) {
  const raw = b.raw!;
  const cells: unknown[] = [];
  for (let c = 0; c < ncols; c++) {
    for (let r = 0; r < b.rowCount; r++) {
      const i = c * raw.stride + r;
      cells.push([raw.text(c, r), raw.starts[i] < 0 ? -1 : raw.flags[i] & 3]);
    }
  }
  const lines: number[] = [];
  for (let r = 0; r < b.rowCount; r++) lines.push(b.lineOf!(r));
  return { firstRow: b.firstRow, rowCount: b.rowCount, lines, cells, ascii: raw.asciiOnly?.() };
}

async function sameAsTokenizer(data: Buffer | string, options: Partial<ReaderOptions> = {}, label = '') {
  // Batches that may be kept (their cells copied off the scanner's memory) and batches that reuse its arrays.
  const reads: Array<[number, boolean, boolean]> = [[1 << 20, false, false], [7, true, true], [64, false, true], [1, false, false]];
  for (const [chunkSize, shared, reuseBatchBuffers] of reads) {
    for (const batchSize of [3, 8192]) {
      const fast = await readEverything(data, { ...options, batchSize, reuseBatchBuffers }, chunkSize, shared, true);
      const slow = await readEverything(data, { ...options, batchSize, reuseBatchBuffers }, chunkSize, shared, false);
      assert.deepStrictEqual(fast, slow, `${label} chunk ${chunkSize}, batch ${batchSize}: ${JSON.stringify(String(data).slice(0, 200))}`);
    }
  }
}

describe('CSV fast path (WebAssembly scanner)', () => {
  it('runs here', () => {
    assert.ok(FastCsvScan.create(), 'WebAssembly with SIMD is in every supported Node.js');
  });

  it('tells whether a stretch of bytes holds an odd number of quotes, as counting them one by one does', () => {
    const scanner = FastCsvScan.create()!;
    const random = seededRandom(20261130);
    try {
      for (let t = 0; t < 400; t++) {
        // Lengths around the 64-byte blocks, quotes anywhere (the last byte included), from any offset.
        const length = Math.floor(random() * 300);
        const buf = Buffer.alloc(length + 10, 'x');
        for (let i = 0; i < buf.length; i++) if (random() < 0.1) buf[i] = 0x22;
        const from = Math.floor(random() * 5);
        const to = from + length;
        if (t % 3 === 0 && length > 0) buf[to - 1] = 0x22;
        let quotes = 0;
        for (let i = from; i < to; i++) if (buf[i] === 0x22) quotes++;
        assert.strictEqual(scanner.oddQuotes(buf, from, to), quotes % 2 === 1, `${from}..${to}`);
      }
    } finally {
      scanner.release();
    }
  });

  it('reads 256 KiB and more with the scanner by default, and less without it', async () => {
    const create = sinon.spy(FastCsvScan, 'create');
    try {
      const row = '12345,abcdef,"x,y"\n';
      const small = 'a,b,c\n' + row.repeat(1000);
      const large = 'a,b,c\n' + row.repeat(20000);
      assert.strictEqual((await readEverything(small, {}, 1 << 16, false)).batches.length, 1);
      assert.strictEqual(create.callCount, 0);
      const big = await readEverything(large, {}, 1 << 16, false);
      assert.strictEqual(create.callCount, 1);
      assert.deepStrictEqual(big, await readEverything(large, {}, 1 << 16, false, false));
    } finally {
      create.restore();
    }
  });

  it('gives batches that may be kept cells of their own, which the next reader of the scanner leaves alone', async () => {
    const text = (tag: string) => 'a,b\n' + Array.from({ length: 20 }, (_, r) => `${tag}${r},"${tag}"`).join('\n') + '\n';
    const kept: RowBatch[] = [];
    await withScanner(true, async () => {
      const first = await openTable(memorySource(text('x')), { format: 'csv', batchSize: 8 });
      for await (const b of first.batches()) kept.push(b);
      // The scanner went back to the pool when the read ended; this read takes it and writes its arrays over.
      const second = await openTable(memorySource(text('yy')), { format: 'csv', batchSize: 8 });
      for await (const b of second.batches()) assert.ok(b.rowCount > 0);
    });
    const cells = kept.flatMap((b) => Array.from({ length: b.rowCount }, (_, r) => `${b.raw!.text(0, r)}|${b.raw!.text(1, r)}`));
    assert.deepStrictEqual(cells, Array.from({ length: 20 }, (_, r) => `x${r}|x`));
  });

  it('takes plain records, and stops before the one it does not take, at its first byte', () => {
    const scan = FastCsvScan.create()!;
    scan.layout(3 * 4);
    scan.clearFlags();
    const buf = Buffer.from('a,b,c\n"x,1",,"q""q"\r\nd,"e"f,g\n');
    const { rows, next } = scan.scan(buf, 0, buf.length, 0x2c, 3, 4, 0, 4, 100);
    assert.strictEqual(rows, 2);
    assert.strictEqual(next, buf.indexOf('d,'));
    // Column-major, stride 4: the quoted fields without their quotes, flagged quoted (1) and escaped (2).
    const cell = (c: number, r: number) => [scan.starts[c * 4 + r] - 100, scan.ends[c * 4 + r] - 100, scan.flags[c * 4 + r]];
    assert.deepStrictEqual(cell(0, 1), [buf.indexOf('x'), buf.indexOf('x') + 3, 1]);
    assert.deepStrictEqual(cell(1, 1), [buf.indexOf(',,') + 1, buf.indexOf(',,') + 1, 0]);
    assert.deepStrictEqual(cell(2, 1), [buf.indexOf('q'), buf.indexOf('q') + 4, 3]);
  });

  it('stops at the batch end, and before a record the input ends in', () => {
    const scan = FastCsvScan.create()!;
    scan.layout(2 * 8);
    scan.clearFlags();
    const buf = Buffer.from('1,2\n3,4\n5,6\n7,');
    assert.deepStrictEqual(scan.scan(buf, 0, buf.length, 0x2c, 2, 8, 0, 2, 0), { rows: 2, next: 8 });
    assert.deepStrictEqual(scan.scan(buf, 8, buf.length, 0x2c, 2, 8, 2, 6, 0), { rows: 1, next: 12 });
    // A quote whose next byte is not in yet: the record is left for when it is.
    const open = Buffer.from('1,"2"');
    assert.deepStrictEqual(scan.scan(open, 0, open.length, 0x2c, 2, 8, 0, 8, 0), { rows: 0, next: 0 });
  });

  it('leaves the records to the tokenizer when its memory cannot grow', async () => {
    const grow = sinon.stub((globalThis as unknown as { WebAssembly: { Memory: { prototype: { grow(): number } } } }).WebAssembly.Memory.prototype, 'grow');
    grow.throws(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'));
    try {
      // 12 columns: the batch's arrays fit, a copy of the next chunk does not. 64: not even the arrays fit.
      for (const width of [12, 64]) {
        const header = Array.from({ length: width }, (_, c) => `c${c}`).join(',');
        const rows = Array.from({ length: 3000 }, (_, r) => Array.from({ length: width }, (_, c) => (c === 1 ? `"q,${r}"` : String(r * c))).join(','));
        const text = [header, ...rows].join('\n') + '\n';
        const fast = await readEverything(text, { reuseBatchBuffers: true }, 1 << 20, false, true);
        const slow = await readEverything(text, { reuseBatchBuffers: true }, 1 << 20, false, false);
        assert.deepStrictEqual(fast, slow, `${width} columns`);
        assert.strictEqual(fast.batches.length > 0, true);
      }
      assert.ok(grow.called);
    } finally {
      grow.restore();
    }
  });

  it('reads what the tokenizer reads, edge cases', async () => {
    const cases: Array<[string, Partial<ReaderOptions>?]> = [
      ['a,b,c\n1,2,3\n4,5,6\n'],
      ['a,b\r\n1,2\r\n3,4\r\n'],
      ['a,b\n1,2\n\n3,4\n\r\n5,6'],
      ['a\n1\n\n2\n\r\n""\n3\n'],
      ['a,b\n"x\ny",2\n3,4\n'],
      ['a,b\n"x""y",2\n"",""\n"a,b","c\r\nd"\n'],
      ['a,b\n1,2,3\n4\n5,6\n'],
      // Far more fields than columns: none of them may be written anywhere.
      [`a,b\n1,2\n${Array.from({ length: 60 }, (_, i) => i).join(',')}\n${'3,4\n'.repeat(40)}`],
      [`a,b\n1,2\n"q",${Array.from({ length: 60 }, (_, i) => `"${i}"`).join(',')}\n${'"3",4\n'.repeat(40)}`],
      ['a,b\n1,x"y\n"ab"c,2\n3,4\n'],
      ['a,b\n"1"\r2,3\n4,5\n'],
      ['a,b\n"1",2\r\n"3"\r\n4,"5"\r\n'],
      ['a,b\n1,"2'],
      ['a,b\n1,2\n3,"4\n'],
      ['\ufeffa,b\n1,2\n'],
      ['a;b\n1,5;2\n"3;";4\n', { delimiter: ';' }],
      ['a\tb\n1\t2\n', { format: 'tsv' }],
      ['1,2\n3,4\n', { header: false, columns: ['x', 'y'] }],
      ['1,2\n3,4\n5,6\n7,8\n9,10\n', { header: false }],
      ['a,b\n1,\u00e9\n\u20ac,2\n'],
      ['a,b\n1,ok\n2,' + '\u00ff'.repeat(3) + '\n', { encoding: 'latin1' }],
    ];
    for (const [text, options] of cases) await sameAsTokenizer(text, options);
    // Invalid UTF-8 after plain records: the error names the same line and row.
    await sameAsTokenizer(Buffer.concat([Buffer.from('a,b\n1,2\n3,4\n5,'), Buffer.from([0xff]), Buffer.from('\n7,8\n')]));
  });

  it('reads what the tokenizer reads, random CSV with quotes, line breaks, blank and ragged lines', async function () {
    this.timeout(60000);
    const rand = seededRandom(20261129);
    const pieces = ['a', 'bc', '1', '', ' ', '"', '""', ',', ';', '\n', '\r\n', '\r', 'é'];
    // Small tables with quotes and odd rows everywhere, then longer ones where they are rare (whole 64-byte blocks
    // without a quote, odd rows among plain ones).
    for (let round = 0; round < 200; round++) {
      const long = round >= 150;
      const quoted = long ? 0.02 : 0.3;
      const ncols = 1 + Math.floor(rand() * (long ? 8 : 4));
      const lines = ['h' + Array.from({ length: ncols - 1 }, (_, i) => `,h${i}`).join('')];
      const nrows = Math.floor(rand() * (long ? 300 : 12));
      for (let r = 0; r < nrows; r++) {
        const odd = rand() < (long ? 0.01 : 0.15);
        const width = odd ? Math.floor(rand() * (ncols + 2)) : ncols;
        const fields: string[] = [];
        for (let c = 0; c < width; c++) {
          let f = '';
          const k = Math.floor(rand() * 3);
          for (let j = 0; j < k; j++) f += pieces[Math.floor(rand() * (odd ? pieces.length : 5))];
          if (rand() < quoted) f = `"${f.replace(/"/g, '""')}${rand() < 0.1 ? '\n' : ''}"`;
          fields.push(f);
        }
        lines.push(fields.join(','));
      }
      const text = lines.join(rand() < 0.3 ? '\r\n' : '\n') + (rand() < 0.7 ? '\n' : '');
      await sameAsTokenizer(text, {}, `round ${round}`);
    }
  });

  it('reads a byte range as the tokenizer does when a record longer than any before comes in the middle of a batch', async () => {
    // The scanner's memory grows for the long record's chunk while the batch's cells are on it.
    const lines = ['a,b,c'];
    for (let i = 0; i < 6000; i++) lines.push(i === 4000 ? `${i},"${'long, '.repeat(400_000)}",x` : `${i},"q,${i}",${i % 7}`);
    const data = Buffer.from(lines.join('\n') + '\n');
    const range = { start: data.indexOf('\n') + 1, end: data.length };
    for (const [chunkSize, shared] of [[1 << 20, true], [65_536, true], [300_000, false]] as const) {
      const options = { range, headerLine: ['a', 'b', 'c'], batchSize: 8192, reuseBatchBuffers: true };
      const fast = await readEverything(data, options, chunkSize, shared, true);
      const slow = await readEverything(data, options, chunkSize, shared, false);
      assert.strictEqual(fast.error, undefined);
      assert.deepStrictEqual(fast, slow, `chunks of ${chunkSize}`);
    }
  });

  it('counts every quote of a byte range read to its end, with the scanner and without, whatever the chunks', async function () {
    this.timeout(60000);
    const rand = seededRandom(20261130);
    const pieces = ['ab', '1', '"', '""', ',', 'é', ' x'];
    const lines = ['a,b,c'];
    while (lines.length < 36_000) {
      // Well-formed rows mostly; some with a quote in an unquoted field, or a quoted line break.
      const fields = [String(lines.length), pieces[Math.floor(rand() * 2)]];
      let f = '';
      for (let j = 0; j < 1 + Math.floor(rand() * 20); j++) f += pieces[Math.floor(rand() * pieces.length)];
      const r = rand();
      fields.push(r < 0.5 ? `"${f.replace(/"/g, '""')}${r < 0.05 ? '\n' : ''}"` : r < 0.9 ? f.replace(/"/g, '') : f);
      lines.push(fields.join(','));
    }
    const data = Buffer.from(lines.join('\n') + '\n');
    const dataStart = data.indexOf('\n') + 1;
    // Ranges of the scanner's size and more, starting and ending anywhere (the count does not need records).
    const ranges = [
      { start: dataStart, end: data.length },
      { start: dataStart + 1000, end: dataStart + 300_001 },
      { start: 123_457, end: data.length - 5 },
    ];
    assert.ok(data.length > 600_000, `${data.length} bytes`);
    const expected = (range: { start: number; end: number }) => {
      let n = 0;
      for (let i = range.start; i < range.end; i++) if (data[i] === 0x22) n++;
      return n;
    };
    const count = (source: ReturnType<typeof memorySource>, range: { start: number; end: number }, stopEarly = false) =>
      withScanner(undefined, async () => {
        const reader = await openTable(source, { format: 'csv', range, headerLine: ['a', 'b', 'c'], batchSize: 512, onMalformed: () => undefined, reuseBatchBuffers: true });
        try {
          for await (const batch of reader.batches()) if (stopEarly && batch) break;
        } catch (e) {
          assert.match((e as Error).message, /never closed|invalid UTF-8/);
        }
        return reader.quoteCount?.();
      });
    for (const scanner of [true, false]) {
      for (const [chunkSize, shared] of [[1 << 20, true], [65_536, true], [4099, false], [1000, true]] as const) {
        for (const range of ranges) {
          const source = shared ? sharedBufferSource(data, chunkSize) : memorySource(data, chunkSize);
          const got = await withScanner(scanner, () => count(source, range));
          assert.strictEqual(got, expected(range), `scanner ${scanner}, chunks of ${chunkSize}, bytes ${range.start}-${range.end}`);
        }
      }
    }
    // A read that stops before the end of its range has no count.
    assert.strictEqual(await count(sharedBufferSource(data, 65_536), ranges[0], true), undefined);
    // Nor a read of a whole file: only byte ranges are counted.
    const whole = await openTable(memorySource(data), { format: 'csv', onMalformed: () => undefined });
    try {
      for await (const batch of whole.batches()) void batch;
    } catch {
      // (its last quoted field may be open)
    }
    assert.strictEqual(whole.quoteCount?.(), undefined);
    // And when the scanner's memory cannot grow for a copy of a chunk, the reader counts alone.
    const mirror = sinon.stub(FastCsvScan.prototype, 'mirrorCounting').throws(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'));
    try {
      assert.strictEqual(await withScanner(true, () => count(sharedBufferSource(data, 65_536), ranges[1])), expected(ranges[1]));
      assert.ok(mirror.called);
    } finally {
      mirror.restore();
    }
  });
});
