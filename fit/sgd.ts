import { be, randomStates, setRandomStates, type Tensor } from '../backends/index.js';
import { type BatchSource, isLabelled } from '../batch/index.js';
import { ConfigError, DivergenceError } from '../errors/index.js';
import type { BoltzmannMachine, CenteringOptions } from '../models/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { ConstantBeta, DrivenBeta, SequentialMC, type Updater } from '../samplers/index.js';
import { checkOptions, didYouMean, type OptionKeys } from '../validation/index.js';
import {
  type RunParts,
  type RunPosition,
  restoreRun,
  saveCheckpoint,
  snapshotRun,
  type TrainingSnapshot,
} from './checkpoint.js';
import { countDeviceWork } from './device-work.js';
import { checkFitMethod, type FitMethod, pcd } from './methods.js';
import { checkRunHooks, endEpoch, History, ProgressMonitor, RUN_HOOK_KEYS, type RunHooks } from './monitor.js';

/** Options of {@link SGD.train}. */
export interface TrainOptions extends RunHooks<BoltzmannMachine> {
  /** Gradient estimator, made by a method factory: `pcd()` (default), `cd({ steps })`, `tap()`, `pt({ betas })`, … */
  readonly method?: FitMethod;
  /** Monte Carlo sweeps per gradient (k of CD-k / PCD-k; default 1). */
  readonly mcsteps?: number;
  /** How chains move (default `markovChain`). */
  readonly updater?: Updater;
  /**
   * How the positive phase of a deep model moves its hidden layers, the data clamped (default:
   * `updater` and `mcsteps`, as the negative phase). Salakhutdinov & Hinton's variational DBM
   * learning takes mean-field posteriors: `{ updater: 'meanFieldIteration', mcsteps: 10 }`.
   */
  readonly positivePhase?: { readonly updater?: Updater; readonly mcsteps?: number };
  /**
   * Standard deviation of the negative phase's driven inverse temperature (default 0: plain
   * β = 1; Paysage defaults to 0.6). Applies after `burnIn` epochs.
   */
  readonly betaStd?: number;
  /** Autocorrelation of the driven β (default 0.9). */
  readonly betaMomentum?: number;
  /** Epochs before the driven β starts (default 0). */
  readonly burnIn?: number;
  /** Chains of the negative phase (default: the batch size). */
  readonly negativePhaseBatchSize?: number;
  /** Computes metrics after each epoch (default: all metrics; `null` for none). */
  readonly monitor?: ProgressMonitor | null;
  /**
   * Trains centered (Melchior et al. 2016; PyDeep's centered RBMs and DBMs): offsets follow
   * each layer's means with this rate, for this run (see `models.Centering`).
   */
  readonly centering?: CenteringOptions;
  /**
   * Continues a run from where its checkpoint stood (`loadCheckpoint(directory).snapshot`;
   * train the checkpoint's model, with the run's own data, optimizer type and options):
   * `epochs` stays the run's total, a stop within an epoch resumes at the next minibatch, and
   * the result is bit-identical to a run never stopped (unless `onEpoch` draws random
   * numbers). The run takes over the snapshot's tensors.
   */
  readonly resume?: TrainingSnapshot;
}

/** Where an SGD run sits in a larger one (a stage of layerwise pretraining), for its checkpoints. */
export interface SGDStage {
  /** The model the checkpoints save (the whole deep model while one pair of its layers trains). */
  readonly saves: BoltzmannMachine;
  /** This stage's index. */
  readonly index: number;
  /** The histories of the stages before. */
  readonly before: readonly History[];
}

/** The stage of each run that {@link stageSGD} made; runs made with `new SGD` have none. */
const STAGES = new WeakMap<SGD, SGDStage>();

/**
 * An SGD run that is one stage of layerwise pretraining: its checkpoints save `stage.saves`
 * and record the stage, and it resumes only snapshots of that stage. For `LayerwisePretrain`;
 * not exported from `fit/index.ts`.
 */
export function stageSGD(model: BoltzmannMachine, data: BatchSource, stage: SGDStage): SGD {
  const sgd = new SGD(model, data);
  STAGES.set(sgd, stage);
  return sgd;
}

/** The keys of {@link TrainOptions}, for run-time checks of option objects. */
export const TRAIN_OPTION_KEYS: OptionKeys<TrainOptions> = {
  method: true,
  mcsteps: true,
  updater: true,
  positivePhase: true,
  betaStd: true,
  betaMomentum: true,
  burnIn: true,
  negativePhaseBatchSize: true,
  ...RUN_HOOK_KEYS,
  monitor: true,
  centering: true,
  resume: true,
};

/**
 * Stochastic gradient descent over minibatches (Paysage's `StochasticGradientDescent`):
 * each minibatch gives a gradient estimate from the fit method, the optimizer applies it.
 * Every minibatch step runs inside `be.tidy`, so the tensor count stays flat across epochs.
 */
export class SGD {
  constructor(
    readonly model: BoltzmannMachine,
    readonly data: BatchSource,
  ) {
    if (data.numVisible !== model.layer(0).numUnits) {
      throw new ConfigError(
        `SGD: the data has ${data.numVisible} columns but the model has ${model.layer(0).numUnits} visible units`,
      );
    }
  }

  /** Where this run sits in layerwise pretraining ({@link stageSGD}); otherwise stage 0 of itself. */
  get #stage(): SGDStage {
    return STAGES.get(this) ?? { saves: this.model, index: 0, before: [] };
  }

  /**
   * Trains for `epochs` epochs (mutates the model) and returns the history.
   * @throws DivergenceError when a parameter becomes NaN or infinite (the last checkpoint is kept)
   */
  async train(optimizer: Optimizer, epochs: number, options: TrainOptions = {}): Promise<History> {
    if (!Number.isInteger(epochs) || epochs < 0)
      throw new ConfigError(`train: epochs: expected a non-negative integer, got ${epochs}`);
    checkOptions(options, TRAIN_OPTION_KEYS, 'SGD.train');
    if (options.positivePhase)
      checkOptions(options.positivePhase, { updater: true, mcsteps: true }, 'SGD.train: positivePhase');
    checkRunHooks(options, 'SGD.train');
    const { model, data } = this;
    const method = options.method === undefined ? pcd() : checkFitMethod(options.method, 'SGD.train: method');
    if (method.usesLabels && !isLabelled(data)) throw labelsNeeded();
    const mcsteps = options.mcsteps ?? 1;
    const updater = options.updater ?? 'markovChain';
    const monitor = options.monitor === undefined ? new ProgressMonitor() : options.monitor;
    this.checkWatched(options, monitor, method);
    const chains = options.negativePhaseBatchSize ?? data.batchSize;
    be.checkMemory(
      [
        ...model.parameterTensors('parameter'),
        ...model.parameterTensors('gradient of'),
        ...Array.from({ length: optimizer.momentsPerParameter }, () =>
          model.parameterTensors('optimizer moments of'),
        ).flat(),
        ...model.stateTensors(data.batchSize, 'minibatch state'),
        ...model.stateTensors(chains, 'negative-phase chains'),
        ...model.stateTensors(chains, 'fields of the chains'),
      ],
      'SGD.train',
      'use a smaller batchSize (or negativePhaseBatchSize), fewer units, or a backend with more memory',
    );
    if (options.centering) model.center(options.centering);
    const positivePhase = new SequentialMC(model, {
      mcsteps: options.positivePhase?.mcsteps ?? mcsteps,
      updater: options.positivePhase?.updater ?? updater,
      clamped: [0],
    });
    const negativePhase = SequentialMC.fromModel(model, chains, {
      mcsteps,
      updater,
      beta: new ConstantBeta(),
    });
    const driven = options.betaStd
      ? new SequentialMC(model, {
          mcsteps,
          updater,
          beta: new DrivenBeta({ std: options.betaStd, momentum: options.betaMomentum }),
        })
      : undefined;
    const parts: RunParts = { model, data, optimizer, method, negativePhase, driven };
    const resume = options.resume;
    try {
      if (resume) this.resumeFrom(parts, resume);
      const history = new History((resume?.history ?? []).filter((r) => r.epoch <= (resume?.epochsDone ?? 0)));
      const first = (resume?.epochsDone ?? 0) + 1;
      const save = (saved: BoltzmannMachine, directory: string, metadata: Record<string, unknown>) =>
        saveCheckpoint(directory, saved, metadata, snapshotRun(parts, position), options.checkpoint?.preprocessing);
      // Until an epoch ends, the run stands where the snapshot left it (within an epoch, perhaps).
      let position: RunPosition = {
        ...this.position(resume?.epochsDone ?? 0, history),
        ...(resume && { batchesDone: resume.batchesDone, secondsDone: resume.secondsDone }),
      };
      for (let epoch = first; epoch <= epochs; epoch++) {
        optimizer.setEpoch(epoch - 1);
        const negative = driven && epoch > (options.burnIn ?? 0) ? this.handOver(negativePhase, driven) : negativePhase;
        const resumed = epoch === first ? resume : undefined;
        const shuffle = data.shuffleState?.() ?? null;
        const started = performance.now() - 1000 * (resumed?.secondsDone ?? 0);
        let samples = 0;
        let batches = 0;
        let trained = 0;
        let stopped = false;
        const deviceWork = countDeviceWork();
        for await (const { visible, targets } of this.trainingBatches(method.usesLabels === true)) {
          const owned = targets === undefined ? [visible] : [visible, targets];
          samples += be.shape(visible)[0] as number;
          if (batches < (resumed?.batchesDone ?? 0)) {
            // Trained before the stop: the same shuffle, skipped.
            be.dispose(owned);
            batches += 1;
            continue;
          }
          if (options.signal?.aborted) {
            be.dispose(owned);
            stopped = true;
            break;
          }
          be.tidy(() => {
            optimizer.update(model, method(visible, model, positivePhase, negative, targets));
          });
          batches += 1;
          trained += 1;
          be.dispose(owned);
          options.onBatch?.(epoch, samples);
        }
        const work = deviceWork(trained);
        const seconds = (performance.now() - started) / 1000;
        // A stop within an epoch resumes at its next minibatch: the random streams as they are
        // now (before the metrics draw), the shuffle the epoch started with.
        position = stopped
          ? { ...this.position(epoch - 1, history), batchesDone: batches, secondsDone: seconds, shuffle }
          : position;
        const problem = await model.findNonFinite();
        if (problem) {
          throw new DivergenceError(
            `training diverged in epoch ${epoch}: ${problem}${options.checkpoint ? `; the checkpoint in ${options.checkpoint.directory} is kept` : ''}`,
          );
        }
        const report = (await method.epochReport?.()) ?? {};
        const metrics = monitor ? await monitor.evaluate(model, data) : {};
        const validation =
          method.validation && data.size('validate') > 0 ? await method.validation.evaluate(model, data) : {};
        if (!stopped) position = this.position(epoch, history);
        const record = { epoch, seconds, ...work, ...report, ...metrics, ...validation };
        if (await endEpoch(history, record, epochs, options, this.#stage.saves, save)) break;
      }
      if (first > epochs && options.checkpoint) {
        // Nothing left to train: the checkpoint still holds the model and where it stands.
        const { directory, metadata } = options.checkpoint;
        await save(this.#stage.saves, directory, { ...metadata, history: history.toJSON() });
      }
      return history;
    } finally {
      if (options.centering) model.center(null);
      positivePhase.dispose();
      negativePhase.dispose();
      driven?.dispose();
    }
  }

  /** Where the run stands after `epochsDone` finished epochs: the random streams and shuffle now, the history so far. */
  private position(epochsDone: number, history: History): RunPosition {
    return {
      stage: this.#stage.index,
      stages: this.#stage.before.map((h) => h.records),
      epochsDone,
      batchesDone: 0,
      secondsDone: 0,
      history: history.records,
      random: randomStates(),
      shuffle: this.data.shuffleState?.() ?? null,
    };
  }

  /** Continues from a snapshot: checks it is this stage's, then restores every part. */
  private resumeFrom(parts: RunParts, snapshot: TrainingSnapshot): void {
    if (snapshot.stage !== this.#stage.index) {
      throw new ConfigError(
        `SGD.train: resume: the snapshot is of stage ${snapshot.stage} of layerwise pretraining; this run is stage ${this.#stage.index} (resume it with LayerwisePretrain)`,
      );
    }
    restoreRun(parts, snapshot);
    setRandomStates(snapshot.random);
  }

  /** Refuses a stopping rule or save-best whose metric neither the monitor nor the fit method will compute. */
  private checkWatched(options: TrainOptions, monitor: ProgressMonitor | null, method: FitMethod): void {
    for (const [field, goal] of [
      ['stopping', options.stopping],
      ['keepBest', options.keepBest],
    ] as const) {
      if (goal === undefined) continue;
      const computed =
        this.data.size('validate') > 0
          ? [...(monitor?.metrics.map((m) => m.name) ?? []), ...(method.validation?.metrics ?? [])]
          : [];
      if (!computed.includes(goal.metric)) {
        throw new ConfigError(
          `SGD.train: ${field}.metric: '${goal.metric}' is not computed${didYouMean(goal.metric, computed)} (the monitor and the fit method compute ${computed.join(', ') || 'nothing'}${this.data.size('validate') === 0 ? ': the data has no validation split' : ''})`,
        );
      }
    }
  }

  /** One epoch of training batches, with one-hot targets for a fit method that uses labels. */
  private async *trainingBatches(withLabels: boolean): AsyncIterable<{ visible: Tensor; targets?: Tensor }> {
    if (!withLabels) {
      for await (const visible of this.data.batches('train')) yield { visible };
      return;
    }
    if (!isLabelled(this.data)) throw labelsNeeded();
    for await (const { inputs, targets } of this.data.labelledBatches('train')) yield { visible: inputs, targets };
  }

  /** Moves the persistent chains from one sampler to another (once), returning the receiver. */
  private handOver(from: SequentialMC, to: SequentialMC): SequentialMC {
    if (!to.hasState) to.setState(from.release());
    return to;
  }
}

function labelsNeeded(): ConfigError {
  return new ConfigError(
    'SGD: this fit method learns from labels; give it a labelled batch source (InMemoryBatch with { labels })',
  );
}
