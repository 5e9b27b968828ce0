import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { ConfigError, DataError, ShapeError } from '../../errors/index.js';
import { BernoulliLayer, GaussianLayer, MOMENT_SHRINKAGE } from '../../layers/index.js';
import { BoltzmannMachine, type InitializationMethod, initializeModel } from '../../models/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, values } from '../helpers/finite-differences.js';

function std(xs: ArrayLike<number>): number {
  const a = Array.from(xs);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
}

/** Binary data whose column j is on with probability (j + 1) / (n + 1). */
function binaryData(rows: number, n: number): Tensor {
  const probabilities = be.tensor(Array.from({ length: n }, (_, j) => (j + 1) / (n + 1)));
  return be.tidy(() => be.bernoulli(be.add(be.zeros([rows, n]), probabilities)));
}

describeOnBackends('initialize', () => {
  it('hinton: visible biases are the logits of the shrunk data means; weights N(0, 0.01²)', async () => {
    const model = new BoltzmannMachine([new BernoulliLayer(20), new BernoulliLayer(30)]);
    const data = binaryData(400, 20);
    await initializeModel(model, data, 'hinton');
    const mean = await values(be.mean(data, 0));
    const expected = Array.from(mean, (m) => {
      const p = (1 - MOMENT_SHRINKAGE) * m + MOMENT_SHRINKAGE / 2;
      return Math.log(p / (1 - p));
    });
    expectAllClose(await values(model.layer(0).param('loc')), expected, { absolute: 1e-4 });
    expect(std(await be.read(model.connections[0]?.weights.parameter as Tensor))).toBeCloseTo(0.01, 2);
    expectAllClose(await values(model.layer(1).param('loc')), new Array(30).fill(0), { absolute: 0 });
  });

  it('glorotNormal and stddev scale the weights by √(2/(n+m)) (and by each visible std)', async () => {
    const model = new BoltzmannMachine([new GaussianLayer(40), new BernoulliLayer(60), new BernoulliLayer(20)]);
    const scales = Array.from({ length: 40 }, (_, j) => (j < 20 ? 0.5 : 3));
    const data = be.tidy(() => be.mul(be.randomNormal([2000, 40]), be.tensor(scales)));
    await initializeModel(model, data, 'glorotNormal');
    expect(std(await be.read(model.connections[0]?.weights.parameter as Tensor)) / Math.sqrt(2 / 100)).toBeCloseTo(
      1,
      1,
    );
    expect(std(await be.read(model.connections[1]?.weights.parameter as Tensor)) / Math.sqrt(2 / 80)).toBeCloseTo(1, 1);
    const variance = await values(be.variance(data, 0));
    const expectedLogVar = Array.from(variance, (v) => Math.log((1 - MOMENT_SHRINKAGE) * v + MOMENT_SHRINKAGE));
    expectAllClose(await values(model.layer(0).param('logVar')), expectedLogVar, { absolute: 1e-4 });
    expectAllClose(await values(model.layer(0).param('loc')), await values(be.mean(data, 0)), { absolute: 1e-4 });

    await initializeModel(model, data, 'stddev');
    const weights = await be.read(model.connections[0]?.weights.parameter as Tensor);
    const narrow = std(weights.subarray(0, 20 * 60));
    const wide = std(weights.subarray(20 * 60));
    expect(wide / narrow).toBeCloseTo(6, 0);
    expect(narrow / (0.5 * Math.sqrt(2 / 100))).toBeCloseTo(1, 1);
  });

  it('pca: the weights point along the top principal directions, scaled by their deviations', async () => {
    // Data with variance 16, 9, 4 along three random orthonormal directions, little elsewhere.
    const n = 12;
    const basis = await values(be.randomNormal([n, n]));
    const directions: number[][] = [];
    for (let c = 0; c < 3; c++) {
      let d = Array.from({ length: n }, (_, i) => basis[i * n + c] as number);
      for (const p of directions) {
        const dot = d.reduce((a, x, i) => a + x * (p[i] as number), 0);
        d = d.map((x, i) => x - dot * (p[i] as number));
      }
      const norm = Math.sqrt(d.reduce((a, x) => a + x * x, 0));
      directions.push(d.map((x) => x / norm));
    }
    const rows = 4000;
    const z = await values(be.randomNormal([rows, 4]));
    const noise = await values(be.randomNormal([rows, n]));
    const dataValues = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        let x = 0.05 * (noise[r * n + i] as number) + 1;
        for (const [c, s] of [4, 3, 2].entries()) x += s * (z[r * 4 + c] as number) * (directions[c]?.[i] as number);
        dataValues[r * n + i] = x;
      }
    }
    const model = new BoltzmannMachine([new GaussianLayer(n), new BernoulliLayer(3)]);
    await initializeModel(model, be.tensor(dataValues, [rows, n]), 'pca');
    const w = await be.read(model.connections[0]?.weights.parameter as Tensor);
    const column = (c: number) => Array.from({ length: n }, (_, i) => w[i * 3 + c] as number);
    const norms = [0, 1, 2].map((c) => Math.sqrt(column(c).reduce((a, x) => a + x * x, 0)));
    [0, 1, 2].forEach((c) => {
      const cosine = column(c).reduce((a, x, i) => a + x * (directions[c]?.[i] as number), 0) / (norms[c] as number);
      expect(Math.abs(cosine)).toBeGreaterThan(0.99);
    });
    // Column norms follow the deviations 4 : 3 : 2, scaled by glorot · √n / ‖(4, 3, 2)‖.
    const scale = (Math.sqrt(2 / (n + 3)) * Math.sqrt(n)) / Math.sqrt(29);
    expectAllClose(norms, [4 * scale, 3 * scale, 2 * scale], { absolute: 0, relative: 0.05 });
  });

  it('takes batches from an iterable or async iterable with the same result as one tensor', async () => {
    const data = binaryData(300, 8);
    const parts = [be.slice(data, [0, 0], [100, 8]), be.slice(data, [100, 0], [200, 8])];
    const locs: Float64Array[] = [];
    for (const source of [
      data,
      parts,
      (async function* () {
        yield* parts;
      })(),
    ]) {
      const model = new BoltzmannMachine([new BernoulliLayer(8), new BernoulliLayer(2)]);
      await initializeModel(model, source, 'hinton');
      locs.push(await values(model.layer(0).param('loc')));
    }
    expectAllClose(locs[1] as Float64Array, locs[0] as Float64Array, { absolute: 1e-5 });
    expectAllClose(locs[2] as Float64Array, locs[0] as Float64Array, { absolute: 1e-5 });
  });

  it('refuses bad methods, NaN data, wrong widths and an impossible pca', async () => {
    const model = new BoltzmannMachine([new BernoulliLayer(3), new BernoulliLayer(5)]);
    await expect(initializeModel(model, be.zeros([2, 3]), 'xavier' as InitializationMethod)).rejects.toThrow(
      ConfigError,
    );
    await expect(initializeModel(model, be.tensor([0, 1, 0, 1, Number.NaN, 0], [2, 3]))).rejects.toThrow(DataError);
    await expect(initializeModel(model, be.tensor([0, 1, 0, 1, Number.NaN, 0], [2, 3]))).rejects.toThrow(
      /data row 1, column 1 is NaN/,
    );
    await expect(initializeModel(model, be.zeros([2, 4]))).rejects.toThrow(ShapeError);
    await expect(initializeModel(model, be.zeros([0, 3]))).rejects.toThrow(/the data has no samples/);
    await expect(initializeModel(model, be.zeros([4, 3]), 'pca')).rejects.toThrow(
      /pca needs at least as many visible \(3\) as hidden units \(5\)/,
    );
  });
});
