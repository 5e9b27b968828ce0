/**
 * The DBN log-likelihood bound (Salakhutdinov & Murray 2008) against its value and the exact
 * ln p(v) of a tiny DBN, both enumerated in float64 from the parameters by the formulas.
 */
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { ConfigError, ShapeError, UnsupportedError } from '../../errors/index.js';
import { estimateDbnLogLikelihood } from '../../estimators/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine, exactLogLikelihood } from '../../namespaces/models.js';
import * as supervised from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizeParams, scalar } from '../helpers/finite-differences.js';

function randomRBM(lower: BoltzmannMachine['layers'][number], upper: number, scale: number): BoltzmannMachine {
  const rbm = new BoltzmannMachine([lower, new BernoulliLayer(upper)]);
  for (const layer of rbm.layers) randomizeParams(layer, 0.5);
  randomizeParams(rbm.connections[0]?.weights as never, scale);
  return rbm;
}

/** A Bernoulli RBM's parameters in float64: W (lower, upper) row-major, biases a (lower) and b (upper). */
async function host(rbm: BoltzmannMachine) {
  const read = async (t: ReturnType<typeof be.zeros>) => Float64Array.from(await be.read(t));
  return {
    W: await read(rbm.connections[0]?.weights.param('matrix') as never),
    a: await read(rbm.layer(0).param('loc')),
    b: await read(rbm.layer(1).param('loc')),
    lower: rbm.layer(0).numUnits,
    upper: rbm.layer(1).numUnits,
  };
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const bits = (n: number, width: number) => Array.from({ length: width }, (_, i) => (n >> i) & 1);
const logSumExp = (xs: number[]) => {
  const peak = Math.max(...xs);
  return peak + Math.log(xs.reduce((a, x) => a + Math.exp(x - peak), 0));
};
type HostRBM = Awaited<ReturnType<typeof host>>;
/** ln p(x | y) of Bernoulli units x with biases `bias` and field `field(i)`. */
const logBernoulli = (x: number[], bias: Float64Array, field: (i: number) => number) =>
  x.reduce((total, xi, i) => {
    const eta = (bias[i] as number) + field(i);
    return total + xi * eta - softplus(eta);
  }, 0);
const down = (r: HostRBM, h: number[]) => (i: number) =>
  h.reduce((s, hj, j) => s + hj * (r.W[i * r.upper + j] as number), 0);
const up = (r: HostRBM, v: number[]) => (j: number) =>
  v.reduce((s, vi, i) => s + vi * (r.W[i * r.upper + j] as number), 0);
/** −F(x) of a Bernoulli RBM for its lower units x. */
const minusFreeEnergy = (r: HostRBM, x: number[]) =>
  x.reduce((s, xi, i) => s + xi * (r.a[i] as number), 0) +
  Array.from({ length: r.upper }, (_, j) => softplus((r.b[j] as number) + up(r, x)(j))).reduce((s, t) => s + t, 0);

describeOnBackends('DBN log-likelihood bound', () => {
  it('matches the enumerated Salakhutdinov–Murray bound, which lies below the exact ln p(v); importance weighting tightens it', async () => {
    const bottom = randomRBM(new BernoulliLayer(6), 4, 1);
    const top = randomRBM(new BernoulliLayer(4), 3, 1.5);
    const dbn = new supervised.DeepBeliefNetwork([bottom, top]);
    const data = be.bernoulli(be.fill([40, 6], 0.4));
    const rows = await be.read(data);
    const [r1, r2] = [await host(bottom), await host(top)];
    const states = Array.from({ length: 16 }, (_, n) => bits(n, 4));
    const logZTop = logSumExp(states.map((h) => minusFreeEnergy(r2, h)));
    let exact = 0;
    let bound = 0;
    for (let r = 0; r < 40; r++) {
      const v = Array.from(rows.subarray(r * 6, r * 6 + 6));
      const joint = states.map((h) => logBernoulli(v, r1.a, down(r1, h)) + minusFreeEnergy(r2, h) - logZTop);
      const logQ = states.map((h) => logBernoulli(h, r1.b, up(r1, v)));
      exact += logSumExp(joint) / 40;
      bound +=
        states.reduce((s, _, k) => s + Math.exp(logQ[k] as number) * ((joint[k] as number) - (logQ[k] as number)), 0) /
        40;
    }
    expect(bound).toBeLessThan(exact);
    const estimate = await estimateDbnLogLikelihood(dbn, data, { samples: 200, chains: 200, steps: 1000 });
    expect(Math.abs(estimate.logZ - logZTop)).toBeLessThan(3 * estimate.logZError + 0.01);
    const error = 3 * (estimate.samplingError + estimate.logZError) + 0.01;
    expect(Math.abs(estimate.logLikelihood - bound)).toBeLessThan(error);
    // Importance weighting (K draws per row) lies above the bound and, in expectation, below
    // ln p(v); its gap to ln p(v) shrinks like 1/K, so ten times the draws at least halve it
    // (or both sit within the estimates' errors of ln p(v)).
    expect(estimate.importanceWeighted).toBeGreaterThan(estimate.logLikelihood);
    expect(estimate.importanceWeighted).toBeLessThan(exact + 3 * estimate.logZError + 0.01);
    const tighter = await estimateDbnLogLikelihood(dbn, data, { samples: 2000, chains: 200, steps: 1000 });
    const noise = 3 * (estimate.logZError + tighter.logZError) + 0.01;
    expect(exact - tighter.importanceWeighted).toBeLessThan(Math.max((exact - estimate.importanceWeighted) / 2, noise));
    expect(tighter.importanceWeighted).toBeLessThan(exact + 3 * tighter.logZError + 0.01);
    be.dispose(data);
    dbn.dispose();
  });

  it('with one RBM it is that RBM’s log-likelihood, Gaussian visible units included', async () => {
    const rbm = randomRBM(new GaussianLayer(5), 4, 0.5);
    const data = be.randomNormal([30, 5]);
    const exact = await scalar(be.tidy(() => be.mean(exactLogLikelihood(rbm, data))));
    const estimate = await estimateDbnLogLikelihood(new supervised.DeepBeliefNetwork([rbm]), data, {
      samples: 2,
      chains: 200,
      steps: 1000,
    });
    expect(estimate.samplingError).toBe(0);
    expect(estimate.importanceWeighted).toBeCloseTo(estimate.logLikelihood, 10);
    expect(Math.abs(estimate.logLikelihood - exact)).toBeLessThan(3 * estimate.logZError + 0.01);
    be.dispose(data);
    rbm.dispose();
  });

  it('refuses bad data, bad options and ResidualDBNs with typed errors', async () => {
    expect(supervised.estimateDbnLogLikelihood).toBe(estimateDbnLogLikelihood);
    const dbn = new supervised.DeepBeliefNetwork([
      randomRBM(new BernoulliLayer(6), 4, 1),
      randomRBM(new BernoulliLayer(4), 3, 1),
    ]);
    const [wrong, right] = [be.zeros([3, 5]), be.zeros([3, 6])];
    await expect(estimateDbnLogLikelihood(dbn, wrong)).rejects.toThrow(ShapeError);
    await expect(estimateDbnLogLikelihood(dbn, wrong)).rejects.toThrow(/expected data \(rows ≥ 1, 6\), got \[3, 5\]/);
    await expect(estimateDbnLogLikelihood(dbn, right, { samples: 0 })).rejects.toThrow(ConfigError);
    await expect(estimateDbnLogLikelihood({ rbms: [] }, right)).rejects.toThrow('expected at least one RBM, got none');
    const residual = new supervised.DeepBeliefNetwork(dbn.rbms, { residual: {} });
    await expect(estimateDbnLogLikelihood(residual, right)).rejects.toThrow(UnsupportedError);
    be.dispose([wrong, right]);
    dbn.dispose();
  });
});
