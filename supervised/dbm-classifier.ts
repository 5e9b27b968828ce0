import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { type LabelledBatch, type LabelledBatchSource, MappedBatches, type Split } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, loadModel, saveModel } from '../models/index.js';
import { checkOptions, parseWith } from '../validation/index.js';
import { type Classifier, checkInputs } from './classifier.js';
import { DenseLayer } from './dense.js';
import { FeedForwardNetwork } from './network.js';
import { loadClassifier, saveClassifier } from './persistence.js';

/** Mean-field sweeps that compute q(h² | v) unless told otherwise. */
export const DEFAULT_MEAN_FIELD_STEPS = 10;

/** Options of {@link dbmClassifier}. */
export interface DbmClassifierOptions {
  /** Mean-field sweeps (h¹ then h², v clamped) from the up-pass that give q(h² | v) (default 10). */
  readonly meanFieldSteps?: number;
}

/**
 * q(h² | v): the top layer's marginals after `steps` mean-field sweeps of a three-layer DBM
 * with v clamped, started from one up-pass (`stateFromVisible`, `meanFieldIteration`).
 * @param dbm - a three-layer model v–h¹–h² @param visible - (batch, numVisible)
 * @returns (batch, numUnits of h²), owned by the caller
 */
export function meanFieldPosterior(dbm: BoltzmannMachine, visible: Tensor, steps: number): Tensor {
  checkDbm(dbm, 'meanFieldPosterior');
  const start = dbm.stateFromVisible(visible);
  const fixedPoint = dbm.meanFieldIteration(steps, start, { clamped: [0] });
  const top = be.clone(fixedPoint.getLayer(2));
  const created = new Set([...start.units, ...fixedPoint.units]);
  created.delete(visible);
  be.dispose([...created]);
  return top;
}

/**
 * The "augmented input" of Salakhutdinov & Hinton (2009): each row of v followed by its
 * q(h² | v) ({@link meanFieldPosterior}).
 * @param visible - (batch, numVisible) @returns (batch, numVisible + numUnits of h²), owned by the caller
 */
export function augmentedInputs(dbm: BoltzmannMachine, visible: Tensor, steps: number): Tensor {
  return be.tidy(() => be.concat([visible, meanFieldPosterior(dbm, visible, steps)], 1));
}

/**
 * A labelled source whose inputs are the augmented inputs of another's: the same splits,
 * shuffles, targets and labels, each batch's inputs (batch, numVisible) replaced by
 * (batch, numVisible + numUnits of h²). The DBM does not change, so every row's q(h² | v)
 * is the same fixed vector in every epoch.
 */
export class AugmentedBatches extends MappedBatches implements LabelledBatchSource {
  readonly numClasses: number;

  /** @param augment - (batch, numVisible) → (batch, numVisible + numAugmented) @param numAugmented - columns it appends */
  constructor(
    private readonly labelled: LabelledBatchSource,
    private readonly augment: (visible: Tensor) => Tensor,
    numAugmented: number,
  ) {
    super(labelled, labelled.numVisible + numAugmented, augment);
    this.numClasses = labelled.numClasses;
  }

  async *labelledBatches(split: Split): AsyncIterable<LabelledBatch> {
    for await (const { inputs, targets, labels } of this.labelled.labelledBatches(split)) {
      const augmented = this.augment(inputs);
      be.dispose(inputs);
      yield { inputs: augmented, targets, labels };
    }
  }
}

/**
 * A deep Boltzmann machine fine-tuned as a classifier (Salakhutdinov & Hinton 2009): a
 * {@link FeedForwardNetwork} on the augmented input [v, q(h² | v)], whose q(h² | v) comes from
 * mean-field inference in a DBM that fine-tuning leaves as it is. It classifies raw rows v:
 * `numInputs` is the DBM's visible units. It owns its network and its DBM.
 */
export class DbmClassifier implements Classifier {
  readonly meanFieldSteps: number;

  /**
   * @param dbm - a three-layer Bernoulli model v–h¹–h², held fixed
   * @param network - takes (batch, numVisible + numUnits of h²)
   */
  constructor(
    readonly dbm: BoltzmannMachine,
    readonly network: FeedForwardNetwork,
    options: DbmClassifierOptions = {},
  ) {
    checkOptions(options, { meanFieldSteps: true }, 'DbmClassifier');
    checkDbm(dbm, 'DbmClassifier');
    this.meanFieldSteps = checkSteps(options.meanFieldSteps ?? DEFAULT_MEAN_FIELD_STEPS, 'DbmClassifier');
    const expected = dbm.layer(0).numUnits + dbm.layer(2).numUnits;
    if (network.numInputs !== expected) {
      throw new ShapeError(
        `DbmClassifier: expected a network taking ${expected} inputs (v and q(h²)), got one taking ${network.numInputs}`,
      );
    }
  }

  get numInputs(): number {
    return this.dbm.layer(0).numUnits;
  }

  get numClasses(): number {
    return this.network.numClasses;
  }

  /** [v, q(h² | v)]. @param visible - (batch, numVisible) @returns (batch, network.numInputs) */
  augment(visible: Tensor): Tensor {
    checkInputs(this, visible, 'DbmClassifier.augment');
    return augmentedInputs(this.dbm, visible, this.meanFieldSteps);
  }

  /** What `FineTune` trains the network on: `data`'s batches with augmented inputs. @param data - rows (batch, numVisible) */
  trainingData(data: LabelledBatchSource): AugmentedBatches {
    if (data.numVisible !== this.numInputs) {
      throw new ShapeError(
        `DbmClassifier.trainingData: expected data with ${this.numInputs} columns (the DBM's visible units), got ${data.numVisible}`,
      );
    }
    return new AugmentedBatches(data, (visible) => this.augment(visible), this.dbm.layer(2).numUnits);
  }

  /** The class scores before the softmax. @param visible - (batch, numVisible) @returns (batch, numClasses) */
  logits(visible: Tensor): Tensor {
    return be.tidy(() => this.network.logits(this.augment(visible)));
  }

  predictProba(visible: Tensor): Tensor {
    return be.tidy(() => this.network.predictProba(this.augment(visible)));
  }

  /** Frees the network and the DBM. */
  dispose(): void {
    this.network.dispose();
    this.dbm.dispose();
  }
}

/**
 * The classifier of Salakhutdinov & Hinton (2009) from a trained three-layer Bernoulli DBM
 * v–h¹–h² (weights W¹ (numVisible, n¹), W² (n¹, n²), biases b¹, b²): dense layers
 * [v, q(h²)] → h¹ with matrix [W¹; W²ᵀ] and bias b¹, h¹ → h² with W² and b², then a random
 * softmax layer. The first two compute one more mean-field sweep, so at a fixed point of the
 * mean-field they reproduce q(h¹ | v) and q(h² | v). The DBM is not changed; the classifier
 * holds its own copy.
 */
export function dbmClassifier(
  dbm: BoltzmannMachine,
  numClasses: number,
  options: DbmClassifierOptions = {},
): DbmClassifier {
  checkOptions(options, { meanFieldSteps: true }, 'dbmClassifier');
  checkDbm(dbm, 'dbmClassifier');
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ConfigError(`dbmClassifier: numClasses: expected an integer of at least 2, got ${numClasses}`);
  }
  const [bottom, top] = [dbm.denseWeights(0, 'dbmClassifier'), dbm.denseWeights(1, 'dbmClassifier')];
  const [numVisible, numFirst, numSecond] = [0, 1, 2].map((i) => dbm.layer(i).numUnits) as [number, number, number];
  const first = be.tidy(() => be.concat([bottom.matrix, transposeOf(top.matrix)], 0));
  const layers = [
    new DenseLayer(numVisible + numSecond, numFirst, { matrix: first, bias: dbm.layer(1).param('loc') }),
    new DenseLayer(numFirst, numSecond, { matrix: top.matrix, bias: dbm.layer(2).param('loc') }),
    DenseLayer.random(numSecond, numClasses, 'softmax'),
  ];
  be.dispose(first);
  return new DbmClassifier(copyOf(dbm), new FeedForwardNetwork(layers), options);
}

/** Where a saved DBM classifier keeps its DBM, inside its directory. */
const DBM_DIRECTORY = 'dbm';
/** The metadata key of a saved classifier that says its input is augmented by a DBM. */
const META_KEY = 'meanFieldInput';

const meanFieldInputSchema = z.strictObject({
  model: z.literal(DBM_DIRECTORY),
  steps: z.int().min(0),
});

/**
 * Saves a DBM classifier: its network as a classifier (`saveClassifier`, format
 * `relief-classifier`) whose metadata `meanFieldInput` gives the mean-field sweeps, and its
 * DBM as a model (`saveModel`) in `<directory>/dbm`.
 * @throws DivergenceError for non-finite parameters
 */
export async function saveDbmClassifier(
  classifier: DbmClassifier,
  directory: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const input = { model: DBM_DIRECTORY, steps: classifier.meanFieldSteps };
  await saveClassifier(classifier.network, directory, { ...metadata, [META_KEY]: input });
  // Saves swap whole directories, so the DBM goes into the classifier's after it.
  // A Node-only path: imported here, so a page bundling the library does not load it.
  const { join } = await import('node:path');
  await saveModel(classifier.dbm, join(directory, DBM_DIRECTORY));
}

/**
 * Loads what {@link saveDbmClassifier} saved.
 * @throws ConfigError when the classifier's metadata has no valid `meanFieldInput`;
 *   DataError for missing or corrupt files
 */
export async function loadDbmClassifier(
  directory: string,
): Promise<{ classifier: DbmClassifier; metadata: Record<string, unknown> }> {
  const { network, metadata } = await loadClassifier(directory);
  const { join } = await import('node:path');
  try {
    const where = `${join(directory, 'model.json')}: metadata.${META_KEY}:`;
    if (metadata[META_KEY] === undefined) {
      throw new ConfigError(`${where} expected the mean-field input of a DBM classifier (saveDbmClassifier), got none`);
    }
    const input = parseWith(meanFieldInputSchema, metadata[META_KEY], where);
    const { model } = await loadModel(join(directory, input.model));
    try {
      return { classifier: new DbmClassifier(model, network, { meanFieldSteps: input.steps }), metadata };
    } catch (error) {
      model.dispose();
      throw error;
    }
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** @throws ConfigError unless `dbm` is a three-layer model of Bernoulli layers with dense weights */
function checkDbm(dbm: BoltzmannMachine, where: string): void {
  if (dbm.numLayers !== 3) {
    throw new ConfigError(`${where}: expected a DBM of three layers (v, h¹, h²), got ${dbm.numLayers} layers`);
  }
  for (let i = 0; i < 3; i++) {
    const layer = dbm.layer(i);
    if (!(layer instanceof BernoulliLayer)) {
      throw new ConfigError(`${where}: expected Bernoulli layers, got layer ${i} ${layer.describe()}`);
    }
  }
  dbm.denseWeights(0, where);
  dbm.denseWeights(1, where);
}

function checkSteps(steps: number, where: string): number {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new ConfigError(`${where}: meanFieldSteps: expected a non-negative integer, got ${steps}`);
  }
  return steps;
}

/** Mᵀ, as the product Mᵀ I. @param matrix - (rows, columns) @returns (columns, rows) */
function transposeOf(matrix: Tensor): Tensor {
  const rows = be.shape(matrix)[0] as number;
  const identity = new Float32Array(rows * rows);
  for (let i = 0; i < rows; i++) identity[i * rows + i] = 1;
  return be.tidy(() => be.matmul(matrix, be.tensor(identity, [rows, rows]), { transposeA: true }));
}

/** A model of the same layers and parameters as `dbm`, sharing no tensors with it. */
function copyOf(dbm: BoltzmannMachine): BoltzmannMachine {
  const layers = [0, 1, 2].map((i) => dbm.layer(i).sameKind());
  const copy = new BoltzmannMachine(layers, { weights: 'zeros' });
  const source = dbm.namedParameters();
  copy.namedParameters().forEach(({ owner, name }, i) => {
    const from = source[i] as (typeof source)[number];
    owner.setParam(name, be.clone(from.owner.param(from.name)));
  });
  return copy;
}
