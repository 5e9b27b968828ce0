/**
 * The TAP free energy with Gaussian layers (Paysage's cumulants): its fixed points are
 * stationary in every mean and variance (finite differences), `tapGradient` is ∂Γ/∂θ at fixed
 * magnetizations (finite differences), Γ approaches −ln Z and the TAP gradient the exact
 * gradient as the couplings weaken (exact enumeration with the Gaussian layer integrated),
 * and TAP trains a Gaussian–Bernoulli RBM.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { inMemoryBatch } from '../../batch/index.js';
import { SGD, TAP } from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer, type Parametrized } from '../../layers/index.js';
import {
  BoltzmannMachine,
  exactGradient,
  exactLogLikelihood,
  exactLogPartition,
  Magnetizations,
  tapBreakdown,
  tapFreeEnergy,
  tapGibbsFreeEnergy,
  tapGradient,
  tapMagnetizations,
} from '../../namespaces/models.js';
import { GradientDescent } from '../../optimizers/index.js';
import { Constant } from '../../schedules/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizedModel, scalar, values } from '../helpers/finite-differences.js';
import { disposeGradient, meanFieldGradient } from '../helpers/mean-field-gradients.js';

/** A model with a Gaussian visible layer and Bernoulli layers above it, random parameters, couplings of scale `scale`. */
function gaussianModel(units: readonly number[], scale: number): BoltzmannMachine {
  const [visible = 1, ...hidden] = units;
  return randomizedModel([new GaussianLayer(visible), ...hidden.map((n) => new BernoulliLayer(n))], scale);
}

/** Host copies of each layer's means and variances. */
async function hostCopy(magnetizations: Magnetizations): Promise<{ means: Float64Array[]; variances: Float64Array[] }> {
  const read = (tensors: readonly Tensor[]) =>
    Promise.all(tensors.map(async (t) => Float64Array.from(await be.read(t))));
  return {
    means: await read(magnetizations.means),
    variances: await read(magnetizations.layers.map((m) => m.variance)),
  };
}

/** Γ summed over the particles at host magnetizations; a Bernoulli layer's variance follows its means (m − m²). */
async function gammaAt(model: BoltzmannMachine, means: Float64Array[], variances: Float64Array[]): Promise<number> {
  const particles = (means[0] as Float64Array).length / model.layer(0).numUnits;
  const tensors = model.layers.map((layer, i) => {
    const shape = [particles, layer.numUnits];
    const mean = means[i] as Float64Array;
    const variance = layer.discrete ? mean.map((m) => m - m * m) : (variances[i] as Float64Array);
    return [be.tensor(Float32Array.from(mean), shape), be.tensor(Float32Array.from(variance), shape)];
  });
  const magnetizations = new Magnetizations(tensors.map(([mean, variance]) => ({ mean, variance }) as never));
  const gamma = await scalar(be.sum(tapGibbsFreeEnergy(model, magnetizations)));
  magnetizations.dispose();
  return gamma;
}

/**
 * Fourth-order central differences of Γ in each element of `host` (a mean or variance array),
 * in place and restored: (−Γ(x+2h) + 8Γ(x+h) − 8Γ(x−h) + Γ(x−2h)) / 12h, whose truncation error
 * (h⁴) stays far below the tolerance at a step float32 can resolve.
 */
async function gammaSlopes(host: Float64Array, gamma: () => Promise<number>, step: number): Promise<number[]> {
  const slopes: number[] = [];
  for (let k = 0; k < host.length; k++) {
    const original = host[k] as number;
    const at = async (offset: number) => {
      host[k] = original + offset;
      return gamma();
    };
    const [up2, up, down, down2] = [await at(2 * step), await at(step), await at(-step), await at(-2 * step)];
    host[k] = original;
    slopes.push((-up2 + 8 * up - 8 * down + down2) / (12 * step));
  }
  return slopes;
}

describeOnBackends('TAP with Gaussian layers', () => {
  it('a fixed point is stationary: Γ is flat in every mean and every Gaussian variance', async () => {
    const model = gaussianModel([4, 3, 2], 0.4);
    const fixedPoint = tapMagnetizations(model, 3, 300);
    const { means, variances } = await hostCopy(fixedPoint);
    const gamma = () => gammaAt(model, means, variances);
    for (const [i, layer] of model.layers.entries()) {
      const slopes = await gammaSlopes(means[i] as Float64Array, gamma, 1e-2);
      expectAllClose(slopes, new Float64Array(slopes.length), { absolute: 2e-3, relative: 0 }, `∂Γ/∂μ ${i}`);
      if (!layer.discrete) {
        const varianceSlopes = await gammaSlopes(variances[i] as Float64Array, gamma, 1e-2);
        expectAllClose(varianceSlopes, new Float64Array(slopes.length), { absolute: 2e-3, relative: 0 }, `∂Γ/∂s ${i}`);
      }
    }
    fixedPoint.dispose();
    model.dispose();
  });

  it('tapGradient is ∂Γ/∂θ at fixed magnetizations for loc, logVar and every weight (finite differences)', async () => {
    // Couplings weak enough that every Onsager coefficient stays below σ² (no capped variance).
    const model = gaussianModel([3, 3, 2], 0.3);
    const magnetizations = tapMagnetizations(model, 4, 2);
    const gradient = tapGradient(model, magnetizations);
    const meanGamma = () => scalar(be.mean(tapGibbsFreeEnergy(model, magnetizations)));
    const owners: [Parametrized, Record<string, Tensor>][] = [
      ...model.layers.map((layer, i): [Parametrized, Record<string, Tensor>] => [layer, gradient.layers[i] as never]),
      ...model.connections.map(({ weights }, c): [Parametrized, Record<string, Tensor>] => [
        weights,
        gradient.weights[c] as never,
      ]),
    ];
    for (const [owner, derivatives] of owners) {
      for (const name of owner.paramNames) {
        expectAllClose(
          await values(be.clone(derivatives[name] as Tensor)),
          await finiteDifferences(owner, name, meanGamma),
          { absolute: 2e-3, relative: 2e-3 },
          `${owner.describe()}.${name}`,
        );
      }
    }
    disposeGradient(gradient);
    magnetizations.dispose();
    model.dispose();
  });

  it('Γ approaches −ln Z of a Gaussian–Bernoulli RBM and of a 3-layer DBM as the couplings weaken', async () => {
    for (const units of [
      [5, 3],
      [4, 3, 2],
    ]) {
      const errors: number[] = [];
      for (const scale of [0.4, 0.04]) {
        const model = gaussianModel(units, scale);
        const exact = -(await scalar(exactLogPartition(model)));
        errors.push(Math.abs((await scalar(tapFreeEnergy(model))) - exact));
        model.dispose();
      }
      const [strong, weak] = errors as [number, number];
      expect(weak, `${units}`).toBeLessThan(1e-4);
      expect(strong, `${units}`).toBeGreaterThan(10 * weak);
    }
  });

  it("TAP's gradient of a weakly coupled Gaussian–Bernoulli RBM is the exact gradient, logVar included", async () => {
    const model = gaussianModel([4, 3], 0.05);
    const visible = be.add(be.mul(be.randomNormal([8, 4]), 1.5), 0.3);
    const tap = new TAP({ particles: 4, iterations: 200 });
    const gradient = meanFieldGradient(model, visible, tap.method);
    const exact = exactGradient(model, visible);
    for (const [i, layer] of model.layers.entries()) {
      for (const name of layer.paramNames) {
        expectAllClose(
          await values(be.clone(gradient.layers[i]?.[name] as Tensor)),
          await values(be.clone(exact.layers[i]?.[name] as Tensor)),
          { absolute: 1e-3, relative: 1e-3 },
          `${layer.describe()}.${name}`,
        );
      }
    }
    expectAllClose(
      await values(be.clone(gradient.weights[0]?.matrix as Tensor)),
      await values(be.clone(exact.weights[0]?.matrix as Tensor)),
      { absolute: 1e-3, relative: 1e-3 },
      'matrix',
    );
    disposeGradient(gradient);
    disposeGradient(exact);
    tap.dispose();
    be.dispose(visible);
    model.dispose();
  });

  it('names the breakdown where a Gaussian layer’s Onsager coefficients reach σ², and only there', async () => {
    for (const [scale, broken] of [
      [0.05, false],
      [3, true],
    ] as const) {
      const model = gaussianModel([3, 4], scale);
      const magnetizations = tapMagnetizations(model, 3, 50);
      const reason = await tapBreakdown(model, magnetizations);
      if (broken) expect(reason).toMatch(/layer 0 \(GaussianLayer\(3\)\) has Onsager coefficients up to .* σ²/);
      else expect(reason).toBeUndefined();
      magnetizations.dispose();
      model.dispose();
    }
  });

  it('trains a Gaussian–Bernoulli RBM toward a teacher: the exact log-likelihood rises', async () => {
    const teacher = gaussianModel([6, 3], 1.2);
    const chains = teacher.markovChain(100, teacher.randomState(400));
    const samples = { values: Float32Array.from(await be.read(chains.getVisible())), rows: 400, columns: 6 };
    const data = be.tensor(samples.values, [400, 6]);
    chains.dispose();
    const student = new BoltzmannMachine([new GaussianLayer(6), new BernoulliLayer(3)]);
    const meanLogLikelihood = () => scalar(be.mean(exactLogLikelihood(student, data)));
    const before = await meanLogLikelihood();
    const tap = new TAP({ particles: 20, iterations: 20 });
    const batches = inMemoryBatch(samples, { batchSize: 40, trainFraction: 1, seed: 1 });
    await new SGD(student, batches).train(new GradientDescent({ stepsize: new Constant({ initial: 0.05 }) }), 30, {
      method: tap.method,
      monitor: null,
    });
    const after = await meanLogLikelihood();
    expect(after).toBeGreaterThan(before + 1);
    tap.dispose();
    be.dispose(data);
    teacher.dispose();
    student.dispose();
  });
});
