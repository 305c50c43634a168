/** Byte-stream helpers shared by the text readers: chunking, UTF-8 validation, UTF-16 transcoding, decoding. */
import { isUtf8 } from 'buffer';
import { DataFormatError } from '../types';

export type Slicer = (this: Buffer, start: number, end: number) => string;
// Buffer's own per-encoding slicers skip toString's argument and encoding dispatch, which shows at 10^8 fields.
export const SLICERS = Buffer.prototype as unknown as { utf8Slice: Slicer; latin1Slice: Slicer };

/** A UTF-8 value of a typed column (Parquet) as Arrow JS decodes it: its TextDecoder drops a leading byte-order mark. */
export function arrowText(bytes: Buffer, s: number, e: number): string {
  if (e - s >= 3 && bytes[s] === 0xef && bytes[s + 1] === 0xbb && bytes[s + 2] === 0xbf) s += 3;
  return SLICERS.utf8Slice.call(bytes, s, e);
}

/** Where the first invalid UTF-8 sequence in b[from, to) starts, or -1. Only run once isUtf8 said there is one. */
export function firstInvalidUtf8(b: Uint8Array, from = 0, to = b.length): number {
  let i = from;
  while (i < to) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > to) return i;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k < len; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += len;
  }
  return -1;
}

/** Bytes a UTF-8 sequence starting with lead byte c needs (0: not a lead byte). */
function sequenceLength(c: number): number {
  if (c >= 0xc0 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf7) return 4;
  return 0;
}

/**
 * Checks a byte stream chunk by chunk with the native isUtf8, carrying a sequence cut by a chunk end into the next
 * chunk. Records the absolute offset of the first invalid sequence.
 */
export class Utf8Checker {
  private pend = new Uint8Array(4);
  private pendLen = 0;
  private pendNeed = 0;
  private pendAt = 0;
  bad = Infinity;

  check(chunk: Buffer, at: number): void {
    if (this.bad !== Infinity) return;
    let start = 0;
    if (this.pendLen > 0) {
      while (this.pendLen < this.pendNeed && start < chunk.length) this.pend[this.pendLen++] = chunk[start++];
      if (this.pendLen < this.pendNeed) return;
      this.pendLen = 0;
      if (!isUtf8(this.pend.subarray(0, this.pendNeed))) {
        this.bad = this.pendAt;
        return;
      }
    }
    let end = chunk.length;
    // A sequence cut at the chunk end: its lead byte is one of the last three.
    for (let k = end - 1; k >= start && k >= end - 3; k--) {
      const c = chunk[k];
      if (c < 0x80) break;
      if (c >= 0xc0) {
        const len = sequenceLength(c);
        if (len > end - k) {
          this.pendNeed = len;
          this.pendLen = end - k;
          this.pendAt = at + k;
          for (let j = 0; j < this.pendLen; j++) this.pend[j] = chunk[k + j];
          end = k;
        }
        break;
      }
    }
    if (end > start && !isUtf8(chunk.subarray(start, end))) {
      this.bad = at + firstInvalidUtf8(chunk, start, end);
    }
  }

  /** At the end of the stream a cut sequence is invalid. */
  finish(): void {
    if (this.bad === Infinity && this.pendLen > 0) this.bad = this.pendAt;
  }
}

/** utf16le in, UTF-8 out: the tokenizer then works on one byte encoding. */
export async function* transcodeUtf16(chunks: AsyncIterable<Buffer>, source: string): AsyncGenerator<Buffer> {
  const dec = new TextDecoder('utf-16le', { fatal: true });
  try {
    for await (const c of chunks) {
      const s = dec.decode(c, { stream: true });
      if (s.length > 0) yield Buffer.from(s, 'utf8');
    }
    const s = dec.decode();
    if (s.length > 0) yield Buffer.from(s, 'utf8');
  } catch (e) {
    if (e instanceof TypeError) throw new DataFormatError(`${source} is not valid UTF-16LE text.`, { source });
    throw e;
  }
}

export async function* bufferChunks(stream: NodeJS.ReadableStream | AsyncIterable<Buffer>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const c of stream as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    counter.bytes += b.length;
    yield b;
  }
}

