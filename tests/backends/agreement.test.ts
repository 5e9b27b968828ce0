/**
 * Backends agree with each other: the cpu backend and tfjs (cpu device) fed the same random
 * inputs give the same results within float32 tolerance, and with the same seed they draw
 * the same random numbers, so whole sampling steps match.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, CpuBackend, SeededRandom, TfjsBackend } from '../../backends/index.js';
import { meanOuter } from '../helpers/outer-products.js';

function values(seed: number, count: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: count }, () => 4 * random.nextFloat() - 2);
}

function expectClose(a: Float32Array, b: Float32Array, tolerance: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs((a[i] as number) - (b[i] as number)), `element ${i}`).toBeLessThanOrEqual(
      tolerance * (1 + Math.abs(b[i] as number)),
    );
  }
}

describe('cpu and tfjs backends agree', () => {
  let cpu: Backend;
  let tfjs: Backend;
  beforeAll(async () => {
    cpu = new CpuBackend(1);
    tfjs = await TfjsBackend.create('cpu', { seed: 1 });
  });

  it('on a sampling step with random sizes and inputs', () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer(),
        (batch, numVisible, numHidden, seed) => {
          const run = (be: Backend) =>
            be.tidy(() => {
              const visible = be.tensor(values(seed, batch * numVisible), [batch, numVisible]);
              const weights = be.tensor(values(seed + 1, numVisible * numHidden), [numVisible, numHidden]);
              const bias = be.tensor(values(seed + 2, numHidden), [numHidden]);
              const field = be.add(be.matmul(visible, weights), bias);
              return {
                mean: be.sigmoid(field),
                freeEnergy: be.sum(be.softplus(field), 1),
                logPartition: be.logsumexp(field, 1),
                correlation: meanOuter(be, visible, be.sigmoid(field)),
                reconstruction: be.matmul(be.sigmoid(field), weights, { transposeB: true }),
              };
            });
          const [a, b] = [run(cpu), run(tfjs)];
          for (const key of Object.keys(a) as (keyof typeof a)[]) {
            expect(cpu.shape(a[key]), key).toEqual(tfjs.shape(b[key]));
            expectClose(cpu.readSync(a[key]), tfjs.readSync(b[key]), 1e-5);
          }
          tfjs.dispose(Object.values(b));
        },
      ),
      { numRuns: 50, seed: 7 },
    ));

  it('draw identical random numbers for the same seed', () => {
    for (const be of [cpu, tfjs]) be.setSeed(99);
    const draws = [cpu, tfjs].map((be) => [
      be.readSync(be.randomUniform([257])),
      be.readSync(be.randomNormal([257])),
      be.readSync(be.bernoulli(be.fill([64, 8], 0.3))),
      be.readSync(be.categorical(be.tensor(values(5, 40 * 5), [40, 5]))),
    ]);
    expect(draws[1]).toEqual(draws[0]);
  });
});
