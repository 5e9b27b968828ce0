/**
 * `npm run bench:webgpu-quality`: does the webgpu backend train and evaluate as well as cpu?
 * - PyDeep's small RBM (784-16, PCD-1, SGD 0.01, batch 100, weights N(0, 0.01²)) trained for
 *   5 epochs on the 60,000 MNIST training digits on each backend from the same seed; the exact
 *   test log-likelihood (2¹⁶ hidden states) of each must agree within 1 nat.
 * - A 784-200 RBM trained on cpu (ADAM 0.001, PCD-1, 5 epochs), then loaded on webgpu: AIS
 *   (visible path, 100 chains) on each backend must agree within three combined standard errors.
 * MNIST thresholded at 0.5. webgpu draws on the device (Philox), so the two runs see different
 * samples. Uses the hardware adapter where there is one; `--adapter software` (or
 * RELIEF_WEBGPU_ADAPTER=software) runs Mesa's, slowly: `--steps 1000` shortens AIS there.
 * Records `bench/results/webgpu-quality-<adapter>.json`; exits 1 when a check fails.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mnist } from '@relief/data';
import { be, setSeed, type UseOptionsOf, use } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { pcd, SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import {
  BoltzmannMachine,
  estimateLogLikelihood,
  exactLogLikelihood,
  initializeModel,
  loadModel,
  saveModel,
} from '../namespaces/models.js';
import { ADAM, GradientDescent } from '../optimizers/index.js';
import { describeMachine, rerunCommand, rounded, today, writeResult } from './record.js';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string' },
    steps: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '5' },
  },
});
const adapter = (args.adapter ?? process.env.RELIEF_WEBGPU_ADAPTER) === 'software' ? 'software' : 'hardware';
const webgpu: UseOptionsOf<'webgpu'> = { adapter };
const [steps, epochs] = [Number(args.steps), Number(args.epochs)];

const train = await mnist({ split: 'train', binarize: true });
const test = await mnist({ split: 'test', binarize: true });
const testRows = () => be.tensor(test.values, [test.rows, test.columns]);

/** PyDeep's recipe on the backend in use; its exact test log-likelihood and training seconds. */
async function smallRbm(): Promise<{ logLikelihood: number; seconds: number }> {
  setSeed(42);
  const data = new InMemoryBatch(train, { batchSize: 100, trainFraction: 1 });
  const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(16)]);
  await initializeModel(rbm, data.batches('train'), 'hinton');
  const started = performance.now();
  await new SGD(rbm, data).train(new GradientDescent({ stepsize: 0.01 }), epochs, {
    method: pcd(),
    mcsteps: 1,
    monitor: null,
  });
  const seconds = (performance.now() - started) / 1000;
  const rows = testRows();
  const logLikelihood = await be.readScalar(be.mean(exactLogLikelihood(rbm, rows)));
  be.dispose(rows);
  rbm.dispose();
  return { logLikelihood, seconds };
}

/** AIS of the model saved in `directory`, on the backend in use. */
async function aisOf(directory: string) {
  setSeed(7);
  const { model } = await loadModel(directory);
  const rows = testRows();
  const started = performance.now();
  const estimate = await estimateLogLikelihood(model, rows, { path: 'visible', chains: 100, steps });
  const seconds = (performance.now() - started) / 1000;
  be.dispose(rows);
  model.dispose();
  return { ...estimate, seconds };
}

await use('cpu');
const cpuSmall = await smallRbm();
await use('webgpu', webgpu);
const device = be.device;
const gpuSmall = await smallRbm();
const smallGap = Math.abs(gpuSmall.logLikelihood - cpuSmall.logLikelihood);
const smallHolds = smallGap <= 1;
console.log(
  `784-16, ${epochs} epochs: exact test log-likelihood cpu ${cpuSmall.logLikelihood.toFixed(2)}, ` +
    `webgpu ${gpuSmall.logLikelihood.toFixed(2)} (gap ${smallGap.toFixed(2)} nats, at most 1: ` +
    `${smallHolds ? 'holds' : 'FAILS'}); training ${cpuSmall.seconds.toFixed(1)} s and ${gpuSmall.seconds.toFixed(1)} s`,
);

await use('cpu');
setSeed(42);
const data = new InMemoryBatch(train, { batchSize: 100, trainFraction: 0.95 });
const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(200)]);
await initializeModel(rbm, data.batches('train'), 'glorotNormal');
await new SGD(rbm, data).train(new ADAM({ stepsize: 0.001 }), 5, { method: pcd(), mcsteps: 1, monitor: null });
const directory = join(mkdtempSync(join(tmpdir(), 'relief-webgpu-quality-')), 'rbm');
await saveModel(rbm, directory);
rbm.dispose();
const cpuAis = await aisOf(directory);
await use('webgpu', webgpu);
const gpuAis = await aisOf(directory);
const aisGap = Math.abs(gpuAis.logLikelihood - cpuAis.logLikelihood);
const allowed = 3 * Math.hypot(cpuAis.logZError, gpuAis.logZError);
const aisHolds = aisGap <= allowed;
console.log(
  `784-200, AIS (${steps} steps, 100 chains): cpu ${cpuAis.logLikelihood.toFixed(2)} ± ${cpuAis.logZError.toFixed(2)} ` +
    `in ${cpuAis.seconds.toFixed(1)} s, webgpu ${gpuAis.logLikelihood.toFixed(2)} ± ${gpuAis.logZError.toFixed(2)} ` +
    `in ${gpuAis.seconds.toFixed(1)} s (gap ${aisGap.toFixed(2)}, at most ${allowed.toFixed(2)}: ${aisHolds ? 'holds' : 'FAILS'})`,
);

const path = writeResult({
  id: `webgpu-quality-${adapter}`,
  section: 'likelihood',
  row: `webgpu against cpu (${device})`,
  figures: [
    { label: `784-16 exact, ${epochs} epochs, cpu`, value: rounded(cpuSmall.logLikelihood), unit: 'nats' },
    { label: `784-16 exact, ${epochs} epochs, webgpu`, value: rounded(gpuSmall.logLikelihood), unit: 'nats' },
    {
      label: `784-200 AIS ${steps} steps, cpu`,
      value: rounded(cpuAis.logLikelihood),
      error: rounded(cpuAis.logZError),
      unit: 'nats',
    },
    {
      label: `784-200 AIS ${steps} steps, webgpu`,
      value: rounded(gpuAis.logLikelihood),
      error: rounded(gpuAis.logZError),
      unit: 'nats',
    },
  ],
  protocol: `MNIST test set (${test.rows.toLocaleString('en-US')} digits), thresholded at 0.5`,
  command: rerunCommand('bench:webgpu-quality', ['RELIEF_WEBGPU_ADAPTER']),
  date: today(),
  machine: describeMachine(),
  provenance: 'measured',
  note: "PyDeep's 784-16 recipe trained on each backend; the 784-200 model trained on cpu and evaluated on both.",
});
console.log(`wrote ${path}`);
process.exit(smallHolds && aisHolds ? 0 : 1);
