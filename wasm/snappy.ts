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
    let l: usize;
    let offset: usize;
    if (kind == 1) {
      if (ip >= ipEnd) return -3;
      l = <usize>((tag >> 2) & 7) + 4;
      offset = (<usize>(tag >> 5) << 8) | <usize>load<u8>(ip);
      ip += 1;
    } else if (kind == 2) {
      if (ip + 2 > ipEnd) return -3;
      l = <usize>(tag >> 2) + 1;
      offset = <usize>load<u16>(ip);
      ip += 2;
    } else {
      if (ip + 4 > ipEnd) return -3;
      l = <usize>(tag >> 2) + 1;
      offset = <usize>load<u32>(ip);
      ip += 4;
    }
    if (offset == 0 || offset > op - output || l > opEnd - op) return -4;
    const from = op - offset;
    if (offset >= 16) {
      // No overlap within 16 bytes: whole vectors, the last one past the end (into the slack, or bytes written next).
      for (let k: usize = 0; k < l; k += 16) v128.store(op + k, v128.load(from + k));
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
