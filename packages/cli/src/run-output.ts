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

/** An AbortController that Ctrl-C aborts, until `release()`. */
export function interruptible(): AbortController & { release(): void } {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  return Object.assign(controller, { release: () => process.off('SIGINT', interrupt) });
}

/**
 * Progress of a training run: a bar per epoch on a terminal (samples, rate, the last epoch's
 * metrics), otherwise one line per epoch.
 */
export function progressReport(samplesPerEpoch: number, batchSize: number, enabled: boolean | undefined) {
  const bar =
    enabled === false || !process.stderr.isTTY
      ? undefined
      : new cliProgress.SingleBar(
          { format: 'epoch {epoch} [{bar}] {value}/{total} samples | {rate} samples/s | {metrics}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
  let epochStart = performance.now();
  return {
    onBatch: (epoch: number, samples: number) => {
      if (!bar) return;
      if (samples <= batchSize) {
        epochStart = performance.now();
        bar.start(samplesPerEpoch, 0, { epoch, rate: '-', metrics: '' });
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
        console.log(`epoch ${record.epoch}: ${summary}`);
      }
    },
    stop: () => bar?.stop(),
  };
}
