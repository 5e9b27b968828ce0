/**
 * The cpu backend's fast matrix product (and fused Bernoulli sampling): a WebAssembly SIMD kernel (AssemblyScript source in
 * `assembly/gemm.ts`, built by `npm run build:kernel`) on a shared `WebAssembly.Memory`, its
 * 8-column panels split between this thread and a worker thread. The product stays
 * synchronous: this thread hands the worker its panels, computes its own, then waits with
 * `Atomics.wait`. Every element of C is computed by one thread in one fixed order, so results
 * are bit-identical whatever the number of threads.
 */
import { MemoryBudgetError } from '../../errors/index.js';
import type { SeededRandom } from '../random.js';
import type { AdamSettings } from '../types.js';
import { KERNEL_WASM_BASE64 } from './kernel-binary.js';

interface KernelExports {
  adamStep(
    param: number,
    gradient: number,
    mean: number,
    square: number,
    count: number,
    stepSize: number,
    b1: number,
    a1: number,
    b2: number,
    a2: number,
    squareCorrection: number,
    epsilon: number,
  ): void;
  sampleBernoulliLogits(field: number, bias: number, out: number, rows: number, columns: number, state: number): void;
  packA(src: number, dst: number, m: number, k: number, transposed: number): void;
  packB(src: number, dst: number, k: number, n: number, transposed: number): void;
  panels(n: number): number;
  gemmPanels(a: number, b: number, c: number, m: number, k: number, n: number, first: number, last: number): void;
}

/** Bytes reserved at the start of memory (the module's own statics live there). */
const RESERVED = 65536;
const PAGE = 65536;
const MAX_PAGES = 16384;
/** Below this many multiply-adds the worker hand-off costs more than it saves. */
const THREAD_THRESHOLD = 1 << 18;

/** The worker: instantiates the same module on the same memory, then serves jobs posted in `control`. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const kernel = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
const ctl = new Int32Array(control);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  kernel.gemmPanels(ctl[2], ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9]);
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}
`;

function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * A packed right operand kept in memory between products. cpu tensors never change after
 * they are made, so the same Float32Array (with the same sizes and transposition) always
 * packs to the same panels: a PCD step multiplies by the same W (and Wᵀ) several times.
 */
interface PackedOperand {
  source: Float32Array | undefined;
  k: number;
  n: number;
  /** Byte offset and capacity of this slot's region. */
  offset: number;
  capacity: number;
}

/** The WebAssembly matrix kernel, with an optional helper thread. */
export class WasmGemm {
  private readonly kernel: KernelExports;
  private readonly control: Int32Array | undefined;
  private generation = 0;
  /** Slot 0 holds a packed B given as (k, n), slot 1 one given transposed as (n, k). */
  private readonly packed: [PackedOperand, PackedOperand] = [
    { source: undefined, k: 0, n: 0, offset: RESERVED, capacity: 0 },
    { source: undefined, k: 0, n: 0, offset: RESERVED, capacity: 0 },
  ];

  private constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    threads: number,
  ) {
    const imports = {
      env: {
        memory,
        abort: () => {
          throw new Error('kernel abort');
        },
      },
    };
    this.kernel = new WebAssembly.Instance(module, imports).exports as unknown as KernelExports;
    this.control = threads > 1 ? startWorker(module, memory) : undefined;
  }

  /**
   * The kernel, or undefined where WebAssembly SIMD or shared memory is unavailable (the
   * caller then uses its JavaScript kernel).
   * @param threads - 1 or 2 (a worker thread is used only in Node)
   */
  static create(threads = 2): WasmGemm | undefined {
    try {
      const module = new WebAssembly.Module(decodeBase64(KERNEL_WASM_BASE64) as BufferSource);
      const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
      const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
      return new WasmGemm(memory, module, inNode ? Math.min(threads, 2) : 1);
    } catch {
      return undefined;
    }
  }

  /** Whether a worker thread shares the work. */
  get threaded(): boolean {
    return this.control !== undefined;
  }

  /**
   * `C = op(A)·op(B)`. @param a - (m, k) row-major, or (k, m) with `transposeA`
   * @param b - (k, n), or (n, k) with `transposeB` @returns (m, n) row-major
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
  ): Float32Array {
    const panels = this.kernel.panels(n);
    const packedB = this.packRight(b, k, n, transposeB);
    const rawA = this.scratchStart();
    const packedA = rawA + a.length * 4;
    const c = packedA + (transposeA ? m * k * 4 : 0);
    this.ensure(c + m * n * 4);
    new Float32Array(this.memory.buffer).set(a, rawA / 4);
    if (transposeA) this.kernel.packA(rawA, packedA, m, k, 1);
    const aMatrix = transposeA ? packedA : rawA;
    if (this.control && panels > 1 && m * k * n >= THREAD_THRESHOLD) {
      const split = Math.ceil(panels / 2);
      this.control.set([aMatrix, packedB, c, m, k, n, split, panels], 2);
      this.generation += 1;
      Atomics.store(this.control, 0, this.generation);
      Atomics.notify(this.control, 0);
      this.kernel.gemmPanels(aMatrix, packedB, c, m, k, n, 0, split);
      let done = Atomics.load(this.control, 1);
      while (done !== this.generation) {
        Atomics.wait(this.control, 1, done);
        done = Atomics.load(this.control, 1);
      }
    } else {
      this.kernel.gemmPanels(aMatrix, packedB, c, m, k, n, 0, panels);
    }
    return new Float32Array(this.memory.buffer, c, m * n).slice();
  }

  /**
   * Bernoulli draws with probabilities σ(field + bias), continuing `random`'s stream (its
   * state is carried into the kernel and back). @param field - (rows, columns)
   * @param bias - (columns) or none @returns (rows, columns) of 0/1
   */
  sampleBernoulliLogits(
    field: Float32Array,
    bias: Float32Array | undefined,
    rows: number,
    columns: number,
    random: SeededRandom,
  ): Float32Array {
    const state = this.scratchStart();
    const biasAt = state + 16;
    const fieldAt = biasAt + columns * 4;
    const out = fieldAt + field.length * 4;
    this.ensure(out + field.length * 4);
    const buffer = this.memory.buffer;
    new Uint32Array(buffer, state, 4).set(random.exportState());
    if (bias) new Float32Array(buffer, biasAt, columns).set(bias);
    new Float32Array(buffer, fieldAt, field.length).set(field);
    this.kernel.sampleBernoulliLogits(fieldAt, bias ? biasAt : 0, out, rows, columns, state);
    const words = new Uint32Array(this.memory.buffer, state, 4);
    random.importState([words[0] as number, words[1] as number, words[2] as number, words[3] as number]);
    return new Float32Array(this.memory.buffer, out, field.length).slice();
  }

  /**
   * One ADAM step with SIMD (see `Backend.adamStep`); missing moments are zeros.
   * @returns the new parameter and moments, each the shape of `param`
   */
  adamStep(
    param: Float32Array,
    gradient: Float32Array,
    mean: Float32Array | undefined,
    meanSquare: Float32Array | undefined,
    settings: AdamSettings,
  ): { param: Float32Array; mean: Float32Array; meanSquare: Float32Array } {
    const count = param.length;
    const [paramAt, gradientAt, meanAt, squareAt] = [0, 1, 2, 3].map((k) => this.scratchStart() + k * count * 4) as [
      number,
      number,
      number,
      number,
    ];
    this.ensure(squareAt + count * 4);
    const view = (at: number) => new Float32Array(this.memory.buffer, at, count);
    view(paramAt).set(param);
    view(gradientAt).set(gradient);
    if (mean) view(meanAt).set(mean);
    else view(meanAt).fill(0);
    if (meanSquare) view(squareAt).set(meanSquare);
    else view(squareAt).fill(0);
    const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
    const [stepSize, squareCorrection] = [rate / (1 - b1 ** step), 1 / (1 - b2 ** step)];
    this.kernel.adamStep(
      paramAt,
      gradientAt,
      meanAt,
      squareAt,
      count,
      stepSize,
      b1,
      1 - b1,
      b2,
      1 - b2,
      squareCorrection,
      epsilon,
    );
    return { param: view(paramAt).slice(), mean: view(meanAt).slice(), meanSquare: view(squareAt).slice() };
  }

  /** Whether a product's operands fit the kernel's memory (else the caller multiplies in JavaScript). */
  fitsProduct(m: number, k: number, n: number): boolean {
    const packed = this.kernel.panels(n) * 8 * k * 4;
    const slots = Math.max(packed, this.packed[0].capacity) + Math.max(packed, this.packed[1].capacity);
    return RESERVED + slots + 4 * (k * n + 2 * m * k + m * n) <= MAX_PAGES * PAGE;
  }

  /** Whether `bytes` of scratch fit after the packed operands (else the caller works in JavaScript). */
  fitsScratch(bytes: number): boolean {
    return this.scratchStart() + bytes <= MAX_PAGES * PAGE;
  }

  /** Where the per-product scratch space starts: after both packed-operand slots. */
  private scratchStart(): number {
    const [plain, transposed] = this.packed;
    return Math.max(plain.offset + plain.capacity, transposed.offset + transposed.capacity);
  }

  /** The byte offset of op(B) packed in panels, packing it unless its slot already holds it. */
  private packRight(b: Float32Array, k: number, n: number, transposed: boolean): number {
    const slot = this.packed[transposed ? 1 : 0];
    if (slot.source === b && slot.k === k && slot.n === n) return slot.offset;
    const bytes = this.kernel.panels(n) * 8 * k * 4;
    if (bytes > slot.capacity) {
      // Lay both slots out again with room for this operand; both must be packed again.
      const other = this.packed[transposed ? 0 : 1];
      slot.capacity = bytes;
      const [first, second] = this.packed;
      first.offset = RESERVED;
      second.offset = RESERVED + first.capacity;
      other.source = undefined;
    }
    const raw = this.scratchStart();
    this.ensure(raw + b.length * 4);
    new Float32Array(this.memory.buffer).set(b, raw / 4);
    this.kernel.packB(raw, slot.offset, k, n, transposed ? 1 : 0);
    Object.assign(slot, { source: b, k, n });
    return slot.offset;
  }

  /** Grows the memory to hold `bytes`. */
  private ensure(bytes: number): void {
    const needed = Math.ceil(bytes / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (needed > MAX_PAGES) {
      throw new MemoryBudgetError(
        `cpu kernel: operands need ${bytes} bytes, more than its ${MAX_PAGES * PAGE} (callers check fitsProduct/fitsScratch first)`,
      );
    }
    if (needed > have) this.memory.grow(needed - have);
  }
}

/** Starts the helper thread; returns its control block, or undefined where workers are unavailable. */
function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory): Int32Array | undefined {
  const builtin = (process as { getBuiltinModule?: (name: string) => unknown }).getBuiltinModule?.(
    'node:worker_threads',
  ) as typeof import('node:worker_threads') | undefined;
  if (!builtin) return undefined;
  const control = new Int32Array(new SharedArrayBuffer(16 * 4));
  const worker = new builtin.Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module, memory, control: control.buffer },
  });
  worker.unref();
  return control;
}
