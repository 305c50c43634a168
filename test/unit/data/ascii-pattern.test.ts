import * as assert from 'assert';
import { compileAsciiPattern, type AsciiMatcher } from '../../../src/data/ascii-pattern';
import { NumberCells } from '../../../src/data/number-cells';
import type { RawCells } from '../../../src/data/types';

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** The matcher's verdict on text, as the checker asks it: the value's bytes inside a larger buffer. */
function matches(pattern: string, text: string): boolean {
  const matcher = compileAsciiPattern(pattern);
  assert.ok(matcher, `'${pattern}' compiles`);
  const buf = ascii(`<<${text}>>`);
  return matcher.test(buf, 2, 2 + text.length);
}

/**
 * The verdicts of the WebAssembly twin of the matcher's automaton (NumberCells.matchCells) on the cells of a batch
 * that holds the given values (as bytes), each between other bytes; null: a missing cell. Undefined: the kernel
 * does not take an automaton this large (over 128 KiB of tables), which the test makes sure of.
 */
function kernelVerdicts(matcher: AsciiMatcher, values: Array<Buffer | null>): number[] | undefined {
  const stride = values.length + 3;
  const starts = new Int32Array(stride).fill(-1);
  const ends = new Int32Array(stride);
  const pieces: Buffer[] = [];
  let at = 0;
  values.forEach((value, r) => {
    if (value === null) return;
    pieces.push(ascii('#'), value, ascii('#'));
    starts[r] = at + 1;
    ends[r] = at + 1 + value.length;
    at += value.length + 2;
  });
  const raw: RawCells = { buffer: Buffer.concat(pieces), stride, starts, ends, flags: new Uint8Array(stride), latin1: false, text: () => undefined };
  const kernel = NumberCells.forThread()!;
  assert.ok(kernel.load(raw, 0, values.length), 'the kernel runs here');
  const verdicts = kernel.matchCells(matcher.dfa);
  if (verdicts === undefined) assert.ok(matcher.dfa.table.byteLength + (matcher.dfa.steps?.next.byteLength ?? 0) > 128 * 1024, 'the kernel takes automata up to 128 KiB');
  return verdicts && [...verdicts];
}

/** The matcher, and its WebAssembly twin, give the RegExp's verdict on each text. */
function sameAsRegExp(pattern: string, texts: string[]): void {
  const matcher = compileAsciiPattern(pattern);
  assert.ok(matcher, `'${pattern}' compiles`);
  const re = new RegExp(`^(?:${pattern})$`);
  for (const text of texts) {
    const buf = ascii(`##${text}##`);
    assert.strictEqual(matcher.test(buf, 2, 2 + text.length), re.test(text), `/${pattern}/ on ${JSON.stringify(text)}`);
  }
  const verdicts = kernelVerdicts(matcher, texts.map(ascii));
  if (verdicts) texts.forEach((text, r) => assert.strictEqual(verdicts[r], re.test(text) ? 1 : 0, `kernel: /${pattern}/ on ${JSON.stringify(text)}`));
}

/** xorshift32, so the random cases are the same on every run. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe('compileAsciiPattern', () => {
  it('matches whole values as the schema pattern does: an e-mail pattern', () => {
    const email = '[a-z0-9._-]+@[a-z0-9-]+(\\.[a-z0-9-]+)+';
    assert.strictEqual(matches(email, 'dana.40942@contoso.com'), true);
    assert.strictEqual(matches(email, 'gus@corp.example.org'), true);
    assert.strictEqual(matches(email, 'no-at-sign.example'), false);
    assert.strictEqual(matches(email, 'x@localhost'), false);
    assert.strictEqual(matches(email, 'Upper@example.com'), false);
    assert.strictEqual(matches(email, 'a@b.c trailing'), false);
    assert.strictEqual(matches(email, ''), false);
  });

  it('agrees with RegExp on classes, escapes, groups, alternation and every kind of quantifier', () => {
    const texts = ['', 'a', 'ab', 'abc', 'aab', 'abab', 'A1', '12', '123', '1234', 'a.b', 'a-b', 'a b', 'a\tb', 'a\nb', 'a\rb', '_x9', '{1}', 'x{2}', '\\', '[]', 'ba', 'zzzz', 'a/b', '$5', '^a'];
    for (const pattern of [
      'a', 'ab|ba', 'a*', 'a+b?', '(ab)*', '(?:ab)+', 'a{2}b', 'a{1,}b', '\\d{1,3}', '\\d{2,}', '[a-c]+', '[^a-c]*', '[\\d.]+', '[a\\-b]+',
      '[-a]+', '[a-]+', '.*', '.+', 'a.b', '\\w+', '\\W', '\\s', '\\S+', 'a\\sb', 'a\\tb', 'a\\nb', '\\x41\\d', '\\.', 'a\\.b', 'x\\{2\\}',
      '\\{1\\}', '\\\\', '\\[\\]', '[\\b]', 'a\\/b', '\\$\\d', '\\^a', '(a|b)(a|b)', '((a|)b)*', 'a*?b', 'a+?', 'a??', '(a{0})b', '[^]*', '[]',
      '[é-ü]', 'é', '[\\s\\S]+', '(?:a|b|c){2,3}',
    ]) {
      sameAsRegExp(pattern, texts);
    }
  });

  it('agrees with RegExp on random patterns and strings', () => {
    const pick = random(20261129);
    const atoms = ['a', 'b', 'c', '.', '\\d', '\\w', '\\s', '\\.', '[a-c]', '[^b]', '[ab1]', 'x'];
    const make = (depth: number): string => {
      const roll = pick(depth > 2 ? 2 : 6);
      let s: string;
      if (roll === 2) s = `(${make(depth + 1)}|${make(depth + 1)})`;
      else if (roll === 3) s = `(?:${make(depth + 1)}${make(depth + 1)})`;
      else if (roll === 4) s = make(depth + 1) + make(depth + 1);
      else s = atoms[pick(atoms.length)];
      const q = pick(10);
      // A quantified sequence needs a group to be one operand.
      if (q <= 5 && roll === 4) s = `(?:${s})`;
      if (q === 0) s += '*';
      else if (q === 1) s += '+';
      else if (q === 2) s += '?';
      else if (q === 3) s += `{${pick(3)}}`;
      else if (q === 4) s += `{${pick(2)},}`;
      else if (q === 5) s += `{${pick(2)},${2 + pick(2)}}`;
      return s;
    };
    const alphabet = 'abcx1 ._\n';
    for (let p = 0; p < 300; p++) {
      const pattern = make(0);
      const texts: string[] = [];
      for (let t = 0; t < 150; t++) {
        let text = '';
        const length = pick(8);
        for (let k = 0; k < length; k++) text += alphabet[pick(alphabet.length)];
        texts.push(text);
      }
      sameAsRegExp(pattern, texts);
    }
  });

  it('agrees with RegExp whether it steps three bytes, two or one at a time, and refuses bytes beyond ASCII anywhere', () => {
    const pick = random(11302026);
    const cases: Array<[string, number | undefined, string]> = [
      // [pattern, the bytes per step its table allows (none: one at a time), the characters of its texts]
      ['[a-z0-9._-]+@[a-z0-9-]+(\\.[a-z0-9-]+)+', 3, 'ab9.-_@x'],
      ['a[b-c]d[e-f]g[h-i]j[k-l]m[n-o]p[q-r]s[t-u]v[w-x]y[z]', 2, 'abcdefghijklmnopqrstuvwxyz'],
      ['(a|b)*a(a|b){8}', 2, 'ab'],
      ['(a|b)*a(a|b){10}', undefined, 'ab'],
    ];
    for (const [pattern, stride, alphabet] of cases) {
      const matcher = compileAsciiPattern(pattern) as unknown as { steps?: { stride: number } };
      assert.strictEqual(matcher.steps?.stride, stride, pattern);
      const texts: string[] = ['', 'a'];
      for (let t = 0; t < 400; t++) {
        let text = '';
        const length = pick(30);
        for (let k = 0; k < length; k++) text += alphabet[pick(alphabet.length)];
        texts.push(text);
      }
      // Values the pattern takes, cut short at every length.
      const whole = pattern.startsWith('[a-z0') ? 'anna.80175@mail.example' : pattern.startsWith('a[') ? 'abdegijkmnpqsuvwyz' : 'bbabbbbbbbb';
      for (let k = 0; k <= whole.length; k++) texts.push(whole.slice(0, k));
      sameAsRegExp(pattern, texts);
      // A byte beyond ASCII at each position of a value the automaton is still alive on is refused, as before; the
      // kernel says so (2), as it does of a missing cell.
      const beyond: Array<Buffer | null> = [null];
      for (let at = 0; at < whole.length; at++) {
        const buf = Buffer.concat([ascii(whole.slice(0, at)), Buffer.from([0xc3]), ascii(whole.slice(at + 1))]);
        assert.throws(() => (matcher as unknown as { test(b: Uint8Array, s: number, e: number): boolean }).test(buf, 0, buf.length), /beyond ASCII/, `${pattern} at ${at}`);
        beyond.push(buf);
      }
      const verdicts = kernelVerdicts(matcher as unknown as AsciiMatcher, beyond);
      // The automata of the first two are small enough for the kernel; the others' may be too large.
      if (verdicts !== undefined || !pattern.startsWith('(')) assert.deepStrictEqual(verdicts, beyond.map(() => 2), pattern);
    }
  });

  it('leaves to the RegExp what it does not cover', () => {
    for (const pattern of ['^a', 'a$', '\\bword', 'a\\B', '(?=a)a', '(?!b)a', '(?<=a)b', '(?<n>a)', '(a)\\1', '\\u0041', '\\cJ', '\\0', 'a{300}', 'a{2', 'a}', ']', '\\p{L}', '[\\w-z]', '(a']) {
      assert.strictEqual(compileAsciiPattern(pattern), undefined, pattern);
    }
  });

  it('gives up on patterns whose automaton would be too large, rather than building it', () => {
    // (a|b)*a(a|b){n}: the DFA needs 2^(n+1) states.
    assert.strictEqual(compileAsciiPattern('(a|b)*a(a|b){12}'), undefined);
    assert.ok(compileAsciiPattern('(a|b)*a(a|b){4}'));
  });
});
