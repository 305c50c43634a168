import * as assert from 'assert';
import * as sinon from 'sinon';
import { parseBooleanBytes, parseIntegerBytes, parseNumberBytes } from '../../../src/data/checks';
import { parseIsoDateTimeBytes } from '../../../src/data/durations';
import { hashAsciiBytes, hashNumber } from '../../../src/data/hll';
import { NULLS_ABSENT, NULLS_ABSENT_OR_EMPTY, NULLS_STOP, NumberCells, PARSE_INTEGER, PARSE_ISO_DATETIME, PARSE_NUMBER, STATE_CHECK_MAX, STATE_CHECK_MIN, STATE_FALSES, STATE_FIRST, STATE_NULLS, STATE_TRUES, TAKE_ANY, TAKE_FINITE, TAKE_WHOLE } from '../../../src/data/number-cells';
import { compileAsciiPattern } from '../../../src/data/ascii-pattern';
import { ColumnAccumulator } from '../../../src/data/profile';
import { RAW_ESCAPED, RAW_QUOTED, type RawCells } from '../../../src/data/types';
import { seededRandom } from '../../support/random';
import { TRICKY_DATES, TRICKY_NUMBERS } from './number-cases';

/** A batch of one or more columns of the given cells (null: missing), each cell padded with digits on both sides. */
function batchOf(columns: Array<Array<string | null>>, flagsOf: (c: number, r: number) => number = () => 0): RawCells {
  const rows = columns[0].length;
  const stride = rows + 3; // room left over, as batches have
  const starts = new Int32Array(stride * columns.length);
  const ends = new Int32Array(stride * columns.length);
  const flags = new Uint8Array(stride * columns.length);
  const pieces: Buffer[] = [];
  let at = 0;
  columns.forEach((cells, c) =>
    cells.forEach((cell, r) => {
      const i = c * stride + r;
      flags[i] = flagsOf(c, r);
      if (cell === null) {
        starts[i] = -1;
        return;
      }
      const bytes = Buffer.from(`7${cell}7`, 'utf8');
      pieces.push(bytes);
      starts[i] = at + 1;
      ends[i] = at + bytes.length - 1;
      at += bytes.length;
    }),
  );
  const buffer = Buffer.concat(pieces);
  return { buffer, stride, starts, ends, flags, latin1: false, text: (c, r) => (columns[c][r] ?? undefined) as string | undefined };
}

const JS_PARSERS: Array<[number, string, (buf: Uint8Array, s: number, e: number) => number]> = [
  [PARSE_INTEGER, 'integer', parseIntegerBytes],
  [PARSE_NUMBER, 'number', parseNumberBytes],
  [PARSE_ISO_DATETIME, 'datetime', parseIsoDateTimeBytes],
];

/**
 * Runs the kernel over column c of raw as the checker does, from each row it stops before to the next, and checks
 * that every row it takes has the JavaScript parser's value and its hashNumber, and that its running values are
 * those of the checker and of ColumnAccumulator.addNumber over the rows it took, in order. Returns the rows taken.
 */
function sameAsJavaScript(raw: RawCells, c: number, mode: number, label: string, ruleMin = -Infinity, ruleMax = Infinity): number[] {
  const [, name, js] = JS_PARSERS[mode];
  const rows = raw.stride - 3;
  const kernel = NumberCells.forThread()!;
  assert.ok(kernel.load(raw, c, rows), 'the kernel runs here');
  kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
  const taken: number[] = [];
  const profile = new ColumnAccumulator('x', 'numeric');
  let [min, max] = [NaN, NaN];
  for (let from = 0; from < rows; ) {
    const stop = kernel.accumulate(from, mode, ruleMin, ruleMax);
    for (let r = from; r < stop; r++) {
      const i = c * raw.stride + r;
      assert.ok(raw.starts[i] >= 0 && (raw.flags[i] & RAW_ESCAPED) === 0, `${label}: row ${r} is missing or escaped, yet taken`);
      const want = js(raw.buffer, raw.starts[i], raw.ends[i]);
      const x = kernel.values[r];
      assert.ok(Object.is(x, want), `${label}: ${name} ${JSON.stringify(raw.text(c, r))} gave ${x}, not ${want}`);
      assert.ok(x >= ruleMin && x <= ruleMax, `${label}: ${x} is outside [${ruleMin}, ${ruleMax}], yet taken`);
      assert.strictEqual(kernel.hashes[r], hashNumber(x), `${label}: the hash of ${x}`);
      taken.push(r);
      if (!(x >= min)) min = x;
      if (!(x <= max)) max = x;
      profile.addNumber(x);
    }
    from = stop + 1;
  }
  const moments = new Float64Array(5);
  profile.getMoments(moments, 0);
  assert.deepStrictEqual([...kernel.state], [min, max, ...moments, 0], `${label}: the running values`);
  return taken;
}

function randomNumber(rand: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
  const sign = ['', '', '-', '+'][Math.floor(rand() * 4)];
  const whole = digits(Math.floor(rand() * 18));
  const fraction = rand() < 0.5 ? `.${digits(Math.floor(rand() * 12))}` : '';
  const exponent = rand() < 0.15 ? `${rand() < 0.5 ? 'e' : 'E'}${['', '-', '+'][Math.floor(rand() * 3)]}${digits(1 + Math.floor(rand() * 3))}` : '';
  const noise = rand() < 0.03 ? ['x', ' ', '.', 'é', '--'][Math.floor(rand() * 5)] : '';
  return sign + whole + fraction + exponent + noise;
}

function randomInstant(rand: () => number): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  // Days 29 to 31 of every month, so dates that do not exist come up too.
  const date = `${pad(Math.floor(rand() * 10000), 4)}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(rand() < 0.2 ? 29 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * 28), 2)}`;
  if (rand() < 0.2) return date;
  const seconds = rand() < 0.8 ? `:${pad(Math.floor(rand() * 61), 2)}` : '';
  const fraction = seconds && rand() < 0.4 ? `${rand() < 0.9 ? '.' : ','}${String(Math.floor(rand() * 1e9)).slice(0, 1 + Math.floor(rand() * 9))}` : '';
  const zone = ['', 'Z', 'z', '+01:00', '-0530', '+05', '+24:00', 'ZZ'][Math.floor(rand() * 8)];
  return `${date}${['T', ' ', 't'][Math.floor(rand() * 3)]}${pad(Math.floor(rand() * 25), 2)}:${pad(Math.floor(rand() * 60), 2)}${seconds}${fraction}${zone}`;
}

describe('NumberCells (WebAssembly number kernel)', () => {
  it('takes the JavaScript parsers\' value of every cell it takes, with its hash and the running values, on edge cases', () => {
    const cells = [...TRICKY_NUMBERS, ...TRICKY_DATES];
    const raw = batchOf([cells]);
    for (const [mode, name] of JS_PARSERS) sameAsJavaScript(raw, 0, mode, `edge cases as ${name}`);
  });

  it('takes the JavaScript parsers\' value of every cell it takes, and takes the plain ones, on random cells', () => {
    const rand = seededRandom(20261129);
    const numbers = Array.from({ length: 20_000 }, () => randomNumber(rand));
    const instants = Array.from({ length: 20_000 }, () => randomInstant(rand));
    const raw = batchOf([numbers, instants]);
    for (const [mode, name] of JS_PARSERS) {
      sameAsJavaScript(raw, 0, mode, `random numbers as ${name}`);
      sameAsJavaScript(raw, 1, mode, `random instants as ${name}`);
    }
    // The forms it is there for are all taken: integers of up to 15 digits, decimals of up to 15 significant
    // digits, and instants with or without seconds, fractions and zones.
    const plain = batchOf([
      Array.from({ length: 5000 }, () => String(Math.floor(rand() * 1e15) * (rand() < 0.5 ? -1 : 1))),
      Array.from({ length: 5000 }, () => (rand() * 2e6 - 1e6).toFixed(Math.floor(rand() * 7))),
      Array.from({ length: 5000 }, () => new Date(Math.floor(rand() * 4e12)).toISOString()),
    ]);
    assert.strictEqual(sameAsJavaScript(plain, 0, PARSE_INTEGER, 'plain integers').length, 5000);
    assert.strictEqual(sameAsJavaScript(plain, 1, PARSE_NUMBER, 'plain decimals').length, 5000);
    assert.strictEqual(sameAsJavaScript(plain, 2, PARSE_ISO_DATETIME, 'plain instants').length, 5000);
  });

  it('stops before each value outside the rule\'s minimum and maximum', () => {
    const raw = batchOf([['5', '-1', '7', '100', '3', '10']]);
    assert.deepStrictEqual(sameAsJavaScript(raw, 0, PARSE_INTEGER, 'rules', 0, 10), [0, 2, 4, 5]);
  });

  it('leaves missing, empty and escaped cells to the JavaScript parsers, and reads quoted ones', () => {
    const raw = batchOf([[null, '', '12', '34', '5.5']], (_c, r) => (r === 2 ? RAW_QUOTED | RAW_ESCAPED : r === 3 ? RAW_QUOTED : 0));
    assert.deepStrictEqual(sameAsJavaScript(raw, 0, PARSE_NUMBER, 'missing, empty, escaped, quoted'), [3, 4]);
  });

  it('copies a batch in once for all its columns, and the next batch again', () => {
    const kernel = NumberCells.forThread()!;
    const column = (raw: RawCells, c: number) => {
      assert.ok(kernel.load(raw, c, 2));
      kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
      assert.strictEqual(kernel.accumulate(0, PARSE_INTEGER, -Infinity, Infinity), 2);
      return [...kernel.values];
    };
    const first = batchOf([['1', '2'], ['3', '4']]);
    assert.deepStrictEqual(column(first, 0), [1, 2]);
    assert.deepStrictEqual(column(first, 1), [3, 4]);
    // The same layout with other bytes: a new batch object, read anew.
    const second = batchOf([['5', '6'], ['7', '8']]);
    assert.deepStrictEqual(column(second, 1), [7, 8]);
  });

  it('hashes the bytes of each cell as hashAsciiBytes does, up to the last byte of the batch', () => {
    // Every cell of a 35-byte text (every length around the four-byte words, at every offset, ending at the batch's
    // last byte too), bytes past 127 among them, then a missing cell.
    const buffer = Buffer.from('the quick brown fox: 0123456789\u00e9\u00ff', 'utf8');
    const cells: Array<[number, number]> = [];
    for (let s = 0; s <= buffer.length; s++) for (let e = s; e <= buffer.length; e++) cells.push([s, e]);
    const stride = cells.length + 1;
    const starts = new Int32Array(stride).fill(-1);
    const ends = new Int32Array(stride);
    cells.forEach(([s, e], r) => {
      starts[r] = s;
      ends[r] = e;
    });
    const raw: RawCells = { buffer, stride, starts, ends, flags: new Uint8Array(stride), latin1: false, text: () => undefined };
    const kernel = NumberCells.forThread()!;
    assert.ok(kernel.load(raw, 0, stride), 'the kernel runs here');
    const hashes = [...kernel.hashTexts()];
    assert.deepStrictEqual(
      hashes,
      [...cells.map(([s, e]) => hashAsciiBytes(buffer, s, e)), 0],
    );
    // The last cell of the batch, the one the word past its end is masked for.
    assert.strictEqual(hashes[cells.length - 2], hashAsciiBytes(buffer, buffer.length - 1, buffer.length));
  });

  it('finds the ids of cells among the values of a dictionary by their hashes and bytes, and only those', () => {
    // Values around the eight-byte words the bytes are compared in, and values that differ from one of them in one
    // byte only, at each position.
    const values = ['a', 'US', 'desktop', 'consumer', 'enterprise', 'partner-of-record', 'x'.repeat(40)];
    const keys = Buffer.from(values.join(''), 'latin1');
    const slots = new Int32Array(16).fill(-1);
    const hashes = new Int32Array(values.length);
    const offsets = new Int32Array(values.length);
    const lengths = new Int32Array(values.length);
    let used = 0;
    values.forEach((value, id) => {
      const h = hashAsciiBytes(keys, used, used + value.length);
      hashes[id] = h | 0;
      offsets[id] = used;
      lengths[id] = value.length;
      used += value.length;
      let slot = h & 15;
      while (slots[slot] >= 0) slot = (slot + 1) & 15;
      slots[slot] = id;
    });
    const cells: Array<[string | null, number]> = values.map((value, id) => [value, id]);
    for (const value of values) {
      for (let k = 0; k < value.length; k++) cells.push([value.slice(0, k) + String.fromCharCode(value.charCodeAt(k) ^ 1) + value.slice(k + 1), -1]);
      cells.push([value.slice(1), values.indexOf(value.slice(1))], [`${value}x`, -1]);
    }
    cells.push([null, -1], ['', -1]);
    // A value among them with "" inside is not looked up (its text differs from its bytes).
    const escaped = cells.length;
    cells.push(['desktop', -1]);
    const raw = batchOf([cells.map(([cell]) => cell)], (_, r) => (r === escaped ? RAW_QUOTED | RAW_ESCAPED : 0));
    const kernel = NumberCells.forThread()!;
    assert.ok(kernel.load(raw, 0, cells.length), 'the kernel runs here');
    const ids = kernel.findIds({ size: values.length, slots, hashes, offsets, lengths, bytes: keys, used });
    assert.deepStrictEqual(
      [...ids!],
      cells.map(([, id]) => id),
    );
    // Values whose hashes are those of the cells, and whose bytes differ from them in one byte: the bytes decide.
    const twins: string[] = [];
    for (const value of values) for (let k = 0; k < value.length; k++) twins.push(value.slice(0, k) + String.fromCharCode(value.charCodeAt(k) ^ 1) + value.slice(k + 1));
    const twinKeys = Buffer.from(twins.join(''), 'latin1');
    const twinSlots = new Int32Array(256).fill(-1);
    const twinHashes = new Int32Array(twins.length);
    const twinOffsets = new Int32Array(twins.length);
    const twinLengths = new Int32Array(twins.length);
    let at = 0;
    let id = 0;
    for (const value of values) {
      const h = hashAsciiBytes(Buffer.from(value, 'latin1'), 0, value.length);
      for (let k = 0; k < value.length; k++, id++) {
        twinHashes[id] = h | 0;
        twinOffsets[id] = at;
        twinLengths[id] = value.length;
        at += value.length;
        let slot = h & 255;
        while (twinSlots[slot] >= 0) slot = (slot + 1) & 255;
        twinSlots[slot] = id;
      }
    }
    const plain = batchOf([values]);
    assert.ok(kernel.load(plain, 0, values.length));
    assert.deepStrictEqual([...kernel.findIds({ size: twins.length, slots: twinSlots, hashes: twinHashes, offsets: twinOffsets, lengths: twinLengths, bytes: twinKeys, used: at })!], values.map(() => -1));
    // A dictionary too large to copy in: nothing is looked up.
    assert.strictEqual(kernel.findIds({ size: 0, slots: new Int32Array(8192).fill(-1), hashes, offsets, lengths, bytes: keys, used: 0 }), undefined);
  });

  it('reads the values of a typed text column from the span of their buffer they lie in', () => {
    // A buffer that other rows' values share: only [lo, hi) is copied in, and the offsets stay the buffer's.
    const bytes = Buffer.from('other rows|abc|defgh-ij|rest', 'latin1');
    const values = ['abc', 'defgh-ij', 'abc'];
    const starts = Int32Array.from([11, 15, 11, 0]);
    const ends = Int32Array.from([14, 23, 14, 0]);
    const kernel = NumberCells.forThread()!;
    assert.ok(kernel.loadValues(bytes, starts, ends, 3, 11, 23));
    assert.deepStrictEqual([...kernel.hashTexts()], values.map((v) => hashAsciiBytes(Buffer.from(v, 'latin1'), 0, v.length)));
    assert.deepStrictEqual([...kernel.matchCells(compileAsciiPattern('[a-h]+')!.dfa)!], [1, 0, 1]);
    const key = Buffer.from('defgh-ij', 'latin1');
    const h = hashAsciiBytes(key, 0, key.length);
    const slots = new Int32Array(4).fill(-1);
    slots[h & 3] = 0;
    const dictionary = { size: 1, slots, hashes: Int32Array.of(h | 0), offsets: Int32Array.of(0), lengths: Int32Array.of(key.length), bytes: key, used: key.length };
    assert.deepStrictEqual([...kernel.findIds(dictionary)!], [-1, 0, -1]);
  });

  it('takes a typed column\'s numbers as they are: whole ones, finite ones or any but NaN, nulls left to the caller', () => {
    const values = Float64Array.from([3, 2.5, -0, 2 ** 53, 2 ** 53 - 1, Infinity, -Infinity, NaN, 7]);
    // Row 8 is null.
    const validity = Uint8Array.from([0xff, 0x00]);
    const kernel = NumberCells.forThread()!;
    const taken = (mode: number) => {
      assert.ok(kernel.loadNumbers(values, validity, 0, values.length));
      kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
      const rows: number[] = [];
      for (let r = 0; r < values.length; r++) {
        const stop = kernel.accumulate(r, mode, -Infinity, Infinity);
        for (; r < stop; r++) rows.push(r);
      }
      return rows;
    };
    assert.deepStrictEqual(taken(TAKE_WHOLE), [0, 2, 4]);
    assert.deepStrictEqual(taken(TAKE_ANY), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepStrictEqual(taken(TAKE_FINITE), [0, 1, 2, 3, 4]);
    // What it took (the finite ones) is counted as the profile counts it; values and hashes as they were.
    const profile = new ColumnAccumulator('x', 'numeric');
    for (const x of [3, 2.5, -0, 2 ** 53, 2 ** 53 - 1]) profile.addNumber(x);
    const moments = new Float64Array(5);
    profile.getMoments(moments, 0);
    assert.deepStrictEqual([...kernel.state.subarray(2)], [...moments, 0]);
    assert.strictEqual(kernel.hashes[1], hashNumber(2.5));
  });

  it('takes a typed column\'s nulls from its validity bitmap, from any bit of it', () => {
    const kernel = NumberCells.forThread()!;
    const rand = seededRandom(5);
    const values = Float64Array.from({ length: 300 }, (_, r) => r);
    for (const vo of [0, 1, 3, 7, 8, 13]) {
      const validity = new Uint8Array(((vo + values.length + 7) >> 3) + 2);
      const nulls = new Set<number>();
      for (let r = 0; r < values.length; r++) {
        if (rand() < 0.3) nulls.add(r);
        else validity[(vo + r) >> 3] |= 1 << ((vo + r) & 7);
      }
      // Bits outside the batch's rows are set: they must not count.
      for (let b = 0; b < vo; b++) validity[b >> 3] |= 1 << (b & 7);
      assert.ok(kernel.loadNumbers(values, validity, vo, values.length));
      kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
      assert.strictEqual(kernel.accumulate(0, TAKE_WHOLE, -Infinity, Infinity, false, NULLS_ABSENT), values.length);
      assert.strictEqual(kernel.state[STATE_NULLS], nulls.size, `offset ${vo}`);
      for (let r = 0; r < values.length; r++) assert.strictEqual(Number.isNaN(kernel.values[r]), nulls.has(r), `offset ${vo}, row ${r}`);
      // Stopping before the first null instead.
      kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
      assert.strictEqual(kernel.accumulate(0, TAKE_WHOLE, -Infinity, Infinity, false, NULLS_STOP), Math.min(...nulls), `offset ${vo}`);
    }
    // No bitmap: no nulls. A bitmap shorter than the rows: those past its end are nulls.
    assert.ok(kernel.loadNumbers(values, undefined, 0, values.length));
    kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
    assert.strictEqual(kernel.accumulate(0, TAKE_WHOLE, -Infinity, Infinity, false, NULLS_STOP), values.length);
    assert.ok(kernel.loadNumbers(values, new Uint8Array(4).fill(0xff), 0, values.length));
    kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
    assert.strictEqual(kernel.accumulate(0, TAKE_WHOLE, -Infinity, Infinity, false, NULLS_ABSENT), values.length);
    assert.strictEqual(kernel.state[STATE_NULLS], values.length - 32);
  });

  it('takes missing cells as nulls when told to: absent ones, or empty ones too, never escaped ones', () => {
    // Rows: 1, absent, empty, 2, escaped, absent, 3.
    const raw = batchOf([['1', null, '', '2', '"4"', null, '3']], (_, r) => (r === 4 ? RAW_QUOTED | RAW_ESCAPED : 0));
    const kernel = NumberCells.forThread()!;
    const run = (from: number, nullsAs: number) => {
      assert.ok(kernel.load(raw, 0, 7));
      kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
      const stop = kernel.accumulate(from, PARSE_INTEGER, -Infinity, Infinity, true, nullsAs);
      return { stop, nulls: kernel.state[STATE_NULLS], values: [...kernel.values.subarray(from, stop)], state: [...kernel.state] };
    };
    assert.deepStrictEqual([run(0, NULLS_STOP).stop, run(0, NULLS_STOP).nulls], [1, 0]);
    assert.deepStrictEqual(run(0, NULLS_ABSENT), { ...run(0, NULLS_ABSENT), stop: 2, nulls: 1, values: [1, NaN] });
    const both = run(0, NULLS_ABSENT_OR_EMPTY);
    assert.deepStrictEqual([both.stop, both.nulls, both.values], [4, 2, [1, NaN, NaN, 2]]);
    // The running values are those of the values alone, and the hashes theirs.
    const profile = new ColumnAccumulator('x', 'numeric');
    profile.addNumber(1);
    profile.addNumber(2);
    const moments = new Float64Array(5);
    profile.getMoments(moments, 0);
    assert.deepStrictEqual(both.state, [1, 2, ...moments, 2]);
    assert.deepStrictEqual([kernel.hashes[0], kernel.hashes[3]], [hashNumber(1), hashNumber(2)]);
    // Past the escaped cell: the absent one is a null, to the end.
    assert.deepStrictEqual([run(5, NULLS_ABSENT).stop, run(5, NULLS_ABSENT).nulls, run(5, NULLS_ABSENT).values], [7, 1, [NaN, 3]]);
    // A typed column's nulls are absent cells.
    assert.ok(kernel.loadNumbers(Float64Array.from([5, 0, 6]), Uint8Array.from([0b101]), 0, 3));
    kernel.state.set([NaN, NaN, 0, 0, 0, Infinity, -Infinity, 0]);
    assert.strictEqual(kernel.accumulate(0, TAKE_WHOLE, -Infinity, Infinity, true, NULLS_ABSENT), 3);
    assert.deepStrictEqual([kernel.state[STATE_NULLS], kernel.state[STATE_CHECK_MIN], kernel.state[STATE_CHECK_MAX], [...kernel.values]], [1, 5, 6, [5, NaN, 6]]);
  });

  it('reads booleans as parseBooleanBytes does, counting its words and stopping before anything else', () => {
    const words = ['true', 'false', 'TRUE', 'False', 'tRuE', 'fALSE', 'yes', 'YES', 'no', 'No', '1', '0'];
    const others = ['', 'tru', 'truee', 'fals', 'falsee', 'falsf', 'yess', 'ye', 'n', 'n0', 'on', '2', '\u0011', '\u0010', 'T', ' true', 'true ', 'ya', 'nO!', 'trUe\u00e9'];
    const rand = seededRandom(11);
    const cells: Array<string | null> = [];
    for (let i = 0; i < 3000; i++) cells.push(rand() < 0.9 ? words[Math.floor(rand() * words.length)] : rand() < 0.8 ? others[Math.floor(rand() * others.length)] : null);
    const escapedRow = cells.indexOf('true', 100);
    const raw = batchOf([cells], (_, r) => (r === escapedRow ? RAW_QUOTED | RAW_ESCAPED : 0));
    const kernel = NumberCells.forThread()!;
    assert.ok(kernel.load(raw, 0, cells.length));
    let runs = 0;
    for (let from = 0; from < cells.length; ) {
      const stop = kernel.readBooleans(from);
      const read = cells.slice(from, stop).map((cell) => {
        const bytes = Buffer.from(cell!, 'utf8');
        return parseBooleanBytes(bytes, 0, bytes.length);
      });
      assert.ok(!read.includes(undefined), `rows ${from} to ${stop} hold a cell that is no boolean`);
      assert.ok(!(escapedRow >= from && escapedRow < stop), 'an escaped cell is left to the caller');
      const want = [read.filter((v) => v === false).length, read.filter((v) => v === true).length, read.length > 0 ? Number(read[0]) : -1];
      assert.deepStrictEqual([kernel.state[STATE_FALSES], kernel.state[STATE_TRUES], kernel.state[STATE_FIRST]], want, `rows ${from} to ${stop}`);
      if (stop < cells.length) {
        const cell = cells[stop];
        const bytes = cell === null ? undefined : Buffer.from(cell, 'utf8');
        assert.ok(stop === escapedRow || bytes === undefined || parseBooleanBytes(bytes, 0, bytes.length) === undefined, `row ${stop} (${JSON.stringify(cell)}) is a boolean, yet left`);
      }
      if (stop > from) runs++;
      from = stop + 1;
    }
    assert.ok(runs > 50);
  });

  for (const seventh of ['caf\u00e9-7', 'cafe-7']) {
    it(`profiles a column of mostly distinct values against its full categories as addAsciiBytes does (${seventh} among them)`, () => {
      // Categories filled by text (the seventh not ASCII in one run), then batches of ASCII cells (as the callers give): categories,
      // values near them (the same length, one byte off; an ASCII twin of the other one), others, and missing, empty
      // and escaped cells, which are left to the caller.
      const byText = new ColumnAccumulator('c', 'categorical', { categoryCap: 300 });
      const byKernel = new ColumnAccumulator('c', 'categorical', { categoryCap: 300 });
      const categories = Array.from({ length: 300 }, (_, i) => (i === 7 ? seventh : `category-number-${i}`));
      for (const value of [...categories, 'first-other']) {
        byText.addText(value);
        byKernel.addText(value);
      }
      const kernel = NumberCells.forThread()!;
      let taken = 0;
      let profiled = 0;
      for (let batch = 0; batch < 4; batch++) {
        const cells: Array<string | null> = [];
        for (let i = 0; i < 500; i++) {
          const k = (i * 7 + batch) % 300;
          const category = categories[k].replace('\u00e9', 'e');
          cells.push(i % 5 === 0 ? category : i % 5 === 1 ? category.slice(0, -1) + 'x' : i % 5 === 2 ? `v-${batch}-${i}` : i % 5 === 3 ? `${category}!` : i % 50 === 4 ? null : i % 50 === 9 ? '' : `w${i}`);
        }
        const raw = batchOf([cells], (_, r) => (r === 14 ? RAW_QUOTED | RAW_ESCAPED : 0));
        assert.ok(kernel.load(raw, 0, cells.length));
        const out = byKernel.addLoadedCells(kernel);
        // The first batch may have to make room for the tables in the kernel's memory; the next ones are profiled there.
        if (batch > 0) assert.ok(out, `batch ${batch} is profiled by the kernel`);
        if (out !== undefined) profiled++;
        cells.forEach((cell, r) => {
          if (cell === null || cell === '') return;
          const bytes = Buffer.from(cell, 'latin1');
          if (out === undefined || out[r] === -2) assert.ok(byKernel.addAsciiBytes(bytes, 0, bytes.length, hashAsciiBytes(bytes, 0, bytes.length)));
          else taken++;
          assert.ok(byText.addAsciiBytes(bytes, 0, bytes.length, hashAsciiBytes(bytes, 0, bytes.length)));
        });
        if (out !== undefined) {
          assert.strictEqual(out[14], -2, 'the escaped cell');
          assert.ok(cells.every((cell, r) => (cell === null || cell === '' ? out[r] === -2 : true)), 'missing and empty cells');
        }
      }
      assert.strictEqual(taken, profiled * (500 - 1 - 20));
      assert.deepStrictEqual(byKernel.toProfile(), byText.toProfile());
    });
  }

  it('takes nothing from a batch of over 16 MiB, which the caller reads itself', () => {
    const raw = batchOf([['1', '2']]);
    const kernel = NumberCells.forThread()!;
    assert.strictEqual(kernel.load({ ...raw, buffer: Buffer.concat([raw.buffer, Buffer.alloc(16 * 1024 * 1024)]) }, 0, 2), false);
    assert.strictEqual(kernel.load(raw, 0, 2), true);
  });

  it('takes nothing when its memory cannot grow, and the caller reads every cell itself', () => {
    const kernel = NumberCells.forThread()!;
    const grow = sinon.stub((globalThis as unknown as { WebAssembly: { Memory: { prototype: { grow(): number } } } }).WebAssembly.Memory.prototype, 'grow');
    grow.throws(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'));
    try {
      const huge = batchOf([Array.from({ length: 300_000 }, (_, i) => String(i))]);
      assert.strictEqual(kernel.load(huge, 0, 300_000), false);
    } finally {
      grow.restore();
    }
  });
});
