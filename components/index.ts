/**
 * Linear component models: ICA by natural-gradient maximum likelihood or FastICA, with the Amari
 * distance that scores it, and PCA as a model (projection, explained variance,
 * probabilistic-PCA likelihood, sampling), each saved as a model directory.
 * @packageDocumentation
 * @module relief/components
 */
export { amariDistance } from './amari.js';
export { fastIcaStep, symmetricDecorrelation } from './fast-ica.js';
export { ICA, ICA_ALGORITHMS, type IcaAlgorithm, type IcaFitOptions, naturalGradient } from './ica.js';
export { type PCAFitOptions, PCAModel, type PCAStatistics } from './pca-model.js';
export { COMPONENT_FORMAT, loadICA, loadPCA, saveICA, savePCA } from './persistence.js';
export { ICA_PRIORS, type IcaPrior, priorLogDensity, priorScore } from './priors.js';
