/**
 * A cache-aware float32 matrix product in plain JavaScript: both operands are packed into
 * panels of 4 rows/columns (which also absorbs either transpose), and a 4×4 register-blocked
 * micro-kernel walks a block of the inner dimension at a time so the panels stay in cache.
 * Accumulation is in float64 registers, rounded to float32 once per block.
 */

const PANEL = 4;
const INNER_BLOCK = 256;

/**
 * `C = op(A)·op(B)`.
 * @param a - row-major data of A: (m, k), or (k, m) when `transposeA`
 * @param b - row-major data of B: (k, n), or (n, k) when `transposeB`
 * @returns row-major (m, n)
 */
export function matmulFloat32(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const c = new Float32Array(m * n);
  if (m === 0 || n === 0 || k === 0) return c;
  const rowPanels = Math.ceil(m / PANEL);
  const columnPanels = Math.ceil(n / PANEL);
  const packedA = new Float32Array(rowPanels * PANEL * INNER_BLOCK);
  const packedB = new Float32Array(columnPanels * PANEL * INNER_BLOCK);
  // Element (i, p) of op(A) and (p, j) of op(B), as strides into the raw data.
  const [aRowStride, aInnerStride] = transposeA ? [1, m] : [k, 1];
  const [bInnerStride, bColumnStride] = transposeB ? [1, k] : [n, 1];

  for (let p0 = 0; p0 < k; p0 += INNER_BLOCK) {
    const depth = Math.min(INNER_BLOCK, k - p0);
    packPanels(a, packedA, m, depth, p0, aRowStride, aInnerStride);
    packPanels(b, packedB, n, depth, p0, bColumnStride, bInnerStride);
    for (let rowPanel = 0; rowPanel < rowPanels; rowPanel++) {
      for (let columnPanel = 0; columnPanel < columnPanels; columnPanel++) {
        microKernel(packedA, packedB, c, rowPanel, columnPanel, depth, m, n);
      }
    }
  }
  return c;
}

/**
 * Packs `count` rows (or columns) × `depth` inner entries starting at inner index `p0` into
 * panels of 4: `packed[(panel·depth + p)·4 + r]`, zero-padded past `count`.
 */
function packPanels(
  source: Float32Array,
  packed: Float32Array,
  count: number,
  depth: number,
  p0: number,
  outerStride: number,
  innerStride: number,
): void {
  const panels = Math.ceil(count / PANEL);
  for (let panel = 0; panel < panels; panel++) {
    const base = panel * depth * PANEL;
    for (let r = 0; r < PANEL; r++) {
      const row = panel * PANEL + r;
      if (row >= count) {
        for (let p = 0; p < depth; p++) packed[base + p * PANEL + r] = 0;
        continue;
      }
      let offset = row * outerStride + p0 * innerStride;
      for (let p = 0; p < depth; p++, offset += innerStride) packed[base + p * PANEL + r] = source[offset] as number;
    }
  }
}

/** Adds the 4×4 product of one row panel and one column panel over `depth` into C. */
// biome-ignore format: the 4×4 register tile reads best as a grid
function microKernel(
  packedA: Float32Array,
  packedB: Float32Array,
  c: Float32Array,
  rowPanel: number,
  columnPanel: number,
  depth: number,
  m: number,
  n: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ia = rowPanel * depth * PANEL;
  let ib = columnPanel * depth * PANEL;
  for (let p = 0; p < depth; p++, ia += PANEL, ib += PANEL) {
    const a0 = packedA[ia] as number, a1 = packedA[ia + 1] as number;
    const a2 = packedA[ia + 2] as number, a3 = packedA[ia + 3] as number;
    const b0 = packedB[ib] as number, b1 = packedB[ib + 1] as number;
    const b2 = packedB[ib + 2] as number, b3 = packedB[ib + 3] as number;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  const row0 = rowPanel * PANEL;
  const column0 = columnPanel * PANEL;
  const rows = Math.min(PANEL, m - row0);
  const columns = Math.min(PANEL, n - column0);
  for (let r = 0; r < rows; r++) {
    const offset = (row0 + r) * n + column0;
    for (let j = 0; j < columns; j++) c[offset + j] = (c[offset + j] as number) + (tile[r * PANEL + j] as number);
  }
}
