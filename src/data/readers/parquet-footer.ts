/**
 * What parquet-wasm does not tell of a Parquet file: which row groups have a usable offset index (the page
 * locations of each column chunk). Its decoder skips the rows before a piece of a row group by that index, reading
 * only the pages it needs; without one it decodes the column chunks from their start (common: pyarrow writes no
 * page index unless asked to). An index whose pages do not start at increasing rows (one writer gives every page
 * row 0) makes it stop with a WebAssembly trap (see untrapped in parquet.ts) and lose the file, so such an index
 * counts as none.
 *
 * The footer (FileMetaData) and the offset indexes are Thrift's compact protocol. Only what is needed is read:
 * row_groups[].num_rows and columns[].offset_index_offset/_length, and the indexes' page_locations; everything else
 * is skipped by its type.
 */
import * as fs from 'fs';

// Compact protocol types.
export const BOOLEAN_TRUE = 1;
export const BOOLEAN_FALSE = 2;
const BYTE = 3;
const I16 = 4;
export const I32 = 5;
export const I64 = 6;
const DOUBLE = 7;
export const BINARY = 8;
export const LIST = 9;
const SET = 10;
const MAP = 11;
export const STRUCT = 12;

/** Field ids of the parquet.thrift structs on the way. */
const FILE_ROW_GROUPS = 4;
const ROW_GROUP_COLUMNS = 1;
const ROW_GROUP_NUM_ROWS = 3;
const COLUMN_OFFSET_INDEX_OFFSET = 4;
const COLUMN_OFFSET_INDEX_LENGTH = 5;
const OFFSET_INDEX_PAGE_LOCATIONS = 1;
const PAGE_LOCATION_OFFSET = 1;
const PAGE_LOCATION_FIRST_ROW = 3;

/** Nesting deeper than this is not a Parquet footer. */
const MAX_DEPTH = 64;

/** Thrift bytes that end before what they hold does: a footer or header cut short (or read too short). */
export class ThriftEndsEarly extends Error {}

export class CompactReader {
  at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new ThriftEndsEarly('the Thrift bytes end early');
    return this.bytes[this.at++];
  }

  /** An unsigned varint, as a number (exact up to 2^53; larger values are only skipped). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error('a varint is too long');
  }

  /** A zigzag varint (i16, i32, i64), exact up to 2^53. */
  int(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  skip(type: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new Error('the Thrift bytes nest too deep');
    switch (type) {
      case BOOLEAN_TRUE:
      case BOOLEAN_FALSE:
        return;
      case BYTE:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.bytesOf(8);
        return;
      case BINARY:
        this.bytesOf(this.varint());
        return;
      case LIST:
      case SET:
        this.list((elementType) => this.skip(elementType, depth + 1));
        return;
      case MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4, depth + 1);
          this.skipElement(types & 0x0f, depth + 1);
        }
        return;
      }
      case STRUCT:
        this.struct(() => false, depth + 1);
        return;
      default:
        throw new Error(`unknown field type ${type}`);
    }
  }

  /** An element of a list or map: as a field of its type, but a boolean takes a byte of its own. */
  private skipElement(type: number, depth: number): void {
    if (type === BOOLEAN_TRUE || type === BOOLEAN_FALSE) this.byte();
    else this.skip(type, depth);
  }

  private bytesOf(n: number): void {
    if (this.at + n > this.bytes.length) throw new ThriftEndsEarly('the Thrift bytes end early');
    this.at += n;
  }

  /** A binary field's bytes (a view). */
  binary(): Uint8Array {
    const n = this.varint();
    const from = this.at;
    this.bytesOf(n);
    return this.bytes.subarray(from, from + n);
  }

  /** A list's elements, each read by element (which must consume it); a boolean element is one byte. */
  list(element: (type: number) => void): void {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const type = header & 0x0f;
    for (let i = 0; i < size; i++) {
      if (type === BOOLEAN_TRUE || type === BOOLEAN_FALSE) this.byte();
      else element(type);
    }
  }

  /** A struct's fields: field(id, type) reads one and returns true, or returns false to have it skipped. */
  struct(field: (id: number, type: number) => boolean, depth: number): void {
    if (depth > MAX_DEPTH) throw new Error('the Thrift bytes nest too deep');
    let id = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return;
      const type = header & 0x0f;
      const delta = header >> 4;
      // A field id is a delta from the previous one, or (delta 0) an i16 of its own.
      id = delta !== 0 ? id + delta : this.int();
      if (!field(id, type)) this.skip(type, depth + 1);
    }
  }
}

/** A row group as the footer describes it: its rows, and where each column chunk's offset index is. */
export interface FooterRowGroup {
  rows: number;
  indexes: Array<{ offset: number; length: number } | undefined>;
}

/** The row groups of a footer (FileMetaData, compact Thrift). Throws when the bytes are not such a footer. */
export function footerRowGroups(footer: Uint8Array): FooterRowGroup[] {
  const r = new CompactReader(footer);
  const groups: FooterRowGroup[] = [];
  r.struct((id, type) => {
    if (id !== FILE_ROW_GROUPS || type !== LIST) return false;
    r.list((groupType) => {
      if (groupType !== STRUCT) throw new Error('a row group is not a struct');
      const group: FooterRowGroup = { rows: 0, indexes: [] };
      r.struct((groupField, fieldType) => {
        if (groupField === ROW_GROUP_NUM_ROWS && fieldType === I64) {
          group.rows = r.int();
          return true;
        }
        if (groupField !== ROW_GROUP_COLUMNS || fieldType !== LIST) return false;
        r.list((columnType) => {
          if (columnType !== STRUCT) throw new Error('a column chunk is not a struct');
          let offset: number | undefined;
          let length: number | undefined;
          r.struct((columnField, columnFieldType) => {
            if (columnField === COLUMN_OFFSET_INDEX_OFFSET && columnFieldType === I64) offset = r.int();
            else if (columnField === COLUMN_OFFSET_INDEX_LENGTH && columnFieldType === I32) length = r.int();
            else return false;
            return true;
          }, 3);
          group.indexes.push(offset !== undefined && length !== undefined && offset >= 0 && length > 0 ? { offset, length } : undefined);
        });
        return true;
      }, 1);
      groups.push(group);
    });
    return true;
  }, 0);
  return groups;
}

/**
 * Whether an offset index (OffsetIndex, compact Thrift) can be trusted for a row group of `rows` rows: its pages
 * start at row 0, then at increasing rows within the group, and at increasing file offsets.
 */
export function usableOffsetIndex(bytes: Uint8Array, rows: number): boolean {
  const r = new CompactReader(bytes);
  const firsts: number[] = [];
  const offsets: number[] = [];
  try {
    r.struct((id, type) => {
      if (id !== OFFSET_INDEX_PAGE_LOCATIONS || type !== LIST) return false;
      r.list((locationType) => {
        if (locationType !== STRUCT) throw new Error('a page location is not a struct');
        let offset = NaN;
        let first = NaN;
        r.struct((field, fieldType) => {
          if (field === PAGE_LOCATION_OFFSET && fieldType === I64) offset = r.int();
          else if (field === PAGE_LOCATION_FIRST_ROW && fieldType === I64) first = r.int();
          else return false;
          return true;
        }, 2);
        offsets.push(offset);
        firsts.push(first);
      });
      return true;
    }, 0);
  } catch {
    return false;
  }
  if (firsts.length === 0 || firsts[0] !== 0) return false;
  for (let i = 1; i < firsts.length; i++) {
    if (!(firsts[i] > firsts[i - 1] && firsts[i] < rows && offsets[i] > offsets[i - 1])) return false;
  }
  return offsets[0] >= 0;
}

/**
 * The rows of each row group of a local Parquet file, and whether every one of its column chunks has a usable
 * offset index (usableOffsetIndex): the footer is read from the file's end (its length in the 4 bytes before the
 * closing magic), then each index. Undefined when the footer cannot be read or parsed (the decoder then says what
 * is wrong).
 */
export function readRowGroups(file: string): { rows: number[]; indexed: boolean[] } | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const read = (at: number, length: number): Buffer => readFully(fd!, Buffer.alloc(length), at);
    const groups = footerRowGroups(readFooter(fd, size));
    return {
      rows: groups.map((group) => group.rows),
      indexed: groups.map(
        (group) =>
          group.indexes.length > 0 &&
          group.indexes.every((index) => index !== undefined && index.offset + index.length <= size && usableOffsetIndex(read(index.offset, index.length), group.rows)),
      ),
    };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Fills into with the file's bytes from position on; throws at the end of the file. Returns into. */
export function readFully<T extends Uint8Array>(fd: number, into: T, position: number): T {
  for (let at = 0; at < into.length; ) {
    const n = fs.readSync(fd, into, at, into.length - at, position + at);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + at}`);
    at += n;
  }
  return into;
}

/**
 * The footer (FileMetaData) of a Parquet file of size bytes: its length is in the 4 bytes before the closing magic.
 * Throws when the file is too short or does not end with PAR1, or the length does not fit.
 */
export function readFooter(fd: number, size: number): Buffer {
  if (size < 12) throw new Error('the file is too short for Parquet');
  const tail = readFully(fd, Buffer.alloc(8), size - 8);
  const length = tail.readUInt32LE(0);
  if (tail.toString('latin1', 4) !== 'PAR1' || length > size - 12) throw new Error('the file has no Parquet footer');
  return readFully(fd, Buffer.allocUnsafe(length), size - 8 - length);
}

/** readRowGroups's offset indexes alone. */
export function readOffsetIndexedRowGroups(file: string): boolean[] | undefined {
  return readRowGroups(file)?.indexed;
}
