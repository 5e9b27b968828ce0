/**
 * The tfjs backend's public face. TensorFlow.js (tens of megabytes of modules) is loaded
 * with `import()` the first time a tfjs device is started, so `import 'relief'` and the cpu
 * backends never load it.
 * @packageDocumentation
 */
import { BackendUnavailableError } from '../../errors/index.js';
import { registerBackend } from '../registry.js';
import type { TfjsBackend as LoadedTfjsBackend } from './backend.js';
import { TFJS_DEVICES, type TfjsDevice, type TfjsDeviceOptions, tfjsBackendOptions } from './options.js';

export { TFJS_DEVICES, type TfjsDevice, type TfjsDeviceOptions } from './options.js';

/** Options of {@link TfjsBackend.create}: the device options and a seed. */
export type TfjsCreateOptions = TfjsDeviceOptions & { readonly seed?: number };

type TfjsBackendModule = typeof import('./backend.js');

let loading: Promise<TfjsBackendModule> | undefined;
let loadedClass: TfjsBackendModule['TfjsBackend'] | undefined;

/**
 * Loads the tfjs backend module (and with it `@tensorflow/tfjs-core`) once.
 * @throws BackendUnavailableError when TensorFlow.js cannot be loaded here
 */
function loadTfjsBackend(): Promise<TfjsBackendModule> {
  loading ??= import('./backend.js').then(
    (module) => {
      loadedClass = module.TfjsBackend;
      return module;
    },
    (cause: unknown) => {
      loading = undefined;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new BackendUnavailableError(
        `backend 'tfjs': expected the TensorFlow.js packages (@tensorflow/tfjs-core and its cpu, wasm and webgpu ` +
          `backends, installed with relief) to load, got: ${reason}. Reinstall relief (\`npm install relief\`), ` +
          `or use backend 'cpu'.`,
        { cause },
      );
    },
  );
  return loading;
}

/**
 * The tfjs backend: tensors are `tf.Tensor`s on one tfjs device (webgpu, tensorflow, wasm
 * or cpu). Start it with `await backends.use('tfjs', { device })` or
 * `await TfjsBackend.create(device)`; both load TensorFlow.js on first use. There is no
 * synchronous start: `backends.be` with a configured tfjs backend asks for
 * `await backends.ready()` first.
 */
export type TfjsBackend = LoadedTfjsBackend;

/** Starts tfjs backends; `x instanceof TfjsBackend` holds for backends it started. */
export const TfjsBackend: {
  /**
   * Loads TensorFlow.js, starts `device` (default 'cpu') and returns a backend on it.
   * @throws BackendUnavailableError naming what is available and how to install the device
   */
  create(device?: TfjsDevice, options?: TfjsCreateOptions): Promise<TfjsBackend>;
  /** Whether `value` is a tfjs backend (false while TensorFlow.js is not loaded). */
  [Symbol.hasInstance](value: unknown): boolean;
} = {
  async create(device: TfjsDevice = 'cpu', options: TfjsCreateOptions = {}): Promise<TfjsBackend> {
    const module = await loadTfjsBackend();
    return module.TfjsBackend.create(device, options);
  },
  [Symbol.hasInstance](value: unknown): boolean {
    return loadedClass !== undefined && value instanceof loadedClass;
  },
};

registerBackend('tfjs', {
  description: 'TensorFlow.js: webgpu (browser, or Node with the webgpu package), tensorflow (tfjs-node), wasm, cpu',
  devices: TFJS_DEVICES,
  defaultDevice: 'cpu',
  options: tfjsBackendOptions,
  create: (options) => TfjsBackend.create((options.device ?? 'cpu') as TfjsDevice, options as TfjsCreateOptions),
});
