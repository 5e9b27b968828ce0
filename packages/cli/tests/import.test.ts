/** `relief import FILE --from LIBRARY --out DIR`: a peer's saved model as a Relief model directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { use } from 'relief/backends';
import { ConfigError, DataError } from 'relief/errors';
import { loadModel } from 'relief/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { importModel } from '../src/commands/import.js';

const fixtures = fileURLToPath(new URL('../../../tests/fixtures/importers/', import.meta.url));

describe('relief import', () => {
  let directory = '';
  beforeAll(async () => {
    await use('cpu');
    directory = mkdtempSync(join(tmpdir(), 'relief-import-'));
  });

  it('writes a Relief model directory and reports the source class, layers and offset', async () => {
    const out = join(directory, 'learnergy');
    const report = await importModel(join(fixtures, 'learnergy-gaussian-rbm.pth'), { from: 'learnergy', out });
    expect(report).toEqual({
      model: out,
      importedFrom: 'Learnergy GaussianRBM',
      layers: 'gaussian 6 → bernoulli 4',
      freeEnergyOffset: 0,
    });
    const { model, metadata } = await loadModel(out);
    expect(model.layer(0).fixedParams).toEqual(['logVar']);
    expect(metadata.importedFrom).toMatchObject({
      library: 'Learnergy',
      className: 'GaussianRBM',
      inputNormalize: true,
    });
    model.dispose();
  });

  it('refuses to replace a saved model without --force, and replaces it with', async () => {
    const out = join(directory, 'pydeep');
    const file = join(fixtures, 'pydeep-binary-binary.pickle.gz');
    await importModel(file, { from: 'pydeep', out });
    await expect(importModel(file, { from: 'pydeep', out })).rejects.toThrow(
      new ConfigError(
        `--out ${out}: expected a new folder, found a saved model (model.json); pass --force to replace it, or choose another --out`,
      ),
    );
    const report = await importModel(file, { from: 'pydeep', out, force: true });
    expect(report.importedFrom).toBe('PyDeep BinaryBinaryRBM');
  });

  it('names an unknown library and a file of the other library', async () => {
    const out = join(directory, 'refused');
    await expect(importModel(join(fixtures, 'learnergy-rbm.pth'), { from: 'paysage', out })).rejects.toThrow(
      new ConfigError("import: --from: expected one of pydeep, learnergy, got 'paysage'"),
    );
    await expect(importModel(join(fixtures, 'learnergy-rbm.pth'), { from: 'pydeep', out })).rejects.toThrow(DataError);
  });
});
