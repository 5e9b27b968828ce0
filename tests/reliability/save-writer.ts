/**
 * A writer process for the save tests: saves a 784×100 RBM to a directory `count` times
 * (or until killed), every parameter of save i filled with `first + i`, recorded in the
 * metadata as `value`. Prints `saved` after its first save.
 * Usage: node --import tsx save-writer.ts <directory> <first> <count | forever>
 */
import { be } from '../../backends/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, saveModel } from '../../models/index.js';

const [directory = '', first = '0', count = 'forever'] = process.argv.slice(2);
const model = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(100)], { weights: 'zeros' });
for (let i = 0; count === 'forever' || i < Number(count); i++) {
  const value = Number(first) + i;
  for (const { owner, name } of model.namedParameters()) owner.setParam(name, be.fill(owner.paramShape(name), value));
  await saveModel(model, directory, { value });
  if (i === 0) process.stdout.write('saved\n');
}
