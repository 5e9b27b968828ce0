import { describe, expect, it, vi } from 'vitest';
import { be, checkMemory, current, formatBytes } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { buildModel, parseRunConfig } from '../../config/index.js';
import { MemoryBudgetError } from '../../errors/index.js';
import { annealedImportanceSampling } from '../../estimators/index.js';
import { SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { ADAM, GradientDescent } from '../../optimizers/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { describeOnBackends } from '../helpers/backends.js';

const limits = { maxTensorBytes: 1000, totalBytes: 4000, backend: 'test', bytesPerElement: 4 };

describe('checkMemory', () => {
  it('names the tensor, its shape and bytes against the per-tensor and total limits', () => {
    expect(() => checkMemory([{ what: 'W', shape: [10, 25] }], limits, 'here', 'fix it')).not.toThrow();
    expect(() => checkMemory([{ what: 'W', shape: [10, 26] }], limits, 'here', 'fix it')).toThrow(
      'here: W of shape [10, 26] needs 1.0 kB, more than the 1.0 kB one tensor can hold on the test backend; fix it',
    );
    const four = Array.from({ length: 5 }, (_, i) => ({ what: `t${i}`, shape: [250] }));
    expect(() => checkMemory(four, limits, 'here', 'fix it')).toThrow(/t0, t1, t2, t3, t4 need 5\.0 kB together/);
    expect(formatBytes(313_600_000_000)).toBe('313.6 GB');
  });
});

describeOnBackends('memory budgets before allocation', () => {
  it('a layer of 100 000 000 hidden units under 784 visible ones is refused before any tensor is made', () => {
    const config = parseRunConfig({
      model: {
        layers: [
          { type: 'bernoulli', units: 784 },
          { type: 'bernoulli', units: 100_000_000 },
        ],
      },
    });
    const before = be.numTensors();
    let error: unknown;
    try {
      buildModel(config).dispose();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MemoryBudgetError);
    expect((error as Error).message).toMatch(
      /^BoltzmannMachine: connections\.0\.W between layers\[0\] \(784 units\) and layers\[1\] \(100000000 units\) of shape \[784, 100000000\] needs 313\.6 GB|needs 627\.2 GB/,
    );
    expect((error as Error).message).toContain('use fewer units in these layers');
    expect(be.numTensors()).toBe(before);
  });

  it('a layer too large for one tensor, chains, AIS chains, a minibatch and a training run that cannot fit', async () => {
    expect(() => new BernoulliLayer(2 ** 40)).toThrow(MemoryBudgetError);
    expect(() => new BernoulliLayer(2 ** 40)).toThrow(
      /BernoulliLayer\(1099511627776\)\.loc of shape \[1099511627776\]/,
    );
    const model = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(100_000)]);
    expect(() => SequentialMC.fromModel(model, 10_000_000)).toThrow(/SequentialMC\.fromModel: .*use fewer chains/);
    await expect(annealedImportanceSampling(model, { chains: 10_000_000, steps: 10 })).rejects.toThrow(
      MemoryBudgetError,
    );
    const data = { rows: 10, columns: 4, values: new Float32Array(40) };
    expect(() => new InMemoryBatch({ rows: 40, columns: 1, values: data.values }, { batchSize: 2 ** 40 })).toThrow(
      /smaller batchSize/,
    );
    const batches = new InMemoryBatch(data, { batchSize: 5 });
    await expect(
      new SGD(model, batches).train(new ADAM(), 1, { negativePhaseBatchSize: 10_000_000, monitor: null }),
    ).rejects.toThrow(/SGD\.train: .*use a smaller batchSize \(or negativePhaseBatchSize\)/);
    model.dispose();
  });

  it("a training run plans as many optimizer moments as its optimizer keeps: 0 for gradient descent, ADAM's 2", async () => {
    const model = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(3)]);
    const batches = new InMemoryBatch({ rows: 10, columns: 4, values: new Float32Array(40) }, { batchSize: 5 });
    const bytes = (planned: readonly { readonly shape: readonly number[] }[]) =>
      planned.reduce((total, { shape }) => total + shape.reduce((a, b) => a * b, 1), 0) * be.bytesPerElement;
    const parameters = bytes(model.parameterTensors('parameter'));
    const states = 3 * bytes(model.stateTensors(5, 'state'));
    // Parameters, gradients and the states fit with half a set of moments to spare: not ADAM's two sets.
    const totalBytes = 2 * parameters + states + parameters / 2;
    const limits = vi.spyOn(current(), 'memoryLimits').mockReturnValue({ maxTensorBytes: totalBytes, totalBytes });
    try {
      await expect(new SGD(model, batches).train(new GradientDescent(), 1, { monitor: null })).resolves.toBeDefined();
      await expect(new SGD(model, batches).train(new ADAM(), 1, { monitor: null })).rejects.toThrow(
        /SGD\.train: .*optimizer moments of.* need .* together/,
      );
    } finally {
      limits.mockRestore();
      model.dispose();
    }
  });
});
