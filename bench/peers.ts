/**
 * Relief beside its peers, in one run on one machine (`npm run bench:peers`): training seconds
 * per MNIST epoch — PCD-1, 57,000 samples, batch 100, metrics off, the minimum of `--epochs`
 * epochs — for Relief's cpu backend and Paysage on its numpy and PyTorch-CPU backends, with
 * the ratios. `--gpu` adds Relief on its webgpu backend and on tfjs WebGPU, and Paysage on PyTorch with CUDA (a machine
 * with a GPU); `--batch-size N` changes the minibatch for every column; `--only 500,2000`
 * picks the models by hidden size (sizes without a recipe below train with ADAM at 0.001).
 * Without `--gpu`, it first times the convolutional RBM of `bench:conv` (one CD-1 epoch on the
 * cpu backend, then the same step in PyTorch-CPU; `--only conv` picks it alone), which needs
 * only python3-torch.
 * Writes one record per model to `bench/results/speed-cpu-<model>-batch-<size>.json` (with
 * `--gpu`, `speed-gpu-…`: docs/results.md's Speed sections) and the raw timings to
 * `bench/results/raw/peers-<time>.json`.
 *
 * Needs `PAYSAGE_DIR` (a checkout of github.com/drckf/paysage, never part of this repository)
 * and Debian's python3-numpy, python3-torch and what Paysage imports (python3-scipy, -pandas,
 * -h5py, -numexpr, -sklearn, -matplotlib, -cytoolz); `PYTHON` picks the interpreter (default
 * /usr/bin/python3). A column whose peer cannot run says why and is left out; without Paysage
 * it says so and exits 0. Never part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mnist } from '@relief/data';
import { be, setSeed, use } from '../backends/index.js';
import { type HostMatrix, InMemoryBatch } from '../batch/index.js';
import { SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../models/index.js';
import { ADAM, GradientDescent } from '../optimizers/index.js';
import { type ConvEpochTimes, convRow } from './conv.js';
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
    epochs: { type: 'string', default: '2' },
    only: { type: 'string' },
    gpu: { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '100' },
  },
});
const EPOCHS = Number(args.epochs);
const BATCH_SIZE = Number(args['batch-size']);
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PAYSAGE = process.env.PAYSAGE_DIR;

interface Recipe {
  readonly name: string;
  readonly hidden: number;
  readonly optimizer: 'adam' | 'sgd';
  readonly stepsize: number;
}

const RECIPES: readonly Recipe[] = [
  { name: '784-200 (ADAM)', hidden: 200, optimizer: 'adam', stepsize: 0.001 },
  { name: '784-500 (ADAM)', hidden: 500, optimizer: 'adam', stepsize: 0.001 },
  { name: '784-16 (SGD)', hidden: 16, optimizer: 'sgd', stepsize: 0.01 },
];
/** `--only`'s name for the convolutional RBM's row. */
const CONV = 'conv';
const chosen: readonly Recipe[] =
  args.only === undefined
    ? RECIPES
    : args.only
        .split(',')
        .filter((size) => size !== CONV)
        .map(
          (size) =>
            RECIPES.find((recipe) => String(recipe.hidden) === size) ?? {
              name: `784-${size} (ADAM)`,
              hidden: Number(size),
              optimizer: 'adam',
              stepsize: 0.001,
            },
        );

/** One column of the table: a library on one backend, timing the epochs of a recipe. */
interface Column {
  readonly name: string;
  readonly relief: boolean;
  /** Why this column cannot run here, or undefined when it can. */
  readonly missing: () => string | undefined;
  /** Training seconds of each epoch. @param digits - (60000, 784) binarized @param digitsFile - the same, raw float32 */
  readonly epochs: (recipe: Recipe, digits: HostMatrix, digitsFile: string) => Promise<number[]>;
}

/** Why Python cannot run `imports`, or undefined when it can. */
function pythonMissing(imports: string): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', imports], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const detail = String((error as { stderr?: Buffer }).stderr ?? error)
      .trim()
      .split('\n')
      .at(-1);
    return `${PYTHON} cannot run \`${imports}\` (${detail}); apt-get install python3-numpy python3-torch python3-scipy python3-pandas python3-h5py python3-numexpr python3-sklearn python3-matplotlib python3-cytoolz`;
  }
}

/** Relief's epoch seconds on the selected backend. @param digits - (60000, 784) binarized */
async function reliefEpochs(recipe: Recipe, digits: HostMatrix): Promise<number[]> {
  setSeed(137);
  const data = new InMemoryBatch(digits, { batchSize: BATCH_SIZE, trainFraction: 0.95 });
  const model = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(recipe.hidden)]);
  await initializeModel(model, be.tensor(data.hostMatrix('train').values, [data.size('train'), 784]), 'glorotNormal');
  const optimizer =
    recipe.optimizer === 'adam'
      ? new ADAM({ stepsize: recipe.stepsize })
      : new GradientDescent({ stepsize: recipe.stepsize });
  const seconds: number[] = [];
  await new SGD(model, data).train(optimizer, EPOCHS, {
    monitor: null,
    onEpoch: (record) => {
      seconds.push(record.seconds);
    },
  });
  optimizer.reset();
  model.dispose();
  return seconds;
}

/** A column for Relief on a backend, started by `select` (a backend that cannot start fails its rows with the reason). */
function reliefColumn(name: string, select: () => Promise<unknown>): Column {
  return {
    name,
    relief: true,
    missing: () => undefined,
    epochs: async (recipe, digits) => {
      await select();
      return reliefEpochs(recipe, digits);
    },
  };
}

/** A copy of Paysage's package with its backend and processor set in config.json (Paysage reads them from there). */
function paysageWith(backend: 'python' | 'pytorch', processor: 'cpu' | 'gpu'): string {
  const root = mkdtempSync(join(tmpdir(), `relief-paysage-${backend}-${processor}-`));
  cpSync(join(PAYSAGE as string, 'paysage'), join(root, 'paysage'), { recursive: true });
  writeFileSync(join(root, 'paysage', 'backends', 'config.json'), JSON.stringify({ backend, processor }));
  return root;
}

/** A column for Paysage on a backend: its epoch seconds (`fit.SGD` prints them) through bench/paysage_epoch.py. */
function paysageColumn(name: string, backend: 'python' | 'pytorch', processor: 'cpu' | 'gpu', imports: string): Column {
  let root: string | undefined;
  return {
    name,
    relief: false,
    missing: () => pythonMissing(imports),
    epochs: async (recipe, _digits, digitsFile) => {
      root ??= paysageWith(backend, processor);
      const output = execFileSync(
        PYTHON,
        [
          join(import.meta.dirname, 'paysage_epoch.py'),
          digitsFile,
          String(recipe.hidden),
          recipe.optimizer,
          String(recipe.stepsize),
          String(EPOCHS),
          String(BATCH_SIZE),
        ],
        {
          env: { ...process.env, PYTHONPATH: [root, process.env.PYTHONPATH].filter(Boolean).join(':') },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      return (JSON.parse(output.trim().split('\n').at(-1) as string) as { seconds: number[] }).seconds;
    },
  };
}

/** Writes one model's seconds and ratios as a record for docs/results.md. */
function recordRow(recipe: Recipe, seconds: Record<string, number>, ratios: Record<string, number>): void {
  const section = args.gpu ? 'speed-gpu' : 'speed-cpu';
  const cpu = seconds['relief cpu'];
  const webgpu = seconds['relief webgpu'];
  const figures: ResultFigure[] = [
    ...Object.entries(seconds).map(([label, value]) => ({ label, value: rounded(value), unit: 's' })),
    ...(cpu !== undefined && webgpu !== undefined
      ? [{ label: 'relief webgpu / relief cpu', value: rounded(webgpu / cpu) }]
      : []),
    ...Object.entries(ratios).map(([label, value]) => ({ label, value: rounded(value) })),
  ];
  const path = writeResult({
    id: `${section}-${idPart(recipe.name)}-batch-${BATCH_SIZE}`,
    section,
    row: `${recipe.name}, batch ${BATCH_SIZE}`,
    figures,
    command: rerunCommand('bench:peers', ['PYTHON'], 'PAYSAGE_DIR=<checkout of drckf/paysage>'),
    date: today(),
    machine: describeMachine(args.gpu ? nvidiaGpuName() : undefined),
    provenance: 'measured',
    note: `Seconds per MNIST epoch: PCD-1, 57,000 samples, metrics off, the minimum of ${EPOCHS} epochs; Node ${process.version}.`,
  });
  console.log(`wrote ${path}`);
}

let conv: ConvEpochTimes | undefined;
if (!args.gpu && (args.only === undefined || args.only.split(',').includes(CONV))) {
  console.log('\nThe convolutional RBM beside PyTorch-CPU: one CD-1 epoch, the same step (as bench:conv)');
  conv = await convRow(PYTHON, 'bench:peers');
}
if (!PAYSAGE || !existsSync(join(PAYSAGE, 'paysage', 'backends', 'config.json'))) {
  console.log(
    'bench:peers: the Paysage rows skipped: set PAYSAGE_DIR to a checkout of https://github.com/drckf/paysage',
  );
  process.exit(0);
}
const paysageImports = 'import numpy, scipy, pandas, h5py, sklearn, matplotlib, cytoolz';
const candidates: Column[] = [
  reliefColumn('relief cpu', () => use('cpu')),
  ...(args.gpu
    ? [
        reliefColumn('relief webgpu', () => use('webgpu')),
        reliefColumn('relief tfjs-webgpu', () => use('tfjs', { device: 'webgpu' })),
      ]
    : []),
  paysageColumn('Paysage numpy', 'python', 'cpu', `${paysageImports}, numexpr`),
  paysageColumn('Paysage PyTorch-CPU', 'pytorch', 'cpu', `${paysageImports}, torch`),
  ...(args.gpu
    ? [
        paysageColumn(
          'Paysage PyTorch-GPU',
          'pytorch',
          'gpu',
          `${paysageImports}, torch; assert torch.cuda.is_available(), "no CUDA device"`,
        ),
      ]
    : []),
];
const columns = candidates.filter((column) => {
  const missing = column.missing();
  if (missing) console.log(`${column.name} left out: ${missing}`);
  return missing === undefined;
});

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}`;
console.log(`\nRelief beside Paysage — ${machine}, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `seconds per MNIST epoch (PCD-1, 57,000 samples, batch ${BATCH_SIZE}, metrics off; minimum of ${EPOCHS})\n`,
);
const digits = await mnist({ split: 'train', binarize: true });
const digitsFile = join(mkdtempSync(join(tmpdir(), 'relief-peers-')), 'mnist-train-binary.f32');
writeFileSync(digitsFile, new Uint8Array(digits.values.buffer, digits.values.byteOffset, digits.values.byteLength));
const rows = [];
for (const recipe of chosen) {
  const seconds: Record<string, number> = {};
  for (const column of columns) {
    try {
      seconds[column.name] = Math.min(...(await column.epochs(recipe, digits, digitsFile)));
    } catch (error) {
      console.log(`${column.name} failed on ${recipe.name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const ratios: Record<string, number> = {};
  for (const relief of columns.filter((column) => column.relief && column.name in seconds)) {
    for (const peer of columns.filter((column) => !column.relief && column.name in seconds)) {
      ratios[`${relief.name} / ${peer.name}`] = (seconds[relief.name] as number) / (seconds[peer.name] as number);
    }
  }
  rows.push({ model: recipe.name, batchSize: BATCH_SIZE, seconds, ratios });
  if (Object.keys(seconds).length > 0) recordRow(recipe, seconds, ratios);
  console.log(
    `${recipe.name.padEnd(16)} ${Object.entries(seconds)
      .map(([name, value]) => `${name} ${value.toFixed(2)} s`)
      .join(' | ')}`,
  );
  console.log(
    `${''.padEnd(16)} ${Object.entries(ratios)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(' | ')}`,
  );
}
const directory = join(import.meta.dirname, 'results', 'raw');
mkdirSync(directory, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(
  join(directory, `peers-${stamp}.json`),
  `${JSON.stringify({ date: new Date().toISOString(), machine, epochs: EPOCHS, rows, conv }, null, 2)}\n`,
);
