/**
 * Divergences between data and fantasy particles estimated from k-nearest-neighbour distances:
 * KL both ways and Jensen–Shannon.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { pairwiseDistances } from './distances.js';
import { type Assessment, AveragedMetric, meanOf } from './metric.js';

/**
 * For each point of x ~ P (n of them): ρ, its distance to its k-th nearest other point of x,
 * and ν, its distance to its k-th nearest point of y ~ Q (m of them), each at least 10⁻¹².
 */
async function neighbourDistances(x: Tensor, y: Tensor, k: number): Promise<{ rho: number[]; nu: number[] }> {
  const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
  const within = await pairwiseDistances(x, x);
  const across = await pairwiseDistances(x, y);
  const kth = (row: Float64Array, skip: number) => {
    const sorted = Float64Array.from(row).sort();
    return Math.max(sorted[Math.min(k - 1 + skip, sorted.length - 1)] as number, 1e-12);
  };
  return {
    rho: Array.from({ length: n }, (_, i) => kth(within.subarray(i * n, (i + 1) * n), 1)), // skip the point itself
    nu: Array.from({ length: n }, (_, i) => kth(across.subarray(i * m, (i + 1) * m), 0)),
  };
}

/**
 * The k-nearest-neighbour estimate of KL(P‖Q) from samples x ~ P and y ~ Q (Wang, Kulkarni &
 * Verdú 2009), dimension divided out as in Paysage: mean ln(ν_k(i)/ρ_k(i)) + ln(m/(n − 1)).
 */
async function nearestNeighbourKL(x: Tensor, y: Tensor, k: number): Promise<number> {
  const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
  const { rho, nu } = await neighbourDistances(x, y, k);
  return meanOf(rho.map((r, i) => Math.log((nu[i] as number) / r))) + Math.log(m / (n - 1));
}

/**
 * One half of the k-nearest-neighbour Jensen–Shannon estimate (Paysage's, dimension divided
 * out): with the density ratio q/p at each x_i estimated as ((n − 1)/m)·ρ_k(i)/ν_k(i),
 * KL(P ‖ (P + Q)/2) = E_P ln(2p/(p + q)) = ln 2 − mean ln(1 + q/p).
 */
async function halfJensenShannon(x: Tensor, y: Tensor, k: number): Promise<number> {
  const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
  const { rho, nu } = await neighbourDistances(x, y, k);
  const scale = (n - 1) / m;
  return Math.LN2 - meanOf(rho.map((r, i) => Math.log1p((scale * r) / (nu[i] as number))));
}

/** KL(data ‖ model) by k-nearest neighbours (k = 5). */
export class KLDivergence extends AveragedMetric {
  readonly name: string = 'KLDivergence';
  /** @param k - which neighbour @param reverse - estimate KL(model ‖ data) instead */
  constructor(
    readonly k = 5,
    private readonly reverse = false,
  ) {
    super();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [data, model] = [dataState.getVisible(), modelState.getVisible()];
    this.average.add(await nearestNeighbourKL(this.reverse ? model : data, this.reverse ? data : model, this.k));
  }
}

/** KL(model ‖ data) by k-nearest neighbours (k = 5). */
export class ReverseKLDivergence extends KLDivergence {
  override readonly name = 'ReverseKLDivergence';
  constructor(k = 5) {
    super(k, true);
  }
}

/**
 * The Jensen–Shannon divergence between data and model, ½KL(P ‖ M) + ½KL(Q ‖ M) with
 * M = (P + Q)/2, by k-nearest neighbours (k = 5; Paysage's JensenShannonDivergence), in [0, ln 2].
 */
export class JensenShannonDivergence extends AveragedMetric {
  readonly name = 'JensenShannonDivergence';
  /** @param k - which neighbour */
  constructor(readonly k = 5) {
    super();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [data, model] = [dataState.getVisible(), modelState.getVisible()];
    const halves = [await halfJensenShannon(data, model, this.k), await halfJensenShannon(model, data, this.k)];
    this.average.add((halves[0] as number) / 2 + (halves[1] as number) / 2);
  }
}
