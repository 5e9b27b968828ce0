/**
 * Relief beside its peers, in one run on one machine (`npm run bench:peers`): training seconds
 * per MNIST epoch — PCD-1, 57,000 samples, batch 100, metrics off, the minimum of `--epochs`
 * epochs — for Relief's cpu backend and Paysage on its numpy and PyTorch-CPU backends, with
 * the ratios. Writes `bench/results/peers-<time>.json`.
 *
 * Needs `PAYSAGE_DIR` (a checkout of github.com/drckf/paysage, never part of this repository)
 * and Debian's python3-numpy, python3-torch and what Paysage imports (python3-scipy, -pandas,
 * -h5py, -numexpr, -sklearn, -matplotlib, -cytoolz); `PYTHON` picks the interpreter (default
 * /usr/bin/python3). Without them it says what is missing and exits 0. Never part of `npm test`.
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

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '2' }, only: { type: 'string' } },
});
const EPOCHS = Number(args.epochs);
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PAYSAGE = process.env.PAYSAGE_DIR;

interface Recipe {
  readonly name: string;
  readonly hidden: number;
  readonly optimizer: 'adam' | 'sgd';
  readonly stepsize: number;
}

const RECIPES: readonly Recipe[] = (
  [
    { name: '784-200 (ADAM)', hidden: 200, optimizer: 'adam', stepsize: 0.001 },
    { name: '784-500 (ADAM)', hidden: 500, optimizer: 'adam', stepsize: 0.001 },
    { name: '784-16 (SGD)', hidden: 16, optimizer: 'sgd', stepsize: 0.01 },
  ] as const
).filter((recipe) => args.only === undefined || args.only.split(',').includes(String(recipe.hidden)));

/** Why the peers cannot run here, or undefined when they can. */
function missingPeers(): string | undefined {
  if (!PAYSAGE || !existsSync(join(PAYSAGE, 'paysage', 'backends', 'config.json'))) {
    return 'set PAYSAGE_DIR to a checkout of https://github.com/drckf/paysage';
  }
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, torch, scipy, pandas, h5py, numexpr, sklearn, matplotlib, cytoolz'], {
      stdio: 'pipe',
    });
  } catch (error) {
    const detail = String((error as { stderr?: Buffer }).stderr ?? error)
      .trim()
      .split('\n')
      .at(-1);
    return `${PYTHON} cannot import Paysage's dependencies (${detail}); apt-get install python3-numpy python3-torch python3-scipy python3-pandas python3-h5py python3-numexpr python3-sklearn python3-matplotlib python3-cytoolz`;
  }
  return undefined;
}

/** Relief's epoch seconds on the cpu backend. @param digits - (60000, 784) binarized */
async function reliefEpochs(recipe: Recipe, digits: HostMatrix): Promise<number[]> {
  await use('cpu');
  setSeed(137);
  const data = new InMemoryBatch(digits, { batchSize: 100, trainFraction: 0.95 });
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

/** A copy of Paysage's package with its backend set in config.json (Paysage reads it from there). */
function paysageWith(backend: 'python' | 'pytorch'): string {
  const root = mkdtempSync(join(tmpdir(), `relief-paysage-${backend}-`));
  cpSync(join(PAYSAGE as string, 'paysage'), join(root, 'paysage'), { recursive: true });
  writeFileSync(join(root, 'paysage', 'backends', 'config.json'), JSON.stringify({ backend, processor: 'cpu' }));
  return root;
}

/** Paysage's epoch seconds (`fit.SGD` prints them) through bench/paysage_epoch.py, on the same digits (raw float32). */
function paysageEpochs(root: string, recipe: Recipe, digitsFile: string): number[] {
  const output = execFileSync(
    PYTHON,
    [
      join(import.meta.dirname, 'paysage_epoch.py'),
      digitsFile,
      String(recipe.hidden),
      recipe.optimizer,
      String(recipe.stepsize),
      String(EPOCHS),
    ],
    { env: { ...process.env, PYTHONPATH: root }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return (JSON.parse(output.trim().split('\n').at(-1) as string) as { seconds: number[] }).seconds;
}

const missing = missingPeers();
if (missing) {
  console.log(`bench:peers skipped: ${missing}`);
  process.exit(0);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}`;
console.log(`\nRelief beside Paysage — ${machine}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`seconds per MNIST epoch (PCD-1, 57,000 samples, batch 100, metrics off; minimum of ${EPOCHS})\n`);
const roots = { numpy: paysageWith('python'), torch: paysageWith('pytorch') };
const digits = await mnist({ split: 'train', binarize: true });
const digitsFile = join(roots.numpy, 'mnist-train-binary.f32');
writeFileSync(digitsFile, new Uint8Array(digits.values.buffer, digits.values.byteOffset, digits.values.byteLength));
const rows = [];
for (const recipe of RECIPES) {
  const relief = Math.min(...(await reliefEpochs(recipe, digits)));
  const numpy = Math.min(...paysageEpochs(roots.numpy, recipe, digitsFile));
  const torch = Math.min(...paysageEpochs(roots.torch, recipe, digitsFile));
  const row = {
    model: recipe.name,
    relief,
    numpy,
    torch,
    reliefOverNumpy: relief / numpy,
    reliefOverTorch: relief / torch,
  };
  rows.push(row);
  console.log(
    `${recipe.name.padEnd(16)} relief ${relief.toFixed(2)} s | Paysage numpy ${numpy.toFixed(2)} s | Paysage PyTorch-CPU ${torch.toFixed(2)} s | ` +
      `relief/numpy ${row.reliefOverNumpy.toFixed(2)} | relief/torch ${row.reliefOverTorch.toFixed(2)}`,
  );
}
const directory = join(import.meta.dirname, 'results');
mkdirSync(directory, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(
  join(directory, `peers-${stamp}.json`),
  `${JSON.stringify({ date: new Date().toISOString(), machine, epochs: EPOCHS, rows }, null, 2)}\n`,
);
