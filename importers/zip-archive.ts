/**
 * A reader of zip archives' central directory (with zip64 records), enough for the archives
 * `torch.save` writes: entries stored uncompressed, or deflated by other writers. Every offset
 * and size is checked against the file, so a corrupt archive is a `DataError`.
 * @packageDocumentation
 */

import { inflateRawSync } from 'node:zlib';
import { DataError } from '../errors/index.js';

/** One file of an archive. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The largest deflated entry inflated, in bytes (512 MiB). */
const MAX_INFLATED_BYTES = 2 ** 29;
/** The end-of-directory record's fixed size and the longest comment after it. */
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/** A bounds-checked little-endian view of the archive. */
class Reader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.bytes.length) {
      throw new DataError(
        `${this.where}: corrupt zip archive: ${what} at byte ${offset} needs ${length} bytes, but the file has ${this.bytes.length}`,
      );
    }
  }

  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DataError(`${this.where}: corrupt zip archive: ${what} at byte ${offset} is ${value}`);
    }
    return Number(value);
  }

  expectSignature(offset: number, signature: number, what: string): void {
    const found = this.u32(offset, what);
    if (found !== signature) {
      throw new DataError(
        `${this.where}: corrupt zip archive: expected the ${what} signature 0x${signature.toString(16)} at byte ${offset}, found 0x${found.toString(16)}`,
      );
    }
  }
}

/** Where the central directory is and how many entries it has. */
function findDirectory(reader: Reader, where: string): { offset: number; count: number } {
  const { bytes } = reader;
  const lowest = Math.max(0, bytes.length - END_RECORD_BYTES - MAX_COMMENT_BYTES);
  let end = -1;
  for (let at = bytes.length - END_RECORD_BYTES; at >= lowest; at--) {
    if (reader.u32(at, 'end of central directory') === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0)
    throw new DataError(`${where}: expected a zip archive (as torch.save writes), found no end of central directory`);
  const count = reader.u16(end + 10, 'entry count');
  const offset = reader.u32(end + 16, 'central directory offset');
  if (count !== 0xffff && offset !== 0xffffffff) return { offset, count };
  const locator = end - 20;
  reader.expectSignature(locator, ZIP64_LOCATOR, 'zip64 end of central directory locator');
  const record = reader.u64(locator + 8, 'zip64 end of central directory offset');
  reader.expectSignature(record, ZIP64_END_OF_DIRECTORY, 'zip64 end of central directory');
  return {
    count: reader.u64(record + 32, 'zip64 entry count'),
    offset: reader.u64(record + 48, 'zip64 directory offset'),
  };
}

/** The zip64 extra field's values for the fields that are 0xffffffff in the entry. */
function zip64Sizes(
  reader: Reader,
  extraStart: number,
  extraLength: number,
  fields: { size: number; compressedSize: number; localHeaderOffset: number },
): typeof fields {
  let at = extraStart;
  while (at + 4 <= extraStart + extraLength) {
    const id = reader.u16(at, 'extra field id');
    const length = reader.u16(at + 2, 'extra field length');
    if (id === 0x0001) {
      let field = at + 4;
      const next = (value: number, what: string) => {
        if (value !== 0xffffffff) return value;
        const read = reader.u64(field, what);
        field += 8;
        return read;
      };
      const size = next(fields.size, 'zip64 size');
      const compressedSize = next(fields.compressedSize, 'zip64 compressed size');
      return { size, compressedSize, localHeaderOffset: next(fields.localHeaderOffset, 'zip64 header offset') };
    }
    at += 4 + length;
  }
  return fields;
}

/**
 * The entries of a zip archive, from its central directory.
 * @param where - names the file in messages
 * @throws DataError for a file that is not a readable zip archive
 */
export function zipEntries(bytes: Uint8Array, where: string): ZipEntry[] {
  const reader = new Reader(bytes, where);
  const { offset, count } = findDirectory(reader, where);
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    reader.expectSignature(at, DIRECTORY_ENTRY, `central directory entry ${i}`);
    const nameLength = reader.u16(at + 28, 'name length');
    const extraLength = reader.u16(at + 30, 'extra length');
    const commentLength = reader.u16(at + 32, 'comment length');
    reader.check(at + 46, nameLength + extraLength + commentLength, `central directory entry ${i}`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const sizes = zip64Sizes(reader, at + 46 + nameLength, extraLength, {
      compressedSize: reader.u32(at + 20, 'compressed size'),
      size: reader.u32(at + 24, 'size'),
      localHeaderOffset: reader.u32(at + 42, 'local header offset'),
    });
    entries.push({ name, method: reader.u16(at + 10, 'compression method'), ...sizes });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The contents of one entry (stored or deflated).
 * @throws DataError for another compression method or a size that does not match
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, where: string): Uint8Array {
  const reader = new Reader(bytes, where);
  const header = entry.localHeaderOffset;
  reader.expectSignature(header, LOCAL_HEADER, `local header of ${entry.name}`);
  const start = header + 30 + reader.u16(header + 26, 'name length') + reader.u16(header + 28, 'extra length');
  reader.check(start, entry.compressedSize, `the data of ${entry.name}`);
  const stored = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) {
      throw new DataError(
        `${where}: corrupt zip archive: stored entry ${entry.name} has sizes ${entry.size} and ${entry.compressedSize}`,
      );
    }
    return stored;
  }
  if (entry.method !== 8) {
    throw new DataError(
      `${where}: ${entry.name}: expected a stored (0) or deflated (8) zip entry, found method ${entry.method}`,
    );
  }
  if (entry.size > MAX_INFLATED_BYTES) {
    throw new DataError(
      `${where}: ${entry.name}: expected at most ${MAX_INFLATED_BYTES} bytes inflated, found ${entry.size}`,
    );
  }
  try {
    const inflated = inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.size) });
    if (inflated.length !== entry.size) throw new Error(`${inflated.length} bytes`);
    return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
  } catch (error) {
    throw new DataError(
      `${where}: corrupt zip archive: ${entry.name} should inflate to ${entry.size} bytes: ${(error as Error).message}`,
    );
  }
}
