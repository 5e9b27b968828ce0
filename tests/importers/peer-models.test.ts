/**
 * Models saved by PyDeep and Learnergy themselves (tests/fixtures/importers, written by
 * scripts/write-importer-fixtures.py with the peers' own classes and save functions) come into
 * Relief with the same free energy: Learnergy's `energy(v)` equals Relief's F(v); PyDeep's
 * `−unnormalized_log_probability_v(v)` equals F(v) plus the importer's constant offset (the
 * centered energy's constant, which cancels in ln p(v)).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { be, use } from '../../backends/index.js';
import {
  type ImportedModel,
  importLearnergyModel,
  importModelToDirectory,
  importPyDeepModel,
} from '../../importers/index.js';
import { type BoltzmannMachine, loadModel } from '../../models/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/importers/', import.meta.url));

/** What the fixture script wrote beside each saved model. */
interface PeerReference {
  readonly className: string;
  readonly parameters: Record<string, number[][] | number[]>;
  readonly visible: number[][];
  /** PyDeep: `unnormalized_log_probability_v` of each row. */
  readonly unnormalizedLogProbability?: number[];
  /** Learnergy: `energy` (its free energy) of each row. */
  readonly freeEnergy?: number[];
}

function reference(name: string): PeerReference {
  return JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as PeerReference;
}

async function freeEnergies(model: BoltzmannMachine, rows: number[][]): Promise<number[]> {
  const visible = be.tensor(rows.flat(), [rows.length, (rows[0] as number[]).length]);
  const energies = model.marginalFreeEnergy(visible);
  const values = Array.from(await be.read(energies));
  be.dispose([visible, energies]);
  return values;
}

/** Agreement to float32 precision, relative to the size of the values. */
function expectFloat32Close(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => {
    expect(Math.abs(value - (expected[i] as number))).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected[i] as number)));
  });
}

const PYDEEP = [
  ['pydeep-binary-binary', 'BinaryBinaryRBM', 'bernoulli'],
  ['pydeep-gaussian-binary', 'GaussianBinaryRBM', 'gaussian'],
  ['pydeep-gaussian-binary-variance', 'GaussianBinaryVarianceRBM', 'gaussian'],
] as const;

const LEARNERGY = [
  ['learnergy-rbm', 'RBM', 'bernoulli'],
  ['learnergy-dropout-rbm', 'DropoutRBM', 'bernoulli'],
  ['learnergy-gaussian-rbm', 'GaussianRBM', 'gaussian'],
] as const;

describe('models saved by the peers', () => {
  beforeAll(async () => {
    await use('cpu');
  });

  for (const [name, className, visibleType] of PYDEEP) {
    it(`PyDeep's ${className}: −unnormalized_log_probability_v = Relief's F(v) + the offset`, async () => {
      const peer = reference(name);
      const imported = await importPyDeepModel(join(fixtures, `${name}.pickle.gz`));
      expect(imported.model.layers.map((layer) => layer.type)).toEqual([visibleType, 'bernoulli']);
      expect(imported.metadata.importedFrom).toMatchObject({ library: 'PyDeep', className });
      const relief = await freeEnergies(imported.model, peer.visible);
      const peerFreeEnergy = (peer.unnormalizedLogProbability as number[]).map((logProbability) => -logProbability);
      expectFloat32Close(
        relief.map((f) => f + imported.freeEnergyOffset),
        peerFreeEnergy,
      );
      imported.model.dispose();
    });
  }

  for (const [name, className, visibleType] of LEARNERGY) {
    it(`Learnergy's ${className}: energy(v) = Relief's F(v), parameters as saved`, async () => {
      const peer = reference(name);
      const imported = await importLearnergyModel(join(fixtures, `${name}.pth`));
      expect(imported.model.layers.map((layer) => layer.type)).toEqual([visibleType, 'bernoulli']);
      expect(imported.freeEnergyOffset).toBe(0);
      expectFloat32Close(await freeEnergies(imported.model, peer.visible), peer.freeEnergy as number[]);
      const [visible, hidden] = imported.model.layers;
      expectFloat32Close(Array.from(await be.read(visible?.param('loc') as never)), peer.parameters.a as number[]);
      expectFloat32Close(Array.from(await be.read(hidden?.param('loc') as never)), peer.parameters.b as number[]);
      const weights = imported.model.denseWeights(0, 'test');
      expectFloat32Close(
        Array.from(await be.read(weights.param(weights.parameterName))),
        (peer.parameters.W as number[][]).flat(),
      );
      imported.model.dispose();
    });
  }

  it("hands over PyDeep's centering offsets of a binary RBM for Relief's centering", async () => {
    const peer = reference('pydeep-binary-binary');
    const { model, centeringOffsets } = await importPyDeepModel(join(fixtures, 'pydeep-binary-binary.pickle.gz'));
    model.center({});
    model.centering?.setOffsets((centeringOffsets ?? []).map((offset) => be.tensor(offset, [offset.length])));
    const offsets = await Promise.all((model.centering?.offsets ?? []).map((offset) => be.read(offset)));
    expectFloat32Close(Array.from(offsets[0] ?? []), (peer.parameters.ov as number[][]).flat());
    expectFloat32Close(Array.from(offsets[1] ?? []), (peer.parameters.oh as number[][]).flat());
    model.dispose();
    const gaussian = await importPyDeepModel(join(fixtures, 'pydeep-gaussian-binary.pickle.gz'));
    expect(gaussian.centeringOffsets).toBeUndefined();
    gaussian.model.dispose();
  });

  it('fixes the variance that the peer did not learn, and leaves the learned one free', async () => {
    const fixedness = async (load: () => Promise<ImportedModel>) => {
      const { model } = await load();
      const fixed = model.layer(0).fixedParams;
      model.dispose();
      return fixed;
    };
    expect(await fixedness(() => importPyDeepModel(join(fixtures, 'pydeep-gaussian-binary.pickle.gz')))).toEqual([
      'logVar',
    ]);
    expect(
      await fixedness(() => importPyDeepModel(join(fixtures, 'pydeep-gaussian-binary-variance.pickle.gz'))),
    ).toEqual([]);
    expect(await fixedness(() => importLearnergyModel(join(fixtures, 'learnergy-gaussian-rbm.pth')))).toEqual([
      'logVar',
    ]);
  });

  it('saves a Relief model directory that loads with the same free energies and its origin', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'relief-import-')), 'model');
    const peer = reference('pydeep-gaussian-binary');
    const imported = await importModelToDirectory(join(fixtures, 'pydeep-gaussian-binary.pickle.gz'), 'pydeep', out);
    const expected = await freeEnergies(imported.model, peer.visible);
    imported.model.dispose();
    const { model, metadata } = await loadModel(out);
    expectFloat32Close(await freeEnergies(model, peer.visible), expected);
    expect(metadata.importedFrom).toMatchObject({ library: 'PyDeep', className: 'GaussianBinaryRBM' });
    model.dispose();
  });
});
