import { ConfigError } from '../errors/index.js';
import type { Layer } from './layer.js';

/**
 * The layer types by name. Each layer's file adds itself here (TypeScript declaration
 * merging) and calls {@link registerLayer}, so {@link LayerType}, `model.json` loading and the
 * run config all follow from the registrations:
 * ```ts
 * declare module './registry.js' { interface LayerTypes { bernoulli: BernoulliLayer } }
 * registerLayer('bernoulli', BernoulliLayer);
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each layer's file
export interface LayerTypes {}

/** The name of a registered layer type, as saved in `model.json` (`'bernoulli'`, `'gaussian'`, …). */
export type LayerType = keyof LayerTypes & string;

const constructors = new Map<string, new (numUnits: number) => Layer>();

/** Makes a layer type loadable by name from `model.json` and run configs. */
export function registerLayer<T extends LayerType>(
  type: T,
  make: new (numUnits: number) => LayerTypes[T] & Layer,
): void {
  constructors.set(type, make);
}

/** The registered layer types, in registration order. */
export function layerTypes(): LayerType[] {
  return [...constructors.keys()] as LayerType[];
}

/** Checks an untrusted layer type name. @throws ConfigError naming the registered types; `where` names the field */
export function parseLayerType(type: unknown, where: string): LayerType {
  if (typeof type === 'string' && constructors.has(type)) return type as LayerType;
  const known = layerTypes()
    .map((t) => `'${t}'`)
    .join(', ');
  throw new ConfigError(`${where}: expected one of ${known}, got ${JSON.stringify(type)}`);
}

/** A new layer of a registered type with `numUnits` units. */
export function makeLayer(type: LayerType, numUnits: number): Layer {
  const make = constructors.get(parseLayerType(type, 'makeLayer: type')) as new (numUnits: number) => Layer;
  return new make(numUnits);
}
