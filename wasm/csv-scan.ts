// AssemblyScript, compiled to WebAssembly by scripts/build-wasm.mjs (see wasm/README.md): the CSV reader's fast path
// for plain records. It finds delimiters, line feeds and quotes 64 bytes at a time (SIMD) and writes each field's
// start and end straight into the batch's column-major arrays, where the JavaScript tokenizer goes byte by byte and
// field by field. It takes only what it can settle alone: records with exactly the header's number of fields, not
// blank, and whose quoted fields (RFC 4180, "" inside) hold no line feed. At anything else (a quote inside an
// unquoted field, text after a closing quote, a record the input ends in) it stops before the record, and the
// JavaScript tokenizer reads that one.

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const QUOTE: u8 = 0x22;

/** Where the scan stopped, relative to input: the start of the first record it did not take. */
let stoppedAt: i32 = 0;

export function stopped(): i32 {
  return stoppedAt;
}

/** The bytes of the 64 in v0..v3 that equal the byte of each lane of x, one bit each. */
// @ts-ignore: decorator
@inline
function mask(v0: v128, v1: v128, v2: v128, v3: v128, x: v128): u64 {
  return (
    <u64>(<u32>i8x16.bitmask(i8x16.eq(v0, x))) |
    (<u64>(<u32>i8x16.bitmask(i8x16.eq(v1, x))) << 16) |
    (<u64>(<u32>i8x16.bitmask(i8x16.eq(v2, x))) << 32) |
    (<u64>(<u32>i8x16.bitmask(i8x16.eq(v3, x))) << 48)
  );
}

/**
 * Scans the n bytes at input (readable up to input + n + 63) from a record start. Row r of the batch (from row0 on,
 * at most maxRows rows) gets, for column c at cell c * stride + r: starts = field start + add, ends = field end + add,
 * flags = 1 for a quoted field (its quotes left out) | 2 when it holds "" (to unescape); the flags of the plain
 * fields of records without a quote are not written: the caller clears them before a batch. A last unquoted field's
 * CR before the LF is left out. Returns the rows taken; stopped() says where it stopped.
 */
export function scan(
  input: usize,
  n: i32,
  delim: u8,
  ncols: i32,
  stride: i32,
  row0: i32,
  maxRows: i32,
  add: i32,
  starts: usize,
  ends: usize,
  flags: usize,
): i32 {
  const vd = i8x16.splat(<i8>delim);
  const vl = i8x16.splat(<i8>LF);
  const vq = i8x16.splat(<i8>QUOTE);
  const last = ncols - 1;
  let rec: i32 = 0; // start of the record being read
  let fs: i32 = 0; // start of the field being read
  let f: i32 = 0; // its column
  let quote: i32 = 0; // 0: unquoted, 1: inside quotes, 2: after the closing quote
  let fieldFlags: u8 = 0;
  let closing: i32 = 0; // where the closing quote is
  let skip: i32 = -1; // the second quote of a "" pair
  let r: i32 = row0;
  const rowEnd = row0 + maxRows;
  let stop = false;
  for (let i: i32 = 0; i < n; i += 64) {
    // The delimiters, line feeds and quotes among the next 64 bytes, one bit each.
    const at = input + <usize>i;
    const v0 = v128.load(at);
    const v1 = v128.load(at, 16);
    const v2 = v128.load(at, 32);
    const v3 = v128.load(at, 48);
    const lfs = mask(v0, v1, v2, v3, vl);
    const quotes = mask(v0, v1, v2, v3, vq);
    let m = mask(v0, v1, v2, v3, vd) | lfs | quotes;
    if (n - i < 64) m &= (<u64>1 << <u64>(n - i)) - 1;
    while (m != 0) {
      if (quote == 0 && (m & quotes) == 0) {
        // No quote in the rest of the block: delimiters and line feeds only, told apart by their bits.
        while (m != 0) {
          const pos = i + <i32>ctz(m);
          const bit = m & (~m + 1);
          m ^= bit;
          const cell = <usize>(f * stride + r);
          let e = pos;
          if ((lfs & bit) == 0) {
            if (f == last) { stop = true; break; }
            f++;
          } else {
            if (pos > fs && load<u8>(input + <usize>(pos - 1)) == CR) e = pos - 1;
            if (f != last || (last == 0 && e == fs)) { stop = true; break; }
            f = 0;
            r++;
            rec = pos + 1;
          }
          store<i32>(starts + (cell << 2), fs + add);
          store<i32>(ends + (cell << 2), e + add);
          // flags stay 0 (the caller cleared them for the batch).
          fs = pos + 1;
          if (r == rowEnd) {
            stoppedAt = rec;
            return r - row0;
          }
        }
        break;
      }
      const pos = i + <i32>ctz(m);
      m &= m - 1;
      if (pos == skip) continue;
      const b = load<u8>(input + <usize>pos);
      if (quote == 1) {
        // A delimiter inside quotes is text; a line feed is left to the tokenizer, which counts lines.
        if (b != QUOTE) {
          if (b == LF) { stop = true; break; }
          continue;
        }
        if (pos + 1 >= n) { stop = true; break; }
        const next = load<u8>(input + <usize>(pos + 1));
        if (next == QUOTE) {
          fieldFlags |= 2;
          skip = pos + 1;
          continue;
        }
        if (next != delim && next != LF && !(next == CR && pos + 2 < n && load<u8>(input + <usize>(pos + 2)) == LF)) { stop = true; break; }
        quote = 2;
        closing = pos;
        continue;
      }
      if (b == QUOTE) {
        // Opening a field, or inside an unquoted one (left to the tokenizer, which reports it).
        if (pos != fs || quote != 0) { stop = true; break; }
        quote = 1;
        fieldFlags = 1;
        continue;
      }
      const cell = <usize>(f * stride + r);
      let s = fs;
      let e = pos;
      if (quote == 2) {
        s = fs + 1;
        e = closing;
      }
      if (b == delim) {
        // More fields than columns.
        if (f == last) { stop = true; break; }
        store<i32>(starts + (cell << 2), s + add);
        store<i32>(ends + (cell << 2), e + add);
        store<u8>(flags + cell, fieldFlags);
        f++;
      } else {
        if (quote == 0 && pos > fs && load<u8>(input + <usize>(pos - 1)) == CR) e = pos - 1;
        // Fewer fields than columns, or a blank line (not a record).
        if (f != last || (last == 0 && quote == 0 && e == s)) { stop = true; break; }
        store<i32>(starts + (cell << 2), s + add);
        store<i32>(ends + (cell << 2), e + add);
        store<u8>(flags + cell, fieldFlags);
        r++;
        f = 0;
        rec = pos + 1;
        if (r == rowEnd) {
          stoppedAt = rec;
          return r - row0;
        }
      }
      fs = pos + 1;
      quote = 0;
      fieldFlags = 0;
    }
    if (stop) break;
  }
  // Stopped before a record it does not take, or the input ended inside one.
  stoppedAt = rec;
  return r - row0;
}

/**
 * How many quote bytes the n bytes at input hold (readable up to input + n + 63): whether a stretch of a CSV file
 * with no split target in it ends inside a quoted field is the parity of that count (splitIntoRanges).
 */
export function countQuotes(input: usize, n: i32): i32 {
  const vq = i8x16.splat(<i8>QUOTE);
  let count: i32 = 0;
  let i: i32 = 0;
  for (; i + 64 <= n; i += 64) {
    const at = input + <usize>i;
    count += <i32>popcnt<u64>(mask(v128.load(at), v128.load(at, 16), v128.load(at, 32), v128.load(at, 48), vq));
  }
  for (; i < n; i++) if (load<u8>(input + <usize>i) == QUOTE) count++;
  return count;
}
