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
    if (!transposed && (panel + 1) * PANEL <= n) {
      // A whole panel of B's rows: eight floats a row, two vectors.
      for (let p = 0; p < k; p++) {
        const from = src + ((<usize>(p * n + panel * PANEL)) << 2);
        const to = base + ((<usize>(p * PANEL)) << 2);
        v128.store(to, v128.load(from));
        v128.store(to + 16, v128.load(from + 16));
      }
      continue;
    }
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
  for (let c = 0; c < count; c++) store<f32>(at + ((<usize>c) << 2), laneOf(c < 4 ? low : high, c & 3));
}

/** Lane `lane` (0–3) of a vector. */
function laneOf(v: v128, lane: i32): f32 {
  if (lane === 0) return f32x4.extract_lane(v, 0);
  if (lane === 1) return f32x4.extract_lane(v, 1);
  if (lane === 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
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

// ----- fused sampling: bias add + sigmoid + Bernoulli draw -----
//
// The uniforms come from xoshiro128** with its 4-word state at `state`, drawn one per element
// in row-major order — the same stream as backends/random.ts — so the cpu backend's draws stay
// those of the tfjs backend. exp runs four lanes at a time (Cephes' single-precision
// polynomial, relative error ~1e-7).

function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

/** 1.5·2²³: adding it rounds a float below 2²² in magnitude to an integer held in the low bits. */
const ROUNDING_SHIFT: f32 = 12582912;

/**
 * e^x for four lanes, x clamped to [-87.3, 88.7] (pmin/pmax: one instruction each, and a NaN
 * stays NaN). x = n ln 2 + r with n = round(x log₂e), whose integer comes from the bits of
 * x log₂e + 1.5·2²³ (cheaper than truncating a float lane).
 */
function exp4(x: v128): v128 {
  const clamped = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.7)), f32x4.splat(-87.3));
  const shifted = f32x4.add(f32x4.mul(clamped, f32x4.splat(<f32>Math.LOG2E)), f32x4.splat(ROUNDING_SHIFT));
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDING_SHIFT));
  let r = f32x4.sub(clamped, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
  let p = f32x4.splat(1.98756915e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // The shift drops the high bits of `shifted`, leaving n + 127 in the exponent field.
  const scale = i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/**
 * Writes `count` uniforms in [0, 1) to `out` from the generator at `state` (advanced in place).
 * The generator is serial, so this loop does nothing else; the draws' other work runs beside it.
 */
export function fillUniforms(out: usize, count: i32, state: usize): void {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  for (let i = 0; i < count; i++) {
    const result = rotl(s1 * 5, 7) * 9;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    store<f32>(out + ((<usize>i) << 2), <f32>(result >>> 8) * (1.0 / 16777216.0));
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

/**
 * Rows first..last of out[r, j] = σ(field[r, j] + bias[j]) for a matrix of `columns` columns,
 * four lanes at a time; `bias` may be 0 for none. σ(x) = 1/(1 + e^−x), taken as 0 below −87 (as
 * float64 maths would round it).
 */
export function bernoulliProbabilities(
  field: usize,
  bias: usize,
  out: usize,
  columns: i32,
  first: i32,
  last: i32,
): void {
  const one = f32x4.splat(1);
  const floor = f32x4.splat(-87);
  for (let r = first; r < last; r++) {
    const row = (<usize>r * <usize>columns) << 2;
    let j = 0;
    for (; j + 4 <= columns; j += 4) {
      const offset = row + ((<usize>j) << 2);
      const x =
        bias === 0
          ? v128.load(field + offset)
          : f32x4.add(v128.load(field + offset), v128.load(bias + ((<usize>j) << 2)));
      v128.store(out + offset, probabilityLanes(x, one, floor));
    }
    for (; j < columns; j++) {
      const at = row + ((<usize>j) << 2);
      const x = load<f32>(field + at) + (bias === 0 ? 0 : load<f32>(bias + ((<usize>j) << 2)));
      store<f32>(out + at, f32x4.extract_lane(probabilityLanes(f32x4.splat(x), one, floor), 0));
    }
  }
}

/** σ(x) in four lanes, 0 below `floor`. */
function probabilityLanes(x: v128, one: v128, floor: v128): v128 {
  return v128.and(f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x)))), f32x4.gt(x, floor));
}

/** out[i] = 1 if uniforms[i] < out[i] (a probability) else 0, for i < count. */
export function drawBelow(uniforms: usize, out: usize, count: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, v128.and(f32x4.lt(v128.load(uniforms + offset), v128.load(out + offset)), one));
  }
  for (; i < count; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(uniforms + offset) < load<f32>(out + offset) ? 1 : 0);
  }
}

// ----- optimizer step -----

/**
 * One ADAM step over `count` floats: m ← β₁m + (1 − β₁)g; s ← β₂s + (1 − β₂)g²;
 * θ ← θ − stepSize·m / (√(s·squareCorrection) + ε), with stepSize = η/(1 − β₁ᵗ) and
 * squareCorrection = 1/(1 − β₂ᵗ) computed by the caller. The new θ, m and s go to
 * `paramOut`, `meanOut` and `squareOut` (which may be the inputs themselves).
 */
export function adamStep(
  param: usize,
  gradient: usize,
  mean: usize,
  square: usize,
  paramOut: usize,
  meanOut: usize,
  squareOut: usize,
  count: i32,
  stepSize: f32,
  b1: f32,
  a1: f32,
  b2: f32,
  a2: f32,
  squareCorrection: f32,
  epsilon: f32,
): void {
  // a1 = 1 − β₁ and a2 = 1 − β₂ come from the caller in double precision: 1 − β₂ in float32
  // would lose five digits.
  const vb1 = f32x4.splat(b1);
  const vb2 = f32x4.splat(b2);
  const va1 = f32x4.splat(a1);
  const va2 = f32x4.splat(a2);
  const vstep = f32x4.splat(stepSize);
  const vcorrection = f32x4.splat(squareCorrection);
  const veps = f32x4.splat(epsilon);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = (<usize>i) << 2;
    const g = v128.load(gradient + offset);
    const m = f32x4.add(f32x4.mul(vb1, v128.load(mean + offset)), f32x4.mul(va1, g));
    const s = f32x4.add(f32x4.mul(vb2, v128.load(square + offset)), f32x4.mul(va2, f32x4.mul(g, g)));
    const update = f32x4.div(f32x4.mul(vstep, m), f32x4.add(f32x4.sqrt(f32x4.mul(s, vcorrection)), veps));
    v128.store(meanOut + offset, m);
    v128.store(squareOut + offset, s);
    v128.store(paramOut + offset, f32x4.sub(v128.load(param + offset), update));
  }
  for (; i < count; i++) {
    const offset = (<usize>i) << 2;
    const g = load<f32>(gradient + offset);
    const m = b1 * load<f32>(mean + offset) + a1 * g;
    const s = b2 * load<f32>(square + offset) + a2 * g * g;
    store<f32>(meanOut + offset, m);
    store<f32>(squareOut + offset, s);
    store<f32>(
      paramOut + offset,
      load<f32>(param + offset) - (stepSize * m) / (Mathf.sqrt(s * squareCorrection) + epsilon),
    );
  }
}

// ----- products with a 0/1 operand -----
//
// When one factor holds only 0s and 1s (binary data, Bernoulli samples), a product is a sum of
// rows of the other factor: C[i, :] = Σ_{p : A[i, p] = 1} B[p, :]. The ones are listed first
// (`indexOnes`); the sums then skip the zeros. Each sum adds its rows in ascending p, as the
// dense kernel does (which adds 0·b = ±0 for the zeros), so both give the same bits.

/**
 * Lists the columns holding 1 in each row of the (rows, columns) matrix at `src`: row r's
 * columns are `indices[starts[r] .. starts[r + 1])` (i32 arrays). Returns the number of ones,
 * or −1 at the first value that is neither 0 nor 1.
 */
export function indexOnes(src: usize, rows: i32, columns: i32, starts: usize, indices: usize): i32 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let count: i32 = 0;
  for (let r = 0; r < rows; r++) {
    store<i32>(starts + ((<usize>r) << 2), count);
    const row = src + ((<usize>(r * columns)) << 2);
    let j = 0;
    for (; j + 4 <= columns; j += 4) {
      const v = v128.load(row + ((<usize>j) << 2));
      const ones = f32x4.eq(v, one);
      if (!v128.all_true<i32>(v128.or(ones, f32x4.eq(v, zero)))) return -1;
      // Branch-free: each lane's index is written at the cursor, which a 1 moves on.
      const mask = i32x4.bitmask(ones);
      store<i32>(indices + ((<usize>count) << 2), j);
      count += mask & 1;
      store<i32>(indices + ((<usize>count) << 2), j + 1);
      count += (mask >> 1) & 1;
      store<i32>(indices + ((<usize>count) << 2), j + 2);
      count += (mask >> 2) & 1;
      store<i32>(indices + ((<usize>count) << 2), j + 3);
      count += (mask >> 3) & 1;
    }
    for (; j < columns; j++) {
      const value = load<f32>(row + ((<usize>j) << 2));
      if (value === 1) {
        store<i32>(indices + ((<usize>count) << 2), j);
        count++;
      } else if (value !== 0) return -1;
    }
  }
  store<i32>(starts + ((<usize>rows) << 2), count);
  return count;
}

/**
 * Columns first..last of C = Σ_{p listed for row i} B[p, :], where B is (k, n) row-major at
 * `b` and C is (m, n) at `c`; row i's list is `indices[starts[i] .. starts[i + 1])`. Threads
 * split the work by column ranges (each then reads only its part of B's rows).
 */
export function sumListedRows(
  starts: usize,
  indices: usize,
  b: usize,
  c: usize,
  m: i32,
  n: i32,
  first: i32,
  last: i32,
): void {
  const rowBytes = (<usize>n) << 2;
  for (let i = 0; i < m; i++) {
    const begin = load<i32>(starts + ((<usize>i) << 2));
    const end = load<i32>(starts + ((<usize>(i + 1)) << 2));
    const out = c + <usize>i * rowBytes;
    let j = first;
    for (; j + 16 <= last; j += 16) {
      let s0 = f32x4.splat(0),
        s1 = f32x4.splat(0),
        s2 = f32x4.splat(0),
        s3 = f32x4.splat(0);
      const column = (<usize>j) << 2;
      for (let q = begin; q < end; q++) {
        const at = b + <usize>load<i32>(indices + ((<usize>q) << 2)) * rowBytes + column;
        s0 = f32x4.add(s0, v128.load(at));
        s1 = f32x4.add(s1, v128.load(at, 16));
        s2 = f32x4.add(s2, v128.load(at, 32));
        s3 = f32x4.add(s3, v128.load(at, 48));
      }
      v128.store(out + column, s0);
      v128.store(out + column, s1, 16);
      v128.store(out + column, s2, 32);
      v128.store(out + column, s3, 48);
    }
    for (; j + 4 <= last; j += 4) {
      let s = f32x4.splat(0);
      const column = (<usize>j) << 2;
      for (let q = begin; q < end; q++) {
        s = f32x4.add(s, v128.load(b + <usize>load<i32>(indices + ((<usize>q) << 2)) * rowBytes + column));
      }
      v128.store(out + column, s);
    }
    for (; j < last; j++) {
      let s: f32 = 0;
      const column = (<usize>j) << 2;
      for (let q = begin; q < end; q++) {
        s += load<f32>(b + <usize>load<i32>(indices + ((<usize>q) << 2)) * rowBytes + column);
      }
      store<f32>(out + column, s);
    }
  }
}

/**
 * The lists of a 0/1 matrix's transpose: for the (rows, columns) matrix whose rows list their
 * ones in `starts`/`indices` (as `indexOnes` writes them), writes the lists of its columns to
 * `columnStarts` (columns + 1) and `columnIndices`, each in ascending row order. `count`
 * is the number of ones.
 */
export function transposeLists(
  starts: usize,
  indices: usize,
  rows: i32,
  columns: i32,
  count: i32,
  columnStarts: usize,
  columnIndices: usize,
): void {
  memory.fill(columnStarts, 0, (<usize>(columns + 1)) << 2);
  for (let q = 0; q < count; q++) {
    const at = columnStarts + ((<usize>(load<i32>(indices + ((<usize>q) << 2)) + 1)) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  for (let j = 0; j < columns; j++) {
    const at = columnStarts + ((<usize>(j + 1)) << 2);
    store<i32>(at, load<i32>(at) + load<i32>(at - 4));
  }
  // Fill each column's list from its start, using columnStarts[j] as the cursor, then shift back.
  for (let r = 0; r < rows; r++) {
    const end = load<i32>(starts + ((<usize>(r + 1)) << 2));
    for (let q = load<i32>(starts + ((<usize>r) << 2)); q < end; q++) {
      const cursor = columnStarts + ((<usize>load<i32>(indices + ((<usize>q) << 2))) << 2);
      const slot = load<i32>(cursor);
      store<i32>(columnIndices + ((<usize>slot) << 2), r);
      store<i32>(cursor, slot + 1);
    }
  }
  for (let j = columns; j > 0; j--) {
    store<i32>(columnStarts + ((<usize>j) << 2), load<i32>(columnStarts + ((<usize>(j - 1)) << 2)));
  }
  store<i32>(columnStarts, 0);
}

/** Writes the transpose of the (rows, columns) matrix at `src` to `dst` as (columns, rows). */
export function transpose(src: usize, dst: usize, rows: i32, columns: i32): void {
  const BLOCK = 32;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < columns; c0 += BLOCK) {
      const c1 = min(columns, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        for (let j = c0; j < c1; j++) {
          store<f32>(dst + ((<usize>(j * rows + r)) << 2), load<f32>(src + ((<usize>(r * columns + j)) << 2)));
        }
      }
    }
  }
}

/** Transposes each of `outer` consecutive (rows, columns) matrices at `src` into (columns, rows) at `dst`. */
export function transposeBlocks(src: usize, dst: usize, outer: i32, rows: i32, columns: i32): void {
  const bytes = (<usize>(rows * columns)) << 2;
  for (let o = 0; o < outer; o++) transpose(src + <usize>o * bytes, dst + <usize>o * bytes, rows, columns);
}

/**
 * im2col (as `patches.ts`'s patchRows): every output position's patch of the images at `src`
 * (batch, channels, height, width) as one row (channels, kh, kw) of `dst`, zero in the padding.
 */
export function patchRows(
  src: usize,
  dst: usize,
  batch: i32,
  channels: i32,
  height: i32,
  width: i32,
  kernelHeight: i32,
  kernelWidth: i32,
  outHeight: i32,
  outWidth: i32,
  stride: i32,
  padding: i32,
): void {
  const imageSize = channels * height * width;
  let out = dst;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const left = x * stride - padding;
        const first = min(kernelWidth, max(0, -left));
        const end = max(first, min(kernelWidth, width - left));
        for (let c = 0; c < channels; c++) {
          for (let i = 0; i < kernelHeight; i++) {
            const row = y * stride + i - padding;
            if (row < 0 || row >= height) {
              memory.fill(out, 0, (<usize>kernelWidth) << 2);
            } else if (first === 0 && end === kernelWidth && kernelWidth >= 4) {
              // A row of taps inside the image: four at a time, the last four overlapping the rest.
              const pixels = src + ((<usize>(b * imageSize + (c * height + row) * width + left)) << 2);
              const last = (<usize>(kernelWidth - 4)) << 2;
              for (let j: usize = 0; j < last; j += 16) v128.store(out + j, v128.load(pixels + j));
              v128.store(out + last, v128.load(pixels + last));
            } else {
              const pixels = src + ((<usize>(b * imageSize + (c * height + row) * width + left)) << 2);
              for (let j = 0; j < first; j++) store<f32>(out + ((<usize>j) << 2), 0);
              for (let j = first; j < end; j++) {
                store<f32>(out + ((<usize>j) << 2), load<f32>(pixels + ((<usize>j) << 2)));
              }
              for (let j = end; j < kernelWidth; j++) store<f32>(out + ((<usize>j) << 2), 0);
            }
            out += (<usize>kernelWidth) << 2;
          }
        }
      }
    }
  }
}

/**
 * col2im (as `patches.ts`'s addPatchRows), the transpose of {@link patchRows}: each patch entry of
 * the rows at `src` added onto the pixel it was read from, into the images at `dst`
 * (batch, channels, height, width), which it zeroes first. Each pixel sums its entries in the
 * order of the rows, four pixels at a time where a row of taps lies inside the image.
 */
export function addPatchRows(
  src: usize,
  dst: usize,
  batch: i32,
  channels: i32,
  height: i32,
  width: i32,
  kernelHeight: i32,
  kernelWidth: i32,
  outHeight: i32,
  outWidth: i32,
  stride: i32,
  padding: i32,
): void {
  const imageSize = channels * height * width;
  memory.fill(dst, 0, (<usize>(batch * imageSize)) << 2);
  let entry = src;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const left = x * stride - padding;
        const first = min(kernelWidth, max(0, -left));
        const end = max(first, min(kernelWidth, width - left));
        for (let c = 0; c < channels; c++) {
          for (let i = 0; i < kernelHeight; i++) {
            const row = y * stride + i - padding;
            if (row >= 0 && row < height) {
              const pixels = dst + ((<usize>(b * imageSize + (c * height + row) * width + left)) << 2);
              let j = first;
              for (; j + 4 <= end; j += 4) {
                const at = pixels + ((<usize>j) << 2);
                v128.store(at, f32x4.add(v128.load(at), v128.load(entry + ((<usize>j) << 2))));
              }
              for (; j < end; j++) {
                const at = pixels + ((<usize>j) << 2);
                store<f32>(at, load<f32>(at) + load<f32>(entry + ((<usize>j) << 2)));
              }
            }
            entry += (<usize>kernelWidth) << 2;
          }
        }
      }
    }
  }
}

// ----- elementwise maths and reductions -----

/** out[i] = σ(x[i]) for i < count: 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below, in four lanes; lanes below −87 (where e^x leaves float32's normal range) in double precision. */
export function sigmoid(src: usize, out: usize, count: i32): void {
  const one = f32x4.splat(1);
  const floor = f32x4.splat(-87);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = (<usize>i) << 2;
    const x = v128.load(src + offset);
    const e = exp4(f32x4.neg(f32x4.abs(x)));
    const denominator = f32x4.add(one, e);
    const result = v128.bitselect(f32x4.div(one, denominator), f32x4.div(e, denominator), f32x4.ge(x, f32x4.splat(0)));
    v128.store(out + offset, result);
    if (v128.any_true(f32x4.lt(x, floor))) {
      for (let lane = 0; lane < 4; lane++)
        sigmoidScalar(src + offset + ((<usize>lane) << 2), out + offset + ((<usize>lane) << 2));
    }
  }
  for (; i < count; i++) sigmoidScalar(src + ((<usize>i) << 2), out + ((<usize>i) << 2));
}

/**
 * out[i] = softplus(x[i]) = max(x, 0) + ln(1 + e^−|x|) for i < count, in four lanes (ln by
 * Cephes' single-precision polynomial, with the rounding of 1 + e^−|x| corrected); lanes
 * below −87 (where e^x leaves float32's normal range) in double precision.
 */
export function softplus(src: usize, out: usize, count: i32): void {
  const one = f32x4.splat(1);
  const floor = f32x4.splat(-87);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = (<usize>i) << 2;
    const x = v128.load(src + offset);
    const e = exp4(f32x4.neg(f32x4.abs(x)));
    const u = f32x4.add(one, e);
    // ln(1 + e) = ln u + (e − (u − 1))/u: the second term restores what rounding u lost.
    const correction = f32x4.div(f32x4.sub(e, f32x4.sub(u, one)), u);
    v128.store(out + offset, f32x4.add(f32x4.pmax(x, f32x4.splat(0)), f32x4.add(log4OneToTwo(u), correction)));
    if (v128.any_true(f32x4.lt(x, floor))) {
      for (let lane = 0; lane < 4; lane++)
        softplusScalar(src + offset + ((<usize>lane) << 2), out + offset + ((<usize>lane) << 2));
    }
  }
  for (; i < count; i++) softplusScalar(src + ((<usize>i) << 2), out + ((<usize>i) << 2));
}

/** ln u for four lanes of u in [1, 2] (Cephes' logf: u = 2^k·m with m in [√½, √2), a polynomial in m − 1). */
function log4OneToTwo(u: v128): v128 {
  const high = f32x4.ge(u, f32x4.splat(<f32>Math.SQRT2));
  const k = v128.and(high, f32x4.splat(1));
  const x = f32x4.sub(v128.bitselect(f32x4.mul(u, f32x4.splat(0.5)), u, high), f32x4.splat(1));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(-1.151461031e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.167699874e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(x, z), p);
  y = f32x4.add(y, f32x4.mul(k, f32x4.splat(-2.1219444e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(x, y), f32x4.mul(k, f32x4.splat(0.693359375)));
}

/** out = softplus(x) for one float, in double precision. */
function softplusScalar(src: usize, out: usize): void {
  const x = <f64>load<f32>(src);
  store<f32>(out, <f32>(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))));
}

/** out = σ(x) for one float, in double precision. */
function sigmoidScalar(src: usize, out: usize): void {
  const x = <f64>load<f32>(src);
  store<f32>(out, <f32>(x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))));
}

/**
 * out[j] = Σ_r src[r, j] over the rows of the (rows, columns) matrix at `src`, accumulated
 * in double precision in ascending r (as the JavaScript loop does) and rounded once.
 */
export function sumColumns(src: usize, rows: i32, columns: i32, out: usize): void {
  const rowBytes = (<usize>columns) << 2;
  let j = 0;
  for (; j + 8 <= columns; j += 8) {
    let s0 = f64x2.splat(0),
      s1 = f64x2.splat(0),
      s2 = f64x2.splat(0),
      s3 = f64x2.splat(0);
    let at = src + ((<usize>j) << 2);
    for (let r = 0; r < rows; r++, at += rowBytes) {
      const low = v128.load(at);
      const high = v128.load(at, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(low));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(low, low, 2, 3, 0, 1)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(high));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(i32x4.shuffle(high, high, 2, 3, 0, 1)));
    }
    const target = out + ((<usize>j) << 2);
    v128.store(target, i32x4.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
    v128.store(target, i32x4.shuffle(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 1, 4, 5), 16);
  }
  for (; j < columns; j++) {
    let s: f64 = 0;
    let at = src + ((<usize>j) << 2);
    for (let r = 0; r < rows; r++, at += rowBytes) s += <f64>load<f32>(at);
    store<f32>(out + ((<usize>j) << 2), <f32>s);
  }
}

/** The binary operations of {@link elementwise}, by code (`OPERATION_CODES` in wasm-gemm.ts; any other code is equality). */
const ADD = 0,
  SUB = 1,
  MUL = 2,
  DIV = 3,
  MAXIMUM = 4,
  MINIMUM = 5,
  GREATER = 6,
  LESS = 7;

/** Operation `op` on four lanes; comparisons give 1 or 0. */
function applyLanes(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD:
      return f32x4.add(x, y);
    case SUB:
      return f32x4.sub(x, y);
    case MUL:
      return f32x4.mul(x, y);
    case DIV:
      return f32x4.div(x, y);
    case MAXIMUM:
      return f32x4.max(x, y);
    case MINIMUM:
      return f32x4.min(x, y);
    case GREATER:
      return v128.and(f32x4.gt(x, y), f32x4.splat(1));
    case LESS:
      return v128.and(f32x4.lt(x, y), f32x4.splat(1));
    default:
      return v128.and(f32x4.eq(x, y), f32x4.splat(1));
  }
}

/** Operation `op` on one value each (the lanes' rule). */
function applyScalar(op: i32, x: f32, y: f32): f32 {
  return f32x4.extract_lane(applyLanes(op, f32x4.splat(x), f32x4.splat(y)), 0);
}

/**
 * out[r, j] = op(a[r·aRow + j·aLane], b[r·bRow + j·bLane]) for a (rows, columns) output, where
 * a lane step of 0 repeats one value along the row (a scalar or a column broadcast) and 1 walks
 * it; row steps (in floats) of 0 repeat a row. Each value is the correctly rounded float32
 * result, as JavaScript's double-precision operation rounded to float32 gives.
 */
export function elementwise(
  op: i32,
  a: usize,
  aRow: i32,
  aLane: i32,
  b: usize,
  bRow: i32,
  bLane: i32,
  out: usize,
  rows: i32,
  columns: i32,
): void {
  const vectors = columns & ~3;
  for (let r = 0; r < rows; r++) {
    const rowA = a + ((<usize>(r * aRow)) << 2);
    const rowB = b + ((<usize>(r * bRow)) << 2);
    const rowOut = out + ((<usize>r * <usize>columns) << 2);
    if (aLane && bLane) {
      for (let j = 0; j < vectors; j += 4) {
        const offset = (<usize>j) << 2;
        v128.store(rowOut + offset, applyLanes(op, v128.load(rowA + offset), v128.load(rowB + offset)));
      }
    } else if (aLane) {
      const y = v128.load32_splat(rowB);
      for (let j = 0; j < vectors; j += 4) {
        const offset = (<usize>j) << 2;
        v128.store(rowOut + offset, applyLanes(op, v128.load(rowA + offset), y));
      }
    } else {
      const x = v128.load32_splat(rowA);
      for (let j = 0; j < vectors; j += 4) {
        const offset = (<usize>j) << 2;
        v128.store(rowOut + offset, applyLanes(op, x, bLane ? v128.load(rowB + offset) : v128.load32_splat(rowB)));
      }
    }
    for (let j = vectors; j < columns; j++) {
      const x = load<f32>(rowA + ((<usize>(j * aLane)) << 2));
      const y = load<f32>(rowB + ((<usize>(j * bLane)) << 2));
      store<f32>(rowOut + ((<usize>j) << 2), applyScalar(op, x, y));
    }
  }
}
