import * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { checkChoice, closestName, parseWith } from '../validation/index.js';
import type { Layer } from './layer.js';

/**
 * The layer types by name. Each layer's file adds itself here (TypeScript declaration
 * merging) and calls {@link registerLayer} with the schema of its options, so
 * {@link LayerType}, `model.json` loading and the run config all follow from the registrations:
 * ```ts
 * declare module './registry.js' { interface LayerTypes { onehot: OneHotLayer } }
 * registerLayer('onehot', OneHotLayer, oneHotOptionsSchema);
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each layer's file
export interface LayerTypes {}

/** The name of a registered layer type, as saved in `model.json` (`'bernoulli'`, `'gaussian'`, …). */
export type LayerType = keyof LayerTypes & string;

/** A layer's options besides its type and size, as its type's options schema takes them (none for most types). */
export type LayerOptions = Readonly<Record<string, unknown>>;

/** The fields every layer description has, which no layer type's options may reuse. */
const DESCRIPTION_FIELDS = ['type', 'units', 'fixedParams', 'penalties', 'constraints'];

/** The options schema of a layer type that takes none. */
export const NO_LAYER_OPTIONS = z.strictObject({});

interface Registration {
  readonly make: new (numUnits: number, options: LayerOptions) => Layer;
  readonly options: z.ZodObject;
}

const registrations = new Map<string, Registration>();

/**
 * Makes a layer type loadable by name from `model.json` and run configs.
 * @param make - the class; its constructor takes the number of units and the parsed options
 * @param options - the schema of its options, which its constructor parses too: a strict
 *   object whose every field is optional or defaulted (default {@link NO_LAYER_OPTIONS}).
 *   `model.json` and run configs accept these fields beside `type` and `units`, and refuse
 *   them for any other type. Give each field `.meta({ examples: [value] })`, a value valid for
 *   a layer of 4 units: the conformance test (`tests/layers/conformance.test.ts`) builds a
 *   layer with each.
 * @throws ConfigError for an option named like a field every description has (`units`, …)
 */
export function registerLayer<T extends LayerType, Options extends z.ZodObject = typeof NO_LAYER_OPTIONS>(
  type: T,
  make: new (numUnits: number, options: z.output<Options>) => LayerTypes[T] & Layer,
  options?: Options,
): void {
  const taken = Object.keys(options?.shape ?? {}).filter((name) => DESCRIPTION_FIELDS.includes(name));
  if (taken.length > 0) {
    throw new ConfigError(
      `registerLayer('${type}'): options: ${taken.join(', ')}: every layer description has these fields already`,
    );
  }
  registrations.set(type, {
    make: make as unknown as Registration['make'],
    options: options ?? NO_LAYER_OPTIONS,
  });
}

/** The registered layer types, in registration order. */
export function layerTypes(): LayerType[] {
  return [...registrations.keys()] as LayerType[];
}

/** Checks an untrusted layer type name. @throws ConfigError naming the registered types; `where` names the field */
export function parseLayerType(type: unknown, where: string): LayerType {
  return checkChoice(type, layerTypes(), where);
}

/** The schema of the options a registered layer type takes (`{ groupSize? }` for `onehot`). */
export function layerOptionsSchema(type: LayerType): z.ZodObject {
  return (registrations.get(parseLayerType(type, 'layerOptionsSchema')) as Registration).options;
}

/**
 * The message for keys of a `type` layer's description that it does not take, for the `error`
 * of a strict object schema: `unknown key for a 'bernoulli' layer, an option of 'onehot' layers
 * (allowed: …)`, or `unknown key for a 'onehot' layer; did you mean 'groupSize'? (allowed: …)`.
 */
export function unknownLayerOptionMessage(type: LayerType): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => {
    if (issue.code !== 'unrecognized_keys') return undefined;
    const schema = issue.inst as z.ZodObject | undefined;
    const allowed = Object.keys(schema?.shape ?? {});
    const object = issue.input as Record<string, unknown>;
    return issue.keys
      .map((key) => {
        const guess = closestName(
          key,
          allowed.filter((name) => !Object.hasOwn(object, name)),
        );
        const owners = layerTypes().filter((other) => other !== type && key in layerOptionsSchema(other).shape);
        const ownedBy =
          owners.length > 0 ? `, an option of ${owners.map((owner) => `'${owner}'`).join(', ')} layers` : '';
        const suggestion = guess === undefined ? '' : `; did you mean '${guess}'?`;
        const listed = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'it takes no options';
        return `unknown key for a '${type}' layer${ownedBy}${suggestion} (${listed})`;
      })
      .join('\n');
  };
}

/**
 * A new layer of a registered type with `numUnits` units.
 * @param options - the type's options (see {@link layerOptionsSchema})
 * @param where - names the description in errors
 * @throws ConfigError for an unknown type, an option the type does not take, or a bad value
 */
export function makeLayer(type: LayerType, numUnits: number, options: LayerOptions = {}, where = 'makeLayer'): Layer {
  const { make, options: schema } = registrations.get(parseLayerType(type, `${where}.type`)) as Registration;
  const strict = z.strictObject(schema.shape, { error: unknownLayerOptionMessage(type) });
  return new make(numUnits, parseWith(strict, options, where));
}
