/** Metrics on cases with known answers. */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import {
  type Assessment,
  EnergyCoefficient,
  EnergyDistance,
  FrechetScore,
  HeatCapacity,
  JensenShannonDivergence,
  KLDivergence,
  type Metric,
  metricsByName,
  ReconstructionError,
  ReconstructionSSIM,
  ReverseKLDivergence,
  structuralSimilarity,
  symmetricEigenvalues,
  TAPFreeEnergy,
  TAPLogLikelihood,
  WeightSparsity,
  WeightSquare,
} from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer, ReLULayer } from '../../layers/index.js';
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

/** Points given to Paysage's JensenShannonDivergence for a reference value (float32). */
const PAYSAGE_X = [
  [0.0, 1.0],
  [0.9635581970214844, 0.7648422122001648],
  [0.5155013799667358, 0.1699671447277069],
  [-0.6877661347389221, -0.5048460960388184],
  [-0.8834546804428101, -0.9422223567962646],
  [0.21511998772621155, -0.9364566802978516],
  [0.9985433220863342, -0.4902608096599579],
  [0.3190983533859253, 0.18651236593723297],
  [-0.8278264403343201, 0.7755658626556396],
  [-0.7619835734367371, 0.9998586177825928],
  [0.4201670289039612, 0.7539022564888],
  [0.9867719411849976, 0.1533738672733307],
];
const PAYSAGE_Y = [
  [0.5, 1.5],
  [1.2833268642425537, 0.680394172668457],
  [1.4738476276397705, -0.8827517032623291],
  [0.9273799061775208, -1.4812196493148804],
  [0.057479556649923325, -0.4609993100166321],
  [-0.4775301218032837, 1.0630046129226685],
  [-0.2727644741535187, 1.4253488779067993],
  [0.5168138742446899, 0.23006078600883484],
  [1.2936679124832153, -1.216639518737793],
  [1.469889760017395, -1.3337867259979248],
  [0.9121184945106506, 0.0066385469399392605],
  [0.042464107275009155, 1.3398091793060303],
  [-0.4809362292289734, 1.208825945854187],
  [-0.26198357343673706, -0.24317166209220886],
  [0.5336230397224426, -1.4294294118881226],
];

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

  it("the Jensen–Shannon estimate equals Paysage's on the same samples, is near 0 for one distribution and ln 2 for disjoint ones", async () => {
    // Paysage's JensenShannonDivergence(k=3)._js(x, y) on these points (its python backend): 0.029308432422789132.
    const x = be.tensor(PAYSAGE_X.flat(), [PAYSAGE_X.length, 2]);
    const y = be.tensor(PAYSAGE_Y.flat(), [PAYSAGE_Y.length, 2]);
    expect(await measure(new JensenShannonDivergence(3), assessment(model, x, x, y))).toBeCloseTo(
      0.029308432422789132,
      5,
    );
    const [a, b] = [be.randomNormal([300, 2]), be.randomNormal([300, 2])];
    expect(Math.abs(await measure(new JensenShannonDivergence(), assessment(model, a, a, b)))).toBeLessThan(0.05);
    const far = assessment(model, a, a, be.add(b, 1000));
    expect(await measure(new JensenShannonDivergence(), far)).toBeCloseTo(Math.LN2, 3);
  });

  it("SSIM equals scikit-image's structural_similarity (data_range 1) on the same images", () => {
    // Values from scikit-image 0.19.3: structural_similarity(a, b, data_range=1.0), and (a, c).
    const [height, width] = [10, 12];
    const index = Array.from({ length: height * width }, (_, i) => i);
    const a = index.map((i) => (Math.sin(i * 0.7) + 1) / 2);
    const b = index.map((i) => ((Math.sin(i * 0.7 + 0.4) + 1) / 2) * 0.8 + 0.1 * ((i % 5) / 4));
    const c = index.map((i) => ((i * 37) % 11) / 10);
    expect(structuralSimilarity(a, b, height, width)).toBeCloseTo(0.880188692263884, 10);
    expect(structuralSimilarity(a, c, height, width)).toBeCloseTo(0.03204994552919211, 10);
    expect(structuralSimilarity(a, a, height, width)).toBeCloseTo(1, 12);
    expect(() => structuralSimilarity(a, b, 5, 24)).toThrow(/at least 7 × 7/);
  });

  it('the SSIM metric averages each reconstruction against its image, and wants image-shaped units', async () => {
    const images = be.tensor(
      Array.from({ length: 2 * 64 }, (_, i) => (i % 3) / 2),
      [2, 64],
    );
    const ssim = new ReconstructionSSIM();
    expect(await measure(ssim, assessment(model, images, images, images))).toBeCloseTo(1, 6);
    const notSquare = be.zeros([2, 60]);
    await expect(measure(ssim, assessment(model, notSquare, notSquare, notSquare))).rejects.toThrow(
      "the visible layer's 60 units are not a square image; give { height, width }",
    );
    expect(metricsByName(['ReconstructionSSIM', 'PseudoLikelihood']).map((m) => m.name)).toEqual([
      'ReconstructionSSIM',
      'PseudoLikelihood',
    ]);
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
    const withoutTapTerms = new BoltzmannMachine([new ReLULayer(3), new BernoulliLayer(2)]);
    const zeros = be.zeros([2, 3]);
    expect(await measure(new TAPFreeEnergy(), assessment(withoutTapTerms, zeros, zeros, zeros))).toBeNaN();
    withoutTapTerms.dispose();
  });

  it('symmetric eigenvalues by Jacobi rotations', () => {
    const eigenvalues = Array.from(symmetricEigenvalues(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3)).sort();
    for (const [i, v] of eigenvalues.entries()) expect(v).toBeCloseTo([1, 3, 5][i] as number, 10);
  });
});
