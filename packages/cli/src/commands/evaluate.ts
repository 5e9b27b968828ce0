import { join } from 'node:path';
import { confusionMatrixPng, savePng } from '@relief/plot';
import { be } from 'relief/backends';
import { InMemoryBatch } from 'relief/batch';
import { ProgressMonitor } from 'relief/fit';
import { type AnnealingPathChoice, estimateLogLikelihood, exactLogLikelihood, loadModel } from 'relief/models';
import { evaluateClassifier, labelClassifier, loadClassifier } from 'relief/supervised';
import { loadRunData, loadRunLabelledData, type RunConfig, usesLabelRBM } from '../config.js';
import { openRunConfig } from '../run-setup.js';

/** Options of `relief evaluate`. */
export interface EvaluateOptions {
  readonly split: 'train' | 'test';
  readonly limit?: number;
  readonly batches: number;
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
}

/**
 * `relief evaluate`: every metric of a saved model on a split of its data set, plus the mean
 * marginal free energy (exact for RBMs, the mean-field bound for deeper models), and with
 * `exact` the exact log-likelihood, with `ais` (and `reverseAis`) the AIS (and reverse AIS)
 * estimates of ln Z (the tighter of the paths `aisPath` names, each path's ln Ẑ beside it) and
 * of the mean log-likelihood (of any RBM; for a DBM, its mean-field lower bound, and the tighter
 * importance-weighted bound with 10 draws per row as `ImportanceWeightedLogLikelihood`).
 */
export async function evaluate(directory: string, options: EvaluateOptions): Promise<Record<string, number | string>> {
  const config = await openRunConfig(directory);
  if (config.task === 'classify') return evaluateClassifierRun(directory, config, options);
  const { model, preprocessing } = await loadModel(directory);
  const { data, description } = await loadRunData(config, options.split, {
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(preprocessing && { preprocessing }),
  });
  const batches = new InMemoryBatch(data, {
    batchSize: config.train.batchSize,
    trainFraction: 1e-9 + 1 / data.rows,
    seed: config.seed,
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
  for (const [method, steps, prefix] of [
    ['ais', options.ais, ''],
    ['reverse-ais', options.reverseAis, 'Reverse'],
  ] as const) {
    if (steps === undefined) continue;
    const estimate = await estimateLogLikelihood(model, all, { method, steps, chains: 100, path: options.aisPath });
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
  be.dispose([all, freeEnergy]);
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
    : await loadClassifier(directory).then(({ network }) => ({
        classifier: network,
        dispose: () => network.dispose(),
      }));
  const { data, description } = await loadRunLabelledData(config, options.split, {
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
