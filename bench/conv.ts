/**
 * `npm run bench:conv`: one CD-1 epoch of examples/conv-rbm.ts's convolutional RBM (16 filters
 * of 7×7 on 57,000 binarized MNIST digits, batches of 100) on the cpu backend, then the same
 * step in PyTorch-CPU (bench/torch_conv_epoch.py, same threads) in the same run, and their
 * ratio. Needs Debian's python3-torch at $PYTHON (default /usr/bin/python3); without it, prints
 * Relief's time alone. Records the times in `bench/results/speed-cpu-conv-rbm.json`. Never part
 * of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inMemoryBatch, mnist } from '@relief/data';
import { backends, fit, models, optimizers } from 'relief';
import { describeMachine, type ResultFigure, rerunCommand, rounded, today, writeResult } from './record.js';

const [FILTERS, KERNEL, THREADS] = [16, 7, 2];
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

await backends.use('cpu');
backends.setSeed(1);
const data = await mnist({ split: 'train', binarize: true, scale: true, limit: 57_000 });
const rbm = models.convolutionalRBM({ image: [1, 28, 28], filters: FILTERS, kernel: KERNEL });
const start = performance.now();
await new fit.SGD(rbm, inMemoryBatch(data, { batchSize: 100, trainFraction: 1, seed: 1 })).train(
  new optimizers.ADAM({ stepsize: 0.005 }),
  1,
  { method: fit.cd(), monitor: null },
);
const relief = (performance.now() - start) / 1000;
console.log(
  `relief cpu: ${relief.toFixed(1)} s per CD-1 epoch (${data.rows} digits, ${FILTERS} filters of ${KERNEL}×${KERNEL})`,
);

const digits = join(tmpdir(), `relief-conv-bench-${process.pid}.f32`);
writeFileSync(digits, Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength));
const torch = spawnSync(
  PYTHON,
  [join(import.meta.dirname, 'torch_conv_epoch.py'), digits, `${FILTERS}`, `${KERNEL}`, `${THREADS}`],
  { encoding: 'utf8' },
);
rmSync(digits);
const figures: ResultFigure[] = [{ label: 'relief cpu', value: rounded(relief, 1), unit: 's' }];
if (torch.status !== 0) {
  console.log(
    `PyTorch-CPU not run (${PYTHON}: ${torch.stderr.trim().split('\n').at(-1) ?? torch.error}); apt-get install python3-torch`,
  );
} else {
  const { seconds } = JSON.parse(torch.stdout) as { seconds: number };
  console.log(
    `PyTorch-CPU (${THREADS} threads): ${seconds.toFixed(1)} s; relief/torch = ${(relief / seconds).toFixed(2)}`,
  );
  figures.push(
    { label: `PyTorch-CPU (${THREADS} threads)`, value: rounded(seconds, 1), unit: 's' },
    { label: 'relief cpu / PyTorch-CPU', value: rounded(relief / seconds) },
  );
}
writeResult({
  id: 'speed-cpu-conv-rbm',
  section: 'speed-cpu',
  row: `One CD-1 epoch of the convolutional RBM: ${FILTERS} filters of ${KERNEL}×${KERNEL}, ${data.rows.toLocaleString('en-US')} digits, batch 100`,
  figures,
  command: rerunCommand('bench:conv', ['PYTHON']),
  date: today(),
  machine: describeMachine(),
  provenance: 'measured',
});
