/**
 * Tensor backends: the {@link Backend} contract, the cpu (ndarray), native WebGPU and tfjs
 * implementations, the float64 oracle, and the selection of the one in use (`be`).
 *
 * ```ts
 * import { backends } from 'relief';
 * await backends.use('webgpu'); // or RELIEF_BACKEND / relief.config.json
 * backends.setSeed(137);
 * const { be } = backends;
 * const p = be.sigmoid(be.matmul(v, W)); // (batch, numHidden)
 * ```
 * @packageDocumentation
 * @module relief/backends
 */
export { Backend } from './backend.js';
export { type BackendSettings, CONFIG_FILE_NAME, resolveSettings } from './config.js';
export { CpuBackend, type CpuBackendOptions } from './cpu/index.js';
export { Float64Backend } from './float64/index.js';
export { checkMemory, formatBytes, hostMemoryBytes, type MemoryLimits, type PlannedTensor } from './memory.js';
export { SeededRandom } from './random.js';
export {
  type BackendFactory,
  type BackendOptionsByName,
  type BackendStartOptions,
  backendFactory,
  checkDevice,
  describeBackends,
  registerBackend,
  registeredBackends,
} from './registry.js';
export {
  be,
  current,
  hostRandom,
  type RandomStates,
  randomStates,
  ready,
  setRandomStates,
  setSeed,
  type UseOptions,
  type UseOptionsOf,
  use,
} from './select.js';
export type { ConvolutionDims } from './shapes.js';
export {
  TFJS_DEVICES,
  TfjsBackend,
  type TfjsCreateOptions,
  type TfjsDevice,
  type TfjsDeviceOptions,
} from './tfjs/index.js';
export type {
  AdamSettings,
  Convolution,
  DeviceStats,
  MatmulOptions,
  RandomWords,
  Shape,
  Tensor,
  TensorContainer,
  TensorLike,
} from './types.js';
export {
  ADAPTER_HINT,
  DeviceLostError,
  WebGpuBackend,
  type WebGpuBackendOptions,
  type WebGpuOptions,
  type WebGpuStats,
} from './webgpu/index.js';
