import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors/index.js';
import { cd, createMethod, dropout, methodEntry, pcd, registeredMethods, tap } from '../../fit/index.js';
import { discriminative, hybrid } from '../../supervised/index.js';

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

  it('factories take one options object; the older value forms still work as methods', () => {
    expect(typeof pcd()).toBe('function');
    expect(pcd().length).toBe(4);
    expect(() => cd({ steps: 0 })).toThrow(/cd: steps/);
    expect(() => tap({ particles: 0 })).toThrow(/tap: particles/);
    expect(discriminative.usesLabels).toBe(true);
    expect(discriminative().usesLabels).toBe(true);
    expect(hybrid({ alpha: 0.1 }).usesLabels).toBe(true);
    expect(() => hybrid(-1)).toThrow(/hybrid: alpha: expected a number ≥ 0, got -1/);
    expect(() => dropout(cd(), { rate: 1 })).toThrow(/dropout: rate: expected a probability in \[0, 1\), got 1/);
  });
});
