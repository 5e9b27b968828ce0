import type { ConvolutionDims } from '../shapes.js';

/**
 * The kernel columns of one output column that fall inside the image: taps j in [first, end)
 * read pixel x·stride + j − padding; the others lie in the padding.
 */
function insideColumns(x: number, d: ConvolutionDims): readonly [number, number] {
  const left = x * d.stride - d.padding;
  const first = Math.min(d.kernelWidth, Math.max(0, -left));
  return [first, Math.max(first, Math.min(d.kernelWidth, d.width - left))];
}

/**
 * im2col: every output position's patch as one row, zero in the padding. Each patch row is
 * (channels, kh, kw) row-major, and its kw taps read kw neighbouring pixels of one image row.
 * @param images - (batch, channels, height, width)
 * @param out - where to write (every entry is written); a new array by default
 * @returns (batch·outHeight·outWidth, channels·kh·kw)
 */
export function patchRows(
  images: Float32Array,
  d: ConvolutionDims,
  out: Float32Array = new Float32Array(
    d.batch * d.outHeight * d.outWidth * d.channels * d.kernelHeight * d.kernelWidth,
  ),
): Float32Array {
  const { batch, channels, height, width, kernelHeight, kernelWidth, outHeight, outWidth, stride, padding } = d;
  const imageSize = channels * height * width;
  let entry = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const [first, end] = insideColumns(x, d);
        const left = x * stride - padding;
        for (let c = 0; c < channels; c++) {
          for (let i = 0; i < kernelHeight; i++) {
            const row = y * stride + i - padding;
            if (row < 0 || row >= height) {
              out.fill(0, entry, entry + kernelWidth);
              entry += kernelWidth;
              continue;
            }
            const pixels = b * imageSize + (c * height + row) * width + left;
            for (let j = 0; j < first; j++) out[entry++] = 0;
            for (let j = first; j < end; j++) out[entry++] = images[pixels + j] as number;
            for (let j = end; j < kernelWidth; j++) out[entry++] = 0;
          }
        }
      }
    }
  }
  return out;
}

/**
 * col2im: the transpose of {@link patchRows}, adding each patch entry onto the pixel it was read from.
 * @param rows - (batch·outHeight·outWidth, channels·kh·kw)
 * @param out - where to write (every entry is written); a new array by default
 * @returns (batch, channels, height, width)
 */
export function addPatchRows(
  rows: Float32Array,
  d: ConvolutionDims,
  out: Float32Array = new Float32Array(d.batch * d.channels * d.height * d.width),
): Float32Array {
  const { batch, channels, height, width, kernelHeight, kernelWidth, outHeight, outWidth, stride, padding } = d;
  const imageSize = channels * height * width;
  out.fill(0, 0, batch * imageSize);
  let entry = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const [first, end] = insideColumns(x, d);
        const left = x * stride - padding;
        for (let c = 0; c < channels; c++) {
          for (let i = 0; i < kernelHeight; i++) {
            const row = y * stride + i - padding;
            if (row >= 0 && row < height) {
              const pixels = b * imageSize + (c * height + row) * width + left;
              for (let j = first; j < end; j++) {
                out[pixels + j] = (out[pixels + j] as number) + (rows[entry + j] as number);
              }
            }
            entry += kernelWidth;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Swaps the two inner axes of each of `outer` blocks: (outer, rows, columns) → (outer, columns, rows).
 * @param source - (outer, rows, columns) row-major
 * @param out - where to write (every entry is written); a new array by default
 */
export function swapInnerAxes(
  source: Float32Array,
  outer: number,
  rows: number,
  columns: number,
  out: Float32Array = new Float32Array(outer * rows * columns),
): Float32Array {
  const block = rows * columns;
  for (let o = 0; o < outer; o++) {
    const base = o * block;
    // Written in order; the reads stride by `columns`, which stays in cache for the few columns of a map.
    for (let c = 0; c < columns; c++) {
      let read = base + c;
      const end = base + (c + 1) * rows;
      for (let write = base + c * rows; write < end; write++) {
        out[write] = source[read] as number;
        read += columns;
      }
    }
  }
  return out;
}
