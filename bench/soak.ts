/**
 * Soak (`npm run soak`): long 784-200 PCD training on MNIST, sampling the live tensor count and
 * the process's memory after every epoch and loading the checkpoint written at every epoch.
 * Writes `bench/results/raw/soak-<backend>.json` and prints a table per backend.
 *
 * Options: `--only cpu,tfjs-wasm`, `--epochs N` (default 100), `--samples N` per epoch (default 5000).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mnist } from '@relief/data';
import { be, setSeed, use } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, initializeModel, loadModel } from '../models/index.js';
import { ADAM } from '../optimizers/index.js';

/** One epoch's sample. */
export interface SoakSample {
  readonly epoch: number;
  readonly tensors: number;
  /** Resident set size, MB. */
  readonly rssMB: number;
  /** JavaScript heap in use, MB. */
  readonly heapMB: number;
  /** Memory of ArrayBuffers (typed arrays, wasm memory), MB. */
  readonly arrayBuffersMB: number;
  /** Whether that epoch's checkpoint loaded and matched the model's weights. */
  readonly checkpointLoads: boolean;
}

/** A backend to soak: a registered name and device, as `backends.use` takes them. */
export interface SoakTarget {
  readonly backend: string;
  readonly device?: string;
}

const MB = 1024 * 1024;

/** Trains `epochs` epochs of a 784-200 RBM on `samples` MNIST digits, sampling after each one. */
export async function soak(target: SoakTarget, epochs: number, samples: number): Promise<SoakSample[]> {
  await use(target.backend, target.device === undefined ? {} : { device: target.device });
  setSeed(137);
  const data = await mnist({ limit: samples, binarize: true });
  const batches = new InMemoryBatch(data, { batchSize: 100, trainFraction: 0.95, seed: 1 });
  const model = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(200)]);
  const visible = be.tensor(batches.hostMatrix('train').values, [batches.size('train'), 784]);
  await initializeModel(model, visible, 'hinton');
  be.dispose(visible);
  const directory = mkdtempSync(join(tmpdir(), 'relief-soak-'));
  const optimizer = new ADAM({ stepsize: 0.001 });
  const out: SoakSample[] = [];
  try {
    await new SGD(model, batches).train(optimizer, epochs, {
      monitor: null,
      checkpoint: { directory: join(directory, 'model') },
      onEpoch: async (record) => {
        const loaded = await loadModel(join(directory, 'model'));
        const [saved, live] = await Promise.all([
          be.read(loaded.model.connections[0]?.weights.parameter as never),
          be.read(model.connections[0]?.weights.parameter as never),
        ]);
        loaded.model.dispose();
        const memory = process.memoryUsage();
        out.push({
          epoch: record.epoch,
          tensors: be.numTensors(),
          rssMB: memory.rss / MB,
          heapMB: memory.heapUsed / MB,
          arrayBuffersMB: memory.arrayBuffers / MB,
          checkpointLoads: saved.length === live.length && saved.every((v, i) => v === live[i]),
        });
      },
    });
  } finally {
    optimizer.reset();
    model.dispose();
    rmSync(directory, { recursive: true, force: true });
  }
  return out;
}

/** Growth of a series after warm-up: its largest value in the last half minus its value a quarter in. */
export function growthAfterWarmUp(values: readonly number[]): number {
  const start = values[Math.floor(values.length / 4)] ?? 0;
  return Math.max(...values.slice(Math.floor(values.length / 2))) - start;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      only: { type: 'string', default: 'cpu,tfjs-wasm' },
      epochs: { type: 'string', default: '100' },
      samples: { type: 'string', default: '5000' },
    },
  });
  const results = join(import.meta.dirname, 'results', 'raw');
  mkdirSync(results, { recursive: true });
  for (const label of (args.only as string).split(',')) {
    const [backend = 'cpu', device] = label.split('-');
    const started = performance.now();
    const samples = await soak({ backend, ...(device && { device }) }, Number(args.epochs), Number(args.samples));
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(join(results, `soak-${label}.json`), `${JSON.stringify(samples, null, 1)}\n`);
    const tensors = samples.map((s) => s.tensors);
    console.log(`\n${label}: ${samples.length} epochs in ${seconds.toFixed(0)} s`);
    console.log('epoch  tensors  rss MB  heap MB  arrayBuffers MB  checkpoint');
    for (const s of samples.filter(
      (_, i) => i % Math.max(1, Math.floor(samples.length / 10)) === 0 || i === samples.length - 1,
    )) {
      console.log(
        `${String(s.epoch).padStart(5)}  ${String(s.tensors).padStart(7)}  ${s.rssMB.toFixed(0).padStart(6)}  ${s.heapMB.toFixed(0).padStart(7)}  ${s.arrayBuffersMB.toFixed(0).padStart(15)}  ${s.checkpointLoads ? 'loads' : 'FAILED'}`,
      );
    }
    console.log(
      `tensor count ${Math.min(...tensors)}..${Math.max(...tensors)}; growth after warm-up: rss ${growthAfterWarmUp(samples.map((s) => s.rssMB)).toFixed(1)} MB, heap ${growthAfterWarmUp(samples.map((s) => s.heapMB)).toFixed(1)} MB; checkpoints loaded ${samples.filter((s) => s.checkpointLoads).length}/${samples.length}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
