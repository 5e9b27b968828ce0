/**
 * Every registered layer type — with its default options and with each example of each of its
 * options — held to the same checks, so that a new layer cannot go untested: its derivatives
 * against central finite differences of its energy, log partition function and TAP free
 * energy; ln Z, the means and the modes against exact enumeration (discrete units) or float64
 * quadrature (continuous units); what each capability flag promises; a β per sample; finite
 * values inside the support, also at extreme fields; no tensor left behind by any method; and a
 * save and load round trip. Draws against the distribution are in
 * `conformance.statistical.test.ts`. What a type lacks is skipped by its capability flag,
 * never by its name.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { UnsupportedError } from '../../errors/index.js';
import { BernoulliLayer, type Layer, layerTypes, type ParameterTensors } from '../../layers/index.js';
import { BoltzmannMachine, loadModel, saveModel } from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizeParams } from '../helpers/finite-differences.js';
import {
  layerCases,
  optionExamples,
  read64,
  referenceConditionals,
  scalar64 as scalar,
  UNITS,
  values64 as values,
} from './layer-cases.js';

const BATCH = 5;
const BETAS = [1, 0.7];

/** Tolerances and finite-difference steps of a backend: float64 is held to its own precision, float32 to its. */
function precision(label: string) {
  return label === 'float64'
    ? { step: 1e-4, derivative: { absolute: 1e-6, relative: 1e-6 }, exact: { absolute: 1e-6, relative: 1e-6 } }
    : { step: 1e-2, derivative: { absolute: 2e-3, relative: 2e-3 }, exact: { absolute: 1e-4, relative: 1e-4 } };
}

/** A random field (batch, numUnits), as a tensor and in float64. */
async function randomField(rows = BATCH): Promise<{ readonly field: Tensor; readonly host: Float64Array }> {
  const field = be.randomNormal([rows, UNITS]);
  return { field, host: await read64(field) };
}

/** Draws of the layer's own units: its exact conditional given a random field. */
function unitsOf(layer: Layer): Tensor {
  return be.tidy(() => layer.exactConditionalSample(be.randomNormal([BATCH, layer.numUnits])));
}

/** Each parameter's derivative, read to float64. */
async function read(derivatives: ParameterTensors, names: readonly string[]): Promise<Float64Array[]> {
  return Promise.all(names.map((name) => values(derivatives[name] as Tensor)));
}

/** Row b of a (batch, n) tensor, as (1, n). */
function row(t: Tensor, b: number): Tensor {
  return be.slice(t, [b, 0], [1, be.shape(t)[1] as number]);
}

it('every option of every layer type gives an example for the conformance tests', () => {
  for (const type of layerTypes()) {
    for (const { option, examples } of optionExamples(type)) {
      expect(examples.length, `${type}.${option}: .meta({ examples })`).toBeGreaterThan(0);
    }
  }
});

describeOnBackends('layer conformance', (label) => {
  const { step, derivative, exact } = precision(label);

  for (const { name, make } of layerCases()) {
    it(`${name}: derivatives of the energy with its coupling match finite differences, with or without row weights`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const units = unitsOf(layer);
      const { field } = await randomField();
      // E(θ) = mean_b [H(x_b) − r(x_b)·φ_b]: the part of the model energy that depends on the layer.
      const objective = () =>
        scalar(be.tidy(() => be.mean(be.sub(layer.energy(units), be.sum(be.mul(layer.rescale(units), field), 1)))));
      const analytic = await read(layer.derivatives(units, field), layer.paramNames);
      for (const [p, param] of layer.paramNames.entries()) {
        const numeric = await finiteDifferences(layer, param, objective, step);
        expectAllClose(analytic[p] as Float64Array, numeric, derivative, param);
      }
      // Row weights replace the plain mean by Σ_b w_b (the row's derivatives).
      const weights = [0.1, 0.2, 0.3, 0.4, 0];
      const weighted = await read(layer.derivatives(units, field, be.tensor(weights)), layer.paramNames);
      const rows = await Promise.all(
        weights.map((_, b) => read(layer.derivatives(row(units, b), row(field, b)), layer.paramNames)),
      );
      layer.paramNames.forEach((param, p) => {
        const expected = Array.from({ length: layer.numUnits }, (_, i) =>
          weights.reduce((sum, w, b) => sum + w * (rows[b]?.[p]?.[i] as number), 0),
        );
        expectAllClose(weighted[p] as Float64Array, expected, exact, `${param} weighted`);
      });
      if (!layer.derivativesUseField) {
        const without = await read(layer.derivatives(units, undefined), layer.paramNames);
        const withField = await read(layer.derivatives(units, field), layer.paramNames);
        expect(without).toEqual(withField);
      }
      be.dispose([units, field]);
      layer.dispose();
    });

    it(`${name}: conditionalDerivatives are −∂ ln Z(φ)/∂θ and ∂ ln Z/∂φ is β·E[r(x)]`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const { field, host } = await randomField();
      const meanLogZ = () => scalar(be.tidy(() => be.mean(layer.logPartition(field))));
      const analytic = await read(layer.conditionalDerivatives(field), layer.paramNames);
      for (const [p, param] of layer.paramNames.entries()) {
        const numeric = (await finiteDifferences(layer, param, meanLogZ, step)).map((v) => -v);
        expectAllClose(analytic[p] as Float64Array, numeric, derivative, param);
      }
      const weights = be.tensor([0, 0, 1, 0, 0]);
      const third = await read(layer.conditionalDerivatives(row(field, 2)), layer.paramNames);
      expect(await read(layer.conditionalDerivatives(field, weights), layer.paramNames)).toEqual(third);
      for (const beta of BETAS) {
        const numeric = new Float64Array(host.length);
        for (let i = 0; i < host.length; i++) {
          const at = (delta: number) => {
            const moved = Float64Array.from(host);
            moved[i] = (host[i] as number) + delta;
            return scalar(be.tidy(() => be.sum(layer.logPartition(be.tensor(moved, [BATCH, UNITS]), beta))));
          };
          numeric[i] = ((await at(step)) - (await at(-step))) / (2 * step);
        }
        const expected = await values(be.tidy(() => be.mul(layer.rescale(layer.conditionalMean(field, beta)), beta)));
        expectAllClose(expected, numeric, derivative, `beta ${beta}`);
      }
      be.dispose([field, weights]);
      layer.dispose();
    });

    it(`${name}: ln Z, the means and the modes equal enumeration or quadrature of the units' density`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const { field, host } = await randomField();
      for (const beta of BETAS) {
        const reference = await referenceConditionals(layer, host, beta);
        expectAllClose(await values(layer.logPartition(field, beta)), reference.logZ, exact, `ln Z at β ${beta}`);
        expectAllClose(await values(layer.conditionalMean(field, beta)), reference.mean, exact, `E[x] at β ${beta}`);
      }
      const mode = await values(layer.conditionalMode(field));
      const reference = await referenceConditionals(layer, host, 1);
      if (reference.states) {
        // The mode is a state of the largest weight: no state is more probable.
        const { values: states, count, probabilities } = reference.states;
        for (let b = 0; b < BATCH; b++) {
          const modeRow = Array.from(mode.subarray(b * UNITS, (b + 1) * UNITS));
          const s = Array.from({ length: count }, (_, k) => k).find((k) =>
            modeRow.every((x, i) => x === states[k * UNITS + i]),
          );
          expect(s, `mode of row ${b} is a state`).toBeDefined();
          const best = Math.max(...probabilities.subarray(b * count, (b + 1) * count));
          expect(probabilities[b * count + (s as number)]).toBeGreaterThanOrEqual(best * (1 - 1e-6));
        }
      } else {
        const gridModes = (reference.units ?? []).map((unit) => unit.mode);
        expectAllClose(mode, gridModes, { absolute: 1e-2, relative: 0 }, 'mode');
      }
      be.dispose(field);
      layer.dispose();
    });

    it(`${name}: the mean-field free energy at the conditional means is E[r(x)]·φ − ln Z, where the type has one`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const { field } = await randomField();
      const mean = layer.conditionalMean(field);
      let freeEnergy: Tensor;
      try {
        freeEnergy = layer.meanFieldFreeEnergy(mean);
      } catch (error) {
        expect(error).toBeInstanceOf(UnsupportedError);
        be.dispose([field, mean]);
        layer.dispose();
        return;
      }
      const expected = be.tidy(() => be.sub(be.sum(be.mul(layer.rescale(mean), field), 1), layer.logPartition(field)));
      expectAllClose(await values(freeEnergy), await values(expected), exact);
      be.dispose([field, mean]);
      layer.dispose();
    });

    it(`${name}: TAP derivatives match finite differences of its TAP free energy, where the type has TAP terms`, async () => {
      const layer = make();
      if (!layer.hasTapTerms) {
        expect(() => layer.tapStart(BATCH)).toThrow(UnsupportedError);
        layer.dispose();
        return;
      }
      randomizeParams(layer, 0.5);
      const magnetization = layer.tapStart(BATCH);
      const { field } = await randomField();
      const onsager = be.tidy(() => be.mul(be.abs(be.randomNormal([BATCH, UNITS])), 0.1));
      // Γ(θ) = mean_b [Γ_q − r(m)·φ − ½ c·Var r(x)]: the layer's share of the TAP free energy at fixed q.
      const objective = () =>
        scalar(
          be.tidy(() => {
            const coupling = be.sum(be.mul(layer.rescale(magnetization.mean), field), 1);
            const onsagerTerm = be.mul(
              be.sum(be.mul(layer.tapRescaledVariance(magnetization.variance), onsager), 1),
              0.5,
            );
            return be.mean(be.sub(be.sub(layer.tapFreeEnergy(magnetization), coupling), onsagerTerm));
          }),
        );
      const analytic = await read(layer.tapDerivatives(magnetization, field, onsager), layer.paramNames);
      for (const [p, param] of layer.paramNames.entries()) {
        const numeric = await finiteDifferences(layer, param, objective, step);
        expectAllClose(analytic[p] as Float64Array, numeric, derivative, param);
      }
      // With no Onsager term and no damping, the fixed point is the conditional mean.
      const updated = layer.tapUpdate(field, be.zeros([BATCH, UNITS]), magnetization, 1);
      expectAllClose(await values(updated.mean), await values(layer.conditionalMean(field)), exact, 'tapUpdate');
      be.dispose([field, onsager, magnetization.mean, magnetization.variance, updated.variance]);
      layer.dispose();
    });

    it(`${name}: draws lie in the support, on enumerated states where discrete`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const [lowest, highest] = layer.support;
      const { field } = await randomField();
      const states = layer.discrete ? await values(layer.enumerateStates()) : undefined;
      const keys = new Set(
        states &&
          Array.from({ length: states.length / UNITS }, (_, s) => states.subarray(s * UNITS, (s + 1) * UNITS).join()),
      );
      for (const draws of [
        layer.conditionalSample(field),
        layer.conditionalSample(field, 0.5),
        layer.exactConditionalSample(field, 0.5),
        layer.randomState(BATCH),
      ]) {
        const drawn = await values(draws);
        expect(Math.min(...drawn)).toBeGreaterThanOrEqual(lowest);
        expect(Math.max(...drawn)).toBeLessThanOrEqual(highest);
        if (states) {
          for (let b = 0; b < BATCH; b++) expect(keys).toContain(drawn.subarray(b * UNITS, (b + 1) * UNITS).join());
        }
      }
      be.dispose(field);
      layer.dispose();
    });

    it(`${name}: a β per sample gives each row what that β alone gives it`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const { field } = await randomField();
      const betas = [1, 0.5, 0.8, 1.3, 0.2];
      const perRow = be.tensor(betas, [BATCH, 1]);
      const logZ = await values(layer.logPartition(field, perRow));
      const mean = await values(layer.conditionalMean(field, perRow));
      for (const [b, beta] of betas.entries()) {
        expectAllClose(
          [logZ[b] as number],
          await values(layer.logPartition(row(field, b), beta)),
          exact,
          `ln Z row ${b}`,
        );
        expectAllClose(
          mean.subarray(b * UNITS, (b + 1) * UNITS),
          await values(layer.conditionalMean(row(field, b), beta)),
          exact,
          `E[x] row ${b}`,
        );
      }
      const drawn = await values(layer.exactConditionalSample(field, perRow));
      expect(drawn.every(Number.isFinite)).toBe(true);
      be.dispose([field, perRow]);
      layer.dispose();
    });

    it(`${name}: ln Z, means, modes and draws stay finite and in the support at extreme fields`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const [lowest, highest] = layer.support;
      const extremes = [-1e4, -300, -30, 30, 300, 1e4];
      const field = be.tensor(
        extremes.flatMap((value, b) => Array.from({ length: UNITS }, (_, i) => ((b + i) % 2 === 0 ? value : -value))),
        [extremes.length, UNITS],
      );
      for (const beta of BETAS) {
        expect((await values(layer.logPartition(field, beta))).every(Number.isFinite), `ln Z at β ${beta}`).toBe(true);
        for (const [what, t] of [
          ['E[x]', layer.conditionalMean(field, beta)],
          ['mode', layer.conditionalMode(field)],
          ['draw', layer.conditionalSample(field, beta)],
          ['exact draw', layer.exactConditionalSample(field, beta)],
        ] as const) {
          const drawn = await values(t);
          expect(drawn.every(Number.isFinite), `${what} at β ${beta}`).toBe(true);
          expect(Math.min(...drawn), `${what} at β ${beta}`).toBeGreaterThanOrEqual(lowest);
          expect(Math.max(...drawn), `${what} at β ${beta}`).toBeLessThanOrEqual(highest);
        }
      }
      be.dispose(field);
      layer.dispose();
    });

    it(`${name}: the capability flags hold (centering, two-state flips, annealing base)`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const units = unitsOf(layer);
      const drawn = await be.read(units);
      if (layer.centerable) {
        // r(x) = x and ∂E/∂loc = −x.
        expect(Array.from(await be.read(layer.rescale(units)))).toEqual(Array.from(drawn));
        const loc = await values(layer.derivatives(units, undefined).loc as Tensor);
        expectAllClose(loc, await values(be.neg(be.mean(units, 0))), exact, 'loc');
      }
      if (layer.twoStateUnits) {
        const sites = be.tensor(
          Array.from({ length: BATCH * UNITS }, (_, k) => (k % 3 === 0 ? 1 : 0)),
          [BATCH, UNITS],
        );
        const flipped = layer.flipUnits(units, sites);
        const [moved, marks] = [await be.read(flipped), await be.read(sites)];
        expect(Array.from(moved, (x, k) => x !== drawn[k])).toEqual(Array.from(marks, (mark) => mark === 1));
        expect(Array.from(await be.read(layer.flipUnits(flipped, sites)))).toEqual(Array.from(drawn));
        be.dispose([sites, flipped]);
      } else {
        expect(() => layer.flipUnits(units, units)).toThrow(UnsupportedError);
      }
      if (layer.annealable) {
        const base = layer.annealingBase();
        expect(base.toConfig()).toEqual({ ...layer.toConfig(), fixedParams: [], penalties: {}, constraints: {} });
        base.dispose();
      }
      be.dispose(units);
      layer.dispose();
    });

    it(`${name}: each method leaves only the tensors it returns`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const units = unitsOf(layer);
      const { field } = await randomField();
      const perRow = be.tensor([1, 0.5, 0.8, 1.3, 0.2], [BATCH, 1]);
      const calls: [string, () => Tensor[]][] = [
        ['energy', () => [layer.energy(units)]],
        ['rescale', () => [layer.rescale(units)]],
        ['derivatives', () => Object.values(layer.derivatives(units, field)) as Tensor[]],
        ['conditionalDerivatives', () => Object.values(layer.conditionalDerivatives(field)) as Tensor[]],
        ['randomState', () => [layer.randomState(BATCH)]],
      ];
      for (const beta of [1, 0.6, perRow]) {
        calls.push(
          ['conditionalMean', () => [layer.conditionalMean(field, beta)]],
          ['conditionalMode', () => [layer.conditionalMode(field, beta)]],
          ['conditionalSample', () => [layer.conditionalSample(field, beta)]],
          ['exactConditionalSample', () => [layer.exactConditionalSample(field, beta)]],
          ['logPartition', () => [layer.logPartition(field, beta)]],
        );
      }
      if (layer.discrete) calls.push(['enumerateStates', () => [layer.enumerateStates()]]);
      for (const [method, call] of calls) {
        const before = be.numTensors();
        const fresh = new Set(call().filter((t) => t !== units && t !== field));
        expect(be.numTensors() - before, method).toBe(fresh.size);
        be.dispose([...fresh]);
      }
      be.dispose([units, field, perRow]);
      layer.dispose();
    });

    it(`${name}: saves and loads with its options and parameters`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      layer.setFixedParams(layer.paramNames.slice(0, 1));
      const model = new BoltzmannMachine([layer, new BernoulliLayer(2)]);
      const directory = join(mkdtempSync(join(tmpdir(), 'relief-layer-')), 'model');
      await saveModel(model, directory);
      const loaded = (await loadModel(directory)).model;
      const restored = loaded.layer(0);
      expect(restored.toConfig()).toEqual(layer.toConfig());
      expect(restored.describe()).toBe(layer.describe());
      for (const param of layer.paramNames) {
        expect(Array.from(await be.read(restored.param(param))), param).toEqual(
          Array.from(await be.read(layer.param(param))),
        );
      }
      const { field } = await randomField();
      expectAllClose(await values(restored.logPartition(field)), await values(layer.logPartition(field)), exact);
      be.dispose(field);
      model.dispose();
      loaded.dispose();
    });
  }
});
