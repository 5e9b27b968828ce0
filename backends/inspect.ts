/**
 * How tensors print in `console.log`, the Node REPL and notebooks: their backend, dtype, shape
 * and first values, rather than the storage objects they are made of.
 */

/** Values shown before an ellipsis. */
const SHOWN_VALUES = 12;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** E.g. `Tensor<cpu float32 (2, 3)> [0.5, -1.25, 3, 0, 0, 1]`; `values` row-major, at most 12 shown. */
export function tensorText(
  backend: string,
  dtype: string,
  shape: readonly number[],
  values: ArrayLike<number>,
): string {
  const shown = Array.from({ length: Math.min(values.length, SHOWN_VALUES) }, (_, i) =>
    Number((values[i] as number).toPrecision(5)),
  );
  const more = values.length > SHOWN_VALUES ? `, … ${values.length - SHOWN_VALUES} more` : '';
  return `Tensor<${backend} ${dtype} (${shape.join(', ')})> [${shown.join(', ')}${more}]`;
}

/**
 * Makes every object with `prototype` print as a tensor through {@link tensorText}, reading its
 * shape and row-major values with `read`. Cheap to call on every new tensor: the prototype is
 * patched once (and left as it is when a reloaded copy of this module meets it again).
 */
export function printAsTensor(
  prototype: object,
  backend: string,
  dtype: string,
  read: (tensor: object) => { shape: readonly number[]; values: ArrayLike<number> },
): void {
  if (Object.hasOwn(prototype, INSPECT)) return;
  Object.defineProperty(prototype, INSPECT, {
    configurable: true,
    value(this: object) {
      const { shape, values } = read(this);
      return tensorText(backend, dtype, shape, values);
    },
  });
}
