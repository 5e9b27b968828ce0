import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from '../../errors/index.js';
import type { TfjsDevice, TfjsDeviceOptions } from './options.js';

/** How to get each device when it is missing. */
const INSTALL_HINTS: Record<TfjsDevice, string> = {
  cpu: 'it ships with relief (@tensorflow/tfjs-backend-cpu); reinstall with `npm ci`',
  wasm: 'it ships with relief (@tensorflow/tfjs-backend-wasm); reinstall with `npm ci`',
  webgpu:
    'in a browser, use one with WebGPU enabled; in Node, install the optional `webgpu` package (`npm install webgpu`), ' +
    'which needs a GPU driver — on Debian/Ubuntu ' +
    '`apt-get install -y mesa-vulkan-drivers libegl1 libgl1-mesa-dri` gives a software adapter',
  tensorflow:
    '`npm install @tensorflow/tfjs-node` (its install script downloads libtensorflow, so it needs network access to ' +
    'storage.googleapis.com and an allowed install script)',
};

const started = new Set<TfjsDevice>();

/** Starts `device` in the tfjs engine and makes it the active tfjs backend. */
export async function startTfjsDevice(device: TfjsDevice, options: TfjsDeviceOptions = {}): Promise<void> {
  try {
    if (!started.has(device)) await registerDevice(device, options);
    const ok = await tf.setBackend(device);
    if (!ok) throw new Error(`tf.setBackend('${device}') failed to initialize`);
    started.add(device);
  } catch (cause) {
    throw unavailable(device, cause);
  }
}

function unavailable(device: TfjsDevice, cause: unknown): BackendUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BackendUnavailableError(
    `tfjs device '${device}' is unavailable here: ${reason}. To get it: ${INSTALL_HINTS[device]}. ` +
      `Always available: backend 'cpu', and backend 'tfjs' with devices 'cpu' and 'wasm'.`,
    { cause },
  );
}

async function registerDevice(device: TfjsDevice, options: TfjsDeviceOptions): Promise<void> {
  switch (device) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'webgpu':
      await installNodeWebGpu(options);
      await import('@tensorflow/tfjs-backend-webgpu');
      if (tf.findBackendFactory('webgpu') === null) throw new Error('navigator.gpu is not defined');
      return;
    case 'tensorflow': {
      // A variable specifier: the package is optional and may not be installed.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      return;
    }
  }
}

/** Minimal view of the parts of WebGPU's `GPU` object that tfjs uses. */
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * In Node (no `navigator.gpu`), installs the `webgpu` package's Dawn as `navigator.gpu`,
 * choosing an adapter that exists: the platform's default, else Mesa's software OpenGL in
 * WebGPU compatibility mode. Does nothing in browsers.
 */
async function installNodeWebGpu(options: TfjsDeviceOptions): Promise<void> {
  const scope = globalThis as { navigator?: { gpu?: unknown } };
  if (scope.navigator?.gpu) return;
  if (typeof process === 'undefined' || !process.versions?.node) throw new Error('this browser has no navigator.gpu');
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const dawn = (await import('webgpu')) as unknown as {
    create(options: string[]): GpuLike;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, dawn.globals);
  const candidates: { dawnOptions: string[]; adapterOptions: Record<string, unknown> }[] = options.dawnOptions
    ? [{ dawnOptions: [...options.dawnOptions], adapterOptions: {} }]
    : [
        { dawnOptions: [], adapterOptions: {} },
        { dawnOptions: ['backend=opengl'], adapterOptions: { featureLevel: 'compatibility' } },
      ];
  for (const { dawnOptions, adapterOptions } of candidates) {
    const gpu = dawn.create(dawnOptions);
    const adapter = await gpu.requestAdapter({ ...adapterOptions });
    if (adapter === null) continue;
    const chosen: GpuLike = {
      requestAdapter: (requested) => gpu.requestAdapter({ ...requested, ...adapterOptions }),
    };
    scope.navigator ??= {};
    Object.defineProperty(scope.navigator, 'gpu', { value: chosen, configurable: true });
    return;
  }
  throw new Error(
    `no WebGPU adapter found (Dawn options tried: ${candidates.map((c) => `[${c.dawnOptions}]`).join(', ')})`,
  );
}
