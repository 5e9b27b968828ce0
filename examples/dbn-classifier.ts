// A deep belief network 784-500-500-2000 (Hinton & Salakhutdinov 2006) pretrained greedily
// with CD on MNIST, sampled top-down, then fine-tuned as a classifier by backpropagation.
// Options: --hidden 500,500,2000 --tune 10 --dataset mnist|fashion-mnist --residual 0|1;
// --dbn DIR fine-tunes a DBN this example saved before (its `dbn/`) instead of pretraining one.
import { join } from 'node:path';
import { imageGrid, savePng } from '@relief/plot';
import { backends, fit, layers, optimizers, supervised } from 'relief';
import { CLASSIFY_OPTIONS, fineTune, labelledBatches, logEpoch, reportTestError, setUp } from './common.js';

const options = await setUp('dbn-classifier', 5, {
  ...CLASSIFY_OPTIONS,
  hidden: '500,500,2000',
  tune: '10',
  residual: '0',
  dbn: '',
});
const data = await labelledBatches(options);
const started = performance.now();
const dbn = options.extra.dbn ? (await supervised.loadDeepBeliefNetwork(options.extra.dbn)).dbn : await pretrainedDBN();
const network = supervised.FeedForwardNetwork.fromStack(dbn.rbms, 10);
await fineTune(network, data, Number(options.extra.tune));
console.log(`pretraining + fine-tuning took ${((performance.now() - started) / 1000).toFixed(1)} s`);
await reportTestError(network, options, 'dbn');
await supervised.saveClassifier(network, join(options.out, 'classifier'));

/** A DBN pretrained layer by layer with CD, whose samples and parameters are saved in `--out`. */
async function pretrainedDBN(): Promise<supervised.DeepBeliefNetwork> {
  const units = [784, ...(options.extra.hidden as string).split(',').map(Number)];
  const pretrained = supervised.DeepBeliefNetwork.fromLayers(
    units.map((n) => new layers.BernoulliLayer(n)),
    options.extra.residual === '1' ? { residual: {} } : {},
  );
  await pretrained.pretrain(data, new optimizers.ADAM({ stepsize: 1e-3 }), options.epochs, {
    method: fit.cd(),
    monitor: null,
    onEpoch: logEpoch,
  });
  console.log(`pretraining took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const samples = pretrained.sample(36, { gibbsSteps: 200 });
  savePng(
    join(options.out, 'samples.png'),
    imageGrid({ rows: 36, columns: 784, values: await backends.be.read(samples) }),
  );
  backends.be.dispose(samples);
  await supervised.saveDeepBeliefNetwork(pretrained, join(options.out, 'dbn'));
  return pretrained;
}
