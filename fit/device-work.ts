import { be } from '../backends/index.js';

/**
 * Starts counting the work the backend in use does on its device. The function it returns
 * gives the mean per minibatch since then over `minibatches` minibatches, as epoch-record
 * fields: `gpuDispatches`, `gpuReadbacks` and `gpuHostMs` (none on a backend that computes on
 * the host, or for no minibatch).
 */
export function countDeviceWork(): (minibatches: number) => Record<string, number> {
  const start = be.stats();
  return (minibatches): Record<string, number> => {
    const end = be.stats();
    if (start === undefined || end === undefined || minibatches === 0) return {};
    return {
      gpuDispatches: (end.dispatches - start.dispatches) / minibatches,
      gpuReadbacks: (end.readbacks - start.readbacks) / minibatches,
      gpuHostMs: (end.hostMs - start.hostMs) / minibatches,
    };
  };
}
