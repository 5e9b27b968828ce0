/** What a training command shows and writes while and after it runs: progress, Ctrl-C, history files. */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { EpochRecord, History } from 'relief/fit';
import { writeFileAtomic } from 'relief/models';
import type { RunConfig } from './config.js';

/** Writes `history.json`, `history.csv` and `config.json` beside a saved run. */
export async function writeRunFiles(out: string, config: RunConfig, history: History | undefined): Promise<void> {
  await writeFileAtomic(join(out, 'history.json'), `${JSON.stringify(history?.toJSON() ?? [], null, 2)}\n`);
  await writeFileAtomic(join(out, 'history.csv'), history?.toCSV() ?? '');
  await writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Exit code of a command stopped by Ctrl-C. */
export const INTERRUPTED_EXIT_CODE = 130;

/** How long `settle()` lets the event loop poll, so that a pending Ctrl-C is handled first. */
const SIGNAL_SETTLE_MS = 20;

/** What a training command says on Ctrl-C. */
export const INTERRUPT_MESSAGES = {
  loading: 'interrupted while loading the data; nothing saved',
  stopping: 'stopping… (saving the model; press Ctrl-C again to quit now)',
  quitting: 'quitting without saving',
} as const;

/** An AbortController for a training command's Ctrl-C; see {@link interruptible}. */
export interface Interruptible extends AbortController {
  /** Handles a Ctrl-C pressed during the synchronous work just done (reading a file), as pressed then. */
  settle(): Promise<void>;
  /** After {@link settle}, from now on the first Ctrl-C aborts (training saves the model and stops) instead of quitting. */
  training(): Promise<void>;
  /** Stops listening for Ctrl-C. */
  release(): void;
}

/**
 * Ctrl-C for a training command, each press answered on stderr as soon as the event loop
 * runs (data files are read synchronously, so a press while one is read is answered once it
 * is in). Before `training()` (while the data loads, with nothing to save) it quits with exit
 * code 130; after, the first
 * Ctrl-C aborts the controller so that training saves the model and stops, and a second quits
 * at once with 130.
 */
export function interruptible(): Interruptible {
  const controller = new AbortController();
  let training = false;
  const say = (message: string) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${message}\n`);
  const interrupt = () => {
    if (training && !controller.signal.aborted) {
      say(INTERRUPT_MESSAGES.stopping);
      controller.abort();
      return;
    }
    say(training ? INTERRUPT_MESSAGES.quitting : INTERRUPT_MESSAGES.loading);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.on('SIGINT', interrupt);
  // A signal that came in during synchronous work is handled in a later poll phase than the
  // next setImmediate's: wait out a short timer, which polls until it is due.
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_SETTLE_MS));
  return Object.assign(controller, {
    settle,
    training: async () => {
      await settle();
      training = true;
    },
    release: () => process.off('SIGINT', interrupt),
  });
}

/**
 * Progress of a training run: a bar per epoch on a terminal (samples, rate, the last epoch's
 * metrics), otherwise one line per epoch; in a run of several stages (a deep model's layerwise
 * pretraining) each epoch is named by its stage: `layer 1 (784-500) epoch 1: …`, `joint epoch 1: …`.
 */
export function progressReport(samplesPerEpoch: number, batchSize: number, enabled: boolean | undefined) {
  const bar =
    enabled === false || !process.stderr.isTTY
      ? undefined
      : new cliProgress.SingleBar(
          {
            format: '{stage}epoch {epoch} [{bar}] {value}/{total} samples | {rate} samples/s | {metrics}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
  let epochStart = performance.now();
  let stage = '';
  return {
    /** Names the stage the next epochs belong to. */
    stage: (name: string) => {
      stage = `${name} `;
    },
    onBatch: (epoch: number, samples: number) => {
      if (!bar) return;
      if (samples <= batchSize) {
        epochStart = performance.now();
        bar.start(samplesPerEpoch, 0, { stage, epoch, rate: '-', metrics: '' });
      }
      bar.update(samples, { epoch, rate: Math.round(samples / ((performance.now() - epochStart) / 1000)) });
    },
    onEpoch: (record: EpochRecord) => {
      const summary = Object.entries(record)
        .filter(([k]) => k !== 'epoch')
        .map(([k, v]) => `${k} ${Number(v).toPrecision(4)}`)
        .join(', ');
      if (bar) {
        bar.update({ metrics: summary });
        bar.stop();
      } else {
        console.log(`${stage}epoch ${record.epoch}: ${summary}`);
      }
    },
    stop: () => bar?.stop(),
  };
}

/**
 * A progress bar on stderr for `relief evaluate`'s AIS and reverse AIS: the annealing steps done
 * of their total and an ETA, one bar per estimator; undefined when `enabled` is false or stderr
 * is not a terminal.
 */
export function annealingProgress(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    { format: '{method} [{bar}] {value}/{total} steps | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  let current: string | undefined;
  return {
    onAnnealing: (method: string, done: number, total: number) => {
      if (method !== current) {
        if (current !== undefined) bar.stop();
        current = method;
        bar.start(total, 0, { method: method === 'ais' ? 'AIS' : 'reverse AIS' });
      }
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
