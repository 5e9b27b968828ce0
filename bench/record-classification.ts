/**
 * Records one classification example's run for docs/results.md, from the output it printed
 * (`bench/classification.sh` calls it after each run):
 * `npx tsx bench/record-classification.ts <log> <command> <example.ts> [the example's options]`.
 * Reads the test errors (`pretrained: test error 1.35% (…)`) and training times (`… took 462.0 s`)
 * from the log and writes `bench/results/classification-<dataset>-<model>.json` for each model.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { DataError } from '../errors/index.js';
import { describeMachine, type ResultFigure, rounded, today, writeResult } from './record.js';

/** What one example trained, from its options. */
interface ExampleRun {
  readonly example: string;
  readonly dataset: string;
  readonly epochs: string;
  readonly tune: string;
  readonly hidden: string;
  readonly alpha: number;
}

/** A model the run tested: the name its log line gives it, its id part, row name, and figures besides the test error. */
interface TestedModel {
  readonly name: string;
  readonly idPart: string;
  readonly row: string;
  readonly figures: ResultFigure[];
}

const DATASET_NAMES: Readonly<Record<string, string>> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

/** The seconds a line `<what> took <s> s` reports, or undefined when the log has none. */
function secondsTook(log: string, what: string): number | undefined {
  const match = log.match(new RegExp(`^${what.replaceAll('+', '\\+')} took ([\\d.]+) s`, 'm'));
  return match ? Number(match[1]) : undefined;
}

/** The test error in percent that the line `<name>: test error <e>%` reports. */
function testError(log: string, name: string): number | undefined {
  const match = log.match(new RegExp(`^${name}: test error ([\\d.]+)%`, 'm'));
  return match ? Number(match[1]) : undefined;
}

const seconds = (label: string, value: number | undefined): ResultFigure[] =>
  value === undefined ? [] : [{ label, value, unit: 's' }];

/** The models an example tests, named as docs/results.md's rows. */
function testedModels(run: ExampleRun, log: string): TestedModel[] {
  const total = secondsTook(log, 'pretraining + fine-tuning');
  if (run.example === 'rbm-classifier') {
    const network = `RBM 784-${run.hidden} + softmax`;
    return [
      {
        name: 'pretrained',
        idPart: 'rbm-classifier',
        row: `${network}, pretrained: ${run.epochs} PCD-1 epochs, ${run.tune} fine-tuning epochs`,
        figures: seconds('pretraining + fine-tuning', total),
      },
      {
        name: 'random',
        idPart: 'rbm-classifier-random',
        row: `${network} from random weights, for the pretrained network’s time`,
        figures: seconds('training', total),
      },
    ];
  }
  if (run.example === 'dbn-classifier') {
    const pretraining = secondsTook(log, 'pretraining');
    const fineTuning = total !== undefined && pretraining !== undefined ? rounded(total - pretraining, 1) : undefined;
    return [
      {
        name: 'dbn',
        idPart: 'dbn-classifier',
        row: `DBN 784-${run.hidden.replaceAll(',', '-')}: ${run.epochs} CD-1 epochs per RBM, ${run.tune} fine-tuning epochs`,
        figures: [...seconds('pretraining', pretraining), ...seconds('fine-tuning', fineTuning)],
      },
    ];
  }
  const hybrid = run.alpha > 0;
  return [
    {
      name: hybrid ? 'hybrid' : 'discriminative',
      idPart: hybrid ? 'hybrid-rbm' : 'discriminative-rbm',
      row: `${hybrid ? `hybrid RBM α = ${run.alpha}` : 'discriminative RBM'}, ${run.hidden} hidden: ${run.epochs} epochs`,
      figures: seconds('training', secondsTook(log, 'training')),
    },
  ];
}

const [logFile, command, exampleFile, ...exampleArgs] = process.argv.slice(2);
if (logFile === undefined || command === undefined || exampleFile === undefined) {
  throw new DataError('usage: record-classification.ts <log> <command> <example.ts> [options]');
}
const { values: options } = parseArgs({
  args: exampleArgs,
  strict: false,
  options: {
    dataset: { type: 'string', default: 'mnist' },
    epochs: { type: 'string' },
    tune: { type: 'string' },
    hidden: { type: 'string' },
    alpha: { type: 'string', default: '0' },
  },
});
const example = basename(exampleFile, '.ts');
const run: ExampleRun = {
  example,
  dataset: String(options.dataset),
  epochs: String(options.epochs ?? '?'),
  tune: String(options.tune ?? '?'),
  hidden: String(options.hidden ?? '500'),
  alpha: Number(options.alpha),
};
const log = readFileSync(logFile, 'utf8');
const datasetName = DATASET_NAMES[run.dataset] ?? run.dataset;
for (const model of testedModels(run, log)) {
  const error = testError(log, model.name);
  if (error === undefined) {
    console.log(`${logFile}: no test error for ${model.name}; nothing recorded`);
    continue;
  }
  const path = writeResult({
    id: `classification-${run.dataset}-${model.idPart}${run.hidden === '500' || example === 'dbn-classifier' ? '' : `-${run.hidden}`}`,
    section: 'classification',
    row: `${datasetName}: ${model.row}`,
    figures: [{ label: 'test error', value: error, unit: '%' }, ...model.figures],
    protocol: `${datasetName}: 57,000 training images, 3,000 for validation, the 10,000 test images`,
    command,
    date: today(),
    machine: describeMachine(),
    provenance: 'measured',
  });
  console.log(`wrote ${path}`);
}
