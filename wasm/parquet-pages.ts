// AssemblyScript, compiled to WebAssembly by scripts/build-wasm.mjs (see wasm/README.md): the Parquet page decoder's
// kernel (src/data/readers/parquet-pages.ts). It decompresses Snappy pages (the raw format: the uncompressed length as
// a varint, then literals and back-references) from one place of the caller's memory to another, so the decoder
// reads a column chunk into this memory once and decompresses its pages where it reads them, copying nothing else;
// and it reads a page's dictionary indices (the RLE / bit-packed hybrid) where the page lies.
//
// Copies go 16 bytes at a time (SIMD), so input and output need SLACK readable and writable bytes past their ends;
// readIndices reads up to 8 bytes past the end of the indices.

/** Bytes past the end of the input and of the output that decompress may read or write. */
export const SLACK: i32 = 16;

/**
 * Decompresses the n bytes at input into outLength bytes at output. Returns outLength, or a negative code for
 * data that is not Snappy of that length: -1 a malformed length, -2 another length, -3 a literal or reference past
 * the end of the input, -4 a reference before the start of the output or past its end, -5 the output ends early.
 */
export function decompress(input: usize, n: i32, output: usize, outLength: i32): i32 {
  let ip = input;
  const ipEnd = input + <usize>n;
  let length: u32 = 0;
  let shift: u32 = 0;
  for (;;) {
    if (ip >= ipEnd || shift > 28) return -1;
    const b = <u32>load<u8>(ip++);
    length |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  if (length != <u32>outLength) return -2;
  let op = output;
  const opEnd = output + <usize>length;
  while (ip < ipEnd) {
    const tag = <u32>load<u8>(ip++);
    const kind = tag & 3;
    if (kind == 0) {
      // A literal of up to 60 bytes, or of a length in the 1-4 bytes that follow.
      let l = <usize>(tag >> 2) + 1;
      if (l > 60) {
        const extra = l - 60;
        if (ip + extra > ipEnd) return -3;
        let v: usize = 0;
        for (let k: usize = 0; k < extra; k++) v |= (<usize>load<u8>(ip + k)) << (8 * k);
        l = v + 1;
        ip += extra;
      }
      if (l > ipEnd - ip) return -3;
      if (l > opEnd - op) return -4;
      if (l <= 16) v128.store(op, v128.load(ip));
      else if (l <= 64) {
        // Vectors up to the end, the last one past it (into the slack, or bytes written next).
        for (let k: usize = 0; k < l; k += 16) v128.store(op + k, v128.load(ip + k));
      } else memory.copy(op, ip, l);
      ip += l;
      op += l;
      continue;
    }
    // A reference: its offset in the 1, 2 or 4 bytes after the tag (kind 1: 3 more bits in the tag), read as one
    // word (the input has slack) and masked, with no branch on the kind: the kinds come in no order a branch could
    // predict, and selecting took 10-15 % less time than branching on them (the mask of 4 bytes shifts by 32,
    // which is no shift in WebAssembly: that case takes the word whole).
    const extra = select<usize>(4, <usize>kind, kind == 3);
    if (ip + extra > ipEnd) return -3;
    const word = <usize>load<u32>(ip);
    ip += extra;
    const l = select<usize>(<usize>((tag >> 2) & 7) + 4, <usize>(tag >> 2) + 1, kind == 1);
    const masked = select<usize>(word, word & ((<usize>1 << (extra << 3)) - 1), kind == 3);
    const offset = select<usize>((<usize>(tag >> 5) << 8) | (word & 0xff), masked, kind == 1);
    if (offset == 0 || offset > op - output || l > opEnd - op) return -4;
    const from = op - offset;
    if (offset >= 16) {
      // No overlap within 16 bytes: whole vectors, the last one past the end (into the slack, or bytes written next).
      v128.store(op, v128.load(from));
      for (let k: usize = 16; k < l; k += 16) v128.store(op + k, v128.load(from + k));
    } else if (offset >= 8) {
      // No overlap within 8 bytes.
      for (let k: usize = 0; k < l; k += 8) store<u64>(op + k, load<u64>(from + k));
    } else {
      // The reference overlaps what it writes (a pattern of fewer than 8 bytes, repeated): a byte at a time.
      for (let k: usize = 0; k < l; k++) store<u8>(op + k, load<u8>(from + k));
    }
    op += l;
  }
  return op == opEnd ? <i32>length : -5;
}

/** readIndices: the values end before count of them are read. */
const ENDS_EARLY: f64 = -1;
/** readIndices: a run header longer than 5 bytes, or cut off by the end of the values. */
const MALFORMED_HEADER: f64 = -2;

/**
 * Dictionary indices of a data page: count values of bitWidth (0 to 32) bits in the RLE / bit-packed hybrid at
 * [input, end), into out (an i32 each), as readIndexRuns of src/data/readers/parquet-pages.ts reads them. Returns
 * the largest (unsigned), or ENDS_EARLY or MALFORMED_HEADER. Reads up to 8 bytes past end (the slack).
 */
export function readIndices(input: usize, end: usize, bitWidth: i32, count: i32, out: usize): f64 {
  const byteWidth = <usize>((bitWidth + 7) >> 3);
  const mask: u64 = bitWidth == 32 ? 0xffffffff : (<u64>1 << <u64>bitWidth) - 1;
  let at = input;
  let n: i32 = 0;
  let largest: u64 = 0;
  while (n < count) {
    // The run's header: a ULEB128 varint of at most 5 bytes (as the JavaScript reader, 36 bits at most).
    if (at >= end) return ENDS_EARLY;
    let header: u64 = 0;
    let shift: u64 = 0;
    for (;;) {
      const b = <u64>load<u8>(at++);
      header |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
      shift += 7;
      if (shift > 35 || at >= end) return MALFORMED_HEADER;
    }
    const left = <u64>(count - n);
    if ((header & 1) == 0) {
      // An RLE run: one value, repeated.
      if (at + byteWidth > end) return ENDS_EARLY;
      let v: u64 = 0;
      for (let k: usize = 0; k < byteWidth; k++) v |= (<u64>load<u8>(at + k)) << (<u64>k << 3);
      at += byteWidth;
      v &= mask;
      const m = <i32>min<u64>(header >> 1, left);
      const o = out + (<usize>n << 2);
      for (let i: i32 = 0; i < m; i++) store<i32>(o + (<usize>i << 2), <i32>v);
      if (v > largest) largest = v;
      n += m;
      continue;
    }
    // Bit-packed groups of eight values (the last group may be cut short by the end of the page's values).
    const values = (header >> 1) << 3;
    const m = <i32>min<u64>(values, left);
    if (<u64>at + ((<u64>m * <u64>bitWidth + 7) >> 3) > <u64>end) return ENDS_EARLY;
    const o = out + (<usize>n << 2);
    let top = largest;
    // Each value from the 8 bytes its first bit lies in (a value of up to 32 bits starts within a byte).
    let bit: u64 = 0;
    for (let i: i32 = 0; i < m; i++, bit += <u64>bitWidth) {
      const v = (load<u64>(at + <usize>(bit >> 3)) >> (bit & 7)) & mask;
      store<i32>(o + (<usize>i << 2), <i32>v);
      top = select<u64>(v, top, v > top);
    }
    largest = top;
    at = <usize>min<u64>(<u64>at + ((values * <u64>bitWidth) >> 3), <u64>end);
    n += m;
  }
  return <f64>largest;
}
