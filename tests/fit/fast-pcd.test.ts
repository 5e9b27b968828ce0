/**
 * Fast PCD (Tieleman & Hinton 2009) on a tiny RBM: with a zero fast rate it is PCD draw for
 * draw; with fast weights the negative chains run on θ + φ, φ ← decay · φ − fastRate · g after
 * each minibatch, θ comes back unchanged, and the fast weights are persistent tensors.
 */
import { expect, it } from 'vitest';
import { be, setSeed, type Tensor } from '../../backends/index.js';
import { createMethod, type FitMethod, fastPcd, pcd } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import type { BoltzmannMachine, Gradient } from '../../models/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, randomizedModel } from '../helpers/finite-differences.js';
import { disposeGradient } from '../helpers/mean-field-gradients.js';

/** Every parameter's tensor of a gradient, in `namedParameters()` order. */
function byParameter(model: BoltzmannMachine, gradient: Gradient): Tensor[] {
  return model.namedParameters().map(({ key, name }) => {
    const [kind, index] = key.split('.') as [string, string];
    return (kind === 'layers' ? gradient.layers : gradient.weights)[Number(index)]?.[name] as Tensor;
  });
}

/** The entries of `tensors`, in order, on the host (the tensors stay alive). */
async function flat(tensors: readonly Tensor[]): Promise<number[]> {
  const parts: number[] = [];
  for (const t of tensors) parts.push(...(await be.read(t)));
  return parts;
}

describeOnBackends('fast PCD', () => {
  const visible = () => be.tensor([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0], [3, 4]);

  /** Two minibatch gradients of `method` on one model from seed 11, flattened, and the model's parameters after. */
  async function twoSteps(model: BoltzmannMachine, method: FitMethod) {
    setSeed(11);
    const data = visible();
    const positive = new SequentialMC(model, { clamped: [0] });
    const negative = SequentialMC.fromModel(model, 5, { mcsteps: 2 });
    const gradients: number[][] = [];
    for (let step = 0; step < 2; step++) {
      const gradient = method(data, model, positive, negative);
      gradients.push(await flat(byParameter(model, gradient)));
      disposeGradient(gradient);
    }
    positive.dispose();
    negative.dispose();
    be.dispose(data);
    return gradients;
  }

  it('with a fast rate of 0 gives exactly PCD’s gradients from the same seed', async () => {
    setSeed(2);
    const model = randomizedModel([new BernoulliLayer(4), new BernoulliLayer(3)], 0.8);
    const fast = fastPcd({ fastRate: 0 });
    expect(await twoSteps(model, fast)).toEqual(await twoSteps(model, pcd()));
    fast.persistent?.release();
    model.dispose();
  });

  it('updates φ ← decay·φ − fastRate·g, runs the chains on θ + φ and puts θ back', async () => {
    setSeed(3);
    const model = randomizedModel([new BernoulliLayer(4), new BernoulliLayer(3)], 0.8);
    const theta = await flat(model.namedParameters().map(({ owner, name }) => owner.param(name)));
    const [fastRate, decay] = [0.5, 0.9];
    const method = createMethod('fast-pcd', { fastRate, decay });
    const data = visible();
    const positive = new SequentialMC(model, { clamped: [0] });
    const negative = SequentialMC.fromModel(model, 5, { mcsteps: 1 });
    // What the chains see: the parameters while they sweep.
    const seen: number[][] = [];
    const sweep = negative.updateState.bind(negative);
    const parameters = () => model.namedParameters().map(({ owner, name }) => be.clone(owner.param(name)));
    const captured: Tensor[][] = [];
    negative.updateState = (steps?: number) => {
      captured.push(parameters());
      sweep(steps);
    };
    const step = async () => {
      const gradient = method(data, model, positive, negative);
      const entries = await flat(byParameter(model, gradient));
      disposeGradient(gradient);
      return entries;
    };
    const g1 = await step();
    const phi1 = await flat(method.persistent?.current() ?? []);
    expectAllClose(
      phi1,
      g1.map((g) => -fastRate * g),
      { absolute: 1e-7, relative: 1e-5 },
      'φ after one step',
    );
    const g2 = await step();
    const phi2 = await flat(method.persistent?.current() ?? []);
    expectAllClose(
      phi2,
      phi1.map((phi, k) => decay * phi - fastRate * (g2[k] as number)),
      { absolute: 1e-7, relative: 1e-5 },
      'φ after two steps',
    );
    for (const tensors of captured) seen.push(await flat(tensors));
    expect(seen[0]).toEqual(theta);
    expectAllClose(
      seen[1] as number[],
      theta.map((t, k) => t + (phi1[k] as number)),
      { absolute: 1e-6, relative: 1e-6 },
      'θ + φ',
    );
    expect(await flat(model.namedParameters().map(({ owner, name }) => owner.param(name)))).toEqual(theta);
    expect(method.persistent?.shapes(model, 5)).toEqual([[4], [3], [4, 3]]);
    // Restored fast weights (a checkpoint's) are the ones the next step decays.
    const restored = model.namedParameters().map(({ owner, name }) => be.fill(owner.paramShape(name), 0.25));
    const frozen = fastPcd({ fastRate: 0, decay: 0.5 });
    frozen.persistent?.restore(restored);
    disposeGradient(frozen(data, model, positive, negative));
    expect(new Set(await flat(frozen.persistent?.current() ?? []))).toEqual(new Set([0.125]));
    for (const tensors of captured) be.dispose(tensors);
    frozen.persistent?.release();
    method.persistent?.release();
    expect(method.persistent?.current()).toBeUndefined();
    positive.dispose();
    negative.dispose();
    be.dispose(data);
    model.dispose();
  });

  it('refuses a negative fast rate or a decay above 1', () => {
    expect(() => fastPcd({ fastRate: -1 })).toThrow(/fastPcd: fastRate/);
    expect(() => fastPcd({ decay: 1.5 })).toThrow(/fastPcd: decay/);
  });
});
