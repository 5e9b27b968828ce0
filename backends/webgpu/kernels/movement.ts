/**
 * Movement kernels: a strided copy (slices, and each part of a concat) and a row gather.
 */
import { bindings, linearMain, MAX_RANK, PRELUDE, stridedOffsets } from './common.js';

/** Uniform word offsets of the strided copy: [count, rank, source offset, target offset, shape, source strides, target strides]. */
export const COPY_LAYOUT = { shape: 4, sourceStrides: 4 + MAX_RANK, targetStrides: 4 + 2 * MAX_RANK } as const;

/** out[target + Σ index·targetStride] = input[source + Σ index·sourceStride] over the block's indices. */
export function stridedCopySource(): string {
  const body = `${stridedOffsets(COPY_LAYOUT.shape, [
    ['source', COPY_LAYOUT.sourceStrides, 'param(2u)'],
    ['to', COPY_LAYOUT.targetStrides, 'param(3u)'],
  ])}
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
