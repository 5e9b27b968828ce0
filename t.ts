import { be, setSeed, use } from './backends/index.js';
import { InMemoryBatch } from './batch/index.js';
import { ADAM } from './fit/optimizers.js';
import { BernoulliLayer } from './layers/index.js';
import { BoltzmannMachine } from './models/index.js';
import { mnist } from './packages/data/src/index.js';
import { SequentialMC } from './samplers/index.js';

await use('cpu');
setSeed(1);
const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(200)]);
const data = new InMemoryBatch(await mnist({ split: 'train', binarize: true, limit: 30000 }), {
  batchSize: 100,
  trainFraction: 1,
});
const pos = new SequentialMC(rbm, { clamped: [0] });
const neg = SequentialMC.fromModel(rbm, 100);
const opt = new ADAM({ stepsize: 0.01 });
const T: Record<string, number> = {};
const tick = (k: string, t0: number) => {
  T[k] = (T[k] ?? 0) + performance.now() - t0;
};
let N = 0;
let t = performance.now();
for await (const v of data.batches('train')) {
  tick('batch', t);
  t = performance.now();
  pos.setStateFromVisible(v);
  tick('positive', t);
  t = performance.now();
  neg.updateState();
  tick('negative sweep', t);
  t = performance.now();
  const ms = neg.stateForGrad(1);
  tick('stateForGrad', t);
  t = performance.now();
  const dp = rbm.derivatives(pos.state);
  const dn = rbm.derivatives(ms);
  tick('derivatives', t);
  t = performance.now();
  const g = rbm.combineGradient(dp, dn);
  tick('combine', t);
  t = performance.now();
  opt.update(rbm, g);
  tick('adam', t);
  N++;
  t = performance.now();
}
let total = 0;
for (const [k, v] of Object.entries(T)) {
  total += v;
  console.log(k.padEnd(16), (v / N).toFixed(3), 'ms');
}
console.log('total', (total / N).toFixed(3), '→ s/epoch', (((total / N) * 570) / 1000).toFixed(2));
process.exit(0);
