// An RBM over MNIST grey levels: each pixel is one categorical variable of 4 levels, a softmax
// group of 4 one-hot units (784 groups, 3136 visible units), so the model is a distribution
// over 4^784 quantized images. Prints the test log-likelihood (AIS and reverse AIS) and draws
// reconstructions and fantasy particles as each pixel's expected grey level.
import { join } from 'node:path';
import { inMemoryBatch, mnist } from '@relief/data';
import { imageGrid, savePng, weightsGrid } from '@relief/plot';
import { backends, layers, models, optimizers, samplers, schedules } from 'relief';
import { setUp, trainModel } from './common.js';

const LEVELS = 4;
const options = await setUp('grey-levels-rbm', 5, { hidden: '200', steps: '300' });
const { be } = backends;

/** Grey values in [0, 1] as one-hot levels: (rows, 784) → (rows, 784·LEVELS). */
function oneHotLevels(images: { rows: number; columns: number; values: Float32Array }) {
  const values = new Float32Array(images.values.length * LEVELS);
  images.values.forEach((grey, i) => {
    values[i * LEVELS + Math.min(LEVELS - 1, Math.floor(grey * LEVELS))] = 1;
  });
  return { rows: images.rows, columns: images.columns * LEVELS, values };
}

/** Each pixel's expected grey level, Σ_k p_k k/(LEVELS − 1): (rows, 784·LEVELS) → (rows, 784). */
async function expectedGrey(probabilities: backends.Tensor) {
  const levels = await be.read(probabilities);
  const pixels = levels.length / LEVELS;
  const values = Float32Array.from({ length: pixels }, (_, p) =>
    levels.subarray(p * LEVELS, (p + 1) * LEVELS).reduce((total, q, k) => total + (q * k) / (LEVELS - 1), 0),
  );
  return { rows: pixels / 784, columns: 784, values };
}

const limit = options.limit && { limit: options.limit };
const train = oneHotLevels(await mnist({ split: 'train', scale: true, ...limit }));
const test = oneHotLevels(await mnist({ split: 'test', scale: true, limit: options.limit ?? 10_000 }));
const data = inMemoryBatch(train, { batchSize: 100, trainFraction: 0.95, seed: 137 });
const visible = new layers.OneHotLayer(784 * LEVELS, { groupSize: LEVELS });
const rbm = new models.BoltzmannMachine([visible, new layers.BernoulliLayer(Number(options.extra.hidden))]);
await models.initializeModel(rbm, data.batches('train'), 'hinton');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options, { monitor: null });

const testImages = be.tensor(test.values, [test.rows, test.columns]);
const steps = Number(options.extra.steps);
for (const method of ['ais', 'reverse-ais'] as const) {
  const estimate = await models.estimateLogLikelihood(rbm, testImages, { chains: 100, steps, method });
  console.log(
    `${method}: test log-likelihood ${estimate.logLikelihood.toFixed(2)} ± ${estimate.logZError.toFixed(2)} nats (${test.rows} digits, ${LEVELS} grey levels)`,
  );
}
const shown = be.slice(testImages, [0, 0], [32, test.columns]);
const reconstructions = rbm.computeReconstructions(shown, { method: 'mean' }).getVisible();
const pairs = [await expectedGrey(shown), await expectedGrey(reconstructions)];
const interleaved = new Float32Array(64 * 784);
for (let r = 0; r < 64; r++)
  interleaved.set(pairs[r % 2]?.values.subarray((r >> 1) * 784, ((r >> 1) + 1) * 784) ?? [], r * 784);
savePng(join(options.out, 'reconstructions.png'), imageGrid({ rows: 64, columns: 784, values: interleaved }));
const fantasy = samplers.SequentialMC.generateFantasyState(rbm, 36, 100, { betaStd: 0.6 });
savePng(
  join(options.out, 'fantasy.png'),
  imageGrid(await expectedGrey(visible.conditionalMean(rbm.fieldOn(0, fantasy.units)))),
);
// Each hidden unit's weights on the brightest level of every pixel.
const brightest = await be.read(rbm.denseWeights(0, 'grey-levels-rbm').matrix);
const hidden = rbm.layer(1).numUnits;
const shownUnits = Math.min(64, hidden);
const filters = Float32Array.from({ length: 784 * shownUnits }, (_, i) => {
  const [pixel, unit] = [Math.floor(i / shownUnits), i % shownUnits];
  return brightest[(pixel * LEVELS + LEVELS - 1) * hidden + unit] as number;
});
savePng(join(options.out, 'weights.png'), weightsGrid({ rows: 784, columns: shownUnits, values: filters }));
await models.saveModel(rbm, join(options.out, 'model'));
console.log(`wrote ${options.out}/reconstructions.png, fantasy.png, weights.png and model/`);
