/**
 * Benchmarks (`npm run bench`): matrix products, bias + sigmoid + Bernoulli sampling, and one
 * MNIST epoch of PCD-1 training, on every backend/device that starts here. Prints tables, writes
 * one record per backend to `bench/results/kernels-<backend>.json` (docs/results.md's Kernels
 * section) and the raw timings to `bench/results/raw/bench-<time>.json` (and `bench-latest.json`).
 *
 * Options: `--only cpu,tfjs-wasm` (backends), `--skip-training`, `--epoch-samples N`
 * (default 57000; slow devices run 5000 and extrapolate), `--min-seconds S` per timing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mnist } from '@relief/data';
import { type Backend, CpuBackend, setSeed, TfjsBackend, type TfjsDevice, use } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../models/index.js';
import { ADAM } from '../optimizers/index.js';
import {
  describeMachine,
  idPart,
  nvidiaGpuName,
  type ResultFigure,
  rerunCommand,
  rounded,
  today,
  writeResult,
} from './record.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    'skip-training': { type: 'boolean', default: false },
    'epoch-samples': { type: 'string', default: '57000' },
    'min-seconds': { type: 'string', default: '1' },
  },
});
const minSeconds = Number(args['min-seconds']);
const only = args.only?.split(',');

interface Candidate {
  readonly label: string;
  /** The backend in words, the row's name in docs/results.md. */
  readonly description: string;
  /** Starts the backend for kernel timings. */
  readonly start: () => Promise<Backend>;
  /** Selects the backend globally for training. */
  readonly select: () => Promise<unknown>;
  /** Whether a full epoch is affordable (else 5,000 samples, extrapolated). */
  readonly fast: boolean;
}

const TFJS_DESCRIPTIONS: Readonly<Record<TfjsDevice, string>> = {
  wasm: 'tfjs wasm (XNNPACK)',
  cpu: 'tfjs cpu',
  webgpu: 'tfjs webgpu',
  tensorflow: 'tfjs tensorflow (libtensorflow)',
};

const candidates: Candidate[] = [
  {
    label: 'cpu',
    description: 'cpu (WebAssembly SIMD, 2 threads)',
    start: async () => new CpuBackend(1),
    select: () => use('cpu'),
    fast: true,
  },
  {
    label: 'cpu-1thread',
    description: 'cpu (WebAssembly SIMD, 1 thread)',
    start: async () => new CpuBackend(1, { threads: 1 }),
    select: () => use('cpu', { threads: 1 }),
    fast: true,
  },
  {
    label: 'cpu-js',
    description: 'cpu (JavaScript kernel)',
    start: async () => new CpuBackend(1, { kernel: 'js' }),
    select: () => use('cpu', { kernel: 'js' }),
    fast: false,
  },
  ...(['hardware', 'software'] as const).map((adapter) => ({
    label: adapter === 'hardware' ? 'webgpu' : 'webgpu-software',
    description: adapter === 'hardware' ? 'webgpu (native WGSL)' : 'webgpu (native WGSL, software adapter)',
    start: () => use('webgpu', { adapter, seed: 1 }),
    select: () => use('webgpu', { adapter }),
    fast: adapter === 'hardware',
  })),
  ...(['wasm', 'cpu', 'webgpu', 'tensorflow'] as TfjsDevice[]).map((device) => ({
    label: `tfjs-${device}`,
    description: TFJS_DESCRIPTIONS[device],
    start: () => TfjsBackend.create(device, { seed: 1 }),
    select: () => use('tfjs', { device }),
    fast: device === 'wasm' || device === 'tensorflow',
  })),
];

/** Median wall time of `run` in ms, repeated until `minSeconds` have passed (at least 3 times, after a warm-up). */
async function time(run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

interface KernelResult {
  readonly backend: string;
  readonly task: string;
  readonly shape: string;
  readonly milliseconds: number;
  readonly gflops?: number;
  readonly samplesPerSecond?: number;
}

/**
 * A matrix product, alternating between two right operands so that no kernel can reuse the
 * previous one's packing (training multiplies by each new W only a few times).
 */
async function gemm(be: Backend, backend: string, m: number, k: number, n: number): Promise<KernelResult> {
  const [a, b0, b1] = [be.randomNormal([m, k]), be.randomNormal([k, n]), be.randomNormal([k, n])];
  let flip = false;
  const milliseconds = await time(async () => {
    flip = !flip;
    const product = be.matmul(a, flip ? b0 : b1);
    await be.read(product);
    be.dispose(product);
  });
  be.dispose([a, b0, b1]);
  return {
    backend,
    task: 'gemm',
    shape: `(${m}×${k})·(${k}×${n})`,
    milliseconds,
    gflops: (2 * m * k * n) / (milliseconds * 1e6),
  };
}

async function sampling(be: Backend, backend: string, rows: number, columns: number): Promise<KernelResult> {
  const [field, bias] = [be.randomNormal([rows, columns]), be.randomNormal([columns])];
  const milliseconds = await time(async () => {
    const samples = be.bernoulliLogits(field, bias);
    await be.read(samples);
    be.dispose(samples);
  });
  be.dispose([field, bias]);
  return {
    backend,
    task: 'bias+sigmoid+bernoulli',
    shape: `${rows}×${columns}`,
    milliseconds,
    samplesPerSecond: (rows * columns) / (milliseconds / 1000),
  };
}

interface EpochResult {
  readonly backend: string;
  readonly model: string;
  readonly samples: number;
  readonly secondsPerEpoch: number;
  readonly samplesPerSecond: number;
  readonly extrapolated: boolean;
  /** A device backend's work per minibatch: dispatches, readbacks and host milliseconds. */
  readonly device?: { readonly dispatches: number; readonly readbacks: number; readonly hostMs: number };
}

/** One epoch of PCD-1 (batch 100, ADAM) on binarized MNIST, timed without metrics. */
async function pcdEpoch(candidate: Candidate, hidden: number, samples: number): Promise<EpochResult> {
  await candidate.select();
  setSeed(1);
  const data = await mnist({ split: 'train', binarize: true, limit: samples });
  const batches = new InMemoryBatch(data, { batchSize: 100, trainFraction: 1, seed: 1 });
  const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(hidden)]);
  await initializeModel(rbm, batches.batches('train'), 'hinton');
  const history = await new SGD(rbm, batches).train(new ADAM({ stepsize: 0.01 }), 1, { monitor: null });
  const record = history.records[0];
  const seconds = record?.seconds ?? Number.NaN;
  rbm.dispose();
  return {
    backend: candidate.label,
    model: `784-${hidden}`,
    samples,
    secondsPerEpoch: (seconds * 57000) / samples,
    samplesPerSecond: samples / seconds,
    extrapolated: samples !== 57000,
    ...(record?.gpuDispatches !== undefined && {
      device: {
        dispatches: record.gpuDispatches,
        readbacks: record.gpuReadbacks ?? Number.NaN,
        hostMs: record.gpuHostMs ?? Number.NaN,
      },
    }),
  };
}

const kernels: KernelResult[] = [];
const epochs: EpochResult[] = [];
const skipped: { backend: string; reason: string }[] = [];
for (const candidate of candidates) {
  if (only && !only.includes(candidate.label)) continue;
  let be: Backend;
  try {
    be = await candidate.start();
  } catch (error) {
    skipped.push({ backend: candidate.label, reason: (error as Error).message.split('. To get it')[0] ?? '' });
    continue;
  }
  for (const [m, k, n] of [
    [100, 784, 500],
    [100, 784, 200],
    [1024, 1024, 1024],
  ] as const) {
    kernels.push(await gemm(be, candidate.label, m, k, n));
  }
  kernels.push(await sampling(be, candidate.label, 100, 500));
  if (!args['skip-training']) {
    const samples = candidate.fast ? Number(args['epoch-samples']) : 5000;
    for (const hidden of [200, 500]) epochs.push(await pcdEpoch(candidate, hidden, samples));
  }
}

console.log(`\nRelief benchmarks — ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}\n`);
console.table(
  kernels.map((r) => ({
    backend: r.backend,
    task: r.task,
    shape: r.shape,
    'time (ms)': Number(r.milliseconds.toFixed(3)),
    'GFLOP/s': r.gflops === undefined ? '' : Number(r.gflops.toFixed(2)),
    'Msamples/s': r.samplesPerSecond === undefined ? '' : Number((r.samplesPerSecond / 1e6).toFixed(1)),
  })),
);
if (epochs.length > 0) {
  console.log('\nOne MNIST epoch of PCD-1 (57,000 samples, batch 100, ADAM), metrics excluded:');
  console.table(
    epochs.map((r) => ({
      backend: r.backend,
      model: r.model,
      's/epoch': Number(r.secondsPerEpoch.toFixed(2)) + (r.extrapolated ? ` (from ${r.samples} samples)` : ''),
      'samples/s': Math.round(r.samplesPerSecond),
      'dispatches/batch': r.device ? Number(r.device.dispatches.toFixed(1)) : '',
      'readbacks/batch': r.device ? Number(r.device.readbacks.toFixed(2)) : '',
      'host ms/batch': r.device ? Number(r.device.hostMs.toFixed(3)) : '',
    })),
  );
}
for (const { backend, reason } of skipped) console.log(`skipped ${backend}: ${reason}`);

/** A kernel timing as a figure: GFLOP/s of a product, milliseconds of a draw. */
function kernelFigure(result: KernelResult): ResultFigure {
  return result.gflops === undefined
    ? { label: `bias + sigmoid + Bernoulli ${result.shape}`, value: rounded(result.milliseconds), unit: 'ms' }
    : { label: `GEMM ${result.shape}`, value: rounded(result.gflops, 1), unit: 'GFLOP/s' };
}

/** An epoch's seconds as a figure, saying when they were extrapolated. */
function epochFigure(result: EpochResult): ResultFigure {
  const extrapolated = result.extrapolated
    ? ` (extrapolated from ${result.samples.toLocaleString('en-US')} samples)`
    : '';
  return { label: `PCD-1 epoch ${result.model}${extrapolated}`, value: rounded(result.secondsPerEpoch), unit: 's' };
}

const ON_GPU = ['tfjs-webgpu', 'webgpu'];
const gpu = kernels.some((r) => ON_GPU.includes(r.backend)) ? nvidiaGpuName() : undefined;
for (const candidate of candidates) {
  const figures = [
    ...kernels.filter((r) => r.backend === candidate.label).map(kernelFigure),
    ...epochs.filter((r) => r.backend === candidate.label).map(epochFigure),
  ];
  if (figures.length === 0) continue;
  const onGpu = ON_GPU.includes(candidate.label) && gpu !== undefined;
  const path = writeResult({
    id: `kernels-${candidate.label}${onGpu ? `-${idPart(gpu)}` : ''}`,
    section: 'kernels',
    row: onGpu ? `${candidate.description} (${gpu})` : candidate.description,
    figures,
    command: rerunCommand('bench'),
    date: today(),
    machine: describeMachine(onGpu ? gpu : undefined),
    provenance: 'measured',
    note: 'GEMM with a fresh right operand each time; epochs of PCD-1 on MNIST: batch 100, ADAM, metrics excluded.',
  });
  console.log(`wrote ${path}`);
}

const directory = join(import.meta.dirname, 'results', 'raw');
mkdirSync(directory, { recursive: true });
const report = JSON.stringify(
  { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, kernels, epochs, skipped },
  null,
  2,
);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(directory, `bench-${stamp}.json`), report);
writeFileSync(join(directory, 'bench-latest.json'), report);
console.log(`\nwrote ${join(directory, `bench-${stamp}.json`)}`);
process.exit(0);
