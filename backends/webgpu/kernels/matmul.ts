/**
 * A tiled matrix product `op(a)·op(b)`: each workgroup of 16×16 threads computes a 64×64 tile
 * of the output, each thread 4×4 values, staging 64×16 panels of both operands in workgroup
 * memory. The transposes change only how panels are loaded (each variant reads memory in its
 * contiguous order). Uniforms: [m, k, n].
 */
import { bindings, PRELUDE } from './common.js';

/** Output rows and columns per workgroup. */
export const MATMUL_TILE = 64;
/** The inner dimension staged per step. */
const DEPTH = 16;

export function matmulSource(transposeA: boolean, transposeB: boolean): string {
  // Element (row, p) of op(a) and (p, column) of op(b); loads of 4 per thread cover a 64×16 panel.
  const loadA = transposeA
    ? // a is (k, m): consecutive threads read consecutive rows of op(a).
      'let r = e % 64u; let p = e / 64u; let row = row0 + r; let kk = p0 + p;\n      tileA[p * 64u + r] = select(0.0, a[kk * m + row], row < m && kk < k);'
    : 'let p = e % 16u; let r = e / 16u; let row = row0 + r; let kk = p0 + p;\n      tileA[p * 64u + r] = select(0.0, a[row * k + kk], row < m && kk < k);';
  const loadB = transposeB
    ? 'let p = e % 16u; let c = e / 16u; let column = column0 + c; let kk = p0 + p;\n      tileB[p * 64u + c] = select(0.0, b[column * k + kk], column < n && kk < k);'
    : 'let c = e % 64u; let p = e / 64u; let column = column0 + c; let kk = p0 + p;\n      tileB[p * 64u + c] = select(0.0, b[kk * n + column], column < n && kk < k);';
  return /* wgsl */ `${PRELUDE}${bindings(['a', 'b'], ['out'])}
var<workgroup> tileA: array<f32, ${DEPTH * 64}>;
var<workgroup> tileB: array<f32, ${DEPTH * 64}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let m = param(0u);
  let k = param(1u);
  let n = param(2u);
  let row0 = group.y * 64u;
  let column0 = group.x * 64u;
  let thread = local.y * 16u + local.x;
  var sums: array<f32, 16>;
  for (var p0 = 0u; p0 < k; p0 += ${DEPTH}u) {
    for (var load = 0u; load < 4u; load++) {
      let e = thread + load * 256u;
      ${loadA}
    }
    for (var load = 0u; load < 4u; load++) {
      let e = thread + load * 256u;
      ${loadB}
    }
    workgroupBarrier();
    for (var p = 0u; p < ${DEPTH}u; p++) {
      var left: array<f32, 4>;
      var right: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        left[i] = tileA[p * 64u + local.y + i * 16u];
        right[i] = tileB[p * 64u + local.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          sums[i * 4u + j] = sums[i * 4u + j] + left[i] * right[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + local.y + i * 16u;
    for (var j = 0u; j < 4u; j++) {
      let column = column0 + local.x + j * 16u;
      if (row < m && column < n) {
        out[row * n + column] = sums[i * 4u + j];
      }
    }
  }
}
`;
}
