/// <reference types="@webgpu/types" />
/**
 * The machinery under the WebGPU backend: a pool of storage buffers bucketed by size, compute
 * pipelines compiled once per kernel, bind groups made once per buffer (or per combination of
 * buffers, for kernels of more than three), uniforms packed into one ring buffer written once
 * per submit, and one command encoder that records every dispatch until a readback, a full
 * ring, `dispatchesPerSubmit` dispatches or `flush()` submits it.
 */
import { MemoryBudgetError, ReliefError } from '../../errors/index.js';
import { formatBytes } from '../memory.js';
import type { DeviceStats } from '../types.js';
import { DeviceLostError } from './errors.js';
import { MAX_SPLIT_BINDINGS } from './kernels/common.js';

/** GPUBufferUsage flags (numbers, so nothing depends on the `GPUBufferUsage` global). */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** GPUMapMode.READ */
const MAP_READ = 0x1;
/** GPUShaderStage.COMPUTE */
const COMPUTE = 0x4;

/** Bytes of one dispatch's uniforms: 64 words, at the alignment every device accepts for dynamic offsets. */
const UNIFORM_SLOT_BYTES = 256;
/** Words of one dispatch's uniforms. */
const UNIFORM_WORDS = UNIFORM_SLOT_BYTES / 4;
/** Uniform slots in the ring; a full ring submits. */
const RING_SLOTS = 2048;
/** Host values up to this size go up through the ring (copied in order inside the encoder). */
const RING_UPLOAD_BYTES = 64 * 1024;
/** The ring: uniform slots, then room for small uploads. */
const RING_BYTES = RING_SLOTS * UNIFORM_SLOT_BYTES + 4 * RING_UPLOAD_BYTES;
/** Dispatches recorded before the encoder is submitted even without a readback. */
const DEFAULT_DISPATCHES_PER_SUBMIT = 1024;
/** Smallest pooled buffer. */
const MIN_BUFFER_BYTES = 16;
/** Cached bind groups of several buffers kept before the cache is cleared (they are cheap to remake). */
const MAX_BIND_GROUPS = 8192;

/**
 * Cumulative counts of the work the backend gave the device: {@link DeviceStats} (bytes up
 * count host values uploaded, tensors and gather indices, not uniforms; `hostMs` is the time
 * spent recording dispatches: choosing buffers, writing uniforms, encoding), and these.
 */
export interface WebGpuStats extends DeviceStats {
  /**
   * Milliseconds spent in submits. On a GPU this is host time too; Mesa's software adapter
   * runs the recorded work inside the submit, so there it is the device's time.
   */
  readonly submitMs: number;
  /** Compute pipelines compiled. */
  readonly pipelines: number;
  /** GPU buffers made (the pool reuses freed ones). */
  readonly buffersCreated: number;
  /** Bind groups made (the cache reuses them for the same kernel and buffers). */
  readonly bindGroupsCreated: number;
}

/** A pooled GPU storage buffer, shared by the tensors that view it (reshapes). */
export class GpuStorage {
  /** Tensors viewing this storage. */
  refs = 1;
  /** The submit epoch in which a recorded command last used it. */
  usedInEpoch = -1;
  /** Its bind groups of its own, as a kernel's input and as its output (made on first use). */
  readGroup: GPUBindGroup | undefined;
  writeGroup: GPUBindGroup | undefined;
  constructor(
    readonly buffer: GPUBuffer,
    readonly capacity: number,
    readonly id: number,
  ) {}
}

/** A compiled kernel: its pipeline and how its storage buffers are bound. */
export interface Kernel {
  readonly id: number;
  /** The kernel and its variant, e.g. `binary:add:same:strided`. */
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  /** Read-only inputs, bound first. */
  readonly inputs: number;
  /** The layout of group 1 holding every storage buffer, or undefined when each has a group of its own. */
  readonly combined: GPUBindGroupLayout | undefined;
}

/** Workgroups of a one-dimensional dispatch of `threads` threads, spread over x and y past the per-dimension limit. */
export function linearGroups(threads: number, workgroupSize: number, maxPerDimension: number): [number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  const x = Math.min(groups, maxPerDimension);
  return [x, Math.ceil(groups / x)];
}

/** The bucket a request of `bytes` is rounded up to: four sizes per power of two. */
function bucketBytes(bytes: number, limit: number): number {
  const wanted = Math.max(MIN_BUFFER_BYTES, Math.ceil(bytes / 16) * 16);
  const power = 2 ** Math.floor(Math.log2(wanted));
  const step = Math.max(16, power / 4);
  const rounded = Math.ceil(wanted / step) * step;
  return rounded <= limit ? rounded : wanted;
}

/** The device, its pool, caches, ring and open encoder. */
export class GpuRuntime {
  readonly limits: GPUSupportedLimits;
  /** The largest tensor in bytes: one storage binding. */
  readonly maxTensorBytes: number;
  /** Workgroups a dispatch may have along one dimension. */
  readonly maxWorkgroupsPerDimension: number;
  /** Storage buffers one kernel may bind. */
  readonly maxStorageBuffers: number;
  /** When set, each dispatch appends its kernel's key (to see what a step runs). */
  trace: string[] | undefined;
  /** Why the device was lost, once it is. */
  lostReason: string | undefined;
  private firstError: string | undefined;

  private readonly freeBuffers = new Map<number, GpuStorage[]>();
  private readonly freeReadBuffers = new Map<number, GPUBuffer[]>();
  private nextBufferId = 0;
  private readonly kernels = new Map<string, Kernel>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();

  private readonly ring: GPUBuffer;
  private readonly ringWords = new Uint32Array(RING_BYTES / 4);
  private ringSlots = 0;
  private ringUploadBytes = 0;

  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  /** The pipeline the open pass last set. */
  private passPipeline: GPUComputePipeline | undefined;
  private readonly dynamicOffset = new Uint32Array(1);
  /** The bind groups the open pass has at each index (to skip setting them again). */
  private readonly passGroups: (GPUBindGroup | undefined)[] = [undefined, undefined, undefined, undefined];
  /** Layouts: the uniform slot (group 0), and one storage buffer read or written (groups 1–3). */
  private readonly uniformLayout: GPUBindGroupLayout;
  private readonly readLayout: GPUBindGroupLayout;
  private readonly writeLayout: GPUBindGroupLayout;
  /** Group 0 of every dispatch: the ring, at a dynamic offset. */
  private readonly ringGroup: GPUBindGroup;
  private epoch = 0;
  private dispatchesInEncoder = 0;
  /** Staging buffers to destroy once the encoder that copies from them is submitted. */
  private stagingToDestroy: GPUBuffer[] = [];

  private counts = {
    dispatches: 0,
    submits: 0,
    readbacks: 0,
    bytesUp: 0,
    bytesDown: 0,
    hostMs: 0,
    submitMs: 0,
    pipelines: 0,
    buffersCreated: 0,
    bindGroupsCreated: 0,
  };

  /** @param dispatchesPerSubmit - dispatches recorded before a submit without a readback */
  constructor(
    readonly device: GPUDevice,
    readonly dispatchesPerSubmit = DEFAULT_DISPATCHES_PER_SUBMIT,
  ) {
    this.limits = device.limits;
    this.maxTensorBytes = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    this.maxWorkgroupsPerDimension = this.limits.maxComputeWorkgroupsPerDimension;
    this.maxStorageBuffers = this.limits.maxStorageBuffersPerShaderStage;
    this.ring = device.createBuffer({
      size: RING_BYTES,
      usage: USAGE.UNIFORM | USAGE.COPY_DST | USAGE.COPY_SRC,
    });
    this.uniformLayout = device.createBindGroupLayout({
      entries: [
        {
          binding: 0,
          visibility: COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: UNIFORM_SLOT_BYTES },
        },
      ],
    });
    const single = (type: GPUBufferBindingType) =>
      device.createBindGroupLayout({ entries: [{ binding: 0, visibility: COMPUTE, buffer: { type } }] });
    this.readLayout = single('read-only-storage');
    this.writeLayout = single('storage');
    this.ringGroup = device.createBindGroup({
      layout: this.uniformLayout,
      entries: [{ binding: 0, resource: { buffer: this.ring, offset: 0, size: UNIFORM_SLOT_BYTES } }],
    });
    void device.lost.then((info) => {
      this.lostReason ??= `${info.reason}: ${info.message || 'no message'}`;
    });
    device.addEventListener?.('uncapturederror', (event) => {
      this.firstError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  stats(): WebGpuStats {
    return { ...this.counts };
  }

  resetStats(): void {
    for (const key of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[key] = 0;
  }

  /** Throws once the device is lost. */
  checkAlive(): void {
    if (this.lostReason !== undefined) {
      throw new DeviceLostError(
        `webgpu backend: the device was lost (${this.lostReason}); its tensors are gone. Start the backend again ` +
          "(`await backends.use('webgpu')`) and reload the model from a checkpoint.",
      );
    }
  }

  // ----- buffers -----

  /**
   * A storage buffer of at least `bytes` from the pool.
   * @param what - names the tensor in the error (made only when needed)
   * @param forUpload - prefer a pooled buffer that no recorded command uses, which host values
   *   can be written into directly (else {@link upload} stages them through a copy)
   * @throws MemoryBudgetError beyond the largest storage binding
   */
  acquire(bytes: number, what: () => string, forUpload = false): GpuStorage {
    this.checkAlive();
    if (bytes > this.maxTensorBytes) {
      throw new MemoryBudgetError(
        `webgpu backend: ${what()} needs ${formatBytes(bytes)}, more than the ${formatBytes(this.maxTensorBytes)} one ` +
          'tensor can hold on this device (its maxStorageBufferBindingSize); use smaller batches or fewer units',
      );
    }
    const capacity = bucketBytes(bytes, this.maxTensorBytes);
    const free = this.freeBuffers.get(capacity);
    // The longest-freed buffers (at the front) are the likeliest to be clean.
    const clean = forUpload && free ? free.findIndex((storage) => storage.usedInEpoch !== this.epoch) : -1;
    const pooled = clean >= 0 ? free?.splice(clean, 1)[0] : free?.pop();
    if (pooled) {
      pooled.refs = 1;
      return pooled;
    }
    const buffer = this.device.createBuffer({
      size: capacity,
      usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
    });
    this.counts.buffersCreated += 1;
    return new GpuStorage(buffer, capacity, this.nextBufferId++);
  }

  /** Returns `storage` to the pool (when its last view is freed). */
  release(storage: GpuStorage): void {
    const list = this.freeBuffers.get(storage.capacity);
    if (list) list.push(storage);
    else this.freeBuffers.set(storage.capacity, [storage]);
  }

  /** Pooled buffers not in use, and their bytes. */
  pooled(): { buffers: number; bytes: number } {
    let [buffers, bytes] = [0, 0];
    for (const [capacity, list] of this.freeBuffers) {
      buffers += list.length;
      bytes += capacity * list.length;
    }
    return { buffers, bytes };
  }

  /** Destroys the pooled buffers not in use, readback buffers included (after submitting what may still use them). */
  trimPool(): void {
    this.flush();
    for (const list of this.freeBuffers.values()) {
      for (const storage of list) storage.buffer.destroy();
    }
    for (const list of this.freeReadBuffers.values()) {
      for (const buffer of list) buffer.destroy();
    }
    this.freeBuffers.clear();
    this.freeReadBuffers.clear();
    this.bindGroups.clear();
  }

  /** Writes host `values` into `storage`, in order with the recorded work. */
  upload(storage: GpuStorage, values: ArrayBufferView): void {
    const bytes = values.byteLength;
    if (bytes === 0) return;
    this.counts.bytesUp += bytes;
    const source = new Uint8Array(values.buffer, values.byteOffset, bytes);
    if (storage.usedInEpoch !== this.epoch || this.encoder === undefined) {
      // No recorded command uses this buffer: a queue write lands before the encoder is submitted.
      this.device.queue.writeBuffer(storage.buffer, 0, source, 0, bytes);
      return;
    }
    const padded = Math.ceil(bytes / 16) * 16;
    if (padded <= RING_UPLOAD_BYTES && this.ringUploadBytes + padded <= 4 * RING_UPLOAD_BYTES) {
      const offset = RING_SLOTS * UNIFORM_SLOT_BYTES + this.ringUploadBytes;
      new Uint8Array(this.ringWords.buffer, offset, bytes).set(source);
      this.ringUploadBytes += padded;
      this.copy(this.ring, offset, storage.buffer, 0, padded);
      return;
    }
    const staging = this.device.createBuffer({ size: padded, usage: USAGE.COPY_SRC, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(source);
    staging.unmap();
    this.copy(staging, 0, storage.buffer, 0, padded);
    this.stagingToDestroy.push(staging);
  }

  private copy(from: GPUBuffer, fromOffset: number, to: GPUBuffer, toOffset: number, bytes: number): void {
    const encoder = this.openEncoder();
    this.pass?.end();
    this.pass = undefined;
    encoder.copyBufferToBuffer(from, fromOffset, to, toOffset, bytes);
  }

  // ----- kernels -----

  /**
   * The kernel compiled from `source` (once per `key`): group 0 is the uniform slot, then
   * `inputs` read-only storage buffers and `outputs` read-write ones, bound as the kernels'
   * `bindings()` declares them (a group each for up to three, else all in group 1).
   */
  kernel(key: string, inputs: number, outputs: number, source: () => string): Kernel {
    const known = this.kernels.get(key);
    if (known) return known;
    const storage = (i: number): GPUBindGroupLayoutEntry => ({
      binding: 0,
      visibility: COMPUTE,
      buffer: { type: i < inputs ? 'read-only-storage' : 'storage' },
    });
    const split = inputs + outputs <= MAX_SPLIT_BINDINGS;
    const combined = split
      ? undefined
      : this.device.createBindGroupLayout({
          entries: Array.from({ length: inputs + outputs }, (_, i) => ({ ...storage(i), binding: i })),
        });
    const groupLayouts = split
      ? Array.from({ length: inputs + outputs }, (_, i) => (i < inputs ? this.readLayout : this.writeLayout))
      : [combined as GPUBindGroupLayout];
    const module = this.device.createShaderModule({ code: source(), label: key });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.uniformLayout, ...groupLayouts] }),
      compute: { module, entryPoint: 'main' },
    });
    const kernel = { id: this.kernels.size, key, pipeline, inputs, combined };
    this.kernels.set(key, kernel);
    this.counts.pipelines += 1;
    return kernel;
  }

  /**
   * Records one dispatch of `kernel` over `groups` workgroups, binding `buffers` (inputs, then
   * outputs) and `uniforms` (at most {@link UNIFORM_WORDS} words; floats as their bits).
   */
  dispatch(
    kernel: Kernel,
    buffers: readonly GpuStorage[],
    uniforms: ArrayLike<number>,
    groups: readonly number[],
  ): void {
    this.checkAlive();
    if (this.ringSlots === RING_SLOTS || this.dispatchesInEncoder >= this.dispatchesPerSubmit) this.flush();
    const started = performance.now();
    if (uniforms.length > UNIFORM_WORDS) {
      throw new ReliefError(
        `webgpu backend: kernel ${kernel.key} got ${uniforms.length} uniform words, at most ${UNIFORM_WORDS} fit`,
      );
    }
    const slot = this.ringSlots++;
    const base = (slot * UNIFORM_SLOT_BYTES) / 4;
    for (let i = 0; i < uniforms.length; i++) this.ringWords[base + i] = uniforms[i] as number;
    if (this.pass === undefined) {
      this.pass = this.openEncoder().beginComputePass();
      this.passPipeline = undefined;
      this.passGroups.fill(undefined);
    }
    const pass = this.pass;
    if (this.passPipeline !== kernel.pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.passPipeline = kernel.pipeline;
    }
    this.dynamicOffset[0] = slot * UNIFORM_SLOT_BYTES;
    pass.setBindGroup(0, this.ringGroup, this.dynamicOffset, 0, 1);
    if (kernel.combined === undefined) {
      for (let i = 0; i < buffers.length; i++) {
        const group = this.ownGroup(buffers[i] as GpuStorage, i >= kernel.inputs);
        if (this.passGroups[i + 1] !== group) {
          pass.setBindGroup(i + 1, group);
          this.passGroups[i + 1] = group;
        }
      }
    } else {
      pass.setBindGroup(1, this.combinedGroup(kernel, kernel.combined, buffers));
      this.passGroups[1] = undefined;
    }
    pass.dispatchWorkgroups(groups[0] ?? 1, groups[1] ?? 1, groups[2] ?? 1);
    for (const storage of buffers) storage.usedInEpoch = this.epoch;
    this.dispatchesInEncoder += 1;
    this.counts.dispatches += 1;
    this.trace?.push(kernel.key);
    this.counts.hostMs += performance.now() - started;
  }

  /** The bind group of `storage` alone, as an input or as an output (made once per buffer). */
  private ownGroup(storage: GpuStorage, written: boolean): GPUBindGroup {
    const known = written ? storage.writeGroup : storage.readGroup;
    if (known) return known;
    const group = this.device.createBindGroup({
      layout: written ? this.writeLayout : this.readLayout,
      entries: [{ binding: 0, resource: { buffer: storage.buffer } }],
    });
    this.counts.bindGroupsCreated += 1;
    if (written) storage.writeGroup = group;
    else storage.readGroup = group;
    return group;
  }

  /** The bind group of all of `buffers` together, cached by their identity. */
  private combinedGroup(kernel: Kernel, layout: GPUBindGroupLayout, buffers: readonly GpuStorage[]): GPUBindGroup {
    let key = `${kernel.id}`;
    for (const storage of buffers) key += `,${storage.id}`;
    const known = this.bindGroups.get(key);
    if (known) return known;
    if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
    const entries = buffers.map((storage, i) => ({ binding: i, resource: { buffer: storage.buffer } }));
    const group = this.device.createBindGroup({ layout, entries });
    this.bindGroups.set(key, group);
    this.counts.bindGroupsCreated += 1;
    return group;
  }

  private openEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Submits everything recorded (writing the ring's used part first). */
  flush(): void {
    if (this.encoder === undefined) return;
    const started = performance.now();
    this.pass?.end();
    this.pass = undefined;
    if (this.ringSlots > 0) {
      this.device.queue.writeBuffer(this.ring, 0, this.ringWords.buffer, 0, this.ringSlots * UNIFORM_SLOT_BYTES);
    }
    if (this.ringUploadBytes > 0) {
      const offset = RING_SLOTS * UNIFORM_SLOT_BYTES;
      this.device.queue.writeBuffer(this.ring, offset, this.ringWords.buffer, offset, this.ringUploadBytes);
    }
    this.device.queue.submit([this.encoder.finish()]);
    for (const staging of this.stagingToDestroy) staging.destroy();
    this.stagingToDestroy = [];
    this.encoder = undefined;
    this.ringSlots = 0;
    this.ringUploadBytes = 0;
    this.dispatchesInEncoder = 0;
    this.epoch += 1;
    this.counts.submits += 1;
    this.counts.submitMs += performance.now() - started;
  }

  /** Copies the first `bytes` of `storage` to the host: records the copy, submits, waits. */
  async read(storage: GpuStorage, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    if (bytes === 0) return new ArrayBuffer(0);
    const size = Math.ceil(bytes / 4) * 4;
    const capacity = bucketBytes(size, Number.POSITIVE_INFINITY);
    const staging =
      this.freeReadBuffers.get(capacity)?.pop() ??
      this.device.createBuffer({ size: capacity, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    this.copy(storage.buffer, 0, staging, 0, size);
    this.flush();
    this.counts.readbacks += 1;
    this.counts.bytesDown += bytes;
    try {
      await staging.mapAsync(MAP_READ, 0, size);
    } catch (cause) {
      this.checkAlive();
      throw new ReliefError(`webgpu backend: reading a tensor back failed: ${String(cause)}`, { cause });
    }
    const values = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    const list = this.freeReadBuffers.get(capacity);
    if (list) list.push(staging);
    else this.freeReadBuffers.set(capacity, [staging]);
    if (this.firstError !== undefined) {
      const message = this.firstError;
      this.firstError = undefined;
      throw new ReliefError(`webgpu backend: the device reported an error: ${message}`);
    }
    return values;
  }

  /** Waits until the device has done everything submitted. */
  async synchronize(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Destroys the device; later operations throw DeviceLostError. */
  destroy(): void {
    this.lostReason ??= 'destroyed: the backend was destroyed';
    this.device.destroy();
  }
}
