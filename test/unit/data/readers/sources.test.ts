import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { UserError } from '../../../../src/errors';
import { DataFormatError } from '../../../../src/data/types';
import { detectFormat, globToRegExp, localSources } from '../../../../src/data/sources';
import { memorySource, tempDir } from './helpers';

describe('Local data sources', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    const files: Record<string, string> = {
      'data/a.csv': 'x\n1\n',
      'data/b.parquet': 'PAR1',
      'data/notes.md': '# not data',
      'data/.hidden.csv': 'x\n',
      'data/2024/01/c.csv': 'x\n2\n',
      'data/2024/02/d.jsonl': '{}\n',
      'data/2024/02/e.tsv': 'x\n',
      'other/f.txt': 'a\tb\n',
    };
    fs.mkdirSync(path.join(dir, 'zipped'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'zipped', 'g.csv.gz'), zlib.gzipSync('x\n3\n'));
    fs.writeFileSync(path.join(dir, 'zipped', 'h.log.gz'), zlib.gzipSync('not data'));
    fs.writeFileSync(path.join(dir, 'zipped', 'broken.jsonl.gz'), zlib.gzipSync('{"a":1}\n').subarray(0, 12));
    fs.writeFileSync(path.join(dir, 'zipped', 'disguised.csv'), zlib.gzipSync('x\n4\n'));
    fs.writeFileSync(path.join(dir, 'zipped', 'pages.parquet.gz'), zlib.gzipSync('PAR1'));
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const names = (p: string) => localSources(p, dir, 'dataPath').map((s) => s.name);

  it('gives one file with its size, absolute path and a name relative to the base dir', () => {
    const [s] = localSources('data/a.csv', dir, 'dataPath');
    assert.strictEqual(s.name, 'data/a.csv');
    assert.strictEqual(s.size, 4);
    assert.strictEqual(s.localPath, path.join(dir, 'data', 'a.csv'));
  });

  it('lists every data file in a folder recursively and sorted, skipping other extensions and hidden files', () => {
    assert.deepStrictEqual(names('data'), ['data/2024/01/c.csv', 'data/2024/02/d.jsonl', 'data/2024/02/e.tsv', 'data/a.csv', 'data/b.parquet']);
  });

  it('matches globs with *, **, ? and {a,b}, also written with backslashes', () => {
    assert.deepStrictEqual(names('data/*.csv'), ['data/a.csv']);
    assert.deepStrictEqual(names('data/**/*.csv'), ['data/2024/01/c.csv', 'data/a.csv']);
    assert.deepStrictEqual(names('data/2024/0?/*.{jsonl,tsv}'), ['data/2024/02/d.jsonl', 'data/2024/02/e.tsv']);
    assert.deepStrictEqual(names('data\\2024\\*\\c.csv'), ['data/2024/01/c.csv']);
    assert.deepStrictEqual(names('*/f.txt'), ['other/f.txt']);
  });

  it('reads a file opened with a byte range from start up to, not including, end', async () => {
    const [s] = localSources('data/a.csv', dir, 'dataPath');
    const parts: Buffer[] = [];
    for await (const c of s.open({ start: 1, end: 3 }) as AsyncIterable<Buffer>) parts.push(c);
    assert.strictEqual(Buffer.concat(parts).toString(), '\n1');
  });

  it('reads the same bytes in chunks that share a buffer, for any range, and closes the file when stopped early', async () => {
    const big = path.join(dir, 'big.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = ((i * 31) ^ (i >>> 16)) & 0xff; // no period that divides a chunk
    fs.writeFileSync(big, bytes);
    const [s] = localSources('big.bin', dir, 'dataPath');
    for (const range of [undefined, { start: 0, end: 0 }, { start: 5, end: 6 }, { start: 1000, end: 2_500_000 }, { start: 2_000_000 }]) {
      const parts: Buffer[] = [];
      for await (const c of s.readChunks!(range)) parts.push(Buffer.from(c));
      assert.ok(Buffer.concat(parts).equals(bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length)), JSON.stringify(range));
    }
    // The next chunk is read ahead, into another buffer: a chunk stays as it is until the next is asked for.
    let at = 0;
    for await (const c of s.readChunks!()) {
      const copy = Buffer.from(c);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(c.equals(copy) && copy.equals(bytes.subarray(at, at + c.length)), `chunk at ${at}`);
      at += c.length;
    }
    assert.strictEqual(at, bytes.length);
    // With headroom: room before each chunk that the reader may write, and the chunk before stays as it was.
    let previous: { chunk: Buffer; copy: Buffer } | undefined;
    const pieces: Buffer[] = [];
    for await (const c of s.readChunks!({ start: 3 }, 4096)) {
      assert.ok(c.byteOffset >= 4096, 'room before the chunk');
      Buffer.from(c.buffer, c.byteOffset - 4096, 4096).fill(0x55);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (previous) assert.ok(previous.chunk.equals(previous.copy), 'the chunk before is as it was');
      previous = { chunk: c, copy: Buffer.from(c) };
      pieces.push(previous.copy);
    }
    assert.ok(Buffer.concat(pieces).equals(bytes.subarray(3)));
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const before = process.platform === 'linux' ? open() : 0;
    for (let k = 0; k < 20; k++) {
      for await (const c of s.readChunks!()) {
        assert.ok(c.length > 0);
        break;
      }
    }
    if (process.platform === 'linux') assert.ok(open() <= before, 'a file descriptor was left open');
  });

  it('decompresses a gzip file named .gz as it is read, from its start only, and lists it in a folder', async () => {
    assert.deepStrictEqual(names('zipped'), ['zipped/broken.jsonl.gz', 'zipped/disguised.csv', 'zipped/g.csv.gz', 'zipped/pages.parquet.gz']);
    const [s] = localSources('zipped/g.csv.gz', dir, 'dataPath');
    // No size: a compressed file is never split by byte ranges.
    assert.strictEqual(s.size, undefined);
    assert.strictEqual(s.localPath, path.join(dir, 'zipped', 'g.csv.gz'));
    const read = async (source: typeof s) => {
      const parts: Buffer[] = [];
      for await (const c of source.open() as AsyncIterable<Buffer>) parts.push(c);
      return Buffer.concat(parts).toString();
    };
    assert.strictEqual(await read(s), 'x\n3\n');
    assert.strictEqual(await detectFormat(s, 'auto'), 'csv');
    assert.throws(() => s.open({ start: 1 }), /g\.csv\.gz is compressed and cannot be read from byte 1/);
    const [broken] = localSources('zipped/broken.jsonl.gz', dir, 'dataPath');
    await assert.rejects(read(broken), (e: Error) => e instanceof DataFormatError && /zipped\/broken\.jsonl\.gz is not a readable gzip file: unexpected end of file/.test(e.message));
  });

  it('refuses gzip under another name, and gzip-compressed Parquet, saying what to do', async () => {
    const [disguised] = localSources('zipped/disguised.csv', dir, 'dataPath');
    await assert.rejects(detectFormat(disguised, 'auto'), /zipped\/disguised\.csv is gzip-compressed: name it with \.gz at the end/);
    const [pages] = localSources('zipped/pages.parquet.gz', dir, 'dataPath');
    await assert.rejects(detectFormat(pages, 'auto'), /a gzip-compressed Parquet file cannot be read\. Decompress it\./);
  });

  it('throws a UserError naming the input when nothing matches or the path does not exist', () => {
    for (const p of ['data/*.xlsx', 'missing.csv', 'nothing/**/*.csv']) {
      assert.throws(() => localSources(p, dir, 'dataPath'), (e: unknown) => e instanceof UserError && e.input === 'dataPath' && /dataPath/.test(e.message));
    }
  });

  it('turns ** into any number of folders and keeps * within one', () => {
    const re = globToRegExp('a/**/b*.csv');
    assert.ok(re.test('a/b1.csv'));
    assert.ok(re.test('a/x/y/b1.csv'));
    assert.ok(!re.test('a/x/c.csv'));
    assert.ok(!globToRegExp('*.csv').test('x/y.csv'));
  });
});

describe('Format detection', () => {
  it('goes by the extension first', async () => {
    assert.strictEqual(await detectFormat(memorySource('{}', 10, 'x.csv'), 'auto'), 'csv');
    assert.strictEqual(await detectFormat(memorySource('a,b', 10, 'x.pq'), 'auto'), 'parquet');
    assert.strictEqual(await detectFormat(memorySource('a,b', 10, 'x.ndjson'), 'auto'), 'jsonl');
    assert.strictEqual(await detectFormat(memorySource('a,b', 10, 'x.TSV'), 'auto'), 'tsv');
  });

  it('goes by the content for other names: Parquet magic, a leading brace, tabs, else CSV', async () => {
    assert.strictEqual(await detectFormat(memorySource('PAR1....', 10, 'blob'), 'auto'), 'parquet');
    assert.strictEqual(await detectFormat(memorySource('\ufeff \n{"a":1}\n', 10, 'x.json'), 'auto'), 'jsonl');
    assert.strictEqual(await detectFormat(memorySource('a\tb\tc\n1,2\t3\t4\n', 10, 'x.txt'), 'auto'), 'tsv');
    assert.strictEqual(await detectFormat(memorySource('a,b\tc\n', 10, 'x.txt'), 'auto'), 'csv');
    assert.strictEqual(await detectFormat(memorySource('', 10, 'empty.txt'), 'auto'), 'csv');
  });

  it('keeps a format that was asked for, and refuses a JSON array', async () => {
    assert.strictEqual(await detectFormat(memorySource('PAR1', 10, 'x.parquet'), 'csv'), 'csv');
    await assert.rejects(detectFormat(memorySource('[{"a":1}]', 10, 'x.json'), 'auto'), UserError);
  });
});
