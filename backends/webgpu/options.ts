import * as z from 'zod';

/** The webgpu backend's own options, as `backends.use('webgpu', options)` checks them. */
export const webgpuBackendOptions = z.strictObject({
  adapter: z.enum(['hardware', 'software']).optional(),
  dawnOptions: z.array(z.string()).readonly().optional(),
  random: z.enum(['device', 'host']).optional(),
  dispatchesPerSubmit: z.number().int().min(1).optional(),
});

/**
 * Options of the webgpu backend:
 * - `adapter`: `'hardware'` (default), the platform's GPU adapter (Vulkan, Metal, D3D12), an
 *   error where there is none; `'software'`, Mesa's llvmpipe through OpenGL in WebGPU
 *   compatibility mode in Node (a fallback adapter in browsers): slow, for tests and machines
 *   without a GPU. `RELIEF_WEBGPU_ADAPTER=software` asks for it too.
 * - `dawnOptions` (Node only): options for Dawn's `create()` in the `webgpu` package, e.g.
 *   `['backend=vulkan']`, in place of the adapter's defaults.
 * - `random`: `'device'` (default), Philox4x32-10 on the GPU; `'host'`, the seeded stream
 *   every other backend draws (drawn on the host and uploaded), so a seeded run matches the
 *   cpu and float64 backends sample for sample. `RELIEF_WEBGPU_RANDOM=host` asks for it too.
 * - `dispatchesPerSubmit`: dispatches recorded before a submit when nothing is read back
 *   (default 1024).
 * @useDeclaredType
 */
export type WebGpuOptions = z.input<typeof webgpuBackendOptions>;

declare module '../registry.js' {
  interface BackendOptionsByName {
    webgpu: WebGpuOptions;
  }
}
