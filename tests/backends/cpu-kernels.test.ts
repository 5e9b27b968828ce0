/**
 * The cpu backend's matrix kernels: WebAssembly SIMD on two threads, on one thread, and the
 * JavaScript fallback, each against the float64 reference backend on ragged sizes and every transpose;
 * the threaded and single-thread kernels agree bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, Float64Backend, SeededRandom } from '../../backends/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const SIDES = [1, 3, 17, 33, 255];

function randomMatrix(random: SeededRandom, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => 2 * random.nextFloat() - 1);
}

describe('cpu matrix kernels', () => {
  const oracle = new Float64Backend(0);
  const kernels = {
    'wasm ×2': new CpuBackend(1, { threads: 2 }),
    'wasm ×1': new CpuBackend(1, { threads: 1 }),
    js: new CpuBackend(1, { kernel: 'js' }),
  };

  it('run the kernel asked for', () => {
    expect(kernels['wasm ×2'].matmulKernel).toBe('wasm-simd ×2');
    expect(kernels['wasm ×1'].matmulKernel).toBe('wasm-simd ×1');
    expect(kernels.js.matmulKernel).toBe('js');
  });

  for (const [label, be] of Object.entries(kernels)) {
    it(`${label}: every transpose on ragged sizes ${SIDES.join(', ')} matches the float64 reference`, () => {
      const random = new SeededRandom(9);
      for (const m of SIDES) {
        for (const k of [1, 17, 255]) {
          for (const n of SIDES) {
            for (const [ta, tb] of [
              [false, false],
              [true, false],
              [false, true],
              [true, true],
            ] as const) {
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

  it('random draws do not depend on the number of threads', () => {
    const draw = (be: CpuBackend) => {
      be.setSeed(5);
      return be.readSync(be.bernoulli(be.sigmoid(be.matmul(be.randomNormal([50, 300]), be.randomNormal([300, 40])))));
    };
    expect(draw(kernels['wasm ×2'])).toEqual(draw(kernels['wasm ×1']));
  });
});

backendSuite(
  'cpu (ndarray, JavaScript matrix kernel)',
  async () => new CpuBackend(undefined, { kernel: 'js' }),
  FULL_SUITE,
);
