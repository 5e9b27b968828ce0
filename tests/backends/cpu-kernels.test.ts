/**
 * The cpu backend's matrix kernels: WebAssembly SIMD on two threads, on one thread, and the
 * JavaScript fallback, each against the float64 reference backend on ragged sizes and every transpose
 * (and the one-thread build on an ordinary memory, for pages without SharedArrayBuffer, against the shared one);
 * the threaded and single-thread kernels agree bit for bit, and so do the products of a 0/1
 * factor by row sums and the dense kernel. The kernel's sigmoid and softplus against closed
 * forms; its column sums and binary maths against the JavaScript loops.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, Float64Backend, SeededRandom } from '../../backends/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const SIDES = [1, 3, 17, 33, 255];
/** Every (transposeA, transposeB). */
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

function randomMatrix(random: SeededRandom, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => 2 * random.nextFloat() - 1);
}

/** 0/1 values, each 1 with probability `density`. */
function binaryMatrix(random: SeededRandom, count: number, density: number): Float32Array {
  return Float32Array.from({ length: count }, () => (random.nextFloat() < density ? 1 : 0));
}

/** Whether two arrays hold the same bits (NaN included, +0 and −0 told apart). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe('cpu matrix kernels', () => {
  const oracle = new Float64Backend(0);
  const kernels = {
    'wasm ×2': new CpuBackend(1, { threads: 2 }),
    'wasm ×1': new CpuBackend(1, { threads: 1 }),
    'wasm ×1, fixed memory': new CpuBackend(1, { sharedMemory: false }),
    js: new CpuBackend(1, { kernel: 'js' }),
  };

  it('run the kernel asked for', () => {
    expect(kernels['wasm ×2'].matmulKernel).toBe('wasm-simd ×2');
    expect(kernels['wasm ×1'].matmulKernel).toBe('wasm-simd ×1');
    expect(kernels['wasm ×1, fixed memory'].matmulKernel).toBe('wasm-simd ×1, fixed memory');
    expect(kernels.js.matmulKernel).toBe('js');
  });

  it("the one-thread build on a fixed memory (pages without SharedArrayBuffer) gives the shared build's bits", () => {
    const random = new SeededRandom(18);
    const [dense, binary] = [randomMatrix(random, 100 * 300), binaryMatrix(random, 100 * 300, 0.2)];
    const weights = randomMatrix(random, 300 * 64);
    const run = (be: CpuBackend) => {
      be.setSeed(9);
      const results = be.tidy(() => {
        const w = be.tensor(weights, [300, 64]);
        const field = be.matmul(be.tensor(dense, [100, 300]), w);
        const sparse = be.matmul(be.tensor(binary, [100, 300]), w);
        const draws = be.bernoulliLogits(field, be.tensor(weights.subarray(0, 64)));
        const step = be.adamStep(w, be.stackedOuter([[be.tensor(binary, [100, 300]), draws]]), undefined, undefined, {
          rate: 0.01,
          meanWeight: 0.9,
          meanSquareWeight: 0.999,
          epsilon: 1e-8,
          step: 1,
        });
        return [
          field,
          sparse,
          draws,
          be.softplus(field),
          be.sigmoid(sparse),
          be.mul(field, sparse),
          be.sum(field, 0),
          step.param,
        ];
      });
      return results.map((t) => be.readSync(t));
    };
    const [shared, fixed] = [run(kernels['wasm ×1']), run(kernels['wasm ×1, fixed memory'])];
    for (const [i, values] of shared.entries())
      expect(sameBits(values, fixed[i] as Float32Array), `result ${i}`).toBe(true);
  });

  for (const [label, be] of Object.entries(kernels)) {
    it(`${label}: every transpose on ragged sizes ${SIDES.join(', ')} matches the float64 reference`, () => {
      const random = new SeededRandom(9);
      for (const m of SIDES) {
        for (const k of [1, 17, 255]) {
          for (const n of SIDES) {
            for (const [ta, tb] of TRANSPOSES) {
              const [a, b] = [randomMatrix(random, m * k), randomMatrix(random, k * n)];
              const [shapeA, shapeB] = [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]];
              const product = be.readSync(
                be.matmul(be.tensor(a, shapeA), be.tensor(b, shapeB), { transposeA: ta, transposeB: tb }),
              );
              const expected = oracle.readFloat64(
                oracle.matmul(oracle.tensor(a, shapeA), oracle.tensor(b, shapeB), { transposeA: ta, transposeB: tb }),
              );
              const tolerance = 1e-5 * Math.sqrt(k) * 4;
              for (let i = 0; i < expected.length; i++) {
                if (!(Math.abs((product[i] as number) - (expected[i] as number)) <= tolerance)) {
                  throw new Error(`${m}×${k}×${n} ta=${ta} tb=${tb} [${i}]: ${product[i]} vs ${expected[i]}`);
                }
              }
            }
          }
        }
      }
    });
  }

  it('two threads and one give bit-identical products', () => {
    const random = new SeededRandom(4);
    for (const [m, k, n] of [
      [100, 784, 500],
      [64, 300, 77],
      [300, 50, 9],
    ] as const) {
      const [a, b] = [randomMatrix(random, m * k), randomMatrix(random, k * n)];
      const run = (be: CpuBackend) => be.readSync(be.matmul(be.tensor(a, [m, k]), be.tensor(b, [k, n])));
      expect(run(kernels['wasm ×2'])).toEqual(run(kernels['wasm ×1']));
    }
  });

  it("a 0/1 factor: row sums give the dense kernel's bits, on every transpose, density and thread count", () => {
    const random = new SeededRandom(12);
    const dense = new CpuBackend(1, { threads: 1, sparseProducts: false });
    const sparse = [kernels['wasm ×1'], kernels['wasm ×2']];
    // Sizes from ragged to the 784-200 training products (threaded); densities on both sides of the switch.
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 17, 5],
      [33, 255, 17],
      [100, 784, 200],
      [200, 100, 784],
    ] as const) {
      for (const density of [0, 0.13, 0.39, 0.5, 1]) {
        for (const [ta, tb] of TRANSPOSES) {
          const [a, b] = [binaryMatrix(random, m * k, density), randomMatrix(random, k * n)];
          const [shapeA, shapeB] = [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]];
          const run = (be: CpuBackend) =>
            be.readSync(be.matmul(be.tensor(a, shapeA), be.tensor(b, shapeB), { transposeA: ta, transposeB: tb }));
          const expected = run(dense);
          for (const be of sparse) {
            if (!sameBits(run(be), expected)) throw new Error(`${m}×${k}×${n} density ${density} ta=${ta} tb=${tb}`);
          }
        }
      }
    }
  });

  it('a factor that is 0/1 only in places multiplies densely (values other than 0 and 1 anywhere)', () => {
    const random = new SeededRandom(13);
    const b = randomMatrix(random, 300 * 40);
    for (const where of [0, 150 * 300 - 1, 299 * 300 + 7]) {
      const a = binaryMatrix(random, 300 * 300, 0.1);
      a[where] = 0.5;
      const product = (be: CpuBackend) => be.readSync(be.matmul(be.tensor(a, [300, 300]), be.tensor(b, [300, 40])));
      const expected = oracle.readFloat64(oracle.matmul(oracle.tensor(a, [300, 300]), oracle.tensor(b, [300, 40])));
      const got = product(kernels['wasm ×2']);
      expect(got.every((v, i) => Math.abs(v - (expected[i] as number)) < 1e-4)).toBe(true);
    }
  });

  it('sigmoid in four lanes matches the closed form to float32 rounding, extremes included', () => {
    const random = new SeededRandom(14);
    const x = Float32Array.from({ length: 10_003 }, (_, i) =>
      i < 12
        ? ([-1000, -104, -100, -88, -87.5, -87, -20, 0, 1e-8, 20, 100, 1000][i] as number)
        : 60 * random.nextFloat() - 30,
    );
    const got = kernels['wasm ×1'].readSync(kernels['wasm ×1'].sigmoid(kernels['wasm ×1'].tensor(x)));
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const want = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      const error = Math.abs((got[i] as number) - want);
      if (!(error <= 4e-7 * want + 1e-45)) throw new Error(`σ(${v}) = ${got[i]}, expected ${want}`);
    }
  });

  it('softplus in four lanes matches the closed form to float32 rounding, extremes included', () => {
    const random = new SeededRandom(16);
    const x = Float32Array.from({ length: 10_003 }, (_, i) =>
      i < 14
        ? ([-1000, -104, -100, -88, -87.5, -87, -20, -1e-8, 0, 1e-8, 0.3466, 20, 100, 1000][i] as number)
        : 60 * random.nextFloat() - 30,
    );
    const kernel = kernels['wasm ×1'];
    const got = kernel.readSync(kernel.softplus(kernel.tensor(x)));
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const want = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      const error = Math.abs((got[i] as number) - want);
      if (!(error <= 4e-7 * want + 1e-45)) throw new Error(`softplus(${v}) = ${got[i]}, expected ${want}`);
    }
  });

  it("column sums in the kernel give the JavaScript loop's bits", () => {
    const random = new SeededRandom(15);
    for (const [rows, columns] of [
      [100, 784],
      [64, 65],
      [4096, 3],
    ] as const) {
      const x = randomMatrix(random, rows * columns).map((v) => v * 1e3);
      const sum = (be: CpuBackend) => be.readSync(be.sum(be.tensor(x, [rows, columns]), 0));
      expect(sameBits(sum(kernels['wasm ×2']), sum(kernels.js))).toBe(true);
    }
  });

  it("binary maths in four lanes gives the JavaScript loops' bits in every flat case, specials included", () => {
    const random = new SeededRandom(17);
    const [rows, columns] = [67, 83];
    const specials = [Number.NaN, 0, -0, Infinity, -Infinity, 1e-45, 3.4e38, -1];
    const values = (count: number) =>
      Float32Array.from({ length: count }, (_, i) =>
        i % 13 === 0 ? (specials[(i / 13) % specials.length] as number) : 4 * random.nextFloat() - 2,
      );
    const matrix = values(rows * columns);
    const operands: Record<string, [Float32Array, number[], Float32Array, number[]]> = {
      same: [matrix, [rows, columns], values(rows * columns), [rows, columns]],
      scalarRight: [matrix, [rows, columns], Float32Array.of(0.75), []],
      scalarLeft: [Float32Array.of(-0.75), [], matrix, [rows, columns]],
      rowRight: [matrix, [rows, columns], values(columns), [columns]],
      columnRight: [matrix, [rows, columns], values(rows), [rows, 1]],
    };
    const operations = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'less', 'equal'] as const;
    for (const [flat, [x, xShape, y, yShape]] of Object.entries(operands)) {
      for (const operation of operations) {
        // Inside a tidy, so the operands lie in kernel memory as a training step's do.
        const run = (be: CpuBackend) =>
          be.readSync(be.tidy(() => be[operation](be.tensor(x, xShape), be.tensor(y, yShape))));
        if (!sameBits(run(kernels['wasm ×1']), run(kernels.js))) throw new Error(`${operation}, ${flat}: bits differ`);
      }
    }
  });

  it('random draws do not depend on the number of threads', () => {
    const draw = (be: CpuBackend) => {
      be.setSeed(5);
      return be.readSync(be.bernoulli(be.sigmoid(be.matmul(be.randomNormal([50, 300]), be.randomNormal([300, 40])))));
    };
    expect(draw(kernels['wasm ×2'])).toEqual(draw(kernels['wasm ×1']));
  });
});

backendSuite(
  'cpu (ndarray, one-thread WebAssembly kernel on a fixed memory)',
  async () => new CpuBackend(undefined, { sharedMemory: false }),
  FULL_SUITE,
);

backendSuite(
  'cpu (ndarray, JavaScript matrix kernel)',
  async () => new CpuBackend(undefined, { kernel: 'js' }),
  FULL_SUITE,
);
