/**
 * The cpu backend's convolution pieces: im2col, col2im and the map transposes in the WebAssembly kernel
 * give the JavaScript loops' bits (padding wider than the kernel, strides past the image and
 * several channels included), and a convolution's scratch blocks go back to the kernel's memory.
 */
import { describe, expect, it } from 'vitest';
import { addPatchRows, patchRows, swapInnerAxes } from '../../backends/cpu/patches.js';
import { WasmGemm } from '../../backends/cpu/wasm-gemm.js';
import { CpuBackend, SeededRandom } from '../../backends/index.js';
import { type ConvolutionDims, convolutionDims } from '../../backends/shapes.js';

/** Whether two arrays hold the same bits. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** [batch, channels, height, width, kernel, stride, padding] */
type Geometry = readonly [number, number, number, number, number, number, number];

const GEOMETRIES: readonly Geometry[] = [
  [3, 1, 28, 28, 7, 1, 0],
  [2, 2, 9, 11, 3, 2, 1],
  [2, 3, 5, 6, 4, 1, 2],
  [1, 1, 4, 4, 3, 3, 2],
  [1, 1, 1, 1, 1, 1, 2],
  [2, 2, 3, 2, 2, 3, 3],
];

function dims([batch, channels, height, width, kernel, stride, padding]: Geometry): ConvolutionDims {
  return convolutionDims([batch, channels, height, width], [5, channels, kernel, kernel], { stride, padding }, 'test');
}

describe('cpu convolution pieces', () => {
  const random = new SeededRandom(7);
  const values = (count: number) => Float32Array.from({ length: count }, () => 2 * random.nextFloat() - 1);

  for (const [label, kernel] of [
    ['shared memory', WasmGemm.create(2, true)],
    ['fixed memory', WasmGemm.create(1, false)],
  ] as const) {
    it(`${label}: the kernel's im2col, col2im and map transposes give the JavaScript loops' bits`, () => {
      if (!kernel) throw new Error('no WebAssembly kernel');
      for (const geometry of GEOMETRIES) {
        const d = dims(geometry);
        const images = values(d.batch * d.channels * d.height * d.width);
        const expected = patchRows(images, d);
        const rows = kernel.patchRows(images, d) as Float32Array;
        expect(sameBits(rows, expected), `patchRows ${geometry.join(',')}`).toBe(true);
        const positions = d.outHeight * d.outWidth;
        const maps = values(d.batch * positions * d.numFilters);
        const swapped = kernel.swapInnerAxes(maps, d.batch, positions, d.numFilters) as Float32Array;
        expect(sameBits(swapped, swapInnerAxes(maps, d.batch, positions, d.numFilters))).toBe(true);
        const entries = values(expected.length);
        const added = kernel.addPatchRows(entries, d) as Float32Array;
        expect(sameBits(added, addPatchRows(entries, d)), `addPatchRows ${geometry.join(',')}`).toBe(true);
        for (const block of [rows, swapped, added]) kernel.blocks.release(block);
      }
    });
  }

  it('col2im adds every patch entry onto its pixel, into a reused array as into a new one', () => {
    for (const geometry of GEOMETRIES) {
      const d = dims(geometry);
      const rows = values(d.batch * d.outHeight * d.outWidth * d.channels * d.kernelHeight * d.kernelWidth);
      const fresh = addPatchRows(rows, d);
      const reused = addPatchRows(rows, d, new Float32Array(fresh.length).fill(Number.NaN));
      expect(sameBits(reused, fresh)).toBe(true);
      // ⟨patchRows(x), rows⟩ = ⟨x, addPatchRows(rows)⟩: col2im is im2col's transpose.
      const images = values(fresh.length);
      const patches = patchRows(images, d);
      const viaRows = patches.reduce((sum, value, i) => sum + value * (rows[i] as number), 0);
      const viaImages = images.reduce((sum, value, i) => sum + value * (fresh[i] as number), 0);
      expect(viaRows).toBeCloseTo(viaImages, 4);
    }
  });

  it("a training step's convolutions give their scratch blocks back to the kernel's memory", () => {
    const backend = new CpuBackend(3, { threads: 2 });
    const blocks = (backend as unknown as { kernel: WasmGemm }).kernel.blocks;
    const d = dims([100, 1, 28, 28, 7, 1, 0]);
    const filters = backend.tensor(values(16 * 49), [16, 1, 7, 7]);
    const step = () =>
      backend.tidy(() => {
        const images = backend.bernoulli(backend.fill([d.batch, 1, 28, 28], 0.2));
        const up = backend.bernoulli(backend.sigmoid(backend.conv2d(images, filters, d)));
        const down = backend.conv2dTranspose(up, filters, [28, 28], d);
        return backend.conv2dFilterProducts(backend.sigmoid(down), up, [7, 7], d);
      });
    // The first steps fill the kernel's caches (packed operands, lists of ones); then the memory stays level.
    for (let i = 0; i < 6; i++) backend.dispose(step());
    const used = blocks.usedBytes;
    for (let i = 0; i < 3; i++) backend.dispose(step());
    expect(blocks.usedBytes).toBe(used);
    backend.dispose(filters);
  });
});
