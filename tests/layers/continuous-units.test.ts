/**
 * The continuous unit types beyond the Gaussian — rectified linear units as truncated
 * Gaussians (and their NReLU sampler) and continuous Bernoulli units on [0, 1] — against
 * float64 numerical integration of their densities: log partition functions and means from
 * the deep lower tail to the saturated upper one, and samples by a Kolmogorov–Smirnov test
 * against the distribution function.
 */
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { ContinuousBernoulliLayer, type Layer, NReLULayer, ReLULayer } from '../../layers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, values } from '../helpers/finite-differences.js';
import { type Density, integrate, kolmogorovSmirnov, ksBound } from './integration.js';

/** A one-unit layer's log partition, mean and samples at field φ and β, read back. */
async function oneUnit(layer: Layer, field: number, beta: number, draws: number) {
  const phi = be.tensor([field], [1, 1]);
  const logZ = (await values(layer.logPartition(phi, beta)))[0] as number;
  const mean = (await values(layer.conditionalMean(phi, beta)))[0] as number;
  const samples = await values(layer.conditionalSample(be.fill([draws, 1], field), beta));
  be.dispose(phi);
  return { logZ, mean, samples };
}

function reluLayer(loc: number, variance: number, make = () => new ReLULayer(1)): ReLULayer {
  const layer = make();
  layer.setParam('loc', be.tensor([loc]));
  layer.setParam('logVar', be.tensor([Math.log(variance)]));
  return layer;
}

const DRAWS = 20_000;

describeOnBackends('continuous unit types', () => {
  // (loc, σ², φ, β): mostly above zero, at zero, in the lower tail (μ/s = −6 and −40), at β < 1.
  const reluCases = [
    [0.5, 1, 0.3, 1],
    [0, 0.5, 0, 1],
    [-2, 0.25, -1, 1],
    [-1, 0.01, -3, 1],
    [1, 2, -0.5, 0.4],
  ] as const;
  for (const [loc, variance, phi, beta] of reluCases) {
    it(`ReLULayer (m ${loc}, σ² ${variance}, φ ${phi}, β ${beta}): ln Z, E[x] and samples match integration`, async () => {
      const layer = reluLayer(loc, variance);
      const mu = loc + phi;
      const s = Math.sqrt(variance / beta);
      const density: Density = {
        logDensity: (x) => -beta * ((x - loc) ** 2 / (2 * variance) - (x * phi) / variance),
        from: 0,
        // Below zero the density decays like exp(−|μ|x/s²).
        to: mu > -s ? Math.max(mu, 0) + 12 * s : Math.min(12 * s, (30 * s * s) / -mu),
      };
      const { logZ, mean, samples } = await oneUnit(layer, phi, beta, DRAWS);
      const reference = integrate(density);
      expect(logZ).toBeCloseTo(reference.logZ, 3);
      expectAllClose([mean], [reference.mean], { absolute: 1e-4 * s, relative: 1e-3 });
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(kolmogorovSmirnov(samples, reference.cdf)).toBeLessThan(ksBound(DRAWS));
      layer.dispose();
    });
  }

  it('ReLULayer: ln Z, means and samples stay finite for extreme fields, and the KS test has power', async () => {
    const layer = reluLayer(0, 1);
    const field = be.tensor([-1e4, -300, 0, 300, 1e4], [1, 5]);
    const wide = be.tidy(() => be.add(be.zeros([4, 5]), field));
    for (const t of [layer.logPartition(wide), layer.conditionalMean(wide), layer.conditionalSample(wide)]) {
      expect((await values(t)).every(Number.isFinite)).toBe(true);
    }
    // E[x] for μ = −300: the tail's mean s²/|μ| ≈ 1/300.
    const mean = await values(layer.conditionalMean(field));
    expectAllClose([mean[1] as number], [1 / 300], { absolute: 0, relative: 1e-3 });
    // An untruncated normal's positive part fails the test the truncated sampler passes.
    const samples = await values(be.tidy(() => be.maximum(be.randomNormal([DRAWS]), 0)));
    const reference = integrate({ logDensity: (x) => -(x ** 2) / 2, from: 0, to: 12 });
    expect(kolmogorovSmirnov(samples, reference.cdf)).toBeGreaterThan(10 * ksBound(DRAWS));
    be.dispose([field, wide]);
    layer.dispose();
  });

  it('NReLULayer draws max(0, η + N(0, σ(η))) in units of s, and shares the truncated Gaussian free energy', async () => {
    const [loc, variance, phi] = [0.2, 4, 0.3];
    const layer = reluLayer(loc, variance, () => new NReLULayer(1));
    const s = Math.sqrt(variance);
    const eta = (loc + phi) / s;
    const noiseVariance = 1 / (1 + Math.exp(-eta));
    const expected = integrate({
      logDensity: (y) => -((y - eta) ** 2) / (2 * noiseVariance),
      from: -15,
      to: 15,
    });
    // E[max(0, Y)] = E[Y; Y > 0]: the mean of Y restricted to y > 0 times its mass.
    const positive = integrate({ logDensity: (y) => -((y - eta) ** 2) / (2 * noiseVariance), from: 0, to: 15 });
    const expectedMean = s * positive.mean * Math.exp(positive.logZ - expected.logZ);
    const { logZ, samples } = await oneUnit(layer, phi, 1, DRAWS);
    const sampleMean = samples.reduce((a, b) => a + b, 0) / DRAWS;
    expect(Math.abs(sampleMean - expectedMean)).toBeLessThan(5 * s * Math.sqrt(noiseVariance / DRAWS));
    const relu = reluLayer(loc, variance);
    expect(logZ).toBeCloseTo((await oneUnit(relu, phi, 1, 1)).logZ, 6);
    layer.dispose();
    relu.dispose();
  });

  // η = β(a + φ) from the saturated ends through the series region around 0.
  const rates = [-80, -7, -0.3, -0.05, 1e-6, 0.02, 0.19, 2.5, 60];
  for (const eta of rates) {
    it(`ContinuousBernoulliLayer (η ${eta}): ln Z, E[x] and samples match integration on [0, 1]`, async () => {
      const layer = new ContinuousBernoulliLayer(1);
      layer.setParam('loc', be.tensor([eta / 2]));
      const density: Density = { logDensity: (x) => eta * x, from: 0, to: 1 };
      const { logZ, mean, samples } = await oneUnit(layer, eta / 4, 4 / 3, DRAWS);
      const reference = integrate(density);
      expectAllClose([logZ, mean], [reference.logZ, reference.mean], { absolute: 2e-5, relative: 2e-5 });
      const cdf = (x: number) => (Math.abs(eta) < 1e-9 ? x : Math.expm1(eta * x) / Math.expm1(eta));
      expect(kolmogorovSmirnov(samples, cdf)).toBeLessThan(ksBound(DRAWS));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(1);
      layer.dispose();
    });
  }

  it('ContinuousBernoulliLayer: initialization from moments reproduces the data mean with no field', async () => {
    const layer = new ContinuousBernoulliLayer(4);
    const mean = Float64Array.from([0.02, 0.3, 0.5, 0.97]);
    layer.initializeFromMoments(mean);
    const fitted = await values(layer.conditionalMean(be.zeros([1, 4])));
    const shrunk = Array.from(mean, (m) => 0.99 * m + 0.005);
    expectAllClose(fitted, shrunk, { absolute: 1e-5 });
    layer.dispose();
  });
});
