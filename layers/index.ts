/**
 * Unit layers (Bernoulli, Gaussian, OneHot, rectified linear, continuous Bernoulli) and the Weights that couple them.
 * @packageDocumentation
 * @module relief/layers
 */

import * as z from 'zod';
import { type ConstraintConfig, constraintConfigSchema, constraintFromConfig } from '../constraints/index.js';
import { ConfigError } from '../errors/index.js';
import { penaltyConfigSchema, penaltyFromConfig } from '../penalties/index.js';
import { didYouMean, parseWith } from '../validation/index.js';
import { ConvolutionalWeights, convolutionGeometrySchema } from './convolutional-weights.js';
import type { Coupling } from './coupling.js';
import type { Layer } from './layer.js';
import type { ParameterConfig, Parametrized } from './parameters.js';
import { type LayerType, layerOptionsSchema, layerTypes, makeLayer, unknownLayerOptionMessage } from './registry.js';
import { Weights } from './weights.js';

export { BernoulliLayer } from './bernoulli.js';
export { ContinuousBernoulliLayer } from './continuous-bernoulli.js';
export {
  ConvolutionalWeights,
  type ConvolutionalWeightsConfig,
  type ConvolutionGeometry,
  convolutionGeometrySchema,
} from './convolutional-weights.js';
export { Coupling, type CouplingDescription, INITIAL_WEIGHT_STD } from './coupling.js';
export { GaussianLayer } from './gaussian.js';
export {
  type InverseTemperature,
  Layer,
  type LayerConfig,
  type Magnetization,
  MOMENT_SHRINKAGE,
  type PictureScale,
} from './layer.js';
export { OneHotLayer, type OneHotOptions, oneHotOptionsSchema } from './onehot.js';
export { type ParameterConfig, type ParameterTensors, Parametrized } from './parameters.js';
export { QuadraticLayer } from './quadratic-layer.js';
export {
  type LayerOptions,
  type LayerType,
  type LayerTypes,
  layerOptionsSchema,
  layerTypes,
  makeLayer,
  NO_LAYER_OPTIONS,
  parseLayerType,
  registerLayer,
} from './registry.js';
export { NReLULayer, ReLULayer } from './relu.js';
export { Weights, type WeightsConfig } from './weights.js';

const parameterFields = {
  fixedParams: z.array(z.string()).default([]),
  penalties: z.record(z.string(), penaltyConfigSchema).default({}),
  constraints: z.record(z.string(), constraintConfigSchema).default({}),
};

/**
 * The schema of a layer's description in `model.json` and run configs, built from the
 * registrations when called: a union tagged by `type` whose branch for each registered type is
 * `{ type, units, fixedParams?, penalties?, constraints? }` and that type's options
 * ({@link layerOptionsSchema}), strict, so an option given to a type that does not take it is
 * refused naming both.
 */
export function layerConfigSchema(): z.ZodType<LayerDescription, LayerDescriptionInput> {
  const branches = layerTypes().map((type) =>
    z.strictObject(
      { type: z.literal(type), units: z.int().min(1), ...layerOptionsSchema(type).shape, ...parameterFields },
      { error: unknownLayerOptionMessage(type) },
    ),
  );
  return z.discriminatedUnion('type', branches as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<
    LayerDescription,
    LayerDescriptionInput
  >;
}

/** A layer's description as written: `{ type, units }`, its type's options, and optionally `fixedParams`, `penalties`, `constraints`. */
export type LayerDescriptionInput = { readonly type: LayerType; readonly units: number } & Readonly<
  Record<string, unknown>
>;

/** A layer's parsed description: {@link LayerDescriptionInput} with the defaults filled in. */
export type LayerDescription = LayerDescriptionInput & ParameterConfig;

/** The schema of a dense connection's description in `model.json`: `{ shape, fixedParams?, penalties?, constraints? }`, strict. */
export const weightsConfigSchema = z.strictObject({
  shape: z.tuple([z.int().min(1), z.int().min(1)]),
  ...parameterFields,
});

/** The schema of a convolutional connection's description: `{ type: 'convolutional', image, filters, kernel, stride?, padding?, … }`. */
export const convolutionalWeightsConfigSchema = convolutionGeometrySchema.extend({
  type: z.literal('convolutional'),
  ...parameterFields,
});

/** The schema of any connection's description in `model.json`: dense, or `type: 'convolutional'`. */
export const couplingConfigSchema = z.union([weightsConfigSchema, convolutionalWeightsConfigSchema]);

/** A connection's parsed description. */
export type CouplingConfig = z.output<typeof couplingConfigSchema>;

/** A new layer from an untrusted description (see {@link layerConfigSchema}); `where` names it in errors. */
export function layerFromConfig(config: unknown, where: string): Layer {
  const { type, units, fixedParams, penalties, constraints, ...options } = parseWith(
    layerConfigSchema(),
    config,
    where,
  );
  const layer = makeLayer(type, units, options, where);
  applyParameterConfig(layer, { fixedParams, penalties, constraints }, where);
  return layer;
}

/**
 * New zero coupling from a parsed description, checked against the layers it joins.
 * @param numLower - units of the lower layer @param numUpper - units of the upper layer
 * @throws ConfigError when the description's sizes do not match the layers'
 */
export function couplingFromConfig(
  config: CouplingConfig,
  numLower: number,
  numUpper: number,
  where: string,
): Coupling {
  const { fixedParams, penalties, constraints } = config;
  let coupling: Coupling;
  if ('shape' in config) {
    const [rows, columns] = config.shape;
    if (rows !== numLower || columns !== numUpper) {
      throw new ConfigError(
        `${where}.shape: expected [${numLower}, ${numUpper}] from the layers, got [${rows}, ${columns}]`,
      );
    }
    coupling = new Weights(numLower, numUpper, 'zeros');
  } else {
    const { image, filters, kernel, stride, padding } = config;
    coupling = new ConvolutionalWeights({ image, filters, kernel, stride, padding }, 'zeros');
    if (coupling.numLower !== numLower || coupling.numUpper !== numUpper) {
      const found = coupling.describe();
      coupling.dispose();
      throw new ConfigError(
        `${where}: the layers have ${numLower} and ${numUpper} units, but ${found} joins ${coupling.numLower} and ${coupling.numUpper}`,
      );
    }
  }
  applyParameterConfig(coupling, { fixedParams, penalties, constraints }, where);
  return coupling;
}

/** Applies validated `fixedParams`, `penalties` and `constraints` to a layer or weights, checking the parameter names. */
export function applyParameterConfig(
  target: Parametrized,
  fields: {
    readonly fixedParams: readonly string[];
    readonly penalties: Readonly<Record<string, unknown>>;
    readonly constraints: Readonly<Record<string, ConstraintConfig>>;
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
    target.addConstraint({ [name]: constraintFromConfig(type) });
  }
}
