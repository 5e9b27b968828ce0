/**
 * Resumable training. A checkpoint directory holds the model (`model.json`,
 * `params.safetensors`) and, swapped in with it in one atomic save, where training stood:
 * `training.json` (epoch and minibatch, history, random streams, the data's shuffle, the
 * optimizer's type and step count, the driven β) and `training.safetensors` (the optimizer's
 * moments, the persistent chains, centering offsets, and a fit method's persistent tensors
 * such as TAP's magnetizations).
 * @packageDocumentation
 */
import * as z from 'zod';
import { be, type RandomStates, type RandomWords, type Shape, type Tensor } from '../backends/index.js';
import type { BatchSource, Preprocessing } from '../batch/index.js';
import { ConfigError, DataError, formatShape } from '../errors/index.js';
import {
  type BoltzmannMachine,
  decodeSafetensors,
  describeModel,
  encodeSafetensors,
  type LoadedModel,
  modelFromFiles,
  PREPROCESSING_FILE,
  parseModelText,
  preprocessingFiles,
  readModelDirectory,
  readParameters,
  State,
  type TensorData,
  writeModelDirectory,
} from '../models/index.js';
import { OPTIMIZER_KINDS, type Optimizer, type OptimizerState } from '../optimizers/index.js';
import type { DrivenBeta, DrivenBetaState, SequentialMC } from '../samplers/index.js';
import { parseWith } from '../validation/index.js';
import type { FitMethod } from './methods.js';
import type { EpochRecord } from './monitor.js';

/** File names of the training state inside a checkpoint directory. */
export const TRAINING_FILE = 'training.json';
export const TRAINING_TENSORS_FILE = 'training.safetensors';
/** The `format` field of `training.json`, and the version this code writes and reads. */
export const TRAINING_FORMAT = 'relief-training';
export const TRAINING_FORMAT_VERSION = 1;

/**
 * Where a training run stands between two minibatches: everything the next one depends on
 * besides the model's parameters. Taken from a live run, its tensors are that run's own;
 * loaded from a checkpoint, they belong to whoever resumes with it.
 */
export interface TrainingSnapshot {
  /** The stage of layerwise pretraining (0 for a single SGD run). */
  readonly stage: number;
  /** The histories of the stages before this one. */
  readonly stages: readonly (readonly EpochRecord[])[];
  /** Epochs finished in this stage. */
  readonly epochsDone: number;
  /** Minibatches of the next epoch already trained (nonzero after a stop within an epoch). */
  readonly batchesDone: number;
  /** Training seconds those minibatches took. */
  readonly secondsDone: number;
  /** The records of the finished epochs. */
  readonly history: readonly EpochRecord[];
  /** The backend's and the host's random streams where the next minibatch continues them. */
  readonly random: RandomStates;
  /** The data's shuffling generator at the start of the next epoch (null where the source does not shuffle). */
  readonly shuffle: RandomWords | null;
  /** The optimizer's type, epoch, update count and moments. */
  readonly optimizer: OptimizerState;
  /** The persistent chains, (chains, numUnits) per layer, and which sampler holds them. */
  readonly chains: { readonly holder: 'negative' | 'driven'; readonly units: readonly Tensor[] };
  /** The driven inverse temperature, when the run drives one. */
  readonly beta: DrivenBetaState | null;
  /** Centering offsets, (numUnits) per layer, once a centered run has started. */
  readonly centering: readonly Tensor[] | null;
  /** The fit method's persistent tensors (TAP's magnetizations), once it has some. */
  readonly method: readonly Tensor[] | null;
}

/** The live objects of a run whose state a snapshot carries. */
export interface RunParts {
  readonly model: BoltzmannMachine;
  readonly data: BatchSource;
  readonly optimizer: Optimizer;
  readonly method: FitMethod;
  readonly negativePhase: SequentialMC;
  /** The sampler with a driven β, when the run has one. */
  readonly driven: SequentialMC | undefined;
}

/** Where a run is in its epochs, with the random streams and shuffle to continue from. */
export type RunPosition = Pick<
  TrainingSnapshot,
  'stage' | 'stages' | 'epochsDone' | 'batchesDone' | 'secondsDone' | 'history' | 'random' | 'shuffle'
>;

/** The snapshot of a live run (its tensors stay the run's). */
export function snapshotRun(parts: RunParts, position: RunPosition): TrainingSnapshot {
  const holder = parts.driven?.hasState ? 'driven' : 'negative';
  const sampler = holder === 'driven' ? (parts.driven as SequentialMC) : parts.negativePhase;
  return {
    ...position,
    optimizer: parts.optimizer.snapshot(),
    chains: { holder, units: sampler.state.units },
    beta: parts.driven ? (parts.driven.beta as DrivenBeta).snapshot() : null,
    centering: parts.model.centering?.offsets ?? null,
    method: parts.method.persistent?.current() ?? null,
  };
}

/**
 * Puts a loaded snapshot's state into a run's live objects (which take over its tensors):
 * random streams, shuffle, optimizer, chains, driven β, centering offsets, the fit method's
 * tensors. Every shape is checked first, so a refused snapshot changes nothing.
 * @throws ConfigError when the run is set up differently from the one that wrote the snapshot
 */
export function restoreRun(parts: RunParts, snapshot: TrainingSnapshot): void {
  const { model, optimizer } = parts;
  const layerShapes = (rows: number) => model.layers.map((layer) => [rows, layer.numUnits]);
  const chainRows = parts.negativePhase.state.batchSize;
  checkShapes(snapshot.chains.units, layerShapes(chainRows), 'the persistent chains (negativePhaseBatchSize)');
  if (snapshot.beta && !parts.driven) throw differs('drives β (betaStd) and this run does not');
  if (parts.driven && !snapshot.beta) throw differs('has no driven β and this run drives one (betaStd)');
  const parameters = new Map(model.namedParameters().map((p) => [p.key, p.owner.paramShape(p.name)]));
  for (const [key, moments] of snapshot.optimizer.moments) {
    const shape = parameters.get(key);
    if (!shape) throw differs(`has optimizer moments for ${key}, which this model does not have`);
    checkShapes(
      moments,
      moments.map(() => shape),
      `the optimizer moments of ${key}`,
    );
  }
  if (snapshot.centering) {
    if (!model.centering) throw differs('is centered and this run is not');
    checkShapes(
      snapshot.centering,
      model.layers.map((layer) => [layer.numUnits]),
      'the centering offsets',
    );
  }
  const methodTensors = snapshot.method;
  if (methodTensors) {
    if (!parts.method.persistent)
      throw differs('has persistent tensors of a fit method (TAP, PT) this run does not use');
    const rows = methodTensors[0] ? (be.shape(methodTensors[0])[0] as number) : 0;
    checkShapes(methodTensors, parts.method.persistent.shapes(model, rows), "the fit method's persistent tensors");
  }

  optimizer.restore(snapshot.optimizer);
  const holder = snapshot.chains.holder === 'driven' ? (parts.driven as SequentialMC) : parts.negativePhase;
  if (holder !== parts.negativePhase) parts.negativePhase.dispose();
  holder.setState(new State(snapshot.chains.units));
  if (parts.driven && snapshot.beta) (parts.driven.beta as DrivenBeta).restore(snapshot.beta);
  if (snapshot.centering) model.centering?.setOffsets(snapshot.centering);
  if (methodTensors) parts.method.persistent?.restore(methodTensors);
  if (snapshot.shuffle) parts.data.setShuffleState?.(snapshot.shuffle);
}

function differs(what: string): ConfigError {
  return new ConfigError(`resume: the checkpoint's run ${what}; resume with the run's own settings`);
}

function checkShapes(tensors: readonly Tensor[], expected: readonly Shape[], what: string): void {
  const found = tensors.map((t) => formatShape(be.shape(t))).join(', ');
  const wanted = expected.map(formatShape).join(', ');
  if (found !== wanted) throw differs(`has ${what} of shapes ${found}; this run needs ${wanted}`);
}

/** The tensors of a snapshot by their names in `training.safetensors`. */
function namedTensors(snapshot: TrainingSnapshot): Map<string, Tensor> {
  const lists: [string, readonly Tensor[] | null][] = [
    ...[...snapshot.optimizer.moments].map(([key, moments]): [string, readonly Tensor[]] => [
      `optimizer/${key}`,
      moments,
    ]),
    ['chains', snapshot.chains.units],
    ['centering', snapshot.centering],
    ['method', snapshot.method],
  ];
  return new Map(
    lists.flatMap(([prefix, tensors]) => (tensors ?? []).map((t, i): [string, Tensor] => [`${prefix}/${i}`, t])),
  );
}

/**
 * Saves `model` with `metadata` and the training state `snapshot` into `directory`, all in
 * one atomic swap (see `saveModel`): a save killed at any point leaves the previous
 * checkpoint or the new one, whole.
 * @throws DivergenceError for non-finite parameters (the previous checkpoint is kept)
 */
export async function saveCheckpoint(
  directory: string,
  model: BoltzmannMachine,
  metadata: Record<string, unknown>,
  snapshot: TrainingSnapshot,
  preprocessing?: Preprocessing,
): Promise<void> {
  const { optimizer, chains, centering, method, ...position } = snapshot;
  const state = {
    format: TRAINING_FORMAT,
    formatVersion: TRAINING_FORMAT_VERSION,
    ...position,
    optimizer: {
      kind: optimizer.kind,
      epoch: optimizer.epoch,
      updates: optimizer.updates,
      moments: Object.fromEntries([...optimizer.moments].map(([key, tensors]) => [key, tensors.length])),
    },
    chains: { holder: chains.holder, layers: chains.units.length },
    centering: centering?.length ?? null,
    method: method?.length ?? null,
  };
  const tensors: Record<string, TensorData> = {};
  for (const [name, tensor] of namedTensors(snapshot)) {
    tensors[name] = { shape: [...be.shape(tensor)], data: await be.read(tensor) };
  }
  const description = describeModel(model, metadata, preprocessing && { preprocessing });
  await writeModelDirectory(directory, description, await readParameters(model.namedParameters()), {
    ...preprocessingFiles(model, preprocessing, 'checkpoint'),
    [TRAINING_FILE]: `${JSON.stringify(state, null, 2)}\n`,
    [TRAINING_TENSORS_FILE]: encodeSafetensors(tensors, { format: TRAINING_FORMAT }),
  });
}

const count = z.number().int().nonnegative();
const word = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const words = z.tuple([word, word, word, word]);
const epochRecord = z.object({ epoch: count, seconds: z.number() }).catchall(z.number());

function trainingStateSchema() {
  return z.strictObject({
    format: z.literal(TRAINING_FORMAT),
    formatVersion: z.literal(TRAINING_FORMAT_VERSION),
    stage: count,
    stages: z.array(z.array(epochRecord)),
    epochsDone: count,
    batchesDone: count,
    secondsDone: z.number().nonnegative(),
    history: z.array(epochRecord),
    random: z.strictObject({ backend: words, host: words }),
    shuffle: words.nullable(),
    optimizer: z.strictObject({
      kind: z.enum(OPTIMIZER_KINDS),
      epoch: count,
      updates: count,
      moments: z.record(z.string(), count),
    }),
    chains: z.strictObject({ holder: z.enum(['negative', 'driven']), layers: count }),
    beta: z.strictObject({ t: count, betas: z.array(z.number().positive()).nullable() }).nullable(),
    centering: count.nullable(),
    method: count.nullable(),
  });
}

/**
 * A checkpoint written by training with a `checkpoint` directory: the model, its metadata, and
 * where training stood (its tensors on the backend in use, owned by the caller until a run
 * resumes with them). Reads the four files from one and the same directory.
 * @throws DataError when the directory holds a model but no training state, or corrupt files;
 *   ConfigError for an invalid `training.json`
 */
export async function loadCheckpoint(directory: string): Promise<LoadedModel & { snapshot: TrainingSnapshot }> {
  const files = await readModelDirectory(directory, [TRAINING_FILE, TRAINING_TENSORS_FILE, PREPROCESSING_FILE]);
  const stateBytes = files.extras[TRAINING_FILE];
  const tensorBytes = files.extras[TRAINING_TENSORS_FILE];
  if (!stateBytes || !tensorBytes) {
    throw new DataError(
      `resume: ${directory} holds a model but no training state (${TRAINING_FILE}, ${TRAINING_TENSORS_FILE}); it was saved by saveModel, not by a training checkpoint`,
    );
  }
  const where = `${directory}/${TRAINING_FILE}`;
  const state = parseWith(
    trainingStateSchema(),
    parseModelText(new TextDecoder().decode(stateBytes), where),
    `${where}:`,
  );
  const names = [
    ...Object.entries(state.optimizer.moments).flatMap(([key, n]) =>
      Array.from({ length: n }, (_, i) => `optimizer/${key}/${i}`),
    ),
    ...Array.from({ length: state.chains.layers }, (_, i) => `chains/${i}`),
    ...Array.from({ length: state.centering ?? 0 }, (_, i) => `centering/${i}`),
    ...Array.from({ length: state.method ?? 0 }, (_, i) => `method/${i}`),
  ];
  const { tensors } = decodeSafetensors(tensorBytes, `resume: ${directory}/${TRAINING_TENSORS_FILE}`, {
    names,
    describedBy: TRAINING_FILE,
  });
  const loaded = modelFromFiles(files.modelText, files.paramsBytes, files, files.extras[PREPROCESSING_FILE]);
  const load = (name: string) => {
    const { shape, data } = tensors.get(name) as TensorData;
    return be.tensor(data, shape);
  };
  const list = (prefix: string, n: number | null) =>
    n === null ? null : Array.from({ length: n }, (_, i) => load(`${prefix}/${i}`));
  const snapshot: TrainingSnapshot = {
    ...state,
    optimizer: {
      ...state.optimizer,
      moments: new Map(
        Object.entries(state.optimizer.moments).map(([key, n]) => [key, list(`optimizer/${key}`, n) as Tensor[]]),
      ),
    },
    chains: { holder: state.chains.holder, units: list('chains', state.chains.layers) as Tensor[] },
    centering: list('centering', state.centering),
    method: list('method', state.method),
  };
  return { ...loaded, snapshot };
}
