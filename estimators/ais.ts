/**
 * Annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008) of the partition
 * function of an RBM whose visible layer has an annealing path (`Layer.annealedSample`:
 * Bernoulli and OneHot units), and the log-likelihood estimate it gives.
 *
 * The chains anneal from a base model A — the visible layer's `annealingBase`, independent
 * units with the data's moments (uniform without data), and the target's hidden layer
 * uncoupled — to the
 * target B through p_β(v, h) ∝ exp(−(1−β)H_A(v) − βH_B(v) − H_h(h) + β r(v)ᵀW r(h)), the
 * hidden layer's own energy kept whole so that Gaussian hidden units stay normalizable.
 * Summing out h, ln p*_β(v) = −(1−β)H_A(v) − βH_B(v) + ln Z_h(β·r(v)W); each step adds
 * ln p*_{β_k}(v) − ln p*_{β_{k−1}}(v) to the chain's log-weight, then moves v by one Gibbs
 * sweep that leaves p_{β_k} invariant. ln Z_B = ln Z_A + ln mean(w). Reverse AIS runs the same
 * path backwards from data rows.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, ShapeError, UnsupportedError } from '../errors/index.js';
import type { Coupling } from '../layers/index.js';
import type { BoltzmannMachine } from '../models/boltzmann-machine.js';
import { dataMoments, type VisibleData } from '../models/initialize.js';
import { checkOptions, type OptionKeys } from '../validation/index.js';

/** Options of {@link annealedImportanceSampling}. */
export interface AISOptions {
  /** Independent annealing chains (default 100). */
  readonly chains?: number;
  /** Intermediate distributions (default 10,000). */
  readonly steps?: number;
  /** Data whose visible means set the base model's biases (default: uniform base model). */
  readonly data?: VisibleData;
}

/** An AIS estimate of ln Z. */
export interface LogPartitionEstimate {
  /** ln Ẑ. */
  readonly logZ: number;
  /** One standard error of ln Ẑ (delta method over the chains' weights). */
  readonly logZError: number;
  /** Chains and intermediate distributions used. */
  readonly chains: number;
  readonly steps: number;
}

/**
 * The inverse temperatures: dense near β = 1, where the distributions change fastest
 * (Salakhutdinov & Murray's 0–0.5, 0.5–0.9, 0.9–1 split in 500 : 4,000 : 10,000 proportions).
 */
export function annealingSchedule(steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 3) throw new ConfigError(`AIS steps: expected an integer ≥ 3, got ${steps}`);
  const segments: [number, number, number][] = [
    [0, 0.5, 500],
    [0.5, 0.9, 4000],
    [0.9, 1, 10000],
  ];
  const total = segments.reduce((a, [, , n]) => a + n, 0);
  const betas: number[] = [];
  for (const [from, to, share] of segments) {
    const count = Math.max(1, Math.round((share / total) * steps));
    for (let i = 0; i < count; i++) betas.push(from + ((to - from) * i) / count);
  }
  betas.push(1);
  return Float64Array.from(betas);
}

const AIS_OPTION_KEYS: OptionKeys<AISOptions> = { chains: true, steps: true, data: true };

/** Estimates ln Z of an RBM by AIS. @throws UnsupportedError when the visible layer has no annealing path */
export async function annealedImportanceSampling(
  model: BoltzmannMachine,
  options: AISOptions = {},
): Promise<LogPartitionEstimate> {
  checkOptions(options, AIS_OPTION_KEYS, 'annealedImportanceSampling');
  const path = await annealingPath(model, options, 'AIS');
  const betas = annealingSchedule(options.steps ?? 10000);
  const chains = options.chains ?? 100;
  const { logWeights, peak, mean, error } = await path.anneal(path.base.randomState(chains), betas);
  return {
    logZ: path.logZBase + peak + Math.log(mean),
    logZError: error,
    chains: logWeights.length,
    steps: betas.length - 1,
  };
}

/**
 * Reverse AIS (PyDeep's `reverse_annealed_importance_sampling`; Burda, Grosse & Salakhutdinov
 * 2015): chains start at data rows, taken as samples of the model, and anneal from β = 1 down to
 * the base model, so the mean weight estimates Z_A/Z_B and ln Ẑ_B = ln Z_A − ln mean(w). From exact
 * model samples that is unbiased for Z_A/Z_B, so ln Ẑ_B overestimates ln Z_B in expectation (a
 * conservative log-likelihood, where AIS gives an optimistic one); from data rows it approximates
 * that, and agreement with AIS is the check.
 * @param data - (rows, numVisible); the chains start at `chains` rows spread evenly over it,
 *   which also set the base model's biases
 */
export async function reverseAnnealedImportanceSampling(
  model: BoltzmannMachine,
  data: Tensor,
  options: Omit<AISOptions, 'data'> = {},
): Promise<LogPartitionEstimate> {
  checkOptions(options, { chains: true, steps: true }, 'reverseAnnealedImportanceSampling');
  const [rows, columns] = be.shape(data);
  const numVisible = model.layer(0).numUnits;
  if (be.shape(data).length !== 2 || columns !== numVisible || !rows) {
    throw new ShapeError(
      `reverseAnnealedImportanceSampling: expected data (rows ≥ 1, ${numVisible}), got [${be.shape(data).join(', ')}]`,
    );
  }
  const path = await annealingPath(model, { ...options, data }, 'reverse AIS');
  const betas = annealingSchedule(options.steps ?? 10000).reverse();
  const chains = options.chains ?? 100;
  const start = be.gather(
    data,
    Array.from({ length: chains }, (_, i) => Math.floor((i * rows) / chains)),
  );
  const { peak, mean, error } = await path.anneal(start, betas);
  return { logZ: path.logZBase - peak - Math.log(mean), logZError: error, chains, steps: betas.length - 1 };
}

/** The annealing path of an RBM from its base model A to itself, and ln Z_A. */
async function annealingPath(model: BoltzmannMachine, options: AISOptions, where: string) {
  if (model.numLayers !== 2) {
    throw new UnsupportedError(`${where}: implemented for RBMs (2 layers); got ${model.numLayers} layers`);
  }
  const [visible, hidden] = [model.layer(0), model.layer(1)];
  const chains = options.chains ?? 100;
  be.checkMemory(
    [...model.stateTensors(chains, `${chains} AIS chains`), ...model.stateTensors(chains, 'their fields')],
    where,
    'use fewer chains, or a backend with more memory',
  );
  const numVisible = visible.numUnits;
  const base = visible.annealingBase(options.data && (await dataMoments(options.data, numVisible)));
  const weights = model.connections[0]?.weights as Coupling;

  /** ln p*_β(v) per chain. @param v - (chains, numVisible) @returns (chains) */
  const logUnnormalized = (v: Tensor, beta: number): Tensor =>
    be.tidy(() => {
      const energy = be.add(be.mul(base.energy(v), 1 - beta), be.mul(visible.energy(v), beta));
      const field = be.mul(weights.fieldUp(visible.rescale(v)), beta);
      return be.sub(hidden.logPartition(field), energy);
    });

  // ln Z_A: the base layer on its own times the uncoupled hidden layer.
  const logZBaseTensor = be.tidy(() =>
    be.add(
      be.sum(base.logPartition(be.zeros([1, numVisible]))),
      be.sum(hidden.logPartition(be.zeros([1, hidden.numUnits]))),
    ),
  );
  const logZBase = await be.readScalar(logZBaseTensor);
  be.dispose(logZBaseTensor);

  /**
   * Runs chains from `start` (which it takes over) through `betas`: at each step the log-weight
   * gains ln p*_{β_k}(v) − ln p*_{β_{k−1}}(v), then one Gibbs sweep (h | v, v | h) leaves p_{β_k}
   * invariant. It frees the base model, so a path anneals once.
   * @returns the log-weights and mean(w) as peak + ln mean, with its delta-method error
   */
  const anneal = async (start: Tensor, betas: Float64Array) => {
    let v = be.keep(start);
    let logWeights = be.keep(be.zeros([be.shape(start)[0] as number]));
    for (let k = 1; k < betas.length; k++) {
      const [previous, beta] = [betas[k - 1] as number, betas[k] as number];
      const next = be.tidy(() => {
        const gain = be.sub(logUnnormalized(v, beta), logUnnormalized(v, previous));
        const h = hidden.conditionalSample(be.mul(weights.fieldUp(visible.rescale(v)), beta));
        const downward = weights.fieldDown(hidden.rescale(h));
        return { v: visible.annealedSample(base, downward, beta), logWeights: be.add(logWeights, gain) };
      });
      be.dispose([v, logWeights]);
      v = be.keep(next.v);
      logWeights = be.keep(next.logWeights);
    }
    const w = Float64Array.from(await be.read(logWeights));
    be.dispose([v, logWeights]);
    base.dispose();
    const peak = Math.max(...w);
    const ratios = w.map((x) => Math.exp(x - peak));
    const mean = ratios.reduce((a, r) => a + r, 0) / w.length;
    const variance = ratios.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, w.length - 1);
    return { logWeights: w, peak, mean, error: Math.sqrt(variance / w.length) / mean };
  };
  return { base, logZBase, anneal };
}

/** A log-likelihood estimate with the ln Z it rests on. */
export interface LogLikelihoodEstimate extends LogPartitionEstimate {
  /** Mean over the data of ln p(v) = −F(v) − ln Ẑ. */
  readonly logLikelihood: number;
}

/**
 * The mean log-likelihood of `data` under an RBM: exact free energies and an estimate of ln Z
 * (base model fitted to the data), as in Paysage/Learnergy/PyDeep evaluations: by AIS
 * (`method: 'ais'`, default; optimistic) or reverse AIS from `data` (`'reverse-ais'`; pessimistic).
 * @param data - (samples, numVisible)
 */
export async function estimateLogLikelihood(
  model: BoltzmannMachine,
  data: Tensor,
  options: Omit<AISOptions, 'data'> & { readonly method?: 'ais' | 'reverse-ais' } = {},
): Promise<LogLikelihoodEstimate> {
  checkOptions(options, { chains: true, steps: true, method: true }, 'estimateLogLikelihood');
  const { method = 'ais', ...aisOptions } = options;
  if (method !== 'ais' && method !== 'reverse-ais') {
    throw new ConfigError(`estimateLogLikelihood: method: expected 'ais' or 'reverse-ais', got '${method}'`);
  }
  const estimate =
    method === 'ais'
      ? await annealedImportanceSampling(model, { data, ...aisOptions })
      : await reverseAnnealedImportanceSampling(model, data, aisOptions);
  const freeEnergy = be.tidy(() => be.mean(model.marginalFreeEnergy(data)));
  const meanFreeEnergy = await be.readScalar(freeEnergy);
  be.dispose(freeEnergy);
  return { ...estimate, logLikelihood: -meanFreeEnergy - estimate.logZ };
}
