/**
 * The safetensors format (float32 only): an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype: 'F32', shape, data_offsets: [begin, end] }, __metadata__ }`, then
 * the raw little-endian data. Readable from Python with numpy or the `safetensors` package.
 * Decoding validates everything and names what is wrong.
 * @packageDocumentation
 */
import { DataError } from '../errors/index.js';

/** A float32 array with its shape. */
export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Largest header accepted when decoding (the format's own limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Encodes named float32 tensors (sorted by name, header padded to 8 bytes). */
export function encodeSafetensors(
  tensors: Readonly<Record<string, TensorData>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name] as TensorData;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    for (const value of (tensors[name] as TensorData).data) {
      view.setFloat32(position, value, true);
      position += 4;
    }
  }
  return bytes;
}

interface HeaderEntry {
  readonly name: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseEntry(name: string, entry: unknown, dataLength: number, where: string): HeaderEntry {
  const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  if (fields.dtype !== 'F32') {
    throw new DataError(
      `${where}: tensor '${name}' has dtype ${JSON.stringify(fields.dtype)}; expected "F32" (float32)`,
    );
  }
  const shape = fields.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new DataError(`${where}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  const offsets = fields.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw new DataError(`${where}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expectedBytes = 4 * shape.reduce((a: number, b: number) => a * b, 1);
  if (end < begin || end - begin !== expectedBytes) {
    throw new DataError(
      `${where}: tensor '${name}' spans bytes [${begin}, ${end}) but shape [${shape.join(', ')}] needs ${expectedBytes}`,
    );
  }
  if (end > dataLength) {
    throw new DataError(
      `${where}: tensor '${name}' ends at byte ${end} but the data has only ${dataLength} bytes (truncated file?)`,
    );
  }
  return { name, shape: shape as number[], begin, end };
}

/** The tensor names a file must hold, and the file that says so (for messages). */
export interface ExpectedTensors {
  readonly names: readonly string[];
  readonly describedBy: string;
}

/** Refuses a header whose names differ from the expected ones, before its byte layout is read. */
function checkNames(found: readonly string[], expected: ExpectedTensors, where: string): void {
  const missing = expected.names.filter((name) => !found.includes(name));
  if (missing.length > 0) {
    throw new DataError(
      `${where}: tensor${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} missing from the header (${expected.describedBy} needs ${missing.length > 1 ? 'them' : 'it'})`,
    );
  }
  const unexpected = found.filter((name) => !expected.names.includes(name));
  if (unexpected.length > 0) {
    throw new DataError(
      `${where}: has tensors that ${expected.describedBy} does not describe: ${unexpected.join(', ')}`,
    );
  }
}

/**
 * Decodes a safetensors file of float32 tensors. `where` (e.g. the path) prefixes errors.
 * @param expected - when given, the header must name exactly these tensors (checked first)
 * @throws DataError for a truncated file, a header length beyond the file, bad JSON, missing or
 *   unexpected names, a dtype other than F32, offsets that overlap, leave gaps or run past the data
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  where: string,
  expected?: ExpectedTensors,
): { tensors: Map<string, TensorData>; metadata: Record<string, string> } {
  if (bytes.length < 8) {
    throw new DataError(
      `${where}: file has ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(bytes.length - 8, MAX_HEADER_BYTES))) {
    throw new DataError(
      `${where}: header length ${headerLength} exceeds the ${bytes.length - 8} bytes after it (limit ${MAX_HEADER_BYTES})`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (cause) {
    throw new DataError(`${where}: header is not valid UTF-8 JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new DataError(`${where}: header must be a JSON object`);
  }
  const dataLength = bytes.length - dataStart;
  const { __metadata__: metadata = {}, ...entries } = header as Record<string, unknown>;
  if (expected) checkNames(Object.keys(entries), expected, where);
  const parsed = Object.entries(entries)
    .map(([name, entry]) => parseEntry(name, entry, dataLength, where))
    .sort((a, b) => a.begin - b.begin);
  let expectedBegin = 0;
  for (const entry of parsed) {
    if (entry.begin !== expectedBegin) {
      throw new DataError(
        `${where}: tensor '${entry.name}' starts at byte ${entry.begin}, expected ${expectedBegin} (overlap or gap)`,
      );
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    throw new DataError(`${where}: the tensors cover ${expectedBegin} bytes but the data has ${dataLength}`);
  }
  const tensors = new Map<string, TensorData>();
  for (const { name, shape, begin, end } of parsed) {
    const data = new Float32Array((end - begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata: metadata as Record<string, string> };
}
