/** Gradients of fit methods made deterministic (mean-field phases), so two can be compared exactly. */
import { be, type Tensor } from '../../backends/index.js';
import { cd, type FitMethod } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, type Gradient } from '../../models/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { randomizeParams } from './finite-differences.js';

/** A Bernoulli RBM (numVisible, numHidden) with random parameters of scale 0.8. */
export function randomRBM(numVisible: number, numHidden: number): BoltzmannMachine {
  const rbm = new BoltzmannMachine([new BernoulliLayer(numVisible), new BernoulliLayer(numHidden)]);
  for (const owner of [...rbm.layers, rbm.connections[0]?.weights as never]) randomizeParams(owner, 0.8);
  return rbm;
}

/** Deterministic positive (visible clamped) and negative samplers: two mean-field sweeps each. */
export function meanFieldPhases(model: BoltzmannMachine): [SequentialMC, SequentialMC] {
  return [
    new SequentialMC(model, { mcsteps: 2, updater: 'meanFieldIteration', clamped: [0] }),
    new SequentialMC(model, { mcsteps: 2, updater: 'meanFieldIteration' }),
  ];
}

/** The gradient of `method` on `visible` with mean-field phases (which are freed). @param visible - (batch, numVisible) */
export function meanFieldGradient(model: BoltzmannMachine, visible: Tensor, method: FitMethod = cd()): Gradient {
  const [positive, negative] = meanFieldPhases(model);
  const gradient = method(visible, model, positive, negative);
  positive.dispose();
  negative.dispose();
  return gradient;
}

/** Frees every tensor of a gradient. */
export function disposeGradient(gradient: Gradient): void {
  be.dispose([...gradient.layers, ...gradient.weights].flatMap((set) => Object.values(set)));
}
