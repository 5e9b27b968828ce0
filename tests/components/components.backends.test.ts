import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { Preprocessing } from '../../batch/index.js';
import { amariDistance, ICA, PCAModel } from '../../components/index.js';
import { describeOnBackends, EVERY_BACKEND } from '../helpers/backends.js';
import { laplacianMixture, MIXING } from './mixtures.js';

describeOnBackends(
  'components',
  () => {
    it('natural-gradient ICA and FastICA recover a 2-D Laplacian mixture (Amari distance ≤ 0.05)', async () => {
      const data = laplacianMixture(2000, MIXING, 5);
      const zca = await Preprocessing.fit([{ type: 'zca' }], data);
      const rows = be.tensor((await zca.transform(data)).values, [2000, 2]);
      const trueRows = be.tensor([MIXING[0], MIXING[2], MIXING[1], MIXING[3]] as number[], [2, 2]);
      for (const algorithm of ['naturalGradient', 'fastICA'] as const) {
        const model = await ICA.fit(rows, { algorithm, iterations: 150 });
        const estimated = await model.mixingInDataSpace(zca);
        expect(await amariDistance(estimated, trueRows)).toBeLessThanOrEqual(0.05);
        be.dispose(estimated);
        model.dispose();
      }
      be.dispose([rows, trueRows]);
    });

    it('PCAModel reconstructs rows exactly with all components', async () => {
      const data = laplacianMixture(200, MIXING, 6);
      const model = await PCAModel.fit(data);
      const rows = be.tensor(data.values.subarray(0, 20), [10, 2]);
      const back = await be.read(model.unproject(model.project(rows)));
      for (const [i, v] of back.entries()) expect(v).toBeCloseTo(data.values[i] as number, 3);
      model.dispose();
    });
  },
  EVERY_BACKEND,
);
