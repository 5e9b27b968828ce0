/**
 * A tiled matrix product `op(a)·op(b)`: each workgroup of 16×16 threads computes a 64×64 tile
 * of the output, each thread 4×4 values, staging 64×16 panels of both operands in workgroup
 * memory. The transposes change only how panels are loaded (each variant reads memory in its
 * contiguous order). A stacked variant sums a₁ᵀb₁ + a₂ᵀb₂ in one pass, as the product of the
 * stacked operands, without stacking them. Uniforms: [m, k, n, k₁ (stacked: the first pair's rows)].
 */
import { bindings, PRELUDE } from './common.js';

/** The tile geometry: output rows and columns per workgroup, threads per side, and the inner dimension staged per step. */
export interface MatmulTiling {
  readonly tile: number;
  readonly threads: number;
  readonly depth: number;
}

/** 64×64 tiles of 16×16 threads, 4×4 values each, 16 deep (the fastest of those tried on llvmpipe). */
export const MATMUL_TILING: MatmulTiling = { tile: 64, threads: 16, depth: 16 };

/**
 * Which operands are read four values at a time (as `vec4<f32>`), along their contiguous axis:
 * possible where that axis and the other operand dimension it is tiled with are multiples of 4.
 */
export interface MatmulVectors {
  readonly vectorA?: boolean;
  readonly vectorB?: boolean;
}

/**
 * The vec4 read of an operand: `name` (a, b) at the element (index, kk) its layout puts first
 * in a run of four; for stacked pairs, from the second pair past the first's k1 rows.
 */
function stackedOr(stacked: boolean, outerContiguous: boolean, name: 'a' | 'b'): string {
  const index = name === 'a' ? 'row' : 'column';
  const size = name === 'a' ? 'm' : 'n';
  const at = (kk: string) => (outerContiguous ? `(${kk} * ${size} + ${index}) / 4u` : `(${index} * k + ${kk}) / 4u`);
  return stacked ? `select(${name}2[${at('(kk - k1)')}], ${name}[${at('kk')}], kk < k1)` : `${name}[${at('kk')}]`;
}

export function matmulSource(
  transposeA: boolean,
  transposeB: boolean,
  stacked = false,
  { vectorA = false, vectorB = false }: MatmulVectors = {},
  { tile, threads, depth }: MatmulTiling = MATMUL_TILING,
): string {
  if (stacked && !(transposeA && !transposeB)) throw new Error('matmulSource: stacked pairs are aᵀb only');
  const perThread = tile / threads;
  const invocations = threads * threads;
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
  // Each thread loads its share of a tile × depth panel, consecutive threads reading consecutive
  // memory: one value at a time, or four along the operand's contiguous axis.
  const loadA = vectorA
    ? vectorLoad('tileA', transposeA ? 'outer' : 'inner', 'row', 'row0', 'm', stackedOr(stacked, transposeA, 'a'))
    : `${transposeA ? `let r = e % ${tile}u; let p = e / ${tile}u;` : `let p = e % ${depth}u; let r = e / ${depth}u;`} let row = row0 + r; let kk = p0 + p;
      tileA[p * ${tile}u + r] = select(0.0, ${elementA}, row < m && kk < k);`;
  const loadB = vectorB
    ? vectorLoad(
        'tileB',
        transposeB ? 'inner' : 'outer',
        'column',
        'column0',
        'n',
        stackedOr(stacked, !transposeB, 'b'),
      )
    : `${transposeB ? `let p = e % ${depth}u; let c = e / ${depth}u;` : `let c = e % ${tile}u; let p = e / ${tile}u;`} let column = column0 + c; let kk = p0 + p;
      tileB[p * ${tile}u + c] = select(0.0, ${elementB}, column < n && kk < k);`;
  /**
   * A load of four values into `target`: along `along` ('outer': the tile's rows or columns,
   * 'inner': the inner index), reading `read` (a WGSL vec4 expression of `index`, `kk`).
   */
  function vectorLoad(
    target: string,
    along: 'outer' | 'inner',
    name: string,
    origin: string,
    size: string,
    read: string,
  ): string {
    const fill = (q: number) =>
      along === 'outer'
        ? `${target}[p * ${tile}u + r4 * 4u + ${q}u] = v[${q}];`
        : `${target}[(p4 * 4u + ${q}u) * ${tile}u + r] = v[${q}];`;
    const indices =
      along === 'outer'
        ? `let r4 = e % ${tile / 4}u; let p = e / ${tile / 4}u; let ${name} = ${origin} + r4 * 4u; let kk = p0 + p;`
        : `let p4 = e % ${depth / 4}u; let r = e / ${depth / 4}u; let ${name} = ${origin} + r; let kk = p0 + p4 * 4u;`;
    return `${indices}
      let v = select(vec4<f32>(0.0), ${read}, ${name} < ${size} && kk < k);
      ${[0, 1, 2, 3].map(fill).join(' ')}`;
  }
  const range = Array.from({ length: perThread }, (_, i) => i);
  // Unrolled by generation: scalar sums and explicit loads, so no compiler has to unroll loops
  // or keep indexed arrays in registers (llvmpipe, notably, does neither).
  const loads = (code: string, vector: boolean) =>
    Array.from({ length: (tile * depth) / invocations / (vector ? 4 : 1) }, (_, load) => load)
      .map((load) => `{\n      let e = thread + ${load * invocations}u;\n      ${code}\n    }`)
      .join('\n    ');
  const declarations = range.flatMap((i) => range.map((j) => `var sum${i}_${j} = 0.0;`)).join('\n  ');
  const products = range
    .map(
      (i) =>
        `let left${i} = tileA[p * ${tile}u + local.y + ${i * threads}u];\n      let right${i} = tileB[p * ${tile}u + local.x + ${i * threads}u];`,
    )
    .join('\n      ');
  const updates = range
    .flatMap((i) => range.map((j) => `sum${i}_${j} = sum${i}_${j} + left${i} * right${j};`))
    .join('\n      ');
  const stores = range
    .map((i) => {
      const row = `let outRow${i} = row0 + local.y + ${i * threads}u;`;
      const columns = range
        .map((j) => `if (outRow${i} < m && outColumn${j} < n) { out[outRow${i} * n + outColumn${j}] = sum${i}_${j}; }`)
        .join('\n  ');
      return `${row}\n  ${columns}`;
    })
    .join('\n  ');
  const columns = range.map((j) => `let outColumn${j} = column0 + local.x + ${j * threads}u;`).join('\n  ');
  const typed = (name: string, vector: boolean) => (vector ? `${name}:vec4<f32>` : name);
  const operands = [typed('a', vectorA), typed('b', vectorB)];
  if (stacked) operands.push(typed('a2', vectorA), typed('b2', vectorB));
  return /* wgsl */ `${PRELUDE}${bindings(operands, ['out'])}
var<workgroup> tileA: array<f32, ${depth * tile}>;
var<workgroup> tileB: array<f32, ${depth * tile}>;
@compute @workgroup_size(${threads}, ${threads})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let m = param(0u);
  let k = param(1u);
  let n = param(2u);
  let k1 = param(3u);
  let row0 = group.y * ${tile}u;
  let column0 = group.x * ${tile}u;
  let thread = local.y * ${threads}u + local.x;
  ${declarations}
  for (var p0 = 0u; p0 < k; p0 += ${depth}u) {
    ${loads(loadA, vectorA)}
    ${loads(loadB, vectorB)}
    workgroupBarrier();
    for (var p = 0u; p < ${depth}u; p++) {
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
