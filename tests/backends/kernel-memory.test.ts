/**
 * The cpu kernel's memory: its allocator (blocks at multiples of 64 bytes, reuse, merging,
 * a full memory answering undefined) and the cpu backend's tensors in it — inside a tidy they
 * are blocks that the kernel reads in place, disposing the last tensor that shares a block
 * frees it (under vitest its values turn to NaN), and outside any tidy they stay in the heap.
 */
import { describe, expect, it } from 'vitest';
import { KernelMemory } from '../../backends/cpu/kernel-memory.js';
import { CpuBackend } from '../../backends/index.js';

const KIB = 1024;

function memoryOf(limitBytes: number): KernelMemory {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
  return new KernelMemory(memory, 1024, limitBytes);
}

describe('KernelMemory', () => {
  it('hands out 64-byte-aligned blocks, reuses a freed one and refuses what does not fit', () => {
    const blocks = memoryOf(64 * KIB);
    const a = blocks.allocate(10) as Float32Array;
    const b = blocks.allocate(1000) as Float32Array;
    expect(a.byteOffset % 64).toBe(0);
    expect(b.byteOffset % 64).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 64);
    expect(blocks.usedBytes).toBe(64 + 4032);
    blocks.release(b);
    expect(blocks.usedBytes).toBe(64);
    expect((blocks.allocate(1000) as Float32Array).byteOffset).toBe(b.byteOffset);
    expect(blocks.allocate(64 * KIB)).toBeUndefined();
  });

  it('merges freed neighbours to fit a bigger block, and frees a block with its last owner', () => {
    const blocks = memoryOf(1024 + 12 * KIB);
    const parts = Array.from({ length: 3 }, () => blocks.allocate(1024) as Float32Array);
    expect(blocks.allocate(2048)).toBeUndefined();
    blocks.retain(parts[0] as Float32Array);
    for (const part of parts) blocks.release(part);
    expect(blocks.usedBytes).toBe(4 * KIB);
    expect(blocks.allocate(2048)).toBeDefined();
    blocks.release(parts[0] as Float32Array);
    expect(blocks.usedBytes).toBe(8 * KIB);
    expect(blocks.availableBytes).toBe(4 * KIB);
  });

  it('grows the WebAssembly memory as blocks reach its end, and fills freed blocks with NaN under vitest', () => {
    const blocks = memoryOf(16 * 65536);
    const big = blocks.allocate(100_000) as Float32Array;
    big.fill(1);
    expect(big.buffer.byteLength).toBeGreaterThanOrEqual(400_000);
    blocks.release(big);
    expect(Number.isNaN(big[0])).toBe(true);
  });
});

describe('cpu tensors in kernel memory', () => {
  const be = new CpuBackend(7);

  it('live in the heap outside a tidy and in kernel memory inside, with numTensors and numBytes counting both', () => {
    const before = { tensors: be.numTensors(), bytes: be.numBytes() };
    const outside = be.randomNormal([64, 64]);
    const inside = be.tidy(() => be.keep(be.randomNormal([64, 64])));
    const dataOf = (t: unknown) => (t as { data: Float32Array }).data;
    expect(dataOf(outside).buffer).toBeInstanceOf(ArrayBuffer);
    expect(dataOf(inside).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(be.numTensors() - before.tensors).toBe(2);
    expect(be.numBytes() - before.bytes).toBe(2 * 64 * 64 * 4);
    be.dispose([outside, inside]);
    expect(be.numTensors()).toBe(before.tensors);
    expect(be.numBytes()).toBe(before.bytes);
  });

  it('keep a block while a reshaped view of it is alive, and free it with the last', () => {
    const [original, reshaped] = be.tidy(() => {
      const t = be.randomNormal([64, 64]);
      return [t, be.reshape(t, [4096])];
    });
    const data = (original as unknown as { data: Float32Array }).data;
    const values = Float32Array.from(data);
    be.dispose(original);
    expect(be.readSync(reshaped)).toEqual(values);
    be.dispose(reshaped);
    expect(Number.isNaN(data[0])).toBe(true);
  });

  it('free what a tidy made and did not return, so a long loop holds no more kernel memory than one step', () => {
    const weights = be.tidy(() => be.keep(be.randomNormal([784, 200])));
    const step = () =>
      be.tidy(() => {
        const visible = be.bernoulli(be.fill([100, 784], 0.2));
        const hidden = be.bernoulliLogits(be.matmul(visible, weights));
        return be.sum(be.matmul(visible, hidden, { transposeA: true }));
      });
    be.dispose(step());
    const tensors = be.numTensors();
    const bytes = be.numBytes();
    for (let i = 0; i < 50; i++) be.dispose(step());
    expect(be.numTensors()).toBe(tensors);
    expect(be.numBytes()).toBe(bytes);
    be.dispose(weights);
  });
});
