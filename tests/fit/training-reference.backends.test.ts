/**
 * Training against a plain float64 trainer written from the formulas (tests/helpers/reference-rbm.ts),
 * on MNIST: at every minibatch the reference starts from Relief's own parameters, optimizer
 * moments, chains and random state, and must reach Relief's next chains (same uniforms; a draw
 * may differ only where its uniform lies within 1e-5 of its probability), parameters and
 * moments within float32 tolerance. Several hundred minibatches per case, on every backend.
 */
import { loadDataset } from '@relief/data';
import { beforeAll, expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { cd, type FitMethod, pcd } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { ADAM, GradientDescent, Momentum, type Optimizer } from '../../optimizers/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { describeOnBackends, EVERY_BACKEND } from '../helpers/backends.js';
import {
  continuedRandom,
  type Draws,
  gradient,
  hiddenDraws,
  type Matrix,
  optimizerStep,
  PARAMETER_KEYS,
  type ParameterKey,
  type RbmParameters,
  type ReferenceOptimizer,
  visibleDraws,
} from '../helpers/reference-rbm.js';

const STEPS = 200;
const BATCH = 20;
const PIXELS = 784;
/** Draws whose uniform lies this close to the probability may come out either way in float32. */
const AMBIGUOUS = 1e-5;

interface Case {
  readonly hidden: number;
  readonly method: 'cd' | 'pcd';
  readonly optimizer: ReferenceOptimizer;
}

const CASES: readonly Case[] = [
  { hidden: 16, method: 'pcd', optimizer: { kind: 'sgd', rate: 0.01 } },
  { hidden: 16, method: 'cd', optimizer: { kind: 'adam', rate: 0.005, b1: 0.9, b2: 0.999, epsilon: 1e-8 } },
  { hidden: 64, method: 'pcd', optimizer: { kind: 'adam', rate: 0.005, b1: 0.9, b2: 0.999, epsilon: 1e-8 } },
  { hidden: 64, method: 'cd', optimizer: { kind: 'momentum', rate: 0.01, momentum: 0.9 } },
];

function reliefOptimizer(spec: ReferenceOptimizer): Optimizer {
  if (spec.kind === 'sgd') return new GradientDescent({ stepsize: spec.rate });
  if (spec.kind === 'momentum') return new Momentum({ stepsize: spec.rate, momentum: spec.momentum });
  return new ADAM({ stepsize: spec.rate, meanWeight: spec.b1, meanSquareWeight: spec.b2, epsilon: spec.epsilon });
}

const host = async (t: Tensor) => Float64Array.from(await be.read(t));
const matrix = async (t: Tensor): Promise<Matrix> => {
  const [rows, columns] = be.shape(t) as [number, number];
  return { rows, columns, values: await host(t) };
};

/** Relief's state between two minibatches, on the host (read asynchronously: a GPU backend cannot read synchronously). */
async function reliefState(model: BoltzmannMachine, optimizer: Optimizer, chains: SequentialMC) {
  const parameters = Object.fromEntries(
    await Promise.all(
      model.namedParameters().map(async ({ key, owner, name }) => [key, await host(owner.param(name))]),
    ),
  ) as unknown as RbmParameters;
  const snapshot = optimizer.snapshot();
  const moments = new Map(
    await Promise.all(
      [...snapshot.moments].map(async ([key, ts]) => [key as ParameterKey, await Promise.all(ts.map(host))] as const),
    ),
  );
  return {
    parameters,
    moments,
    updates: snapshot.updates,
    chainVisible: chains.hasState ? await matrix(chains.state.getVisible()) : undefined,
    chainHidden: chains.hasState ? await matrix(chains.state.getLayer(1)) : undefined,
    random: be.randomState(),
  };
}

/** Counts the draws Relief made differently from the reference; fails on any that is not ambiguous. */
function differentDraws(reference: Draws, relief: Matrix, where: string): number {
  let different = 0;
  reference.probabilities.values.forEach((p, i) => {
    const expected = (reference.uniforms[i] as number) < p ? 1 : 0;
    if (relief.values[i] === expected) return;
    expect(Math.abs((reference.uniforms[i] as number) - p), `${where}: draw ${i} is not ambiguous`).toBeLessThan(
      AMBIGUOUS,
    );
    different += 1;
  });
  return different;
}

/** The largest |a − b| / (scale + |b|) over two arrays. */
function worst(a: Float64Array, b: Float64Array, scale: number): number {
  let out = 0;
  a.forEach((x, i) => {
    out = Math.max(out, Math.abs(x - (b[i] as number)) / (scale + Math.abs(b[i] as number)));
  });
  return out;
}

describeOnBackends(
  'training against a float64 reference written from the formulas',
  () => {
    let data: Float32Array;
    beforeAll(async () => {
      data = (await loadDataset('mnist', { split: 'train', binarize: true, limit: 100 * BATCH })).values;
    });

    for (const spec of CASES) {
      it(`784-${spec.hidden}, ${spec.method.toUpperCase()}-1, ${spec.optimizer.kind}: ${STEPS} minibatches agree step by step`, async () => {
        const model = new BoltzmannMachine([new BernoulliLayer(PIXELS), new BernoulliLayer(spec.hidden)]);
        await initializeModel(model, be.tensor(data, [data.length / PIXELS, PIXELS]), 'glorotNormal');
        const optimizer = reliefOptimizer(spec.optimizer);
        const method: FitMethod = spec.method === 'pcd' ? pcd() : cd();
        const positivePhase = new SequentialMC(model, { clamped: [0] });
        const negativePhase = SequentialMC.fromModel(model, BATCH);
        let draws = 0;
        let different = 0;
        const errors = { parameters: 0, moments: 0 };
        for (let step = 0; step < STEPS; step++) {
          const rows = (step % (data.length / PIXELS / BATCH)) * BATCH;
          const batch = data.subarray(rows * PIXELS, (rows + BATCH) * PIXELS);
          const before = await reliefState(model, optimizer, negativePhase);
          const visible = be.tensor(batch, [BATCH, PIXELS]);
          be.tidy(() => {
            optimizer.update(model, method(visible, model, positivePhase, negativePhase));
          });
          be.dispose(visible);
          const after = await reliefState(model, optimizer, negativePhase);
          const newHidden = after.chainHidden as Matrix;
          const newVisible = after.chainVisible as Matrix;

          const dataMatrix: Matrix = { rows: BATCH, columns: PIXELS, values: Float64Array.from(batch) };
          const random = continuedRandom(before.random);
          const start = spec.method === 'pcd' ? (before.chainVisible as Matrix) : dataMatrix;
          const hidden = hiddenDraws(before.parameters, start, random);
          different += differentDraws(hidden, newHidden, `step ${step} hidden`);
          // Where an ambiguous draw went the other way, the reference carries on from Relief's.
          const visibleOnes = visibleDraws(before.parameters, newHidden, random);
          different += differentDraws(visibleOnes, newVisible, `step ${step} visible`);
          draws += hidden.uniforms.length + visibleOnes.uniforms.length;

          const update = { ...before, optimizer: spec.optimizer };
          const expected = optimizerStep(update, gradient(before.parameters, dataMatrix, newVisible));
          for (const key of PARAMETER_KEYS) {
            errors.parameters = Math.max(
              errors.parameters,
              worst(after.parameters[key], expected.parameters[key], 1e-2),
            );
            (expected.moments.get(key) ?? []).forEach((moment, i) => {
              const relief = after.moments.get(key)?.[i] as Float64Array;
              errors.moments = Math.max(
                errors.moments,
                worst(relief, moment, 1e-3 * Math.max(...moment.map(Math.abs))),
              );
            });
          }
          expect(after.updates).toBe(before.updates + 1);
        }
        positivePhase.dispose();
        negativePhase.dispose();
        optimizer.reset();
        model.dispose();
        // float32 rounding of each step, relative (the scale keeps values near 0 from dividing by ~0):
        // measured ≤ 1.5e-7 for sgd and momentum. ADAM divides by √ŝ, which magnifies the rounding
        // of a gradient that nearly cancels (measured ≤ 2.3e-4, most on 784-64).
        expect(errors.parameters).toBeLessThan(spec.optimizer.kind === 'adam' ? 1e-3 : 1e-6);
        expect(errors.moments).toBeLessThan(1e-3);
        // Ambiguous draws: about 2 × 1e-5 of all draws lie within 1e-5 of their probability (none
        // has come out differently so far).
        expect(different).toBeLessThanOrEqual(Math.max(5, 4e-5 * draws));
      });
    }
  },
  EVERY_BACKEND,
);
