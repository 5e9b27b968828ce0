/**
 * No public operation leaks: on every backend that counts its tensors (tfjs, the float64
 * reference), running each operation sequence a second time leaves the tensor count where the
 * first run left it. Covers training (cd, pcd, TAP), pretraining, sampling, AIS, TAP, exact
 * enumeration, metrics and save/load.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch, Preprocessing } from '../../batch/index.js';
import {
  allMetrics,
  cd,
  type FitMethod,
  LayerwisePretrain,
  ProgressMonitor,
  pcd,
  SGD,
  TAP,
  TAPLogLikelihood,
} from '../../fit/index.js';
import { BernoulliLayer, ContinuousBernoulliLayer, NReLULayer, OneHotLayer, ReLULayer } from '../../layers/index.js';
import {
  BoltzmannMachine,
  estimateLogLikelihood,
  exactLogLikelihood,
  loadModel,
  saveModel,
  tapFreeEnergy,
} from '../../namespaces/models.js';
import { ADAM } from '../../optimizers/index.js';
import { SequentialMC } from '../../samplers/index.js';
import {
  DeepBeliefNetwork,
  discriminative,
  evaluateClassifier,
  FeedForwardNetwork,
  FineTune,
  generativeLabels,
  hybrid,
  labelClassifier,
  labelRBM,
  loadClassifier,
  loadDeepBeliefNetwork,
  saveClassifier,
  saveDeepBeliefNetwork,
} from '../../supervised/index.js';
import { describeOnBackends, EVERY_BACKEND } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

function data() {
  return new InMemoryBatch(barsAndStripes(10), { batchSize: 10, trainFraction: 0.7, seed: 1 });
}

/** Runs `sequence` twice and expects the second run to leave as many tensors as the first. */
async function expectFlat(sequence: () => Promise<void>): Promise<void> {
  await sequence();
  const after = be.numTensors();
  await sequence();
  expect(be.numTensors()).toBe(after);
}

describeOnBackends(
  'tensor counts',
  () => {
    const rbm = () => new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6)]);
    const trainWith = (method: FitMethod) => async () => {
      const model = rbm();
      const optimizer = new ADAM({ stepsize: 0.01 });
      await new SGD(model, data()).train(optimizer, 2, {
        method,
        monitor: new ProgressMonitor({ metrics: [...allMetrics(), new TAPLogLikelihood()], maxBatches: 1 }),
      });
      optimizer.reset(); // the optimizer owns its moments until reset
      model.dispose();
    };

    it('are flat across training with cd, pcd and TAP, metrics included', async () => {
      await expectFlat(trainWith(cd()));
      await expectFlat(trainWith(pcd()));
      const tap = new TAP({ particles: 5, iterations: 3 });
      await expectFlat(trainWith(tap.method));
      tap.dispose();
    });

    it('are flat across training, AIS and saves with rectified and continuous Bernoulli units and preprocessing', async () => {
      const directory = mkdtempSync(join(tmpdir(), 'relief-memory-'));
      const rows = barsAndStripes(10);
      await expectFlat(async () => {
        for (const layers of [
          [new BernoulliLayer(9), new NReLULayer(4)],
          [new ContinuousBernoulliLayer(9), new ReLULayer(4)],
        ]) {
          const model = new BoltzmannMachine(layers);
          const optimizer = new ADAM({ stepsize: 0.01 });
          await new SGD(model, data()).train(optimizer, 2, {
            method: pcd(),
            monitor: new ProgressMonitor({ maxBatches: 1 }),
          });
          optimizer.reset();
          const visible = be.tensor(rows.values, [rows.rows, rows.columns]);
          await estimateLogLikelihood(model, visible, { chains: 10, steps: 20 });
          const preprocessing = await Preprocessing.fit([{ type: 'rescale' }, { type: 'zca' }], rows);
          await saveModel(model, directory, {}, { preprocessing });
          (await loadModel(directory)).model.dispose();
          be.dispose(visible);
          model.dispose();
        }
      });
    });

    it('are flat across layerwise pretraining of a DBM', async () => {
      await expectFlat(async () => {
        const dbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(5), new OneHotLayer(3)]);
        const optimizer = new ADAM({ stepsize: 0.01 });
        await new LayerwisePretrain(dbm, data()).train(optimizer, 1, { method: pcd(), monitor: null });
        optimizer.reset();
        dbm.dispose();
      });
    });

    it('are flat across sampling, AIS, TAP, exact enumeration and save/load', async () => {
      const model = rbm();
      const directory = mkdtempSync(join(tmpdir(), 'relief-memory-'));
      const visible = be.bernoulli(be.fill([12, 9], 0.4));
      await expectFlat(async () => {
        SequentialMC.generateFantasyState(model, 8, 5, { betaStd: 0.5 }).dispose();
        await estimateLogLikelihood(model, visible, { chains: 10, steps: 20 });
        be.dispose([tapFreeEnergy(model, 3, 5), exactLogLikelihood(model, visible)]);
        be.dispose(model.computeReconstructions(visible).units);
        await saveModel(model, directory);
        (await loadModel(directory)).model.dispose();
      });
    });

    it('are flat across labelled training, fine-tuning, DBNs and their saves', async () => {
      const grid = barsAndStripes(10);
      const labels = Array.from({ length: grid.rows }, (_, i) => i % 3);
      const labelled = () =>
        new InMemoryBatch(grid, { batchSize: 10, trainFraction: 0.7, seed: 1, labels, numClasses: 3 });
      const directory = mkdtempSync(join(tmpdir(), 'relief-memory-'));
      await expectFlat(async () => {
        const optimizer = new ADAM({ stepsize: 0.01 });
        const label = labelRBM(new BernoulliLayer(9), new BernoulliLayer(4), 3);
        for (const method of [discriminative(), hybrid({ alpha: 0.1 }), generativeLabels({ chains: 'cd' })]) {
          await new SGD(label, labelled()).train(optimizer, 1, { method, monitor: null });
        }
        await evaluateClassifier(labelClassifier(label), {
          inputs: grid,
          labels: Int32Array.from(labels),
          numClasses: 3,
        });
        label.dispose();
        const dbn = DeepBeliefNetwork.fromLayers(
          [new BernoulliLayer(9), new BernoulliLayer(5), new BernoulliLayer(4)],
          {
            residual: {},
          },
        );
        await dbn.pretrain(data(), optimizer, 1, { monitor: null });
        const visible = be.zeros([2, 9]);
        be.dispose([
          visible,
          dbn.sample(3, { gibbsSteps: 2 }),
          dbn.sample(2, { start: visible }),
          dbn.reconstruct(visible),
        ]);
        await saveDeepBeliefNetwork(dbn, join(directory, 'dbn'));
        (await loadDeepBeliefNetwork(join(directory, 'dbn'))).dbn.dispose();
        const network = FeedForwardNetwork.fromStack(dbn.rbms, 3);
        await new FineTune(network, labelled()).train(optimizer, 2, { dropout: 0.2, inputDropout: 0.1 });
        await saveClassifier(network, join(directory, 'network'));
        (await loadClassifier(join(directory, 'network'))).network.dispose();
        optimizer.reset();
        network.dispose();
        dbn.dispose();
      });
    });
  },
  EVERY_BACKEND,
);
