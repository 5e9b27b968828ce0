/** AIS and reverse AIS report how far the chains have annealed, so a long estimate can show a progress bar. */
import { beforeAll, describe, expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import {
  annealedImportanceSampling,
  annealingSchedule,
  BoltzmannMachine,
  estimateLogLikelihood,
  reverseAnnealedImportanceSampling,
} from '../../namespaces/models.js';

describe('AIS progress', () => {
  let model: BoltzmannMachine;
  beforeAll(async () => {
    await use('cpu');
    setSeed(3);
    model = new BoltzmannMachine([new BernoulliLayer(6), new BernoulliLayer(4)]);
  });

  it('forward AIS calls onProgress every 200 steps and at the end of each path, counting over both paths', async () => {
    const calls: [number, number][] = [];
    const steps = annealingSchedule(500).length - 1;
    const estimate = await annealedImportanceSampling(model, {
      steps: 500,
      chains: 4,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(estimate.steps).toBe(steps);
    const total = 2 * steps;
    expect(calls).toEqual(
      [200, 400, steps, steps + 200, steps + 400, 2 * steps].map((done) => [done, total] as [number, number]),
    );
  });

  it('reverse AIS and estimateLogLikelihood pass it on, ending at the total', async () => {
    const data = be.randomUniform([8, 6]);
    const reverse: number[] = [];
    await reverseAnnealedImportanceSampling(model, data, {
      steps: 300,
      chains: 4,
      path: 'visible',
      onProgress: (done) => reverse.push(done),
    });
    expect(reverse).toEqual([200, annealingSchedule(300).length - 1]);
    const last: [number, number][] = [];
    await estimateLogLikelihood(model, data, {
      method: 'reverse-ais',
      steps: 100,
      chains: 4,
      onProgress: (done, total) => last.splice(0, 1, [done, total]),
    });
    expect(last[0]?.[0]).toBe(last[0]?.[1]);
    be.dispose(data);
  });
});
