/**
 * NumPy `.npy` files (format 1.0–3.0) of one or two dimensions, C order, with little-endian
 * float32/float64, int8/16/32/64, uint8/16/32 or bool values.
 */
import type { HostMatrix } from 'relief/batch';
import { DataError } from 'relief/errors';
import { readBytes } from './files.js';

const READERS: Record<string, { bytes: number; read: (v: DataView, o: number) => number }> = {
  '<f4': { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  '|i1': { bytes: 1, read: (v, o) => v.getInt8(o) },
  '|u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '|b1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '<i2': { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  '<u2': { bytes: 2, read: (v, o) => v.getUint16(o, true) },
  '<i4': { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  '<u4': { bytes: 4, read: (v, o) => v.getUint32(o, true) },
  '<i8': { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
};

/**
 * Decodes `.npy` bytes into a matrix ((n) becomes (n, 1)).
 * @throws DataError for a bad magic, an unsupported dtype, Fortran order, more than two
 *   dimensions, a size that does not match the shape, or NaN/Inf values
 */
export function decodeNpy(bytes: Uint8Array, where: string): HostMatrix {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new DataError(`${where}: not a .npy file (bad magic)`);
  const major = bytes[6] as number;
  if (bytes.length < (major === 1 ? 10 : 12)) {
    throw new DataError(`${where}: ${bytes.length} bytes is too short for a .npy header (truncated file?)`);
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw new DataError(`${where}: malformed .npy header ${JSON.stringify(header)}`);
  const reader = READERS[descr];
  if (!reader) throw new DataError(`${where}: dtype '${descr}' is not supported (use float32, float64 or integers)`);
  if (fortran === 'True')
    throw new DataError(`${where}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length === 0 || shape.length > 2)
    throw new DataError(`${where}: expected 1 or 2 dimensions, got shape (${shapeText})`);
  const [rows = 0, columns = 1] = shape;
  const dataStart = headerStart + headerLength;
  const expected = dataStart + rows * columns * reader.bytes;
  if (bytes.length !== expected) {
    throw new DataError(
      `${where}: shape (${shapeText}) of ${descr} needs ${expected} bytes, the file has ${bytes.length}`,
    );
  }
  const values = new Float32Array(rows * columns);
  for (let i = 0; i < values.length; i++) {
    const value = reader.read(view, dataStart + i * reader.bytes);
    if (!Number.isFinite(value)) {
      throw new DataError(`${where}: row ${Math.floor(i / columns)}, column ${i % columns} is ${value}`);
    }
    values[i] = value;
  }
  return { rows, columns, values };
}

/** Encodes a float32 matrix as `.npy` (version 1.0). */
export function encodeNpy({ rows, columns, values }: HostMatrix): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const bytes = new Uint8Array(10 + header.length + values.length * 4);
  bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(new TextEncoder().encode(header), 10);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setFloat32(10 + header.length + 4 * i, v, true);
  });
  return bytes;
}

/** Reads a `.npy` file. @throws DataError when missing or malformed */
export function readNpy(path: string): HostMatrix {
  return decodeNpy(readBytes(path), path);
}
