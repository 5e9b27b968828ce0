/**
 * Movement kernels: a strided copy (slices, and each part of a concat) and a row gather.
 */
import { bindings, linearMain, MAX_RANK, PRELUDE } from './common.js';

/** Uniform word offsets of the strided copy: [count, rank, source offset, target offset, shape, source strides, target strides]. */
export const COPY_LAYOUT = { shape: 4, sourceStrides: 4 + MAX_RANK, targetStrides: 4 + 2 * MAX_RANK } as const;

/** out[target + Σ index·targetStride] = input[source + Σ index·sourceStride] over the block's indices. */
export function stridedCopySource(): string {
  const body = /* wgsl */ `
  var rest = i;
  var source = param(2u);
  var to = param(3u);
  let rank = param(1u);
  for (var d = 0u; d < rank; d++) {
    let axis = rank - 1u - d;
    let size = param(${COPY_LAYOUT.shape}u + axis);
    let index = rest % size;
    rest = rest / size;
    source += index * param(${COPY_LAYOUT.sourceStrides}u + axis);
    to += index * param(${COPY_LAYOUT.targetStrides}u + axis);
  }
  out[to] = input[source];`;
  return `${PRELUDE}${bindings(['input'], ['out'])}
${linearMain('param(0u)', body)}`;
}

/** out[r, ·] = input[indices[r], ·]. Uniforms: [count, row size]. */
export function gatherSource(): string {
  const body = /* wgsl */ `
  let rowSize = param(1u);
  out[i] = input[indices[i / rowSize] * rowSize + i % rowSize];`;
  return `${PRELUDE}${bindings(['input', 'indices:u32'], ['out'])}
${linearMain('param(0u)', body)}`;
}
