import * as z from 'zod';

/** Devices of the tfjs backend. */
export type TfjsDevice = 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The devices of the tfjs backend, in the order help texts list them. */
export const TFJS_DEVICES: readonly TfjsDevice[] = ['webgpu', 'tensorflow', 'wasm', 'cpu'];

/** The tfjs backend's own options, as `backends.use('tfjs', options)` checks them. */
export const tfjsBackendOptions = z.strictObject({
  dawnOptions: z.array(z.string()).readonly().optional(),
});

/**
 * Options for starting a tfjs device. `dawnOptions` (Node only): options for Dawn's
 * `create()` in the `webgpu` package, e.g. `['backend=vulkan']`. By default the platform's
 * adapter is tried first, then Mesa's software OpenGL adapter in compatibility mode.
 * @useDeclaredType
 */
export type TfjsDeviceOptions = z.input<typeof tfjsBackendOptions>;

declare module '../registry.js' {
  interface BackendOptionsByName {
    tfjs: TfjsDeviceOptions;
  }
}
