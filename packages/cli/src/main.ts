/** The `relief` command line; its exit codes are {@link EXIT_CODES_HELP}. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeBackends } from 'relief/backends';
import { BackendUnavailableError, ConfigError, DataError, DivergenceError } from 'relief/errors';
import { ANNEALING_PATHS } from 'relief/models';
import { evaluate } from './commands/evaluate.js';
import { IMPORT_SOURCE_NAMES, importModel } from './commands/import.js';
import { denoise, reconstruct, sample } from './commands/pictures.js';
import { plotRun } from './commands/plot.js';
import { train } from './commands/train.js';
import { DATA_FILE_FORMATS } from './config.js';
import { checkOutputFolder } from './output-file.js';
import { printResult } from './report.js';
import { annealingProgress, INTERRUPTED_EXIT_CODE } from './run-output.js';

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return parsed;
}

function integer(value: string): number {
  const parsed = number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return parsed;
}

/** The exit code for an error (see {@link EXIT_CODES_HELP}). */
export function exitCode(error: unknown): number {
  if (error instanceof ConfigError) return 2;
  if (error instanceof DataError) return 3;
  if (error instanceof DivergenceError) return 4;
  if (error instanceof BackendUnavailableError) return 5;
  return 1;
}

/** The exit codes, as `relief --help` lists them. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    unexpected failure (a bug: please report it with the command and its output)
  2    invalid arguments or config (a missing or unreadable config file too)
  3    bad or missing data (a data file, or a saved model that cannot be read)
  4    training diverged (non-finite parameters)
  5    the backend is unavailable (e.g. tfjs without its package, or no GPU)
  ${INTERRUPTED_EXIT_CODE}  interrupted by Ctrl-C (relief train saves the model first; a second Ctrl-C quits at once)`;

/** What each figure of \`relief evaluate\` and \`relief reconstruct\` measures, for their help. */
const FIGURES_HELP = `
Figures:
  ReconstructionError  RMS over rows of data − mean-field reconstruction, each row's mean squared
                       error divided by the variance of its batch of data: 0 is perfect, 1 is no
                       better than predicting the batch mean (a training metric, from --batches batches)
  MeanFreeEnergy       mean free energy F(v) of the rows (for a deep model, its mean-field bound)
  LogZ, LogLikelihood  AIS estimates of ln Z and of the rows' mean ln p(v) (optimistic in expectation);
                       Reverse…: the same by reverse AIS (RAISE, conservative); LogZError: one
                       standard error of ln Ẑ
  ReverseKLDivergence  KL(model ‖ data) by k-nearest neighbours over batches of fantasy particles;
                       an estimate, which can come out below 0 when the divergence is small`;

/** This package's version (its package.json sits one folder above both src/ and dist/). */
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('relief')
  .description('Train and inspect energy-based models (RBMs, DBMs) with Relief')
  .version(version);
program.exitOverride((error) => {
  process.exit(error.exitCode === 0 ? 0 : 2);
});

program
  .command('train')
  .description(
    'train the model a run config describes; writes the model, history and checkpoints to --out. ' +
      '--resume <dir> continues a stopped run (Ctrl-C, crash, kill -9) from its last checkpoint',
  )
  .option('--config <file>', 'run config (JSON)')
  .option('--out <dir>', 'output directory (with --resume: the run directory)')
  .option('--resume <dir>', "continue this run's checkpoint with its own config, data and seed")
  .option('--epochs <n>', 'override train.epochs (with --resume: the total, to extend a run)', integer)
  .option(
    '--final-epochs <n>',
    "override train.pretraining.finalEpochs, a deep model's joint stage (with --resume: its total, to extend it)",
    integer,
  )
  .option('--backend <name>', `override backend (${describeBackends().names})`)
  .option('--device <name>', `the backend's device (${describeBackends().devices})`)
  .option('--seed <n>', 'override seed', integer)
  .option('--limit <n>', 'use only the first n samples of the data', integer)
  .option(
    '--no-progress',
    'print one line per epoch instead of a progress bar (the default when stderr is not a terminal)',
  )
  .option('--no-plots', 'skip the pictures written at the end (metrics, weights, fantasy, reconstructions)')
  .option('--force', 'train into --out even when it already holds a run, replacing it (without: refused)')
  .action(async (options) => {
    const { interrupted, out } = await train(options);
    console.log(
      `${interrupted ? 'interrupted; saved' : 'done; wrote'} ${out}/model.json, params.safetensors, history.json` +
        (options.plots ? ' and pictures (metrics, weights, fantasy, reconstructions)' : ''),
    );
    if (interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
  });

program
  .command('evaluate <dir>')
  .description(
    'metrics of a trained model on a split of its data set, or with --data on the rows of a file ' +
      '(a model saved by a script too); for a classifier its accuracy, and its confusion matrix as a PNG',
  )
  .addOption(
    new Option(
      '--split <split>',
      "test (default): rows the run never trained on (the data set's test set, or a file's held-out rows); train: the rows it trained on",
    ).choices(['train', 'test']),
  )
  .option('--data <file>', "score every row of this csv, npy or idx file instead of the run's data")
  .addOption(
    new Option('--data-format <format>', "the --data file's format (default: by its name)").choices(DATA_FILE_FORMATS),
  )
  .option('--limit <n>', 'the first n rows of the split (or of --data)', integer)
  .option('--batches <n>', 'validation batches for the sample-based metrics', integer, 5)
  .option(
    '--seed <n>',
    "seed of the sample-based metrics and AIS (default: the run's; for --data without one, random)",
    integer,
  )
  .option('--ais <steps>', 'also estimate ln Z and the log-likelihood by AIS with this many steps', integer)
  .option('--exact', 'also the exact log-likelihood (models small enough to enumerate, e.g. 784-16)')
  .option(
    '--reverse-ais <steps>',
    'also by reverse AIS from the data (RAISE: conservative; with --ais the two bracket the truth in expectation)',
    integer,
  )
  .addOption(
    new Option(
      '--ais-path <path>',
      'which layers the (reverse) AIS chains sample: the visible parity, the hidden one, or both, keeping the tighter estimate',
    )
      .choices(ANNEALING_PATHS)
      .default('both'),
  )
  .option('--confusion <file>', "a classifier's confusion matrix PNG (default <dir>/confusion.png)")
  .option('--json', 'print JSON (every digit; the text report rounds to 5 significant digits)')
  .addHelpText('after', FIGURES_HELP)
  .action(async (dir, options) => {
    if (options.confusion !== undefined) checkOutputFolder(options.confusion, '--confusion');
    const progress = annealingProgress(!options.json);
    try {
      const result = await evaluate(dir, { ...options, ...(progress && { onAnnealing: progress.onAnnealing }) });
      progress?.stop();
      printResult(result, Boolean(options.json));
    } catch (error) {
      progress?.stop();
      throw error;
    }
  });

program
  .command('import <file>')
  .description(
    'a model saved by PyDeep (save_object pickle) or Learnergy (torch.save) as a Relief model directory; ' +
      'the pickle is read by a whitelisting reader that runs nothing from the file (docs/importing.md)',
  )
  .addOption(
    new Option('--from <library>', 'the library that saved the file')
      .choices(IMPORT_SOURCE_NAMES)
      .makeOptionMandatory(),
  )
  .requiredOption('--out <dir>', 'the Relief model directory to write')
  .option('--force', 'replace a model already in --out (without: refused)')
  .option('--json', 'print JSON')
  .action(async (file, options) => printResult(await importModel(file, options), Boolean(options.json)));

program
  .command('plot <dir>')
  .description(
    "write a run's pictures into its folder: metrics.png/.svg (learning curves), and for a generative model " +
      'weights.png, fantasy.png and reconstructions.png',
  )
  .option('--json', 'print JSON')
  .action(async (dir, options) => printResult(await plotRun(dir), Boolean(options.json)));

program
  .command('sample <dir>')
  .description('fantasy particles (PNG grid, or JSON for a .json --out)')
  .option('--n <n>', 'particles', integer, 64)
  .option('--steps <n>', 'Gibbs sweeps from random states', integer, 100)
  .option('--beta-std <x>', 'driven inverse temperature spread', number, 0)
  .option('--out <file>', 'output file', 'samples.png')
  .option('--json', 'print JSON')
  .action(async (dir, options) => {
    checkOutputFolder(options.out, '--out');
    printResult(await sample(dir, options), Boolean(options.json));
  });

program
  .command('reconstruct <dir>')
  .description(
    'test images beside their mean-field reconstructions (PNG); reconstructionMSE is the mean over every ' +
      'value of (image − reconstruction)², as the model sees them, not divided by the data variance as ' +
      "relief evaluate's ReconstructionError is",
  )
  .option('--n <n>', 'images', integer, 32)
  .option('--out <file>', 'output file', 'reconstructions.png')
  .option('--json', 'print JSON')
  .action(async (dir, options) => {
    checkOutputFolder(options.out, '--out');
    printResult(await reconstruct(dir, options), Boolean(options.json));
  });

program
  .command('denoise <dir>')
  .description('flip a fraction of the pixels of test images, then clean them with the model (PNG)')
  .option('--n <n>', 'images', integer, 27)
  .option('--flip <fraction>', 'fraction of pixels flipped', number, 0.15)
  .option('--steps <n>', 'mean-field reconstruction rounds', integer, 5)
  .option('--out <file>', 'output file', 'denoised.png')
  .option('--json', 'print JSON')
  .action(async (dir, options) => {
    checkOutputFolder(options.out, '--out');
    printResult(await denoise(dir, options), Boolean(options.json));
  });

program.addHelpText('after', EXIT_CODES_HELP);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`relief: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(exitCode(error));
}
