// Runs in a browser page: trains a small RBM on bars and stripes on the cpu backend, on the
// native webgpu backend (drawing the host's random stream) and on tfjs-webgpu from the same
// seed, and publishes what happened on window.reliefResult.
import { backends, batch, fit, layers, models, optimizers } from '../../index.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

async function train(start: () => Promise<unknown>) {
  await start();
  backends.setSeed(3);
  const { be } = backends;
  const data = barsAndStripes(10);
  const all = be.tensor(data.values, [data.rows, 9]);
  const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(9), new layers.BernoulliLayer(8)]);
  await models.initializeModel(rbm, all, 'hinton');
  const before = await be.readScalar(be.mean(models.exactLogLikelihood(rbm, all)));
  const batches = new batch.InMemoryBatch(data, { batchSize: 20, trainFraction: 1, seed: 1 });
  await new fit.SGD(rbm, batches).train(new optimizers.ADAM({ stepsize: 0.01 }), 5, {
    method: fit.pcd(),
    mcsteps: 2,
    monitor: null,
  });
  const after = await be.readScalar(be.mean(models.exactLogLikelihood(rbm, all)));
  return {
    backend: `${be.name}/${be.device}`,
    kernel: (be as { matmulKernel?: string }).matmulKernel,
    before,
    after,
    weights: Array.from(await be.read(rbm.denseWeights(0, 'page').matrix)),
  };
}

const scope = globalThis as unknown as { reliefResult?: unknown };
try {
  const cpu = await train(() => backends.use('cpu'));
  const gpu = await train(() => backends.use('webgpu', { random: 'host' }));
  const tfjs = await train(() => backends.use('tfjs', { device: 'webgpu' }));
  scope.reliefResult = { cpu, gpu, tfjs, hasGpu: 'gpu' in navigator };
} catch (error) {
  scope.reliefResult = { error: String((error as Error).stack ?? error) };
}
