import { ReliefError } from '../../errors/index.js';

/**
 * The WebGPU device was lost (driver reset, GPU removed, out of memory, `destroy()`): every
 * tensor on it is gone, and each later operation on the backend throws this. Start a new
 * backend (`backends.use('webgpu')`) and reload the model from a checkpoint.
 */
export class DeviceLostError extends ReliefError {
  override readonly name = 'DeviceLostError';
}
