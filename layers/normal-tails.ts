/**
 * The standard normal's tails in tensor arithmetic, stable for any finite argument:
 * ln Φ(a), the inverse Mills ratio φ(a)/Φ(a), and draws from a normal truncated below.
 * Everything rests on one approximation of the complementary error function,
 * erfc(z) ≈ t·exp(−z² + P(t)) with t = 1/(1 + z/2) for z ≥ 0, whose relative error is below
 * 1.2·10⁻⁷ (Press et al., Numerical Recipes, §6.2): its logarithm `ln t − z² + P(t)` never
 * underflows, so ln Φ(a) is accurate far into the lower tail.
 */
import { be, type Tensor } from '../backends/index.js';
import { blend } from './layer.js';

/** Chebyshev coefficients of P(t), constant term first. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];
const INVERSE_SQRT_TWO = Math.SQRT1_2;
const INVERSE_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);
/** Newton steps after the rational first guess (its error, below 4.5·10⁻⁴, squares at each). */
const NEWTON_STEPS = 2;
/** Where {@link truncatedNormalMean} switches to its continued fraction, and its depth. */
const CONTINUED_FRACTION_FROM = 5;
const CONTINUED_FRACTION_DEPTH = 12;
/** A floor for tail masses that would underflow float32 (its smallest normal number is 1.2·10⁻³⁸). */
const TINY = 1e-30;

/** t and P(t) for z = |a|/√2, so erfc(z) = t·exp(−z² + P(t)). @param a - any shape */
function erfcParts(a: Tensor): { readonly t: Tensor; readonly p: Tensor; readonly zSquared: Tensor } {
  const z = be.mul(be.abs(a), INVERSE_SQRT_TWO);
  const t = be.div(1, be.add(be.mul(z, 0.5), 1));
  let p = be.fill(be.shape(a), ERFC_COEFFICIENTS[ERFC_COEFFICIENTS.length - 1] as number);
  for (let k = ERFC_COEFFICIENTS.length - 2; k >= 0; k--) p = be.add(be.mul(p, t), ERFC_COEFFICIENTS[k] as number);
  return { t, p, zSquared: be.square(z) };
}

/** ln Φ(a), the log of the standard normal distribution function. @param a - any shape @returns same shape */
export function logNormalCdf(a: Tensor): Tensor {
  return be.tidy(() => {
    const { t, p, zSquared } = erfcParts(a);
    const logErfc = be.add(be.sub(be.log(t), zSquared), p); // ln erfc(|a|/√2)
    const lowerTail = be.sub(logErfc, Math.LN2); // ln Φ(−|a|)
    const upperTail = be.log1p(be.mul(be.exp(logErfc), -0.5)); // ln Φ(|a|) = ln(1 − ½ erfc(|a|/√2))
    return blend(be.greater(a, 0), upperTail, lowerTail);
  });
}

/**
 * The inverse Mills ratio λ(a) = φ(a)/Φ(a), accurate for very negative a (where it
 * approaches −a) because there it is √(2/π)/(t·e^{P(t)}), free of exp(−a²/2).
 * @param a - any shape @returns same shape
 */
export function inverseMillsRatio(a: Tensor): Tensor {
  return be.tidy(() => {
    const { t, p, zSquared } = erfcParts(a);
    const lowerTail = be.div(2 * INVERSE_SQRT_TWO_PI, be.mul(t, be.exp(p)));
    const cdf = be.sub(1, be.mul(be.mul(t, be.exp(be.sub(p, zSquared))), 0.5)); // Φ(|a|)
    const upperTail = be.div(be.mul(be.exp(be.neg(zSquared)), INVERSE_SQRT_TWO_PI), cdf);
    return blend(be.greater(a, 0), upperTail, lowerTail);
  });
}

/**
 * The mean of N(a, 1) truncated to [0, ∞), a + λ(a). Below a = −5, where that sum cancels
 * (it approaches 1/|a|), it is Laplace's continued fraction 1/(x + 2/(x + 3/(x + …))) with
 * x = −a, whose first 12 levels are exact to 10⁻⁹ there.
 * @param a - any shape @returns same shape
 */
export function truncatedNormalMean(a: Tensor): Tensor {
  return be.tidy(() => {
    const x = be.maximum(be.neg(a), CONTINUED_FRACTION_FROM);
    let fraction = x;
    for (let k = CONTINUED_FRACTION_DEPTH; k >= 2; k--) fraction = be.add(x, be.div(k, fraction));
    const direct = be.add(a, inverseMillsRatio(be.maximum(a, -CONTINUED_FRACTION_FROM)));
    return blend(be.less(a, -CONTINUED_FRACTION_FROM), be.div(1, fraction), direct);
  });
}

/**
 * y ≥ 0 with ln Q(y) = `logTail`, where Q(y) = Φ(−y) is the upper tail mass and
 * `logTail` ≤ ln ½: a rational first guess (Abramowitz & Stegun 26.2.23), then Newton
 * steps on ln Q(y) = ln t − y²/2 + P(t) − ln 2, which is concave, so they converge from the
 * first step on; its slope is −λ(−y) = −2/(√(2π)·t·e^{P(t)}).
 * @param logTail - any shape, values ≤ ln ½ @returns same shape
 */
function upperTailQuantile(logTail: Tensor): Tensor {
  return be.tidy(() => {
    const s = be.sqrt(be.mul(logTail, -2));
    const numerator = be.add(be.mul(be.add(be.mul(s, 0.010328), 0.802853), s), 2.515517);
    const denominator = be.add(be.mul(be.add(be.mul(be.add(be.mul(s, 0.001308), 0.189269), s), 1.432788), s), 1);
    let y = be.maximum(be.sub(s, be.div(numerator, denominator)), 0);
    for (let step = 0; step < NEWTON_STEPS; step++) {
      const next = be.tidy(() => {
        const { t, p, zSquared } = erfcParts(y);
        const excess = be.sub(be.sub(be.add(be.sub(be.log(t), zSquared), p), Math.LN2), logTail);
        return be.maximum(be.add(y, be.mul(excess, be.mul(be.mul(t, be.exp(p)), 1 / (2 * INVERSE_SQRT_TWO_PI)))), 0);
      });
      be.dispose(y);
      y = next;
    }
    return y;
  });
}

/**
 * Draws from the standard normal truncated to [lower, ∞) by inverting its distribution
 * function in whichever tail the draw falls, so that no probability near 1 is formed: with u
 * uniform, the draw's upper tail mass is (1 − u)·Q(lower) and its lower tail mass
 * Φ(lower) + u·Q(lower); the smaller of the two, below ½, gives |y| by one quantile.
 * @param lower - any shape @returns same shape, every value ≥ lower
 */
export function truncatedNormalDraw(lower: Tensor): Tensor {
  return be.tidy(() => {
    const u = be.randomUniform(be.shape(lower));
    const logTailAtLower = logNormalCdf(be.neg(lower));
    const logUpper = be.add(be.log(be.sub(1, u)), logTailAtLower);
    const lowerMass = be.maximum(be.add(be.exp(logNormalCdf(lower)), be.mul(u, be.exp(logTailAtLower))), TINY);
    const inUpperTail = be.less(logUpper, -Math.LN2);
    const logTail = be.minimum(blend(inUpperTail, logUpper, be.log(lowerMass)), -Math.LN2);
    const sign = be.sub(be.mul(inUpperTail, 2), 1);
    return be.maximum(be.mul(upperTailQuantile(logTail), sign), lower);
  });
}
