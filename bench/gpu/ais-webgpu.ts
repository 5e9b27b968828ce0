/**
 * Times one AIS estimate of ln Z for a 784-500 Bernoulli RBM (10,000 β, 100 chains, the visible
 * path) on the native webgpu backend, the GPU counterpart of bench/ais.ts (the model is initialized
 * the same way, from 5,000 binarized MNIST digits), after a 100-β warm-up estimate that compiles the
 * pipelines. `npx tsx bench/gpu/ais-webgpu.ts`; bench/gpu/run.sh runs its bundle on a GPU machine.
 * Options: `--steps N` (default 10000), `--chains N` (default 100), `--adapter software`
 * (else RELIEF_WEBGPU_ADAPTER, else the hardware adapter). Records the time in
 * `bench/results/speed-gpu-ais-784-500-<adapter>.json`; with other steps or chains it only prints.
 */
import { parseArgs } from 'node:util';
import { mnist } from '@relief/data';
import { be, setSeed, use } from '../../backends/index.js';
import { WebGpuBackend } from '../../backends/webgpu/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { annealedImportanceSampling, BoltzmannMachine, initializeModel } from '../../namespaces/models.js';
import { describeMachine, idPart, rounded, today, writeResult } from '../record.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    chains: { type: 'string', default: '100' },
    adapter: { type: 'string' },
  },
});
const [STEPS, CHAINS] = [Number(args.steps), Number(args.chains)];

const backend = await use('webgpu', args.adapter === 'software' ? { adapter: 'software' } : {});
if (!(backend instanceof WebGpuBackend)) throw new Error(`expected the webgpu backend, got ${backend.name}`);
setSeed(1);
const digits = await mnist({ split: 'train', binarize: true, limit: 5000 });
const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(500)]);
await initializeModel(rbm, be.tensor(digits.values, [digits.rows, 784]), 'glorotNormal');
await annealedImportanceSampling(rbm, { steps: 100, chains: CHAINS, path: 'visible' });
const before = backend.stats();
const started = performance.now();
const estimate = await annealedImportanceSampling(rbm, { steps: STEPS, chains: CHAINS, path: 'visible' });
const seconds = (performance.now() - started) / 1000;
const after = backend.stats();
const dispatches = after.dispatches - before.dispatches;
const readbacks = after.readbacks - before.readbacks;
console.log(
  `AIS of a 784-500 RBM, ${STEPS.toLocaleString('en-US')} β, ${CHAINS} chains, webgpu on ${backend.device}: ` +
    `${seconds.toFixed(2)} s (ln Z ${estimate.logZ.toFixed(2)} ± ${estimate.logZError.toFixed(2)}; ` +
    `${dispatches} dispatches, ${readbacks} readbacks)`,
);
if (STEPS === 10_000 && CHAINS === 100) {
  const software = backend.adapter === 'software';
  const path = writeResult({
    id: `speed-gpu-ais-784-500-${idPart(software ? 'software' : backend.device)}`,
    section: 'speed-gpu',
    row: `AIS of a 784-500 RBM: 10,000 β, 100 chains, visible path, webgpu (${software ? 'software adapter' : backend.device})`,
    figures: [
      { label: 'time', value: rounded(seconds, 2), unit: 's' },
      { label: 'dispatches', value: dispatches },
      { label: 'readbacks', value: readbacks },
    ],
    command: `npx tsx bench/gpu/ais-webgpu.ts${software ? ' --adapter software' : ''}`,
    date: today(),
    machine: describeMachine(backend.device),
    provenance: 'measured',
    note: `ln Z ${estimate.logZ.toFixed(2)} ± ${estimate.logZError.toFixed(2)}; after a 100-β warm-up estimate that compiles the pipelines.`,
  });
  console.log(`wrote ${path}`);
}
process.exit(0);
