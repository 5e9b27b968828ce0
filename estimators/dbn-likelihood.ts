/**
 * The log-likelihood of data under a deep belief network: Salakhutdinov & Murray's (2008)
 * variational lower bound, with the top RBM's ln Z by AIS.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, ShapeError, UnsupportedError } from '../errors/index.js';
import type { Layer } from '../layers/index.js';
import type { BoltzmannMachine } from '../models/index.js';
import { checkOptions } from '../validation/index.js';
import { type AISOptions, annealedImportanceSampling, type LogPartitionEstimate } from './ais.js';
import { logMeanExpWithError, meanWithError } from './sample-statistics.js';

/**
 * What the bound reads of a deep belief network (`supervised.DeepBeliefNetwork` is one): its
 * stack of two-layer RBMs, bottom first, and whether its up-pass is residual.
 */
export interface BeliefNetworkStack {
  /** The RBMs, bottom first: each one's visible layer takes the hidden layer of the one below. */
  readonly rbms: readonly BoltzmannMachine[];
  /** Defined for a ResidualDBN, whose up-pass is not a distribution. */
  readonly residual?: unknown;
}

/** Options of {@link estimateDbnLogLikelihood}: AIS's, plus the recognition samples. */
export interface DbnLikelihoodOptions extends Omit<AISOptions, 'data'> {
  /** Draws of the hidden layers from the recognition pass per data row (default 10). */
  readonly samples?: number;
}

/** A DBN's log-likelihood bounds with the top RBM's ln Z they rest on. */
export interface DbnLogLikelihoodEstimate extends LogPartitionEstimate {
  /**
   * Mean over the data of Salakhutdinov & Murray's bound
   * E_q[ln p(v, h¹…h^{L−1}) − ln q(h¹…h^{L−1} | v)] ≤ ln p(v).
   */
  readonly logLikelihood: number;
  /** One standard error of `logLikelihood` from the recognition draws (ln Z's error aside; 0 with one sample). */
  readonly samplingError: number;
  /** The tighter importance-weighted bound, mean over the data of ln mean_k p(v, h_k)/q(h_k | v) (Burda et al. 2016). */
  readonly importanceWeighted: number;
}

/**
 * ln p(x | h) of one RBM's lower layer given its upper one, and ln q(h | x) the other way:
 * ln p(x | φ) = −H(x) + r(x)·φ − ln Z(φ) for either layer. @returns (batch)
 */
function logConditional(layer: Layer, units: Tensor, field: Tensor): Tensor {
  return be.tidy(() =>
    be.sub(be.sub(be.sum(be.mul(layer.rescale(units), field), 1), layer.energy(units)), layer.logPartition(field)),
  );
}

/**
 * One draw per row of ln p(v, h¹…h^{L−1}) − ln q(h¹…h^{L−1} | v) + ln Z_top: the recognition
 * pass samples each hidden layer from its RBM's p(h | layer below); the generative model is the
 * RBMs' downward conditionals with the top RBM's marginal exp(−F_top)/Z_top as the prior.
 * @param visible - (rows, numVisible) @returns the log-weights (rows) and the top RBM's visible draws
 */
function recognitionDraw(rbms: readonly BoltzmannMachine[], visible: Tensor): { logWeights: Tensor; top: Tensor } {
  return be.tidy(() => {
    let below = visible;
    let logWeights = be.zeros([be.shape(visible)[0] as number]);
    for (const rbm of rbms.slice(0, -1)) {
      const upField = rbm.fieldOn(1, [below, undefined]);
      const above = rbm.layer(1).exactConditionalSample(upField);
      const downField = rbm.fieldOn(0, [undefined, above]);
      const logPrior = logConditional(rbm.layer(0), below, downField);
      logWeights = be.add(logWeights, be.sub(logPrior, logConditional(rbm.layer(1), above, upField)));
      below = above;
    }
    const top = rbms.at(-1) as BoltzmannMachine;
    return { logWeights: be.sub(logWeights, top.marginalFreeEnergy(below)), top: below };
  });
}

/**
 * The mean log-likelihood of `data` under a DBN, bounded below as Salakhutdinov & Murray
 * (2008): the recognition distribution q is the RBMs' upward conditionals, drawn `samples`
 * times per row, and ln Z of the top RBM comes from AIS (its base model fitted to the drawn
 * top-layer inputs). With one RBM it is that RBM's AIS log-likelihood.
 * @param dbn - a DBN, or any stack of RBMs bottom first @param data - (rows, numVisible)
 * @throws UnsupportedError for a ResidualDBN, whose up-pass is not a distribution
 */
export async function estimateDbnLogLikelihood(
  dbn: BeliefNetworkStack,
  data: Tensor,
  options: DbnLikelihoodOptions = {},
): Promise<DbnLogLikelihoodEstimate> {
  checkOptions(
    options,
    { chains: true, steps: true, samples: true, path: true, onProgress: true },
    'estimateDbnLogLikelihood',
  );
  const { samples = 10, ...aisOptions } = options;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new ConfigError(`estimateDbnLogLikelihood: samples: expected an integer ≥ 1, got ${samples}`);
  }
  if (dbn.residual !== undefined) {
    throw new UnsupportedError('estimateDbnLogLikelihood: a ResidualDBN has no recognition distribution');
  }
  const bottom = dbn.rbms[0];
  if (bottom === undefined) throw new ConfigError('estimateDbnLogLikelihood: expected at least one RBM, got none');
  const numVisible = bottom.layer(0).numUnits;
  const shape = be.shape(data);
  const rows = shape[0] as number;
  if (shape.length !== 2 || shape[1] !== numVisible || !rows) {
    throw new ShapeError(
      `estimateDbnLogLikelihood: expected data (rows ≥ 1, ${numVisible}), got [${shape.join(', ')}]`,
    );
  }
  const draws: Float64Array[] = [];
  const tops: Tensor[] = [];
  for (let k = 0; k < samples; k++) {
    const { logWeights, top } = recognitionDraw(dbn.rbms, data);
    draws.push(Float64Array.from(await be.read(logWeights)));
    be.dispose(logWeights);
    tops.push(top);
  }
  const topRbm = dbn.rbms.at(-1) as BoltzmannMachine;
  const estimate = await annealedImportanceSampling(topRbm, { ...aisOptions, data: tops });
  be.dispose(tops);
  const perRow = Array.from({ length: rows }, (_, r) => Float64Array.from(draws, (d) => d[r] as number));
  // The data are fixed: only the draws within each row add error to the mean over rows.
  const rowMeans = perRow.map((row) => meanWithError(row));
  const average = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    ...estimate,
    logLikelihood: average(rowMeans.map(({ mean }) => mean)) - estimate.logZ,
    samplingError: Math.sqrt(average(rowMeans.map(({ error }) => error ** 2)) / rows),
    importanceWeighted: average(perRow.map((row) => logMeanExpWithError(row).logMean)) - estimate.logZ,
  };
}
