/** Tensors of the cpu and float64 backends print as tensors, not as their storage objects. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { be, use } from '../../backends/index.js';
import { tensorText } from '../../backends/inspect.js';

describe('printing tensors', () => {
  it('shows the backend, dtype, shape and up to twelve values', () => {
    expect(tensorText('cpu', 'float32', [2, 3], [1, 2.5, -3, 0, 1e-7, 123456])).toBe(
      'Tensor<cpu float32 (2, 3)> [1, 2.5, -3, 0, 1e-7, 123460]',
    );
    expect(
      tensorText(
        'cpu',
        'float32',
        [20],
        Array.from({ length: 20 }, (_, i) => i),
      ),
    ).toBe('Tensor<cpu float32 (20)> [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … 8 more]');
  });

  for (const [name, dtype] of [
    ['cpu', 'float32'],
    ['float64', 'float64'],
  ] as const) {
    it(`${name}: console.log and the REPL print a tensor, its values row-major`, async () => {
      await use(name);
      const t = be.tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
      const scalar = be.sum(t);
      expect(inspect(t)).toBe(`Tensor<${name} ${dtype} (3, 2)> [1, 2, 3, 4, 5, 6]`);
      expect(inspect(scalar)).toBe(`Tensor<${name} ${dtype} ()> [21]`);
      expect(inspect({ loss: scalar })).toContain(`Tensor<${name} ${dtype} ()> [21]`);
      be.dispose([t, scalar]);
    });
  }
});
