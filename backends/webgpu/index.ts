/**
 * The native WebGPU backend's public face: registers `webgpu` (start it with
 * `await backends.use('webgpu')`). Dawn (the `webgpu` package) is loaded only when the
 * backend starts in Node.
 * @packageDocumentation
 */
import { registerBackend } from '../registry.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';
import { webgpuBackendOptions } from './options.js';

export { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';
export { ADAPTER_HINT } from './device.js';
export { DeviceLostError } from './errors.js';
export { type WebGpuOptions, webgpuBackendOptions } from './options.js';
export type { WebGpuStats } from './runtime.js';

registerBackend('webgpu', {
  description: 'native WebGPU: WGSL kernels on the GPU (navigator.gpu, or Dawn from the webgpu package in Node)',
  devices: [],
  options: webgpuBackendOptions,
  create: (options) => WebGpuBackend.create(options as WebGpuBackendOptions),
});
