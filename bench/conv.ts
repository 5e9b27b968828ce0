/**
 * `npm run bench:conv`: one CD-1 epoch of examples/conv-rbm.ts's convolutional RBM (16 filters
 * of 7×7 on 57,000 binarized MNIST digits, batches of 100) on the cpu backend, then the same
 * step in PyTorch-CPU (bench/torch_conv_epoch.py, same threads) in the same run, and their
 * ratio. Needs Debian's python3-torch at $PYTHON (default /usr/bin/python3); without it, prints
 * Relief's time alone. Records the times in `bench/results/speed-cpu-conv-rbm.json`. Never part
 * of `npm test`. `bench:peers` prints and records the same row through {@link convRow}.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inMemoryBatch, mnist } from '@relief/data';
import { backends, fit, models, optimizers } from 'relief';
import { describeMachine, type ResultFigure, rerunCommand, rounded, today, writeResult } from './record.js';

const [FILTERS, KERNEL, THREADS] = [16, 7, 2];

/** Relief's and PyTorch-CPU's seconds for one epoch, or why PyTorch did not run. */
export interface ConvEpochTimes {
  readonly digits: number;
  readonly relief: number;
  readonly torch: number | undefined;
  readonly torchMissing: string | undefined;
}

/** The digits both sides train on: 57,000 binarized MNIST digits, (57000, 784) of 0/1. */
export function convDigits() {
  return mnist({ split: 'train', binarize: true, scale: true, limit: 57_000 });
}

/**
 * Seconds of one CD-1 epoch of the convolutional RBM (ADAM at 0.005, batches of 100, monitor
 * off) on the cpu backend, seeded 1. @param digits - (rows, 784) of 0/1
 */
export async function reliefConvEpoch(digits: Awaited<ReturnType<typeof convDigits>>): Promise<number> {
  await backends.use('cpu');
  backends.setSeed(1);
  const rbm = models.convolutionalRBM({ image: [1, 28, 28], filters: FILTERS, kernel: KERNEL });
  const start = performance.now();
  await new fit.SGD(rbm, inMemoryBatch(digits, { batchSize: 100, trainFraction: 1, seed: 1 })).train(
    new optimizers.ADAM({ stepsize: 0.005 }),
    1,
    { method: fit.cd(), monitor: null },
  );
  const seconds = (performance.now() - start) / 1000;
  rbm.dispose();
  return seconds;
}

/**
 * The same step in PyTorch-CPU on two threads (bench/torch_conv_epoch.py).
 * @param digits - (rows, 784) of 0/1 @returns its seconds, or why it could not run
 */
export function torchConvEpoch(
  digits: Awaited<ReturnType<typeof convDigits>>,
  python: string,
): { seconds: number } | { missing: string } {
  const file = join(tmpdir(), `relief-conv-bench-${process.pid}.f32`);
  const { values } = digits;
  writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  const torch = spawnSync(
    python,
    [join(import.meta.dirname, 'torch_conv_epoch.py'), file, `${FILTERS}`, `${KERNEL}`, `${THREADS}`],
    { encoding: 'utf8' },
  );
  rmSync(file);
  if (torch.status !== 0) {
    const reason = torch.stderr?.trim().split('\n').at(-1) || String(torch.error);
    return { missing: `PyTorch-CPU not run (${python}: ${reason}); apt-get install python3-torch` };
  }
  return { seconds: (JSON.parse(torch.stdout) as { seconds: number }).seconds };
}

/**
 * Times Relief's cpu epoch, then PyTorch-CPU's, prints both and their ratio, and records them
 * as `speed-cpu-conv-rbm` for docs/results.md. @param script - the npm script that reruns it
 */
export async function convRow(python: string, script: string): Promise<ConvEpochTimes> {
  const digits = await convDigits();
  const relief = await reliefConvEpoch(digits);
  console.log(
    `relief cpu: ${relief.toFixed(1)} s per CD-1 epoch (${digits.rows} digits, ${FILTERS} filters of ${KERNEL}×${KERNEL})`,
  );
  const torch = torchConvEpoch(digits, python);
  const figures: ResultFigure[] = [{ label: 'relief cpu', value: rounded(relief, 1), unit: 's' }];
  if ('missing' in torch) {
    console.log(torch.missing);
  } else {
    console.log(
      `PyTorch-CPU (${THREADS} threads): ${torch.seconds.toFixed(1)} s; relief/torch = ${(relief / torch.seconds).toFixed(2)}`,
    );
    figures.push(
      { label: `PyTorch-CPU (${THREADS} threads)`, value: rounded(torch.seconds, 1), unit: 's' },
      { label: 'relief cpu / PyTorch-CPU', value: rounded(relief / torch.seconds) },
    );
  }
  writeResult({
    id: 'speed-cpu-conv-rbm',
    section: 'speed-cpu',
    row: `One CD-1 epoch of the convolutional RBM: ${FILTERS} filters of ${KERNEL}×${KERNEL}, ${digits.rows.toLocaleString('en-US')} digits, batch 100`,
    figures,
    command: rerunCommand(script, ['PYTHON']),
    date: today(),
    machine: describeMachine(),
    provenance: 'measured',
  });
  return {
    digits: digits.rows,
    relief,
    torch: 'seconds' in torch ? torch.seconds : undefined,
    torchMissing: 'missing' in torch ? torch.missing : undefined,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await convRow(process.env.PYTHON ?? '/usr/bin/python3', 'bench:conv');
}
