/**
 * Reductions over one axis of a tensor viewed as (outer, length, inner): sum, max, min and
 * argMax. Short axes take one thread per output; long ones a workgroup per output that
 * strides the axis and combines in workgroup memory. Uniforms: [outer, length, inner].
 */
import { bindings, linearMain, PRELUDE } from './common.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argMax';

/** Threads of the workgroup-per-output reduction. */
const REDUCE_WORKGROUP = 256;

/** Start value and combination of (best, bestIndex) with (x, index), in WGSL. */
const COMBINE: Record<ReduceOp, { init: string; step: string }> = {
  sum: { init: '0.0', step: 'best = best + x;' },
  // NaN wins, as in numpy.
  max: { init: '-infinityF()', step: 'if (x > best || isNan(x)) { best = x; }' },
  min: { init: 'infinityF()', step: 'if (x < best || isNan(x)) { best = x; }' },
  // The first index of the largest value.
  argMax: { init: '-infinityF()', step: 'if (x > best || bestIndex == 0xffffffffu) { best = x; bestIndex = index; }' },
};

/** One thread per output: loops over the axis in order. */
export function reduceThreadSource(op: ReduceOp): string {
  const { init, step } = COMBINE[op];
  const maxLike = op === 'max' || op === 'min';
  const body = /* wgsl */ `
  let length = param(1u);
  let inner = param(2u);
  let base = (i / inner) * length * inner + i % inner;
  var best = ${init};
  var bestIndex = 0xffffffffu;
  for (var index = 0u; index < length; index++) {
    let x = input[base + index * inner];
    ${step}
    ${maxLike ? 'if (isNan(best)) { break; }' : ''}
  }
  out[i] = ${op === 'argMax' ? 'f32(bestIndex)' : 'best'};`;
  return `${PRELUDE}${bindings(['input'], ['out'])}
${linearMain('param(0u) * param(2u)', body)}`;
}

/** One workgroup per output: each thread strides the axis, then a tree combines the threads. */
export function reduceGroupSource(op: ReduceOp): string {
  const { init, step } = COMBINE[op];
  // Combining two partial results: (best, bestIndex) with (x, index) from a later stride.
  const merge =
    op === 'sum'
      ? 'best = best + x;'
      : op === 'argMax'
        ? 'if (x > best || (x == best && index < bestIndex) || bestIndex == 0xffffffffu) { best = x; bestIndex = index; }'
        : op === 'max'
          ? 'if (x > best || isNan(x)) { best = x; }'
          : 'if (x < best || isNan(x)) { best = x; }';
  return /* wgsl */ `${PRELUDE}${bindings(['input'], ['out'])}
var<workgroup> partial: array<f32, ${REDUCE_WORKGROUP}>;
var<workgroup> partialIndex: array<u32, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) thread: u32) {
  let o = group.y * groups.x + group.x;
  let length = param(1u);
  let inner = param(2u);
  let inRange = o < param(0u) * inner;
  let base = (o / inner) * length * inner + o % inner;
  var best = ${init};
  var bestIndex = 0xffffffffu;
  if (inRange) {
    for (var index = thread; index < length; index += ${REDUCE_WORKGROUP}u) {
      let x = input[base + index * inner];
      ${step}
    }
  }
  partial[thread] = best;
  partialIndex[thread] = bestIndex;
  workgroupBarrier();
  for (var half = ${REDUCE_WORKGROUP / 2}u; half > 0u; half = half / 2u) {
    if (thread < half) {
      best = partial[thread];
      bestIndex = partialIndex[thread];
      let x = partial[thread + half];
      let index = partialIndex[thread + half];
      if (index != 0xffffffffu || ${op === 'sum' || op === 'max' || op === 'min' ? 'true' : 'false'}) {
        ${merge}
      }
      partial[thread] = best;
      partialIndex[thread] = bestIndex;
    }
    workgroupBarrier();
  }
  if (inRange && thread == 0u) {
    out[o] = ${op === 'argMax' ? 'f32(partialIndex[0])' : 'partial[0]'};
  }
}
`;
}
