/**
 * Elementwise kernels: unary maths, broadcasting binary maths, fill, and the fused ADAM step.
 */
import { bindings, linearMain, MAX_RANK, PRELUDE, stridedOffsets } from './common.js';

/** The unary operations, as WGSL expressions of `x`. */
const UNARY = {
  neg: '-x',
  abs: 'abs(x)',
  exp: 'exp(x)',
  log: 'log(x)',
  // ln(1 + x): a series near 0, where 1 + x loses the digits of x.
  log1p: 'select(log(1.0 + x), x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * 0.2)))), abs(x) < 1e-2)',
  sqrt: 'sqrt(x)',
  square: 'x * x',
  sigmoid: 'sigmoidOf(x)',
  // max(x, 0) + ln(1 + e^−|x|)
  softplus: 'max(x, 0.0) + log1pOf(exp(-abs(x)))',
} as const;

export type UnaryOp = keyof typeof UNARY;

/** Helpers the unary expressions use. */
const UNARY_HELPERS = /* wgsl */ `
fn log1pOf(x: f32) -> f32 { return ${UNARY.log1p}; }
fn sigmoidOf(x: f32) -> f32 {
  let e = exp(-abs(x));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, x >= 0.0);
}
`;

/** out[i] = op(x[i]). Uniforms: [count]. */
export function unarySource(op: UnaryOp): string {
  return `${PRELUDE}${UNARY_HELPERS}${bindings(['input'], ['out'])}
${linearMain('param(0u)', `let x = input[i]; out[i] = ${UNARY[op]};`)}`;
}

/** The binary operations, as WGSL expressions of `a` and `b`. */
const BINARY = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  maximum: 'select(max(a, b), nanF(), isNan(a) || isNan(b))',
  minimum: 'select(min(a, b), nanF(), isNan(a) || isNan(b))',
  greater: 'select(0.0, 1.0, a > b)',
  less: 'select(0.0, 1.0, a < b)',
  equal: 'select(0.0, 1.0, a == b)',
} as const;

export type BinaryOp = keyof typeof BINARY;

/**
 * How a binary operand is read: `same` (contiguous, the output's shape), `strided`
 * (broadcast through strides, 0 on stretched axes) or `scalar` (a number in the uniforms).
 */
export type OperandMode = 'same' | 'strided' | 'scalar';

/** Uniform word offsets of the binary kernel: [count, rank, a, b (scalars' bits), shape, a strides, b strides]. */
export const BINARY_LAYOUT = { shape: 4, stridesA: 4 + MAX_RANK, stridesB: 4 + 2 * MAX_RANK } as const;

/** out[i] = a[·] op b[·] with numpy broadcasting. */
export function binarySource(op: BinaryOp, modeA: OperandMode, modeB: OperandMode): string {
  const inputs = [...(modeA === 'scalar' ? [] : ['inputA']), ...(modeB === 'scalar' ? [] : ['inputB'])];
  const read = (mode: OperandMode, name: string, scalarWord: number, offset: string) =>
    mode === 'scalar' ? `paramF(${scalarWord}u)` : mode === 'same' ? `${name}[i]` : `${name}[${offset}]`;
  const strided = modeA === 'strided' || modeB === 'strided';
  const offsets = strided
    ? stridedOffsets(BINARY_LAYOUT.shape, [
        ['offsetA', BINARY_LAYOUT.stridesA, '0u'],
        ['offsetB', BINARY_LAYOUT.stridesB, '0u'],
      ])
    : '';
  const body = `${offsets}
  let a = ${read(modeA, 'inputA', 2, 'offsetA')};
  let b = ${read(modeB, 'inputB', 3, 'offsetB')};
  out[i] = ${BINARY[op]};`;
  return `${PRELUDE}${bindings(inputs, ['out'])}
${linearMain('param(0u)', body)}`;
}

/** out[i] = value. Uniforms: [count, value bits]. */
export function fillSource(): string {
  return `${PRELUDE}${bindings([], ['out'])}
${linearMain('param(0u)', 'out[i] = paramF(1u);')}`;
}

/**
 * The ADAM step in the composite's f32 arithmetic and order. Uniforms: [count, β₁, 1 − β₁, β₂,
 * 1 − β₂, 1 − β₁ᵗ, 1 − β₂ᵗ, ε, η] (floats' bits). `withMoments`: previous moments are bound
 * (else they count as zeros).
 */
export function adamSource(withMoments: boolean): string {
  const inputs = withMoments ? ['parameter', 'gradient', 'mean', 'meanSquare'] : ['parameter', 'gradient'];
  const body = /* wgsl */ `
  let g = gradient[i];
  let scaledMean = g * paramF(2u);
  let scaledSquare = (g * g) * paramF(4u);
  let nextMean = ${withMoments ? 'mean[i] * paramF(1u) + scaledMean' : 'scaledMean'};
  let nextSquare = ${withMoments ? 'meanSquare[i] * paramF(3u) + scaledSquare' : 'scaledSquare'};
  let correctedMean = nextMean / paramF(5u);
  let correctedSquare = nextSquare / paramF(6u);
  let update = correctedMean / (sqrt(correctedSquare) + paramF(7u));
  outParam[i] = parameter[i] - update * paramF(8u);
  outMean[i] = nextMean;
  outMeanSquare[i] = nextSquare;`;
  return `${PRELUDE}${bindings(inputs, ['outParam', 'outMean', 'outMeanSquare'])}
${linearMain('param(0u)', body)}`;
}
