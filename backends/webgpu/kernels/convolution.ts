/**
 * Direct 2-D convolutions (cross-correlation, NCHW): one thread per output value for conv2d
 * and its transpose (each sums its taps in a fixed order), a workgroup per output for the
 * filter products. Uniforms: [count, batch, channels, height, width, numFilters,
 * kernelHeight, kernelWidth, outHeight, outWidth, stride, padding].
 */
import { bindings, linearMain, PRELUDE } from './common.js';

const DIMS = /* wgsl */ `
  let batch = param(1u);
  let channels = param(2u);
  let height = i32(param(3u));
  let width = i32(param(4u));
  let numFilters = param(5u);
  let kernelHeight = param(6u);
  let kernelWidth = param(7u);
  let outHeight = param(8u);
  let outWidth = param(9u);
  let stride = i32(param(10u));
  let padding = i32(param(11u));`;

/** out[b,f,y,x] = Σ_{c,i,j} filters[f,c,i,j] · images[b,c,y·s+i−p,x·s+j−p]. */
export function conv2dSource(): string {
  const body = /* wgsl */ `${DIMS}
  let x = i % outWidth;
  let y = (i / outWidth) % outHeight;
  let f = (i / (outWidth * outHeight)) % numFilters;
  let b = i / (outWidth * outHeight * numFilters);
  var total = 0.0;
  for (var c = 0u; c < channels; c++) {
    for (var ki = 0u; ki < kernelHeight; ki++) {
      let row = i32(y) * stride + i32(ki) - padding;
      if (row < 0 || row >= height) { continue; }
      for (var kj = 0u; kj < kernelWidth; kj++) {
        let column = i32(x) * stride + i32(kj) - padding;
        if (column < 0 || column >= width) { continue; }
        let pixel = ((b * channels + c) * u32(height) + u32(row)) * u32(width) + u32(column);
        let tap = ((f * channels + c) * kernelHeight + ki) * kernelWidth + kj;
        total = total + images[pixel] * filters[tap];
      }
    }
  }
  out[i] = total;`;
  return `${PRELUDE}${bindings(['images', 'filters'], ['out'])}
${linearMain('param(0u)', body)}`;
}

/** out[b,c,row,column] = Σ over the maps that read the pixel of map · filter tap. */
export function conv2dTransposeSource(): string {
  const body = /* wgsl */ `${DIMS}
  let column = i32(i % u32(width));
  let row = i32((i / u32(width)) % u32(height));
  let c = (i / u32(width * height)) % channels;
  let b = i / (u32(width * height) * channels);
  var total = 0.0;
  for (var f = 0u; f < numFilters; f++) {
    for (var ki = 0u; ki < kernelHeight; ki++) {
      let yScaled = row + padding - i32(ki);
      if (yScaled < 0 || yScaled % stride != 0) { continue; }
      let y = yScaled / stride;
      if (y >= i32(outHeight)) { continue; }
      for (var kj = 0u; kj < kernelWidth; kj++) {
        let xScaled = column + padding - i32(kj);
        if (xScaled < 0 || xScaled % stride != 0) { continue; }
        let x = xScaled / stride;
        if (x >= i32(outWidth)) { continue; }
        let map = ((b * numFilters + f) * outHeight + u32(y)) * outWidth + u32(x);
        let tap = ((f * channels + c) * kernelHeight + ki) * kernelWidth + kj;
        total = total + maps[map] * filters[tap];
      }
    }
  }
  out[i] = total;`;
  return `${PRELUDE}${bindings(['maps', 'filters'], ['out'])}
${linearMain('param(0u)', body)}`;
}

/** Threads of the workgroup that sums one filter product. */
const FILTER_PRODUCT_WORKGROUP = 256;

/**
 * out[f,c,i,j] = Σ_{b,y,x} maps[b,f,y,x] · images[b,c,y·s+i−p,x·s+j−p]: a long sum (batch ×
 * outHeight × outWidth terms) for few outputs, so one workgroup per output: its threads stride
 * the (b, y, x) positions, then combine in workgroup memory.
 */
export function conv2dFilterProductsSource(): string {
  return /* wgsl */ `${PRELUDE}${bindings(['images', 'maps'], ['out'])}
var<workgroup> partial: array<f32, ${FILTER_PRODUCT_WORKGROUP}>;
@compute @workgroup_size(${FILTER_PRODUCT_WORKGROUP})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) thread: u32) {
  let i = group.y * groups.x + group.x;
  ${DIMS}
  let kj = i % kernelWidth;
  let ki = (i / kernelWidth) % kernelHeight;
  let c = (i / (kernelWidth * kernelHeight)) % channels;
  let f = i / (kernelWidth * kernelHeight * channels);
  let positions = select(0u, batch * outHeight * outWidth, i < param(0u));
  var total = 0.0;
  for (var t = thread; t < positions; t += ${FILTER_PRODUCT_WORKGROUP}u) {
    let x = t % outWidth;
    let y = (t / outWidth) % outHeight;
    let b = t / (outWidth * outHeight);
    let row = i32(y) * stride + i32(ki) - padding;
    let column = i32(x) * stride + i32(kj) - padding;
    if (row >= 0 && row < height && column >= 0 && column < width) {
      let pixel = ((b * channels + c) * u32(height) + u32(row)) * u32(width) + u32(column);
      let map = ((b * numFilters + f) * outHeight + y) * outWidth + x;
      total = total + maps[map] * images[pixel];
    }
  }
  partial[thread] = total;
  workgroupBarrier();
  for (var half = ${FILTER_PRODUCT_WORKGROUP / 2}u; half > 0u; half = half / 2u) {
    if (thread < half) { partial[thread] = partial[thread] + partial[thread + half]; }
    workgroupBarrier();
  }
  if (thread == 0u && i < param(0u)) { out[i] = partial[0]; }
}
`;
}
