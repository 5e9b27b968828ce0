/**
 * Plain float64 reference implementations the backends are checked against: a tiny
 * row-major array type with numpy broadcasting, reductions and a naive matrix product.
 */

/** A reference array: float64 values in row-major order with a shape. */
export interface RefArray {
  readonly values: Float64Array;
  readonly shape: readonly number[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function ref(values: ArrayLike<number>, shape: readonly number[]): RefArray {
  return { values: Float64Array.from(values), shape };
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i] as number;
  }
  return out;
}

/** numpy broadcasting result shape, or undefined when incompatible. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The value of `x` at output multi-index `index` under broadcasting to `shape`. */
function at(x: RefArray, index: readonly number[]): number {
  const s = strides(x.shape);
  const offset = index.length - x.shape.length;
  let flat = 0;
  for (let i = 0; i < x.shape.length; i++) {
    const dim = x.shape[i] as number;
    flat += (dim === 1 ? 0 : (index[i + offset] as number)) * (s[i] as number);
  }
  return x.values[flat] as number;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const dim = shape[i] as number;
    index[i] = flat % dim;
    flat = Math.floor(flat / dim);
  }
  return index;
}

export function mapRef(x: RefArray, fn: (v: number) => number): RefArray {
  return { values: x.values.map(fn), shape: x.shape };
}

export function zipRef(arrays: readonly RefArray[], fn: (...v: number[]) => number): RefArray {
  let shape: number[] = [];
  for (const a of arrays) shape = broadcast(shape, a.shape) as number[];
  const values = new Float64Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const index = unravel(i, shape);
    values[i] = fn(...arrays.map((a) => at(a, index)));
  }
  return { values, shape };
}

export function reduceRef(
  x: RefArray,
  axis: number | undefined,
  keepDims: boolean,
  init: number,
  combine: (acc: number, v: number) => number,
): RefArray {
  if (axis === undefined) {
    let acc = init;
    for (const v of x.values) acc = combine(acc, v);
    return { values: Float64Array.of(acc), shape: keepDims ? x.shape.map(() => 1) : [] };
  }
  const outShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const values = new Float64Array(sizeOf(outShape)).fill(init);
  const outStrides = strides(outShape);
  for (let i = 0; i < x.values.length; i++) {
    const index = unravel(i, x.shape);
    index[axis] = 0;
    const target = index.reduce((acc, v, k) => acc + v * (outStrides[k] as number), 0);
    values[target] = combine(values[target] as number, x.values[i] as number);
  }
  return { values, shape: keepDims ? outShape : x.shape.filter((_, i) => i !== axis) };
}

export function argMaxRef(x: RefArray, axis: number): RefArray {
  const length = x.shape[axis] as number;
  const outShape = x.shape.filter((_, i) => i !== axis);
  const values = new Float64Array(sizeOf(outShape));
  for (let o = 0; o < values.length; o++) {
    const index = unravel(o, outShape);
    let best = -Infinity;
    let bestIndex = 0;
    for (let l = 0; l < length; l++) {
      const full = [...index.slice(0, axis), l, ...index.slice(axis)];
      const v = at(x, full);
      if (v > best) {
        best = v;
        bestIndex = l;
      }
    }
    values[o] = bestIndex;
  }
  return { values, shape: outShape };
}

export function matmulRef(a: RefArray, b: RefArray, transposeA = false, transposeB = false): RefArray {
  const [a0, a1] = a.shape as [number, number];
  const [b0, b1] = b.shape as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  const getA = (i: number, p: number) => a.values[transposeA ? p * a1 + i : i * a1 + p] as number;
  const getB = (p: number, j: number) => b.values[transposeB ? j * b1 + p : p * b1 + j] as number;
  const values = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += getA(i, p) * getB(p, j);
      values[i * n + j] = s;
    }
  }
  return { values, shape: [m, n] };
}

/** Stable float64 references of the composites. */
export const stable = {
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  logaddexp: (a: number, b: number) => Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))),
};
