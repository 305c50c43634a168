/**
 * A column's `pattern` compiled to a DFA over ASCII bytes, so values known to be ASCII are matched where they lie
 * in the batch, without being decoded to strings: the same verdict as `new RegExp(`^(?:${pattern})$`).test(text)`.
 *
 * Covered: literals, `.`, classes (`[a-z_]`, `[^...]`), `\d \D \w \W \s \S`, `\t \n \r \f \v`, `\xHH`, escaped
 * punctuation, groups (`(...)`, `(?:...)`), `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (greedy or lazy: a whole
 * value either matches or not). Anything else (anchors, `\b`, lookarounds, backreferences, named groups, `\u`,
 * `\c`, Annex B oddities such as a lone `{`), or a pattern needing more than MAX_DFA_STATES states, is not
 * compiled: compileAsciiPattern returns undefined and the checker uses the RegExp.
 */

/** Bytes 0..127; a value with any other byte is never given to a matcher. */
const ALPHABET = 128;
const MAX_NFA_STATES = 20_000;
const MAX_DFA_STATES = 4096;
/** A counted quantifier is unrolled into copies of its operand: larger counts are left to the RegExp. */
const MAX_COUNT = 256;

export interface AsciiMatcher {
  /** Whether the ASCII bytes [start, end) of bytes, as a whole, match the pattern. */
  test(bytes: Uint8Array, start: number, end: number): boolean;
  /** The automaton test runs, for a twin that runs it elsewhere (NumberCells.matchCells). */
  readonly dfa: DfaTables;
}

/** A DFA: table[state * 128 + byte], the next state (-1: none; state 0 is the start), and its steps (see Steps). */
export interface DfaTables {
  readonly table: Int16Array;
  readonly accepting: Uint8Array;
  readonly steps?: Steps;
}

type Node =
  | { kind: 'set'; set: Uint8Array }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; items: Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number };

class Unsupported extends Error {}

function charSet(...codes: number[]): Uint8Array {
  const set = new Uint8Array(ALPHABET);
  for (const c of codes) if (c < ALPHABET) set[c] = 1;
  return set;
}

function rangeSet(set: Uint8Array, lo: number, hi: number): Uint8Array {
  for (let c = lo; c <= hi && c < ALPHABET; c++) set[c] = 1;
  return set;
}

function negate(set: Uint8Array): Uint8Array {
  const out = new Uint8Array(ALPHABET);
  for (let c = 0; c < ALPHABET; c++) out[c] = set[c] ? 0 : 1;
  return out;
}

const DIGIT = rangeSet(new Uint8Array(ALPHABET), 0x30, 0x39);
const WORD = rangeSet(rangeSet(rangeSet(charSet(0x5f), 0x30, 0x39), 0x41, 0x5a), 0x61, 0x7a);
// JavaScript's \s within ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
const SPACE = rangeSet(charSet(0x20), 0x09, 0x0d);
// . matches anything but line terminators (within ASCII: line feed and carriage return).
const DOT = negate(charSet(0x0a, 0x0d));
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };
const CLASS_ESCAPES: Record<string, Uint8Array> = { d: DIGIT, D: negate(DIGIT), w: WORD, W: negate(WORD), s: SPACE, S: negate(SPACE) };

/** Recursive descent over the pattern; throws Unsupported for anything outside the covered subset. */
class Parser {
  private at = 0;

  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.at !== this.source.length) throw new Unsupported();
    return node;
  }

  private peek(): string | undefined {
    return this.source[this.at];
  }

  private alternation(): Node {
    const items = [this.sequence()];
    while (this.peek() === '|') {
      this.at++;
      items.push(this.sequence());
    }
    return items.length === 1 ? items[0] : { kind: 'alt', items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) items.push(this.quantified(this.atom()));
    return { kind: 'seq', items };
  }

  private quantified(item: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (!m) throw new Unsupported(); // a literal brace (Annex B)
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT) || max < min) throw new Unsupported();
      this.at += m[0].length - 1;
    } else return item;
    this.at++;
    if (this.peek() === '?') this.at++; // lazy: the same set of whole matches
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || next === '{') throw new Unsupported();
    return { kind: 'repeat', item, min, max };
  }

  private atom(): Node {
    const c = this.source[this.at++];
    switch (c) {
      case '(': {
        if (this.peek() === '?') {
          if (this.source[this.at + 1] !== ':') throw new Unsupported(); // lookaround or named group
          this.at += 2;
        }
        const inner = this.alternation();
        if (this.source[this.at++] !== ')') throw new Unsupported();
        return inner;
      }
      case '[':
        return { kind: 'set', set: this.charClass() };
      case '.':
        return { kind: 'set', set: DOT };
      case '\\':
        return { kind: 'set', set: this.escape(false) };
      case '^':
      case '$':
      case ')':
      case ']':
      case '{':
      case '}':
      case '*':
      case '+':
      case '?':
        throw new Unsupported();
      default:
        return { kind: 'set', set: charSet(c.charCodeAt(0)) };
    }
  }

  /** After a backslash: a class escape, a control escape, \xHH or escaped punctuation. */
  private escape(inClass: boolean): Uint8Array {
    const c = this.source[this.at++];
    if (c === undefined) throw new Unsupported();
    const cls = CLASS_ESCAPES[c];
    if (cls) return cls;
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined) return charSet(control);
    if (inClass && c === 'b') return charSet(0x08);
    if (c === 'x') {
      const hex = /^[0-9a-fA-F]{2}/.exec(this.source.slice(this.at));
      if (!hex) throw new Unsupported();
      this.at += 2;
      return charSet(parseInt(hex[0], 16));
    }
    // Letters and digits have meanings (or Annex B ones) not covered here; other characters stand for themselves.
    if (/[0-9A-Za-z_]/.test(c)) throw new Unsupported();
    return charSet(c.charCodeAt(0));
  }

  private charClass(): Uint8Array {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.at++;
    }
    const set = new Uint8Array(ALPHABET);
    const single = (): { set: Uint8Array; code?: number } => {
      const c = this.source[this.at++];
      if (c === undefined) throw new Unsupported();
      if (c !== '\\') return { set: charSet(c.charCodeAt(0)), code: c.charCodeAt(0) };
      const before = this.at;
      const escaped = this.escape(true);
      const letter = this.source[before];
      if (CLASS_ESCAPES[letter]) return { set: escaped };
      let code = -1;
      for (let k = 0; k < ALPHABET; k++) if (escaped[k]) code = k;
      // \xHH beyond ASCII: a character no ASCII value holds.
      if (code < 0) code = parseInt(this.source.slice(before + 1, before + 3), 16);
      return { set: escaped, code };
    };
    while (this.peek() !== ']') {
      const lo = single();
      if (this.peek() === '-' && this.source[this.at + 1] !== ']' && this.source[this.at + 1] !== undefined) {
        this.at++;
        const hi = single();
        if (lo.code === undefined || hi.code === undefined || lo.code > hi.code) throw new Unsupported();
        rangeSet(set, lo.code, hi.code);
      } else {
        for (let k = 0; k < ALPHABET; k++) set[k] |= lo.set[k];
      }
    }
    this.at++;
    return negated ? negate(set) : set;
  }
}

/** Thompson NFA: state s has an edge on sets[s] to next[s] (when sets[s] is set) and epsilon edges eps[s]. */
class Nfa {
  readonly sets: Array<Uint8Array | undefined> = [];
  readonly next: number[] = [];
  readonly eps: number[][] = [];

  state(): number {
    if (this.sets.length >= MAX_NFA_STATES) throw new Unsupported();
    this.sets.push(undefined);
    this.next.push(-1);
    this.eps.push([]);
    return this.sets.length - 1;
  }

  /** A fragment for node: from its start state to its end state (which has no edges yet). */
  build(node: Node): { start: number; end: number } {
    switch (node.kind) {
      case 'set': {
        const start = this.state();
        const end = this.state();
        this.sets[start] = node.set;
        this.next[start] = end;
        return { start, end };
      }
      case 'seq': {
        const start = this.state();
        let end = start;
        for (const item of node.items) {
          const f = this.build(item);
          this.eps[end].push(f.start);
          end = f.end;
        }
        return { start, end };
      }
      case 'alt': {
        const start = this.state();
        const end = this.state();
        for (const item of node.items) {
          const f = this.build(item);
          this.eps[start].push(f.start);
          this.eps[f.end].push(end);
        }
        return { start, end };
      }
      case 'repeat': {
        const start = this.state();
        let end = start;
        for (let i = 0; i < node.min; i++) {
          const f = this.build(node.item);
          this.eps[end].push(f.start);
          end = f.end;
        }
        if (node.max === Infinity) {
          const f = this.build(node.item);
          const after = this.state();
          this.eps[end].push(f.start, after);
          this.eps[f.end].push(f.start, after);
          return { start, end: after };
        }
        const after = this.state();
        for (let i = node.min; i < node.max; i++) {
          const f = this.build(node.item);
          this.eps[end].push(f.start, after);
          end = f.end;
        }
        this.eps[end].push(after);
        return { start, end: after };
      }
    }
  }
}

/** The most entries of a DFA's table of multi-byte steps (Int16: 64 KB); a larger one steps a byte at a time. */
const MAX_STEP_ENTRIES = 1 << 15;

/**
 * Steps of a DFA over `stride` bytes (3 or 2, the most that fit in MAX_STEP_ENTRIES): the bytes' classes (2^bits
 * of them at most; bytes beyond ASCII have a class of their own, which ends the automaton) index
 * next[state << stride * bits | class1 << (stride - 1) * bits | ... | class_stride], the state after them (-1:
 * none). One dependent table load per stride bytes instead of one per byte. shifted1[b] and shifted2[b]: the class
 * of byte b shifted into place for the second-last and the third-last byte of a step.
 */
export interface Steps {
  stride: number;
  bits: number;
  classOf: Uint8Array;
  shifted1: Int32Array;
  shifted2: Int32Array;
  next: Int16Array;
}

class DfaMatcher implements AsciiMatcher, DfaTables {
  constructor(
    /** table[state * 128 + byte]: the next state, -1 for none. State 0 is the start. */
    readonly table: Int16Array,
    readonly accepting: Uint8Array,
    readonly steps?: Steps,
  ) {}

  get dfa(): DfaTables {
    return this;
  }

  test(bytes: Uint8Array, start: number, end: number): boolean {
    let state = 0;
    let i = start;
    const steps = this.steps;
    if (steps !== undefined) {
      const { classOf, shifted1, shifted2, next } = steps;
      const shift = steps.stride * steps.bits;
      if (steps.stride === 3) {
        for (; i + 2 < end; i += 3) {
          const to = next[(state << shift) | shifted2[bytes[i]] | shifted1[bytes[i + 1]] | classOf[bytes[i + 2]]];
          if (to < 0) break;
          state = to;
        }
      } else {
        for (; i + 1 < end; i += 2) {
          const to = next[(state << shift) | shifted1[bytes[i]] | classOf[bytes[i + 1]]];
          if (to < 0) break;
          state = to;
        }
      }
    }
    // The rest a byte at a time, and so the step that ended the automaton: it fails, or meets a byte beyond ASCII.
    const table = this.table;
    for (; i < end; i++) {
      const b = bytes[i];
      if (b >= ALPHABET) throw new Error('AsciiMatcher.test was given a byte beyond ASCII');
      state = table[(state << 7) | b];
      if (state < 0) return false;
    }
    return this.accepting[state] === 1;
  }
}

/**
 * The multi-byte steps of a DFA (rows: each state's next state by byte; classOf: each ASCII byte's class, with a
 * representative byte of each), or undefined when not even two-byte steps fit in MAX_STEP_ENTRIES.
 */
function multiByteSteps(rows: Int16Array[], classOf: Int32Array, classes: number, representative: Int32Array): Steps | undefined {
  const notAscii = classes;
  let bits = 0;
  while (1 << bits < classes + 1) bits++;
  const states = rows.length;
  let stride = 3;
  while (stride >= 2 && states * 2 ** (stride * bits) > MAX_STEP_ENTRIES) stride--;
  if (stride < 2) return undefined;
  const byteClass = new Uint8Array(256).fill(notAscii);
  for (let b = 0; b < ALPHABET; b++) byteClass[b] = classOf[b];
  const next = new Int16Array(states << (stride * bits)).fill(-1);
  // Every state and sequence of stride classes (classes that no byte has, from padding to a power of two, are
  // never looked up): the state reached after the first depth classes, and the entry's index so far.
  const fill = (depth: number, reached: number, at: number): void => {
    if (depth === stride) {
      next[at] = reached;
      return;
    }
    for (let c = 0; c <= classes; c++) {
      const to = reached < 0 || c === notAscii ? -1 : rows[reached][representative[c]];
      fill(depth + 1, to, at | (c << ((stride - 1 - depth) * bits)));
    }
  };
  for (let state = 0; state < states; state++) fill(0, state, state << (stride * bits));
  const shifted = (k: number) => Int32Array.from(byteClass, (c) => c << (k * bits));
  return { stride, bits, classOf: byteClass, shifted1: shifted(1), shifted2: shifted(2), next };
}

/** Patterns compiled in this thread: each part of a dataset checks the same few patterns again. */
const compiled = new Map<string, AsciiMatcher | undefined>();

/**
 * The pattern as an ASCII matcher, or undefined when it is outside what this compiler covers (see above). Compiling
 * takes up to about 50 ms for a pattern near the state limit, so each pattern is compiled once per thread.
 */
export function compileAsciiPattern(pattern: string): AsciiMatcher | undefined {
  if (!compiled.has(pattern)) compiled.set(pattern, compile(pattern));
  return compiled.get(pattern);
}

function compile(pattern: string): AsciiMatcher | undefined {
  let nfa: Nfa;
  let fragment: { start: number; end: number };
  try {
    const ast = new Parser(pattern).parse();
    nfa = new Nfa();
    fragment = nfa.build(ast);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }

  // Bytes that every set treats alike form one class: transitions are worked out once per class.
  const classOf = new Int32Array(ALPHABET);
  let classes = 1;
  for (const set of new Set(nfa.sets)) {
    if (!set) continue;
    const renumber = new Map<number, number>();
    for (let b = 0; b < ALPHABET; b++) {
      const key = classOf[b] * 2 + set[b];
      let id = renumber.get(key);
      if (id === undefined) renumber.set(key, (id = renumber.size));
      classOf[b] = id;
    }
    classes = renumber.size;
  }
  const representative = new Int32Array(classes).fill(-1);
  for (let b = 0; b < ALPHABET; b++) if (representative[classOf[b]] < 0) representative[classOf[b]] = b;

  const closure = (seeds: number[]): number[] => {
    const seen = new Set<number>();
    const stack = [...seeds];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of nfa.eps[s]) if (!seen.has(t)) stack.push(t);
    }
    return [...seen].sort((a, b) => a - b);
  };
  const ids = new Map<string, number>();
  const members: number[][] = [];
  const idOf = (states: number[]): number => {
    const key = states.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      if (members.length >= MAX_DFA_STATES) throw new Unsupported();
      id = members.length;
      ids.set(key, id);
      members.push(states);
    }
    return id;
  };
  const rows: Int16Array[] = [];
  try {
    idOf(closure([fragment.start]));
    for (let d = 0; d < members.length; d++) {
      const row = new Int16Array(ALPHABET).fill(-1);
      for (let k = 0; k < classes; k++) {
        const b = representative[k];
        const targets: number[] = [];
        for (const s of members[d]) if (nfa.sets[s]?.[b]) targets.push(nfa.next[s]);
        if (targets.length === 0) continue;
        const to = idOf(closure(targets));
        for (let x = 0; x < ALPHABET; x++) if (classOf[x] === k) row[x] = to;
      }
      rows.push(row);
    }
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  const table = new Int16Array(rows.length * ALPHABET);
  rows.forEach((row, d) => table.set(row, d * ALPHABET));
  const accepting = Uint8Array.from(members, (states) => (states.includes(fragment.end) ? 1 : 0));
  return new DfaMatcher(table, accepting, multiByteSteps(rows, classOf, classes, representative));
}
