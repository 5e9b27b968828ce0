/**
 * The IDX format of the MNIST family: a 4-byte magic (two zero bytes, a type code, the
 * number of dimensions), one big-endian uint32 per dimension, then the values big-endian,
 * row-major. Files may be gzip-compressed. Reading validates the magic, the type and the
 * size against the dimensions.
 */
import { gunzipSync } from 'node:zlib';
import { DataError } from 'relief/errors';
import { readBytes } from './files.js';

/** The element types IDX can hold, by type code. */
const TYPES = {
  8: { name: 'uint8', bytes: 1, read: (v: DataView, o: number) => v.getUint8(o) },
  9: { name: 'int8', bytes: 1, read: (v: DataView, o: number) => v.getInt8(o) },
  11: { name: 'int16', bytes: 2, read: (v: DataView, o: number) => v.getInt16(o) },
  12: { name: 'int32', bytes: 4, read: (v: DataView, o: number) => v.getInt32(o) },
  13: { name: 'float32', bytes: 4, read: (v: DataView, o: number) => v.getFloat32(o) },
  14: { name: 'float64', bytes: 8, read: (v: DataView, o: number) => v.getFloat64(o) },
} as const;

/** A decoded IDX array. */
export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28]. */
  readonly dimensions: readonly number[];
  /** Row-major values. */
  readonly values: Float32Array;
}

/** Whether bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes IDX bytes (gzip or raw). `where` names the source in errors.
 * @throws DataError for a bad magic, an unknown type, or a size that does not match the dimensions
 */
export function decodeIdx(input: Uint8Array, where: string): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (cause) {
      throw new DataError(`${where}: corrupt gzip data (${(cause as Error).message})`, { cause });
    }
  }
  if (bytes.length < 4) throw new DataError(`${where}: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [zero0, zero1, typeCode, rank] = [bytes[0], bytes[1], bytes[2] as number, bytes[3] as number];
  const type = TYPES[typeCode as keyof typeof TYPES];
  if (zero0 !== 0 || zero1 !== 0 || !type) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${where}: bad IDX magic ${magic}; expected 00 00 <type 08|09|0b|0c|0d|0e> <dimensions>`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `${where}: truncated header: ${rank} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const dimensions = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dimensions.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    throw new DataError(
      `${where}: dimensions [${dimensions.join(', ')}] of ${type.name} need ${expected} bytes, the file has ${bytes.length}` +
        (bytes.length < expected ? ' (truncated?)' : ''),
    );
  }
  const values = new Float32Array(count);
  if (type.bytes === 1 && typeCode === 0x08) values.set(bytes.subarray(headerBytes));
  else for (let i = 0; i < count; i++) values[i] = type.read(view, headerBytes + i * type.bytes);
  return { dimensions, values };
}

/** Reads an IDX file (gzip or raw). @throws DataError when missing or corrupt */
export function readIdx(path: string): IdxArray {
  return decodeIdx(readBytes(path), path);
}

/** Encodes uint8 values as raw IDX (for tests and for writing small data sets). */
export function encodeIdx(dimensions: readonly number[], values: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * dimensions.length;
  const bytes = new Uint8Array(header + values.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = 0x08;
  bytes[3] = dimensions.length;
  dimensions.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  bytes.set(Uint8Array.from(values), header);
  return bytes;
}
