import { describe, expect, it } from 'vitest';
import { growthAfterWarmUp, soak } from '../../bench/soak.js';

/** A short soak in CI; `npm run soak` runs 100 epochs. */
describe.each([{ backend: 'cpu' }, { backend: 'tfjs', device: 'wasm' }])('soak on %o', (target) => {
  it('8 epochs: a flat tensor count, flat memory, and a checkpoint that loads after every epoch', async () => {
    const samples = await soak(target, 8, 1000);
    expect(samples).toHaveLength(8);
    expect(samples.every((s) => s.checkpointLoads)).toBe(true);
    expect(new Set(samples.map((s) => s.tensors)).size).toBe(1);
    expect(growthAfterWarmUp(samples.map((s) => s.heapMB))).toBeLessThan(64);
    expect(growthAfterWarmUp(samples.map((s) => s.rssMB))).toBeLessThan(128);
  });
});
