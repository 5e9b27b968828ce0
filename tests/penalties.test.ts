import { expect, it } from 'vitest';
import { be } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { l1, l2, lasso, logPenalty, penaltyFromConfig, ridge } from '../penalties/index.js';
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

  it('configs round-trip and bad ones name the field', () => {
    expect(penaltyFromConfig({ type: 'l1', coefficient: 0.01 }, 'p').coefficient).toBe(0.01);
    expect(() => penaltyFromConfig({ type: 'l3', coefficient: 1 }, 'model.penalties.W')).toThrow(
      `model.penalties.W.type: expected one of 'l1', 'l2', 'log', got "l3"`,
    );
    expect(() => penaltyFromConfig({ type: 'constructor', coefficient: 1 }, 'p')).toThrow(ConfigError);
    expect(() => penaltyFromConfig({ type: 'l2' }, 'p')).toThrow('p.coefficient: required: expected a number');
    expect(() => l2(-1)).toThrow('l2 penalty: coefficient: expected a non-negative number, got -1');
  });
});
