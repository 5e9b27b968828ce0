// The natural-image experiment of PyDeep and of Hinton's Gaussian–Bernoulli RBMs, on
// Fashion-MNIST (Debian's dataset-fashion-mnist): 8×8 patches cut where the picture has
// contrast, each patch's mean removed, then ZCA-whitened (fitted on the patches and saved with
// the model). A Gaussian–Bernoulli RBM with the whitened data's variance, fixed, learns
// localized, oriented edge filters (weights.png). `locality` is the mean share of each filter's
// squared weight within 3×3 pixels of its largest weight (about 0.15 for unstructured filters).
import { fashionMnist, randomPatches } from '@relief/data';
import { backends, batch, layers, models, optimizers } from 'relief';
import { setUp, showResults, trainModel } from './common.js';

const options = await setUp('whitened-patches', 30, { size: '8', hidden: '64', stepsize: '0.005' });
const size = Number(options.extra.size);
const images = await fashionMnist({ split: 'train', scale: true, limit: options.limit ?? 20000 });
const patches = withContrast(randomPatches(images, { size, count: 6 * images.rows, seed: 137 }), 2 * images.rows);
console.log(`${patches.rows} patches of ${size}×${size} from ${images.rows} images`);
const preprocessing = await batch.Preprocessing.fit(
  [{ type: 'removeRowMeans' }, { type: 'zca', epsilon: 0.01 }],
  patches,
);
const whitened = await preprocessing.transform(patches);
const data = batch.inMemoryBatch(whitened, { batchSize: 100, trainFraction: 0.95, seed: 137 });

const visible = new layers.GaussianLayer(size * size);
const rbm = new models.BoltzmannMachine([visible, new layers.BernoulliLayer(Number(options.extra.hidden))]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
visible.setFixedParams(['logVar']);
await trainModel(rbm, data, new optimizers.ADAM({ stepsize: Number(options.extra.stepsize) }), options, {
  mcsteps: 1,
});
const filters = await backends.be.read(rbm.denseWeights(0, 'locality').matrix);
console.log(`locality ${locality(filters, size, rbm.layer(1).numUnits).toFixed(3)}`);
const test = { rows: 32, columns: size * size, values: whitened.values.slice(-32 * size * size) };
await showResults(rbm, options, { test, preprocessing });

/** The first `count` patches whose pixels' standard deviation exceeds 0.1 (the rest are flat background). */
function withContrast(candidates: batch.HostMatrix, count: number): batch.HostMatrix {
  const { columns } = candidates;
  const kept: Float32Array[] = [];
  for (let r = 0; r < candidates.rows && kept.length < count; r++) {
    const row = candidates.values.subarray(r * columns, (r + 1) * columns);
    const mean = row.reduce((sum, x) => sum + x, 0) / columns;
    const variance = row.reduce((sum, x) => sum + (x - mean) ** 2, 0) / columns;
    if (variance > 0.01) kept.push(row);
  }
  const values = new Float32Array(kept.length * columns);
  kept.forEach((row, i) => {
    values.set(row, i * columns);
  });
  return { rows: kept.length, columns, values };
}

/** Mean over filters (columns of the (side², count) matrix) of the squared weight within 3×3 of each one's peak. */
function locality(matrix: Float32Array, side: number, count: number): number {
  let total = 0;
  for (let f = 0; f < count; f++) {
    const weight = (i: number, j: number) => (matrix[(i * side + j) * count + f] as number) ** 2;
    let [energy, peak, peakAt] = [0, -1, [0, 0]];
    for (let i = 0; i < side; i++) {
      for (let j = 0; j < side; j++) {
        energy += weight(i, j);
        if (weight(i, j) > peak) [peak, peakAt] = [weight(i, j), [i, j]];
      }
    }
    let near = 0;
    const [pi = 0, pj = 0] = peakAt;
    for (let i = Math.max(0, pi - 1); i <= Math.min(side - 1, pi + 1); i++) {
      for (let j = Math.max(0, pj - 1); j <= Math.min(side - 1, pj + 1); j++) near += weight(i, j);
    }
    total += near / energy;
  }
  return total / count;
}
