/**
 * Memory budgets: what a backend can hold, and a check of planned tensors against it that
 * runs before anything is allocated, so a model too big for memory is a
 * {@link MemoryBudgetError} naming the tensor and the bytes, not a `RangeError` deep inside.
 */
import { formatShape, MemoryBudgetError } from '../errors/index.js';

/** How much a backend can hold. */
export interface MemoryLimits {
  /** Largest single tensor, in bytes. */
  readonly maxTensorBytes: number;
  /** All tensors together, in bytes (the machine's memory, or the device's). */
  readonly totalBytes: number;
}

/** A tensor about to be made. */
export interface PlannedTensor {
  /** What it is, for the message: `connections.0.W between layers[0] (784 units) and layers[1]`. */
  readonly what: string;
  readonly shape: readonly number[];
}

/** Largest typed array JavaScript engines make (V8: 2³² elements). */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;

/** The machine's memory in bytes where the platform says (Node: `os.totalmem()`), else unbounded. */
export function hostMemoryBytes(): number {
  const os = (globalThis.process as { getBuiltinModule?: (name: string) => unknown } | undefined)?.getBuiltinModule?.(
    'node:os',
  ) as { totalmem(): number } | undefined;
  return os ? os.totalmem() : Number.POSITIVE_INFINITY;
}

/** `313.6 GB` */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Refuses planned tensors that would not fit: any one beyond `maxTensorBytes`, or all
 * together beyond `totalBytes`.
 * @param where - the operation (`BoltzmannMachine`, `SGD.train`, …)
 * @param fix - what the user can do (`use fewer units, …`)
 * @throws MemoryBudgetError naming the tensor, its shape and the bytes it needs
 */
export function checkMemory(
  planned: readonly PlannedTensor[],
  limits: MemoryLimits & { readonly backend: string; readonly bytesPerElement: number },
  where: string,
  fix: string,
): void {
  let total = 0;
  for (const { what, shape } of planned) {
    const bytes = shape.reduce((a, b) => a * b, 1) * limits.bytesPerElement;
    if (bytes > limits.maxTensorBytes) {
      throw new MemoryBudgetError(
        `${where}: ${what} of shape ${formatShape(shape)} needs ${formatBytes(bytes)}, more than the ${formatBytes(limits.maxTensorBytes)} one tensor can hold on the ${limits.backend} backend; ${fix}`,
      );
    }
    total += bytes;
  }
  if (total > limits.totalBytes) {
    throw new MemoryBudgetError(
      `${where}: ${planned.map((p) => p.what).join(', ')} need ${formatBytes(total)} together, more than the ${formatBytes(limits.totalBytes)} of memory the ${limits.backend} backend has; ${fix}`,
    );
  }
}
