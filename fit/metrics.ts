/**
 * Metrics of a model on data, as in Paysage's progress monitor. Each metric accumulates
 * over validation batches (`update`) and reports one number (`value`). An assessment holds
 * a data batch with its hidden means, its reconstructions and fantasy particles.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import type { BoltzmannMachine, State } from '../models/index.js';
import { tapFreeEnergy } from './tap.js';

/** What a metric looks at for one validation batch. */
export interface Assessment {
  readonly model: BoltzmannMachine;
  /** The data (visible clamped) with hidden layers at their conditional means. */
  readonly dataState: State;
  /** Reconstructions of the data. */
  readonly reconstructions: State;
  /** Fantasy particles sampled from the model. */
  readonly modelState: State;
}

/** A metric accumulated over batches. */
export interface Metric {
  readonly name: string;
  reset(): void;
  update(assessment: Assessment): Promise<void>;
  /** The value over the batches seen since `reset`, or NaN if none. */
  value(): number;
}

/** A running mean of numbers. */
class RunningMean {
  private total = 0;
  private count = 0;
  add(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  get mean(): number {
    return this.count > 0 ? this.total / this.count : Number.NaN;
  }
}

/** Euclidean distances between every row of x and every row of y. @returns (rows x, rows y) on the host */
async function pairwiseDistances(x: Tensor, y: Tensor): Promise<Float64Array> {
  const squared = be.tidy(() => {
    const xx = be.sum(be.square(x), 1, true);
    const yy = be.reshape(be.sum(be.square(y), 1), [1, be.shape(y)[0] as number]);
    return be.sub(be.add(xx, yy), be.mul(be.matmul(x, y, { transposeB: true }), 2));
  });
  const values = Float64Array.from(await be.read(squared), (v) => Math.sqrt(Math.max(v, 0)));
  be.dispose(squared);
  return values;
}

function meanOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] as number;
  return total / values.length;
}

/**
 * Root-mean-square difference between data and reconstructions, each sample's squared error
 * divided by the variance of the data batch.
 */
export class ReconstructionError implements Metric {
  readonly name = 'ReconstructionError';
  private readonly mean = new RunningMean();
  reset(): void {
    this.mean.reset();
  }
  async update({ dataState, reconstructions }: Assessment): Promise<void> {
    const data = dataState.getVisible();
    const [variance, errors] = be.tidy(() => [
      be.add(be.variance(data), 1e-6),
      be.mean(be.square(be.sub(reconstructions.getVisible(), data)), 1),
    ]);
    const v = await be.readScalar(variance as Tensor);
    for (const e of await be.read(errors as Tensor)) this.mean.add(e / v);
    be.dispose([variance as Tensor, errors as Tensor]);
  }
  value(): number {
    return Math.sqrt(this.mean.mean);
  }
}

/** The energy-distance terms d1 = E|X − Y|, d2 = E|X − X'|, d3 = E|Y − Y'| between data and fantasy. */
async function energyDistanceTerms(x: Tensor, y: Tensor): Promise<[number, number, number]> {
  return [
    meanOf(await pairwiseDistances(x, y)),
    meanOf(await pairwiseDistances(x, x)),
    meanOf(await pairwiseDistances(y, y)),
  ];
}

/** Székely's energy distance 2E|X − Y| − E|X − X'| − E|Y − Y'| between data and fantasy particles. */
export class EnergyDistance implements Metric {
  readonly name = 'EnergyDistance';
  private readonly mean = new RunningMean();
  reset(): void {
    this.mean.reset();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.mean.add(2 * d1 - d2 - d3);
  }
  value(): number {
    return this.mean.mean;
  }
}

/** The normalized energy distance √max(0, (2d1 − d2 − d3)/(2d1)) in [0, 1] (Paysage's EnergyCoefficient). */
export class EnergyCoefficient implements Metric {
  readonly name = 'EnergyCoefficient';
  private readonly mean = new RunningMean();
  reset(): void {
    this.mean.reset();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.mean.add(Math.sqrt(Math.max(0, (2 * d1 - d2 - d3) / Math.max(2 * d1, 1e-12))));
  }
  value(): number {
    return this.mean.mean;
  }
}

/**
 * The k-nearest-neighbour estimate of KL(P‖Q) from samples x ~ P and y ~ Q (Wang, Kulkarni &
 * Verdú 2009), dimension divided out as in Paysage: mean ln(ν_k(i)/ρ_k(i)) + ln(m/(n − 1)).
 */
async function nearestNeighbourKL(x: Tensor, y: Tensor, k: number): Promise<number> {
  const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
  const within = await pairwiseDistances(x, x);
  const across = await pairwiseDistances(x, y);
  const kth = (row: Float64Array, skip: number) => {
    const sorted = Float64Array.from(row).sort();
    return Math.max(sorted[Math.min(k - 1 + skip, sorted.length - 1)] as number, 1e-12);
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const rho = kth(within.subarray(i * n, (i + 1) * n), 1); // skip the point itself
    const nu = kth(across.subarray(i * m, (i + 1) * m), 0);
    total += Math.log(nu / rho);
  }
  return total / n + Math.log(m / (n - 1));
}

/** KL(data ‖ model) by k-nearest neighbours (k = 5). */
export class KLDivergence implements Metric {
  readonly name: string = 'KLDivergence';
  private readonly mean = new RunningMean();
  /** @param k - which neighbour @param reverse - estimate KL(model ‖ data) instead */
  constructor(
    readonly k = 5,
    private readonly reverse = false,
  ) {}
  reset(): void {
    this.mean.reset();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [data, model] = [dataState.getVisible(), modelState.getVisible()];
    this.mean.add(await nearestNeighbourKL(this.reverse ? model : data, this.reverse ? data : model, this.k));
  }
  value(): number {
    return this.mean.mean;
  }
}

/** KL(model ‖ data) by k-nearest neighbours (k = 5). */
export class ReverseKLDivergence extends KLDivergence {
  override readonly name = 'ReverseKLDivergence';
  constructor(k = 5) {
    super(k, true);
  }
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi), for the small Gram matrices below. */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) offDiagonal += (a[p * n + q] as number) ** 2;
    if (offDiagonal < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i] as number);
}

/**
 * The Fréchet distance between Gaussians fitted to data and fantasy particles (FID without
 * the inception network): ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr √(C₁C₂). With C₁ = AᵀA and
 * C₂ = BᵀB (A, B the centred samples scaled by 1/√n), tr √(C₁C₂) is the sum of the singular
 * values of ABᵀ, found from the small (n × n) Gram matrix (eigenvalues below 10⁻⁵ of the
 * largest count as zero: the Gram matrix has rank at most min(n, m, dimensions)).
 */
export class FrechetScore implements Metric {
  readonly name = 'FrechetScore';
  private readonly mean = new RunningMean();
  reset(): void {
    this.mean.reset();
  }
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const x = dataState.getVisible();
    const y = modelState.getVisible();
    const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
    const parts = be.tidy(() => {
      const [mx, my] = [be.mean(x, 0), be.mean(y, 0)];
      const a = be.div(be.sub(x, mx), Math.sqrt(n));
      const b = be.div(be.sub(y, my), Math.sqrt(m));
      const cross = be.matmul(a, b, { transposeB: true }); // (n, m)
      return [
        be.sum(be.square(be.sub(mx, my))),
        be.sum(be.square(a)),
        be.sum(be.square(b)),
        be.matmul(cross, cross, { transposeB: true }), // (n, n)
      ];
    });
    const [meanGap, traceA, traceB] = await Promise.all(parts.slice(0, 3).map((t) => be.readScalar(t)));
    const gram = Float64Array.from(await be.read(parts[3] as Tensor));
    be.dispose(parts);
    // ABᵀ has rank at most min(n, m, dimensions): eigenvalues at float32 noise level are zeros.
    const eigenvalues = symmetricEigenvalues(gram, n);
    const floor = 1e-5 * Math.max(...eigenvalues, 0);
    const nuclear = eigenvalues.reduce((acc, e) => acc + (e > floor ? Math.sqrt(e) : 0), 0);
    this.mean.add((meanGap as number) + (traceA as number) + (traceB as number) - 2 * nuclear);
  }
  value(): number {
    return this.mean.mean;
  }
}

/**
 * The variance of the joint energy of the fantasy particles, with energies divided by the
 * fourth root of the number of parameters (Paysage's HeatCapacity).
 */
export class HeatCapacity implements Metric {
  readonly name = 'HeatCapacity';
  private energies: number[] = [];
  reset(): void {
    this.energies = [];
  }
  async update({ model, modelState }: Assessment): Promise<void> {
    const parameters = model.namedParameters().reduce((acc, p) => acc + be.size(p.owner.param(p.name)), 0);
    const energy = model.jointEnergy(modelState);
    const scale = parameters ** 0.25;
    for (const e of await be.read(energy)) this.energies.push(e / scale);
    be.dispose(energy);
  }
  value(): number {
    if (this.energies.length === 0) return Number.NaN;
    const mean = meanOf(this.energies);
    return this.energies.reduce((acc, e) => acc + (e - mean) ** 2, 0) / this.energies.length;
  }
}

/** Weight sparsity p = 1/(nm) Σ_j (Σ_i w_ij²)² / Σ_i w_ij⁴ of the first weights (Tubiana & Monasson 2017). */
export class WeightSparsity implements Metric {
  readonly name = 'WeightSparsity';
  private p = Number.NaN;
  reset(): void {
    this.p = Number.NaN;
  }
  async update({ model }: Assessment): Promise<void> {
    if (!Number.isNaN(this.p)) return;
    const weights = model.connections[0]?.weights.matrix as Tensor;
    const [n = 1, m = 1] = be.shape(weights);
    const value = be.tidy(() => {
      const w2 = be.square(weights);
      return be.div(be.sum(be.div(be.square(be.sum(w2, 0)), be.sum(be.square(w2), 0))), n * m);
    });
    this.p = await be.readScalar(value);
    be.dispose(value);
  }
  value(): number {
    return this.p;
  }
}

/** Mean squared weight per hidden unit, 1/m Σ_ij w_ij², of the first weights. */
export class WeightSquare implements Metric {
  readonly name = 'WeightSquare';
  private w2 = Number.NaN;
  reset(): void {
    this.w2 = Number.NaN;
  }
  async update({ model }: Assessment): Promise<void> {
    if (!Number.isNaN(this.w2)) return;
    const weights = model.connections[0]?.weights.matrix as Tensor;
    const value = be.tidy(() => be.div(be.sum(be.square(weights)), be.shape(weights)[1] as number));
    this.w2 = await be.readScalar(value);
    be.dispose(value);
  }
  value(): number {
    return this.w2;
  }
}

/**
 * The second-order TAP estimate of the free energy −ln Z (lowest of `particles` fixed
 * points), for Bernoulli–Bernoulli RBMs (NaN for other models). Not in the default set.
 */
export class TAPFreeEnergy implements Metric {
  readonly name: string = 'TAPFreeEnergy';
  protected freeEnergy = Number.NaN;
  constructor(readonly particles = 10) {}
  reset(): void {
    this.freeEnergy = Number.NaN;
  }
  async update({ model }: Assessment): Promise<void> {
    if (!Number.isNaN(this.freeEnergy) || !isBernoulliRbm(model)) return;
    const value = tapFreeEnergy(model, this.particles);
    this.freeEnergy = await be.readScalar(value);
    be.dispose(value);
  }
  value(): number {
    return this.freeEnergy;
  }
}

/**
 * The mean log-likelihood of the data with ln Z from the TAP free energy:
 * mean(−F(v)) + F_TAP, for Bernoulli–Bernoulli RBMs (NaN otherwise). Not in the default set.
 */
export class TAPLogLikelihood extends TAPFreeEnergy {
  override readonly name = 'TAPLogLikelihood';
  private readonly meanFreeEnergy = new RunningMean();
  override reset(): void {
    super.reset();
    this.meanFreeEnergy.reset();
  }
  override async update(assessment: Assessment): Promise<void> {
    await super.update(assessment);
    if (!isBernoulliRbm(assessment.model)) return;
    const freeEnergies = assessment.model.marginalFreeEnergy(assessment.dataState.getVisible());
    for (const f of await be.read(freeEnergies)) this.meanFreeEnergy.add(f);
    be.dispose(freeEnergies);
  }
  override value(): number {
    return -this.meanFreeEnergy.mean + this.freeEnergy;
  }
}

function isBernoulliRbm(model: BoltzmannMachine): boolean {
  return model.numLayers === 2 && model.layers.every((layer) => layer.type === 'bernoulli');
}

/** The metrics by name, for configs. */
export const METRICS = {
  ReconstructionError,
  EnergyCoefficient,
  EnergyDistance,
  HeatCapacity,
  WeightSparsity,
  WeightSquare,
  KLDivergence,
  ReverseKLDivergence,
  FrechetScore,
} as const;

/** The names of the metrics. */
export type MetricName = keyof typeof METRICS;

/** Fresh instances of every metric, in {@link METRICS} order. */
export function allMetrics(): Metric[] {
  return Object.values(METRICS).map((Make) => new Make());
}
