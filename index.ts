/**
 * Relief: energy-based models (Restricted and Deep Boltzmann Machines) in TypeScript on a
 * pluggable numerical backend.
 * @packageDocumentation
 * @module relief
 */
export * as backends from './backends/index.js';
export * as batch from './batch/index.js';
export * as components from './components/index.js';
export * as config from './config/index.js';
export * as constraints from './constraints/index.js';
export * as errors from './errors/index.js';
export * as estimators from './estimators/index.js';
export * as fit from './fit/index.js';
export * as layers from './layers/index.js';
export * as models from './namespaces/models.js';
export * as optimizers from './optimizers/index.js';
export * as penalties from './penalties/index.js';
export * as samplers from './samplers/index.js';
export * as schedules from './schedules/index.js';
export * as supervised from './supervised/index.js';
export * as validation from './validation/index.js';
