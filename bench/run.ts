/**
 * Backend benchmarks: GEMM (100×784)·(784×500) and (1024×1024)², and sigmoid + Bernoulli
 * sampling of 100×500, on every backend/device that starts here. Prints a table and writes
 * `bench/results/backends-<time>.json` (and `backends-latest.json`).
 *
 * Usage: `npm run bench [-- --only cpu,tfjs-wasm] [-- --min-seconds 1]`
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Backend, CpuBackend, TfjsBackend, type TfjsDevice } from '../backends/index.js';

interface Result {
  readonly backend: string;
  readonly task: string;
  readonly shape: string;
  readonly milliseconds: number;
  readonly gflops?: number;
  readonly samplesPerSecond?: number;
}

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    'min-seconds': { type: 'string', default: '1' },
  },
});
const minSeconds = Number(args['min-seconds']);

const candidates: { label: string; start: () => Promise<Backend> }[] = [
  { label: 'cpu', start: async () => new CpuBackend(1) },
  ...(['cpu', 'wasm', 'webgpu', 'tensorflow'] as TfjsDevice[]).map((device) => ({
    label: `tfjs-${device}`,
    start: () => TfjsBackend.create(device, { seed: 1 }),
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

async function gemm(be: Backend, label: string, m: number, k: number, n: number): Promise<Result> {
  const [a, b] = [be.randomNormal([m, k]), be.randomNormal([k, n])];
  const milliseconds = await time(async () => {
    const product = be.matmul(a, b);
    await be.read(product);
    be.dispose(product);
  });
  be.dispose([a, b]);
  const gflops = (2 * m * k * n) / (milliseconds * 1e6);
  return { backend: label, task: 'gemm', shape: `(${m}×${k})·(${k}×${n})`, milliseconds, gflops };
}

async function sampling(be: Backend, label: string, rows: number, columns: number): Promise<Result> {
  const [field, bias] = [be.randomNormal([rows, columns]), be.randomNormal([columns])];
  const milliseconds = await time(async () => {
    const samples = be.tidy(() => be.bernoulli(be.sigmoid(be.add(field, bias))));
    await be.read(samples);
    be.dispose(samples);
  });
  be.dispose([field, bias]);
  const samplesPerSecond = (rows * columns) / (milliseconds / 1000);
  return { backend: label, task: 'sigmoid+bernoulli', shape: `${rows}×${columns}`, milliseconds, samplesPerSecond };
}

const only = args.only?.split(',');
const results: Result[] = [];
const skipped: { backend: string; reason: string }[] = [];
for (const { label, start } of candidates) {
  if (only && !only.includes(label)) continue;
  let be: Backend;
  try {
    be = await start();
  } catch (error) {
    skipped.push({ backend: label, reason: (error as Error).message.split('. To get it')[0] ?? '' });
    continue;
  }
  results.push(await gemm(be, label, 100, 784, 500));
  results.push(await gemm(be, label, 1024, 1024, 1024));
  results.push(await sampling(be, label, 100, 500));
}

console.log(`\nRelief backend benchmarks — ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}\n`);
console.table(
  results.map((r) => ({
    backend: r.backend,
    task: r.task,
    shape: r.shape,
    'time (ms)': Number(r.milliseconds.toFixed(3)),
    'GFLOP/s': r.gflops === undefined ? '' : Number(r.gflops.toFixed(2)),
    'Msamples/s': r.samplesPerSecond === undefined ? '' : Number((r.samplesPerSecond / 1e6).toFixed(1)),
  })),
);
for (const { backend, reason } of skipped) console.log(`skipped ${backend}: ${reason}`);

const directory = join(import.meta.dirname, 'results');
mkdirSync(directory, { recursive: true });
const report = JSON.stringify(
  { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, results, skipped },
  null,
  2,
);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(directory, `backends-${stamp}.json`), report);
writeFileSync(join(directory, 'backends-latest.json'), report);
console.log(`\nwrote ${join(directory, `backends-${stamp}.json`)}`);
process.exit(0);
