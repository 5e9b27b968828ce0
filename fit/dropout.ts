/**
 * The dropout family as Learnergy trains it (DropoutRBM, DropConnectRBM, EDropoutRBM): each
 * wraps a fit method, so a minibatch's positive and negative phases see a thinned model.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, UnsupportedError } from '../errors/index.js';
import type { BoltzmannMachine, UnitMasks } from '../models/index.js';
import { show } from '../validation/index.js';
import { checkFitMethod, type FitMethod } from './methods.js';

/** The dropout methods by name, for run configs. */
export const DROPOUT_TYPES = ['dropout', 'dropConnect', 'energyDropout'] as const;
/** A dropout method's name. */
export type DropoutType = (typeof DROPOUT_TYPES)[number];

/** Options of {@link dropout} and {@link dropConnect}. */
export interface DropoutOptions {
  /** The probability of dropping a hidden unit (dropout) or a connection (dropConnect), in [0, 1). */
  readonly rate: number;
}

/** The rate of `{ rate }`, checked. @throws ConfigError saying what to write */
function rateOf(options: DropoutOptions, where: string): number {
  const rate = (options as Partial<DropoutOptions> | undefined)?.rate;
  if (typeof options !== 'object' || options === null || rate === undefined) {
    throw new ConfigError(
      `${where}: expected options { rate }, got ${show(options)} (write \`${where}(method, { rate })\`)`,
    );
  }
  checkRate(rate, where);
  return rate;
}

/** Draws one minibatch's hidden-unit masks: per layer, absent or (batch, numUnits). */
type MaskDraw = (visible: Tensor, model: BoltzmannMachine) => UnitMasks;

/**
 * Dropout RBMs (Srivastava et al. 2014; Learnergy's DropoutRBM): each training case keeps
 * each hidden unit with probability 1 − `rate` and trains the thinned model, its dropped
 * units held at 0 through the positive phase and the negative chains. Chains that are not one
 * per data row (PCD with another count) take the data rows' masks in turn.
 * @param options.rate - probability of dropping a hidden unit, in [0, 1)
 */
export function dropout(method: FitMethod, options: DropoutOptions): FitMethod {
  const rate = rateOf(options, 'dropout');
  return withUnitMasks('dropout', checkFitMethod(method, 'dropout: method'), (visible, model) => {
    const rows = be.shape(visible)[0] as number;
    return model.layers.map((layer, i) => (i === 0 ? undefined : keepMask([rows, layer.numUnits], rate)));
  });
}

/**
 * Energy-based Dropout (Roder et al. 2020; Learnergy's EDropoutRBM) for RBMs: a first
 * Gibbs step from the data gives each hidden unit's importance I = (P(h|ṽ) / P(h|v)) / |ΔE|,
 * divided by its largest value in the batch (so the system's energy change ΔE, one number
 * per minibatch, cancels), and each unit is kept with probability 1 − I.
 */
export function energyDropout(method: FitMethod, _options: Readonly<Record<string, never>> = {}): FitMethod {
  return withUnitMasks('energyDropout', checkFitMethod(method, 'energyDropout: method'), (visible, model) => {
    if (model.numLayers !== 2) {
      throw new UnsupportedError(`energyDropout: expected an RBM (2 layers), got ${model.numLayers} layers`);
    }
    const data = model.stateFromVisible(visible);
    const reconstruction = model.markovChain(1, data);
    const hidden = model.layer(1);
    const positive = data.getLayer(1);
    const negative = hidden.conditionalMean(model.fieldOn(1, [reconstruction.getVisible(), positive]));
    const ratio = be.div(negative, be.maximum(positive, 1e-6));
    const importance = be.div(ratio, be.maximum(be.max(ratio, 0, true), 1e-12));
    return [undefined, be.less(importance, be.randomUniform(be.shape(importance)))];
  });
}

/**
 * DropConnect (Wan et al. 2013; Learnergy's DropConnectRBM): each minibatch keeps each
 * connection with probability 1 − `rate`, one mask per weight matrix shared by the batch and
 * its chains; dropped connections get no gradient from the data that minibatch.
 * @param options.rate - probability of dropping a connection, in [0, 1)
 */
export function dropConnect(method: FitMethod, options: DropoutOptions): FitMethod {
  const rate = rateOf(options, 'dropConnect');
  checkSampled(checkFitMethod(method, 'dropConnect: method'), 'dropConnect');
  const wrapped: FitMethod = (visible, model, positivePhase, negativePhase, targets) =>
    be.tidy(() => {
      const connections = model.connections.map((_, i) => model.denseWeights(i, 'dropConnect'));
      for (const w of connections) w.dropConnections(keepMask([w.numLower, w.numUpper], rate));
      try {
        return method(visible, model, positivePhase, negativePhase, targets);
      } finally {
        for (const w of connections) w.dropConnections(undefined);
      }
    });
  return wrapped;
}

/** The dropout method a run config names (`rate` unused by `energyDropout`). */
export function withDropout(method: FitMethod, type: DropoutType, rate: number): FitMethod {
  if (type === 'dropout') return dropout(method, { rate });
  if (type === 'dropConnect') return dropConnect(method, { rate });
  return energyDropout(method);
}

/**
 * The weight-scaling inference rule (Srivastava et al. 2014; Wan et al. 2013's mean network):
 * multiplies every weight matrix (or filter bank) by the keep probability 1 − `rate`, in place, so the trained
 * model's fields are the thinned models' mean fields. Call it once, after training.
 */
export function scaleWeightsForInference(model: BoltzmannMachine, rate: number): void {
  checkRate(rate, 'scaleWeightsForInference');
  for (const { weights } of model.connections) {
    weights.setParam(
      weights.parameterName,
      be.tidy(() => be.mul(weights.parameter, 1 - rate)),
    );
  }
}

/** A fit method whose samplers drop hidden units with masks drawn once per minibatch. */
function withUnitMasks(where: string, method: FitMethod, draw: MaskDraw): FitMethod {
  checkSampled(method, where);
  const wrapped: FitMethod = (visible, model, positivePhase, negativePhase, targets) =>
    be.tidy(() => {
      const masks = draw(visible, model);
      const rows = be.shape(visible)[0] as number;
      const bySize = new Map<number, UnitMasks>([[rows, masks]]);
      const masksFor = (count: number): UnitMasks => {
        if (!bySize.has(count)) {
          const take = Array.from({ length: count }, (_, i) => i % rows);
          bySize.set(
            count,
            masks.map((mask) => mask && be.gather(mask, take)),
          );
        }
        return bySize.get(count) as UnitMasks;
      };
      positivePhase.setMasks(masksFor);
      negativePhase.setMasks(masksFor);
      try {
        return method(visible, model, positivePhase, negativePhase, targets);
      } finally {
        positivePhase.setMasks(undefined);
        negativePhase.setMasks(undefined);
      }
    });
  return wrapped;
}

/** Refuses the methods whose phases are not the samplers' chains over an unlabelled model. */
function checkSampled(method: FitMethod, where: string): void {
  if (method.usesLabels || method.persistent) {
    throw new UnsupportedError(
      `${where}: expected a sampling fit method (cd, pcd); the label RBMs' methods and TAP do not take dropout`,
    );
  }
}

/** Independent keep indicators, 1 with probability 1 − rate. @returns shape of 0s and 1s */
function keepMask(shape: readonly number[], rate: number): Tensor {
  return be.tidy(() => be.bernoulli(be.fill(shape, 1 - rate)));
}

function checkRate(rate: number, where: string): void {
  if (!(Number.isFinite(rate) && rate >= 0 && rate < 1)) {
    throw new ConfigError(`${where}: rate: expected a probability in [0, 1), got ${rate}`);
  }
}
