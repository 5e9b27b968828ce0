import { ConfigError } from '../errors/index.js';
import { checkChoice } from '../validation/index.js';
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

/** What makes a layer besides its type and size, saved beside them in `model.json`. */
export interface LayerOptions {
  /** OneHot layers: units per categorical variable (softmax groups; default all the units). */
  readonly groupSize?: number;
}

interface Registration {
  readonly make: new (numUnits: number, options: LayerOptions) => Layer;
  readonly options: readonly (keyof LayerOptions)[];
}

const constructors = new Map<string, Registration>();

/**
 * Makes a layer type loadable by name from `model.json` and run configs.
 * @param options - the {@link LayerOptions} its constructor takes (others are refused)
 */
export function registerLayer<T extends LayerType>(
  type: T,
  make: new (numUnits: number, options: LayerOptions) => LayerTypes[T] & Layer,
  options: readonly (keyof LayerOptions)[] = [],
): void {
  constructors.set(type, { make, options });
}

/** The registered layer types, in registration order. */
export function layerTypes(): LayerType[] {
  return [...constructors.keys()] as LayerType[];
}

/** Checks an untrusted layer type name. @throws ConfigError naming the registered types; `where` names the field */
export function parseLayerType(type: unknown, where: string): LayerType {
  return checkChoice(type, layerTypes(), where);
}

/**
 * A new layer of a registered type with `numUnits` units.
 * @param where - names the description in errors @throws ConfigError for an option the type does not take
 */
export function makeLayer(type: LayerType, numUnits: number, options: LayerOptions = {}, where = 'makeLayer'): Layer {
  const { make, options: taken } = constructors.get(parseLayerType(type, `${where}: type`)) as Registration;
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !taken.includes(name as keyof LayerOptions)) {
      throw new ConfigError(`${where}: ${name}: a '${type}' layer takes no ${name}`);
    }
  }
  return new make(numUnits, options);
}
