/**
 * The fit methods by name: each registered with the zod schema of its one options object and
 * the factory that makes a fresh method from them. Run configs build `train.method`'s tagged
 * union (`{ "type": "pt", "betas": [1, 0.5] }`) from these schemas; a module that defines a
 * method registers it where it is defined (the label RBMs' methods in `supervised/`).
 * @packageDocumentation
 */
import type * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { didYouMean, parseWith } from '../validation/index.js';
import type { FitMethod } from './methods.js';

/** A registered fit method: its name, its options' schema (a strict object) and its factory. */
export interface MethodEntry<Schema extends z.ZodObject = z.ZodObject> {
  /** The name run configs give as `train.method` (`"pcd"`) or its `type`. */
  readonly name: string;
  /** The options object the factory takes, strict, every option optional or defaulted. */
  readonly schema: Schema;
  /** A fresh method (its own persistent tensors, if any) from validated options. */
  readonly create: (options: z.output<Schema>) => FitMethod;
  /** Whether it trains a label RBM `[inputs, hidden, labels]` (run configs then need `task: 'classify'`). */
  readonly usesLabels?: boolean;
  /** Whether the dropout family may wrap it (the samplers' chains over an unlabelled model). */
  readonly sampled?: boolean;
}

const entries = new Map<string, MethodEntry>();

/** Registers a fit method under its name (replacing one of that name). */
export function registerMethod<Schema extends z.ZodObject>(entry: MethodEntry<Schema>): void {
  entries.set(entry.name, entry as unknown as MethodEntry);
}

/** The registered methods, in registration order. */
export function registeredMethods(): readonly MethodEntry[] {
  return [...entries.values()];
}

/** The entry of method `name`. @throws ConfigError naming the registered methods */
export function methodEntry(name: string, where = 'fit method'): MethodEntry {
  const entry = entries.get(name);
  if (entry === undefined) {
    const names = [...entries.keys()];
    throw new ConfigError(
      `${where}: unknown method '${name}'${didYouMean(name, names)} (expected one of ${names.join(', ')})`,
    );
  }
  return entry;
}

/**
 * A fresh method by name, its options validated by its schema.
 * @throws ConfigError for an unknown name or bad options
 */
export function createMethod(name: string, options: Record<string, unknown> = {}, where = 'fit method'): FitMethod {
  const entry = methodEntry(name, where);
  return entry.create(parseWith(entry.schema, options, `${where} '${name}':`));
}
