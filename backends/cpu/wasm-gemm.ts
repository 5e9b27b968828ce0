/**
 * The cpu backend's WebAssembly SIMD kernel (AssemblyScript source in `assembly/gemm.ts`,
 * built by `npm run build:kernel`) on a shared `WebAssembly.Memory` — or, without
 * SharedArrayBuffer, its one-thread build on an ordinary memory of fixed size — which also
 * holds the cpu backend's tensors (`kernel-memory.ts`): matrix products (dense, or by row sums
 * for a 0/1 factor), the Bernoulli draw, the ADAM step, sigmoid, softplus, column sums and
 * binary maths. Calls stay synchronous: a big product (or a draw's probabilities) is cut into
 * chunks that this thread and a worker thread claim one at a time, and this thread waits with
 * `Atomics.wait` for chunks the worker holds. Every element of a result is computed by one
 * thread in one fixed order, so results are bit-identical whatever the number of threads.
 */
import type { SeededRandom } from '../random.js';
import type { ConvolutionDims } from '../shapes.js';
import type { AdamSettings } from '../types.js';
import type { BinaryOperation, FlatCase, FlatLayout } from './elementwise.js';
import { KERNEL_WASM_BASE64, KERNEL_WASM_UNSHARED_BASE64 } from './kernel-binary.js';
import { KernelMemory } from './kernel-memory.js';

interface KernelExports {
  adamStep(
    param: number,
    gradient: number,
    mean: number,
    square: number,
    paramOut: number,
    meanOut: number,
    squareOut: number,
    count: number,
    stepSize: number,
    b1: number,
    a1: number,
    b2: number,
    a2: number,
    squareCorrection: number,
    epsilon: number,
  ): void;
  fillUniforms(out: number, count: number, state: number): void;
  bernoulliProbabilities(field: number, bias: number, out: number, columns: number, first: number, last: number): void;
  drawBelow(uniforms: number, out: number, count: number): void;
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
  transposeBlocks(src: number, dst: number, outer: number, rows: number, columns: number): void;
  addPatchRows(
    src: number,
    dst: number,
    batch: number,
    channels: number,
    height: number,
    width: number,
    kernelHeight: number,
    kernelWidth: number,
    outHeight: number,
    outWidth: number,
    stride: number,
    padding: number,
  ): void;
  patchRows(
    src: number,
    dst: number,
    batch: number,
    channels: number,
    height: number,
    width: number,
    kernelHeight: number,
    kernelWidth: number,
    outHeight: number,
    outWidth: number,
    stride: number,
    padding: number,
  ): void;
  sigmoid(src: number, out: number, count: number): void;
  softplus(src: number, out: number, count: number): void;
  sumColumns(src: number, rows: number, columns: number, out: number): void;
  elementwise(
    op: number,
    a: number,
    aRow: number,
    aLane: number,
    b: number,
    bRow: number,
    bLane: number,
    out: number,
    rows: number,
    columns: number,
  ): void;
}

/** The kernel's code of each binary operation (`elementwise`'s `op`). */
const OPERATION_CODES: Readonly<Record<BinaryOperation, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  greater: 6,
  less: 7,
  equal: 8,
};

/**
 * How each flat case walks its operands, in floats: [left per row, left per column, right per
 * row, right per column] (a column step of 0 repeats one value along the row).
 */
const FLAT_STEPS: Readonly<Record<FlatCase, (columns: number) => readonly [number, number, number, number]>> = {
  same: () => [0, 1, 0, 1],
  scalarRight: () => [0, 1, 0, 0],
  scalarLeft: () => [0, 0, 0, 1],
  rowRight: (columns) => [columns, 1, 0, 1],
  columnRight: (columns) => [columns, 1, 1, 0],
};

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
/** Below this many draws the worker computes none of their probabilities. */
const DRAW_THREAD_THRESHOLD = 1 << 14;
/** A 0/1 factor with at most this fraction of ones is multiplied by summing the rows its ones pick. */
const SPARSE_DENSITY = 0.4;

/** The jobs the threads share, by their index in `control[JOB]`. */
const JOBS = ['gemmPanels', 'sumListedRows', 'bernoulliProbabilities'] as const;
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
  block: Float32Array | undefined;
}

/**
 * The ones of a 0/1 matrix listed by row (and, once asked for, by column), kept while the
 * matrix is among the last few multiplied: a minibatch or chain state is multiplied more than
 * once. `dense` marks a matrix that is not 0/1 or has too many ones.
 */
interface OnesLists {
  readonly rows: number;
  readonly columns: number;
  readonly dense: boolean;
  readonly count: number;
  readonly byRow: readonly [Float32Array, Float32Array] | undefined;
  byColumn: readonly [Float32Array, Float32Array] | undefined;
}

/** How many matrices' lists of ones are kept. */
const KEPT_LISTS = 4;

/** Thrown inside a kernel call whose blocks do not fit in memory; the call then answers undefined. */
const OUT_OF_MEMORY = Symbol('out of kernel memory');

/** The blocks of one kernel call: its inputs (read in place when resident), scratch and outputs. */
interface CallFrame {
  /** The byte offset of `values`: where it lies when it is in kernel memory, else a copy's. */
  input(values: Float32Array): number;
  /** A scratch block of `count` floats, freed when the call ends. @returns its byte offset */
  scratch(count: number): number;
  /** A new block of `count` floats that the call returns. */
  output(count: number): Float32Array;
}

/**
 * The WebAssembly matrix kernel, with an optional helper thread. Its memory holds the cpu
 * backend's tensors ({@link blocks}); each call reads those in place, copies in any other
 * array, and returns new blocks — or undefined when its blocks do not fit (the caller then
 * works in JavaScript).
 */
export class WasmGemm {
  /** The kernel memory's allocator, which the cpu backend makes its tensors with. */
  readonly blocks: KernelMemory;
  private readonly kernel: KernelExports;
  private readonly control: Int32Array | undefined;
  private generation = 0;
  /** Slot 0 holds a packed B given as (k, n), slot 1 one given transposed as (n, k). */
  private readonly packed: [PackedOperand, PackedOperand] = [
    { source: undefined, k: 0, n: 0, block: undefined },
    { source: undefined, k: 0, n: 0, block: undefined },
  ];
  private readonly lists = new Map<Float32Array, OnesLists>();

  private constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    threads: number,
    limit: number,
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
    this.blocks = new KernelMemory(memory, RESERVED, limit);
  }

  /**
   * The kernel, or undefined where WebAssembly SIMD is unavailable (the caller then uses its
   * JavaScript kernel). Without shared memory — a page that is not cross-origin isolated, or
   * `shared` false — it runs on one thread over an ordinary memory of fixed size (growing one
   * would detach every tensor's view), and tensors that do not fit stay in the JavaScript heap.
   * @param threads - 1 or 2 (a worker thread is used only in Node, on shared memory)
   */
  static create(threads = 2, shared = true): WasmGemm | undefined {
    if (shared && typeof SharedArrayBuffer !== 'undefined') {
      try {
        const module = new WebAssembly.Module(decodeBase64(KERNEL_WASM_BASE64) as BufferSource);
        const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
        const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
        return new WasmGemm(memory, module, inNode ? Math.min(threads, 2) : 1, MAX_PAGES * PAGE);
      } catch {
        // No shared memory after all (or no threads feature): the ordinary build below.
      }
    }
    try {
      const module = new WebAssembly.Module(decodeBase64(KERNEL_WASM_UNSHARED_BASE64) as BufferSource);
      const memory = fixedMemory();
      return new WasmGemm(memory, module, 1, memory.buffer.byteLength);
    } catch {
      return undefined;
    }
  }

  /** Whether a worker thread shares the work. */
  get threaded(): boolean {
    return this.control !== undefined;
  }

  /** Whether the memory is shared (else of fixed size: the one-thread build for pages without SharedArrayBuffer). */
  get sharedMemory(): boolean {
    return typeof SharedArrayBuffer !== 'undefined' && this.memory.buffer instanceof SharedArrayBuffer;
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
  ): Float32Array | undefined {
    return this.call((frame) => {
      if (sparse && looksBinary(a)) {
        const product = this.sparseMatmul(frame, a, b, m, k, n, transposeA, transposeB);
        if (product) return product;
      }
      const panels = this.kernel.panels(n);
      const packedB = this.packRight(frame, b, k, n, transposeB);
      let left = frame.input(a);
      if (transposeA) {
        const packedA = frame.scratch(m * k);
        this.kernel.packA(left, packedA, m, k, 1);
        left = packedA;
      }
      const c = frame.output(m * n);
      const threaded = panels >= 4 && m * k * n >= THREAD_THRESHOLD;
      this.split('gemmPanels', [left, packedB, c.byteOffset, m, k, n], panels, threaded);
      return c;
    });
  }

  /**
   * The product by row sums when A holds only 0s and 1s with at most {@link SPARSE_DENSITY}
   * ones, else undefined (and the dense kernel runs).
   */
  private sparseMatmul(
    frame: CallFrame,
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
  ): Float32Array | undefined {
    const ones = this.onesOf(frame, a, transposeA ? k : m, transposeA ? m : k);
    if (ones.dense) return undefined;
    // op(A)'s rows: A's own, or its columns' lists.
    const [starts, indices] = (transposeA ? this.columnLists(ones) : ones.byRow) as readonly [
      Float32Array,
      Float32Array,
    ];
    let right = frame.input(b);
    if (transposeB) {
      const rowsB = frame.scratch(b.length);
      this.kernel.transpose(right, rowsB, n, k);
      right = rowsB;
    }
    const c = frame.output(m * n);
    const threaded = n >= 32 && ones.count * n >= SPARSE_THREAD_THRESHOLD;
    // Column ranges split at a multiple of 16 floats (a cache line apart in each row of C).
    this.split('sumListedRows', [starts.byteOffset, indices.byteOffset, right, c.byteOffset, m, n], n, threaded, 16);
    return c;
  }

  /** The lists of the ones of the (rows, columns) matrix `a`, from the kept ones when `a` was listed lately. */
  private onesOf(frame: CallFrame, a: Float32Array, rows: number, columns: number): OnesLists {
    const kept = this.lists.get(a);
    if (kept && kept.rows === rows && kept.columns === columns) {
      this.lists.delete(a);
      this.lists.set(a, kept);
      return kept;
    }
    const starts = this.persistent(rows + 1);
    let indices: Float32Array;
    try {
      indices = this.persistent(a.length);
    } catch (error) {
      this.blocks.release(starts);
      throw error;
    }
    const count = this.kernel.indexOnes(frame.input(a), rows, columns, starts.byteOffset, indices.byteOffset);
    const dense = count < 0 || count > SPARSE_DENSITY * a.length;
    if (dense) for (const block of [starts, indices]) this.blocks.release(block);
    const lists: OnesLists = {
      rows,
      columns,
      dense,
      count,
      byRow: dense ? undefined : [starts, indices],
      byColumn: undefined,
    };
    this.keepLists(a, lists);
    return lists;
  }

  /** The lists by column of a listed 0/1 matrix (made once). */
  private columnLists(lists: OnesLists): readonly [Float32Array, Float32Array] {
    if (!lists.byColumn) {
      const [starts, indices] = lists.byRow as readonly [Float32Array, Float32Array];
      const byColumn = [this.persistent(lists.columns + 1), this.persistent(Math.max(1, lists.count))] as const;
      this.kernel.transposeLists(
        starts.byteOffset,
        indices.byteOffset,
        lists.rows,
        lists.columns,
        lists.count,
        byColumn[0].byteOffset,
        byColumn[1].byteOffset,
      );
      lists.byColumn = byColumn;
    }
    return lists.byColumn;
  }

  /** Keeps the lists of the last {@link KEPT_LISTS} matrices, freeing the oldest. */
  private keepLists(a: Float32Array, lists: OnesLists): void {
    this.lists.set(a, lists);
    for (const [old, oldest] of this.lists) {
      if (this.lists.size <= KEPT_LISTS) break;
      this.lists.delete(old);
      for (const block of [...(oldest.byRow ?? []), ...(oldest.byColumn ?? [])]) this.blocks.release(block);
    }
  }

  /**
   * Runs `job(...args, first, last)` over [0, total): with `threaded` and a worker, in chunks
   * (bounds at multiples of `grain`) that both threads claim; else on this thread in one call.
   * `beside`, independent work, runs on this thread before it claims chunks, while the worker
   * takes the first ones.
   */
  private split(job: Job, args: readonly number[], total: number, threaded: boolean, grain = 1, beside?: () => void) {
    const units = Math.ceil(total / grain);
    const chunks = Math.min(CHUNKS_PER_JOB, units);
    if (!this.control || !threaded || chunks < 2) {
      beside?.();
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
    beside?.();
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
  ): Float32Array | undefined {
    return this.call((frame) => {
      const count = field.length;
      const [state, uniforms, out] = [frame.scratch(4), frame.scratch(count), frame.output(count)];
      new Uint32Array(this.memory.buffer, state, 4).set(random.exportState());
      // The serial generator runs on this thread while the worker starts on the probabilities.
      this.split(
        'bernoulliProbabilities',
        [frame.input(field), bias ? frame.input(bias) : 0, out.byteOffset, columns],
        rows,
        count >= DRAW_THREAD_THRESHOLD,
        1,
        () => this.kernel.fillUniforms(uniforms, count, state),
      );
      this.kernel.drawBelow(uniforms, out.byteOffset, count);
      const words = new Uint32Array(this.memory.buffer, state, 4);
      random.importState([words[0] as number, words[1] as number, words[2] as number, words[3] as number]);
      return out;
    });
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
  ): { param: Float32Array; mean: Float32Array; meanSquare: Float32Array } | undefined {
    return this.call((frame) => {
      const count = param.length;
      const moment = (values: Float32Array | undefined) => {
        if (values) return frame.input(values);
        const zeros = frame.scratch(count);
        new Float32Array(this.memory.buffer, zeros, count).fill(0);
        return zeros;
      };
      const [paramAt, gradientAt, meanAt, squareAt] = [
        frame.input(param),
        frame.input(gradient),
        moment(mean),
        moment(meanSquare),
      ];
      const next = { param: frame.output(count), mean: frame.output(count), meanSquare: frame.output(count) };
      const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
      const [stepSize, squareCorrection] = [rate / (1 - b1 ** step), 1 / (1 - b2 ** step)];
      this.kernel.adamStep(
        paramAt,
        gradientAt,
        meanAt,
        squareAt,
        next.param.byteOffset,
        next.mean.byteOffset,
        next.meanSquare.byteOffset,
        count,
        stepSize,
        b1,
        1 - b1,
        b2,
        1 - b2,
        squareCorrection,
        epsilon,
      );
      return next;
    });
  }

  /**
   * im2col (as `patches.ts`'s patchRows): every output position's patch as one row, zero in the padding.
   * @param images - (batch, channels, height, width) @returns (batch·outHeight·outWidth, channels·kh·kw)
   */
  patchRows(images: Float32Array, d: ConvolutionDims): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(d.batch * d.outHeight * d.outWidth * d.channels * d.kernelHeight * d.kernelWidth);
      this.kernel.patchRows(frame.input(images), out.byteOffset, ...convolutionArguments(d));
      return out;
    });
  }

  /**
   * col2im (as `patches.ts`'s addPatchRows): each patch entry added onto the pixel it was read from.
   * @param rows - (batch·outHeight·outWidth, channels·kh·kw) @returns (batch, channels, height, width)
   */
  addPatchRows(rows: Float32Array, d: ConvolutionDims): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(d.batch * d.channels * d.height * d.width);
      this.kernel.addPatchRows(frame.input(rows), out.byteOffset, ...convolutionArguments(d));
      return out;
    });
  }

  /**
   * Swaps the two inner axes of each of `outer` blocks (as `patches.ts`'s swapInnerAxes).
   * @param source - (outer, rows, columns) row-major @returns (outer, columns, rows)
   */
  swapInnerAxes(source: Float32Array, outer: number, rows: number, columns: number): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(outer * rows * columns);
      this.kernel.transposeBlocks(frame.input(source), out.byteOffset, outer, rows, columns);
      return out;
    });
  }

  /** σ(x) elementwise in four lanes (see the kernel's `sigmoid`). @returns the shape of `values` */
  sigmoid(values: Float32Array): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(values.length);
      this.kernel.sigmoid(frame.input(values), out.byteOffset, values.length);
      return out;
    });
  }

  /** softplus(x) = max(x, 0) + ln(1 + e^−|x|) elementwise in four lanes (see the kernel's `softplus`). @returns the shape of `values` */
  softplus(values: Float32Array): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(values.length);
      this.kernel.softplus(frame.input(values), out.byteOffset, values.length);
      return out;
    });
  }

  /**
   * `x op y` elementwise in four lanes for a flat case of broadcasting (see the kernel's
   * `elementwise`; the same values as the JavaScript loops). @returns (rows, columns) of `layout`
   */
  elementwise(operation: BinaryOperation, x: Float32Array, y: Float32Array, layout: FlatLayout) {
    return this.call((frame) => {
      const { flat, rows, columns } = layout;
      const [aRow, aLane, bRow, bLane] = FLAT_STEPS[flat](columns);
      const out = frame.output(rows * columns);
      const [a, b] = [frame.input(x), frame.input(y)];
      this.kernel.elementwise(
        OPERATION_CODES[operation],
        a,
        aRow,
        aLane,
        b,
        bRow,
        bLane,
        out.byteOffset,
        rows,
        columns,
      );
      return out;
    });
  }

  /** Column sums of a (rows, columns) matrix, accumulated in double precision. @returns (columns) */
  sumColumns(values: Float32Array, rows: number, columns: number): Float32Array | undefined {
    return this.call((frame) => {
      const out = frame.output(columns);
      this.kernel.sumColumns(frame.input(values), rows, columns, out.byteOffset);
      return out;
    });
  }

  /**
   * Runs one kernel call with its blocks: scratch is freed when it ends; when a block does not
   * fit, its outputs are freed too and it answers undefined.
   */
  private call<T>(body: (frame: CallFrame) => T): T | undefined {
    const scratch: Float32Array[] = [];
    const outputs: Float32Array[] = [];
    const block = (count: number, into: Float32Array[]): Float32Array => {
      const view = this.blocks.allocate(count);
      if (!view) throw OUT_OF_MEMORY;
      into.push(view);
      return view;
    };
    const frame: CallFrame = {
      input: (values) => {
        const resident = this.blocks.offsetOf(values);
        if (resident !== undefined) return resident;
        const copy = block(values.length, scratch);
        copy.set(values);
        return copy.byteOffset;
      },
      scratch: (count) => block(count, scratch).byteOffset,
      output: (count) => block(count, outputs),
    };
    try {
      return body(frame);
    } catch (error) {
      if (error !== OUT_OF_MEMORY) throw error;
      for (const view of outputs) this.blocks.release(view);
      return undefined;
    } finally {
      for (const view of scratch) this.blocks.release(view);
    }
  }

  /** A block the kernel itself keeps (packed operands, lists of ones). */
  private persistent(count: number): Float32Array {
    const view = this.blocks.allocate(count);
    if (!view) throw OUT_OF_MEMORY;
    return view;
  }

  /** The byte offset of op(B) packed in panels, packing it unless its slot already holds it. */
  private packRight(frame: CallFrame, b: Float32Array, k: number, n: number, transposed: boolean): number {
    const slot = this.packed[transposed ? 1 : 0];
    const floats = this.kernel.panels(n) * 8 * k;
    if (slot.source === b && slot.k === k && slot.n === n && slot.block) return slot.block.byteOffset;
    if (!slot.block || slot.block.length < floats) {
      if (slot.block) this.blocks.release(slot.block);
      slot.block = undefined;
      slot.block = this.persistent(floats);
    }
    this.kernel.packB(frame.input(b), slot.block.byteOffset, k, n, transposed ? 1 : 0);
    Object.assign(slot, { source: b, k, n });
    return slot.block.byteOffset;
  }
}

/** A convolution's sizes in the order the kernel's patchRows and addPatchRows take them. */
function convolutionArguments(d: ConvolutionDims) {
  return [
    d.batch,
    d.channels,
    d.height,
    d.width,
    d.kernelHeight,
    d.kernelWidth,
    d.outHeight,
    d.outWidth,
    d.stride,
    d.padding,
  ] as const;
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

/** Pages tried, largest first, for the fixed memory of the one-thread build (256, 64 and 16 MiB). */
const FIXED_PAGES = [4096, 1024, 256];

/** An ordinary memory of the largest size in {@link FIXED_PAGES} the platform grants. */
function fixedMemory(): WebAssembly.Memory {
  for (const pages of FIXED_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch {
      // Too big here: try the next size.
    }
  }
  throw new Error('no WebAssembly memory for the kernel');
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
