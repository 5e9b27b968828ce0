/**
 * The cpu backend's WebAssembly SIMD kernel (AssemblyScript source in `assembly/gemm.ts`,
 * built by `npm run build:kernel`) on a shared `WebAssembly.Memory`: matrix products (dense,
 * or by row sums for a 0/1 factor), the fused Bernoulli draw, the ADAM step, sigmoid and column
 * sums. Calls stay synchronous: a big product is cut into chunks that this thread and a worker
 * thread claim one at a time, and this thread waits with `Atomics.wait` for chunks the worker
 * holds. Every element of C is computed by one thread in one fixed order, so results are
 * bit-identical whatever the number of threads.
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
  indexOnes(src: number, rows: number, columns: number, starts: number, indices: number): number;
  sumListedRows(
    starts: number,
    indices: number,
    b: number,
    c: number,
    m: number,
    n: number,
    first: number,
    last: number,
  ): void;
  transposeLists(
    starts: number,
    indices: number,
    rows: number,
    columns: number,
    count: number,
    columnStarts: number,
    columnIndices: number,
  ): void;
  transpose(src: number, dst: number, rows: number, columns: number): void;
  sigmoid(src: number, out: number, count: number): void;
  sumColumns(src: number, rows: number, columns: number, out: number): void;
}

/** Bytes reserved at the start of memory (the module's own statics live there). */
const RESERVED = 65536;
const PAGE = 65536;
const MAX_PAGES = 16384;
/**
 * Below this many multiply-adds the worker hand-off costs more than it saves: waking it takes
 * tens of µs, more when the garbage collector's threads hold the other core.
 */
const THREAD_THRESHOLD = 1 << 20;
/** The same for the adds of a product with a 0/1 factor (which read more memory per flop). */
const SPARSE_THREAD_THRESHOLD = 1 << 18;
/** A 0/1 factor with at most this fraction of ones is multiplied by summing the rows its ones pick. */
const SPARSE_DENSITY = 0.4;

/** The jobs the threads share, by their index in `control[JOB]`. */
const JOBS = ['gemmPanels', 'sumListedRows'] as const;
type Job = (typeof JOBS)[number];
/** A job is cut into this many chunks (at most), which the two threads claim one at a time. */
const CHUNKS_PER_JOB = 8;

// The control block (Int32Array over a SharedArrayBuffer): [GENERATION] wakes the worker; a job
// posts its arguments at [ARGS ..), their count, the job's index, its chunk bounds at
// [BOUNDS ..), and [CLAIM] = (generation << 8) | next chunk; [DONE] counts finished chunks.
const GENERATION = 0;
const ARGS = 2;
const ARGC = 11;
const JOB = 12;
const CHUNKS = 13;
const CLAIM = 14;
const DONE = 15;
const BOUNDS = 16;
const CONTROL_WORDS = BOUNDS + CHUNKS_PER_JOB + 1;

/**
 * Claims chunks of the posted job and runs them until none is left or a newer job replaced it
 * (`tag` is the job's generation << 8). The same code runs on both threads: whichever is
 * free takes the next chunk, so a worker that wakes late costs nothing. A chunk's result does
 * not depend on which thread computes it.
 */
const CLAIM_CHUNKS = `
for (;;) {
  const claim = Atomics.load(ctl, ${CLAIM});
  if ((claim & ~255) !== tag) return;
  const chunk = claim & 255;
  if (chunk >= ctl[${CHUNKS}]) return;
  const run = kernel[jobs[ctl[${JOB}]]];
  const args = Array.from(ctl.subarray(${ARGS}, ${ARGS} + ctl[${ARGC}]));
  const first = ctl[${BOUNDS} + chunk];
  const last = ctl[${BOUNDS} + chunk + 1];
  if (Atomics.compareExchange(ctl, ${CLAIM}, claim, claim + 1) !== claim) continue;
  run(...args, first, last);
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}`;

type ClaimChunks = (control: Int32Array, kernel: KernelExports, jobs: readonly string[], tag: number) => void;
const claimChunks = new Function('ctl', 'kernel', 'jobs', 'tag', CLAIM_CHUNKS) as ClaimChunks;

/** The worker: instantiates the same module on the same memory, then claims chunks of each job posted in `control`. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const kernel = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
const ctl = new Int32Array(control);
const claimChunks = new Function('ctl', 'kernel', 'jobs', 'tag', ${JSON.stringify(CLAIM_CHUNKS)});
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${GENERATION}, seen);
  seen = Atomics.load(ctl, ${GENERATION});
  if (seen < 0) break;
  claimChunks(ctl, kernel, ${JSON.stringify(JOBS)}, (seen & 0x7fffff) << 8);
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
   * `C = op(A)·op(B)`. A factor of only 0s and 1s (few enough ones) is multiplied by summing
   * the rows of the other that its ones pick, unless `sparse` is false; the result has the
   * same bits either way. @param a - (m, k) row-major, or (k, m) with `transposeA`
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
    sparse = true,
  ): Float32Array {
    if (sparse && looksBinary(a)) {
      const product = this.sparseMatmul(a, b, m, k, n, transposeA, transposeB);
      if (product) return product;
    }
    const panels = this.kernel.panels(n);
    const packedB = this.packRight(b, k, n, transposeB);
    const [rawA, packedA, c] = this.scratch([a.length, transposeA ? m * k : 0, m * n]);
    this.write(rawA, a);
    if (transposeA) this.kernel.packA(rawA, packedA, m, k, 1);
    const threaded = panels >= 4 && m * k * n >= THREAD_THRESHOLD;
    this.split('gemmPanels', [transposeA ? packedA : rawA, packedB, c, m, k, n], panels, threaded);
    return this.readOut(c, m * n);
  }

  /**
   * The product by row sums when A holds only 0s and 1s with at most {@link SPARSE_DENSITY}
   * ones, else undefined (and the dense kernel runs).
   */
  private sparseMatmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
  ): Float32Array | undefined {
    const [rows, columns] = transposeA ? [k, m] : [m, k];
    const [rawA, starts, indices, columnStarts, columnIndices, rawB, rowsB, c] = this.scratch([
      a.length,
      rows + 1,
      a.length,
      transposeA ? m + 1 : 0,
      transposeA ? a.length : 0,
      b.length,
      transposeB ? b.length : 0,
      m * n,
    ]);
    this.write(rawA, a);
    const ones = this.kernel.indexOnes(rawA, rows, columns, starts, indices);
    if (ones < 0 || ones > SPARSE_DENSITY * a.length) return undefined;
    // op(A)'s rows: A's own, or its columns' lists.
    if (transposeA) this.kernel.transposeLists(starts, indices, rows, columns, ones, columnStarts, columnIndices);
    this.write(rawB, b);
    if (transposeB) this.kernel.transpose(rawB, rowsB, n, k);
    const lists = transposeA ? [columnStarts, columnIndices] : [starts, indices];
    const threaded = n >= 32 && ones * n >= SPARSE_THREAD_THRESHOLD;
    // Column ranges split at a multiple of 16 floats (a cache line apart in each row of C).
    this.split('sumListedRows', [...lists, transposeB ? rowsB : rawB, c, m, n], n, threaded, 16);
    return this.readOut(c, m * n);
  }

  /**
   * Runs `job(...args, first, last)` over [0, total): with `threaded` and a worker, in chunks
   * (bounds at multiples of `grain`) that both threads claim; else on this thread in one call.
   */
  private split(job: Job, args: readonly number[], total: number, threaded: boolean, grain = 1): void {
    const units = Math.ceil(total / grain);
    const chunks = Math.min(CHUNKS_PER_JOB, units);
    if (!this.control || !threaded || chunks < 2) {
      (this.kernel[job] as (...values: number[]) => void)(...args, 0, total);
      return;
    }
    const control = this.control;
    const bounds = Array.from({ length: chunks + 1 }, (_, c) =>
      Math.min(total, grain * Math.floor((c * units) / chunks)),
    );
    control.set(args, ARGS);
    control.set(bounds, BOUNDS);
    control[ARGC] = args.length;
    control[JOB] = JOBS.indexOf(job);
    control[CHUNKS] = chunks;
    Atomics.store(control, DONE, 0);
    this.generation = (this.generation + 1) & 0x7fffff;
    const tag = this.generation << 8;
    Atomics.store(control, CLAIM, tag);
    Atomics.store(control, GENERATION, this.generation);
    Atomics.notify(control, GENERATION);
    claimChunks(control, this.kernel, JOBS, tag);
    let done = Atomics.load(control, DONE);
    while (done < chunks) {
      Atomics.wait(control, DONE, done);
      done = Atomics.load(control, DONE);
    }
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
    const [state, biasAt, fieldAt, out] = this.scratch([4, columns, field.length, field.length]);
    new Uint32Array(this.memory.buffer, state, 4).set(random.exportState());
    if (bias) this.write(biasAt, bias);
    this.write(fieldAt, field);
    this.kernel.sampleBernoulliLogits(fieldAt, bias ? biasAt : 0, out, rows, columns, state);
    const words = new Uint32Array(this.memory.buffer, state, 4);
    random.importState([words[0] as number, words[1] as number, words[2] as number, words[3] as number]);
    return this.readOut(out, field.length);
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
    const [paramAt, gradientAt, meanAt, squareAt] = this.scratch([count, count, count, count]);
    this.write(paramAt, param);
    this.write(gradientAt, gradient);
    this.write(meanAt, mean ?? new Float32Array(count));
    this.write(squareAt, meanSquare ?? new Float32Array(count));
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
    return {
      param: this.readOut(paramAt, count),
      mean: this.readOut(meanAt, count),
      meanSquare: this.readOut(squareAt, count),
    };
  }

  /** σ(x) elementwise in four lanes (see the kernel's `sigmoid`). @returns the shape of `values` */
  sigmoid(values: Float32Array): Float32Array {
    const [source, out] = this.scratch([values.length, values.length]);
    this.write(source, values);
    this.kernel.sigmoid(source, out, values.length);
    return this.readOut(out, values.length);
  }

  /** Column sums of a (rows, columns) matrix, accumulated in double precision. @returns (columns) */
  sumColumns(values: Float32Array, rows: number, columns: number): Float32Array {
    const [source, out] = this.scratch([values.length, columns]);
    this.write(source, values);
    this.kernel.sumColumns(source, rows, columns, out);
    return this.readOut(out, columns);
  }

  /** Whether a product's operands fit the kernel's memory (else the caller multiplies in JavaScript). */
  fitsProduct(m: number, k: number, n: number): boolean {
    const packed = this.kernel.panels(n) * 8 * k * 4;
    const slots = Math.max(packed, this.packed[0].capacity) + Math.max(packed, this.packed[1].capacity);
    // The larger scratch is the sparse path's: A, its lists of ones by row and by column, B twice, C.
    return RESERVED + slots + 4 * (2 * k * n + 3 * m * k + m * n + m + k + 2) + 8 * 64 <= MAX_PAGES * PAGE;
  }

  /** Whether `bytes` of scratch fit after the packed operands (else the caller works in JavaScript). */
  fitsScratch(bytes: number): boolean {
    // Each region starts at a multiple of 64 bytes: room for eight regions' padding.
    return this.scratchStart() + bytes + 8 * 64 <= MAX_PAGES * PAGE;
  }

  /**
   * Lays out regions of `counts[i]` floats in the scratch space, each at a multiple of 64
   * bytes (copies to and from shared memory at an address not a multiple of 8 are several
   * times slower), and grows the memory to hold them. @returns their byte offsets
   */
  private scratch<const Counts extends readonly number[]>(counts: Counts): { [Region in keyof Counts]: number } {
    let at = this.scratchStart();
    const offsets = counts.map((count) => {
      const offset = at;
      at = alignUp(at + count * 4);
      return offset;
    });
    this.ensure(at);
    return offsets as unknown as { [Region in keyof Counts]: number };
  }

  /** Copies `values` into memory at byte offset `at`. */
  private write(at: number, values: Float32Array): void {
    new Float32Array(this.memory.buffer, at, values.length).set(values);
  }

  /** A fresh copy of `count` floats at byte offset `at` (a new array and `set`: `slice` of shared memory is slower). */
  private readOut(at: number, count: number): Float32Array {
    const out = new Float32Array(count);
    out.set(new Float32Array(this.memory.buffer, at, count));
    return out;
  }

  /** Where the per-product scratch space starts: after both packed-operand slots. */
  private scratchStart(): number {
    const [plain, transposed] = this.packed;
    return alignUp(Math.max(plain.offset + plain.capacity, transposed.offset + transposed.capacity));
  }

  /** The byte offset of op(B) packed in panels, packing it unless its slot already holds it. */
  private packRight(b: Float32Array, k: number, n: number, transposed: boolean): number {
    const slot = this.packed[transposed ? 1 : 0];
    if (slot.source === b && slot.k === k && slot.n === n) return slot.offset;
    const bytes = this.kernel.panels(n) * 8 * k * 4;
    if (bytes > slot.capacity) {
      // Lay both slots out again with room for this operand; both must be packed again.
      const other = this.packed[transposed ? 0 : 1];
      slot.capacity = alignUp(bytes);
      const [first, second] = this.packed;
      first.offset = RESERVED;
      second.offset = RESERVED + first.capacity;
      other.source = undefined;
    }
    const [raw] = this.scratch([b.length]);
    this.write(raw, b);
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

/** `bytes` rounded up to a multiple of 64 (a cache line). */
function alignUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** Whether 64 values spread over `values` are all 0 or 1: a cheap screen before listing the ones. */
function looksBinary(values: Float32Array): boolean {
  const stride = Math.max(1, Math.floor(values.length / 64));
  for (let i = 0; i < values.length; i += stride) {
    const v = values[i];
    if (v !== 0 && v !== 1) return false;
  }
  return true;
}

/** Starts the helper thread; returns its control block, or undefined where workers are unavailable. */
function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory): Int32Array | undefined {
  const builtin = (process as { getBuiltinModule?: (name: string) => unknown }).getBuiltinModule?.(
    'node:worker_threads',
  ) as typeof import('node:worker_threads') | undefined;
  if (!builtin) return undefined;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const worker = new builtin.Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module, memory, control: control.buffer },
  });
  worker.unref();
  return control;
}
