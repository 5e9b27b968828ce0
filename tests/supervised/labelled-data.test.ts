import { describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch, isLabelled, splitLabelColumn } from '../../batch/index.js';
import { SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { ADAM } from '../../optimizers/index.js';
import { accuracy, confusionMatrix, discriminative, labelRBM } from '../../supervised/index.js';

/** 50 rows whose single value is their label, so a mismatch shows. */
function taggedRows() {
  const labels = Array.from({ length: 50 }, (_, i) => i % 5);
  const values = Float32Array.from(labels, (label, i) => label * 100 + i);
  return { data: { rows: 50, columns: 1, values }, labels };
}

describe('labelled data', () => {
  it('keeps every label with its row through the seeded split and the shuffles', async () => {
    const { data, labels } = taggedRows();
    const batches = new InMemoryBatch(data, { batchSize: 8, trainFraction: 0.8, seed: 3, labels });
    expect(isLabelled(batches)).toBe(true);
    expect(batches.numClasses).toBe(5);
    for (const split of ['train', 'validate'] as const) {
      let rows = 0;
      for await (const { inputs, targets, labels: batchLabels } of batches.labelledBatches(split)) {
        const [x, y] = [await be.read(inputs), await be.read(targets)];
        batchLabels.forEach((label, i) => {
          expect(Math.floor((x[i] as number) / 100)).toBe(label);
          expect(Array.from(y.subarray(i * 5, i * 5 + 5))).toEqual([0, 1, 2, 3, 4].map((c) => (c === label ? 1 : 0)));
        });
        rows += batchLabels.length;
        be.dispose([inputs, targets]);
      }
      expect(rows).toBe(batches.size(split));
    }
    const hostValues = batches.hostMatrix('validate').values;
    expect(Array.from(batches.hostLabels('validate'))).toEqual(Array.from(hostValues, (v) => Math.floor(v / 100)));
  });

  it('refuses labels that do not fit the rows or the classes, naming the row', () => {
    const { data } = taggedRows();
    expect(() => new InMemoryBatch(data, { labels: [1, 2] })).toThrow(/labels: 2 labels for 50 rows/);
    const bad = Array.from({ length: 50 }, (_, i) => (i === 7 ? 1.5 : 0));
    expect(() => new InMemoryBatch(data, { labels: bad, numClasses: 3 })).toThrow(/row 7 has label 1.5/);
    expect(() => new InMemoryBatch(data, { labels: new Array(50).fill(4), numClasses: 3 })).toThrow(/in \[0, 3\)/);
    expect(isLabelled(new InMemoryBatch(data))).toBe(false);
  });

  it('splits a label column off a CSV-like matrix', () => {
    const matrix = { rows: 2, columns: 3, values: Float32Array.from([0.5, 2, 0.25, 0.75, 0, 1]) };
    const { inputs, labels, numClasses } = splitLabelColumn(matrix, 1);
    expect(Array.from(inputs.values)).toEqual([0.5, 0.25, 0.75, 1]);
    expect(Array.from(labels)).toEqual([2, 0]);
    expect(numClasses).toBe(3);
    expect(() => splitLabelColumn(matrix, 3)).toThrow(/column 3 is not one of the 3 columns/);
  });

  it('makes a label fit method ask for labelled batches', async () => {
    const { data } = taggedRows();
    const model = labelRBM(new BernoulliLayer(1), new BernoulliLayer(2), 5);
    await expect(
      new SGD(model, new InMemoryBatch(data)).train(new ADAM(), 1, { method: discriminative(), monitor: null }),
    ).rejects.toThrow(/learns from labels; give it a labelled batch source/);
    model.dispose();
  });

  it('counts accuracy and the confusion matrix', () => {
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
    expect(confusionMatrix([0, 1, 2, 2], [0, 1, 1, 2], 3)).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(() => confusionMatrix([5], [0], 3)).toThrow(/row 0 pairs 0 with 5/);
  });
});
