/**
 * A tiled matrix product `op(a)·op(b)`: each workgroup computes a tile of the output, each of
 * its threads a 4×4 block (four vec4 sums), staging tile × depth panels of both operands in
 * workgroup memory as vec4s, so a thread reads each step's four rows of a and four columns of b
 * as two vec4s. The transposes change only how panels are loaded, each variant reading memory
 * in its contiguous order, four values at a time where the sizes allow. A stacked variant sums
 * a₁ᵀb₁ + a₂ᵀb₂ in one pass, as the product of the stacked operands, without stacking them.
 * Uniforms: [m, k, n, k₁ (stacked: the first pair's rows)].
 */
import { bindings, PRELUDE } from './common.js';

/** The tile geometry: output rows and columns per workgroup (4 per thread along each), and the inner dimension staged per step. */
export interface MatmulTiling {
  readonly tile: number;
  readonly depth: number;
}

/** 64×64 tiles of 16×16 threads, 16 deep. */
export const MATMUL_TILING: MatmulTiling = { tile: 64, depth: 16 };

/**
 * Which operands are read four values at a time (as `vec4<f32>`), along their contiguous axis:
 * possible where that axis and the other operand dimension it is tiled with are multiples of 4.
 */
export interface MatmulVectors {
  readonly vectorA?: boolean;
  readonly vectorB?: boolean;
}

/**
 * WGSL reading operand `name` (a or b) at (index, kk): its element, or with `vector` the vec4 of
 * four that starts there; for stacked pairs, from the second pair past the first's k1 rows.
 * @param outerContiguous - the operand's row or column index (not kk) is its contiguous axis
 */
function operandRead(name: 'a' | 'b', outerContiguous: boolean, stacked: boolean, vector: boolean): string {
  const [index, size] = name === 'a' ? ['row', 'm'] : ['column', 'n'];
  const at = (kk: string) => {
    const flat = outerContiguous ? `${kk} * ${size} + ${index}` : `${index} * k + ${kk}`;
    return vector ? `(${flat}) / 4u` : flat;
  };
  return stacked ? `select(${name}2[${at('(kk - k1)')}], ${name}[${at('kk')}], kk < k1)` : `${name}[${at('kk')}]`;
}

export function matmulSource(
  transposeA: boolean,
  transposeB: boolean,
  stacked = false,
  { vectorA = false, vectorB = false }: MatmulVectors = {},
  { tile, depth }: MatmulTiling = MATMUL_TILING,
): string {
  if (stacked && !(transposeA && !transposeB)) throw new Error('matmulSource: stacked pairs are aᵀb only');
  const threads = tile / 4;
  const invocations = threads * threads;
  const quads = tile / 4;
  /**
   * The load of one panel element `e` (or four) into `target` (`tileA` rows, `tileB` columns),
   * whose element (p, r) is component r % 4 of vec4 p · tile/4 + r/4. `outerContiguous`: the
   * operand's memory runs along the tile's rows or columns, else along the inner index.
   */
  const load = (
    target: string,
    name: string,
    origin: string,
    size: string,
    outerContiguous: boolean,
    read: string,
    vector: boolean,
  ) => {
    const guard = `${name} < ${size} && kk < k`;
    if (!vector) {
      const indices = outerContiguous
        ? `let r = e % ${tile}u; let p = e / ${tile}u;`
        : `let p = e % ${depth}u; let r = e / ${depth}u;`;
      return `${indices} let ${name} = ${origin} + r; let kk = p0 + p;
      ${target}[p * ${quads}u + r / 4u][r % 4u] = select(0.0, ${read}, ${guard});`;
    }
    if (outerContiguous) {
      return `let r4 = e % ${quads}u; let p = e / ${quads}u; let ${name} = ${origin} + r4 * 4u; let kk = p0 + p;
      ${target}[p * ${quads}u + r4] = select(vec4<f32>(0.0), ${read}, ${guard});`;
    }
    const fill = [0, 1, 2, 3].map((q) => `${target}[(p4 * 4u + ${q}u) * ${quads}u + r / 4u][r % 4u] = v[${q}];`);
    return `let p4 = e % ${depth / 4}u; let r = e / ${depth / 4}u; let ${name} = ${origin} + r; let kk = p0 + p4 * 4u;
      let v = select(vec4<f32>(0.0), ${read}, ${guard});
      ${fill.join(' ')}`;
  };
  const readA = operandRead('a', transposeA, stacked, vectorA);
  const readB = operandRead('b', !transposeB, stacked, vectorB);
  const loadA = load('tileA', 'row', 'row0', 'm', transposeA, readA, vectorA);
  const loadB = load('tileB', 'column', 'column0', 'n', !transposeB, readB, vectorB);
  // Unrolled by generation: explicit loads and four vec4 sums, so no compiler has to unroll
  // loops or keep indexed arrays in registers (llvmpipe, notably, does neither).
  const loads = (code: string, vector: boolean) =>
    Array.from({ length: (tile * depth) / invocations / (vector ? 4 : 1) }, (_, i) => i)
      .map((i) => `{\n      let e = thread + ${i * invocations}u;\n      ${code}\n    }`)
      .join('\n    ');
  const range = [0, 1, 2, 3];
  const components = ['x', 'y', 'z', 'w'];
  const typed = (name: string, vector: boolean) => (vector ? `${name}:vec4<f32>` : name);
  const operands = [typed('a', vectorA), typed('b', vectorB)];
  if (stacked) operands.push(typed('a2', vectorA), typed('b2', vectorB));
  const stores = range
    .map((i) => {
      const row = `let outRow${i} = row0 + local.y * 4u + ${i}u;`;
      const columns = range.map(
        (j) =>
          `if (outRow${i} < m && outColumn${j} < n) { out[outRow${i} * n + outColumn${j}] = sum${i}.${components[j]}; }`,
      );
      return `${row}\n  ${columns.join('\n  ')}`;
    })
    .join('\n  ');
  return /* wgsl */ `${PRELUDE}${bindings(operands, ['out'])}
var<workgroup> tileA: array<vec4<f32>, ${(depth * tile) / 4}>;
var<workgroup> tileB: array<vec4<f32>, ${(depth * tile) / 4}>;
@compute @workgroup_size(${threads}, ${threads})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let m = param(0u);
  let k = param(1u);
  let n = param(2u);
  let k1 = param(3u);
  let row0 = group.y * ${tile}u;
  let column0 = group.x * ${tile}u;
  let thread = local.y * ${threads}u + local.x;
  ${range.map((i) => `var sum${i} = vec4<f32>(0.0);`).join('\n  ')}
  for (var p0 = 0u; p0 < k; p0 += ${depth}u) {
    ${loads(loadA, vectorA)}
    ${loads(loadB, vectorB)}
    workgroupBarrier();
    for (var p = 0u; p < ${depth}u; p++) {
      let left = tileA[p * ${quads}u + local.y];
      let right = tileB[p * ${quads}u + local.x];
      ${range.map((i) => `sum${i} = sum${i} + left.${components[i]} * right;`).join('\n      ')}
    }
    workgroupBarrier();
  }
  ${range.map((j) => `let outColumn${j} = column0 + local.x * 4u + ${j}u;`).join('\n  ')}
  ${stores}
}
`;
}
