/**
 * Annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008; Salakhutdinov & Hinton
 * 2009 for DBMs) of the partition function of any chain-structured model Relief trains: RBMs
 * with any unit types (Gaussian and ReLU visible layers too) and deep Boltzmann machines, and
 * the log-likelihood estimate it gives (a lower bound for DBMs).
 *
 * The layers of one parity are summed out analytically given their neighbours; the chains
 * sample the others. On the `'visible'` path (Salakhutdinov & Murray's; it needs a visible
 * layer with an annealing path, `Layer.annealable`: Bernoulli, OneHot and continuous-Bernoulli
 * units) the odd layers are summed out and the visible layer anneals from a base layer A —
 * independent units with the data's moments, uniform without data — to itself. On the
 * `'hidden'` path the even layers (the visible one among them) are summed out, the chains
 * sample the odd ones, and the first hidden layer, when it can anneal, does so from a base
 * with the moments of its conditional means given the data (uniform without data). Each path's ln Ẑ underestimates ln Z in expectation, by an amount that
 * depends on the model: by default both run and the larger is kept. Every other layer keeps
 * its own energy whole, so Gaussian units stay normalizable, and every coupling is scaled by β:
 * ln p*_β(x_s) = −(1−β)H_A(v) − βH_0(v) − Σ_{sampled i>0} H_i(x_i) + Σ_{summed j} ln Z_j(β φ_j(x_s)).
 * Each step adds ln p*_{β_k} − ln p*_{β_{k−1}} to the chain's log-weight, then one Gibbs sweep
 * (summed layers given the sampled ones, then back) leaves p_{β_k} invariant.
 * ln Z_B = ln Z_A + ln mean(w), where ln Z_A is the sum of the uncoupled layers' ln Z. Reverse
 * AIS runs the same path backwards from data rows.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, ShapeError, UnsupportedError } from '../errors/index.js';
import type { BoltzmannMachine } from '../models/boltzmann-machine.js';
import { batchesOf, dataMoments, type VisibleData } from '../models/initialize.js';
import { checkChoice, checkOptions, type OptionKeys } from '../validation/index.js';
import { importanceWeightedFreeEnergy } from './importance-weighted.js';
import { logMeanExpWithError, meanWithError } from './sample-statistics.js';

/** Options of {@link annealedImportanceSampling}. */
export interface AISOptions {
  /** Independent annealing chains (default 100). */
  readonly chains?: number;
  /** Intermediate distributions (default 10,000). */
  readonly steps?: number;
  /** Data whose visible means set the base model's biases on the visible path (default: uniform base model). */
  readonly data?: VisibleData;
  /**
   * Which layers the chains sample (default `'both'`): `'visible'`, the visible layer and its
   * parity; `'hidden'`, the first hidden layer and its parity, the visible layer summed out
   * (the only path when the visible layer cannot anneal); `'both'`, each in turn, keeping the
   * tighter estimate.
   */
  readonly path?: AnnealingPathChoice;
  /**
   * Called as the chains anneal with the steps done and the total, over every path that runs:
   * every 200 steps and at the end of each path.
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Steps between two calls of {@link AISOptions.onProgress}. */
const AIS_PROGRESS_INTERVAL = 200;

/** The choices of {@link AISOptions.path}. */
export const ANNEALING_PATHS = ['both', 'visible', 'hidden'] as const;
/** One of {@link ANNEALING_PATHS}. */
export type AnnealingPathChoice = (typeof ANNEALING_PATHS)[number];
/** A path the chains take: which parity of layers they sample. */
export type AnnealingPath = Exclude<AnnealingPathChoice, 'both'>;

/** An AIS estimate of ln Z. */
export interface LogPartitionEstimate {
  /** ln Ẑ. */
  readonly logZ: number;
  /** One standard error of ln Ẑ (delta method over the chains' weights). */
  readonly logZError: number;
  /** Chains and intermediate distributions used (on each path). */
  readonly chains: number;
  readonly steps: number;
  /** The path that gave `logZ`. */
  readonly path: AnnealingPath;
  /** ln Ẑ on each path that ran. */
  readonly logZByPath: Readonly<Partial<Record<AnnealingPath, number>>>;
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

const AIS_OPTION_KEYS: OptionKeys<AISOptions> = {
  chains: true,
  steps: true,
  data: true,
  path: true,
  onProgress: true,
};

/**
 * The paths `choice` names for `model`.
 * @throws ConfigError for an unknown choice; UnsupportedError for `'visible'` when the visible layer cannot anneal
 */
function pathsFor(model: BoltzmannMachine, choice: AnnealingPathChoice | undefined, where: string): AnnealingPath[] {
  const checked = checkChoice(choice ?? 'both', ANNEALING_PATHS, `${where}: path`);
  const visible = model.layer(0);
  if (visible.annealable) return checked === 'both' ? ['visible', 'hidden'] : [checked];
  if (checked === 'visible') {
    throw new UnsupportedError(
      `${where}: path 'visible' needs a visible layer with an annealing path; ${visible.describe()} is summed out, so use 'hidden'`,
    );
  }
  return ['hidden'];
}

/**
 * Of estimates on several paths, the one `better` prefers, with every path's ln Ẑ.
 * @param estimates - one per path, in the order of `paths`
 */
function pick(
  paths: readonly AnnealingPath[],
  estimates: readonly Omit<LogPartitionEstimate, 'path' | 'logZByPath'>[],
  better: (a: number, b: number) => boolean,
): LogPartitionEstimate {
  let best = 0;
  estimates.forEach((estimate, i) => {
    if (better(estimate.logZ, (estimates[best] as LogPartitionEstimate).logZ)) best = i;
  });
  const logZByPath = Object.fromEntries(paths.map((path, i) => [path, estimates[i]?.logZ]));
  return { ...(estimates[best] as LogPartitionEstimate), path: paths[best] as AnnealingPath, logZByPath };
}

/**
 * Estimates ln Z of an RBM or a DBM by AIS: on each path `options.path` names, and, since each
 * underestimates ln Z in expectation, the larger ln Ẑ with its error.
 */
export async function annealedImportanceSampling(
  model: BoltzmannMachine,
  options: AISOptions = {},
): Promise<LogPartitionEstimate> {
  checkOptions(options, AIS_OPTION_KEYS, 'annealedImportanceSampling');
  const paths = pathsFor(model, options.path, 'annealedImportanceSampling');
  const betas = annealingSchedule(options.steps ?? 10000);
  const chains = options.chains ?? 100;
  const estimates = [];
  const progress = pathProgress(paths.length, betas.length - 1, options.onProgress);
  for (const [n, chosen] of paths.entries()) {
    const path = await annealingPath(model, options, chosen, 'AIS');
    const logWeights = await path.anneal(path.baseStates(chains), betas, progress(n));
    const { logMean, error } = logMeanExpWithError(logWeights);
    estimates.push({
      logZ: path.logZBase + logMean,
      logZError: error,
      chains: logWeights.length,
      steps: betas.length - 1,
    });
  }
  return pick(paths, estimates, (a, b) => a > b);
}

/**
 * Reverse AIS (PyDeep's `reverse_annealed_importance_sampling`), aggregated as RAISE (Burda,
 * Grosse & Salakhutdinov 2015): each chain starts at a row v of `data` (its hidden layers
 * drawn from the posterior) and anneals from β = 1 down to the base model, collecting ln w. Run
 * forwards, those transitions define a normalized model q, the distribution of forward AIS's
 * final states, which tends to the model as the steps grow; and w·exp(−F(v))/Z_A is an unbiased
 * estimate of q(v) for the row's own v, whatever distribution the rows came from. So
 * ln Ẑ = ln Z_A − mean(ln w) overestimates ln Z in expectation, row by row (Jensen): with the
 * rows' mean free energy it gives a stochastic lower bound on their mean ln q(v), the
 * conservative log-likelihood, where AIS gives an optimistic one. (The log of the mean weight,
 * PyDeep's aggregate, bounds nothing when the rows are not model samples.) The posterior draw is
 * exact for an RBM; for a DBM it comes from clamped Gibbs sweeps, so there the bound is
 * approximate. With `path: 'both'` (the default) it keeps the smaller ln Ẑ.
 * @param data - (rows, numVisible); the chains start at `chains` rows spread evenly over it,
 *   which also set the base model's biases
 */
export async function reverseAnnealedImportanceSampling(
  model: BoltzmannMachine,
  data: Tensor,
  options: Omit<AISOptions, 'data'> = {},
): Promise<LogPartitionEstimate> {
  checkOptions(
    options,
    { chains: true, steps: true, path: true, onProgress: true },
    'reverseAnnealedImportanceSampling',
  );
  const [rows, columns] = be.shape(data);
  const numVisible = model.layer(0).numUnits;
  if (be.shape(data).length !== 2 || columns !== numVisible || !rows) {
    throw new ShapeError(
      `reverseAnnealedImportanceSampling: expected data (rows ≥ 1, ${numVisible}), got [${be.shape(data).join(', ')}]`,
    );
  }
  const paths = pathsFor(model, options.path, 'reverseAnnealedImportanceSampling');
  const betas = annealingSchedule(options.steps ?? 10000).reverse();
  const chains = options.chains ?? 100;
  const starts = Array.from({ length: chains }, (_, i) => Math.floor((i * rows) / chains));
  const estimates = [];
  const progress = pathProgress(paths.length, betas.length - 1, options.onProgress);
  for (const [n, chosen] of paths.entries()) {
    const path = await annealingPath(model, { ...options, data }, chosen, 'reverse AIS');
    const logWeights = await path.anneal(path.dataStates(be.gather(data, starts)), betas, progress(n));
    const { mean, error } = meanWithError(logWeights);
    estimates.push({ logZ: path.logZBase - mean, logZError: error, chains, steps: betas.length - 1 });
  }
  return pick(paths, estimates, (a, b) => a < b);
}

/**
 * For path n of `paths` (each of `steps` steps), a callback taking the steps that path has
 * done and calling `onProgress` with the steps done over all paths.
 */
function pathProgress(
  paths: number,
  steps: number,
  onProgress: AISOptions['onProgress'],
): (n: number) => ((done: number) => void) | undefined {
  return (n) => onProgress && ((done) => onProgress(n * steps + done, paths * steps));
}

/** The first hidden layer's conditional means given each batch of `data` (one upward pass): data for its base. */
async function* firstHiddenMeans(model: BoltzmannMachine, data: VisibleData): AsyncGenerator<Tensor> {
  for await (const rows of batchesOf(data)) {
    yield be.tidy(() => {
      const upward = model.stateFromVisible(rows);
      return be.clone(upward.getLayer(1));
    });
  }
}

/** Gibbs sweeps with the visible layer clamped that draw a DBM's hidden layers for reverse AIS. */
const REVERSE_AIS_POSTERIOR_SWEEPS = 20;

/** The annealing path of a model from its base model A to itself, and ln Z_A. */
async function annealingPath(model: BoltzmannMachine, options: AISOptions, chosen: AnnealingPath, where: string) {
  const chains = options.chains ?? 100;
  be.checkMemory(
    [...model.stateTensors(chains, `${chains} AIS chains`), ...model.stateTensors(chains, 'their fields')],
    where,
    'use fewer chains, or a backend with more memory',
  );
  // The sampled layer that anneals from a base model A (when it can); the others keep their own energies.
  const anchor = chosen === 'visible' ? 0 : 1;
  const anchorLayer = model.layer(anchor);
  const indices = model.layers.map((_, i) => i);
  const summed = indices.filter((i) => i % 2 !== anchor);
  const sampled = indices.filter((i) => i % 2 === anchor);
  const anchorData = options.data && (anchor === 0 ? options.data : firstHiddenMeans(model, options.data));
  const base = anchorLayer.annealable
    ? anchorLayer.annealingBase(anchorData && (await dataMoments(anchorData, anchorLayer.numUnits)))
    : undefined;

  /** Every layer's units, the summed ones left out. @param units - the sampled layers', in `sampled` order */
  const spread = (units: readonly Tensor[]): (Tensor | undefined)[] => indices.map((i) => units[sampled.indexOf(i)]);
  /** β times the field on layer i. */
  const annealedField = (i: number, all: readonly (Tensor | undefined)[], beta: number): Tensor =>
    be.mul(model.fieldOn(i, all), beta);

  /**
   * One step from β' to β: the log-weight gain ln p*_β − ln p*_β' of the sampled units,
   * (β − β')(H_A − H_0)(x) + Σ_{summed j} [ln Z_j(βφ_j) − ln Z_j(β'φ_j)], each field φ_j computed
   * once for both terms and for the draw; then one Gibbs sweep at β.
   * @param units - the sampled layers', in `sampled` order @returns their next units and the gain (chains)
   */
  const step = (units: readonly Tensor[], previous: number, beta: number): { units: Tensor[]; gain: Tensor } => {
    const all = spread(units);
    const x = all[anchor];
    const fields = summed.map((j) => model.fieldOn(j, all));
    let gain = base && x ? be.mul(be.sub(base.energy(x), anchorLayer.energy(x)), beta - previous) : undefined;
    summed.forEach((j, n) => {
      const layer = model.layer(j);
      const field = fields[n] as Tensor;
      const annealed = be.mul(field, beta);
      const change = be.sub(layer.logPartition(annealed), layer.logPartition(be.mul(field, previous)));
      gain = gain ? be.add(gain, change) : change;
      all[j] = layer.exactConditionalSample(annealed);
    });
    const moved = sampled.map((i) =>
      i === anchor && base
        ? anchorLayer.annealedSample(base, model.fieldOn(anchor, all), beta)
        : model.layer(i).exactConditionalSample(annealedField(i, all, beta)),
    );
    return { units: moved, gain: gain as Tensor };
  };

  // ln Z_A: the uncoupled layers, the anchor replaced by its base when it anneals.
  const logZBaseTensor = be.tidy(() =>
    model.layers
      .map((layer, i) => be.sum((i === anchor && base ? base : layer).logPartition(be.zeros([1, layer.numUnits]))))
      .reduce((a, b) => be.add(a, b)),
  );
  const logZBase = await be.readScalar(logZBaseTensor);
  be.dispose(logZBaseTensor);

  /** Draws of the sampled layers from the base model. @returns in `sampled` order, (chains, numUnits_i) each */
  const baseStates = (count: number): Tensor[] =>
    sampled.map((i) => (i === anchor && base ? base : model.layer(i)).randomState(count));

  /**
   * Draws of the sampled layers with the visible layer at `rows` and the hidden layers from its
   * posterior (exact for an RBM, by clamped Gibbs sweeps for a DBM). It takes over `rows`.
   * @param rows - (count, numVisible)
   */
  const dataStates = (rows: Tensor): Tensor[] => {
    const upward = model.stateFromVisible(rows);
    const sweeps = model.numLayers === 2 ? 1 : REVERSE_AIS_POSTERIOR_SWEEPS;
    const posterior = model.markovChain(sweeps, upward, { clamped: [0], exactSamples: true });
    const units = sampled.map((i) => posterior.getLayer(i));
    for (const t of new Set([...upward.units, ...posterior.units])) if (!units.includes(t)) be.dispose(t);
    return units;
  };

  /**
   * Runs chains from `start` (which it takes over) through `betas`: at each step the log-weight
   * gains ln p*_{β_k} − ln p*_{β_{k−1}}, then one Gibbs sweep (the summed layers given the
   * sampled ones, then the sampled ones) leaves p_{β_k} invariant. It frees the base model, so
   * a path anneals once.
   * @param onProgress - called with the steps done every {@link AIS_PROGRESS_INTERVAL} steps and at the last
   * @returns the chains' log-weights
   */
  const anneal = async (start: Tensor[], betas: Float64Array, onProgress?: (done: number) => void) => {
    let units = start.map((t) => be.keep(t));
    let logWeights = be.keep(be.zeros([be.shape(start[0] as Tensor)[0] as number]));
    for (let k = 1; k < betas.length; k++) {
      const [previous, beta] = [betas[k - 1] as number, betas[k] as number];
      const next = be.tidy(() => {
        const moved = step(units, previous, beta);
        return { units: moved.units, logWeights: be.add(logWeights, moved.gain) };
      });
      be.dispose([...units, logWeights]);
      units = next.units.map((t) => be.keep(t));
      logWeights = be.keep(next.logWeights);
      if (k % AIS_PROGRESS_INTERVAL === 0 || k === betas.length - 1) onProgress?.(k);
    }
    const w = Float64Array.from(await be.read(logWeights));
    be.dispose([...units, logWeights]);
    base?.dispose();
    return w;
  };
  return { logZBase, baseStates, dataStates, anneal };
}

/** A log-likelihood estimate with the ln Z it rests on. */
export interface LogLikelihoodEstimate extends LogPartitionEstimate {
  /** Mean over the data of ln p(v) = −F(v) − ln Ẑ (with F_MF ≥ F for DBMs: a lower bound). */
  readonly logLikelihood: number;
  /**
   * Deep models only: the mean of −F_K(v) − ln Ẑ, the importance-weighted bound with K =
   * `samples` draws from the mean-field posterior ({@link importanceWeightedFreeEnergy}), tighter than `logLikelihood`.
   */
  readonly importanceWeighted?: number;
}

/** Options of {@link estimateLogLikelihood}. */
export interface LogLikelihoodOptions extends Omit<AISOptions, 'data'> {
  /** `'ais'` (default; optimistic) or `'reverse-ais'` from the data (RAISE: conservative). */
  readonly method?: 'ais' | 'reverse-ais';
  /** Deep models: draws per row of the importance-weighted bound (default 10). */
  readonly samples?: number;
}

/**
 * The mean log-likelihood of `data` under an RBM, from exact free energies, or its lower bound
 * under a DBM, −F_MF(v) − ln Ẑ with mean-field posteriors (Salakhutdinov & Hinton 2009), and the
 * tighter importance-weighted bound beside it, with an estimate of ln Z (base model fitted to the
 * data), as in Paysage/Learnergy/PyDeep evaluations: by AIS or reverse AIS from `data`.
 * @param data - (samples, numVisible)
 */
export async function estimateLogLikelihood(
  model: BoltzmannMachine,
  data: Tensor,
  options: LogLikelihoodOptions = {},
): Promise<LogLikelihoodEstimate> {
  checkOptions(
    options,
    { chains: true, steps: true, method: true, samples: true, path: true, onProgress: true },
    'estimateLogLikelihood',
  );
  const { method = 'ais', samples, ...aisOptions } = options;
  if (method !== 'ais' && method !== 'reverse-ais') {
    throw new ConfigError(`estimateLogLikelihood: method: expected 'ais' or 'reverse-ais', got '${method}'`);
  }
  const estimate =
    method === 'ais'
      ? await annealedImportanceSampling(model, { data, ...aisOptions })
      : await reverseAnnealedImportanceSampling(model, data, aisOptions);
  const logLikelihood = -(await meanOver(() => model.marginalFreeEnergy(data))) - estimate.logZ;
  if (model.numLayers === 2) return { ...estimate, logLikelihood };
  const weighted = await meanOver(() => importanceWeightedFreeEnergy(model, data, { samples }));
  return { ...estimate, logLikelihood, importanceWeighted: -weighted - estimate.logZ };
}

/** The mean of the (batch) tensor `make` returns, which it frees. */
async function meanOver(make: () => Tensor): Promise<number> {
  const mean = be.tidy(() => be.mean(make()));
  const value = await be.readScalar(mean);
  be.dispose(mean);
  return value;
}
