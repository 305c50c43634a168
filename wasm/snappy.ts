// AssemblyScript, compiled to WebAssembly by scripts/build-wasm.mjs (see wasm/README.md): Snappy decompression of
// Parquet pages (the raw format: the uncompressed length as a varint, then literals and back-references), from one
// place of the caller's memory to another, so the Parquet page decoder (src/data/readers/parquet-pages.ts) reads a
// column chunk into this memory once and decompresses its pages where it reads them, copying nothing else.
//
// Copies go 16 bytes at a time (SIMD), so input and output need SLACK readable and writable bytes past their ends.

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
