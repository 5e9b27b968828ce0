/** Layerwise pretraining names each stage as it begins, so progress reports can say which stage an epoch belongs to. */
import { beforeAll, describe, expect, it } from 'vitest';
import { setSeed, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { LayerwisePretrain, pcd } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../namespaces/models.js';
import { GradientDescent } from '../../optimizers/index.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

describe('LayerwisePretrain stages', () => {
  beforeAll(async () => {
    await use('cpu');
    setSeed(11);
  });

  it('announces each RBM by its layers and units, then the joint stage, before their epochs', async () => {
    const model = new BoltzmannMachine([9, 6, 3].map((n) => new BernoulliLayer(n)));
    const events: string[] = [];
    await new LayerwisePretrain(model, new InMemoryBatch(barsAndStripes(4), { batchSize: 8, trainFraction: 1 })).train(
      new GradientDescent({ stepsize: 0.01 }),
      1,
      {
        method: pcd(),
        monitor: null,
        rbmEpochs: [2, 1],
        finalEpochs: 1,
        onStage: ({ index, name, joint, epochs }) => events.push(`${index} ${name} ${joint} ${epochs}`),
        onEpoch: ({ epoch }) => {
          events.push(`epoch ${epoch}`);
        },
      },
    );
    expect(events).toEqual([
      '0 layer 1 (9-6) false 2',
      'epoch 1',
      'epoch 2',
      '1 layer 2 (6-3) false 1',
      'epoch 1',
      '2 joint true 1',
      'epoch 1',
    ]);
    model.dispose();
  });
});
