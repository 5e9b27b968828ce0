/** Optimizers and schedules against sequences computed by hand. */
import { describe, expect, it } from 'vitest';
import { be, use } from '../../backends/index.js';
import { ConfigError } from '../../errors/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, type Gradient } from '../../namespaces/models.js';
import {
  ADAM,
  AdaGrad,
  GradientDescent,
  Momentum,
  type Optimizer,
  optimizerFromConfig,
  RMSProp,
} from '../../optimizers/index.js';
import { Constant, ExponentialDecay, Linear, PowerLawDecay, Step, scheduleFromConfig } from '../../schedules/index.js';

describe('schedules', () => {
  it('give their documented values at t = 0, 1, 2, 3', () => {
    const at = (s: { valueAt(t: number): number }) => [0, 1, 2, 3].map((t) => s.valueAt(t));
    expect(at(new Constant({ initial: 0.5 }))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(at(new ExponentialDecay({ initial: 1, coefficient: 0.5 }))).toEqual([1, 0.5, 0.25, 0.125]);
    expect(at(new PowerLawDecay({ initial: 0.01, coefficient: 1 }))).toEqual([0.01, 0.005, 0.01 / 3, 0.0025]);
    expect(at(new Linear({ initial: 1, delta: -0.4 })).map((v) => Number(v.toFixed(10)))).toEqual([1, 0.6, 0.2, 0]);
    expect(at(new Step({ initial: 1, final: 0.1, steps: 2 }))).toEqual([1, 1, 0.1, 0.1]);
  });

  it('round-trip through configs and name bad fields', () => {
    for (const schedule of [
      new PowerLawDecay({ initial: 0.01, coefficient: 1 }),
      new Step({ initial: 2, final: 1, steps: 3 }),
    ]) {
      expect(scheduleFromConfig(schedule.toConfig(), 's').toConfig()).toEqual(schedule.toConfig());
    }
    expect(scheduleFromConfig(0.3, 's').valueAt(5)).toBe(0.3);
    expect(() => scheduleFromConfig({ type: 'powerLawDecay', initial: -1 }, 'train.optimizer.stepsize')).toThrow(
      'train.optimizer.stepsize.initial: expected a positive number, got -1',
    );
    expect(() => scheduleFromConfig({ type: 'cosine' }, 'x')).toThrow(ConfigError);
  });
});

/** A 1×1 RBM whose only trainable parameter is the weight, so updates are easy to follow. */
async function weightSequence(optimizer: Optimizer, gradients: number[]): Promise<number[]> {
  const model = new BoltzmannMachine([new BernoulliLayer(1), new BernoulliLayer(1)], { weights: 'zeros' });
  model.layer(0).setFixedParams(['loc']);
  model.layer(1).setFixedParams(['loc']);
  const out: number[] = [];
  for (const g of gradients) {
    const gradient: Gradient = { layers: [{}, {}], weights: [{ matrix: be.tensor([g], [1, 1]) }] };
    optimizer.update(model, gradient);
    out.push((await be.read(model.connections[0]?.weights.parameter as never))[0] as number);
  }
  return out;
}

describe('optimizers', () => {
  const g = [1, -2, 0.5];
  it('gradient descent: θ ← θ − η g', async () => {
    await use('cpu');
    expect(await weightSequence(new GradientDescent({ stepsize: 0.1 }), g)).toEqual([-0.1, 0.1, 0.05].map(Math.fround));
  });

  it('momentum: v ← μv + g, θ ← θ − ηv', async () => {
    // v = 1, −1.1, −0.49; θ = −0.1, 0.01, 0.059
    const expected = [-0.1, 0.01, 0.059];
    const actual = await weightSequence(new Momentum({ stepsize: 0.1, momentum: 0.9 }), g);
    for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i] as number, 6);
  });

  it('RMSProp: s ← ρs + (1−ρ)g², θ ← θ − ηg/√(s+ε)', async () => {
    let [s, theta] = [0, 0];
    const expected = g.map((x) => {
      s = 0.9 * s + 0.1 * x * x;
      theta -= (0.1 * x) / Math.sqrt(s + 1e-6);
      return theta;
    });
    const actual = await weightSequence(new RMSProp({ stepsize: 0.1 }), g);
    for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i] as number, 5);
  });

  it('ADAM with bias correction (first step moves by exactly η)', async () => {
    let [m, s, theta] = [0, 0, 0];
    const expected = g.map((x, k) => {
      m = 0.9 * m + 0.1 * x;
      s = 0.999 * s + 0.001 * x * x;
      const t = k + 1;
      theta -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(s / (1 - 0.999 ** t)) + 1e-8);
      return theta;
    });
    const actual = await weightSequence(new ADAM({ stepsize: 0.1 }), g);
    expect(actual[0]).toBeCloseTo(-0.1, 6);
    for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i] as number, 5);
  });

  it('AdaGrad: G ← G + g², θ ← θ − ηg/(√G + ε), step by step on float64', async () => {
    await use('float64');
    try {
      const gradients = [1, -2, 0.5, 0, 3];
      for (const epsilon of [1e-10, 0.5]) {
        let [sum, theta] = [0, 0];
        const expected = gradients.map((x) => {
          sum += x * x;
          theta -= (0.1 * x) / (Math.sqrt(sum) + epsilon);
          return theta;
        });
        const actual = await weightSequence(new AdaGrad({ stepsize: 0.1, epsilon }), gradients);
        // The backend computes in float64; reading back rounds to float32.
        for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i] as number, 7);
      }
      // ε outside the square root: with G = 1 and ε = 0.5 the first step is η/1.5, not η/√1.5.
      expect((await weightSequence(new AdaGrad({ stepsize: 0.3, epsilon: 0.5 }), [1]))[0]).toBeCloseTo(-0.2, 7);
    } finally {
      await use('cpu');
    }
  });

  it('take the step size from the schedule at the current epoch', async () => {
    const optimizer = new GradientDescent({ stepsize: new ExponentialDecay({ initial: 1, coefficient: 0.5 }) });
    optimizer.setEpoch(2);
    expect(optimizer.learningRate).toBe(0.25);
    expect(await weightSequence(optimizer, [1])).toEqual([-0.25]);
  });

  it('never move fixed parameters', async () => {
    const model = new BoltzmannMachine([new BernoulliLayer(2), new BernoulliLayer(2)]);
    model.layer(0).setFixedParams(['loc']);
    const before = Array.from(await be.read(model.layer(0).param('loc')));
    const gradient: Gradient = {
      layers: [{ loc: be.ones([2]) }, { loc: be.ones([2]) }],
      weights: [{ matrix: be.ones([2, 2]) }],
    };
    new GradientDescent({ stepsize: 1 }).update(model, gradient);
    expect(Array.from(await be.read(model.layer(0).param('loc')))).toEqual(before);
    expect(Array.from(await be.read(model.layer(1).param('loc')))).toEqual([-1, -1]);
  });

  it('are built from configs that name bad fields', () => {
    const adam = optimizerFromConfig(
      { type: 'adam', stepsize: { type: 'powerLawDecay', initial: 0.01, coefficient: 1 } },
      'train.optimizer',
    );
    expect(adam).toBeInstanceOf(ADAM);
    expect(adam.learningRate).toBe(0.01);
    const adagrad = optimizerFromConfig({ type: 'adagrad', stepsize: 0.05, epsilon: 1e-6 }, 'train.optimizer');
    expect(adagrad).toBeInstanceOf(AdaGrad);
    expect([adagrad.learningRate, (adagrad as AdaGrad).epsilon, adagrad.momentsPerParameter]).toEqual([0.05, 1e-6, 1]);
    expect(new AdaGrad().epsilon).toBe(1e-10);
    expect(() => new AdaGrad({ epsilon: 0 })).toThrow('AdaGrad.epsilon: expected a positive number, got 0');
    expect(() => optimizerFromConfig({ type: 'adamw' }, 'train.optimizer')).toThrow(
      `train.optimizer.type: expected one of 'sgd', 'momentum', 'rmsprop', 'adam', 'adagrad', got "adamw"`,
    );
    expect(() => optimizerFromConfig({ type: 'momentum', momentum: 'high' }, 'o')).toThrow(
      'o.momentum: expected a number, got "high"',
    );
  });
});
