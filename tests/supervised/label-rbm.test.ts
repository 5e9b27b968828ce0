import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { type FitMethod, SGD } from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { type BoltzmannMachine, State } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { classProbabilities, discriminative, generativeLabels, hybrid, labelRBM } from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, values } from '../helpers/finite-differences.js';

const [VISIBLE, HIDDEN, CLASSES] = [4, 3, 3];

/** A label RBM with random parameters of a useful size (PyDeep's Gaussian-input variant with `gaussian`). */
function randomLabelRBM(input: 'bernoulli' | 'gaussian' = 'bernoulli'): BoltzmannMachine {
  const visible = input === 'gaussian' ? new GaussianLayer(VISIBLE) : new BernoulliLayer(VISIBLE);
  const model = labelRBM(visible, new BernoulliLayer(HIDDEN), CLASSES);
  for (const { owner, name } of model.namedParameters()) {
    owner.setParam(
      name,
      be.tidy(() => be.mul(be.randomNormal(owner.paramShape(name)), 0.8)),
    );
  }
  return model;
}

/** p(y | x) by summing exp(−E) over every hidden state, from the joint energy alone. */
async function enumeratedConditional(model: BoltzmannMachine, x: readonly number[]): Promise<number[]> {
  const hiddenStates = await values(model.layer(1).enumerateStates());
  const weights: number[] = [];
  for (let y = 0; y < CLASSES; y++) {
    const rows = hiddenStates.length / HIDDEN;
    const label = Array.from({ length: CLASSES }, (_, c) => (c === y ? 1 : 0));
    const state = new State([
      be.tensor(Array.from({ length: rows }, () => x).flat(), [rows, VISIBLE]),
      be.tensor(hiddenStates, [rows, HIDDEN]),
      be.tensor(Array.from({ length: rows }, () => label).flat(), [rows, CLASSES]),
    ]);
    const energies = await values(model.jointEnergy(state));
    state.dispose();
    weights.push(energies.reduce((sum, e) => sum + Math.exp(-e), 0));
  }
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

const inputs = [
  [1, 0, 1, 1],
  [0, 0, 1, 0],
  [1, 1, 0, 0],
];
const labels = [2, 0, 1];
const oneHot = (ys: readonly number[]) =>
  ys.flatMap((y) => Array.from({ length: CLASSES }, (_, c) => (c === y ? 1 : 0)));

/** The mean −ln p(y | x) over the fixed batch. */
async function conditionalLoss(model: BoltzmannMachine): Promise<number> {
  const probabilities = await values(classProbabilities(model, be.tensor(inputs.flat(), [3, VISIBLE])));
  return -labels.reduce((sum, y, b) => sum + Math.log(probabilities[b * CLASSES + y] as number), 0) / labels.length;
}

/** A fit method's gradient on the fixed batch, by saved key, with fresh samplers. */
async function methodGradient(model: BoltzmannMachine, method: FitMethod): Promise<Map<string, Float64Array>> {
  const visible = be.tensor(inputs.flat(), [3, VISIBLE]);
  const targets = be.tensor(oneHot(labels), [3, CLASSES]);
  const positive = new SequentialMC(model, { clamped: [0] });
  const negative = SequentialMC.fromModel(model, 3, { mcsteps: 2 });
  const gradient = method(visible, model, positive, negative, targets);
  const out = new Map<string, Float64Array>();
  for (const [i, layer] of gradient.layers.entries())
    for (const [name, g] of Object.entries(layer)) out.set(`layers.${i}.${name}`, await values(g as Tensor));
  for (const [i, w] of gradient.weights.entries()) if (w.matrix) out.set(`connections.${i}.W`, await values(w.matrix));
  be.dispose([visible, targets]);
  positive.dispose();
  negative.dispose();
  return out;
}

describeOnBackends('label RBM', () => {
  for (const input of ['bernoulli', 'gaussian'] as const) {
    it(`gives the exact p(y | x) of the joint energy with ${input} inputs, checked by enumerating the hidden units`, async () => {
      const model = randomLabelRBM(input);
      const probabilities = await values(classProbabilities(model, be.tensor(inputs.flat(), [3, VISIBLE])));
      for (const [b, x] of inputs.entries()) {
        expectAllClose(probabilities.subarray(b * CLASSES, (b + 1) * CLASSES), await enumeratedConditional(model, x), {
          absolute: 1e-5,
          relative: 1e-4,
        });
      }
      model.dispose();
    });
  }

  for (const input of ['bernoulli', 'gaussian'] as const) {
    it(`trains discriminatively on the exact gradient of −ln p(y | x) with ${input} inputs (finite differences)`, async () => {
      const model = randomLabelRBM(input);
      const gradient = await methodGradient(model, discriminative());
      for (const { key, owner, name } of model.namedParameters()) {
        const numeric = await finiteDifferences(owner, name, () => conditionalLoss(model), 1e-2);
        expectAllClose(gradient.get(key) as Float64Array, numeric, { absolute: 2e-3, relative: 2e-2 }, key);
      }
      model.dispose();
    });
  }

  it('hybrid(α) is the discriminative gradient plus α times the generative one on the same draws', async () => {
    const model = randomLabelRBM();
    const alpha = 0.3;
    const disc = await methodGradient(model, discriminative());
    be.setSeed(77);
    const gen = await methodGradient(model, generativeLabels({ chains: 'cd' }));
    be.setSeed(77);
    const both = await methodGradient(model, hybrid({ alpha, chains: 'cd' }));
    for (const [key, g] of both) {
      const expected = (disc.get(key) as Float64Array).map(
        (d, i) => d + alpha * ((gen.get(key) as Float64Array)[i] as number),
      );
      expectAllClose(g, expected, { absolute: 1e-5, relative: 1e-4 }, key);
    }
    model.dispose();
  });

  it('refuses a model that is not [inputs, hidden, labels] and targets of the wrong shape', async () => {
    const model = randomLabelRBM();
    const visible = be.tensor(inputs.flat(), [3, VISIBLE]);
    const positive = new SequentialMC(model, { clamped: [0] });
    const negative = SequentialMC.fromModel(model, 3);
    expect(() => discriminative()(visible, model, positive, negative, be.zeros([3, 2]))).toThrow(
      /expected targets \(3, 3\)/,
    );
    expect(() => discriminative()(visible, model, positive, negative)).toThrow(/expected targets/);
    const rbm = labelRBM(new BernoulliLayer(2), new BernoulliLayer(2), 2);
    expect(() => classProbabilities(rbm, be.zeros([1, 3]))).toThrow(/expected inputs \(batch, 2\)/);
    positive.dispose();
    negative.dispose();
    be.dispose(visible);
    model.dispose();
    rbm.dispose();
  });

  it("records the validation split's −ln p(y | x) and accuracy after each epoch, which stopping rules may watch", async () => {
    const model = randomLabelRBM();
    const rows = 40;
    const data = new InMemoryBatch(
      {
        rows,
        columns: VISIBLE,
        values: Float32Array.from({ length: rows * VISIBLE }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      },
      {
        batchSize: 10,
        trainFraction: 0.5,
        seed: 3,
        labels: Int32Array.from({ length: rows }, (_, i) => (i * 5) % CLASSES),
        numClasses: CLASSES,
      },
    );
    const history = await new SGD(model, data).train(new GradientDescent({ stepsize: 0.05 }), 3, {
      method: discriminative(),
      monitor: null,
      stopping: { metric: 'validationAccuracy', mode: 'max', patience: 5 },
    });
    // The last epoch's figures, against p(y | x) by enumeration of the trained model.
    const validation = data.hostMatrix('validate');
    const truth = data.hostLabels('validate');
    let [loss, correct] = [0, 0];
    for (let r = 0; r < validation.rows; r++) {
      const x = Array.from(validation.values.subarray(r * VISIBLE, (r + 1) * VISIBLE));
      const p = await enumeratedConditional(model, x);
      loss -= Math.log(p[truth[r] as number] as number);
      if (p.indexOf(Math.max(...p)) === truth[r]) correct += 1;
    }
    const last = history.last as Record<string, number>;
    expect(history.records).toHaveLength(3);
    expect(last.validationLoss).toBeCloseTo(loss / validation.rows, 4);
    expect(last.validationAccuracy).toBe(correct / validation.rows);
    await expect(
      new SGD(model, data).train(new GradientDescent({ stepsize: 0.05 }), 1, {
        monitor: null,
        stopping: { metric: 'validationAccuracy', mode: 'max' },
      }),
    ).rejects.toThrow("'validationAccuracy' is not computed (the monitor and the fit method compute nothing)");
    model.dispose();
  });
});
