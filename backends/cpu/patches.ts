import type { ConvolutionDims } from '../shapes.js';

/** The image index (in one image of channels·height·width) each patch entry reads, −1 in the padding. */
const patchIndexCache = new Map<string, Int32Array>();

/**
 * For one image, the index of the pixel under each entry of each output position's patch:
 * (outHeight·outWidth, channels·kh·kw) in row-major order, −1 where the patch covers padding.
 */
function patchIndices(d: ConvolutionDims): Int32Array {
  const key = [d.channels, d.height, d.width, d.kernelHeight, d.kernelWidth, d.stride, d.padding].join(',');
  const cached = patchIndexCache.get(key);
  if (cached) return cached;
  const { channels, height, width, kernelHeight, kernelWidth, outHeight, outWidth, stride, padding } = d;
  const indices = new Int32Array(outHeight * outWidth * channels * kernelHeight * kernelWidth);
  let entry = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < kernelHeight; i++) {
          const row = y * stride + i - padding;
          for (let j = 0; j < kernelWidth; j++) {
            const column = x * stride + j - padding;
            const inside = row >= 0 && row < height && column >= 0 && column < width;
            indices[entry++] = inside ? (c * height + row) * width + column : -1;
          }
        }
      }
    }
  }
  if (patchIndexCache.size > 64) patchIndexCache.clear();
  patchIndexCache.set(key, indices);
  return indices;
}

/**
 * im2col: every output position's patch as one row, zero in the padding.
 * @param images - (batch, channels, height, width) @returns (batch·outHeight·outWidth, channels·kh·kw)
 */
export function patchRows(images: Float32Array, d: ConvolutionDims): Float32Array {
  const indices = patchIndices(d);
  const imageSize = d.channels * d.height * d.width;
  const out = new Float32Array(d.batch * indices.length);
  for (let b = 0; b < d.batch; b++) {
    const [image, rows] = [b * imageSize, b * indices.length];
    for (let e = 0; e < indices.length; e++) {
      const index = indices[e] as number;
      if (index >= 0) out[rows + e] = images[image + index] as number;
    }
  }
  return out;
}

/**
 * col2im: the transpose of {@link patchRows}, adding each patch entry onto the pixel it was read from.
 * @param rows - (batch·outHeight·outWidth, channels·kh·kw) @returns (batch, channels, height, width)
 */
export function addPatchRows(rows: Float32Array, d: ConvolutionDims): Float32Array {
  const indices = patchIndices(d);
  const imageSize = d.channels * d.height * d.width;
  const out = new Float32Array(d.batch * imageSize);
  for (let b = 0; b < d.batch; b++) {
    const [image, patches] = [b * imageSize, b * indices.length];
    for (let e = 0; e < indices.length; e++) {
      const index = indices[e] as number;
      if (index >= 0) out[image + index] = (out[image + index] as number) + (rows[patches + e] as number);
    }
  }
  return out;
}

/**
 * Swaps the two inner axes of each of `outer` blocks: (outer, rows, columns) → (outer, columns, rows).
 * @param source - (outer, rows, columns) row-major
 */
export function swapInnerAxes(source: Float32Array, outer: number, rows: number, columns: number): Float32Array {
  const out = new Float32Array(source.length);
  const block = rows * columns;
  for (let o = 0; o < outer; o++) {
    const base = o * block;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) out[base + c * rows + r] = source[base + r * columns + c] as number;
    }
  }
  return out;
}
