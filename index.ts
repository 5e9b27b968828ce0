/**
 * Relief: energy-based models (Restricted and Deep Boltzmann Machines) in TypeScript on a
 * pluggable numerical backend.
 * @packageDocumentation
 */
export * as backends from './backends/index.js';
export * as errors from './errors/index.js';
export * as layers from './layers/index.js';
export * as models from './models/index.js';
export * as penalties from './penalties/index.js';
