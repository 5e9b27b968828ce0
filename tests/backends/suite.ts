/**
 * The shared backend suite: every backend runs exactly these checks, each op against the
 * same call on the float64 reference backend (the oracle) on random inputs (property tests),
 * plus broadcasting, edge cases, errors, seeded reproducibility and sampling statistics.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Shape, Tensor } from '../../backends/index.js';
import { Backend, Float64Backend, SeededRandom } from '../../backends/index.js';
import { sizeOf } from '../../backends/shapes.js';
import { ConfigError, ShapeError } from '../../errors/index.js';
import { meanOuter } from '../helpers/outer-products.js';

/** Expected values: float64, row-major, with a shape. */
interface RefArray {
  readonly values: Float64Array;
  readonly shape: readonly number[];
}

function ref(values: ArrayLike<number>, shape: readonly number[]): RefArray {
  return { values: Float64Array.from(values), shape };
}

/** The oracle every backend is compared against. */
const oracle = new Float64Backend(0);

/** What the oracle computes for the same call. @param op - the call, on whichever backend it is given */
function oracleResult(op: (b: Backend) => Tensor): RefArray {
  const t = op(oracle);
  const result = ref(oracle.readFloat64(t), oracle.shape(t));
  oracle.dispose(t);
  return result;
}

/** How hard to push a backend (software WebGPU is slow, so it runs fewer cases). */
export interface SuiteOptions {
  /** Property-test runs per property. */
  readonly runs: number;
  /** Relative tolerance for elementwise maths against the float64 reference. */
  readonly tolerance: number;
  /** Largest side of a random matmul operand. */
  readonly maxMatmulSide: number;
  /** Samples per statistical test. */
  readonly samples: number;
}

type Domain = readonly [number, number];

function randomValues(seed: number, count: number, [low, high]: Domain): Float64Array {
  const random = new SeededRandom(seed);
  // Round through float32 so the backend and the reference see the same inputs.
  return Float64Array.from({ length: count }, () => Math.fround(low + (high - low) * random.nextFloat()));
}

/** Shapes of rank 0–3 with sizes 0–4 (sizes 0 included: empty tensors are valid). */
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

/** Two shapes that broadcast: an output shape, each operand with leading axes dropped and some sizes set to 1. */
const broadcastPairArb = fc
  .tuple(
    fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([out, onesA, onesB, dropA, dropB]) => {
    const operand = (ones: boolean[], drop: number) =>
      out.slice(Math.min(drop, out.length)).map((d, i) => (ones[i] ? 1 : d));
    return [operand(onesA, dropA), operand(onesB, dropB)] as const;
  });

/** A call of one composite, given a way to run it: the backend's override or the composite itself. */
type KernelCall = (be: Backend, run: (...args: unknown[]) => unknown) => Tensor[];

/**
 * For each composite a backend may override for speed (a fast kernel), a call that exercises
 * it at training sizes; random ones are reseeded before each run, so both draw the same uniforms.
 */
const FAST_KERNEL_CALLS: Readonly<Record<string, KernelCall>> = {
  softplus: (be, run) => [run(be.tensor(randomValues(31, 6000, [-30, 30]), [60, 100])) as Tensor],
  sign: (be, run) => [run(be.tensor([-2, -0, 0, 3, -1e-30, 7e-30], [2, 3])) as Tensor],
  adamStep: (be, run) => {
    const values = (seed: number, range: Domain) => be.tensor(randomValues(seed, 5000, range), [50, 100]);
    const settings = { rate: 0.01, meanWeight: 0.9, meanSquareWeight: 0.999, epsilon: 1e-8, step: 4 };
    const fresh = run(values(32, [-1, 1]), values(33, [-1, 1]), undefined, undefined, settings);
    const continued = run(values(32, [-1, 1]), values(33, [-1, 1]), values(34, [-1, 1]), values(35, [0, 1]), settings);
    return [fresh, continued].flatMap((o) => Object.values(o as Record<string, Tensor>));
  },
  bernoulliLogits: (be, run) => {
    const logits = be.tensor(randomValues(36, 100 * 200, [-4, 4]), [100, 200]);
    be.setSeed(5);
    const unbiased = run(logits) as Tensor;
    be.setSeed(5);
    return [unbiased, run(logits, be.tensor(randomValues(37, 200, [-2, 2]), [200])) as Tensor];
  },
  stackedOuter: (be, run) => {
    const binary = (seed: number, count: number) => randomValues(seed, count, [0, 1]).map((v) => (v < 0.2 ? 1 : 0));
    const pair = (seed: number, rows: number) => [
      be.tensor(binary(seed, rows * 784), [rows, 784]),
      be.tensor(randomValues(seed + 1, rows * 16, [0, 1]), [rows, 16]),
    ];
    return [run([pair(38, 100), pair(40, 60)]) as Tensor];
  },
};

/** Members of {@link Backend} besides the composites that a backend may override: each is tested by its own checks. */
const NOT_KERNELS = new Set([
  'constructor',
  'memoryLimits',
  'checkMemory',
  'dtype',
  'stats',
  'setSeed',
  'randomState',
  'setRandomState',
]);

export function backendSuite(label: string, makeBackend: () => Promise<Backend>, options: SuiteOptions): void {
  describe(`backend suite: ${label}`, () => {
    let be: Backend;
    beforeAll(async () => {
      be = await makeBackend();
      be.setSeed(2024);
    });

    const make = (values: Float64Array | readonly number[], shape: Shape): Tensor => be.tensor(values, shape);

    /** Runs `op` on the backend under test and on the oracle, and compares. */
    const agrees = (op: (b: Backend) => Tensor, tolerance = options.tolerance) =>
      expectMatches(op(be), oracleResult(op), tolerance);

    async function expectMatches(actual: Tensor, expected: RefArray, tolerance = options.tolerance): Promise<void> {
      expect(be.shape(actual)).toEqual(expected.shape);
      const values = await be.read(actual);
      expect(values.length).toBe(expected.values.length);
      for (let i = 0; i < values.length; i++) {
        const want = expected.values[i] as number;
        const got = values[i] as number;
        if (!Number.isFinite(want)) {
          expect(got, `element ${i}`).toBe(want);
          continue;
        }
        const tol = tolerance * (1 + Math.abs(want));
        if (!(Math.abs(got - want) <= tol)) {
          throw new Error(`element ${i} of ${JSON.stringify(expected.shape)}: got ${got}, expected ${want} (±${tol})`);
        }
      }
    }

    const property = <T>(arb: fc.Arbitrary<T>, check: (value: T) => Promise<void>) =>
      fc.assert(fc.asyncProperty(arb, check), { numRuns: options.runs, seed: 42 });

    describe('creation and readback', () => {
      it('round-trips values and shapes, including scalars and empty tensors', async () => {
        for (const shape of [[], [0], [2, 0, 3], [1, 1], [2, 3]] as Shape[]) {
          const values = randomValues(1, sizeOf(shape), [-1, 1]);
          await expectMatches(make(values, shape), ref(values, shape), 0);
        }
        await expectMatches(be.fill([2, 2], 7), ref([7, 7, 7, 7], [2, 2]), 0);
        await expectMatches(be.zeros([3]), ref([0, 0, 0], [3]), 0);
        await expectMatches(be.ones([1, 2]), ref([1, 1], [1, 2]), 0);
        expect(await be.readScalar(be.tensor([4.5], []))).toBe(4.5);
        expect(['float32', 'float64']).toContain(be.dtype(be.zeros([2])));
        expect(be.size(be.zeros([2, 3, 4]))).toBe(24);
      });

      it('reads synchronously where the device allows, and says so where it does not', async () => {
        const t = make([1, 2, 3], [3]);
        if (be.canReadSync) expect(Array.from(be.readSync(t))).toEqual([1, 2, 3]);
        else expect(() => be.readSync(t)).toThrow(ConfigError);
      });

      it('returns copies: mutating what was read leaves the tensor alone', async () => {
        const t = make([1, 2], [2]);
        (await be.read(t)).fill(0);
        expect(Array.from(await be.read(t))).toEqual([1, 2]);
      });

      it('rejects values that do not fill the shape', () => {
        expect(() => be.tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
        expect(() => be.tensor([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \[2, 2\]/);
        expect(() => be.fill([2, -1], 0)).toThrow(ShapeError);
      });
    });

    describe('elementwise unary maths against the oracle', () => {
      const unary: [string, (b: Backend, t: Tensor) => Tensor, Domain][] = [
        ['neg', (b, t) => b.neg(t), [-3, 3]],
        ['abs', (b, t) => b.abs(t), [-3, 3]],
        ['exp', (b, t) => b.exp(t), [-5, 5]],
        ['log', (b, t) => b.log(t), [0.01, 5]],
        ['log1p', (b, t) => b.log1p(t), [-0.9, 5]],
        ['sqrt', (b, t) => b.sqrt(t), [0, 5]],
        ['square', (b, t) => b.square(t), [-3, 3]],
        ['sign', (b, t) => b.sign(t), [-3, 3]],
        ['sigmoid', (b, t) => b.sigmoid(t), [-8, 8]],
        ['softplus', (b, t) => b.softplus(t), [-8, 8]],
        ['logSigmoid', (b, t) => b.logSigmoid(t), [-8, 8]],
      ];
      for (const [name, op, domain] of unary) {
        it(`${name} on random shapes`, () =>
          property(fc.tuple(shapeArb, fc.integer()), async ([shape, seed]) => {
            const values = randomValues(seed, sizeOf(shape), domain);
            await agrees((b) => op(b, b.tensor(values, shape)));
          }));
      }
    });

    describe('elementwise binary maths with numpy broadcasting', () => {
      const binary: [string, (b: Backend, x: Tensor, y: Tensor) => Tensor, Domain, number?][] = [
        ['add', (b, x, y) => b.add(x, y), [-3, 3]],
        ['sub', (b, x, y) => b.sub(x, y), [-3, 3]],
        ['mul', (b, x, y) => b.mul(x, y), [-3, 3]],
        ['div', (b, x, y) => b.div(x, y), [0.25, 3]],
        ['maximum', (b, x, y) => b.maximum(x, y), [-3, 3]],
        ['minimum', (b, x, y) => b.minimum(x, y), [-3, 3]],
        ['logaddexp', (b, x, y) => b.logaddexp(x, y), [-6, 6]],
        // Small integers so that equal values actually occur; comparisons are exact.
        ['greater', (b, x, y) => b.greater(x, y), [0, 3], 0],
        ['less', (b, x, y) => b.less(x, y), [0, 3], 0],
        ['equal', (b, x, y) => b.equal(x, y), [0, 3], 0],
      ];
      for (const [name, op, domain, tolerance] of binary) {
        const integers = tolerance === 0;
        it(`${name} on broadcasting shapes`, () =>
          property(fc.tuple(broadcastPairArb, fc.integer()), async ([[shapeA, shapeB], seed]) => {
            const round = (v: Float64Array) => (integers ? v.map(Math.floor) : v);
            const a = round(randomValues(seed, sizeOf(shapeA), domain));
            const c = round(randomValues(seed + 1, sizeOf(shapeB), domain));
            await agrees((b) => op(b, b.tensor(a, shapeA), b.tensor(c, shapeB)), tolerance);
          }));
      }

      it('accepts numbers as scalars on either side', async () => {
        const t = make([1, 2, 3], [3]);
        await expectMatches(be.sub(10, t), ref([9, 8, 7], [3]), 0);
        await expectMatches(be.mul(t, 2), ref([2, 4, 6], [3]), 0);
        await expectMatches(be.div(1, t), ref([1, 1 / 2, 1 / 3], [3]));
      });

      it('broadcasts rows (n) and (1, n) and columns (m, 1) against (m, n)', async () => {
        const matrix = make([1, 2, 3, 4, 5, 6], [2, 3]);
        await expectMatches(be.add(matrix, make([10, 20, 30], [3])), ref([11, 22, 33, 14, 25, 36], [2, 3]), 0);
        await expectMatches(be.add(matrix, make([10, 20, 30], [1, 3])), ref([11, 22, 33, 14, 25, 36], [2, 3]), 0);
        await expectMatches(be.mul(matrix, make([1, -1], [2, 1])), ref([1, 2, 3, -4, -5, -6], [2, 3]), 0);
      });

      it('rejects shapes that do not broadcast, naming both', () => {
        expect(() => be.add(be.zeros([2, 3]), be.zeros([2]))).toThrow(ShapeError);
        expect(() => be.mul(be.zeros([2, 3]), be.zeros([3, 3]))).toThrow(
          /mul: shapes \[2, 3\] and \[3, 3\] do not broadcast/,
        );
      });
    });

    describe('reductions', () => {
      const reductionCase = fc.tuple(shapeArb, fc.integer(), fc.boolean(), fc.integer({ min: -1, max: 2 }));
      /** An axis of `shape` or undefined (all axes), from a generated number. */
      const pickAxis = (shape: readonly number[], n: number) =>
        n < 0 || shape.length === 0 ? undefined : n % shape.length;

      it('sum and mean over any axis, with and without keepDims', () =>
        property(reductionCase, async ([shape, seed, keepDims, axisChoice]) => {
          const axis = pickAxis(shape, axisChoice);
          const values = randomValues(seed, sizeOf(shape), [-3, 3]);
          await agrees((b) => b.sum(b.tensor(values, shape), axis, keepDims));
          const count = axis === undefined ? sizeOf(shape) : (shape[axis] as number);
          if (count > 0) await agrees((b) => b.mean(b.tensor(values, shape), axis, keepDims));
        }));

      it('max, min, logsumexp and variance over non-empty axes', () =>
        property(reductionCase, async ([rawShape, seed, keepDims, axisChoice]) => {
          const shape = rawShape.map((d) => Math.max(d, 1));
          const axis = pickAxis(shape, axisChoice);
          const values = randomValues(seed, sizeOf(shape), [-3, 3]);
          await agrees((b) => b.max(b.tensor(values, shape), axis, keepDims), 0);
          await agrees((b) => b.min(b.tensor(values, shape), axis, keepDims), 0);
          await agrees((b) => b.logsumexp(b.tensor(values, shape), axis, keepDims));
          await agrees((b) => b.variance(b.tensor(values, shape), axis, keepDims), options.tolerance * 10);
        }));

      it('argMax along an axis', () =>
        property(fc.tuple(shapeArb, fc.integer(), fc.nat()), async ([rawShape, seed, axisChoice]) => {
          const shape = rawShape.length === 0 ? [3] : rawShape.map((d) => Math.max(d, 1));
          const axis = axisChoice % shape.length;
          const values = randomValues(seed, sizeOf(shape), [-3, 3]);
          await agrees((b) => b.argMax(b.tensor(values, shape), axis), 0);
        }));

      it('sums over an empty axis give 0; max over one is an error', async () => {
        await expectMatches(be.sum(be.zeros([0, 3]), 0), ref([0, 0, 0], [3]), 0);
        expect(() => be.max(be.zeros([0, 3]), 0)).toThrow(ShapeError);
        expect(() => be.sum(be.zeros([2, 3]), 2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
      });

      it('softmax and logSoftmax along the last axis', () =>
        property(
          fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer()),
          async ([rows, columns, seed]) => {
            const values = randomValues(seed, rows * columns, [-6, 6]);
            await agrees((b) => b.logSoftmax(b.tensor(values, [rows, columns])));
            await agrees((b) => b.softmax(b.tensor(values, [rows, columns])));
          },
        ));
    });

    describe('matrix products', () => {
      const side = fc.integer({ min: 0, max: options.maxMatmulSide });
      it('all four transpose combinations on ragged sizes', () =>
        property(
          fc.tuple(side, side, side, fc.boolean(), fc.boolean(), fc.integer()),
          async ([m, k, n, ta, tb, seed]) => {
            const shapeA = ta ? [k, m] : [m, k];
            const shapeB = tb ? [n, k] : [k, n];
            const a = randomValues(seed, m * k, [-1, 1]);
            const b = randomValues(seed + 1, k * n, [-1, 1]);
            await agrees(
              (x) => x.matmul(x.tensor(a, shapeA), x.tensor(b, shapeB), { transposeA: ta, transposeB: tb }),
              options.tolerance * (1 + Math.sqrt(k)),
            );
          },
        ));

      it('sizes that straddle the blocking: 1, 3, 17, 33, 255, 300', async () => {
        for (const [m, k, n] of [
          [1, 1, 1],
          [3, 17, 33],
          [17, 255, 3],
          [33, 300, 17],
        ] as const) {
          const a = randomValues(m, m * k, [-1, 1]);
          const b = randomValues(n, k * n, [-1, 1]);
          await agrees(
            (x) => x.matmul(x.tensor(a, [m, k]), x.tensor(b, [k, n])),
            options.tolerance * (1 + Math.sqrt(k)),
          );
        }
      });

      it('stackedOuter is the product of the stacked batches, 0/1 factors of training size included', async () => {
        await property(
          fc.tuple(
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 0, max: 5 }),
            fc.integer(),
          ),
          async ([first, second, n, seed]) => {
            const [a1, a2] = [randomValues(seed, first * n, [-1, 1]), randomValues(seed + 1, second * n, [-1, 1])];
            const [b1, b2] = [randomValues(seed + 2, first * 3, [-1, 1]), randomValues(seed + 3, second * 3, [-1, 1])];
            await agrees((x) =>
              x.stackedOuter([
                [x.tensor(a1, [first, n]), x.tensor(b1, [first, 3])],
                [x.tensor(a2, [second, n]), x.tensor(b2, [second, 3])],
              ]),
            );
          },
        );
        const binary = (seed: number, count: number) => randomValues(seed, count, [0, 1]).map((v) => (v < 0.2 ? 1 : 0));
        const [data, chains] = [binary(11, 100 * 784), binary(12, 60 * 784)];
        const [upperData, upperChains] = [randomValues(13, 100 * 16, [-1, 1]), randomValues(14, 60 * 16, [-1, 1])];
        await agrees(
          (x) =>
            x.tidy(() =>
              x.stackedOuter([
                [x.tensor(data, [100, 784]), x.tensor(upperData, [100, 16])],
                [x.tensor(chains, [60, 784]), x.tensor(upperChains, [60, 16])],
              ]),
            ),
          options.tolerance * 14,
        );
      });

      it('rejects mismatched inner sizes, naming the shapes', () => {
        expect(() => be.matmul(be.zeros([2, 3]), be.zeros([4, 5]))).toThrow(ShapeError);
        expect(() => be.matmul(be.zeros([2, 3]), be.zeros([5, 4]), { transposeB: true })).toThrow(
          /matmul: inner sizes differ: \[2, 3\] · \[5, 4\]ᵀ \(3 vs 4\)/,
        );
        expect(() => be.matmul(be.zeros([2]), be.zeros([2, 2]))).toThrow(/expected two matrices/);
      });
    });

    describe('convolutions', () => {
      /** A random geometry whose kernel fits the padded image. */
      const geometryArb = fc
        .record({
          batch: fc.integer({ min: 1, max: 3 }),
          channels: fc.integer({ min: 1, max: 3 }),
          numFilters: fc.integer({ min: 1, max: 3 }),
          height: fc.integer({ min: 1, max: 7 }),
          width: fc.integer({ min: 1, max: 7 }),
          stride: fc.integer({ min: 1, max: 3 }),
          padding: fc.integer({ min: 0, max: 2 }),
          kernelFraction: fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.double({ min: 0, max: 1, noNaN: true }),
          ),
          binary: fc.boolean(),
          seed: fc.integer(),
        })
        .map((g) => {
          const kernel = (size: number, fraction: number) => 1 + Math.floor(fraction * (size + 2 * g.padding - 1));
          const [kh, kw] = [kernel(g.height, g.kernelFraction[0]), kernel(g.width, g.kernelFraction[1])];
          const out = (size: number, k: number) => Math.floor((size + 2 * g.padding - k) / g.stride) + 1;
          const imageShape = [g.batch, g.channels, g.height, g.width];
          const mapShape = [g.batch, g.numFilters, out(g.height, kh), out(g.width, kw)];
          const draw = (seed: number, shape: readonly number[]) => {
            const values = randomValues(seed, sizeOf(shape), [-1, 1]);
            // Binary operands take the cpu backend's sparse products.
            return g.binary ? values.map((v) => (v > 0.2 ? 1 : 0)) : values;
          };
          return {
            ...g,
            kernel: [kh, kw] as [number, number],
            imageShape,
            mapShape,
            filterShape: [g.numFilters, g.channels, kh, kw],
            images: draw(g.seed, imageShape),
            maps: draw(g.seed + 1, mapShape),
            filters: randomValues(g.seed + 2, g.numFilters * g.channels * kh * kw, [-1, 1]),
          };
        });

      it('conv2d, its transpose and its filter products against the definition, on random geometry', () =>
        property(geometryArb, async (g) => {
          const convolution = { stride: g.stride, padding: g.padding };
          const tolerance = options.tolerance * (1 + Math.sqrt(g.channels * g.kernel[0] * g.kernel[1] * g.batch));
          await agrees(
            (x) => x.conv2d(x.tensor(g.images, g.imageShape), x.tensor(g.filters, g.filterShape), convolution),
            tolerance,
          );
          await agrees(
            (x) =>
              x.conv2dTranspose(
                x.tensor(g.maps, g.mapShape),
                x.tensor(g.filters, g.filterShape),
                [g.height, g.width],
                convolution,
              ),
            tolerance,
          );
          await agrees(
            (x) =>
              x.conv2dFilterProducts(
                x.tensor(g.images, g.imageShape),
                x.tensor(g.maps, g.mapShape),
                g.kernel,
                convolution,
              ),
            tolerance,
          );
        }));

      it('the three are one bilinear form: ⟨conv2d(x, W), y⟩ = ⟨x, conv2dᵀ(y, W)⟩ = ⟨W, products(x, y)⟩', () =>
        property(geometryArb, async (g) => {
          const convolution = { stride: g.stride, padding: g.padding };
          const [x, y, w] = [make(g.images, g.imageShape), make(g.maps, g.mapShape), make(g.filters, g.filterShape)];
          const inner = async (a: Tensor, b: Tensor) => (await be.read(be.sum(be.mul(a, b))))[0] as number;
          const viaMaps = await inner(be.conv2d(x, w, convolution), y);
          const viaImages = await inner(x, be.conv2dTranspose(y, w, [g.height, g.width], convolution));
          const viaFilters = await inner(w, be.conv2dFilterProducts(x, y, g.kernel, convolution));
          const scale = 1e-4 * (1 + Math.abs(viaMaps)) * (1 + Math.sqrt(sizeOf(g.mapShape)));
          expect(Math.abs(viaImages - viaMaps)).toBeLessThanOrEqual(scale);
          expect(Math.abs(viaFilters - viaMaps)).toBeLessThanOrEqual(scale);
        }));

      it('a hand-worked case: a 2×2 box filter over 1…9, stride 1, and over the zero-padded image, stride 2', async () => {
        const image = make([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
        const box = make([1, 1, 1, 1], [1, 1, 2, 2]);
        expect(Array.from(await be.read(be.conv2d(image, box, { stride: 1, padding: 0 })))).toEqual([12, 16, 24, 28]);
        expect(Array.from(await be.read(be.conv2d(image, box, { stride: 2, padding: 1 })))).toEqual([1, 5, 11, 28]);
        expect(
          Array.from(
            await be.read(be.conv2dTranspose(make([1, 0, 0, 2], [1, 1, 2, 2]), box, [3, 3], { stride: 1, padding: 0 })),
          ),
        ).toEqual([1, 1, 0, 1, 3, 2, 0, 2, 2]);
      });

      it('refuses operands that do not fit, naming the shapes', () => {
        const convolution = { stride: 1, padding: 0 };
        expect(() => be.conv2d(be.zeros([1, 2, 4, 4]), be.zeros([3, 1, 2, 2]), convolution)).toThrow(
          /conv2d: images \[1, 2, 4, 4\] have 2 channels, filters \[3, 1, 2, 2\] 1/,
        );
        expect(() => be.conv2d(be.zeros([1, 1, 4, 4]), be.zeros([1, 1, 5, 2]), convolution)).toThrow(
          /a kernel of 5 does not fit 4 pixels with padding 0/,
        );
        expect(() => be.conv2d(be.zeros([16]), be.zeros([1, 1, 2, 2]), convolution)).toThrow(
          /expected images .* of rank 4/,
        );
        expect(() => be.conv2d(be.zeros([1, 1, 4, 4]), be.zeros([1, 1, 2, 2]), { stride: 0, padding: 0 })).toThrow(
          ShapeError,
        );
        expect(() => be.conv2dTranspose(be.zeros([1, 1, 2, 2]), be.zeros([1, 1, 2, 2]), [4, 4], convolution)).toThrow(
          /conv2dTranspose: expected maps of shape \[1, 1, 3, 3\], got \[1, 1, 2, 2\]/,
        );
        expect(() =>
          be.conv2dFilterProducts(be.zeros([1, 1, 4, 4]), be.zeros([2, 1, 3, 3]), [2, 2], convolution),
        ).toThrow(ShapeError);
      });
    });

    describe('optimizer steps', () => {
      it('adamStep matches the ADAM formulas, with and without previous moments', async () => {
        const [p, g, m, v] = [
          randomValues(1, 12, [-1, 1]),
          randomValues(2, 12, [-1, 1]),
          randomValues(3, 12, [-1, 1]),
          randomValues(4, 12, [0, 1]),
        ];
        const settings = { rate: 0.05, meanWeight: 0.9, meanSquareWeight: 0.99, epsilon: 1e-6, step: 3 };
        for (const withMoments of [true, false]) {
          const out = be.adamStep(
            make(p, [3, 4]),
            make(g, [3, 4]),
            withMoments ? make(m, [3, 4]) : undefined,
            withMoments ? make(v, [3, 4]) : undefined,
            settings,
          );
          const mean = g.map((gi, i) => (withMoments ? 0.9 * (m[i] as number) : 0) + 0.1 * gi);
          const square = g.map((gi, i) => (withMoments ? 0.99 * (v[i] as number) : 0) + 0.01 * gi * gi);
          const param = p.map(
            (pi, i) =>
              pi -
              (0.05 * ((mean[i] as number) / (1 - 0.9 ** 3))) /
                (Math.sqrt((square[i] as number) / (1 - 0.99 ** 3)) + 1e-6),
          );
          await expectMatches(out.mean, ref(mean, [3, 4]));
          await expectMatches(out.meanSquare, ref(square, [3, 4]));
          await expectMatches(out.param, ref(param, [3, 4]), options.tolerance * 10);
        }
      });
    });

    describe('fast kernels', () => {
      it('each composite the backend overrides agrees with the composite on the same backend', async () => {
        const overridden = Object.getOwnPropertyNames(Backend.prototype).filter((name) => {
          const composite = Object.getOwnPropertyDescriptor(Backend.prototype, name)?.value;
          return typeof composite === 'function' && !NOT_KERNELS.has(name) && Reflect.get(be, name) !== composite;
        });
        for (const name of overridden) {
          const call = FAST_KERNEL_CALLS[name];
          expect(call, `${name} is overridden: add a call to FAST_KERNEL_CALLS to test it`).toBeDefined();
          const method = (source: object) => Reflect.get(source, name) as (...args: unknown[]) => unknown;
          be.setSeed(3);
          const fast = (call as KernelCall)(be, (...args) => method(be).apply(be, args));
          be.setSeed(3);
          const composed = (call as KernelCall)(be, (...args) => method(Backend.prototype).apply(be, args));
          for (const [i, tensor] of fast.entries()) {
            const expected = await be.read(composed[i] as Tensor);
            const got = await be.read(tensor);
            const differing = got.filter(
              (v, j) => Math.abs(v - (expected[j] as number)) > 1e-5 * (1 + Math.abs(expected[j] as number)),
            ).length;
            // A fused draw may differ only where a uniform lands within rounding of σ(x).
            const allowed = name === 'bernoulliLogits' ? got.length / 1000 : 0;
            expect(differing, `${name}, result ${i}: values differing from the composite's`).toBeLessThanOrEqual(
              allowed,
            );
          }
        }
      });
    });

    describe('movement', () => {
      it('reshape keeps row-major order; wrong sizes are refused', async () => {
        const values = [1, 2, 3, 4, 5, 6];
        await expectMatches(be.reshape(make(values, [2, 3]), [3, 2]), ref(values, [3, 2]), 0);
        await expectMatches(be.reshape(make(values, [6]), [1, 6, 1]), ref(values, [1, 6, 1]), 0);
        expect(() => be.reshape(make(values, [6]), [4, 2])).toThrow(ShapeError);
      });

      it('slice, concat and gather against the oracle', () =>
        property(
          fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer()),
          async ([rows, columns, seed]) => {
            const values = randomValues(seed, rows * columns, [-3, 3]);
            const t = (b: Backend) => b.tensor(values, [rows, columns]);
            const [r0, c0] = [Math.floor(rows / 2), Math.floor(columns / 3)];
            await agrees((b) => b.slice(t(b), [r0, 0], [-1, columns]), 0);
            await agrees((b) => b.slice(t(b), [0, c0], [rows, -1]), 0);
            await agrees((b) => b.concat([t(b), t(b)], 0), 0);
            await agrees((b) => b.concat([t(b), b.slice(t(b), [0, c0], [rows, -1])], 1), 0);
            const indices = rows > 0 ? [rows - 1, 0, rows - 1] : [];
            await agrees((b) => b.gather(t(b), indices), 0);
          },
        ));

      it('concat along columns and slices in the middle', async () => {
        const a = make([1, 2, 3, 4], [2, 2]);
        const b = make([5, 6], [2, 1]);
        await expectMatches(be.concat([a, b], 1), ref([1, 2, 5, 3, 4, 6], [2, 3]), 0);
        await expectMatches(be.slice(be.concat([a, b], -1), [0, 1], [2, 1]), ref([2, 4], [2, 1]), 0);
      });

      it('refuses out-of-range slices, concat mismatches and gather indices', () => {
        const t = be.zeros([2, 3]);
        expect(() => be.slice(t, [1, 0], [2, 3])).toThrow(ShapeError);
        expect(() => be.concat([t, be.zeros([2, 2])], 0)).toThrow(/concat: tensor 1 has shape \[2, 2\]/);
        expect(() => be.gather(t, [0, 2])).toThrow(/gather: index 2 at position 1 is outside \[0, 2\)/);
      });
    });

    describe('numerical stability at extreme inputs', () => {
      it('sigmoid, softplus, logSigmoid stay finite and exact where the maths is', async () => {
        // Closed forms in float64, independent of any backend (the oracle included).
        const stable = {
          sigmoid: (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
          softplus: (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
        };
        const x = [-1000, -100, -20, 0, 1e-8, 20, 100, 1000];
        const t = make(x, [8]);
        await expectMatches(be.sigmoid(t), ref(x.map(stable.sigmoid), [8]));
        await expectMatches(be.softplus(t), ref(x.map(stable.softplus), [8]));
        await expectMatches(
          be.logSigmoid(t),
          ref(
            x.map((v) => -stable.softplus(-v)),
            [8],
          ),
        );
      });

      it('logaddexp, logsumexp and softmax do not overflow', async () => {
        await expectMatches(
          be.logaddexp(make([1000, -1000, 0], [3]), make([1000, -1000, 1000], [3])),
          ref([1000 + Math.LN2, -1000 + Math.LN2, 1000], [3]),
        );
        await expectMatches(
          be.logsumexp(make([1000, 1000, -1000, -1000], [2, 2]), 1),
          ref([1000 + Math.LN2, -1000 + Math.LN2], [2]),
        );
        await expectMatches(be.softmax(make([1000, 0, -1000, -1000], [2, 2])), ref([1, 0, 0.5, 0.5], [2, 2]));
      });

      it('works on 1×1 tensors', async () => {
        const one = make([2], [1, 1]);
        await expectMatches(be.matmul(one, one), ref([4], [1, 1]), 0);
        await expectMatches(be.logsumexp(one, 1), ref([2], [1]));
        await expectMatches(be.softmax(one), ref([1], [1, 1]), 0);
      });
    });

    describe('random numbers', () => {
      it('the same seed gives the same samples, another seed others', async () => {
        const draw = async (seed: number) => {
          be.setSeed(seed);
          return [
            await be.read(be.randomUniform([50])),
            await be.read(be.randomNormal([50])),
            await be.read(be.bernoulli(be.fill([50], 0.5))),
            await be.read(be.categorical(be.zeros([10, 5]))),
          ];
        };
        const first = await draw(7);
        expect(await draw(7)).toEqual(first);
        expect((await draw(8))[0]).not.toEqual(first[0]);
      });

      it('uniform samples lie in [0, 1) with mean 1/2 and variance 1/12', async () => {
        const n = options.samples;
        const u = await be.read(be.randomUniform([n]));
        expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...u)).toBeLessThan(1);
        const mean = u.reduce((a, b) => a + b, 0) / n;
        const variance = u.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
        expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
        expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
      });

      it('normal samples have mean 0, variance 1 and no fat tails', async () => {
        const n = options.samples;
        const z = await be.read(be.randomNormal([n]));
        const mean = z.reduce((a, b) => a + b, 0) / n;
        const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
        expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
        expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
        const beyond2 = z.filter((v) => Math.abs(v) > 2).length / n; // 4.55 % for a normal
        expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(5 * Math.sqrt((0.0455 * 0.9545) / n));
      });

      it('bernoulli column means match their probabilities', async () => {
        const probabilities = [0, 0.05, 0.3, 0.5, 0.9, 1];
        const rows = Math.floor(options.samples / probabilities.length);
        const p = be.add(be.zeros([rows, probabilities.length]), make(probabilities, [probabilities.length]));
        const samples = await be.read(be.sum(be.bernoulli(p), 0));
        probabilities.forEach((q, j) => {
          const mean = (samples[j] as number) / rows;
          expect(Math.abs(mean - q), `column ${j}`).toBeLessThanOrEqual(5 * Math.sqrt((q * (1 - q)) / rows) + 1e-12);
        });
        const values = new Set(await be.read(be.bernoulli(p)));
        expect([...values].every((v) => v === 0 || v === 1)).toBe(true);
      });

      it('bernoulliLogits draws exactly what bernoulli(sigmoid(x)) draws from the same seed', async () => {
        const logits = make(randomValues(6, 2000, [-4, 4]), [40, 50]);
        const bias = make(randomValues(7, 50, [-2, 2]), [50]);
        for (const withBias of [false, true]) {
          be.setSeed(21);
          const fused = await be.read(withBias ? be.bernoulliLogits(logits, bias) : be.bernoulliLogits(logits));
          const next = await be.read(be.randomUniform([3]));
          be.setSeed(21);
          const composed = await be.read(be.bernoulli(be.sigmoid(withBias ? be.add(logits, bias) : logits)));
          const differing = fused.filter((v, i) => v !== composed[i]).length;
          expect(differing).toBeLessThanOrEqual(2); // only where u lands within rounding of σ(x)
          expect(fused.reduce((a, v) => a + v, 0)).toBeGreaterThan(600);
          // The fused draw consumed exactly one uniform per element: the stream continues in step.
          be.setSeed(21);
          expect(next).toEqual((await be.read(be.randomUniform([2003]))).slice(2000));
        }
      });

      it('categorical samples are one-hot with softmax frequencies (chi-square)', async () => {
        const logits = [0, 1, 2, -1];
        const rows = options.samples;
        const t = be.add(be.zeros([rows, 4]), make(logits, [4]));
        const samples = be.categorical(t);
        const rowSums = await be.read(be.sum(samples, 1));
        expect(rowSums.every((s) => s === 1)).toBe(true);
        const counts = await be.read(be.sum(samples, 0));
        const weights = logits.map(Math.exp);
        const total = weights.reduce((a, b) => a + b, 0);
        const chiSquare = weights.reduce((acc, w, j) => {
          const expected = (rows * w) / total;
          return acc + ((counts[j] as number) - expected) ** 2 / expected;
        }, 0);
        expect(chiSquare).toBeLessThan(30.7); // 3 degrees of freedom, p = 1e-6
        const peaked = await be.read(be.categorical(make([0, 200, 0, -200, -200, 300], [2, 3])));
        expect(Array.from(peaked)).toEqual([0, 1, 0, 0, 0, 1]);
      });
    });

    describe('memory', () => {
      it('composites and random ops leave no tensor behind besides their result', async () => {
        const x = make(randomValues(3, 12, [-2, 2]), [3, 4]);
        const probabilities = be.sigmoid(x);
        const before = be.numTensors();
        const results = [
          be.softplus(x),
          be.logSigmoid(x),
          be.logaddexp(x, 1),
          be.logsumexp(x, 1),
          be.softmax(x),
          be.logSoftmax(x),
          be.mean(x, 0),
          be.variance(x),
          be.clip(x, -1, 1),
          be.stackedOuter([
            [x, x],
            [x, x],
          ]),
          be.bernoulli(probabilities),
          be.bernoulliLogits(x),
          be.categorical(x),
          be.gather(x, [0, 2]),
        ];
        expect(be.numTensors() - before).toBe(results.length);
        be.dispose(results);
      });

      it("the tensor count is flat across 1,000 tidy'd training-like steps", async () => {
        let weights = be.keep(be.mul(be.randomNormal([6, 4]), 0.1));
        const visible = be.bernoulli(be.fill([8, 6], 0.5));
        const [visibleBias, hiddenBias] = [be.zeros([6]), be.zeros([4])];
        const step = () =>
          be.tidy(() => {
            const hidden = be.bernoulli(be.sigmoid(be.add(be.matmul(visible, weights), hiddenBias)));
            const model = be.sigmoid(be.add(be.matmul(hidden, weights, { transposeB: true }), visibleBias));
            const gradient = be.sub(meanOuter(be, visible, hidden), meanOuter(be, model, hidden));
            return be.add(weights, be.mul(gradient, 0.01));
          });
        const replaceWeights = () => {
          const next = step();
          be.dispose(weights);
          weights = next;
        };
        replaceWeights();
        const baseline = be.numTensors();
        for (let i = 0; i < 1000; i++) replaceWeights();
        expect(be.numTensors()).toBe(baseline);
        expect((await be.read(weights)).every(Number.isFinite)).toBe(true);
      });

      it('tidy frees intermediates and keeps what it returns', async () => {
        const before = be.numTensors();
        const kept = be.tidy(() => {
          const a = be.randomUniform([4, 4]);
          return be.sigmoid(be.matmul(a, a));
        });
        expect(be.numTensors() - before).toBe(1);
        expect(be.shape(kept)).toEqual([4, 4]);
        be.dispose(kept);
        expect(be.numTensors()).toBe(before);
      });
    });
  });
}

/** Sizes that keep every backend's suite within seconds (software WebGPU runs a reduced set). */
export const FULL_SUITE: SuiteOptions = { runs: 40, tolerance: 2e-6, maxMatmulSide: 40, samples: 20000 };
