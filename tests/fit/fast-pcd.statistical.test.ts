/**
 * Fast PCD (Tieleman & Hinton 2009) trains like PCD: on 3×3 bars and stripes it raises the
 * exact log-likelihood of a 9-16 RBM to within 1 nat of the optimum, as PCD-5 does in
 * training.statistical.test.ts with the same settings (5 sweeps, ADAM at 0.005, 200 epochs):
 * −3.31 (cpu) and −3.43 (float64) against PCD-5's −3.40 and −3.53, the optimum −ln 14 ≈ −2.64.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { fastPcd, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, exactLogLikelihood, initializeModel } from '../../namespaces/models.js';
import { ADAM } from '../../optimizers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { BARS_AND_STRIPES_OPTIMUM, barsAndStripes } from '../helpers/bars-and-stripes.js';
import { scalar } from '../helpers/finite-differences.js';

async function meanLogLikelihood(model: BoltzmannMachine, data: Tensor): Promise<number> {
  return scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
}

describeOnBackends('fast PCD training', () => {
  it('fast PCD raises the exact log-likelihood on bars and stripes to within 1 nat of the optimum', async () => {
    const data = barsAndStripes(20);
    const all = be.tensor(data.values, [data.rows, 9]);
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(16)]);
    await initializeModel(rbm, all, 'hinton');
    const before = await meanLogLikelihood(rbm, all);
    const method = fastPcd({ fastRate: 0.01, decay: 19 / 20 });
    const batches = new InMemoryBatch(data, { batchSize: 20, trainFraction: 1, seed: 1 });
    await new SGD(rbm, batches).train(new ADAM({ stepsize: 0.005 }), 200, { method, mcsteps: 5, monitor: null });
    const after = await meanLogLikelihood(rbm, all);
    method.persistent?.release();
    be.dispose(all);
    rbm.dispose();
    expect(before).toBeLessThan(-6);
    expect(after).toBeGreaterThan(BARS_AND_STRIPES_OPTIMUM - 1);
  });
});
