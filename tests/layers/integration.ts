/**
 * Float64 quadrature of one unit's density and the Kolmogorov–Smirnov distance of draws to a
 * distribution function: the references the continuous unit types are held to.
 */

/** An unnormalized log density at `from + k·step`, k = 0, …, length − 1 (an odd length: an even number of steps). */
export interface GridDensity {
  readonly logDensity: ArrayLike<number>;
  readonly from: number;
  readonly step: number;
}

/** What a density integrates to: ln Z, the mean, the variance, the mode, and the distribution function. */
export interface Integrated {
  readonly logZ: number;
  readonly mean: number;
  readonly variance: number;
  readonly mode: number;
  readonly cdf: (x: number) => number;
}

/** ln Z, the mean and the variance by Simpson's rule, the mode at the grid's peak, the distribution function by the trapezoid rule (interpolated). */
export function integrateGrid({ logDensity, from, step }: GridDensity): Integrated {
  const steps = logDensity.length - 1;
  if (steps < 2 || steps % 2 !== 0) throw new Error(`integrateGrid: expected an even number of steps, got ${steps}`);
  let [peak, peakAt] = [-Infinity, 0];
  for (let k = 0; k <= steps; k++) {
    if ((logDensity[k] as number) > peak) [peak, peakAt] = [logDensity[k] as number, k];
  }
  const density = (k: number) => Math.exp((logDensity[k] as number) - peak);
  let [mass, first, second, running] = [0, 0, 0, 0];
  const cumulative = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) {
    const x = from + k * step;
    const weight = ((k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2) * step) / 3;
    mass += weight * density(k);
    first += weight * density(k) * x;
    second += weight * density(k) * x * x;
    if (k > 0) running += ((density(k - 1) + density(k)) / 2) * step;
    cumulative[k] = running;
  }
  const mean = first / mass;
  const cdf = (x: number) => {
    const position = Math.min(steps, Math.max(0, (x - from) / step));
    const k = Math.min(steps - 1, Math.floor(position));
    const [low, high] = [cumulative[k] as number, cumulative[k + 1] as number];
    return (low + (high - low) * (position - k)) / running;
  };
  return { logZ: peak + Math.log(mass), mean, variance: second / mass - mean * mean, mode: from + peakAt * step, cdf };
}

/** The (unnormalized) log density of one unit and the interval it is integrated over. */
export interface Density {
  readonly logDensity: (x: number) => number;
  readonly from: number;
  readonly to: number;
}

/** {@link integrateGrid} of `logDensity` on `steps` (even) equal steps from `from` to `to`. */
export function integrate({ logDensity, from, to }: Density, steps = 200_000): Integrated {
  const step = (to - from) / steps;
  return integrateGrid({
    logDensity: Float64Array.from({ length: steps + 1 }, (_, k) => logDensity(from + k * step)),
    from,
    step,
  });
}

/** The largest gap between the empirical distribution function of `samples` and `cdf`. */
export function kolmogorovSmirnov(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  let gap = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    gap = Math.max(gap, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
  });
  return gap;
}

/** A p = 0.001 Kolmogorov–Smirnov bound for n draws. */
export const ksBound = (n: number): number => 1.95 / Math.sqrt(n);
