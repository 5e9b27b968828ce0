/**
 * `npx tsx bench/webgpu-dispatch.ts`: what one PCD-1 minibatch of a dense 784-500 RBM (batch
 * 100, ADAM) costs the host on the native webgpu backend: dispatches, submits, readbacks,
 * milliseconds spent encoding, and wall milliseconds per minibatch, with the kernels of one
 * minibatch; then the same epoch on tfjs's webgpu device where it starts (epochs compared to
 * their last read: webgpu's host returns before its device has worked).
 * Uses the hardware adapter where there is one, else Mesa's software adapter (whose times
 * measure llvmpipe, not a GPU). Options: `--batches N` (default 20), `--adapter software`.
 * Records the figures in `bench/results/speed-gpu-webgpu-dispatch-<adapter>.json`.
 */
import { parseArgs } from 'node:util';
import { type Backend, be, setSeed, use } from '../backends/index.js';
import { WebGpuBackend } from '../backends/webgpu/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { pcd, SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../models/index.js';
import { ADAM } from '../optimizers/index.js';
import { describeMachine, idPart, type ResultFigure, rerunCommand, rounded, today, writeResult } from './record.js';

const { values: args } = parseArgs({
  options: { batches: { type: 'string', default: '20' }, adapter: { type: 'string' } },
});
const BATCHES = Number(args.batches);
const [VISIBLE, HIDDEN, BATCH] = [784, 500, 100];

/** Random binary images (each pixel on with probability 0.2), `rows` of them. */
function binaryImages(rows: number) {
  let state = 12345;
  const values = Float32Array.from({ length: rows * VISIBLE }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 < 0.2 ? 1 : 0;
  });
  return { rows, columns: VISIBLE, values };
}

/** Per-minibatch host wall milliseconds of a PCD-1 epoch (first minibatch dropped), and the epoch's seconds to the last read. */
async function trainEpoch(onBatch: () => void = () => {}): Promise<{ wallMs: number[]; seconds: number }> {
  setSeed(1);
  const rbm = new BoltzmannMachine([new BernoulliLayer(VISIBLE), new BernoulliLayer(HIDDEN)]);
  const data = binaryImages(BATCH * BATCHES);
  await initializeModel(rbm, be.tensor(data.values, [data.rows, VISIBLE]), 'hinton');
  const batches = new InMemoryBatch(data, { batchSize: BATCH, trainFraction: 1, seed: 1 });
  const wallMs: number[] = [];
  let last = performance.now();
  const start = last;
  await new SGD(rbm, batches).train(new ADAM({ stepsize: 0.001 }), 1, {
    method: pcd(),
    mcsteps: 1,
    monitor: null,
    onBatch: () => {
      const now = performance.now();
      wallMs.push(now - last);
      last = now;
      onBatch();
    },
  });
  await be.read(rbm.connections[0]?.weights.parameter as never);
  return { wallMs: wallMs.slice(1), seconds: (performance.now() - start) / 1000 };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const adapterChoice = args.adapter === 'software' ? ['software'] : (['hardware', 'software'] as const);
let gpu: WebGpuBackend | undefined;
for (const adapter of adapterChoice) {
  const started: Backend | Error = await use('webgpu', { adapter: adapter as 'hardware' | 'software' }).catch(
    (error: Error) => error,
  );
  if (started instanceof WebGpuBackend) {
    gpu = started;
    break;
  }
  console.log(`webgpu ${adapter}: ${(started as Error).message.split('. To get it')[0]}`);
}
if (gpu === undefined) process.exit(1);
const backend = gpu;

await trainEpoch(); // warm-up: compiles the pipelines, fills the pool
const perBatch: {
  dispatches: number;
  submits: number;
  readbacks: number;
  hostMs: number;
  submitMs: number;
  bindGroupsCreated: number;
}[] = [];
let previous = backend.stats();
let kernels: string[] | undefined;
const measured = await trainEpoch(() => {
  const now = backend.stats();
  perBatch.push({
    dispatches: now.dispatches - previous.dispatches,
    submits: now.submits - previous.submits,
    readbacks: now.readbacks - previous.readbacks,
    hostMs: now.hostMs - previous.hostMs,
    submitMs: now.submitMs - previous.submitMs,
    bindGroupsCreated: now.bindGroupsCreated - previous.bindGroupsCreated,
  });
  previous = now;
  if (perBatch.length === 2) backend.traceDispatches(true);
  if (perBatch.length === 3) kernels = backend.traceDispatches(false);
});
const steady = perBatch.slice(1);
const mean = (key: keyof (typeof steady)[number]) => steady.reduce((a, b) => a + b[key], 0) / steady.length;

console.log(`\nwebgpu on ${backend.device}: PCD-1, ${VISIBLE}-${HIDDEN} RBM, batch ${BATCH}, ADAM, per minibatch:`);
console.table({
  dispatches: rounded(mean('dispatches'), 1),
  submits: rounded(mean('submits'), 2),
  readbacks: rounded(mean('readbacks'), 2),
  'encoding ms (stats.hostMs)': rounded(mean('hostMs'), 3),
  'submit ms (stats.submitMs)': rounded(mean('submitMs'), 3),
  'bind groups made': rounded(mean('bindGroupsCreated'), 1),
  'host wall ms (median)': rounded(median(measured.wallMs), 2),
  [`epoch of ${BATCHES} minibatches, s (to the last read)`]: rounded(measured.seconds, 2),
});
const histogram = new Map<string, number>();
for (const kernel of kernels ?? []) histogram.set(kernel, (histogram.get(kernel) ?? 0) + 1);
console.log('kernels of one minibatch:');
console.table(Object.fromEntries([...histogram].sort((a, b) => b[1] - a[1])));

const figures: ResultFigure[] = [
  { label: 'dispatches per minibatch', value: rounded(mean('dispatches'), 1) },
  { label: 'submits per minibatch', value: rounded(mean('submits'), 2) },
  { label: 'readbacks per minibatch', value: rounded(mean('readbacks'), 2) },
  { label: 'encoding per minibatch', value: rounded(mean('hostMs'), 3), unit: 'ms' },
  { label: 'host wall time per minibatch', value: rounded(median(measured.wallMs), 2), unit: 'ms' },
  { label: `epoch of ${BATCHES} minibatches, to the last read`, value: rounded(measured.seconds, 2), unit: 's' },
];

const tfjs: Backend | Error = await use('tfjs', { device: 'webgpu' }).catch((error: Error) => error);
if (tfjs instanceof Error) {
  console.log(`tfjs webgpu not run: ${tfjs.message.split('. To get it')[0]}`);
} else {
  await trainEpoch();
  const { wallMs, seconds } = await trainEpoch();
  // webgpu records a minibatch and returns (its device works later), so the fair comparison is
  // the epoch to its last read; tfjs's host time per minibatch is printed for what it is.
  console.log(
    `tfjs webgpu: epoch of ${BATCHES} minibatches ${seconds.toFixed(2)} s (webgpu/tfjs = ` +
      `${(measured.seconds / seconds).toFixed(2)}); host wall ms per minibatch (median) ${median(wallMs).toFixed(2)}`,
  );
  figures.push(
    { label: `tfjs webgpu epoch of ${BATCHES} minibatches, to the last read`, value: rounded(seconds, 2), unit: 's' },
    { label: 'webgpu / tfjs webgpu, epoch', value: rounded(measured.seconds / seconds) },
    { label: 'tfjs webgpu host wall time per minibatch', value: rounded(median(wallMs), 2), unit: 'ms' },
  );
}

const adapterName = backend.adapter === 'software' ? 'software adapter' : backend.device;
writeResult({
  id: `speed-gpu-webgpu-dispatch-${idPart(backend.adapter === 'software' ? 'software' : backend.device)}`,
  section: 'speed-gpu',
  row: `webgpu (${adapterName}): one PCD-1 minibatch of a 784-500 RBM, batch 100, ADAM`,
  figures,
  command: rerunCommand('bench:webgpu'),
  date: today(),
  machine: describeMachine(backend.device),
  provenance: 'measured',
  note: 'Means over the minibatches of one epoch after a warm-up epoch; random binary images; the first minibatch of each epoch (chain set-up) excluded.',
});
process.exit(0);
