import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { localSources, type DataSource } from '../../../../src/data/sources';
import { openTable, ReaderOptions, splitIntoRanges } from '../../../../src/data/readers';
import { CellValue } from '../../../../src/data/types';
import { readAll, tempDir } from './helpers';

/** Rows whose quoted fields hold line breaks, quoted delimiters and doubled quotes, behind a BOM and a multi-line header. */
function csvWithQuotedNewlines(rows: number): string {
  const lines = ['\ufeffid,"long\nheader",note'];
  for (let i = 0; i < rows; i++) {
    const note = i % 2 === 0 ? `"line ${i}\nstill ${i}\r\n""q"", and\n${'x'.repeat(i % 17)}"` : `plain ${i}`;
    lines.push(`${i},"v,${i}",${note}`);
  }
  return lines.join('\r\n') + '\r\n';
}

async function readRanges(file: string, parts: number, options: ReaderOptions): Promise<{ rows: CellValue[][]; ranges: Array<{ start: number; end: number }> }> {
  const source = localSources(file, path.dirname(file), 'dataPath')[0];
  const { header, ranges } = await splitIntoRanges(source, parts, options);
  const rows: CellValue[][] = [];
  for (const range of ranges) {
    const r = await readAll(source, { ...options, range, headerLine: header });
    assert.deepStrictEqual(r.columns, header);
    rows.push(...r.rows);
  }
  return { rows, ranges };
}

/** The quotes a reader of a byte range counted, read to its end (see CsvReader.quoteCount). */
async function quotesRead(source: DataSource, range: { start: number; end: number }, header: string[]): Promise<number | undefined> {
  const reader = await openTable(source, { format: 'csv', range, headerLine: header, onMalformed: () => undefined });
  try {
    for await (const batch of reader.batches()) void batch;
  } catch (e) {
    // A range that ends in a quoted field (the data goes on after it): all its bytes were read all the same.
    assert.match((e as Error).message, /is never closed/);
  }
  return reader.quoteCount?.();
}

function quotesIn(bytes: Buffer, range: { start: number; end: number }): number {
  let n = 0;
  for (let i = range.start; i < range.end; i++) if (bytes[i] === 0x22) n++;
  return n;
}

describe('Splitting a file into byte ranges', () => {
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives ranges that read exactly the rows of a whole-file read when quoted line breaks straddle the split points', async () => {
    const file = path.join(dir, 'q.csv');
    const text = csvWithQuotedNewlines(500);
    fs.writeFileSync(file, text);
    const whole = await readAll(localSources(file, dir, 'd')[0]);
    assert.strictEqual(whole.rows.length, 500);
    const bytes = Buffer.from(text);
    let naiveWouldBreak = false;
    for (const parts of [2, 3, 7, 16, 61]) {
      const { rows, ranges } = await readRanges(file, parts, { format: 'csv' });
      assert.deepStrictEqual(rows, whole.rows, `${parts} parts`);
      assert.ok(ranges.length >= Math.min(parts, 2), `${parts} parts gave ${ranges.length} ranges`);
      // Contiguous, from after the header to the end of the file.
      assert.strictEqual(ranges[0].start, bytes.indexOf('note\r\n') + 6);
      assert.strictEqual(ranges[ranges.length - 1].end, bytes.length);
      for (let k = 1; k < ranges.length; k++) assert.strictEqual(ranges[k].start, ranges[k - 1].end);
      // Where a split at the first line break after the even target would have cut a quoted field.
      const starts = new Set(ranges.map((r) => r.start));
      const step = (bytes.length - ranges[0].start) / parts;
      for (let k = 1; k < parts; k++) {
        const naive = bytes.indexOf(0x0a, Math.floor(ranges[0].start + k * step)) + 1;
        if (!starts.has(naive)) naiveWouldBreak = true;
      }
    }
    assert.ok(naiveWouldBreak, 'the data should put line breaks inside quotes at some split points');
  });

  it('splits at once at line breaks when asked to speculate, and confirms the split only where no quoted field is cut', async () => {
    const file = path.join(dir, 'q.csv');
    const text = csvWithQuotedNewlines(500);
    fs.writeFileSync(file, text);
    const source = localSources(file, dir, 'd')[0];
    const bytes = Buffer.from(text);
    const verdicts = new Set<boolean>();
    for (const parts of [2, 3, 7, 16, 61]) {
      const exact = await splitIntoRanges(source, parts, { format: 'csv' });
      const fast = await splitIntoRanges(source, parts, { format: 'csv' }, { speculate: true });
      assert.deepStrictEqual(fast.header, exact.header);
      // Each range after the first starts after the first line break at or after its target.
      const step = (bytes.length - fast.ranges[0].start) / parts;
      const naive = new Set(Array.from({ length: parts - 1 }, (_, k) => bytes.indexOf(0x0a, Math.floor(fast.ranges[0].start + (k + 1) * step)) + 1));
      for (const r of fast.ranges.slice(1)) assert.ok(naive.has(r.start), `${parts} parts: ${r.start}`);
      const same = JSON.stringify(fast.ranges) === JSON.stringify(exact.ranges);
      // Confirmed from the quotes the reads of the ranges counted, and by the pass from the start when a range was
      // not read to its end.
      const counts = await Promise.all(fast.ranges.map((range) => quotesRead(source, range, fast.header!)));
      for (const [k, range] of fast.ranges.entries()) assert.strictEqual(counts[k], quotesIn(bytes, range), `${parts} parts, range ${k}`);
      assert.strictEqual(await fast.confirm!(counts), same, `${parts} parts, by the quotes read`);
      assert.strictEqual(await fast.confirm!(counts.map((n, k) => (k === 0 ? undefined : n))), same, `${parts} parts, by the pass`);
      verdicts.add(same);
    }
    assert.ok(verdicts.has(false), 'the data should put line breaks inside quotes at some split points');
    // Quoted delimiters and doubled quotes, but no quoted line break: confirmed.
    const plain = path.join(dir, 'p.csv');
    fs.writeFileSync(plain, ['a,b', ...Array.from({ length: 400 }, (_, i) => `${i},"x, ""${i}"""`)].join('\n'));
    const split = await splitIntoRanges(localSources(plain, dir, 'd')[0], 4, { format: 'csv' }, { speculate: true });
    assert.strictEqual(split.ranges.length, 4);
    assert.strictEqual(await split.confirm!([undefined, undefined, undefined, undefined]), true);
    assert.strictEqual(await split.confirm!([2, 4, 0, 1]), true);
    assert.strictEqual(await split.confirm!([2, 3, 1, 0]), false);
  });

  it('finds the record boundaries of a file of several read chunks, quoted line breaks before and at the targets', async () => {
    // About 2.7 MB: the pass reads it in chunks of 1 MiB, and counts the quotes of those before a target at once.
    const file = path.join(dir, 'big-q.csv');
    const text = csvWithQuotedNewlines(60_000);
    fs.writeFileSync(file, text);
    assert.ok(text.length > 2.5 * 2 ** 20, `${text.length} bytes`);
    const whole = await readAll(localSources(file, dir, 'd')[0]);
    for (const parts of [2, 5, 9]) {
      const { rows, ranges } = await readRanges(file, parts, { format: 'csv' });
      assert.strictEqual(ranges.length, parts);
      assert.deepStrictEqual(rows, whole.rows, `${parts} parts`);
    }
    // A quote in the first chunk that no other closes: every later line break is inside it, so nothing splits.
    const open = path.join(dir, 'open-q.csv');
    fs.writeFileSync(open, `a,b\n1,"never closed\n${'2,x\n'.repeat(800_000)}`);
    const r = await splitIntoRanges(localSources(open, dir, 'd')[0], 4, { format: 'csv' });
    assert.deepStrictEqual(r.ranges.length, 1);
  });

  it('numbers rows and lines from the start of each range and keeps byte offsets absolute', async () => {
    const file = path.join(dir, 'r.csv');
    fs.writeFileSync(file, 'a,b\n1,2\n3,4\n5\n7,8\n9\n');
    const source = localSources(file, dir, 'd')[0];
    const { header, ranges } = await splitIntoRanges(source, 2, { format: 'csv' });
    const second = await readAll(source, { format: 'csv', range: ranges[1], headerLine: header, collect: true });
    assert.deepStrictEqual(ranges, [{ start: 4, end: 14 }, { start: 14, end: 20 }]);
    assert.deepStrictEqual(second.rows, [['7', '8'], ['9', undefined]]);
    assert.deepStrictEqual(second.issues.map((i) => [i.row, i.line, i.byteOffset]), [[2, 2, 18]]);
  });

  it('splits JSON Lines at line breaks, with the first object keys as the header', async () => {
    const file = path.join(dir, 'j.jsonl');
    fs.writeFileSync(file, Array.from({ length: 300 }, (_, i) => JSON.stringify({ i, s: `a\nb ${i}`, ...(i === 5 ? { extra: 1 } : {}) })).join('\n') + '\n');
    const whole = await readAll(localSources(file, dir, 'd')[0], { format: 'jsonl' });
    for (const parts of [1, 4, 9]) {
      const { rows } = await readRanges(file, parts, { format: 'jsonl' });
      assert.deepStrictEqual(rows, whole.rows, `${parts} parts`);
    }
  });

  it('gives one range for a file too small to split', async () => {
    const file = path.join(dir, 's.csv');
    fs.writeFileSync(file, 'a\n1\n');
    const r = await splitIntoRanges(localSources(file, dir, 'd')[0], 8, { format: 'csv' });
    assert.deepStrictEqual(r, { header: ['a'], ranges: [{ start: 2, end: 4 }] });
  });
});
