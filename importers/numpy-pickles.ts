/**
 * The numpy globals a pickle of numeric arrays names, as whitelist entries that build
 * {@link HostArray}s: `_reconstruct` + `ndarray.__setstate__`, `dtype`, `scalar`, and
 * protocol 5's `_frombuffer`. Object arrays and structured dtypes are refused.
 * @packageDocumentation
 */

import { DataError } from '../errors/index.js';
import { decodeElements, type ElementType, elementCount, elementType, gatherStrided, HostArray } from './host-array.js';
import {
  atSite,
  describeValue,
  latin1Encode,
  PickleObject,
  type PickleSite,
  type PickleValue,
  PythonGlobal,
  unexpected,
} from './pickle-values.js';
import type { WhitelistEntry } from './unpickle.js';

/** A numpy dtype: its element type once BUILD has given the byte order. */
export class NumpyDtype extends PickleObject {
  private littleEndian = true;

  constructor(
    private readonly kind: string,
    private readonly size: number,
  ) {
    super();
  }

  describe(): string {
    return `numpy.dtype('${this.kind}${this.size}')`;
  }

  /** `(version, byteorder, subarray, names, fields, elsize, alignment, flags)`. */
  override setState(state: PickleValue, site: PickleSite): void {
    if (!Array.isArray(state) || state.length < 5) unexpected(site, 'the state tuple of a numpy.dtype', state);
    const [, byteOrder, subarray, names] = state;
    if (subarray !== null || names !== null) {
      throw new DataError(atSite(site, `expected a plain numeric numpy dtype, found a structured or sub-array dtype`));
    }
    if (byteOrder !== '<' && byteOrder !== '>' && byteOrder !== '|' && byteOrder !== '=') {
      unexpected(site, "a numpy byte order ('<', '>', '|' or '=')", byteOrder);
    }
    this.littleEndian = byteOrder !== '>';
  }

  elementType(site: PickleSite): ElementType {
    return elementType(this.kind, this.size, this.littleEndian, site);
  }
}

/** A numpy array made by `_reconstruct`, empty until BUILD gives it `ndarray.__setstate__`'s state. */
export class NumpyArray extends PickleObject {
  array: HostArray | undefined;

  describe(): string {
    return this.array?.describe() ?? 'numpy.ndarray (no state yet)';
  }

  /** `(version, shape, dtype, is_fortran, rawdata)`, or the same without the version. */
  override setState(state: PickleValue, site: PickleSite): void {
    if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) {
      unexpected(site, 'the state tuple of a numpy.ndarray (version, shape, dtype, is_fortran, data)', state);
    }
    const [shape, dtype, isFortran, raw] = state.length === 5 ? state.slice(1) : state;
    this.array = arrayFrom(raw, dtype, shape, isFortran === true ? 'F' : 'C', site);
  }
}

function bytesOf(raw: PickleValue | undefined, site: PickleSite): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  // Protocol 2 from Python 2 stores the data as a byte string, read here as latin-1 text.
  const bytes = typeof raw === 'string' ? latin1Encode(raw) : undefined;
  return bytes ?? unexpected(site, "a numpy array's raw data (bytes); object arrays are not read", raw);
}

function shapeOf(shape: PickleValue | undefined, site: PickleSite): number[] {
  if (!Array.isArray(shape) || shape.some((size) => typeof size !== 'number')) {
    unexpected(site, 'an array shape (a tuple of ints)', shape);
  }
  return shape as number[];
}

/** A C- or Fortran-ordered array from its raw bytes, in row-major order. */
function arrayFrom(
  raw: PickleValue | undefined,
  dtype: PickleValue | undefined,
  shapeValue: PickleValue | undefined,
  order: 'C' | 'F',
  site: PickleSite,
): HostArray {
  if (!(dtype instanceof NumpyDtype)) unexpected(site, 'a numpy.dtype', dtype);
  const shape = shapeOf(shapeValue, site);
  const type = dtype.elementType(site);
  const stored = decodeElements(bytesOf(raw, site), type, elementCount(shape, site), site);
  const values = order === 'C' ? stored : gatherStrided(stored, shape, columnMajorStrides(shape), 0, site);
  return new HostArray('numpy.ndarray', type, shape, values);
}

/** The strides (in elements) of a column-major array: 1, shape[0], shape[0]·shape[1], … */
function columnMajorStrides(shape: readonly number[]): number[] {
  let stride = 1;
  return shape.map((size) => {
    const current = stride;
    stride *= size;
    return current;
  });
}

/** `numpy.dtype(obj, align, copy)` with obj a type string such as `'f8'` or `'<i4'`. */
function makeDtype(args: readonly PickleValue[], site: PickleSite): NumpyDtype {
  const match = typeof args[0] === 'string' ? /^[<>|=]?([a-zA-Z])(\d+)$/.exec(args[0]) : null;
  if (match === null) unexpected(site, "numpy.dtype's type string (like 'f8')", args[0]);
  return new NumpyDtype(match[1] as string, Number(match[2]));
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: one number. */
function makeScalar(args: readonly PickleValue[], site: PickleSite): number {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDtype)) unexpected(site, 'a numpy.dtype', dtype);
  return decodeElements(bytesOf(raw, site), dtype.elementType(site), 1, site)[0] as number;
}

/** `_reconstruct(ndarray, (0,), b'b')`: an array waiting for its state. */
function reconstruct(args: readonly PickleValue[], site: PickleSite): NumpyArray {
  const [cls] = args;
  if (!(cls instanceof PythonGlobal) || cls.qualifiedName !== 'numpy.ndarray') {
    unexpected(site, '_reconstruct of numpy.ndarray', cls);
  }
  return new NumpyArray();
}

/** `_frombuffer(buffer, dtype, shape, order)` (protocol 5). */
function fromBuffer(args: readonly PickleValue[], site: PickleSite): HostArray {
  const [buffer, dtype, shape, order] = args;
  if (order !== 'C' && order !== 'F') unexpected(site, "_frombuffer's order ('C' or 'F')", order);
  return arrayFrom(buffer, dtype, shape, order, site);
}

/** The numeric scalar types a pickle may name (as a dtype), never call. */
const SCALAR_TYPES = [
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool_',
  'ndarray',
];

/** The whitelist entries of numpy (both `numpy.core` and numpy 2's `numpy._core`). */
export function numpyWhitelist(): [string, WhitelistEntry][] {
  const entries: [string, WhitelistEntry][] = [['numpy.dtype', { call: makeDtype }]];
  for (const core of ['numpy.core', 'numpy._core']) {
    entries.push(
      [`${core}.multiarray._reconstruct`, { call: reconstruct }],
      [`${core}.multiarray.scalar`, { call: makeScalar }],
      [`${core}.numeric._frombuffer`, { call: fromBuffer }],
    );
  }
  for (const name of SCALAR_TYPES) entries.push([`numpy.${name}`, {}]);
  return entries;
}

/** A pickled numeric array as a {@link HostArray}. @param what - names it in messages */
export function asHostArray(value: PickleValue | undefined, what: string, where: string): HostArray {
  const array = value instanceof NumpyArray ? value.array : value;
  if (array instanceof HostArray) return array;
  throw new DataError(`${where}: ${what}: expected a numeric array, found ${describeValue(value)}`);
}
