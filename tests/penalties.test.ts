import { expect, it } from 'vitest';
import { be } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { inverseAndLogDet, symmetricEigenvalues } from '../linalg/index.js';
import {
  expL2,
  l1,
  l1AdaptiveDecay,
  l2,
  l2Norm,
  lasso,
  logDet,
  logNorm,
  logPenalty,
  penaltyConfig,
  penaltyFromConfig,
  ridge,
} from '../penalties/index.js';
import { describeOnBackends } from './helpers/backends.js';
import { expectAllClose, scalar, values } from './helpers/finite-differences.js';

describeOnBackends('penalties', () => {
  const x = [0.5, -1.5, 2, 0.25];

  it("give Paysage's values: l2 = c/2 Σx², l1 = c Σ|x|, log = −c Σ ln x", async () => {
    const t = be.tensor(x);
    expect(await scalar(l2(0.2).value(t))).toBeCloseTo(0.1 * x.reduce((a, v) => a + v * v, 0), 6);
    expect(await scalar(l1(0.2).value(t))).toBeCloseTo(0.2 * x.reduce((a, v) => a + Math.abs(v), 0), 6);
    const positive = be.tensor([0.5, 1.5, 2]);
    expect(await scalar(logPenalty(0.3).value(positive))).toBeCloseTo(-0.3 * Math.log(0.5 * 1.5 * 2), 6);
    expect(ridge).toBe(l2);
    expect(lasso).toBe(l1);
  });

  it('gradients match finite differences of the values', async () => {
    for (const [penalty, point] of [
      [l2(0.7), x],
      [l1(0.7), x],
      [logPenalty(0.7), [0.5, 1.5, 2, 0.25]],
    ] as const) {
      const analytic = await values(penalty.gradient(be.tensor(point)));
      const numeric = await Promise.all(
        point.map(async (_, i) => {
          const at = (d: number) => scalar(penalty.value(be.tensor(point.map((v, k) => (k === i ? v + d : v)))));
          return ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
        }),
      );
      expectAllClose(analytic, numeric, { absolute: 1e-3, relative: 1e-3 }, penalty.type);
    }
  });

  it("Paysage's column penalties on a (3, 2) matrix: values from the formulas, gradients by finite differences", async () => {
    const w = [0.5, -1.5, 2, 0.25, -0.75, 1];
    const columns = [
      [0.5, 2, -0.75],
      [-1.5, 0.25, 1],
    ];
    const norm = (c: number[]) => Math.sqrt(c.reduce((a, v) => a + v * v, 0));
    const dot = (columns[0] as number[]).reduce((a, v, i) => a + v * ((columns[1] as number[])[i] as number), 0);
    const expected: [ReturnType<typeof expL2>, number][] = [
      [expL2(0.3), 0.15 * w.reduce((a, v) => a + Math.exp(2 * v), 0)],
      [l1AdaptiveDecay(0.3), 0.15 * columns.reduce((a, c) => a + c.reduce((b, v) => b + Math.abs(v), 0) ** 2, 0)],
      [logNorm(0.3), -0.15 * columns.reduce((a, c) => a + Math.log(norm(c) ** 2), 0)],
      [l2Norm(0.3, 1.2), 0.15 * columns.reduce((a, c) => a + (norm(c) - 1.2) ** 2, 0)],
      [logDet(0.3), -0.3 * Math.log(norm(columns[0] as number[]) ** 2 * norm(columns[1] as number[]) ** 2 - dot ** 2)],
    ];
    for (const [penalty, value] of expected) {
      expect(await scalar(penalty.value(be.tensor(w, [3, 2]))), penalty.type).toBeCloseTo(value, 5);
      const analytic = await values(penalty.gradient(be.tensor(w, [3, 2])));
      const numeric = await Promise.all(
        w.map(async (_, i) => {
          const at = (d: number) =>
            scalar(
              penalty.value(
                be.tensor(
                  w.map((v, k) => (k === i ? v + d : v)),
                  [3, 2],
                ),
              ),
            );
          return ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
        }),
      );
      expectAllClose(analytic, numeric, { absolute: 2e-3, relative: 2e-3 }, penalty.type);
    }
    expect(penaltyConfig(penaltyFromConfig({ type: 'l2Norm', coefficient: 0.1, target: 2 }, 'p'))).toEqual({
      type: 'l2Norm',
      coefficient: 0.1,
      target: 2,
    });
    expect(() => penaltyFromConfig({ type: 'l1', coefficient: 0.1, target: 2 }, 'p')).toThrow(
      "target applies only to type 'l2Norm'",
    );
  });

  it('Gauss–Jordan gives the inverse and log-determinant of a positive definite matrix; logDet refuses wide matrices', async () => {
    const m = 12;
    const w = be.randomNormal([30, m]);
    const gram = be.matmul(w, w, { transposeA: true });
    const { inverse, logDet: logDeterminant } = inverseAndLogDet(gram);
    const identity = Float64Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0));
    expectAllClose(await values(be.matmul(gram, inverse)), identity, { absolute: 1e-4, relative: 0 });
    const eigenvalues = symmetricEigenvalues(Float64Array.from(await be.read(gram)), m);
    const expected = Array.from(eigenvalues).reduce((a, lambda) => a + Math.log(lambda), 0);
    expect(await scalar(logDeterminant)).toBeCloseTo(expected, 3);
    be.dispose([w, gram, inverse]);
    const wide = be.randomNormal([2, 3]);
    expect(() => logDet(0.1).gradient(wide)).toThrow(
      'logDet penalty: expected a matrix with at least as many rows as columns (WᵀW is singular otherwise), got [2, 3]',
    );
    be.dispose(wide);
  });

  it('configs round-trip and bad ones name the field', () => {
    expect(penaltyFromConfig({ type: 'l1', coefficient: 0.01 }, 'p').coefficient).toBe(0.01);
    expect(() => penaltyFromConfig({ type: 'l3', coefficient: 1 }, 'model.penalties.W')).toThrow(
      `model.penalties.W.type: expected one of 'l1', 'l2', 'log', 'expL2', 'l1AdaptiveDecay', 'logNorm', 'l2Norm', 'logDet', got "l3"`,
    );
    expect(() => penaltyFromConfig({ type: 'constructor', coefficient: 1 }, 'p')).toThrow(ConfigError);
    expect(() => penaltyFromConfig({ type: 'l2' }, 'p')).toThrow('p.coefficient: required: expected a number');
    expect(() => l2(-1)).toThrow('l2 penalty: coefficient: expected a non-negative number, got -1');
  });
});
