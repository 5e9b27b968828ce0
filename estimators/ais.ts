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
 * sweep that leaves p_{β_k} invariant. ln Z_B = ln Z_A + ln mean(w).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, UnsupportedError } from '../errors/index.js';
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
  if (model.numLayers !== 2) {
    throw new UnsupportedError(`AIS: implemented for RBMs (2 layers); got ${model.numLayers} layers`);
  }
  const [visible, hidden] = [model.layer(0), model.layer(1)];
  const chains = options.chains ?? 100;
  const betas = annealingSchedule(options.steps ?? 10000);
  const numVisible = visible.numUnits;
  be.checkMemory(
    [...model.stateTensors(chains, `${chains} AIS chains`), ...model.stateTensors(chains, 'their fields')],
    'annealedImportanceSampling',
    'use fewer chains, or a backend with more memory',
  );
  const base = visible.annealingBase(options.data && (await dataMoments(options.data, numVisible)));
  const weights = model.connections[0]?.weights.matrix as Tensor;

  /** ln p*_β(v) per chain. @param v - (chains, numVisible) @returns (chains) */
  const logUnnormalized = (v: Tensor, beta: number): Tensor =>
    be.tidy(() => {
      const energy = be.add(be.mul(base.energy(v), 1 - beta), be.mul(visible.energy(v), beta));
      const field = be.mul(be.matmul(visible.rescale(v), weights), beta);
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
  let v = be.keep(base.randomState(chains));
  let logWeights = be.keep(be.zeros([chains]));
  for (let k = 1; k < betas.length; k++) {
    const [previous, beta] = [betas[k - 1] as number, betas[k] as number];
    const next = be.tidy(() => {
      const gain = be.sub(logUnnormalized(v, beta), logUnnormalized(v, previous));
      // One Gibbs sweep that leaves p_β invariant: h | v, then v | h.
      const h = hidden.conditionalSample(be.mul(be.matmul(visible.rescale(v), weights), beta));
      const downward = be.matmul(hidden.rescale(h), weights, { transposeB: true });
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
  const mean = ratios.reduce((a, r) => a + r, 0) / chains;
  const variance = ratios.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, chains - 1);
  return {
    logZ: logZBase + peak + Math.log(mean),
    logZError: Math.sqrt(variance / chains) / mean,
    chains,
    steps: betas.length - 1,
  };
}

/** A log-likelihood estimate with the ln Z it rests on. */
export interface LogLikelihoodEstimate extends LogPartitionEstimate {
  /** Mean over the data of ln p(v) = −F(v) − ln Ẑ. */
  readonly logLikelihood: number;
}

/**
 * The mean log-likelihood of `data` under an RBM: exact free energies and an AIS estimate of
 * ln Z (base model fitted to the data), as in Paysage/Learnergy/PyDeep evaluations.
 * @param data - (samples, numVisible)
 */
export async function estimateLogLikelihood(
  model: BoltzmannMachine,
  data: Tensor,
  options: AISOptions & { readonly method?: 'ais' } = {},
): Promise<LogLikelihoodEstimate> {
  checkOptions(options, { ...AIS_OPTION_KEYS, method: true }, 'estimateLogLikelihood');
  if (options.method !== undefined && options.method !== 'ais') {
    throw new ConfigError(`estimateLogLikelihood: method: expected 'ais', got '${options.method}'`);
  }
  const { method: _method, ...aisOptions } = options;
  const estimate = await annealedImportanceSampling(model, { data, ...aisOptions });
  const freeEnergy = be.tidy(() => be.mean(model.marginalFreeEnergy(data)));
  const meanFreeEnergy = await be.readScalar(freeEnergy);
  be.dispose(freeEnergy);
  return { ...estimate, logLikelihood: -meanFreeEnergy - estimate.logZ };
}
