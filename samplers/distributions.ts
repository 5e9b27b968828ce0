import type { SeededRandom } from '../backends/index.js';

/** A standard normal draw (Box–Muller). */
export function normal(random: SeededRandom): number {
  const u1 = 1 - random.nextFloat();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextFloat());
}

/** A Gamma(shape, scale) draw (Marsaglia & Tsang; shapes below 1 boosted by u^(1/shape)). */
export function gamma(random: SeededRandom, shape: number, scale: number): number {
  if (shape < 1) return gamma(random, shape + 1, scale) * (1 - random.nextFloat()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random.nextFloat();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0] as number;
  for (let i = 1; i < 9; i++) sum += (coefficients[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** A Poisson(λ) draw: multiplication of uniforms for small λ, Hörmann's PTRS otherwise. */
export function poisson(random: SeededRandom, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = 1 - random.nextFloat();
    while (product > limit) {
      k += 1;
      product *= 1 - random.nextFloat();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const logLambda = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random.nextFloat() - 0.5;
    const v = 1 - random.nextFloat();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(inverseAlpha) - Math.log(a / (us * us) + b) <=
      -lambda + k * logLambda - logGamma(k + 1)
    ) {
      return k;
    }
  }
}
