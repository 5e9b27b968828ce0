/**
 * Relief: energy-based models (Restricted and Deep Boltzmann Machines) in TypeScript on a
 * pluggable numerical backend.
 * @packageDocumentation
 */
export * as backends from './backends/index.js';
export * as errors from './errors/index.js';
