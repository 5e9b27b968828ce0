/** Metrics on cases with known answers. */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import {
  type Assessment,
  EnergyCoefficient,
  EnergyDistance,
  FrechetScore,
  HeatCapacity,
  KLDivergence,
  type Metric,
  ReconstructionError,
  ReverseKLDivergence,
  symmetricEigenvalues,
  TAPFreeEnergy,
  TAPLogLikelihood,
  WeightSparsity,
  WeightSquare,
} from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine, exactLogLikelihood, exactLogPartition, State } from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';

function assessment(model: BoltzmannMachine, data: Tensor, reconstruction: Tensor, fantasy: Tensor): Assessment {
  const hidden = be.zeros([be.shape(data)[0] as number, model.layer(1).numUnits]);
  const fantasyHidden = be.zeros([be.shape(fantasy)[0] as number, model.layer(1).numUnits]);
  return {
    model,
    dataState: new State([data, hidden]),
    reconstructions: new State([reconstruction, hidden]),
    modelState: new State([fantasy, fantasyHidden]),
  };
}

async function measure(metric: Metric, a: Assessment): Promise<number> {
  metric.reset();
  await metric.update(a);
  return metric.value();
}

describeOnBackends('metrics', () => {
  const model = new BoltzmannMachine([new GaussianLayer(3), new BernoulliLayer(2)]);

  it('reconstruction error is 0 for perfect reconstructions and the RMS error over the data variance otherwise', async () => {
    const data = be.tensor([0, 1, 2, 3, 4, 5], [2, 3]);
    expect(await measure(new ReconstructionError(), assessment(model, data, data, data))).toBe(0);
    const shifted = be.add(data, 1);
    const variance = 35 / 12; // of 0…5
    expect(await measure(new ReconstructionError(), assessment(model, data, shifted, data))).toBeCloseTo(
      Math.sqrt(1 / (variance + 1e-6)),
      5,
    );
  });

  it('energy distance and coefficient vanish for identical samples and grow with a shift', async () => {
    const data = be.randomNormal([200, 3]);
    const same = assessment(model, data, data, data);
    expect(await measure(new EnergyDistance(), same)).toBeCloseTo(0, 4);
    expect(await measure(new EnergyCoefficient(), same)).toBeCloseTo(0, 2);
    const far = assessment(model, data, data, be.add(data, 5));
    expect(await measure(new EnergyDistance(), far)).toBeGreaterThan(5);
    expect(await measure(new EnergyCoefficient(), far)).toBeGreaterThan(0.8);
  });

  it('the Fréchet score is ‖Δμ‖² for equal covariances, and 0 for identical samples', async () => {
    const data = be.randomNormal([150, 3]);
    expect(await measure(new FrechetScore(), assessment(model, data, data, data))).toBeCloseTo(0, 3);
    const shifted = be.add(data, be.tensor([1, 2, 0]));
    expect(await measure(new FrechetScore(), assessment(model, data, data, shifted))).toBeCloseTo(5, 3);
  });

  it('nearest-neighbour KL estimates are near 0 for one distribution and large for distinct ones', async () => {
    const [x, y] = [be.randomNormal([300, 2]), be.randomNormal([300, 2])];
    const same = assessment(model, x, x, y);
    expect(Math.abs(await measure(new KLDivergence(), same))).toBeLessThan(0.2);
    expect(Math.abs(await measure(new ReverseKLDivergence(), same))).toBeLessThan(0.2);
    const far = assessment(model, x, x, be.add(be.mul(y, 0.2), 4));
    expect(await measure(new KLDivergence(), far)).toBeGreaterThan(1);
    expect(await measure(new ReverseKLDivergence(), far)).toBeGreaterThan(1);
  });

  it('weight square, weight sparsity and heat capacity follow their formulas', async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(2), new BernoulliLayer(2)]);
    rbm.connections[0]?.weights.setParam('matrix', be.tensor([1, 0, 1, 2], [2, 2]));
    const data = be.zeros([4, 2]);
    const a = assessment(rbm, data, data, data);
    expect(await measure(new WeightSquare(), a)).toBeCloseTo(3, 6); // (1 + 0 + 1 + 4) / 2
    // column 1: (1+1)²/(1+1) = 2; column 2: (0+4)²/(0+16) = 1; (2 + 1) / 4
    expect(await measure(new WeightSparsity(), a)).toBeCloseTo(0.75, 6);
    const states = be.tensor([0, 0, 1, 1, 1, 0, 0, 1], [4, 2]);
    const hot = { ...a, modelState: new State([states, states]) };
    const energies = Array.from(await be.read(rbm.jointEnergy(hot.modelState))).map((e) => e / 8 ** 0.25); // 8 parameters
    const mean = energies.reduce((s, e) => s + e, 0) / 4;
    const variance = energies.reduce((s, e) => s + (e - mean) ** 2, 0) / 4;
    expect(await measure(new HeatCapacity(), hot)).toBeCloseTo(variance, 6);
  });

  it('TAP free energy and log-likelihood match −ln Z and the exact log-likelihood for weak couplings', async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(6), new BernoulliLayer(4)]);
    rbm.connections[0]?.weights.setParam('matrix', be.mul(be.randomNormal([6, 4]), 0.05));
    rbm.layer(0).setParam('loc', be.mul(be.randomNormal([6]), 0.5));
    const data = be.bernoulli(be.fill([20, 6], 0.4));
    const a = assessment(rbm, data, data, data);
    const logZ = await be.readScalar(exactLogPartition(rbm));
    expect(await measure(new TAPFreeEnergy(), a)).toBeCloseTo(-logZ, 4);
    const exact = await be.readScalar(be.mean(exactLogLikelihood(rbm, data)));
    expect(await measure(new TAPLogLikelihood(), a)).toBeCloseTo(exact, 4);
    expect(
      await measure(new TAPFreeEnergy(), assessment(model, be.zeros([2, 3]), be.zeros([2, 3]), be.zeros([2, 3]))),
    ).toBeNaN();
  });

  it('symmetric eigenvalues by Jacobi rotations', () => {
    const eigenvalues = Array.from(symmetricEigenvalues(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3)).sort();
    for (const [i, v] of eigenvalues.entries()) expect(v).toBeCloseTo([1, 3, 5][i] as number, 10);
  });
});
