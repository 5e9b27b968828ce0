/**
 * Save/load: bit-exact round trips on each backend and across backends, clear typed errors
 * for every kind of corrupt input, and saves that never destroy the previous checkpoint.
 */
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { be, use } from '../../backends/index.js';
import { Preprocessing } from '../../batch/index.js';
import { ConfigError, DataError, DivergenceError } from '../../errors/index.js';
import { BernoulliLayer, GaussianLayer, OneHotLayer } from '../../layers/index.js';
import {
  BoltzmannMachine,
  decodeSafetensors,
  encodeSafetensors,
  loadModel,
  MODEL_FILE,
  PARAMS_FILE,
  PREPROCESSING_FILE,
  saveModel,
} from '../../namespaces/models.js';
import { l1, l2 } from '../../penalties/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizeParams } from '../helpers/finite-differences.js';

function makeModel(): BoltzmannMachine {
  const model = new BoltzmannMachine([new GaussianLayer(5), new BernoulliLayer(4), new OneHotLayer(3)]);
  for (const owner of [...model.layers, ...model.connections.map((c) => c.weights)]) randomizeParams(owner, 0.7);
  model.layer(1).setFixedParams(['loc']);
  model.layer(0).addPenalty({ logVar: l2(0.01) });
  model.connections[0]?.weights.addPenalty({ matrix: l1(0.001) });
  return model;
}

async function parameterValues(model: BoltzmannMachine): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const { key, owner, name } of model.namedParameters()) out[key] = Array.from(await be.read(owner.param(name)));
  return out;
}

const temporaryDirectory = () => join(mkdtempSync(join(tmpdir(), 'relief-model-')), 'model');

describeOnBackends('save and load', () => {
  it('round-trips every parameter bit for bit, with fixed parameters, penalties and metadata', async () => {
    const model = makeModel();
    const directory = temporaryDirectory();
    await saveModel(model, directory, { epochs: 3, note: 'test' });
    const { model: loaded, metadata } = await loadModel(directory);
    expect(await parameterValues(loaded)).toEqual(await parameterValues(model));
    expect(loaded.layers.map((l) => l.toConfig())).toEqual(model.layers.map((l) => l.toConfig()));
    expect(loaded.connections.map((c) => c.weights.toConfig())).toEqual(
      model.connections.map((c) => c.weights.toConfig()),
    );
    expect(metadata).toEqual({ epochs: 3, note: 'test' });
    const names = [
      ...decodeSafetensors(new Uint8Array(readFileSync(join(directory, PARAMS_FILE))), 'x').tensors.keys(),
    ];
    expect(names.sort()).toEqual([
      'connections.0.W',
      'connections.1.W',
      'layers.0.loc',
      'layers.0.logVar',
      'layers.1.loc',
      'layers.2.loc',
    ]);
  });

  it('a OneHot layer of softmax groups loads with its groups', async () => {
    const model = new BoltzmannMachine([new OneHotLayer(6, { groupSize: 3 }), new BernoulliLayer(2)]);
    const directory = temporaryDirectory();
    await saveModel(model, directory);
    const loaded = (await loadModel(directory)).model;
    expect(loaded.layer(0).toConfig()).toEqual(model.layer(0).toConfig());
    expect(loaded.layer(0).toConfig()).toMatchObject({ groupSize: 3 });
    const field = be.zeros([1, 6]);
    for (const p of await be.read(loaded.layer(0).conditionalMean(field))) expect(p).toBeCloseTo(1 / 3, 6);
    be.dispose(field);
  });

  it('saves fitted preprocessing beside the model and restores it at load', async () => {
    const model = makeModel();
    const rows = { rows: 50, columns: 5, values: await be.read(be.randomNormal([50, 5])) };
    const preprocessing = await Preprocessing.fit([{ type: 'standardize' }, { type: 'zca', epsilon: 0.01 }], rows);
    const directory = temporaryDirectory();
    await saveModel(model, directory, {}, { preprocessing });
    const loaded = await loadModel(directory);
    expect(loaded.preprocessing?.steps).toEqual(preprocessing.steps);
    const [expected, actual] = [await preprocessing.transform(rows), await loaded.preprocessing?.transform(rows)];
    expect(Array.from(actual?.values ?? [])).toEqual(Array.from(expected.values));
    fs.rmSync(join(directory, PREPROCESSING_FILE));
    await expect(loadModel(directory)).rejects.toThrow(
      /names preprocessing steps, but .*preprocessing\.safetensors does not exist/,
    );
    const narrow = await Preprocessing.fit([{ type: 'pca', components: 4 }], rows);
    await expect(saveModel(model, directory, {}, { preprocessing: narrow })).rejects.toThrow(
      'saveModel: the preprocessing returns 4 columns, but the model has 5 visible units',
    );
  });

  it('saving over a model replaces it and leaves no staging files behind', async () => {
    const directory = temporaryDirectory();
    await saveModel(makeModel(), directory);
    const second = makeModel();
    await saveModel(second, directory);
    expect(await parameterValues((await loadModel(directory)).model)).toEqual(await parameterValues(second));
    const parent = join(directory, '..');
    expect(fs.readdirSync(parent)).toEqual(['model']);
  });
});

describe('save and load across backends', () => {
  it('a model saved on cpu loads on tfjs with the same values, and back', async () => {
    await use('cpu');
    const model = makeModel();
    const directory = temporaryDirectory();
    await saveModel(model, directory);
    const expected = await parameterValues(model);
    await use('tfjs', { device: 'cpu' });
    const onTfjs = (await loadModel(directory)).model;
    expect(be.name).toBe('tfjs');
    expect(await parameterValues(onTfjs)).toEqual(expected);
    const again = temporaryDirectory();
    await saveModel(onTfjs, again);
    await use('cpu');
    expect(await parameterValues((await loadModel(again)).model)).toEqual(expected);
  });
});

describe('loading corrupt or mismatched files fails with a typed error naming the problem', () => {
  afterEach(() => vi.restoreAllMocks());

  async function savedDirectory(): Promise<string> {
    await use('cpu');
    const directory = temporaryDirectory();
    await saveModel(makeModel(), directory);
    return directory;
  }

  function rewriteParams(directory: string, edit: (bytes: Uint8Array) => Uint8Array): void {
    const path = join(directory, PARAMS_FILE);
    writeFileSync(path, edit(new Uint8Array(readFileSync(path))));
  }

  function rewriteModelJson(directory: string, edit: (json: Record<string, unknown>) => unknown): void {
    const path = join(directory, MODEL_FILE);
    writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));
  }

  /** Replaces the params file by one holding `tensors` (after the originals, minus `drop`). */
  function replaceTensors(
    directory: string,
    change: (tensors: Map<string, { shape: readonly number[]; data: Float32Array }>) => void,
  ) {
    rewriteParams(directory, (bytes) => {
      const { tensors } = decodeSafetensors(bytes, 'x');
      change(tensors);
      return encodeSafetensors(Object.fromEntries(tensors));
    });
  }

  it('a missing directory or file', async () => {
    await expect(loadModel(join(tmpdir(), 'relief-does-not-exist'))).rejects.toThrow(/model\.json does not exist/);
    const directory = await savedDirectory();
    fs.rmSync(join(directory, PARAMS_FILE));
    await expect(loadModel(directory)).rejects.toThrow(DataError);
  });

  it('a truncated params file', async () => {
    const directory = await savedDirectory();
    rewriteParams(directory, (bytes) => bytes.subarray(0, bytes.length - 10));
    await expect(loadModel(directory)).rejects.toThrow(
      /ends at byte \d+ but the data has only \d+ bytes \(truncated file\?\)/,
    );
    rewriteParams(directory, (bytes) => bytes.subarray(0, 5));
    await expect(loadModel(directory)).rejects.toThrow(
      /parameters need at least 176 bytes; .*params\.safetensors has 5$/,
    );
  });

  it('a header length beyond the file', async () => {
    const directory = await savedDirectory();
    rewriteParams(directory, (bytes) => {
      const copy = Uint8Array.from(bytes);
      new DataView(copy.buffer).setBigUint64(0, BigInt(copy.length * 2), true);
      return copy;
    });
    await expect(loadModel(directory)).rejects.toThrow(/header length \d+ exceeds the \d+ bytes after it/);
  });

  it('a tensor of the wrong dtype', async () => {
    const directory = await savedDirectory();
    rewriteParams(directory, (bytes) => {
      // Same length, so the header length and offsets stay valid: only the dtype changes.
      const copy = Uint8Array.from(bytes);
      const at = Buffer.from(copy).indexOf('"dtype":"F32"');
      copy.set(new TextEncoder().encode('"dtype":"F64"'), at);
      return copy;
    });
    await expect(loadModel(directory)).rejects.toThrow(/has dtype "F64"; expected "F32" \(float32\)/);
  });

  it('a tensor of the wrong shape, a missing tensor, an unexpected tensor', async () => {
    const directory = await savedDirectory();
    replaceTensors(directory, (t) => t.set('layers.1.loc', { shape: [5], data: new Float32Array(5) }));
    await expect(loadModel(directory)).rejects.toThrow(/tensor 'layers.1.loc' has shape \[5\], expected \[4\]/);
    const missing = await savedDirectory();
    replaceTensors(missing, (t) => t.delete('connections.0.W'));
    await expect(loadModel(missing)).rejects.toThrow(
      /tensor 'connections.0.W' missing from the header \(model.json needs it\)/,
    );
    const other = await savedDirectory();
    replaceTensors(other, (t) => t.set('layers.9.loc', { shape: [1], data: new Float32Array(1) }));
    await expect(loadModel(other)).rejects.toThrow(/tensors that model.json does not describe: layers.9.loc/);
  });

  it('NaN in the parameters', async () => {
    const directory = await savedDirectory();
    replaceTensors(directory, (t) => {
      const entry = t.get('layers.0.loc');
      if (entry) entry.data[2] = Number.NaN;
    });
    await expect(loadModel(directory)).rejects.toThrow(/tensor 'layers.0.loc' is NaN at index 2/);
  });

  it('an unknown layer type, a wrong format version, invalid JSON', async () => {
    const directory = await savedDirectory();
    rewriteModelJson(directory, (json) => ({
      ...json,
      layers: [(json.layers as unknown[])[0], { type: 'tanh', units: 4 }, (json.layers as unknown[])[2]],
    }));
    await expect(loadModel(directory)).rejects.toThrow(ConfigError);
    await expect(loadModel(directory)).rejects.toThrow(
      /layers\[1\]\.type: expected one of 'bernoulli', 'continuous-bernoulli', 'gaussian', 'onehot', 'relu', 'nrelu', got "tanh"/,
    );
    const other = await savedDirectory();
    rewriteModelJson(other, (json) => ({ ...json, formatVersion: 99 }));
    await expect(loadModel(other)).rejects.toThrow(/formatVersion: this Relief reads version 1, got 99/);
    writeFileSync(join(other, MODEL_FILE), '{ "format": ');
    await expect(loadModel(other)).rejects.toThrow(/model\.json is not valid JSON/);
  });
});

describe('a failed or interrupted save keeps the previous model', () => {
  afterEach(() => vi.restoreAllMocks());

  it('when the swap is cut short after the old directory was moved aside', async () => {
    await use('cpu');
    const directory = temporaryDirectory();
    const first = makeModel();
    await saveModel(first, directory);
    const rename = fs.promises.rename;
    vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (String(from).includes('.saving-')) throw new Error('power cut');
      return rename(from, to);
    });
    await expect(saveModel(makeModel(), directory)).rejects.toThrow('power cut');
    vi.restoreAllMocks();
    expect(await parameterValues((await loadModel(directory)).model)).toEqual(await parameterValues(first));
  });

  it('when writing the new files fails', async () => {
    await use('cpu');
    const directory = temporaryDirectory();
    const first = makeModel();
    await saveModel(first, directory);
    vi.spyOn(fs.promises, 'open').mockRejectedValue(new Error('disk full'));
    await expect(saveModel(makeModel(), directory)).rejects.toThrow('disk full');
    vi.restoreAllMocks();
    expect(await parameterValues((await loadModel(directory)).model)).toEqual(await parameterValues(first));
    expect(fs.readdirSync(join(directory, '..'))).toEqual(['model']);
  });

  it('when the parameters hold NaN (training diverged)', async () => {
    await use('cpu');
    const directory = temporaryDirectory();
    const first = makeModel();
    await saveModel(first, directory);
    const broken = makeModel();
    broken.layer(2).setParam('loc', be.tensor([0, Number.NaN, 1]));
    await expect(saveModel(broken, directory)).rejects.toThrow(DivergenceError);
    await expect(saveModel(broken, directory)).rejects.toThrow(
      /parameter layers.2.loc is NaN at index 1; the previous save is kept/,
    );
    expect(await parameterValues((await loadModel(directory)).model)).toEqual(await parameterValues(first));
  });
});
