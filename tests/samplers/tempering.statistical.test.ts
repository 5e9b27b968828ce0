/** Parallel tempering samples the exact distribution of a strongly coupled (multimodal) RBM. */
import { expect, it } from 'vitest';
import { ConfigError } from '../../errors/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../namespaces/models.js';
import { ParallelTempering } from '../../samplers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { exactDistribution, rowKeys, totalVariation, totalVariationBound } from '../helpers/distributions.js';
import { randomizeParams } from '../helpers/finite-differences.js';

describeOnBackends('parallel tempering', () => {
  it('the β = 1 replicas reproduce the exact joint distribution; exchanges are accepted', async () => {
    const model = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(3)]);
    randomizeParams(model.layer(0), 0.5);
    randomizeParams(model.layer(1), 0.5);
    randomizeParams(model.connections[0]?.weights as never, 2);
    const chains = 1000;
    const tempering = new ParallelTempering(model, chains, { betas: [1, 0.7, 0.45, 0.25] });
    tempering.updateState(30);
    const counts = new Map<string, number>();
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      tempering.updateState(2);
      const samples = tempering.samples();
      for (const key of await rowKeys(samples.units, chains)) counts.set(key, (counts.get(key) ?? 0) + 1);
      samples.dispose();
    }
    const empirical = new Map([...counts].map(([k, c]) => [k, c / (chains * rounds)]));
    const exact = await exactDistribution(model);
    expect(totalVariation(empirical, exact)).toBeLessThan(totalVariationBound(2 ** 7, chains * rounds));
    for (const rate of await tempering.acceptanceRates()) {
      expect(rate).toBeGreaterThan(0.05);
      expect(rate).toBeLessThanOrEqual(1);
    }
    tempering.dispose();
    expect(() => new ParallelTempering(model, 10, { betas: [0.9, 0.5] })).toThrow(ConfigError);
  });
});
