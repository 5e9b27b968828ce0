/**
 * Unit layers (Bernoulli, Gaussian, OneHot) and the Weights that couple them.
 * @packageDocumentation
 */
import { ConfigError } from '../errors/index.js';
import { penaltyFromConfig } from '../penalties/index.js';
import { BernoulliLayer } from './bernoulli.js';
import { GaussianLayer } from './gaussian.js';
import type { Layer, LayerType } from './layer.js';
import { OneHotLayer } from './onehot.js';
import type { Parametrized } from './parameters.js';

export { BernoulliLayer } from './bernoulli.js';
export { GaussianLayer } from './gaussian.js';
export { type InverseTemperature, Layer, type LayerConfig, type LayerType, MOMENT_SHRINKAGE } from './layer.js';
export { OneHotLayer } from './onehot.js';
export { type ParameterTensors, Parametrized } from './parameters.js';
export { INITIAL_WEIGHT_STD, Weights, type WeightsConfig } from './weights.js';

const CONSTRUCTORS: Record<LayerType, new (numUnits: number) => Layer> = {
  bernoulli: BernoulliLayer,
  gaussian: GaussianLayer,
  onehot: OneHotLayer,
};

/** The layer types Relief knows. */
export const LAYER_TYPES = Object.keys(CONSTRUCTORS) as LayerType[];

/** A new layer from an untrusted description `{ type, units, fixedParams?, penalties? }`; `where` names it in errors. */
export function layerFromConfig(config: unknown, where: string): Layer {
  const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const type = fields.type;
  if (typeof type !== 'string' || !Object.hasOwn(CONSTRUCTORS, type)) {
    throw new ConfigError(
      `${where}.type: expected one of ${LAYER_TYPES.map((t) => `'${t}'`).join(', ')}, got ${JSON.stringify(type)}`,
    );
  }
  const units = fields.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) {
    throw new ConfigError(`${where}.units: expected a positive integer, got ${JSON.stringify(units)}`);
  }
  const layer = new CONSTRUCTORS[type as LayerType](units);
  applyParameterConfig(layer, fields, where);
  return layer;
}

/** Applies untrusted `fixedParams` and `penalties` fields to a layer or weights. */
export function applyParameterConfig(target: Parametrized, fields: Record<string, unknown>, where: string): void {
  const fixed = fields.fixedParams ?? [];
  if (!Array.isArray(fixed) || fixed.some((name) => typeof name !== 'string' || !target.paramNames.includes(name))) {
    throw new ConfigError(
      `${where}.fixedParams: expected names among ${target.paramNames.join(', ')}, got ${JSON.stringify(fixed)}`,
    );
  }
  target.setFixedParams(fixed as string[]);
  const penalties = fields.penalties ?? {};
  if (typeof penalties !== 'object' || penalties === null || Array.isArray(penalties)) {
    throw new ConfigError(`${where}.penalties: expected an object, got ${JSON.stringify(penalties)}`);
  }
  for (const [name, penalty] of Object.entries(penalties)) {
    if (!target.paramNames.includes(name)) {
      throw new ConfigError(`${where}.penalties: no parameter '${name}' (it has ${target.paramNames.join(', ')})`);
    }
    target.addPenalty({ [name]: penaltyFromConfig(penalty, `${where}.penalties.${name}`) });
  }
}
