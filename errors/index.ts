/**
 * Typed errors. Each has a stable `name` and a message that says what was expected,
 * what was found, and where.
 * @packageDocumentation
 * @module relief/errors
 */

/** Base class of every error Relief throws on purpose. */
export class ReliefError extends Error {
  override readonly name: string = 'ReliefError';
}

/** A tensor or array had a shape that does not fit the operation (e.g. matmul inner sizes differ). */
export class ShapeError extends ReliefError {
  override readonly name = 'ShapeError';
}

/** A configuration value (backend name, device, config file field) is invalid. */
export class ConfigError extends ReliefError {
  override readonly name = 'ConfigError';
}

/** A requested backend or device cannot run here; the message says how to install it. */
export class BackendUnavailableError extends ReliefError {
  override readonly name = 'BackendUnavailableError';
}

/** Input data is malformed: NaN/Inf, wrong width, corrupt or missing file. */
export class DataError extends ReliefError {
  override readonly name: string = 'DataError';
}

/** Training produced non-finite parameters or diverged. */
export class DivergenceError extends ReliefError {
  override readonly name = 'DivergenceError';
}

/**
 * An operation needs a capability that this layer, model or backend lacks (e.g. enumerating
 * continuous units, TAP terms of a layer that has none, synchronous reads on WebGPU).
 */
export class UnsupportedError extends ReliefError {
  override readonly name = 'UnsupportedError';
}

/** Formats a shape for messages: `[100, 784]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A model, batch or chain set would not fit in the memory the backend has; raised before
 * anything is allocated. The message names the tensor, the bytes it needs and a fix.
 */
export class MemoryBudgetError extends ReliefError {
  override readonly name = 'MemoryBudgetError';
}
