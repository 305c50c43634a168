import * as assert from 'assert';
import { DataFormatError } from '../../../../src/data/types';
import { batchRowsFor } from '../../../../src/data/readers/options';
import { openTable } from '../../../../src/data/readers';
import { memorySource, sharedBufferSource, readAll } from './helpers';
import { seededRandom } from '../../../support/random';

// Every tricky bit at once: quoted delimiter, doubled quotes, a quoted CRLF and LF, an empty field, CRLF endings,
// a multi-byte character, and a last record without a line break.
const TRICKY = 'id,name,note\r\n1,"a,b","say ""hi"""\r\n2,,"two\r\nlines"\r\n3,é€😀,"x\ny"\r\n4,"",last';
const TRICKY_ROWS = [
  ['1', 'a,b', 'say "hi"'],
  ['2', '', 'two\r\nlines'],
  ['3', 'é€😀', 'x\ny'],
  ['4', '', 'last'],
];

describe('CSV reader', () => {
  it('reads the header as column names and each record as a row of text cells', async () => {
    const r = await readAll(memorySource('a,b\n1,2\n3,4\n'));
    assert.deepStrictEqual(r.columns, ['a', 'b']);
    assert.deepStrictEqual(r.rows, [['1', '2'], ['3', '4']]);
  });

  it('handles quoted delimiters, doubled quotes, quoted line breaks, CRLF and a missing final line break', async () => {
    const r = await readAll(memorySource(TRICKY));
    assert.deepStrictEqual(r.columns, ['id', 'name', 'note']);
    assert.deepStrictEqual(r.rows, TRICKY_ROWS);
  });

  it('gives the line each row starts on, which differs from the row number after quoted line breaks', async () => {
    const r = await readAll(memorySource(TRICKY));
    assert.deepStrictEqual(r.lines, [2, 3, 5, 7]);
  });

  it('reads the same rows and lines whatever the chunk size, down to one byte per chunk', async () => {
    const whole = await readAll(memorySource(TRICKY));
    const bytes = Buffer.byteLength(TRICKY);
    for (let size = 1; size <= bytes; size++) {
      const r = await readAll(memorySource(TRICKY, size), { batchSize: 3 });
      assert.deepStrictEqual(r.rows, whole.rows, `chunk size ${size}`);
      assert.deepStrictEqual(r.lines, whole.lines, `chunk size ${size}`);
      assert.deepStrictEqual(r.columns, whole.columns, `chunk size ${size}`);
    }
  });

  it('reads the same rows from chunks that share one buffer (local files), keeping nothing of a chunk', async () => {
    const whole = await readAll(memorySource(TRICKY));
    const bytes = Buffer.byteLength(TRICKY);
    for (let size = 1; size <= bytes; size++) {
      const r = await readAll(sharedBufferSource(TRICKY, size), { batchSize: 3 });
      assert.deepStrictEqual(r.rows, whole.rows, `chunk size ${size}`);
      assert.deepStrictEqual(r.lines, whole.lines, `chunk size ${size}`);
    }
  });

  it('skips a UTF-8 byte order mark, also when it arrives one byte at a time', async () => {
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x,y\n1,2\n')]);
    for (const size of [1, 2, 3, 100]) {
      for (const source of [memorySource(data, size), sharedBufferSource(data, size)]) {
        const r = await readAll(source);
        assert.deepStrictEqual(r.columns, ['x', 'y'], `chunk size ${size}`);
        assert.deepStrictEqual(r.rows, [['1', '2']]);
      }
    }
  });

  it('splits on a semicolon delimiter when asked, leaving commas inside fields', async () => {
    const r = await readAll(memorySource('a;b\n1,5;"x;y"\n'), { delimiter: ';' });
    assert.deepStrictEqual(r.rows, [['1,5', 'x;y']]);
  });

  it('splits TSV on tabs by default', async () => {
    const r = await readAll(memorySource('a\tb\n1\t2,3\n'), { format: 'tsv' });
    assert.deepStrictEqual(r.columns, ['a', 'b']);
    assert.deepStrictEqual(r.rows, [['1', '2,3']]);
  });

  it('gives an empty unquoted field as an empty string and a quoted empty field too', async () => {
    const r = await readAll(memorySource('a,b,c\n,"",\n'));
    assert.deepStrictEqual(r.rows, [['', '', '']]);
  });

  it('skips blank lines but keeps counting lines', async () => {
    const r = await readAll(memorySource('a,b\n\n1,2\r\n\r\n3,4\n'));
    assert.deepStrictEqual(r.rows, [['1', '2'], ['3', '4']]);
    assert.deepStrictEqual(r.lines, [3, 5]);
  });

  it('names the columns column_1..n when there is no header, or uses the names given', async () => {
    const a = await readAll(memorySource('1,2,3\n4,5,6\n'), { header: false });
    assert.deepStrictEqual(a.columns, ['column_1', 'column_2', 'column_3']);
    assert.deepStrictEqual(a.rows, [['1', '2', '3'], ['4', '5', '6']]);
    assert.deepStrictEqual(a.lines, [1, 2]);
    const b = await readAll(memorySource('1,2\n'), { header: false, columns: ['x', 'y'] });
    assert.deepStrictEqual(b.columns, ['x', 'y']);
    assert.deepStrictEqual(b.rows, [['1', '2']]);
  });

  it('reads a file without a header longer than a batch into whole batches, its first record the first row', async () => {
    const text = '1,a\n2,b\n3,c\n4,d\n5,e\n';
    const rows = [['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd'], ['5', 'e']];
    for (const chunk of [1, 3, 64]) {
      for (const [batchSize, firstRows] of [[1, [1, 2, 3, 4, 5]], [2, [1, 3, 5]]] as const) {
        const r = await readAll(memorySource(text, chunk), { header: false, batchSize });
        assert.deepStrictEqual(r.rows, rows, `chunk size ${chunk}, batch size ${batchSize}`);
        assert.deepStrictEqual(r.lines, [1, 2, 3, 4, 5], `chunk size ${chunk}, batch size ${batchSize}`);
        assert.deepStrictEqual(r.firstRows, firstRows, `chunk size ${chunk}, batch size ${batchSize}`);
      }
    }
  });

  it('reads the same rows, lines and issues whatever the batch and chunk sizes, with a header or without', async function () {
    this.timeout(60000);
    const rand = seededRandom(20261130);
    const pieces = ['a', 'bc', '1', '', ' ', '"', '""', ',', '\n', '\r\n', 'é'];
    for (let round = 0; round < 60; round++) {
      const ncols = 1 + Math.floor(rand() * 3);
      const records = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => {
        const width = rand() < 0.1 ? Math.floor(rand() * (ncols + 2)) : ncols;
        return Array.from({ length: width }, () => {
          let f = '';
          for (let k = Math.floor(rand() * 3); k > 0; k--) f += pieces[Math.floor(rand() * (rand() < 0.9 ? 5 : pieces.length))];
          return rand() < 0.2 ? `"${f.replace(/"/g, '""')}"` : f;
        }).join(',');
      });
      const text = records.join(rand() < 0.3 ? '\r\n' : '\n') + (rand() < 0.7 ? '\n' : '');
      const header = rand() < 0.5;
      const read = async (batchSize: number, chunk: number) => {
        try {
          const r = await readAll(sharedBufferSource(text, chunk), { header, batchSize, collect: true });
          assert.ok(r.firstRows.every((first, i) => (r.firstRows[i + 1] ?? r.rows.length + 1) - first <= batchSize), `batches of at most ${batchSize} rows`);
          return JSON.stringify({ ...r, firstRows: undefined });
        } catch (e) {
          return (e as Error).message;
        }
      };
      const whole = await read(8192, 1 << 20);
      for (const batchSize of [1, 2, 3]) for (const chunk of [1, 5, 1 << 20]) assert.strictEqual(await read(batchSize, chunk), whole, `round ${round}: ${JSON.stringify(text)}, header ${header}, batch size ${batchSize}, chunk size ${chunk}`);
    }
  });

  it('names the columns of a file without a header by the names declared, in order, and the rest column_i', async () => {
    const r = await readAll(memorySource('1,2,3\n4,5,6\n'), { header: false, declaredColumns: ['id', 'name'] });
    assert.deepStrictEqual(r.columns, ['id', 'name', 'column_3']);
    assert.deepStrictEqual(r.rows, [['1', '2', '3'], ['4', '5', '6']]);
  });

  it('cuts a wide table into batches of fewer rows, so a batch holds at most 8192 rows of 64 columns', async () => {
    assert.deepStrictEqual([batchRowsFor(8192, 12), batchRowsFor(8192, 64), batchRowsFor(8192, 1000), batchRowsFor(8192, 100_000), batchRowsFor(10, 1000)], [8192, 8192, 524, 64, 10]);
    const columns = 1000;
    const rows = Array.from({ length: 1200 }, (_, r) => Array.from({ length: columns }, (_, c) => (r + c) % 10).join(','));
    const data = Array.from({ length: columns }, (_, c) => `c${c}`).join(',') + '\n' + rows.join('\n') + '\n';
    const r = await readAll(memorySource(data, 1 << 16), { batchSize: 8192 });
    assert.deepStrictEqual(r.firstRows, [1, 525, 1049]);
    assert.strictEqual(r.rows.length, 1200);
    assert.strictEqual(r.rows[1199][999], String((1199 + 999) % 10));
  });

  it("lays a batch's columns out in its cell arrays so that each starts in a cache set of its own", async () => {
    // A stride of 2048 cells put every column's cells of one row 8 KiB apart, in one set of the first-level cache.
    const rows = Array.from({ length: 30_000 }, (_, r) => Array.from({ length: 12 }, (_, c) => r * 12 + c).join(','));
    const data = Array.from({ length: 12 }, (_, c) => `c${c}`).join(',') + '\n' + rows.join('\n') + '\n';
    // As the checks read them (reuseBatchBuffers): views on the scanner's memory, where it wrote them.
    const reader = await openTable(memorySource(data), { format: 'csv', batchSize: 2048, reuseBatchBuffers: true });
    let batches = 0;
    for await (const batch of reader.batches()) {
      const raw = batch.raw!;
      // Where each column's cells start in the memory of the starts and of the ends, as a set of 64-byte lines.
      const at = (array: Int32Array, c: number) => ((array.byteOffset + c * raw.stride * 4) % 4096) >> 6;
      const sets = new Set(Array.from({ length: 12 }, (_, c) => [at(raw.starts, c), at(raw.ends, c)]).flat());
      assert.strictEqual(sets.size, 24, `cache sets of the starts and ends of the columns, stride ${raw.stride}`);
      const r = batch.rowCount - 1;
      assert.strictEqual(raw.text(11, r), String((batch.firstRow - 1 + r) * 12 + 11));
      batches++;
    }
    assert.strictEqual(batches, Math.ceil(30_000 / 2048));
  });

  it('names an empty header by its position, as pandas writes its index', async () => {
    const r = await readAll(memorySource(',a,"",b\n0,1,2,3\n'));
    assert.deepStrictEqual(r.columns, ['column_1', 'a', 'column_3', 'b']);
    assert.deepStrictEqual(r.rows, [['0', '1', '2', '3']]);
  });

  it('cuts rows into batches of the size asked for, numbering the first row of each', async () => {
    const data = 'n\n' + Array.from({ length: 10 }, (_, i) => `${i}\n`).join('');
    const r = await readAll(memorySource(data, 4), { batchSize: 4 });
    assert.deepStrictEqual(r.firstRows, [1, 5, 9]);
    assert.deepStrictEqual(r.rows.map((x) => x[0]), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('reads a header-only file and an empty file as no rows', async () => {
    assert.deepStrictEqual((await readAll(memorySource('a,b\n'))).rows, []);
    const empty = await readAll(memorySource(''));
    assert.deepStrictEqual(empty.columns, []);
    assert.deepStrictEqual(empty.rows, []);
  });

  it('throws on the first ragged row when no onMalformed is given, naming row, line, and both counts', async () => {
    await assert.rejects(readAll(memorySource('a,b,c\n1,2,3\n"x\ny",5\n')), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /row 2 \(line 3\) has 2 fields; the header has 3/);
      assert.strictEqual(e.location.row, 2);
      assert.strictEqual(e.location.line, 3);
      assert.strictEqual(e.location.byteOffset, 12);
      return true;
    });
  });

  it('reports ragged rows through onMalformed and keeps reading, with missing cells undefined and extra ones dropped', async () => {
    const r = await readAll(memorySource('a,b,c\n1,2\n4,5,6,7\n8,9,10\n'), { collect: true });
    assert.deepStrictEqual(r.rows, [['1', '2', undefined], ['4', '5', '6'], ['8', '9', '10']]);
    assert.deepStrictEqual(
      r.issues.map((i) => [i.kind, i.row, i.line, i.expected, i.actual]),
      [['ragged', 1, 2, 3, 2], ['ragged', 2, 3, 3, 4]],
    );
  });

  it('reports a quote inside an unquoted field and text after a closing quote, keeping the raw text', async () => {
    const r = await readAll(memorySource('a,b\nab"c,1\n"x"y,2\n'), { collect: true });
    assert.deepStrictEqual(r.rows, [['ab"c', '1'], ['"x"y', '2']]);
    assert.deepStrictEqual(r.issues.map((i) => [i.kind, i.row, i.column]), [['quote', 1, 'a'], ['quote', 2, 'a']]);
    await assert.rejects(readAll(memorySource('a,b\nab"c,1\n')), /quote inside an unquoted field/);
  });

  it('throws on a quote that is never closed, naming the line it opens on', async () => {
    for (const size of [1, 5, 1000]) {
      await assert.rejects(readAll(memorySource('a,b\n1,2\n3,"open\nmore\n', size)), (e: unknown) => {
        assert.ok(e instanceof DataFormatError);
        assert.match(e.message, /opened at line 3 \(row 2\) \(byte 10\) is never closed/);
        return true;
      });
    }
  });

  it('stops at a record longer than the limit instead of buffering the rest of the file', async () => {
    const data = 'a\n"' + 'x'.repeat(5000) + '\n';
    await assert.rejects(readAll(memorySource(data, 100), { maxRecordBytes: 1000 }), /longer than .* MiB; most likely a quote is never closed/);
  });

  it('throws on invalid UTF-8 with the line and byte of the bad sequence', async () => {
    const data = Buffer.concat([Buffer.from('a,b\n1,2\n"x\n'), Buffer.from([0x79, 0xff, 0x7a]), Buffer.from('",3\n')]);
    for (const size of [1, 2, 7, 1000]) {
      await assert.rejects(readAll(memorySource(data, size)), (e: unknown) => {
        assert.ok(e instanceof DataFormatError, String(e));
        assert.match(e.message, /invalid UTF-8 at line 4 \(row 2\), byte 12/);
        assert.strictEqual(e.location.byteOffset, 12);
        return true;
      });
    }
  });

  it('throws on a multi-byte character cut off at the end of the file', async () => {
    const data = Buffer.concat([Buffer.from('a\nx'), Buffer.from([0xe2, 0x82])]);
    await assert.rejects(readAll(memorySource(data, 1)), /invalid UTF-8 at line 2/);
  });

  it('accepts multi-byte characters split across chunks', async () => {
    const r = await readAll(memorySource('a\n€😀é\n', 1));
    assert.deepStrictEqual(r.rows, [['€😀é']]);
  });

  it('decodes Latin-1 when asked, where the same bytes are invalid UTF-8', async () => {
    const data = Buffer.from('name\ncaf\xe9\n', 'latin1');
    const r = await readAll(memorySource(data), { encoding: 'latin1' });
    assert.deepStrictEqual(r.rows, [['café']]);
    await assert.rejects(readAll(memorySource(data)), /invalid UTF-8/);
  });

  it('reads UTF-16LE text with its byte order mark', async () => {
    const data = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\né,"x,y"\n', 'utf16le')]);
    const r = await readAll(memorySource(data, 3), { encoding: 'utf16le' });
    assert.deepStrictEqual(r.columns, ['a', 'b']);
    assert.deepStrictEqual(r.rows, [['é', 'x,y']]);
  });

  it('rejects a delimiter that is not one ASCII character', async () => {
    await assert.rejects(readAll(memorySource('a\n'), { delimiter: ';;' }), DataFormatError);
    await assert.rejects(readAll(memorySource('a\n'), { delimiter: '"' }), DataFormatError);
  });

  it('counts the bytes read', async () => {
    const { openTable } = await import('../../../../src/data/readers');
    const reader = await openTable(memorySource('a\n1\n2\n', 2), { format: 'csv' });
    for await (const _ of reader.batches()) void _;
    assert.strictEqual(reader.bytesRead(), 6);
  });
});
