/**
 * The public `models` namespace (`relief/models`): the model core of `models/` plus the
 * likelihood estimators of `estimators/` that Paysage users call as `models.*`
 * (`models.estimateLogLikelihood`, `models.exactLogLikelihood`, …). It sits above both
 * folders, so neither imports the other's public face.
 * @packageDocumentation
 * @module relief/models
 */
export * from '../estimators/index.js';
export * from '../models/index.js';
