/**
 * Unit layers (Bernoulli, Gaussian, OneHot) and the Weights that couple them.
 * @packageDocumentation
 */
import { ConfigError } from '../errors/index.js';
import { penaltyFromConfig } from '../penalties/index.js';
import type { Layer } from './layer.js';
import type { Parametrized } from './parameters.js';
import { makeLayer, parseLayerType } from './registry.js';

export { BernoulliLayer } from './bernoulli.js';
export { GaussianLayer } from './gaussian.js';
export { type InverseTemperature, Layer, type LayerConfig, MOMENT_SHRINKAGE, type PictureScale } from './layer.js';
export { OneHotLayer } from './onehot.js';
export { type ParameterTensors, Parametrized } from './parameters.js';
export { type LayerType, type LayerTypes, layerTypes, makeLayer, parseLayerType, registerLayer } from './registry.js';
export { INITIAL_WEIGHT_STD, Weights, type WeightsConfig } from './weights.js';

/** A new layer from an untrusted description `{ type, units, fixedParams?, penalties? }`; `where` names it in errors. */
export function layerFromConfig(config: unknown, where: string): Layer {
  const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const type = parseLayerType(fields.type, `${where}.type`);
  const units = fields.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) {
    throw new ConfigError(`${where}.units: expected a positive integer, got ${JSON.stringify(units)}`);
  }
  const layer = makeLayer(type, units);
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
