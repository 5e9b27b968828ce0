/**
 * Flat loops for the common cases of binary elementwise maths on contiguous float32 data —
 * same shape, a scalar on either side, a row (n) or a column (m, 1) against (m, n) — each
 * compiled once per operation from its expression, so V8 optimizes every loop on its own
 * (one generic loop calling a function per element would be several times slower).
 */
import { sizeOf } from '../shapes.js';

/** `out[i] = f(a[i], b[i])` for i < count. */
type SameShape = (a: Float32Array, b: Float32Array, out: Float32Array, count: number) => void;
/** `out[i] = f(a[i], s)` (or `f(s, a[i])`). */
type WithScalar = (a: Float32Array, s: number, out: Float32Array, count: number) => void;
/** Row: `out[r·n + j] = f(a[r·n + j], b[j])`; column: `… = f(a[r·n + j], b[r])`. */
type Broadcast = (a: Float32Array, b: Float32Array, out: Float32Array, rows: number, columns: number) => void;

/** The compiled loops of one operation. */
export interface FlatLoops {
  readonly same: SameShape;
  readonly scalarRight: WithScalar;
  readonly scalarLeft: WithScalar;
  readonly rowRight: Broadcast;
  readonly columnRight: Broadcast;
}

/**
 * Compiles the loops of `expression` in `$x` (left operand) and `$y` (right operand),
 * e.g. `'$x + $y'` or `'($x > $y ? 1 : 0)'`.
 */
export function compileLoops(expression: string): FlatLoops {
  const body = (x: string, y: string) => expression.replaceAll('$x', x).replaceAll('$y', y);
  return {
    same: new Function(
      'a',
      'b',
      'out',
      'count',
      `for (let i = 0; i < count; i++) out[i] = ${body('a[i]', 'b[i]')};`,
    ) as SameShape,
    scalarRight: new Function(
      'a',
      's',
      'out',
      'count',
      `for (let i = 0; i < count; i++) out[i] = ${body('a[i]', 's')};`,
    ) as WithScalar,
    scalarLeft: new Function(
      'a',
      's',
      'out',
      'count',
      `for (let i = 0; i < count; i++) out[i] = ${body('s', 'a[i]')};`,
    ) as WithScalar,
    rowRight: new Function(
      'a',
      'b',
      'out',
      'rows',
      'columns',
      `for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < columns; j++, i++) out[i] = ${body('a[i]', 'b[j]')};`,
    ) as Broadcast,
    columnRight: new Function(
      'a',
      'b',
      'out',
      'rows',
      'columns',
      `for (let r = 0, i = 0; r < rows; r++) { const v = b[r]; for (let j = 0; j < columns; j++, i++) out[i] = ${body('a[i]', 'v')}; }`,
    ) as Broadcast,
  };
}

/** The loops of every binary operation of the cpu backend. */
export const LOOPS = {
  add: compileLoops('$x + $y'),
  sub: compileLoops('$x - $y'),
  mul: compileLoops('$x * $y'),
  div: compileLoops('$x / $y'),
  maximum: compileLoops('Math.max($x, $y)'),
  minimum: compileLoops('Math.min($x, $y)'),
  greater: compileLoops('($x > $y ? 1 : 0)'),
  less: compileLoops('($x < $y ? 1 : 0)'),
  equal: compileLoops('($x === $y ? 1 : 0)'),
} as const;

/** Names of the binary operations. */
export type BinaryOperation = keyof typeof LOOPS;

/** The flat cases, named after their loops. */
export type FlatCase = keyof FlatLoops;

/**
 * A binary operation whose operands the flat loops can walk: its case, and the output as
 * (rows, columns) — (1, count) for the cases without rows.
 */
export interface FlatLayout {
  readonly flat: FlatCase;
  readonly rows: number;
  readonly columns: number;
}

/** The shape and size of an operand. */
interface Operand {
  readonly shape: readonly number[];
  readonly size: number;
}

/**
 * The flat case of `x op y` with output `shape` (same shape, a scalar on either side, a row or
 * a column against a matrix), or undefined when the strided general path is needed.
 */
export function flatLayout(x: Operand, y: Operand, shape: readonly number[]): FlatLayout | undefined {
  const count = sizeOf(shape);
  const sameAsOut = (t: Operand) => t.size === count && t.shape.length === shape.length;
  const whole = (flat: FlatCase): FlatLayout => ({ flat, rows: 1, columns: count });
  if (sameAsOut(x) && sameAsOut(y) && x.shape.every((d, i) => d === y.shape[i])) return whole('same');
  if (sameAsOut(x) && y.size === 1) return whole('scalarRight');
  if (sameAsOut(y) && x.size === 1) return whole('scalarLeft');
  if (!sameAsOut(x) || shape.length !== 2) return undefined;
  const [rows, columns] = shape as [number, number];
  if (y.size === columns && (y.shape.length === 1 || y.shape[0] === 1)) return { flat: 'rowRight', rows, columns };
  if (y.size === rows && y.shape.length === 2 && y.shape[1] === 1) return { flat: 'columnRight', rows, columns };
  return undefined;
}

/** Runs the loop of `layout` for `x op y` into `out`. */
export function runFlat(loops: FlatLoops, layout: FlatLayout, x: Float32Array, y: Float32Array, out: Float32Array) {
  const { flat, rows, columns } = layout;
  if (flat === 'same') loops.same(x, y, out, columns);
  else if (flat === 'scalarRight') loops.scalarRight(x, y[0] as number, out, columns);
  else if (flat === 'scalarLeft') loops.scalarLeft(y, x[0] as number, out, columns);
  else loops[flat](x, y, out, rows, columns);
}
