/** Inverse-temperature drivers and the Gamma/Poisson draws behind the driven β. */
import { describe, expect, it } from 'vitest';
import { be, SeededRandom, setSeed, use } from '../../backends/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { AnnealedBeta, DrivenBeta, gamma, logGamma, poisson, SequentialMC } from '../../samplers/index.js';
import { Linear } from '../../schedules/index.js';

describe('inverse temperatures', () => {
  it('Gamma and Poisson draws have the right mean and variance', () => {
    const random = new SeededRandom(5);
    const n = 20000;
    for (const [shape, scale] of [
      [0.5, 2],
      [3, 0.5],
      [30, 0.1],
    ] as const) {
      const xs = Array.from({ length: n }, () => gamma(random, shape, scale));
      const mean = xs.reduce((a, x) => a + x, 0) / n;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
      expect(Math.abs(mean - shape * scale)).toBeLessThan(5 * Math.sqrt((shape * scale * scale) / n));
      expect(variance / (shape * scale * scale)).toBeCloseTo(1, 1);
    }
    for (const lambda of [3, 50]) {
      const ks = Array.from({ length: n }, () => poisson(random, lambda));
      const mean = ks.reduce((a, k) => a + k, 0) / n;
      const variance = ks.reduce((a, k) => a + (k - mean) ** 2, 0) / n;
      expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
      expect(variance / lambda).toBeCloseTo(1, 1);
    }
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 10);
  });

  it('the driven β is stationary with mean 1, the given spread and autocorrelation', async () => {
    await use('cpu');
    setSeed(3);
    const driven = new DrivenBeta({ std: 0.3, momentum: 0.8 });
    const chains = 400;
    const series: Float32Array[] = [];
    for (let t = 0; t < 60; t++) series.push(await be.read(driven.next(chains) as never));
    const late = series.slice(20);
    const all = late.flatMap((s) => Array.from(s));
    const mean = all.reduce((a, x) => a + x, 0) / all.length;
    const std = Math.sqrt(all.reduce((a, x) => a + (x - mean) ** 2, 0) / all.length);
    expect(mean).toBeCloseTo(1, 1);
    expect(std).toBeCloseTo(0.3, 1);
    let [cov, count] = [0, 0];
    for (let t = 1; t < late.length; t++) {
      for (let c = 0; c < chains; c++) {
        cov += ((late[t]?.[c] as number) - mean) * ((late[t - 1]?.[c] as number) - mean);
        count += 1;
      }
    }
    expect(cov / count / std ** 2).toBeCloseTo(0.8, 1);
    setSeed(3);
    const again = new DrivenBeta({ std: 0.3, momentum: 0.8 });
    expect(await be.read(again.next(chains) as never)).toEqual(series[0]);
  });

  it('annealed β follows its schedule, and fantasy particles run under a driven β', async () => {
    await use('cpu');
    const annealed = new AnnealedBeta(new Linear({ initial: 0.1, delta: 0.3, minimum: 0 }));
    expect([annealed.next(), annealed.next(), annealed.next()].map((b) => Number((b as number).toFixed(6)))).toEqual([
      0.1, 0.4, 0.7,
    ]);
    const rbm = new BoltzmannMachine([new BernoulliLayer(5), new BernoulliLayer(3)]);
    const fantasy = SequentialMC.generateFantasyState(rbm, 7, 5, { betaStd: 0.5 });
    expect(be.shape(fantasy.getVisible())).toEqual([7, 5]);
    expect((await be.read(fantasy.getVisible())).every((v) => v === 0 || v === 1)).toBe(true);
  });
});
