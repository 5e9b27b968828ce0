/**
 * Fast persistent contrastive divergence (Tieleman & Hinton 2009, "Using fast weights to
 * improve persistent contrastive divergence"): the negative chains run on the regular
 * parameters θ plus fast parameters φ that learn from the same gradient with a larger rate
 * and decay quickly, so the chains move out of the modes the model has just lowered.
 * @packageDocumentation
 */
import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import type { BoltzmannMachine, Gradient } from '../models/index.js';
import { registerMethod } from './method-registry.js';
import { type FitMethod, type MethodFactory, methodFactory, positiveState } from './methods.js';

/** Options of {@link fastPcd}. */
export const fastPcdOptionsSchema = z.strictObject({
  /**
   * The fast parameters' learning rate (default 0.01; the paper takes the regular rate's
   * initial value). 0 keeps them at zero: the method is then PCD.
   */
  fastRate: z.number().min(0).default(0.01),
  /** Each update multiplies the fast parameters by this, in [0, 1] (default 19/20, the paper's). */
  decay: z
    .number()
    .min(0)
    .max(1)
    .default(19 / 20),
});
/** Options of {@link fastPcd}. */
export type FastPCDOptions = z.input<typeof fastPcdOptionsSchema>;

/**
 * Fast PCD: each minibatch the negative chains take their `mcsteps` sweeps (and give their
 * statistics) under θ + φ, the gradient g is PCD's at θ, and then every fast parameter is
 * updated as φ ← decay · φ − fastRate · g (g descends, penalties included; a fixed parameter's φ
 * stays at zero). The fast parameters, one per model parameter in `namedParameters()` order,
 * are the method's `persistent` tensors, which checkpoints carry; `persistent.release()` frees them.
 */
export const fastPcd: MethodFactory<FastPCDOptions> = methodFactory(
  fastPcdOptionsSchema,
  'fastPcd',
  ({ fastRate, decay }) => {
    /** φ, one tensor per parameter of `owner` (or restored from a checkpoint before the first minibatch). */
    let fast: Tensor[] | undefined;
    let owner: BoltzmannMachine | undefined;

    const release = () => {
      if (fast) be.dispose(fast);
      fast = undefined;
      owner = undefined;
    };

    /** φ for `model`: zeros for a model it has not trained (e.g. the next pretraining stage). */
    const fastFor = (model: BoltzmannMachine): Tensor[] => {
      if (fast && owner !== undefined && owner !== model) release();
      owner = model;
      fast ??= model.namedParameters().map(({ owner: holder, name }) => be.keep(be.zeros(holder.paramShape(name))));
      return fast;
    };

    const method = (
      visible: Tensor,
      model: BoltzmannMachine,
      positivePhase: Parameters<FitMethod>[2],
      negativePhase: Parameters<FitMethod>[3],
    ): Gradient => {
      const fastWeights = fastFor(model);
      const dataState = positiveState(visible, model, positivePhase);
      const modelState = onFastWeights(model, fastWeights, () => {
        negativePhase.updateState();
        return negativePhase.stateForGrad(model.numLayers - 1);
      });
      const gradient = model.gradient(dataState, modelState);
      dataState.dispose();
      modelState.dispose();
      const gradients = gradientsByParameter(model, gradient);
      fast = fastWeights.map((phi, k) => {
        const g = gradients[k];
        const next = be.keep(
          be.tidy(() => (g === undefined ? be.mul(phi, decay) : be.sub(be.mul(phi, decay), be.mul(g, fastRate)))),
        );
        be.dispose(phi);
        return next;
      });
      return gradient;
    };

    return Object.assign(method, {
      persistent: {
        current: () => fast,
        restore: (tensors: readonly Tensor[]) => {
          release();
          fast = tensors.map((t) => be.keep(t));
        },
        release,
        shapes: (model: BoltzmannMachine) =>
          model.namedParameters().map(({ owner: holder, name }) => [...holder.paramShape(name)]),
      },
    });
  },
);

/**
 * Runs `run` with every parameter of `model` at θ + φ, then puts θ back exactly.
 * @param fast - φ, one tensor per parameter in `namedParameters()` order
 */
function onFastWeights<T>(model: BoltzmannMachine, fast: readonly Tensor[], run: () => T): T {
  const parameters = model.namedParameters();
  const regular = parameters.map(({ owner, name }) => be.keep(be.clone(owner.param(name))));
  parameters.forEach(({ owner, name }, k) => {
    owner.setParam(
      name,
      be.tidy(() => be.add(regular[k] as Tensor, fast[k] as Tensor)),
    );
  });
  try {
    return run();
  } finally {
    parameters.forEach(({ owner, name }, k) => {
      owner.setParam(name, regular[k] as Tensor);
    });
  }
}

/** The gradient's tensor of each parameter in `namedParameters()` order (undefined for a fixed one). */
function gradientsByParameter(model: BoltzmannMachine, gradient: Gradient): (Tensor | undefined)[] {
  return model.namedParameters().map(({ key, name }) => {
    const [kind, index] = key.split('.') as [string, string];
    const sets = kind === 'layers' ? gradient.layers : gradient.weights;
    return sets[Number(index)]?.[name];
  });
}

registerMethod({ name: 'fast-pcd', schema: fastPcdOptionsSchema, create: (options) => fastPcd(options) });
