/** The importance-weighted free energy of deep models against exact enumeration and the mean-field bound. */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { BernoulliLayer, GaussianLayer, type Layer, NReLULayer, OneHotLayer } from '../../layers/index.js';
import {
  estimateLogLikelihood,
  exactFreeEnergy,
  exactLogLikelihood,
  importanceWeightedFreeEnergy,
} from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizedModel, scalar, values } from '../helpers/finite-differences.js';

/** The mean of the (batch) tensor `make` returns. */
const meanOf = (make: () => Tensor) => scalar(be.tidy(() => be.mean(make())));

/** (rows, numVisible) binary rows with P(1) = 0.4. */
const binaryRows = (rows: number, columns: number) => be.bernoulli(be.fill([rows, columns], 0.4));

describeOnBackends('importance-weighted free energy', () => {
  it('is the exact free energy of an RBM', async () => {
    const model = randomizedModel([new BernoulliLayer(6), new BernoulliLayer(4)], 1);
    const data = binaryRows(10, 6);
    const weighted = await values(importanceWeightedFreeEnergy(model, data, { samples: 3 }));
    const exact = await values(exactFreeEnergy(model, data));
    weighted.forEach((f, i) => {
      expect(f).toBeCloseTo(exact[i] as number, 4);
    });
    be.dispose(data);
    model.dispose();
  });

  /**
   * Each case's layers and weight scale. The NReLU model is coupled weakly: strongly coupled, its
   * mean-field proposal has heavy tails and a few thousand draws can miss.
   */
  const deepCases: [string, () => Layer[], number][] = [
    ['Bernoulli 8-5-4', () => [new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1.2],
    ['Bernoulli 6-4-3-3 (two drawn layers)', () => [6, 4, 3, 3].map((n) => new BernoulliLayer(n)), 1.2],
    ['Gaussian visible, OneHot middle', () => [new GaussianLayer(4), new OneHotLayer(4), new BernoulliLayer(4)], 1.2],
    [
      'NReLU middle (drawn from its exact conditional, not the NReLU sampler: 0.015–0.1 off)',
      () => [new BernoulliLayer(6), new NReLULayer(3), new BernoulliLayer(4)],
      0.6,
    ],
  ];
  /** Independent estimates per row, and draws per estimate. */
  const [REPEATS, DRAWS] = [12, 1500];
  for (const [name, layers, scale] of deepCases) {
    it(`${name}: with many draws it reaches the exact free energy of every row, within five standard errors`, async () => {
      const model = randomizedModel(layers(), scale);
      const data =
        model.layer(0) instanceof GaussianLayer ? be.randomNormal([8, 4]) : binaryRows(8, model.layer(0).numUnits);
      // Each row repeated REPEATS times in one batch: independent estimates whose spread gives the error.
      const repeated = be.concat(
        Array.from({ length: REPEATS }, () => data),
        0,
      );
      const live = be.numTensors();
      const weighted = await values(importanceWeightedFreeEnergy(model, repeated, { samples: DRAWS }));
      expect(be.numTensors()).toBe(live);
      const exact = await values(exactFreeEnergy(model, data));
      exact.forEach((truth, row) => {
        const estimates = Array.from({ length: REPEATS }, (_, r) => weighted[r * exact.length + row] as number);
        const mean = estimates.reduce((a, b) => a + b, 0) / REPEATS;
        const variance = estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (REPEATS - 1);
        // 2e-3: float32 rounding of free energies of a few nats.
        expect(Math.abs(mean - truth), `row ${row}`).toBeLessThan(5 * Math.sqrt(variance / REPEATS) + 2e-3);
        expect(Math.sqrt(variance / REPEATS), `row ${row}: the estimate is not converging`).toBeLessThan(0.05);
      });
      be.dispose([data, repeated]);
      model.dispose();
    });
  }

  it('lies between the exact and the mean-field free energy in expectation, and tightens with more draws', async () => {
    const model = randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1.5);
    const data = binaryRows(400, 8);
    const exact = await meanOf(() => exactFreeEnergy(model, data));
    const meanField = await meanOf(() => model.marginalFreeEnergy(data));
    const one = await meanOf(() => importanceWeightedFreeEnergy(model, data, { samples: 1 }));
    const ten = await meanOf(() => importanceWeightedFreeEnergy(model, data, { samples: 10 }));
    expect(meanField - exact).toBeGreaterThan(0.05);
    expect(one).toBeLessThan(meanField);
    expect(ten).toBeLessThan(one);
    expect(ten).toBeGreaterThan(exact - 0.02);
    be.dispose(data);
    model.dispose();
  });

  it('estimateLogLikelihood reports the importance-weighted bound of a DBM beside the mean-field one', async () => {
    const model = randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1.5);
    const data = binaryRows(200, 8);
    const exact = await meanOf(() => exactLogLikelihood(model, data));
    const estimate = await estimateLogLikelihood(model, data, { chains: 200, steps: 1000, samples: 20 });
    const slack = 3 * estimate.logZError + 0.02;
    expect(estimate.importanceWeighted).toBeGreaterThan(estimate.logLikelihood);
    expect(estimate.importanceWeighted).toBeLessThan(exact + slack);
    const rbm = randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5)], 1);
    expect((await estimateLogLikelihood(rbm, data, { steps: 10 })).importanceWeighted).toBeUndefined();
    expect(() => importanceWeightedFreeEnergy(model, data, { samples: 0 })).toThrow(
      /samples: expected an integer ≥ 1, got 0/,
    );
    be.dispose(data);
    model.dispose();
    rbm.dispose();
  });
});
