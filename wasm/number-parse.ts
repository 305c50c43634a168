// AssemblyScript, compiled to WebAssembly by scripts/build-wasm.mjs (see wasm/README.md): the numbers of a CSV
// column of a batch, parsed from the cells' bytes, with the running minimum, maximum, count, mean and variance the
// column's checker and profile keep. The parsers are the twins of parseIntegerBytes, parseNumberBytes and
// parseIsoDateTimeBytes (src/data/checks.ts, src/data/durations.ts) on the forms data mostly holds, with the same
// arithmetic in the same order, so they give the same doubles, and the running values are updated as
// NumericChecker and ColumnAccumulator.addNumber (src/data/profile.ts) do. Any other cell (missing, empty, with ""
// inside, long, out of range, malformed, failing a rule) it leaves to them. It also reads the cells of text columns:
// their hashes (hashTexts), their ids among values seen before (findIds), a pattern's verdicts (matchCells), and
// their profile against the categories of a column of mostly distinct values (profileDistinct); and the booleans of
// a boolean column (readBooleans).

const INTEGER: i32 = 0;
const NUMBER: i32 = 1;
const ISO_DATETIME: i32 = 2;
// Values already numbers (a typed column's), in values[r]: taken when whole and within ±(2^53 - 1), when finite, or
// when not NaN.
const TAKE_WHOLE: i32 = 3;
const TAKE_FINITE: i32 = 4;
const TAKE_ANY: i32 = 5;
const MAX_SAFE_INTEGER: f64 = 9007199254740991;
/** The cell flag of a quoted field with "" inside (RAW_ESCAPED). */
const ESCAPED: u8 = 2;
const MS_PER_DAY: f64 = 86400000;

/** The running state accumulate reads and writes (f64 each), as the column checker and profile hold it. */
const CHECK_MIN = 0; // the checker's minimum and maximum (NaN before the first value)
const CHECK_MAX = 1;
const COUNT = 2; // the profile's count, mean, sum of squared deviations (Welford), minimum and maximum
const MEAN = 3;
const M2 = 4;
const MIN = 5;
const MAX = 6;
const NULLS = 7; // rows accumulate took as nulls (see nullsAs)

/** accumulate's nullsAs: stop before a missing cell; take an absent one (starts[r] < 0) as a null; or an empty one too. */
const NULLS_STOP: i32 = 0;
const NULLS_ABSENT_OR_EMPTY: i32 = 2;

/**
 * Reads rows from..count of one column, cell r holding bytes [starts[r], ends[r]) of bytes (starts[r] < 0: missing)
 * with flags[r], and stops before the first row it does not settle alone: a cell it does not parse (missing,
 * empty, escaped, or not on the JavaScript parsers' fast path), or a value below ruleMin or above ruleMax. For each
 * row it takes: values[r] = its number, hashes[r] = hashNumber of it when hashing (a hash took about a third of
 * the time of a short number, and only a sketch's distinct count needs it), and the state (see CHECK_MIN..MAX)
 * updated as the checker and ColumnAccumulator.addNumber do, in row order. Returns the row it stopped before (count: none).
 * In the TAKE_* modes the cells are a typed column's values, already in values[r], taken as they are when the mode
 * takes them, and starts is the address of their validity bitmap (bit r clear: row r is null); ends and flags are
 * not read. With nullsAs other than NULLS_STOP, a missing cell does not stop it: an absent
 * one, or with NULLS_ABSENT_OR_EMPTY an empty one too, is a null, counted in the state (NULLS), with values[r] = NaN
 * and hashes[r] left as they were; the caller does for it what it does for a null but note an example.
 */
export function accumulate(
  bytes: usize,
  starts: usize,
  ends: usize,
  flags: usize,
  from: i32,
  count: i32,
  mode: i32,
  ruleMin: f64,
  ruleMax: f64,
  state: usize,
  values: usize,
  hashes: usize,
  hashing: bool,
  nullsAs: i32,
): i32 {
  // A loop of its own for typed values: without the parsers inlined in it, its running values stay in registers
  // (a third faster on a typed column's numbers).
  return mode >= TAKE_WHOLE
    ? accumulateRows<f64>(bytes, starts, ends, flags, from, count, mode, ruleMin, ruleMax, state, values, hashes, hashing, nullsAs)
    : accumulateRows<u8>(bytes, starts, ends, flags, from, count, mode, ruleMin, ruleMax, state, values, hashes, hashing, nullsAs);
}

/** accumulate's loop: Cell is f64 for the TAKE_* modes (values already numbers), u8 for the cells' bytes. */
function accumulateRows<Cell>(
  bytes: usize,
  starts: usize,
  ends: usize,
  flags: usize,
  from: i32,
  count: i32,
  mode: i32,
  ruleMin: f64,
  ruleMax: f64,
  state: usize,
  values: usize,
  hashes: usize,
  hashing: bool,
  nullsAs: i32,
): i32 {
  let checkMin = load<f64>(state, CHECK_MIN << 3);
  let checkMax = load<f64>(state, CHECK_MAX << 3);
  let n = load<f64>(state, COUNT << 3);
  let mean = load<f64>(state, MEAN << 3);
  let m2 = load<f64>(state, M2 << 3);
  let min = load<f64>(state, MIN << 3);
  let max = load<f64>(state, MAX << 3);
  let nulls = load<f64>(state, NULLS << 3);
  let r = from;
  for (; r < count; r++) {
    const at = <usize>r;
    let s: i32 = 0;
    let e: i32 = 0;
    if (isFloat<Cell>()) {
      // A typed column's null: absent.
      if ((<u32>load<u8>(starts + (at >> 3)) & (<u32>1 << <u32>(at & 7))) == 0) {
        if (nullsAs == NULLS_STOP) break;
        store<f64>(values + (at << 3), NaN);
        nulls += 1;
        continue;
      }
    } else {
      s = load<i32>(starts + (at << 2));
      e = load<i32>(ends + (at << 2));
      if (s < 0 || e <= s || (load<u8>(flags + at) & ESCAPED) != 0) {
        if (nullsAs == NULLS_STOP || !(s < 0 || (e == s && nullsAs == NULLS_ABSENT_OR_EMPTY))) break;
        store<f64>(values + (at << 3), NaN);
        nulls += 1;
        continue;
      }
    }
    const x = isFloat<Cell>()
      ? taken(load<f64>(values + (at << 3)), mode)
      : mode == INTEGER
        ? integerOf(bytes + <usize>s, bytes + <usize>e)
        : mode == NUMBER
          ? numberOf(bytes + <usize>s, bytes + <usize>e)
          : instantOf(bytes + <usize>s, bytes + <usize>e); // ISO_DATETIME
    // NaN: the JavaScript parser decides (and says NaN where the cell is no number); a failed rule notes an example.
    if (x != x || x < ruleMin || x > ruleMax) break;
    store<f64>(values + (at << 3), x);
    if (hashing) store<u32>(hashes + (at << 2), hashNumber(x));
    if (!(x >= checkMin)) checkMin = x;
    if (!(x <= checkMax)) checkMax = x;
    n += 1;
    // The reciprocal is off the chain from one row's mean to the next (a division on it took twice the time).
    const delta = x - mean;
    mean += delta * (1 / n);
    m2 += delta * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  store<f64>(state, checkMin, CHECK_MIN << 3);
  store<f64>(state, checkMax, CHECK_MAX << 3);
  store<f64>(state, n, COUNT << 3);
  store<f64>(state, mean, MEAN << 3);
  store<f64>(state, m2, M2 << 3);
  store<f64>(state, min, MIN << 3);
  store<f64>(state, max, MAX << 3);
  store<f64>(state, nulls, NULLS << 3);
  return r;
}

/**
 * parseBooleanBytes of src/data/checks.ts for rows from..count of one column: counts the cells that are one of its
 * words (1 and 0; no, yes, true and false in any case) as false or true, and stops before the first that is not
 * (missing, empty, escaped, anything else), for the caller to read it. The state takes the counts of false and of
 * true, then the value of the first cell counted (0 or 1; -1: none). Returns the row it stopped before (count: none).
 * Without a branch on the word: values at random would mispredict it. A cell's first word is read whole and masked:
 * bytes must be readable up to 3 past each cell's end.
 */
export function readBooleans(bytes: usize, starts: usize, ends: usize, flags: usize, from: i32, count: i32, state: usize): i32 {
  let falses: i32 = 0;
  let trues: i32 = 0;
  let first: i32 = -1;
  let r = from;
  for (; r < count; r++) {
    const at = <usize>r;
    const s = load<i32>(starts + (at << 2));
    const n = load<i32>(ends + (at << 2)) - s;
    if (s < 0 || n < 1 || n > 5 || (load<u8>(flags + at) & ESCAPED) != 0) break;
    const cell = bytes + <usize>s;
    const word = load<u32>(cell);
    // Setting bit 0x20 lower-cases an ASCII letter, as parseBooleanBytes does; digits are compared as they are.
    const lower = word | 0x20202020;
    const isTrue =
      (<i32>(n == 1) & <i32>((word & 0xff) == 0x31)) | // "1"
      (<i32>(n == 3) & <i32>((lower & 0xffffff) == 0x736579)) | // "yes"
      (<i32>(n == 4) & <i32>(lower == 0x65757274)); // "true"
    const isFalse =
      (<i32>(n == 1) & <i32>((word & 0xff) == 0x30)) | // "0"
      (<i32>(n == 2) & <i32>((lower & 0xffff) == 0x6f6e)) | // "no"
      (<i32>(n == 5) & <i32>(lower == 0x736c6166) & <i32>((<u32>load<u8>(cell, 4) | 0x20) == 0x65)); // "false"
    if ((isTrue | isFalse) == 0) break;
    trues += isTrue;
    falses += isFalse;
    if (first < 0) first = isTrue;
  }
  store<f64>(state, <f64>falses);
  store<f64>(state, <f64>trues, 8);
  store<f64>(state, <f64>first, 16);
  return r;
}

/**
 * hashAsciiBytes of src/data/hll.ts for rows 0..count of one column: hashes[r] = the hash of bytes [starts[r],
 * ends[r]) of bytes (0 for a missing cell: starts[r] < 0), a 32-bit word at a time. A cell's last word is read whole
 * and masked: bytes must be readable up to 3 past each cell's end.
 */
export function hashTexts(bytes: usize, starts: usize, ends: usize, count: i32, hashes: usize): void {
  for (let r: i32 = 0; r < count; r++) {
    const at = <usize>r;
    const s = load<i32>(starts + (at << 2));
    const e = load<i32>(ends + (at << 2));
    store<u32>(hashes + (at << 2), s < 0 || e < s ? 0 : hashBytes(bytes + <usize>s, bytes + <usize>e));
  }
}

/**
 * For rows 0..count of one column: ids[r] = the id of the cell's value in a dictionary of byte strings, else -1 (a
 * value not in it, and a missing, empty or escaped cell). The dictionary is a ByteInterner's (src/data/checks.ts):
 * slots (mask + 1 of them, by hashAsciiBytes & mask, open addressing) hold ids, -1 when empty; value id has the hash
 * hashes[id] and the lengths[id] bytes at keys + offsets[id], readable up to 7 bytes past their end.
 */
export function findIds(
  bytes: usize,
  starts: usize,
  ends: usize,
  flags: usize,
  count: i32,
  slots: usize,
  mask: i32,
  hashes: usize,
  offsets: usize,
  lengths: usize,
  keys: usize,
  ids: usize,
): void {
  for (let r: i32 = 0; r < count; r++) {
    const at = <usize>r;
    const s = load<i32>(starts + (at << 2));
    const e = load<i32>(ends + (at << 2));
    let id: i32 = -1;
    if (s >= 0 && e > s && (load<u8>(flags + at) & ESCAPED) == 0) {
      const cell = bytes + <usize>s;
      const n = e - s;
      const h = hashBytes(cell, bytes + <usize>e);
      for (let slot = <i32>h & mask; ; slot = (slot + 1) & mask) {
        const k = load<i32>(slots + (<usize>slot << 2));
        if (k < 0) break;
        const kk = <usize>k << 2;
        if (load<u32>(hashes + kk) == h && load<i32>(lengths + kk) == n && sameBytes(cell, keys + <usize>load<i32>(offsets + kk), n)) {
          id = k;
          break;
        }
      }
    }
    store<i32>(ids + (at << 2), id);
  }
}

/**
 * A DFA's verdicts on rows 0..count of one column (the DfaMatcher of src/data/ascii-pattern.ts, the same steps):
 * out[r] = 1 when the cell's bytes match as a whole, 0 when they do not, 2 when they hold a byte beyond ASCII (which
 * the matcher does not take); a missing cell (starts[r] < 0) gets 2. Steps of `stride` bytes (3 or 2; 0: none) look
 * up next[state << shift | shifted2[b1] | shifted1[b2] | classOf[b3]] (i16, -1: none), until one finds none or
 * fewer bytes are left; then a byte at a time, table[state << 7 | b] (i16, -1: fails). accepting[state]: u8.
 */
export function matchCells(
  bytes: usize,
  starts: usize,
  ends: usize,
  count: i32,
  stride: i32,
  shift: i32,
  classOf: usize,
  shifted1: usize,
  shifted2: usize,
  next: usize,
  table: usize,
  accepting: usize,
  out: usize,
): void {
  for (let r: i32 = 0; r < count; r++) {
    const at = <usize>r;
    const s = load<i32>(starts + (at << 2));
    const e = load<i32>(ends + (at << 2));
    let verdict: u8 = 2;
    if (s >= 0) {
      let state: i32 = 0;
      let i = bytes + <usize>s;
      const end = bytes + <usize>e;
      if (stride == 3) {
        for (; i + 2 < end; i += 3) {
          const index = (state << shift) | load<i32>(shifted2 + (<usize>load<u8>(i) << 2)) | load<i32>(shifted1 + (<usize>load<u8>(i, 1) << 2)) | <i32>load<u8>(classOf + <usize>load<u8>(i, 2));
          const to = <i32>load<i16>(next + (<usize>index << 1));
          if (to < 0) break;
          state = to;
        }
      } else if (stride == 2) {
        for (; i + 1 < end; i += 2) {
          const index = (state << shift) | load<i32>(shifted1 + (<usize>load<u8>(i) << 2)) | <i32>load<u8>(classOf + <usize>load<u8>(i, 1));
          const to = <i32>load<i16>(next + (<usize>index << 1));
          if (to < 0) break;
          state = to;
        }
      }
      verdict = 1;
      for (; i < end; i++) {
        const b = <i32>load<u8>(i);
        if (b >= 128) {
          verdict = 2;
          break;
        }
        state = <i32>load<i16>(table + (<usize>((state << 7) | b) << 1));
        if (state < 0) {
          verdict = 0;
          break;
        }
      }
      if (verdict == 1 && load<u8>(accepting + <usize>state) != 1) verdict = 0;
    }
    store<u8>(out + at, verdict);
  }
}

/**
 * Profiles rows 0..count of a column of mostly distinct values against its categories, as addAsciiBytes of
 * ColumnAccumulator (src/data/profile.ts) does once they are full: out[r] = the slot of the category whose bytes the
 * cell's are, or -1 for another value, whose hash then goes into the HyperLogLog registers (4096 bytes at hll);
 * -2 for a missing or empty cell, or one with "" inside, which the caller profiles. A value is looked for among the
 * categories only when the filter (4096 words at filter, two bits per category's hash) may hold it, then in index:
 * open addressing over mask + 1 entries [hash, slot + 1] (0: empty), category slot's bytes at keys + offsets[slot],
 * lengths[slot] of them, readable up to 7 bytes past their end.
 */
export function profileDistinct(
  bytes: usize,
  starts: usize,
  ends: usize,
  flags: usize,
  count: i32,
  filter: usize,
  hll: usize,
  index: usize,
  mask: i32,
  offsets: usize,
  lengths: usize,
  keys: usize,
  out: usize,
): void {
  for (let r: i32 = 0; r < count; r++) {
    const at = <usize>r;
    const s = load<i32>(starts + (at << 2));
    const e = load<i32>(ends + (at << 2));
    let slot: i32 = -2;
    if (s >= 0 && e > s && (load<u8>(flags + at) & ESCAPED) == 0) {
      const cell = bytes + <usize>s;
      const n = e - s;
      const h = hashBytes(cell, bytes + <usize>e);
      slot = -1;
      const g = h >> 15;
      if ((load<u32>(filter + (<usize>((h >> 5) & 4095) << 2)) & (<u32>1 << (h & 31))) != 0 && (load<u32>(filter + (<usize>((g >> 5) & 4095) << 2)) & (<u32>1 << (g & 31))) != 0) {
        for (let i = <i32>h & mask; ; i = (i + 1) & mask) {
          const entry = index + (<usize>i << 3);
          const k = load<i32>(entry, 4) - 1;
          if (k < 0) break;
          if (load<u32>(entry) != h) continue;
          const kk = <usize>k << 2;
          if (load<i32>(lengths + kk) == n && sameBytes(cell, keys + <usize>load<i32>(offsets + kk), n)) {
            slot = k;
            break;
          }
        }
      }
      if (slot < 0) {
        // addHash of src/data/hll.ts: the register of the top 12 bits, the rank of the first 1-bit of the rest.
        const register = hll + <usize>(h >> 20);
        const rank = <u8>(clz<u32>((h << 12) | (1 << 11)) + 1);
        if (rank > load<u8>(register)) store<u8>(register, rank);
      }
    }
    store<i32>(out + (at << 2), slot);
  }
}

/** Whether the n bytes at a and at b are the same; reads up to 7 bytes past the end of each. */
// @ts-ignore: decorator
@inline
function sameBytes(a: usize, b: usize, n: i32): bool {
  let i: i32 = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  const left = n - i;
  return left == 0 || ((load<u64>(a + <usize>i) ^ load<u64>(b + <usize>i)) & ((<u64>1 << (<u64>left << 3)) - 1)) == 0;
}

/** hashAsciiBytes of bytes [s, e): a word per step, then the 1 to 3 bytes left as one more word, then finalised. */
// @ts-ignore: decorator
@inline
function hashBytes(s: usize, e: usize): u32 {
  let h: u32 = 0x811c9dc5;
  let i = s;
  for (; i + 4 <= e; i += 4) h = (rotl<u32>(h, 5) ^ load<u32>(i)) * 0x9e3779b1;
  const left = <u32>(e - i);
  const tail: u32 = left == 0 ? 0 : load<u32>(i) & ((<u32>1 << (left << 3)) - 1);
  return fmix32(((rotl<u32>(h, 5) ^ tail) * 0x9e3779b1) ^ <u32>(e - s));
}

/** A typed column's value as the mode takes it (TAKE_*), or NaN when it does not. */
// @ts-ignore: decorator
@inline
function taken(x: f64, mode: i32): f64 {
  if (mode == TAKE_WHOLE) return x == Math.floor(x) && Math.abs(x) <= MAX_SAFE_INTEGER ? x : NaN;
  if (mode == TAKE_FINITE) return x - x == 0 ? x : NaN;
  return x;
}

/** murmur3's finaliser, as fmix32 in src/data/hll.ts. */
// @ts-ignore: decorator
@inline
function fmix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >> 16);
}

/** hashNumber of src/data/hll.ts: of the double's bits, -0 as 0. */
// @ts-ignore: decorator
@inline
function hashNumber(x: f64): u32 {
  const bits = reinterpret<u64>(x == 0 ? 0.0 : x);
  return fmix32(<u32>bits ^ (fmix32(<u32>(bits >> 32) ^ 0x9e3779b9) * 0x27d4eb2f));
}

/** parseIntegerBytes: an optional sign and at most 15 digits; NaN for anything else. */
function integerOf(s: usize, e: usize): f64 {
  let i = s;
  const first = load<u8>(i);
  const negative = first == 45;
  if (negative || first == 43) i++;
  if (i == e || e - i > 15) return NaN;
  let value: f64 = 0;
  for (; i < e; i++) {
    const d = <i32>load<u8>(i) - 48;
    if (<u32>d > 9) return NaN;
    value = value * 10 + <f64>d;
  }
  return negative ? -value : value;
}

/** parseNumberBytes on its fast path (at most 15 significant digits, scale within ±22); NaN for anything else. */
function numberOf(s: usize, e: usize): f64 {
  let i = s;
  const first = load<u8>(i);
  const negative = first == 45;
  if (negative || first == 43) i++;
  let mantissa: f64 = 0;
  let digits: i32 = 0;
  let significant: i32 = 0;
  let scale: f64 = 0;
  for (; i < e; i++) {
    const d = <i32>load<u8>(i) - 48;
    if (<u32>d > 9) break;
    mantissa = mantissa * 10 + <f64>d;
    digits++;
    if (mantissa > 0) significant++;
  }
  if (i < e && load<u8>(i) == 46) {
    i++;
    for (; i < e; i++) {
      const d = <i32>load<u8>(i) - 48;
      if (<u32>d > 9) break;
      mantissa = mantissa * 10 + <f64>d;
      digits++;
      scale--;
      if (mantissa > 0) significant++;
    }
  }
  if (digits == 0) return NaN;
  if (i < e) {
    const x = load<u8>(i);
    if (x != 101 && x != 69) return NaN;
    i++;
    let exponentNegative = false;
    if (i < e) {
      const sign = load<u8>(i);
      if (sign == 45 || sign == 43) {
        exponentNegative = sign == 45;
        i++;
      }
    }
    let exponent: f64 = 0;
    const exponentStart = i;
    for (; i < e; i++) {
      const d = <i32>load<u8>(i) - 48;
      if (<u32>d > 9) return NaN;
      exponent = exponent * 10 + <f64>d;
    }
    if (i == exponentStart) return NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  if (!(significant <= 15 && scale >= -22 && scale <= 22)) return NaN;
  const value = scale < 0 ? mantissa / powerOfTen(<i32>-scale) : mantissa * powerOfTen(<i32>scale);
  if (!isFinite(value)) return NaN;
  return negative ? -value : value;
}

/** 10^k for k in 0..22, each exact in a double. */
function powerOfTen(k: i32): f64 {
  switch (k) {
    case 0: return 1;
    case 1: return 1e1;
    case 2: return 1e2;
    case 3: return 1e3;
    case 4: return 1e4;
    case 5: return 1e5;
    case 6: return 1e6;
    case 7: return 1e7;
    case 8: return 1e8;
    case 9: return 1e9;
    case 10: return 1e10;
    case 11: return 1e11;
    case 12: return 1e12;
    case 13: return 1e13;
    case 14: return 1e14;
    case 15: return 1e15;
    case 16: return 1e16;
    case 17: return 1e17;
    case 18: return 1e18;
    case 19: return 1e19;
    case 20: return 1e20;
    case 21: return 1e21;
    default: return 1e22;
  }
}

/** count digits at i (all before e), or -1. */
function digitsAt(i: usize, count: i32, e: usize): i32 {
  if (i + <usize>count > e) return -1;
  let value: i32 = 0;
  for (let k: i32 = 0; k < count; k++) {
    const d = <i32>load<u8>(i + <usize>k) - 48;
    if (<u32>d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

/** daysFromCivil: days since 1970-01-01 of a proleptic Gregorian date. */
function civilDays(year: i32, month: i32, day: i32): i32 {
  const y = month <= 2 ? year - 1 : year;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yearOfEra = y - era * 400;
  const dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** parseIsoDateTimeBytes: epoch milliseconds of an ISO 8601 date or date-time; NaN for anything else. */
function instantOf(s: usize, e: usize): f64 {
  const length = e - s;
  if (length < 10 || load<u8>(s + 4) != 45 || load<u8>(s + 7) != 45) return NaN;
  const year = digitsAt(s, 4, e);
  const month = digitsAt(s + 5, 2, e);
  const day = digitsAt(s + 8, 2, e);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms: f64 = <f64>civilDays(year, month, day) * MS_PER_DAY;
  if (length == 10) return ms;
  const separator = load<u8>(s + 10);
  if ((separator != 84 && separator != 32 && separator != 116) || length < 16 || load<u8>(s + 13) != 58) return NaN;
  const hour = digitsAt(s + 11, 2, e);
  const minute = digitsAt(s + 14, 2, e);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  ms += <f64>(hour * 3600000 + minute * 60000);
  let i = s + 16;
  if (i < e && load<u8>(i) == 58) {
    const second = digitsAt(i + 1, 2, e);
    if (second < 0 || second > 59 || i + 3 > e) return NaN;
    ms += <f64>(second * 1000);
    i += 3;
    if (i < e && (load<u8>(i) == 46 || load<u8>(i) == 44)) {
      i++;
      let scale: f64 = 100;
      const fractionStart = i;
      while (i < e) {
        const d = <i32>load<u8>(i) - 48;
        if (<u32>d > 9) break;
        ms += <f64>d * scale;
        scale /= 10;
        i++;
      }
      if (i == fractionStart) return NaN;
    }
  }
  if (i == e) return ms;
  const first = load<u8>(i);
  if (first == 90 || first == 122) return i + 1 == e ? ms : NaN;
  if (first != 43 && first != 45) return NaN;
  const hours = digitsAt(i + 1, 2, e);
  let minutes: i32 = 0;
  const rest = <i32>(e - i) - 3;
  if (rest == 3 && load<u8>(i + 3) == 58) minutes = digitsAt(i + 4, 2, e);
  else if (rest == 2) minutes = digitsAt(i + 3, 2, e);
  else if (rest != 0) return NaN;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
  const offset = <f64>((hours * 60 + minutes) * 60000);
  return first == 43 ? ms - offset : ms + offset;
}
