/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU device: `navigator.gpu` in browsers, the `webgpu` package (Dawn) in Node.
 */
import { BackendUnavailableError } from '../../errors/index.js';
import type { WebGpuOptions } from './options.js';

/** Which adapter to ask for (see {@link WebGpuOptions}). */
export type AdapterChoice = NonNullable<WebGpuOptions['adapter']>;

/** Options for finding a device. */
export type DeviceOptions = Pick<WebGpuOptions, 'adapter' | 'dawnOptions'>;

/** A device, its adapter's description, and the limits it was created with. */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** Which adapter it is on. */
  readonly adapter: AdapterChoice;
  /** The adapter's name and how it was reached, e.g. `NVIDIA H100 80GB HBM3 (dawn)`, `llvmpipe-llvm-15-0-6-256-bits (opengl, software)`. */
  readonly description: string;
}

/** How to get an adapter when none is found. */
export const ADAPTER_HINT =
  'in a browser, use one with WebGPU enabled; in Node, install the `webgpu` package (`npm install webgpu`) and a ' +
  'driver: a GPU needs its Vulkan driver (in an NVIDIA container, the Vulkan ICD files from the driver: ' +
  'nvidia_icd.json and libGLX_nvidia / libnvidia-vulkan), and with no GPU `apt-get install -y mesa-vulkan-drivers ' +
  "libegl1 libgl1-mesa-dri` (Debian/Ubuntu) gives Mesa's software adapter, chosen with " +
  "`{ adapter: 'software' }` or RELIEF_WEBGPU_ADAPTER=software. Always available: backend 'cpu'";

/** Limits asked of the device: the adapter's own, where it allows more than WebGPU's defaults. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

interface Dawn {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Dawn instances by their options: one per process is enough. */
const dawnInstances = new Map<string, GPU>();

/** The adapter choice from the options, else from RELIEF_WEBGPU_ADAPTER. */
function adapterChoice(options: DeviceOptions): AdapterChoice {
  if (options.adapter) return options.adapter;
  const fromEnv = typeof process === 'undefined' ? undefined : process.env?.RELIEF_WEBGPU_ADAPTER;
  return fromEnv === 'software' ? 'software' : 'hardware';
}

/**
 * A WebGPU device on the chosen adapter.
 * @throws BackendUnavailableError saying why there is none and how to get one
 */
export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  const choice = adapterChoice(options);
  let found: { adapter: GPUAdapter; description: string } | undefined;
  try {
    found = await findAdapter(choice, options);
  } catch (cause) {
    throw unavailable(cause instanceof Error ? cause.message : String(cause), cause);
  }
  if (found === undefined) {
    const tried = choice === 'software' ? "Mesa's software adapter" : 'a hardware adapter';
    throw unavailable(`no WebGPU adapter found (asked for ${tried})`);
  }
  const { adapter, description } = found;
  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, number>;
  for (const name of WANTED_LIMITS) if (typeof limits[name] === 'number') requiredLimits[name] = limits[name];
  try {
    const device = await adapter.requestDevice({ requiredLimits });
    return { device, description, adapter: choice };
  } catch (cause) {
    throw unavailable(`the adapter (${description}) refused a device: ${String(cause)}`, cause);
  }
}

function unavailable(reason: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError(`backend 'webgpu' is unavailable here: ${reason}. To get it: ${ADAPTER_HINT}.`, {
    cause,
  });
}

async function findAdapter(
  choice: AdapterChoice,
  options: DeviceOptions,
): Promise<{ adapter: GPUAdapter; description: string } | undefined> {
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (browserGpu && !isNode) {
    const adapter = await browserGpu.requestAdapter(choice === 'software' ? { forceFallbackAdapter: true } : {});
    return adapter ? { adapter, description: describe(adapter, 'browser') } : undefined;
  }
  if (!isNode) throw new Error('this browser has no navigator.gpu');
  const software = choice === 'software';
  const dawnOptions = options.dawnOptions ? [...options.dawnOptions] : software ? ['backend=opengl'] : [];
  if (software) process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = await dawnInstance(dawnOptions);
  const adapterOptions = software ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' };
  const adapter = await gpu.requestAdapter(adapterOptions as GPURequestAdapterOptions);
  if (adapter === null) return undefined;
  const via = [...dawnOptions.map((o) => o.replace(/^backend=/, '')), ...(software ? ['software'] : [])];
  const description = describe(adapter, via.join(', ') || 'dawn');
  if (!software && /llvmpipe|lavapipe|swiftshader|software/i.test(description)) {
    throw new Error(`the only adapter is a software one (${description}), which is used only when asked for`);
  }
  return { adapter, description };
}

async function dawnInstance(dawnOptions: string[]): Promise<GPU> {
  const key = dawnOptions.join('\n');
  const known = dawnInstances.get(key);
  if (known) return known;
  let dawn: Dawn;
  try {
    // A variable specifier: the package is an optional peer dependency.
    const specifier = 'webgpu';
    const loaded = (await import(specifier)) as Dawn & { default?: Dawn };
    dawn = typeof loaded.create === 'function' ? loaded : (loaded.default as Dawn);
  } catch (cause) {
    throw new Error(`the \`webgpu\` package is not installed (${String(cause)})`);
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  }
  const gpu = dawn.create(dawnOptions);
  dawnInstances.set(key, gpu);
  return gpu;
}

/** The adapter's name as far as it says (`NVIDIA H100 80GB HBM3`, `llvmpipe-llvm-15…`) and how it was reached. */
function describe(adapter: GPUAdapter, via: string): string {
  const info = (adapter as { info?: Partial<GPUAdapterInfo> }).info ?? {};
  const name = [info.device, info.description, info.vendor].find((s) => s !== undefined && s !== '');
  return `${name?.replace(/-+$/, '') ?? 'unnamed adapter'} (${via})`;
}
