/**
 * Unit layers (Bernoulli, Gaussian, OneHot, rectified linear, continuous Bernoulli) and the Weights that couple them.
 * @packageDocumentation
 */

import * as z from 'zod';
import { CONSTRAINT_TYPES, type ConstraintType, constraintFromType } from '../constraints/index.js';
import { ConfigError } from '../errors/index.js';
import { penaltyConfigSchema, penaltyFromConfig } from '../penalties/index.js';
import { didYouMean, parseWith } from '../validation/index.js';
import type { Layer } from './layer.js';
import type { Parametrized } from './parameters.js';
import { type LayerType, layerTypes, makeLayer } from './registry.js';

export { BernoulliLayer } from './bernoulli.js';
export { ContinuousBernoulliLayer } from './continuous-bernoulli.js';
export { GaussianLayer } from './gaussian.js';
export { type InverseTemperature, Layer, type LayerConfig, MOMENT_SHRINKAGE, type PictureScale } from './layer.js';
export { OneHotLayer } from './onehot.js';
export { type ParameterTensors, Parametrized } from './parameters.js';
export { QuadraticLayer } from './quadratic-layer.js';
export { type LayerType, type LayerTypes, layerTypes, makeLayer, parseLayerType, registerLayer } from './registry.js';
export { NReLULayer, ReLULayer } from './relu.js';
export { INITIAL_WEIGHT_STD, Weights, type WeightsConfig } from './weights.js';

const parameterFields = {
  fixedParams: z.array(z.string()).default([]),
  penalties: z.record(z.string(), penaltyConfigSchema).default({}),
  constraints: z.record(z.string(), z.enum(CONSTRAINT_TYPES)).default({}),
};

/** The schema of a layer's description `{ type, units, fixedParams?, penalties?, constraints? }`, strict; types are those registered now. */
export function layerConfigSchema() {
  return z.strictObject({ type: z.enum(layerTypes()), units: z.int().min(1), ...parameterFields });
}

/** The schema of a connection's description in `model.json`: `{ shape, fixedParams?, penalties?, constraints? }`, strict. */
export const weightsConfigSchema = z.strictObject({
  shape: z.tuple([z.int().min(1), z.int().min(1)]),
  ...parameterFields,
});

/** A new layer from an untrusted description `{ type, units, fixedParams?, penalties?, constraints? }`; `where` names it in errors. */
export function layerFromConfig(config: unknown, where: string): Layer {
  const { type, units, ...parameters } = parseWith(layerConfigSchema(), config, where);
  const layer = makeLayer(type as LayerType, units);
  applyParameterConfig(layer, parameters, where);
  return layer;
}

/** Applies validated `fixedParams`, `penalties` and `constraints` to a layer or weights, checking the parameter names. */
export function applyParameterConfig(
  target: Parametrized,
  fields: {
    readonly fixedParams: readonly string[];
    readonly penalties: Readonly<Record<string, unknown>>;
    readonly constraints: Readonly<Record<string, ConstraintType>>;
  },
  where: string,
): void {
  const check = (name: string, field: string) => {
    if (!target.paramNames.includes(name)) {
      throw new ConfigError(
        `${where}.${field}: no parameter '${name}'${didYouMean(name, target.paramNames)} (it has ${target.paramNames.join(', ')})`,
      );
    }
  };
  for (const name of fields.fixedParams) check(name, 'fixedParams');
  target.setFixedParams(fields.fixedParams);
  for (const [name, penalty] of Object.entries(fields.penalties)) {
    check(name, 'penalties');
    target.addPenalty({ [name]: penaltyFromConfig(penalty, `${where}.penalties.${name}`) });
  }
  for (const [name, type] of Object.entries(fields.constraints)) {
    check(name, 'constraints');
    target.addConstraint({ [name]: constraintFromType(type) });
  }
}
