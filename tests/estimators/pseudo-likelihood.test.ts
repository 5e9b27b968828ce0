/**
 * The pseudo-likelihood against brute force on the host: p(v) of a tiny RBM from its energy
 * summed over every (v, h), then Σ_i ln p(v_i | v_−i) = Σ_i ln p(v) / (p(v) + p(v⁽ⁱ⁾)); the
 * random-site estimate averages to it.
 */
import { expect, it } from 'vitest';
import { be, setSeed } from '../../backends/index.js';
import { UnsupportedError } from '../../errors/index.js';
import { pseudoLogLikelihood } from '../../estimators/index.js';
import { type Assessment, PseudoLikelihood } from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer, OneHotLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, randomizeParams, values } from '../helpers/finite-differences.js';

const [V, H] = [5, 3];

/** Unnormalized p(v) = Σ_h exp(a·v + b·h + vᵀWh) for every v (indexed by its bits), on the host. */
function unnormalizedMarginals(a: Float64Array, b: Float64Array, W: Float64Array): number[] {
  return Array.from({ length: 2 ** V }, (_, code) => {
    const v = Array.from({ length: V }, (_, i) => (code >> i) & 1);
    let total = 0;
    for (let hCode = 0; hCode < 2 ** H; hCode++) {
      const h = Array.from({ length: H }, (_, j) => (hCode >> j) & 1);
      let exponent = 0;
      v.forEach((vi, i) => {
        exponent += (a[i] as number) * vi;
      });
      h.forEach((hj, j) => {
        exponent += (b[j] as number) * hj;
        v.forEach((vi, i) => {
          exponent += vi * (W[i * H + j] as number) * hj;
        });
      });
      total += Math.exp(exponent);
    }
    return total;
  });
}

describeOnBackends('pseudo-likelihood', () => {
  it('summed over every site, it equals the brute-force Σ ln p(v_i | v_−i); one random site per row averages to it', async () => {
    setSeed(7);
    const rbm = new BoltzmannMachine([new BernoulliLayer(V), new BernoulliLayer(H)]);
    for (const owner of [...rbm.layers, rbm.connections[0]?.weights as never]) randomizeParams(owner, 0.9);
    const p = unnormalizedMarginals(
      await values(be.clone(rbm.layer(0).param('loc'))),
      await values(be.clone(rbm.layer(1).param('loc'))),
      await values(be.clone(rbm.connections[0]?.weights.parameter as never)),
    );
    const codes = [0, 5, 19, 31];
    const expected = codes.map((code) =>
      Array.from({ length: V }, (_, i) =>
        Math.log((p[code] as number) / ((p[code] as number) + (p[code ^ (1 << i)] as number))),
      ).reduce((x, y) => x + y),
    );
    const rows = codes.flatMap((code) => Array.from({ length: V }, (_, i) => (code >> i) & 1));
    const visible = be.tensor(rows, [codes.length, V]);
    expectAllClose(await values(pseudoLogLikelihood(rbm, visible, { sites: 'all' })), expected, {
      absolute: 1e-4,
      relative: 1e-4,
    });
    // The random-site estimate, n · ln p(v_i | v_−i) at a uniform i, averaged over 4,000 draws per row.
    const repeats = 4000;
    const repeated = be.tensor(Array.from({ length: repeats }, () => rows).flat(), [repeats * codes.length, V]);
    const estimates = await values(pseudoLogLikelihood(rbm, repeated));
    codes.forEach((_, r) => {
      const draws = Array.from({ length: repeats }, (_, k) => estimates[k * codes.length + r] as number);
      const mean = draws.reduce((x, y) => x + y) / repeats;
      const sd = Math.sqrt(draws.reduce((x, y) => x + (y - mean) ** 2, 0) / (repeats - 1));
      expect(Math.abs(mean - (expected[r] as number))).toBeLessThan(4 * (sd / Math.sqrt(repeats)) + 1e-4);
    });
    be.dispose([visible, repeated]);
    rbm.dispose();
  });

  it('flips Bernoulli units through the layer: each site gives ln σ(F(v with unit i flipped) − F(v))', async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(V), new BernoulliLayer(H)]);
    for (const owner of [...rbm.layers, rbm.connections[0]?.weights as never]) randomizeParams(owner, 0.9);
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1], [3, V]);
    expect(rbm.layer(0).twoStateUnits).toBe(true);
    const sites = be.tensor([0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0], [3, V]);
    expect(Array.from(await values(rbm.layer(0).flipUnits(visible, sites)))).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1,
    ]);
    // The sum over sites, from the free energies of the rows flipped on the host.
    const freeEnergy = await values(rbm.marginalFreeEnergy(visible));
    const rows = await values(be.clone(visible));
    const expected = [0, 0, 0];
    for (let i = 0; i < V; i++) {
      const flipped = Array.from(rows, (x, k) => (k % V === i ? 1 - x : x));
      const flippedEnergy = await values(rbm.marginalFreeEnergy(be.tensor(flipped, [3, V])));
      expected.forEach((_, r) => {
        const d = (flippedEnergy[r] as number) - (freeEnergy[r] as number);
        expected[r] = (expected[r] as number) - Math.log1p(Math.exp(-d));
      });
    }
    expectAllClose(await values(pseudoLogLikelihood(rbm, visible, { sites: 'all' })), expected, {
      absolute: 1e-5,
      relative: 1e-5,
    });
    be.dispose([visible, sites]);
    rbm.dispose();
  });

  it('refuses visible layers without two-state units, naming the layer', () => {
    const visible = be.tensor([1, 0, 0, 0, 1, 0], [1, 6]);
    for (const [layer, name] of [
      [new OneHotLayer(6, { groupSize: 3 }), 'OneHotLayer(6'],
      [new GaussianLayer(6), 'GaussianLayer(6)'],
    ] as const) {
      expect(layer.twoStateUnits).toBe(false);
      expect(() => layer.flipUnits(visible, visible)).toThrow(UnsupportedError);
      const model = new BoltzmannMachine([layer, new BernoulliLayer(2)]);
      expect(() => pseudoLogLikelihood(model, visible)).toThrow(
        expect.objectContaining({ name: 'UnsupportedError', message: expect.stringContaining(name) }),
      );
      expect(() => pseudoLogLikelihood(model, visible)).toThrow(/two-state units/);
      model.dispose();
    }
    be.dispose(visible);
  });

  it('the PseudoLikelihood metric averages the random-site estimate over the data, NaN for other models', async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(V), new BernoulliLayer(H)], { weights: 'zeros' });
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 1, 1, 0, 1], [2, V]);
    const state = rbm.stateFromVisible(visible);
    const assessment: Assessment = { model: rbm, dataState: state, reconstructions: state, modelState: state };
    const metric = new PseudoLikelihood();
    metric.reset();
    await metric.update(assessment);
    // All parameters zero: every conditional is ½, so the estimate is n · ln ½ exactly.
    expect(metric.value()).toBeCloseTo(V * Math.log(0.5), 5);
    const gaussian = new BoltzmannMachine([new GaussianLayer(V), new BernoulliLayer(H)], { weights: 'zeros' });
    const gaussianState = gaussian.stateFromVisible(visible);
    metric.reset();
    await metric.update({
      model: gaussian,
      dataState: gaussianState,
      reconstructions: gaussianState,
      modelState: gaussianState,
    });
    expect(metric.value()).toBeNaN();
    expect(() => pseudoLogLikelihood(gaussian, visible)).toThrow(UnsupportedError);
    state.dispose();
    be.dispose(gaussianState.getLayer(1));
    rbm.dispose();
    gaussian.dispose();
  });
});
