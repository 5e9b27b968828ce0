/**
 * Flat loops for the common cases of binary elementwise maths on contiguous float32 data —
 * same shape, a scalar on either side, a row (n) or a column (m, 1) against (m, n) — each
 * compiled once per operation from its expression, so V8 optimizes every loop on its own
 * (one generic loop calling a function per element would be several times slower).
 */

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
