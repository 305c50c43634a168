import * as assert from 'assert';
import { openTable, type MalformedIssue } from '../../../../src/data/readers';
import { DataFormatError, type CellValue } from '../../../../src/data/types';
import { memorySource, readAll } from './helpers';

describe('JSON Lines reader', () => {
  it('takes the columns from the first object, adds keys first seen in the first batch, and gives JSON values', async () => {
    const data = '{"a":1,"b":"x"}\n{"b":"y","a":2.5,"c":true}\n{"a":null,"b":"z","c":false}\n';
    const r = await readAll(memorySource(data, 7), { format: 'jsonl' });
    assert.deepStrictEqual(r.columns, ['a', 'b', 'c']);
    assert.deepStrictEqual(r.rows, [[1, 'x', undefined], [2.5, 'y', true], [null, 'z', false]]);
  });

  it('gives nested objects and arrays as their JSON text', async () => {
    const r = await readAll(memorySource('{"a":{"x":[1,2]},"b":[true]}\n'), { format: 'jsonl' });
    assert.deepStrictEqual(r.rows, [['{"x":[1,2]}', '[true]']]);
  });

  it('keeps every digit of whole numbers beyond ±(2^53 - 1), as BigInts, and in nested JSON text', async () => {
    const data = [
      '{"id": 1234567890123456789, "n": 9007199254740991, "x": 12345678901234567890.5}',
      '{"id": -1234567890123456788, "n": 9007199254740992, "x": 1e300}',
      '{"id": "1234567890123456789", "nested": {"k": [18446744073709551615, 1]}, "s": "say 12345678901234567 here"}',
      // A line that writes \u0000 gets another marker; its string still starts with NUL.
      '{"id": 1234567890123456790, "s": "\\u0000x"}',
    ].join('\n');
    const r = await readAll(memorySource(data, 13), { format: 'jsonl' });
    assert.deepStrictEqual(r.columns, ['id', 'n', 'x', 'nested', 's']);
    assert.deepStrictEqual(r.rows, [
      [1234567890123456789n, 9007199254740991, 12345678901234567890.5, undefined, undefined],
      [-1234567890123456788n, 9007199254740992n, 1e300, undefined, undefined],
      ['1234567890123456789', undefined, undefined, '{"k":[18446744073709551615,1]}', 'say 12345678901234567 here'],
      [1234567890123456790n, undefined, undefined, undefined, '\u0000x'],
    ]);
  });

  it('reports a line with a long number that is not JSON with the message of the line as written', async () => {
    const issues: MalformedIssue[] = [];
    const r = await readAll(memorySource('{"a": 1}\n{"a": 12345678901234567890,}\n'), { format: 'jsonl', onMalformed: (i) => issues.push(i) });
    assert.deepStrictEqual(r.rows, [[1]]);
    let expected = '';
    try {
      JSON.parse('{"a": 12345678901234567890,}');
    } catch (e) {
      expected = (e as Error).message;
    }
    assert.strictEqual(issues.length, 1);
    assert.ok(issues[0].message.includes(expected), issues[0].message);
  });

  it('skips blank lines, reads CRLF and a last line without a line break, and gives each row its line', async () => {
    const r = await readAll(memorySource('{"a":1}\r\n\r\n  \n{"a":2}'), { format: 'jsonl' });
    assert.deepStrictEqual(r.rows, [[1], [2]]);
    assert.deepStrictEqual(r.lines, [1, 4]);
  });

  it('uses the columns given, in their order, and reports an unknown key once', async () => {
    const data = '{"b":1,"a":2,"z":0}\n{"a":3,"z":1}\n';
    const r = await readAll(memorySource(data), { format: 'jsonl', columns: ['a', 'b'], collect: true });
    assert.deepStrictEqual(r.columns, ['a', 'b']);
    assert.deepStrictEqual(r.rows, [[2, 1], [3, undefined]]);
    assert.deepStrictEqual(r.issues.map((i) => [i.kind, i.key, i.line]), [['unexpectedKey', 'z', 1]]);
  });

  it('reads declared keys that first come after the first batch, and says which keys no row had', async () => {
    const data = '{"a":1}\n{"a":2}\n{"a":3,"late":"x","other":0}\n';
    const issues: MalformedIssue[] = [];
    const reader = await openTable(memorySource(data), { format: 'jsonl', batchSize: 2, declaredColumns: ['late', 'a', 'never'], onMalformed: (i) => issues.push(i) });
    const rows: CellValue[][] = [];
    for await (const b of reader.batches()) for (let r = 0; r < b.rowCount; r++) rows.push(b.columns.map((col) => col[r]));
    // The first batch's keys, then the declared names it did not have.
    assert.deepStrictEqual(reader.columns, ['a', 'late', 'never']);
    assert.deepStrictEqual(rows, [[1, undefined, undefined], [2, undefined, undefined], [3, 'x', undefined]]);
    assert.deepStrictEqual(reader.absentColumns!(), ['never']);
    assert.deepStrictEqual(issues.map((i) => [i.kind, i.key, i.line]), [['unexpectedKey', 'other', 3]]);
  });

  it('cuts a wide table into batches of fewer rows once its columns are known', async () => {
    const keys = Array.from({ length: 2000 }, (_, k) => `k${k}`);
    const lines = Array.from({ length: 600 }, (_, r) => JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, (r + i) % 10]))));
    const r = await readAll(memorySource(lines.join('\n') + '\n', 1 << 16), { format: 'jsonl', batchSize: 300 });
    // The first batch, read to learn the columns, as asked; then 524288 cells / 2000 columns.
    assert.deepStrictEqual(r.firstRows, [1, 301, 563]);
    assert.strictEqual(r.rows.length, 600);
  });

  it('throws on a line that is not JSON, naming the line, when no onMalformed is given', async () => {
    await assert.rejects(readAll(memorySource('{"a":1}\n{"a":\n'), { format: 'jsonl' }), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /line 2 is not valid JSON/);
      assert.strictEqual(e.location.line, 2);
      return true;
    });
  });

  it('reports lines that are not JSON objects and skips them, so rows and lines differ', async () => {
    const data = '{"a":1}\n[1,2]\nnot json\n42\n{"a":2}\n';
    const r = await readAll(memorySource(data), { format: 'jsonl', collect: true });
    assert.deepStrictEqual(r.rows, [[1], [2]]);
    assert.deepStrictEqual(r.lines, [1, 5]);
    assert.deepStrictEqual(r.issues.map((i) => [i.kind, i.line]), [['json', 2], ['json', 3], ['json', 4]]);
  });

  it('throws on invalid UTF-8 with its line', async () => {
    const data = Buffer.concat([Buffer.from('{"a":"x"}\n{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    await assert.rejects(readAll(memorySource(data, 3), { format: 'jsonl' }), /invalid UTF-8 at line 2, byte 16/);
  });

  it('cuts rows into batches and numbers their first rows', async () => {
    const data = Array.from({ length: 7 }, (_, i) => `{"i":${i}}\n`).join('');
    const r = await readAll(memorySource(data, 5), { format: 'jsonl', batchSize: 3 });
    assert.deepStrictEqual(r.firstRows, [1, 4, 7]);
    assert.deepStrictEqual(r.rows.map((x) => x[0]), [0, 1, 2, 3, 4, 5, 6]);
  });
});
