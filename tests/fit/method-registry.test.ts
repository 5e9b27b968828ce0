import { describe, expect, it } from 'vitest';
import { be, setSeed, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { ConfigError } from '../../errors/index.js';
import {
  cd,
  createMethod,
  dropout,
  type FitMethod,
  fastPcd,
  methodEntry,
  pcd,
  pt,
  registeredMethods,
  SGD,
  tap,
} from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { ADAM } from '../../optimizers/index.js';
import { SequentialMC } from '../../samplers/index.js';
import { discriminative, hybrid } from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizedModel } from '../helpers/finite-differences.js';
import { disposeGradient } from '../helpers/mean-field-gradients.js';

describe('fit method registry', () => {
  it('registers every method by name, the label methods marked', () => {
    const names = registeredMethods().map((entry) => entry.name);
    for (const name of ['cd', 'pcd', 'tap', 'pt', 'fast-pcd', 'discriminative', 'hybrid', 'generative-labels']) {
      expect(names).toContain(name);
    }
    expect(methodEntry('hybrid').usesLabels).toBe(true);
    expect(methodEntry('pcd').usesLabels).toBeUndefined();
  });

  it('makes fresh methods from validated options and refuses unknown names and options', () => {
    const method = createMethod('pt', { betas: [1, 0.5] });
    expect(method.persistent).toBeDefined();
    method.persistent?.release();
    expect(() => createMethod('pct')).toThrow(/unknown method 'pct'; did you mean 'pcd'\?/);
    expect(() => createMethod('pt', { alpha: 1 })).toThrow(ConfigError);
    expect(() => createMethod('hybrid', { alpha: -1 })).toThrow(/hybrid/);
  });

  it('factories take one options object, and a factory given where its method belongs is refused', async () => {
    expect(typeof pcd()).toBe('function');
    expect(pcd().length).toBe(4);
    expect(() => cd({ steps: 0 })).toThrow(/cd: steps/);
    expect(() => tap({ particles: 0 })).toThrow(/tap: particles/);
    expect(discriminative().usesLabels).toBe(true);
    expect(hybrid({ alpha: 0.1 }).usesLabels).toBe(true);
    expect(() => hybrid({ alpha: -1 })).toThrow(/hybrid: alpha/);
    // Casts stand for JavaScript callers and older code, which the compiler does not stop.
    expect(() => hybrid(0.1 as never)).toThrow(/^hybrid: expected an object, got 0.1$/);
    expect(() => dropout(cd(), { rate: 1 })).toThrow(/dropout: rate: expected a probability in \[0, 1\), got 1/);
    expect(() => dropout(cd(), 0.5 as never)).toThrow(/dropout: expected options \{ rate \}, got 0.5/);
    expect(() => dropout(cd as never, { rate: 0.5 })).toThrow(/dropout: method: .*the factory 'cd': call it, `cd\(\)`/);
    const model = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(3)]);
    const data = new InMemoryBatch({ rows: 4, columns: 4, values: new Float32Array(16).fill(1) }, { batchSize: 2 });
    for (const factory of [pcd, pt, tap, fastPcd, discriminative]) {
      await expect(new SGD(model, data).train(new ADAM(), 1, { method: factory as never })).rejects.toThrow(
        /SGD.train: method: expected a fit method, got the factory/,
      );
    }
  });
});

describeOnBackends('cd({ steps })', () => {
  it('runs `steps` sweeps in place of the run’s mcsteps: cd({ steps: 3 }) at mcsteps 1 is cd() at mcsteps 3', async () => {
    setSeed(4);
    const model = randomizedModel([new BernoulliLayer(4), new BernoulliLayer(3)], 0.8);
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 1, 0], [2, 4]);
    const gradientOf = async (method: FitMethod, mcsteps: number) => {
      setSeed(9);
      const positive = new SequentialMC(model, { clamped: [0] });
      const negative = SequentialMC.fromModel(model, 2, { mcsteps });
      const gradient = method(visible, model, positive, negative);
      const weights = Array.from(await be.read(gradient.weights[0]?.matrix as Tensor));
      disposeGradient(gradient);
      positive.dispose();
      negative.dispose();
      return weights;
    };
    const threeSweeps = await gradientOf(cd(), 3);
    expect(await gradientOf(cd({ steps: 3 }), 1)).toEqual(threeSweeps);
    expect(await gradientOf(cd(), 1)).not.toEqual(threeSweeps);
    be.dispose(visible);
    model.dispose();
  });
});
