/**
 * Supervised learning: deep belief networks, feed-forward classifiers fine-tuned by
 * backpropagation (from RBMs, DBNs, DBMs or random weights), label RBMs trained discriminatively,
 * generatively or both, and their evaluation (accuracy, confusion matrix).
 * @packageDocumentation
 * @module relief/supervised
 */

export {
  type DbnLikelihoodOptions,
  type DbnLogLikelihoodEstimate,
  estimateDbnLogLikelihood,
} from '../estimators/index.js';
export { type Classifier, predict } from './classifier.js';
export { COSTS, type Cost } from './costs.js';
export {
  AugmentedBatches,
  augmentedInputs,
  DbmClassifier,
  type DbmClassifierOptions,
  DEFAULT_MEAN_FIELD_STEPS,
  dbmClassifier,
  loadDbmClassifier,
  meanFieldPosterior,
  saveDbmClassifier,
} from './dbm-classifier.js';
export { type DbnSampleOptions, DeepBeliefNetwork, type ResidualOptions } from './dbn.js';
export { ACTIVATIONS, type Activation, DenseLayer } from './dense.js';
export {
  accuracy,
  type ClassificationReport,
  confusionMatrix,
  evaluateClassifier,
  VALIDATION_METRICS,
  validationMetrics,
} from './evaluation.js';
export { FineTune, type FineTuneOptions } from './fine-tune.js';
export {
  classProbabilities,
  classScores,
  discriminative,
  discriminativeOptionsSchema,
  generativeLabels,
  generativeLabelsOptionsSchema,
  type HybridOptions,
  hybrid,
  hybridOptionsSchema,
  labelClassifier,
  labelRBM,
} from './label-rbm.js';
export {
  type CostOptions,
  type DropoutOptions,
  FeedForwardNetwork,
  type GradientOptions,
  type NetworkGradient,
} from './network.js';
export {
  CLASSIFIER_FORMAT,
  DBN_FORMAT,
  loadClassifier,
  loadDeepBeliefNetwork,
  saveClassifier,
  saveDeepBeliefNetwork,
} from './persistence.js';
