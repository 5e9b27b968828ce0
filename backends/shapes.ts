import { formatShape, ShapeError } from '../errors/index.js';
import type { Convolution, MatmulOptions, Shape } from './types.js';

/** Number of elements of a tensor of `shape`. */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis] as number;
  }
  return strides;
}

/** Checks that `shape` holds non-negative integers. */
export function checkShape(shape: Shape, where: string): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(`${where}: expected a shape of non-negative integers, got ${formatShape(shape)}`);
    }
  }
}

/** The numpy broadcast of two shapes; throws a ShapeError naming both when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape, where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${where}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Checks that `shape` has as many elements as `from`. */
export function checkReshape(from: Shape, shape: Shape): void {
  checkShape(shape, 'reshape');
  if (sizeOf(from) !== sizeOf(shape)) {
    throw new ShapeError(
      `reshape: cannot reshape ${formatShape(from)} (${sizeOf(from)} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
}

/** Resolves a possibly negative `axis` of a tensor of rank `rank`, or throws. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || resolved < 0 || resolved >= rank) {
    throw new ShapeError(`${where}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return resolved;
}

/** Shape after reducing `axis` of `shape` (all axes when `axis` is undefined). */
export function reducedShape(shape: Shape, axis: number | undefined, keepDims: boolean): number[] {
  if (axis === undefined) return keepDims ? shape.map(() => 1) : [];
  return keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Checks a reduction that has no identity element (max/min) is not over an empty axis. */
export function checkNonEmptyReduction(shape: Shape, axis: number | undefined, where: string): void {
  const length = axis === undefined ? sizeOf(shape) : (shape[axis] as number);
  if (length === 0) throw new ShapeError(`${where}: cannot reduce an empty axis of ${formatShape(shape)}`);
}

/** The dimensions `m, k, n` of `op(a)·op(b)`, or a ShapeError. */
export function matmulDims(a: Shape, b: Shape, options: MatmulOptions = {}): { m: number; k: number; n: number } {
  if (a.length !== 2 || b.length !== 2) {
    throw new ShapeError(`matmul: expected two matrices, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const [a0, a1] = a as [number, number];
  const [b0, b1] = b as [number, number];
  const [m, ka] = options.transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = options.transposeB ? [b1, b0] : [b0, b1];
  if (ka !== kb) {
    const describe = (s: Shape, t?: boolean) => `${formatShape(s)}${t ? 'ᵀ' : ''}`;
    throw new ShapeError(
      `matmul: inner sizes differ: ${describe(a, options.transposeA)} · ${describe(b, options.transposeB)} (${ka} vs ${kb})`,
    );
  }
  return { m, k: ka, n };
}

/** Resolves `size` entries of -1 and checks the block lies inside `shape`. */
export function sliceSize(shape: Shape, begin: readonly number[], size: readonly number[]): number[] {
  if (begin.length !== shape.length || size.length !== shape.length) {
    throw new ShapeError(
      `slice: begin ${formatShape(begin)} and size ${formatShape(size)} must each have one entry per axis of ${formatShape(shape)}`,
    );
  }
  return shape.map((dim, axis) => {
    const start = begin[axis] as number;
    const length = size[axis] === -1 ? dim - start : (size[axis] as number);
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > dim) {
      throw new ShapeError(
        `slice: block begin ${formatShape(begin)} size ${formatShape(size)} lies outside ${formatShape(shape)} (axis ${axis})`,
      );
    }
    return length;
  });
}

/** Shape of concatenating `shapes` along `axis`, or a ShapeError. */
export function concatShape(shapes: readonly Shape[], axis: number): number[] {
  const first = shapes[0];
  if (first === undefined) throw new ShapeError('concat: expected at least one tensor');
  const resolved = normalizeAxis(axis, first.length, 'concat');
  const out = [...first];
  out[resolved] = 0;
  for (const [index, shape] of shapes.entries()) {
    const agrees = shape.length === first.length && shape.every((d, i) => i === resolved || d === first[i]);
    if (!agrees) {
      throw new ShapeError(
        `concat: tensor ${index} has shape ${formatShape(shape)}, which does not match ${formatShape(first)} outside axis ${resolved}`,
      );
    }
    out[resolved] = (out[resolved] as number) + (shape[resolved] as number);
  }
  return out;
}

/** Checks gather indices are integers within `[0, rows)`. */
export function checkGatherIndices(indices: ArrayLike<number>, shape: Shape): void {
  if (shape.length === 0) throw new ShapeError('gather: cannot gather rows of a scalar');
  const rows = shape[0] as number;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (!Number.isInteger(index) || index < 0 || index >= rows) {
      throw new ShapeError(`gather: index ${index} at position ${i} is outside [0, ${rows}) for ${formatShape(shape)}`);
    }
  }
}

/** Checks that `values` fills `shape` exactly. */
export function checkValues(values: ArrayLike<number>, shape: Shape): void {
  checkShape(shape, 'tensor');
  if (values.length !== sizeOf(shape)) {
    throw new ShapeError(
      `tensor: ${values.length} values cannot fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
}

/** Every size of a 2-D convolution (see `Backend.conv2d`). */
export interface ConvolutionDims extends Convolution {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly numFilters: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

/** The output size along one axis, or a ShapeError when the kernel does not fit. */
function convolvedSize(size: number, kernel: number, { stride, padding }: Convolution, where: string): number {
  if (!Number.isInteger(stride) || stride < 1 || !Number.isInteger(padding) || padding < 0) {
    throw new ShapeError(
      `${where}: expected an integer stride ≥ 1 and padding ≥ 0, got stride ${stride}, padding ${padding}`,
    );
  }
  if (kernel > size + 2 * padding) {
    throw new ShapeError(`${where}: a kernel of ${kernel} does not fit ${size} pixels with padding ${padding}`);
  }
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Checks a rank-4 shape. */
function checkRank4(shape: Shape, what: string, where: string): [number, number, number, number] {
  if (shape.length !== 4) throw new ShapeError(`${where}: expected ${what} of rank 4, got ${formatShape(shape)}`);
  return shape as [number, number, number, number];
}

/**
 * The sizes of `conv2d(images, filters)`, or a ShapeError naming the operands.
 * @param images - (batch, channels, height, width) @param filters - (numFilters, channels, kh, kw)
 */
export function convolutionDims(
  images: Shape,
  filters: Shape,
  convolution: Convolution,
  where: string,
): ConvolutionDims {
  const [batch, channels, height, width] = checkRank4(images, 'images (batch, channels, height, width)', where);
  const [numFilters, filterChannels, kernelHeight, kernelWidth] = checkRank4(
    filters,
    'filters (numFilters, channels, height, width)',
    where,
  );
  if (filterChannels !== channels) {
    throw new ShapeError(
      `${where}: images ${formatShape(images)} have ${channels} channels, filters ${formatShape(filters)} ${filterChannels}`,
    );
  }
  return {
    batch,
    channels,
    height,
    width,
    numFilters,
    kernelHeight,
    kernelWidth,
    outHeight: convolvedSize(height, kernelHeight, convolution, where),
    outWidth: convolvedSize(width, kernelWidth, convolution, where),
    stride: convolution.stride,
    padding: convolution.padding,
  };
}

/** Checks that `maps` is what `conv2d` gives for these sizes. @param maps - (batch, numFilters, outHeight, outWidth) */
export function checkConvolvedMaps(maps: Shape, dims: ConvolutionDims, where: string): void {
  const expected = [dims.batch, dims.numFilters, dims.outHeight, dims.outWidth];
  if (formatShape(maps) !== formatShape(expected)) {
    throw new ShapeError(`${where}: expected maps of shape ${formatShape(expected)}, got ${formatShape(maps)}`);
  }
}

/**
 * The sizes of `conv2dTranspose(maps, filters, imageSize)`, or a ShapeError.
 * @param maps - (batch, numFilters, outHeight, outWidth) @param filters - (numFilters, channels, kh, kw)
 */
export function transposedConvolutionDims(
  maps: Shape,
  filters: Shape,
  [height, width]: readonly [number, number],
  convolution: Convolution,
  where: string,
): ConvolutionDims {
  const [batch] = checkRank4(maps, 'maps (batch, numFilters, height, width)', where);
  const [, channels] = checkRank4(filters, 'filters (numFilters, channels, height, width)', where);
  const dims = convolutionDims([batch, channels, height, width], filters, convolution, where);
  checkConvolvedMaps(maps, dims, where);
  return dims;
}

/**
 * The sizes of `conv2dFilterProducts(images, maps, kernelSize)`, or a ShapeError.
 * @param images - (batch, channels, height, width) @param maps - (batch, numFilters, outHeight, outWidth)
 */
export function filterProductDims(
  images: Shape,
  maps: Shape,
  [kernelHeight, kernelWidth]: readonly [number, number],
  convolution: Convolution,
  where: string,
): ConvolutionDims {
  const [, channels] = checkRank4(images, 'images (batch, channels, height, width)', where);
  const [, numFilters] = checkRank4(maps, 'maps (batch, numFilters, height, width)', where);
  const dims = convolutionDims(images, [numFilters, channels, kernelHeight, kernelWidth], convolution, where);
  checkConvolvedMaps(maps, dims, where);
  return dims;
}
