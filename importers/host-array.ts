/**
 * Arrays read from numpy and torch pickles, as float64 values on the host in row-major order.
 * @packageDocumentation
 */

import { DataError, formatShape } from '../errors/index.js';
import { atSite, PickleObject, type PickleSite } from './pickle-values.js';

/** A numeric element type: numpy's kind letter (`f` float, `i` signed, `u` unsigned, `b` bool) and size in bytes. */
export interface ElementType {
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly size: number;
  readonly littleEndian: boolean;
}

/** `float64`, `int32`, `bool`: numpy's name of an element type. */
export function elementTypeName({ kind, size }: ElementType): string {
  if (kind === 'b') return 'bool';
  return `${{ f: 'float', i: 'int', u: 'uint' }[kind]}${8 * size}`;
}

/** The element sizes each kind is read in. */
const SIZES: Readonly<Record<ElementType['kind'], readonly number[]>> = {
  f: [4, 8],
  i: [1, 2, 4, 8],
  u: [1, 2, 4, 8],
  b: [1],
};

/** An element type by kind and size. @throws DataError for a type not read */
export function elementType(kind: string, size: number, littleEndian: boolean, site: PickleSite): ElementType {
  if (!(kind in SIZES) || !SIZES[kind as ElementType['kind']].includes(size)) {
    throw new DataError(
      atSite(site, `expected an array of float32/64, (u)int8–64 or bool elements, found numpy type '${kind}${size}'`),
    );
  }
  return { kind: kind as ElementType['kind'], size, littleEndian };
}

/** Reads `count` elements of `type` from `raw`. @throws DataError when `raw` has another length */
export function decodeElements(raw: Uint8Array, type: ElementType, count: number, site: PickleSite): Float64Array {
  if (raw.length !== count * type.size) {
    throw new DataError(
      atSite(
        site,
        `expected ${count} ${elementTypeName(type)} elements (${count * type.size} bytes), found ${raw.length} bytes`,
      ),
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const out = new Float64Array(count);
  const { kind, size, littleEndian } = type;
  for (let i = 0; i < count; i++) {
    const at = i * size;
    if (kind === 'f') out[i] = size === 4 ? view.getFloat32(at, littleEndian) : view.getFloat64(at, littleEndian);
    else if (kind === 'b') out[i] = view.getUint8(at) === 0 ? 0 : 1;
    else if (size === 8)
      out[i] = Number(kind === 'i' ? view.getBigInt64(at, littleEndian) : view.getBigUint64(at, littleEndian));
    else if (size === 4) out[i] = kind === 'i' ? view.getInt32(at, littleEndian) : view.getUint32(at, littleEndian);
    else if (size === 2) out[i] = kind === 'i' ? view.getInt16(at, littleEndian) : view.getUint16(at, littleEndian);
    else out[i] = kind === 'i' ? view.getInt8(at) : view.getUint8(at);
  }
  return out;
}

/** The number of elements of `shape`. @throws DataError for a shape that is not a list of sizes */
export function elementCount(shape: readonly number[], site: PickleSite): number {
  let count = 1;
  for (const size of shape) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new DataError(atSite(site, `expected an array shape of non-negative sizes, found ${formatShape(shape)}`));
    }
    count *= size;
  }
  if (!Number.isSafeInteger(count)) throw new DataError(atSite(site, `array shape ${formatShape(shape)} is too large`));
  return count;
}

/**
 * A numeric array read from a pickle: its element type as saved, its shape, and its values
 * as float64 in row-major order.
 */
export class HostArray extends PickleObject {
  constructor(
    /** `numpy.ndarray` or `torch.Tensor`. */
    readonly origin: string,
    readonly elementType: ElementType,
    readonly shape: readonly number[],
    /** (product of shape) values in row-major order. */
    readonly values: Float64Array,
  ) {
    super();
  }

  describe(): string {
    return `${this.origin} ${elementTypeName(this.elementType)} ${formatShape(this.shape)}`;
  }
}

/**
 * The row-major values of an array stored with `strides` (in elements) from `offset` in `source`.
 * @throws DataError when an element would lie outside `source`
 */
export function gatherStrided(
  source: Float64Array,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  site: PickleSite,
): Float64Array {
  const count = elementCount(shape, site);
  if (strides.length !== shape.length || strides.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new DataError(
      atSite(
        site,
        `expected ${shape.length} non-negative strides for shape ${formatShape(shape)}, found ${formatShape(strides)}`,
      ),
    );
  }
  if (count === 0) return new Float64Array(0);
  if (count > source.length) {
    throw new DataError(
      atSite(
        site,
        `array ${formatShape(shape)} has ${count} elements, more than the ${source.length} stored; expected a view no larger than its storage`,
      ),
    );
  }
  const last = offset + shape.reduce((sum, size, i) => sum + (size - 1) * (strides[i] as number), 0);
  if (!Number.isSafeInteger(offset) || offset < 0 || last >= source.length) {
    throw new DataError(
      atSite(
        site,
        `array ${formatShape(shape)} with strides ${formatShape(strides)} from element ${offset} needs ${last + 1} stored elements, found ${source.length}`,
      ),
    );
  }
  const out = new Float64Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += (index[d] as number) * (strides[d] as number);
    out[i] = source[at] as number;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
