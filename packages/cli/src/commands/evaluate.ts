import { join } from 'node:path';
import { confusionMatrixPng, savePng } from '@relief/plot';
import { be, ready, setSeed, type Tensor } from 'relief/backends';
import { InMemoryBatch } from 'relief/batch';
import { ConfigError, DataError } from 'relief/errors';
import { ProgressMonitor } from 'relief/fit';
import {
  type AnnealingPathChoice,
  type BoltzmannMachine,
  estimateLogLikelihood,
  exactLogLikelihood,
  loadModel,
} from 'relief/models';
import { evaluateClassifier, labelClassifier, loadClassifier, loadDbmClassifier } from 'relief/supervised';
import {
  loadFileRows,
  loadRunData,
  loadRunLabelledData,
  type RunConfig,
  type RunSplit,
  usesLabelRBM,
} from '../config.js';
import { readRunConfig, startBackend } from '../run-setup.js';

/** Options of `relief evaluate`. */
export interface EvaluateOptions {
  /** Which rows of the run's data (default `'test'`); not with `data`. */
  readonly split?: RunSplit;
  /** A csv, npy or idx file whose rows to score instead of the run's data (all of them; `limit` cuts). */
  readonly data?: string;
  /** The format of `data` (default: by its name). */
  readonly dataFormat?: string;
  readonly limit?: number;
  readonly batches: number;
  /** Seed of the sample-based metrics and the estimators (default: the run's, else random). */
  readonly seed?: number;
  /** Also estimate ln Z and the log-likelihood by AIS with this many intermediate distributions. */
  readonly ais?: number;
  /** Also by reverse AIS from the data (RAISE: a conservative estimate), with this many. */
  readonly reverseAis?: number;
  /** Which layers the AIS chains sample (default `'both'`, keeping the tighter estimate). */
  readonly aisPath?: AnnealingPathChoice;
  /** Also the exact mean log-likelihood (by enumeration; small models only). */
  readonly exact?: boolean;
  /** Where a classifier's confusion matrix PNG goes (default `<dir>/confusion.png`). */
  readonly confusion?: string;
  /** Called as (reverse) AIS anneals, with the annealing steps done and their total. */
  readonly onAnnealing?: (method: AnnealingMethod, done: number, total: number) => void;
}

/** The estimators of ln Z that `relief evaluate` runs on request. */
export type AnnealingMethod = 'ais' | 'reverse-ais';

/** Minibatch size of the sample-based metrics for a model saved without a run config (relief train's default). */
const BATCH_SIZE_WITHOUT_CONFIG = 100;

/**
 * `relief evaluate`: every metric of a saved model on a split of its data set (or with `data`,
 * on every row of a file, for a model saved by a script too), plus the mean marginal free
 * energy (exact for RBMs, the mean-field bound for deeper models), and with `exact` the exact
 * log-likelihood, with `ais` (and `reverseAis`) the AIS (and reverse AIS) estimates of ln Z
 * (the tighter of the paths `aisPath` names, each path's ln Ẑ beside it) and of the mean
 * log-likelihood (of any RBM; for a DBM, its mean-field lower bound, and the tighter
 * importance-weighted bound with 10 draws per row as `ImportanceWeightedLogLikelihood`).
 */
export async function evaluate(directory: string, options: EvaluateOptions): Promise<Record<string, number | string>> {
  const config = await readRunConfig(directory);
  if (options.data !== undefined && options.split !== undefined) {
    throw new ConfigError(
      `--split picks rows of the run's own data; with --data every row of ${options.data} is scored (--limit cuts them): drop --split`,
    );
  }
  if (config === undefined && options.data === undefined) {
    throw new ConfigError(
      `${directory}: model.json has no run config in its metadata, so it names no data to evaluate on (it was saved by a script, not relief train); pass --data FILE (csv, npy or idx) to score a file's rows`,
    );
  }
  if (config) await startBackend(config);
  else await ready();
  if (options.seed !== undefined) setSeed(options.seed);
  if (config?.task === 'classify') {
    if (options.data !== undefined) {
      throw new ConfigError(
        `--data: scores generative models; ${directory} holds a classifier (task 'classify'), which evaluates on its run's data (--split)`,
      );
    }
    return evaluateClassifierRun(directory, config, options);
  }
  const { model, preprocessing } = await loadModel(directory);
  const rowOptions = {
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(preprocessing && { preprocessing }),
  };
  const { data, description } =
    options.data === undefined
      ? await loadRunData(config as RunConfig, options.split ?? 'test', rowOptions)
      : await loadFileRows(options.data, {
          ...rowOptions,
          ...(options.dataFormat !== undefined && { format: options.dataFormat }),
          ...(config && { transform: config.data.transform }),
        });
  if (data.columns !== model.layer(0).numUnits) {
    throw new DataError(
      `${options.data ?? 'the data'}: expected ${model.layer(0).numUnits} columns (the model's visible units), got ${data.columns}`,
    );
  }
  const batches = new InMemoryBatch(data, {
    batchSize: config?.train.batchSize ?? BATCH_SIZE_WITHOUT_CONFIG,
    trainFraction: 1e-9 + 1 / data.rows,
    seed: config?.seed ?? options.seed ?? 0,
  });
  const metrics = await new ProgressMonitor({ maxBatches: options.batches }).evaluate(model, batches);
  const all = be.tensor(data.values, [data.rows, data.columns]);
  const freeEnergy = be.tidy(() => be.mean(model.marginalFreeEnergy(all)));
  const result: Record<string, number | string> = {
    split: description,
    samples: data.rows,
    ...metrics,
    MeanFreeEnergy: await be.readScalar(freeEnergy),
  };
  if (options.exact) {
    const exact = be.tidy(() => be.mean(exactLogLikelihood(model, all)));
    result.ExactLogLikelihood = await be.readScalar(exact);
    be.dispose(exact);
  }
  Object.assign(result, await annealingEstimates(model, all, options));
  be.dispose([all, freeEnergy]);
  return result;
}

/** The AIS and reverse AIS figures `options` asks for, on the rows `all` (rows, numVisible). */
async function annealingEstimates(
  model: BoltzmannMachine,
  all: Tensor,
  options: EvaluateOptions,
): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const [method, steps, prefix] of [
    ['ais', options.ais, ''],
    ['reverse-ais', options.reverseAis, 'Reverse'],
  ] as const) {
    if (steps === undefined) continue;
    const { onAnnealing } = options;
    const estimate = await estimateLogLikelihood(model, all, {
      method,
      steps,
      chains: 100,
      path: options.aisPath,
      ...(onAnnealing && { onProgress: (done: number, total: number) => onAnnealing(method, done, total) }),
    });
    Object.assign(result, {
      [`${prefix}LogZ`]: estimate.logZ,
      ...Object.fromEntries(
        Object.entries(estimate.logZByPath).map(([path, logZ]) => [
          `${prefix}LogZ${path === 'visible' ? 'Visible' : 'Hidden'}Path`,
          logZ,
        ]),
      ),
      [`${prefix}LogZError`]: estimate.logZError,
      [`${prefix}LogLikelihood`]: estimate.logLikelihood,
      ...(estimate.importanceWeighted !== undefined && {
        [`${prefix}ImportanceWeightedLogLikelihood`]: estimate.importanceWeighted,
      }),
    });
  }
  return result;
}

/**
 * A classifier's (or a label RBM's) test accuracy, error and cross-entropy on a split of its
 * data, and its confusion matrix as a PNG.
 */
async function evaluateClassifierRun(
  directory: string,
  config: RunConfig,
  options: EvaluateOptions,
): Promise<Record<string, number | string>> {
  const { classifier, dispose } = usesLabelRBM(config)
    ? await loadModel(directory).then(({ model }) => ({
        classifier: labelClassifier(model),
        dispose: () => model.dispose(),
      }))
    : config.classify.from === 'dbm'
      ? await loadDbmClassifier(directory).then(({ classifier }) => ({
          classifier,
          dispose: () => classifier.dispose(),
        }))
      : await loadClassifier(directory).then(({ network }) => ({
          classifier: network,
          dispose: () => network.dispose(),
        }));
  const { data, description } = await loadRunLabelledData(config, options.split ?? 'test', {
    ...(options.limit !== undefined && { limit: options.limit }),
  });
  const report = await evaluateClassifier(classifier, data);
  dispose();
  const confusion = options.confusion ?? join(directory, 'confusion.png');
  savePng(confusion, confusionMatrixPng(report.confusion));
  return {
    split: description,
    samples: report.samples,
    accuracy: report.accuracy,
    error: report.error,
    crossEntropy: report.crossEntropy,
    confusion,
  };
}
