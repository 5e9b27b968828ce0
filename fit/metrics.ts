/**
 * Metrics of a model on data, as in Paysage's progress monitor. Each metric accumulates
 * over validation batches (`update`) and reports one number (`value`). An assessment holds
 * a data batch with its hidden means, its reconstructions and fantasy particles.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { pseudoLogLikelihood } from '../estimators/pseudo-likelihood.js';
import {
  hasTapTerms,
  TAP_FREE_ENERGY_ITERATIONS,
  tapBreakdown,
  tapGibbsFreeEnergy,
  tapMagnetizations,
} from '../estimators/tap.js';
import { symmetricEigenvalues } from '../linalg/index.js';
import type { BoltzmannMachine, Connection, State } from '../models/index.js';

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

/** A metric whose value is the mean of numbers added per batch (or per sample). */
abstract class AveragedMetric implements Metric {
  abstract readonly name: string;
  protected readonly average = new RunningMean();
  reset(): void {
    this.average.reset();
  }
  abstract update(assessment: Assessment): Promise<void>;
  value(): number {
    return this.average.mean;
  }
}

/** A metric of the model alone, measured once per assessment round (at the first batch). */
abstract class ModelMetric implements Metric {
  abstract readonly name: string;
  private measured = Number.NaN;
  reset(): void {
    this.measured = Number.NaN;
  }
  async update({ model }: Assessment): Promise<void> {
    if (Number.isNaN(this.measured)) this.measured = await this.measure(model);
  }
  /** The metric's value for `model` (NaN where it does not apply). */
  protected abstract measure(model: BoltzmannMachine): Promise<number>;
  value(): number {
    return this.measured;
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
export class ReconstructionError extends AveragedMetric {
  readonly name = 'ReconstructionError';
  async update({ dataState, reconstructions }: Assessment): Promise<void> {
    const data = dataState.getVisible();
    const [variance, errors] = be.tidy(() => [
      be.add(be.variance(data), 1e-6),
      be.mean(be.square(be.sub(reconstructions.getVisible(), data)), 1),
    ]);
    const v = await be.readScalar(variance as Tensor);
    for (const e of await be.read(errors as Tensor)) this.average.add(e / v);
    be.dispose([variance as Tensor, errors as Tensor]);
  }
  override value(): number {
    return Math.sqrt(this.average.mean);
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
export class EnergyDistance extends AveragedMetric {
  readonly name = 'EnergyDistance';
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.average.add(2 * d1 - d2 - d3);
  }
}

/** The normalized energy distance √max(0, (2d1 − d2 − d3)/(2d1)) in [0, 1] (Paysage's EnergyCoefficient). */
export class EnergyCoefficient extends AveragedMetric {
  readonly name = 'EnergyCoefficient';
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.average.add(Math.sqrt(Math.max(0, (2 * d1 - d2 - d3) / Math.max(2 * d1, 1e-12))));
  }
}

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

/**
 * The Fréchet distance between Gaussians fitted to data and fantasy particles (FID without
 * the inception network): ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr √(C₁C₂). With C₁ = AᵀA and
 * C₂ = BᵀB (A, B the centred samples scaled by 1/√n), tr √(C₁C₂) is the sum of the singular
 * values of ABᵀ, found from the small (n × n) Gram matrix (eigenvalues below 10⁻⁵ of the
 * largest count as zero: the Gram matrix has rank at most min(n, m, dimensions)).
 */
export class FrechetScore extends AveragedMetric {
  readonly name = 'FrechetScore';
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
    this.average.add((meanGap as number) + (traceA as number) + (traceB as number) - 2 * nuclear);
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

/** Weight sparsity p = 1/(nm) Σ_j (Σ_i w_ij²)² / Σ_i w_ij⁴ of the first weights, one column j per hidden unit or filter (Tubiana & Monasson 2017). */
export class WeightSparsity extends ModelMetric {
  readonly name = 'WeightSparsity';
  protected async measure(model: BoltzmannMachine): Promise<number> {
    return readAndDispose(
      be.tidy(() => {
        const weights = (model.connections[0] as Connection).weights.featureWeights();
        const [n = 1, m = 1] = be.shape(weights);
        const w2 = be.square(weights);
        return be.div(be.sum(be.div(be.square(be.sum(w2, 0)), be.sum(be.square(w2), 0))), n * m);
      }),
    );
  }
}

/** Mean squared weight per hidden unit (or filter), 1/m Σ_ij w_ij², of the first weights. */
export class WeightSquare extends ModelMetric {
  readonly name = 'WeightSquare';
  protected async measure(model: BoltzmannMachine): Promise<number> {
    return readAndDispose(
      be.tidy(() => {
        const weights = (model.connections[0] as Connection).weights.featureWeights();
        return be.div(be.sum(be.square(weights)), be.shape(weights)[1] as number);
      }),
    );
  }
}

/**
 * The second-order TAP estimate of the free energy −ln Z (lowest of `particles` fixed
 * points), for models whose layers have TAP terms (NaN for others, and where the expansion
 * breaks down: see `estimators.tapBreakdown`). Not in the default set.
 */
export class TAPFreeEnergy extends ModelMetric {
  readonly name: string = 'TAPFreeEnergy';
  constructor(readonly particles = 10) {
    super();
  }
  protected async measure(model: BoltzmannMachine): Promise<number> {
    if (!hasTapTerms(model)) return Number.NaN;
    const magnetizations = tapMagnetizations(model, this.particles, TAP_FREE_ENERGY_ITERATIONS);
    try {
      if (await tapBreakdown(model, magnetizations)) return Number.NaN;
      return await readAndDispose(be.tidy(() => be.min(tapGibbsFreeEnergy(model, magnetizations))));
    } finally {
      magnetizations.dispose();
    }
  }
}

/**
 * The mean log-likelihood of the data with ln Z from the TAP free energy:
 * mean(−F(v)) + F_TAP, for models whose layers have TAP terms (NaN otherwise). Not in the
 * default set.
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
    if (!hasTapTerms(assessment.model)) return;
    const freeEnergies = assessment.model.marginalFreeEnergy(assessment.dataState.getVisible());
    for (const f of await be.read(freeEnergies)) this.meanFreeEnergy.add(f);
    be.dispose(freeEnergies);
  }
  override value(): number {
    return -this.meanFreeEnergy.mean + super.value();
  }
}

/**
 * The mean log pseudo-likelihood of the data (Learnergy's), n · ln p(v_i | v_−i) at one random
 * site per row (see `estimators.pseudoLogLikelihood`), for RBMs whose visible units take two
 * states, as Bernoulli's (NaN for other models). Not in the default set.
 */
export class PseudoLikelihood extends AveragedMetric {
  readonly name = 'PseudoLikelihood';
  async update({ model, dataState }: Assessment): Promise<void> {
    if (model.numLayers !== 2 || !model.layer(0).twoStateUnits) return;
    const values = pseudoLogLikelihood(model, dataState.getVisible());
    for (const value of await be.read(values)) this.average.add(value);
    be.dispose(values);
  }
}

/** The structural-similarity window: its side and the stabilizing constants K1, K2. */
const SSIM_WINDOW = 7;
const SSIM_K1 = 0.01;
const SSIM_K2 = 0.03;

/**
 * The mean structural similarity index (Wang et al. 2004) of two images with scikit-image's
 * defaults: 7 × 7 uniform windows with sample (co)variances, C1 = (0.01 R)², C2 = (0.03 R)²,
 * averaged over the windows that lie inside the image.
 * @param a - height · width values, row by row @param b - the same shape @param dataRange - R, the range of the values
 */
export function structuralSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  height: number,
  width: number,
  dataRange = 1,
): number {
  if (height < SSIM_WINDOW || width < SSIM_WINDOW || a.length !== height * width || b.length !== a.length) {
    throw new ConfigError(
      `structuralSimilarity: expected two ${height} × ${width} images of at least ${SSIM_WINDOW} × ${SSIM_WINDOW}, got ${a.length} and ${b.length} values`,
    );
  }
  const [c1, c2] = [(SSIM_K1 * dataRange) ** 2, (SSIM_K2 * dataRange) ** 2];
  const count = SSIM_WINDOW * SSIM_WINDOW;
  const sampleCorrection = count / (count - 1);
  let total = 0;
  let windows = 0;
  for (let top = 0; top + SSIM_WINDOW <= height; top++) {
    for (let left = 0; left + SSIM_WINDOW <= width; left++) {
      let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
      for (let r = top; r < top + SSIM_WINDOW; r++) {
        for (let c = left; c < left + SSIM_WINDOW; c++) {
          const [x, y] = [a[r * width + c] as number, b[r * width + c] as number];
          sa += x;
          sb += y;
          saa += x * x;
          sbb += y * y;
          sab += x * y;
        }
      }
      const [ma, mb] = [sa / count, sb / count];
      const va = sampleCorrection * (saa / count - ma * ma);
      const vb = sampleCorrection * (sbb / count - mb * mb);
      const cov = sampleCorrection * (sab / count - ma * mb);
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      windows += 1;
    }
  }
  return total / windows;
}

/** Options of {@link ReconstructionSSIM}. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  /** The range of the pixel values (default 1). */
  readonly dataRange?: number;
}

/**
 * The mean structural similarity of each reconstruction to its data image (Learnergy's SSIM),
 * for visible units that form images: `height × width` (default: square). Not in the default set.
 */
export class ReconstructionSSIM extends AveragedMetric {
  readonly name = 'ReconstructionSSIM';
  constructor(readonly shape?: ImageShape) {
    super();
  }
  async update({ dataState, reconstructions }: Assessment): Promise<void> {
    const [rows, n] = be.shape(dataState.getVisible()) as [number, number];
    const side = Math.round(Math.sqrt(n));
    const { height, width, dataRange = 1 } = this.shape ?? { height: side, width: side };
    if (height * width !== n) {
      throw new ConfigError(
        `ReconstructionSSIM: the visible layer's ${n} units are not ${this.shape ? `a ${height} × ${width}` : 'a square'} image; give { height, width }`,
      );
    }
    const data = await be.read(dataState.getVisible());
    const reconstructed = await be.read(reconstructions.getVisible());
    for (let r = 0; r < rows; r++) {
      const image = (values: Float32Array) => values.subarray(r * n, (r + 1) * n);
      this.average.add(structuralSimilarity(image(data), image(reconstructed), height, width, dataRange));
    }
  }
}

/** The single value of a one-element tensor, which is then freed. */
async function readAndDispose(t: Tensor): Promise<number> {
  const value = await be.readScalar(t);
  be.dispose(t);
  return value;
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
  JensenShannonDivergence,
  FrechetScore,
} as const;

/** The names of the default metrics. */
export type MetricName = keyof typeof METRICS;

/** The metrics outside the default set, by name: they apply to some models only, or cost more. */
export const OPTIONAL_METRICS = {
  PseudoLikelihood,
  ReconstructionSSIM,
  TAPFreeEnergy,
  TAPLogLikelihood,
} as const;

/** Every metric's name, for configs. */
export const METRIC_NAMES = [...Object.keys(METRICS), ...Object.keys(OPTIONAL_METRICS)] as readonly (
  | MetricName
  | keyof typeof OPTIONAL_METRICS
)[];

/** Fresh instances of every default metric, in {@link METRICS} order. */
export function allMetrics(): Metric[] {
  return Object.values(METRICS).map((Make) => new Make());
}

/** Fresh instances of the metrics named (with their default options), in the order given. */
export function metricsByName(names: readonly (typeof METRIC_NAMES)[number][]): Metric[] {
  const known: Record<string, new () => Metric> = { ...METRICS, ...OPTIONAL_METRICS };
  return names.map((name) => {
    const Make = known[name];
    if (Make === undefined)
      throw new ConfigError(`metricsByName: no metric '${name}' (expected one of ${METRIC_NAMES.join(', ')})`);
    return new Make();
  });
}
