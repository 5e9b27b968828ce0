import * as z from 'zod';

/** The cpu backend's own options, as `backends.use('cpu', options)` checks them. */
export const cpuBackendOptions = z.strictObject({
  kernel: z.enum(['wasm', 'js']).optional(),
  threads: z.literal([1, 2]).optional(),
  sharedMemory: z.boolean().optional(),
  sparseProducts: z.boolean().optional(),
});

/**
 * Options of the cpu backend's matrix products:
 * - `kernel`: `'wasm'` (default), the WebAssembly SIMD kernel where it runs, else JavaScript;
 *   `'js'`, always JavaScript;
 * - `threads`: 1 or 2 threads for the WebAssembly kernel (default 2);
 * - `sharedMemory`: whether the kernel's memory is shared (default: where SharedArrayBuffer
 *   exists); without it the kernel runs on one thread over a memory of fixed size, as in a page
 *   that is not cross-origin isolated;
 * - `sparseProducts`: whether a product with a factor of only 0s and 1s (binary data,
 *   Bernoulli samples) sums the rows its ones pick instead of multiplying densely (default
 *   true; the same bits either way).
 * @useDeclaredType
 */
export type CpuBackendOptions = z.input<typeof cpuBackendOptions>;

declare module '../registry.js' {
  interface BackendOptionsByName {
    cpu: CpuBackendOptions;
  }
}
