/**
 * The free energy of visible rows at an inverse temperature β, F_β(v) = −ln Σ_h exp(−βE(v, h)),
 * given as a number or as one β per row (a (batch, 1) tensor): row by row against the scalar
 * path, and against enumeration of the hidden states at β ≠ 1.
 */
import { expect, it } from 'vitest';
import { be, setSeed } from '../../backends/index.js';
import { ShapeError } from '../../errors/index.js';
import { BernoulliLayer, GaussianLayer, type Layer } from '../../layers/index.js';
import { BoltzmannMachine, State } from '../../models/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, randomizeParams, values } from '../helpers/finite-differences.js';

const [V, H] = [3, 2];
const ROWS = [1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1];
const BETAS = [0.5, 1, 2, 0.3];

/** A tiny RBM with random parameters of scale 0.9. */
function tinyRBM(visibleLayer: Layer = new BernoulliLayer(V)): BoltzmannMachine {
  const rbm = new BoltzmannMachine([visibleLayer, new BernoulliLayer(H)]);
  for (const owner of [...rbm.layers, rbm.connections[0]?.weights as never]) randomizeParams(owner, 0.9);
  return rbm;
}

describeOnBackends('free energy at an inverse temperature', () => {
  it('one β per row gives each row the free energy at its own scalar β', async () => {
    setSeed(3);
    for (const rbm of [tinyRBM(), tinyRBM(new GaussianLayer(V))]) {
      const visible = be.tensor(ROWS, [BETAS.length, V]);
      const perRow = await values(rbm.marginalFreeEnergy(visible, { beta: be.tensor(BETAS, [BETAS.length, 1]) }));
      const scalar = await Promise.all(
        BETAS.map(async (beta, r) => (await values(rbm.marginalFreeEnergy(visible, { beta })))[r] as number),
      );
      expectAllClose(perRow, scalar, { absolute: 1e-5, relative: 1e-5 });
      be.dispose(visible);
      rbm.dispose();
    }
  });

  it('equals −ln Σ_h exp(−βE(v, h)) over every hidden state, at scalar and per-row β ≠ 1', async () => {
    setSeed(5);
    const rbm = tinyRBM();
    const visible = be.tensor(ROWS, [BETAS.length, V]);
    const hiddenStates = rbm.layer(1).enumerateStates();
    const numHidden = be.shape(hiddenStates)[0] as number;
    // E(v, h) for every row and hidden state, from the joint energy.
    const energies = await Promise.all(
      Array.from({ length: BETAS.length }, async (_, r) => {
        const row = be.tensor(ROWS.slice(r * V, (r + 1) * V), [1, V]);
        const state = new State([be.mul(be.ones([numHidden, 1]), row), be.clone(hiddenStates)]);
        const energy = await values(rbm.jointEnergy(state));
        state.dispose();
        be.dispose(row);
        return Array.from(energy);
      }),
    );
    const exact = (beta: number, r: number) =>
      -Math.log((energies[r] as number[]).reduce((total, e) => total + Math.exp(-beta * e), 0));
    expectAllClose(
      await values(rbm.marginalFreeEnergy(visible, { beta: 0.7 })),
      BETAS.map((_, r) => exact(0.7, r)),
      { absolute: 1e-5, relative: 1e-5 },
    );
    expectAllClose(
      await values(rbm.marginalFreeEnergy(visible, { beta: be.tensor(BETAS, [BETAS.length, 1]) })),
      BETAS.map((beta, r) => exact(beta, r)),
      { absolute: 1e-5, relative: 1e-5 },
    );
    be.dispose([visible, hiddenStates]);
    rbm.dispose();
  });

  it('refuses a β tensor that is not (batch, 1), saying the shape it expected', () => {
    const rbm = tinyRBM();
    const visible = be.tensor(ROWS, [BETAS.length, V]);
    for (const shape of [[BETAS.length], [1, 1], [BETAS.length, 2]]) {
      const beta = be.ones(shape);
      expect(() => rbm.marginalFreeEnergy(visible, { beta })).toThrow(ShapeError);
      expect(() => rbm.marginalFreeEnergy(visible, { beta })).toThrow(
        `expected a number or a tensor (${BETAS.length}, 1)`,
      );
      be.dispose(beta);
    }
    be.dispose(visible);
    rbm.dispose();
  });
});
