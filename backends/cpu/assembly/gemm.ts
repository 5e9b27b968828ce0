// AssemblyScript source of the cpu backend's matrix kernel (compiled to WebAssembly with
// 128-bit SIMD by `npm run build:kernel`). All pointers are byte offsets into the shared
// linear memory; all matrices are float32, row-major.
//
// C = A·B is computed from packed copies: A as (m, k) row-major, B as column panels of 8,
// `panel p` holding B[0..k, 8p..8p+8] contiguously (zero-padded past n). A 4×8 register tile
// of C accumulates over the whole inner dimension with f32x4 multiply-adds, so each packed
// B panel (8·k floats) and four rows of A stay in L1 while the tile is computed.

const PANEL: i32 = 8;

/** Copies op(A) into row-major (m, k) at `dst`: `src` is (m, k), or (k, m) when `transposed`. */
export function packA(src: usize, dst: usize, m: i32, k: i32, transposed: bool): void {
  if (!transposed) {
    memory.copy(dst, src, (<usize>(m * k)) << 2);
    return;
  }
  for (let p = 0; p < k; p++) {
    const row = src + ((<usize>(p * m)) << 2);
    for (let i = 0; i < m; i++) {
      store<f32>(dst + ((<usize>(i * k + p)) << 2), load<f32>(row + ((<usize>i) << 2)));
    }
  }
}

/** Number of 8-column panels for n columns. */
export function panels(n: i32): i32 {
  return (n + PANEL - 1) / PANEL;
}

/** Packs op(B) into column panels of 8 at `dst`: `src` is (k, n), or (n, k) when `transposed`. */
export function packB(src: usize, dst: usize, k: i32, n: i32, transposed: bool): void {
  const count = panels(n);
  for (let panel = 0; panel < count; panel++) {
    const base = dst + ((<usize>(panel * k * PANEL)) << 2);
    for (let p = 0; p < k; p++) {
      for (let c = 0; c < PANEL; c++) {
        const j = panel * PANEL + c;
        let value: f32 = 0;
        if (j < n) {
          value = transposed
            ? load<f32>(src + ((<usize>(j * k + p)) << 2))
            : load<f32>(src + ((<usize>(p * n + j)) << 2));
        }
        store<f32>(base + ((<usize>(p * PANEL + c)) << 2), value);
      }
    }
  }
}

/** Writes `count` (≤ 8) lanes of two vectors to C at `at`. */
function storePartial(at: usize, low: v128, high: v128, count: i32): void {
  if (count === PANEL) {
    v128.store(at, low);
    v128.store(at + 16, high);
    return;
  }
  for (let c = 0; c < count; c++) {
    const lane = c < 4 ? low : high;
    const index = c & 3;
    let value: f32;
    if (index === 0) value = f32x4.extract_lane(lane, 0);
    else if (index === 1) value = f32x4.extract_lane(lane, 1);
    else if (index === 2) value = f32x4.extract_lane(lane, 2);
    else value = f32x4.extract_lane(lane, 3);
    store<f32>(at + ((<usize>c) << 2), value);
  }
}

/**
 * C[:, 8·firstPanel .. 8·lastPanel) = A · B for the packed A (m, k) at `a` and packed B at `b`;
 * C is (m, n) at `c`. Threads split the work by panel ranges.
 */
export function gemmPanels(
  a: usize,
  b: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  firstPanel: i32,
  lastPanel: i32,
): void {
  for (let panel = firstPanel; panel < lastPanel; panel++) {
    const bPanel = b + ((<usize>(panel * k * PANEL)) << 2);
    const column = panel * PANEL;
    const width = min(PANEL, n - column);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      let c00 = f32x4.splat(0),
        c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0),
        c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0),
        c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0),
        c31 = f32x4.splat(0);
      let a0 = a + ((<usize>(i * k)) << 2);
      let a1 = a0 + ((<usize>k) << 2);
      let a2 = a1 + ((<usize>k) << 2);
      let a3 = a2 + ((<usize>k) << 2);
      let bp = bPanel;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const x0 = f32x4.splat(load<f32>(a0));
        const x1 = f32x4.splat(load<f32>(a1));
        const x2 = f32x4.splat(load<f32>(a2));
        const x3 = f32x4.splat(load<f32>(a3));
        c00 = f32x4.add(c00, f32x4.mul(x0, b0));
        c01 = f32x4.add(c01, f32x4.mul(x0, b1));
        c10 = f32x4.add(c10, f32x4.mul(x1, b0));
        c11 = f32x4.add(c11, f32x4.mul(x1, b1));
        c20 = f32x4.add(c20, f32x4.mul(x2, b0));
        c21 = f32x4.add(c21, f32x4.mul(x2, b1));
        c30 = f32x4.add(c30, f32x4.mul(x3, b0));
        c31 = f32x4.add(c31, f32x4.mul(x3, b1));
        a0 += 4;
        a1 += 4;
        a2 += 4;
        a3 += 4;
        bp += 32;
      }
      const row = c + ((<usize>(i * n + column)) << 2);
      const stride = (<usize>n) << 2;
      storePartial(row, c00, c01, width);
      storePartial(row + stride, c10, c11, width);
      storePartial(row + 2 * stride, c20, c21, width);
      storePartial(row + 3 * stride, c30, c31, width);
    }
    for (; i < m; i++) {
      let c0 = f32x4.splat(0),
        c1 = f32x4.splat(0);
      let ap = a + ((<usize>(i * k)) << 2);
      let bp = bPanel;
      for (let p = 0; p < k; p++) {
        const x = f32x4.splat(load<f32>(ap));
        c0 = f32x4.add(c0, f32x4.mul(x, v128.load(bp)));
        c1 = f32x4.add(c1, f32x4.mul(x, v128.load(bp, 16)));
        ap += 4;
        bp += 32;
      }
      storePartial(c + ((<usize>(i * n + column)) << 2), c0, c1, width);
    }
  }
}
