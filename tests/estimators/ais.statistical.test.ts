/**
 * AIS against exact ln Z: on tiny models whose states can be enumerated, the estimate of ln Z
 * lies within its reported error of the exact value.
 */
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import {
  BernoulliLayer,
  ContinuousBernoulliLayer,
  GaussianLayer,
  type Layer,
  NReLULayer,
  OneHotLayer,
  ReLULayer,
} from '../../layers/index.js';
import {
  annealedImportanceSampling,
  annealingSchedule,
  BoltzmannMachine,
  estimateLogLikelihood,
  exactLogLikelihood,
  exactLogPartition,
  reverseAnnealedImportanceSampling,
} from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizedModel, randomizeParams, scalar } from '../helpers/finite-differences.js';

function makeModel(hidden: Layer, weightScale: number): BoltzmannMachine {
  const model = new BoltzmannMachine([new BernoulliLayer(10), hidden]);
  randomizeParams(model.layer(0), 0.5);
  if (hidden.fixedParams.length === 0) randomizeParams(hidden, 0.5);
  randomizeParams(model.connections[0]?.weights as never, weightScale);
  return model;
}

/** Rows drawn from the model's exact visible marginal (by enumeration and inverse CDF). @returns (count, numVisible) */
async function exactVisibleSamples(model: BoltzmannMachine, count: number) {
  const states = model.layer(0).enumerateStates();
  const logProbability = exactLogLikelihood(model, states);
  const probabilities = await be.read(be.exp(logProbability));
  const uniforms = await be.read(be.randomUniform([count]));
  const rows = Array.from(uniforms, (u) => {
    let total = 0;
    const index = probabilities.findIndex((p) => {
      total += p;
      return total > u;
    });
    return index < 0 ? probabilities.length - 1 : index;
  });
  const samples = be.gather(states, rows);
  be.dispose([states, logProbability]);
  return samples;
}

describeOnBackends('annealed importance sampling', () => {
  const cases: [string, () => BoltzmannMachine][] = [
    ['a Bernoulli RBM with strong couplings', () => makeModel(new BernoulliLayer(6), 1.2)],
    ['a Bernoulli–OneHot RBM', () => makeModel(new OneHotLayer(5), 1)],
    [
      'a Hopfield model (fixed Gaussian hidden units)',
      () => {
        const hidden = new GaussianLayer(3);
        hidden.setFixedParams(['loc', 'logVar']);
        return makeModel(hidden, 0.5);
      },
    ],
    ['a Bernoulli–ReLU RBM (truncated Gaussian hidden units)', () => makeModel(new ReLULayer(4), 1)],
    [
      'a continuous-Bernoulli-visible RBM (units on [0, 1])',
      () => {
        const model = new BoltzmannMachine([new ContinuousBernoulliLayer(8), new BernoulliLayer(6)]);
        for (const layer of model.layers) randomizeParams(layer, 1);
        randomizeParams(model.connections[0]?.weights as never, 1.5);
        return model;
      },
    ],
    [
      'a OneHot-visible RBM (the annealing path of a OneHot layer)',
      () => {
        const model = new BoltzmannMachine([new OneHotLayer(7), new BernoulliLayer(5)]);
        randomizeParams(model.layer(0), 1);
        randomizeParams(model.layer(1), 0.5);
        randomizeParams(model.connections[0]?.weights as never, 1.5);
        return model;
      },
    ],
    [
      'a Gaussian–Bernoulli RBM with learned variances (the Gaussian layer summed out)',
      () => randomizedModel([new GaussianLayer(6), new BernoulliLayer(5)], 0.6),
    ],
    ['a ReLU-visible RBM', () => randomizedModel([new ReLULayer(5), new BernoulliLayer(6)], 0.6)],
    [
      'a three-layer DBM',
      () => randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1),
    ],
    [
      'a four-layer DBM with a OneHot top',
      () =>
        randomizedModel([new BernoulliLayer(6), new BernoulliLayer(4), new BernoulliLayer(5), new OneHotLayer(3)], 1),
    ],
    [
      'a Gaussian-visible DBM (visible and top layers summed out)',
      () => randomizedModel([new GaussianLayer(5), new BernoulliLayer(6), new BernoulliLayer(3)], 0.5),
    ],
  ];
  for (const [name, make] of cases) {
    it(`ln Z of ${name} is within three standard errors of the exact value`, async () => {
      const model = make();
      const exact = await scalar(exactLogPartition(model));
      const estimate = await annealedImportanceSampling(model, { chains: 200, steps: 1000 });
      expect(estimate.logZError).toBeLessThan(0.05);
      expect(Math.abs(estimate.logZ - exact)).toBeLessThan(3 * estimate.logZError + 0.01);
    });
  }

  /** Each case's model and the slack (nats) allowed beyond three standard errors. */
  const reverseCases: [string, () => BoltzmannMachine, number][] = [
    ['an RBM', () => makeModel(new BernoulliLayer(6), 1.2), 0.01],
    ['an NReLU-hidden RBM (the posterior drawn exactly)', () => makeModel(new NReLULayer(4), 1), 0.01],
    [
      'a DBM (its hidden layers from clamped sweeps)',
      () => randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1),
      0.02,
    ],
  ];
  for (const [name, make, slack] of reverseCases) {
    it(`reverse AIS of ${name} from exact samples of its visible layer is within three standard errors of the exact ln Z`, async () => {
      const model = make();
      const exact = await scalar(exactLogPartition(model));
      const samples = await exactVisibleSamples(model, 300);
      const estimate = await reverseAnnealedImportanceSampling(model, samples, { chains: 300, steps: 1000 });
      expect(estimate.logZError).toBeLessThan(0.05);
      expect(Math.abs(estimate.logZ - exact)).toBeLessThan(3 * estimate.logZError + slack);
      be.dispose(samples);
      model.dispose();
    });
  }

  it('the log-likelihood of a DBM is a lower bound: below the exact value by the mean-field gap', async () => {
    const model = randomizedModel([new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)], 1);
    const data = await exactVisibleSamples(model, 200);
    const exact = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
    const meanField = await scalar(be.tidy(() => be.mean(model.marginalFreeEnergy(data))));
    const exactLogZ = await scalar(exactLogPartition(model));
    const estimate = await estimateLogLikelihood(model, data, { chains: 200, steps: 1000 });
    expect(Math.abs(estimate.logLikelihood - (-meanField - exactLogZ))).toBeLessThan(3 * estimate.logZError + 0.02);
    expect(estimate.logLikelihood).toBeLessThan(exact);
    expect(estimate.logLikelihood).toBeGreaterThan(exact - 1);
    be.dispose(data);
    model.dispose();
  });

  it('estimates the log-likelihood of real-valued data under a Gaussian–Bernoulli RBM', async () => {
    const model = randomizedModel([new GaussianLayer(6), new BernoulliLayer(5)], 0.6);
    const data = be.randomNormal([100, 6]);
    const exact = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
    for (const method of ['ais', 'reverse-ais'] as const) {
      const estimate = await estimateLogLikelihood(model, data, { method, chains: 200, steps: 1000 });
      expect(Math.abs(estimate.logLikelihood - exact)).toBeLessThan(3 * estimate.logZError + 0.02);
    }
    be.dispose(data);
    model.dispose();
  });

  it('AIS and reverse AIS from data bracket the exact log-likelihood of a model that fits the data poorly', async () => {
    const model = makeModel(new BernoulliLayer(6), 1);
    const data = be.bernoulli(be.fill([100, 10], 0.3));
    const exact = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
    // The visible path, whose base is fitted to the data the reverse chains start from.
    const options = { chains: 100, steps: 300, path: 'visible' } as const;
    const forward = await estimateLogLikelihood(model, data, { method: 'ais', ...options });
    const reverse = await estimateLogLikelihood(model, data, { method: 'reverse-ais', ...options });
    expect(reverse.logLikelihood).toBeLessThan(exact + 3 * reverse.logZError);
    expect(forward.logLikelihood).toBeGreaterThan(exact - 3 * forward.logZError - 0.01);
    expect(reverse.logLikelihood).toBeLessThan(forward.logLikelihood);
    await expect(reverseAnnealedImportanceSampling(model, be.zeros([4, 3]))).rejects.toThrow(
      /expected data \(rows ≥ 1, 10\), got \[4, 3\]/,
    );
    be.dispose(data);
    model.dispose();
  });

  it('reverse AIS from rows that are not model samples, annealed too briefly to converge, still overestimates ln Z on each path (RAISE)', async () => {
    // Strong couplings and 10 steps: the per-row weights are far from converged, the regime
    // where the log of the mean weight falls below the exact ln Z and the mean log must not.
    for (const weightScale of [2, 3]) {
      const model = makeModel(new BernoulliLayer(6), weightScale);
      const exact = await scalar(exactLogPartition(model));
      const data = be.bernoulli(be.fill([200, 10], 0.3));
      for (const path of ['visible', 'hidden'] as const) {
        const estimate = await reverseAnnealedImportanceSampling(model, data, { chains: 200, steps: 10, path });
        expect(estimate.logZ).toBeGreaterThan(exact - 2 * estimate.logZError);
      }
      be.dispose(data);
      model.dispose();
    }
  });

  it('estimates the mean log-likelihood of data, with a base model fitted to it', async () => {
    const model = makeModel(new BernoulliLayer(6), 1);
    const data = be.bernoulli(be.fill([50, 10], 0.3));
    const exact = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
    const estimate = await estimateLogLikelihood(model, data, { method: 'ais', chains: 200, steps: 1000 });
    expect(Math.abs(estimate.logLikelihood - exact)).toBeLessThan(3 * estimate.logZError + 0.01);
  });

  it('anneals densely near β = 1', () => {
    const betas = annealingSchedule(145);
    expect([betas[0], betas.at(-1), betas.length]).toEqual([0, 1, 146]);
    expect(betas.filter((b) => b >= 0.9).length).toBeGreaterThan(betas.filter((b) => b < 0.5).length * 10);
    expect(() => annealingSchedule(2)).toThrow(/AIS steps: expected an integer ≥ 3, got 2/);
  });
});

describeOnBackends('annealed importance sampling of softmax groups', () => {
  it('ln Z of RBMs with softmax groups of 3, hidden (summed out) and visible (annealed), is within three standard errors of the exact value', async () => {
    const visibleGroups = new BoltzmannMachine([new OneHotLayer(6, { groupSize: 3 }), new BernoulliLayer(5)]);
    for (const owner of [...visibleGroups.layers, visibleGroups.connections[0]?.weights as never]) {
      randomizeParams(owner, 1);
    }
    for (const model of [makeModel(new OneHotLayer(6, { groupSize: 3 }), 1), visibleGroups]) {
      const exact = await scalar(exactLogPartition(model));
      const estimate = await annealedImportanceSampling(model, { chains: 200, steps: 1000 });
      expect(estimate.logZError).toBeLessThan(0.05);
      expect(Math.abs(estimate.logZ - exact)).toBeLessThan(3 * estimate.logZError + 0.01);
      model.dispose();
    }
  });
});

describeOnBackends('annealing paths', () => {
  const cases: [string, () => Layer[]][] = [
    ['RBM 10-6', () => [new BernoulliLayer(10), new BernoulliLayer(6)]],
    ['DBM 8-5-4', () => [new BernoulliLayer(8), new BernoulliLayer(5), new BernoulliLayer(4)]],
    ['OneHot-visible RBM', () => [new OneHotLayer(6, { groupSize: 3 }), new ReLULayer(4)]],
    [
      'Bernoulli–NReLU RBM (AIS draws the exact truncated Gaussians, not the NReLU sampler)',
      () => [new BernoulliLayer(8), new NReLULayer(4)],
    ],
  ];
  for (const [name, layers] of cases) {
    it(`${name}: the visible and the hidden path each land within three standard errors of the exact ln Z, with and without data for their bases`, async () => {
      const model = randomizedModel(layers(), 1);
      const exact = await scalar(exactLogPartition(model));
      const data = model.layer(0).randomState(50);
      for (const path of ['visible', 'hidden'] as const) {
        for (const options of [{}, { data }]) {
          const estimate = await annealedImportanceSampling(model, { chains: 200, steps: 1000, path, ...options });
          expect(estimate.path).toBe(path);
          expect(Object.keys(estimate.logZByPath)).toEqual([path]);
          expect(Math.abs(estimate.logZ - exact)).toBeLessThan(3 * estimate.logZError + 0.02);
        }
      }
      be.dispose(data);
      model.dispose();
    });
  }

  it('both paths: AIS keeps the larger ln Ẑ and reverse AIS the smaller, each reporting both', async () => {
    const model = randomizedModel([new BernoulliLayer(10), new BernoulliLayer(6)], 1.5);
    const data = be.bernoulli(be.fill([100, 10], 0.3));
    const forward = await annealedImportanceSampling(model, { chains: 20, steps: 30 });
    const reverse = await reverseAnnealedImportanceSampling(model, data, { chains: 20, steps: 30 });
    const { visible, hidden } = forward.logZByPath;
    expect(forward.logZ).toBe(Math.max(visible as number, hidden as number));
    expect(forward.path).toBe((visible as number) > (hidden as number) ? 'visible' : 'hidden');
    expect(reverse.logZ).toBe(Math.min(reverse.logZByPath.visible as number, reverse.logZByPath.hidden as number));
    be.dispose(data);
    model.dispose();
  });

  it('refuses the visible path of a visible layer that cannot anneal, and an unknown path', async () => {
    const model = randomizedModel([new GaussianLayer(4), new BernoulliLayer(3)], 0.5);
    const estimate = await annealedImportanceSampling(model, { chains: 10, steps: 10 });
    expect([estimate.path, Object.keys(estimate.logZByPath)]).toEqual(['hidden', ['hidden']]);
    await expect(annealedImportanceSampling(model, { path: 'visible' })).rejects.toThrow(
      /path 'visible' needs a visible layer with an annealing path; GaussianLayer\(4\) is summed out, so use 'hidden'/,
    );
    await expect(annealedImportanceSampling(model, { path: 'hiden' as never })).rejects.toThrow(
      /path: expected one of 'both', 'visible', 'hidden', got "hiden"; did you mean 'hidden'\?/,
    );
    model.dispose();
  });
});
