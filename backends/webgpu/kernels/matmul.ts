/**
 * A tiled matrix product `op(a)·op(b)`: each workgroup of 16×16 threads computes a 64×64 tile
 * of the output, each thread 4×4 values, staging 64×16 panels of both operands in workgroup
 * memory. The transposes change only how panels are loaded (each variant reads memory in its
 * contiguous order). A stacked variant sums a₁ᵀb₁ + a₂ᵀb₂ in one pass, as the product of the
 * stacked operands, without stacking them. Uniforms: [m, k, n, k₁ (stacked: the first pair's rows)].
 */
import { bindings, PRELUDE } from './common.js';

/** Output rows and columns per workgroup. */
export const MATMUL_TILE = 64;
/** The inner dimension staged per step. */
const DEPTH = 16;

export function matmulSource(transposeA: boolean, transposeB: boolean, stacked = false): string {
  if (stacked && !(transposeA && !transposeB)) throw new Error('matmulSource: stacked pairs are aᵀb only');
  // Element (row, kk) of op(a) and (kk, column) of op(b); for stacked pairs the inner index
  // runs through the first pair's k1 rows, then the second's.
  const elementA = stacked
    ? 'select(a2[(kk - k1) * m + row], a[kk * m + row], kk < k1)'
    : transposeA
      ? 'a[kk * m + row]'
      : 'a[row * k + kk]';
  const elementB = stacked
    ? 'select(b2[(kk - k1) * n + column], b[kk * n + column], kk < k1)'
    : transposeB
      ? 'b[column * k + kk]'
      : 'b[kk * n + column]';
  // Loads of 4 per thread cover a 64×16 panel, consecutive threads reading consecutive memory.
  const loadA = `${transposeA ? 'let r = e % 64u; let p = e / 64u;' : 'let p = e % 16u; let r = e / 16u;'} let row = row0 + r; let kk = p0 + p;
      tileA[p * 64u + r] = select(0.0, ${elementA}, row < m && kk < k);`;
  const loadB = `${transposeB ? 'let p = e % 16u; let c = e / 16u;' : 'let c = e % 64u; let p = e / 64u;'} let column = column0 + c; let kk = p0 + p;
      tileB[p * 64u + c] = select(0.0, ${elementB}, column < n && kk < k);`;
  const range = [0, 1, 2, 3];
  // Unrolled by generation: 16 scalar sums and explicit loads, so no compiler has to unroll
  // loops or keep indexed arrays in registers (llvmpipe, notably, does neither).
  const loads = (code: string) =>
    range.map((load) => `{\n      let e = thread + ${load * 256}u;\n      ${code}\n    }`).join('\n    ');
  const declarations = range.flatMap((i) => range.map((j) => `var sum${i}${j} = 0.0;`)).join('\n  ');
  const products = range
    .map(
      (i) =>
        `let left${i} = tileA[p * 64u + local.y + ${i * 16}u];\n      let right${i} = tileB[p * 64u + local.x + ${i * 16}u];`,
    )
    .join('\n      ');
  const updates = range
    .flatMap((i) => range.map((j) => `sum${i}${j} = sum${i}${j} + left${i} * right${j};`))
    .join('\n      ');
  const stores = range
    .map((i) => {
      const row = `let outRow${i} = row0 + local.y + ${i * 16}u;`;
      const columns = range
        .map((j) => `if (outRow${i} < m && outColumn${j} < n) { out[outRow${i} * n + outColumn${j}] = sum${i}${j}; }`)
        .join('\n  ');
      return `${row}\n  ${columns}`;
    })
    .join('\n  ');
  const columns = range.map((j) => `let outColumn${j} = column0 + local.x + ${j * 16}u;`).join('\n  ');
  return /* wgsl */ `${PRELUDE}${bindings(stacked ? ['a', 'b', 'a2', 'b2'] : ['a', 'b'], ['out'])}
var<workgroup> tileA: array<f32, ${DEPTH * 64}>;
var<workgroup> tileB: array<f32, ${DEPTH * 64}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let m = param(0u);
  let k = param(1u);
  let n = param(2u);
  let k1 = param(3u);
  let row0 = group.y * 64u;
  let column0 = group.x * 64u;
  let thread = local.y * 16u + local.x;
  ${declarations}
  for (var p0 = 0u; p0 < k; p0 += ${DEPTH}u) {
    ${loads(loadA)}
    ${loads(loadB)}
    workgroupBarrier();
    for (var p = 0u; p < ${DEPTH}u; p++) {
      ${products}
      ${updates}
    }
    workgroupBarrier();
  }
  ${columns}
  ${stores}
}
`;
}
