/** PyDeep's k-step reconstruction error against a direct computation on a tiny RBM. */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { ConfigError } from '../../errors/index.js';
import {
  type Assessment,
  KStepReconstructionError,
  metricsByName,
  ProgressMonitor,
  reconstructionError,
  SGD,
} from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';
import { expectAllClose, randomizeParams, values } from '../helpers/finite-differences.js';

const ROWS = [
  [1, 0, 1],
  [0, 0, 1],
  [1, 1, 0],
  [0, 1, 1],
];

/** A 3-2 Bernoulli RBM with random weights and biases, and its parameters on the host. */
async function tinyRBM() {
  const rbm = new BoltzmannMachine([new BernoulliLayer(3), new BernoulliLayer(2)]);
  randomizeParams(rbm.layer(0), 1);
  randomizeParams(rbm.layer(1), 1);
  randomizeParams(rbm.connections[0]?.weights as never, 1.5);
  const W = Array.from(await be.read(rbm.connections[0]?.weights.parameter as Tensor));
  const a = Array.from(await be.read(rbm.layer(0).param('loc')));
  const b = Array.from(await be.read(rbm.layer(1).param('loc')));
  return { rbm, W, a, b };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** p(h_j = 1 | v) and p(v_i = 1 | h) at inverse temperature β, on the host. */
function conditionals(W: number[], a: number[], b: number[], beta: number) {
  const up = (v: number[]) =>
    b.map((bj, j) => sigmoid(beta * (bj + v.reduce((s, vi, i) => s + vi * (W[i * 2 + j] as number), 0))));
  const down = (h: number[]) =>
    a.map((ai, i) => sigmoid(beta * (ai + h.reduce((s, hj, j) => s + hj * (W[i * 2 + j] as number), 0))));
  return { up, down };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describeOnBackends('k-step reconstruction error', () => {
  it('with probabilities: k mean-field sweeps, squared or absolute error, at any β', async () => {
    const { rbm, W, a, b } = await tinyRBM();
    const data = be.tensor(ROWS.flat(), [4, 3]);
    for (const [k, beta, absoluteError] of [
      [1, 1, false],
      [3, 1, false],
      [2, 0.5, true],
    ] as const) {
      const { up, down } = conditionals(W, a, b, beta);
      const expected = ROWS.map((v) => {
        let x = v;
        for (let step = 0; step < k; step++) x = down(up(x));
        return mean(v.map((vi, i) => (absoluteError ? Math.abs(vi - (x[i] as number)) : (vi - (x[i] as number)) ** 2)));
      });
      const actual = await values(reconstructionError(rbm, data, { k, beta, absoluteError }));
      expectAllClose(actual, expected, { absolute: 1e-6, relative: 1e-5 }, `k ${k}, β ${beta}`);
    }
    be.dispose(data);
    rbm.dispose();
  });

  it('with states: one Gibbs sweep draws h and then v, its mean squared error the exact expectation', async () => {
    const { rbm, W, a, b } = await tinyRBM();
    const { up, down } = conditionals(W, a, b, 1);
    const copies = 4000;
    const v = [1, 0, 1];
    // E[(v − v')²] per unit, summed over the four hidden states h ~ p(h | v) and v' ~ p(v' | h).
    const ph = up(v);
    let exact = 0;
    for (const h of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]) {
      const weight = h.reduce((p, hj, j) => p * (hj ? (ph[j] as number) : 1 - (ph[j] as number)), 1);
      const pv = down(h);
      exact += weight * mean(v.map((vi, i) => (vi ? 1 - (pv[i] as number) : (pv[i] as number))));
    }
    const data = be.tensor(Array.from({ length: copies }, () => v).flat(), [copies, 3]);
    const errors = await values(reconstructionError(rbm, data, { useStates: true }));
    for (const e of errors) expect([0, 1 / 3, 2 / 3, 1].some((x) => Math.abs(e - x) < 1e-6)).toBe(true);
    const standardError = Math.sqrt(mean(Array.from(errors, (e) => (e - exact) ** 2)) / copies);
    expect(Math.abs(mean(Array.from(errors)) - exact)).toBeLessThan(5 * standardError);
    be.dispose(data);
    rbm.dispose();
  });

  it('as a monitor metric: the mean of the per-row errors over the batches it sees; no tensor left behind', async () => {
    const { rbm } = await tinyRBM();
    const data = be.tensor(ROWS.flat(), [4, 3]);
    const dataState = rbm.stateFromVisible(data);
    const metric = new KStepReconstructionError({ k: 2, absoluteError: true });
    metric.reset();
    await metric.update({ model: rbm, dataState } as Assessment);
    const direct = await values(reconstructionError(rbm, data, { k: 2, absoluteError: true }));
    expect(metric.value()).toBeCloseTo(mean(Array.from(direct)), 6);
    const before = be.numTensors();
    for (const useStates of [false, true]) be.dispose(reconstructionError(rbm, data, { k: 3, useStates }));
    expect(be.numTensors()).toBe(before);
    expect(() => reconstructionError(rbm, data, { k: 0 })).toThrow(ConfigError);
    expect(() => reconstructionError(rbm, data, { k: 1.5 })).toThrow(
      'reconstructionError: k: expected a whole number of Gibbs sweeps ≥ 1, got 1.5',
    );
    expect(() => new KStepReconstructionError({ steps: 2 } as never)).toThrow(
      /KStepReconstructionError.steps: unknown key/,
    );
    be.dispose(dataState.units.filter((t) => t !== data));
    be.dispose(data);
    rbm.dispose();
  });
});

it('the monitor computes KStepReconstructionError by name, falling as training proceeds', async () => {
  const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);
  const data = new InMemoryBatch(barsAndStripes(4), { batchSize: 8, trainFraction: 0.75, seed: 2 });
  const monitor = new ProgressMonitor({ metrics: metricsByName(['KStepReconstructionError']) });
  const history = await new SGD(rbm, data).train(new GradientDescent({ stepsize: 0.5 }), 10, { monitor });
  const errors = history.records.map((r) => r.KStepReconstructionError as number);
  expect(errors.every(Number.isFinite)).toBe(true);
  expect(errors.at(-1)).toBeLessThan(errors[0] as number);
  rbm.dispose();
});
