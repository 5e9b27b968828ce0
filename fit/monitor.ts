import { be } from '../backends/index.js';
import type { BatchSource, Preprocessing } from '../batch/index.js';
import { ConfigError } from '../errors/index.js';
import { allMetrics, type Metric } from '../metrics/index.js';
import type { BoltzmannMachine } from '../models/index.js';
import { SequentialMC } from '../samplers/index.js';
import { checkOptions, didYouMean, type OptionKeys } from '../validation/index.js';

/** One epoch of training: its number, its training time in seconds (metrics excluded), and each metric by name. */
export interface EpochRecord {
  readonly epoch: number;
  readonly seconds: number;
  readonly [metric: string]: number;
}

/** A field of the epoch records to watch (a metric's name), and which way it improves. */
export interface MetricGoal {
  readonly metric: string;
  /** `'min'` (default) when lower is better, `'max'` when higher is (e.g. PseudoLikelihood). */
  readonly mode?: 'min' | 'max';
}

/** When to stop: `metric` has not improved on its best by more than `tolerance` for `patience` epochs in a row. */
export interface StoppingRule extends MetricGoal {
  /** An improvement of at most this counts as none (default 0). */
  readonly tolerance?: number;
  /** Epochs in a row without improvement before training stops (default 1). */
  readonly patience?: number;
}

/** What a training loop offers its caller, for a model of type `M`: stopping, progress and checkpoints. */
export interface RunHooks<M> {
  /** Stops training between minibatches; the history is marked `aborted`. */
  readonly signal?: AbortSignal;
  /** Called after each minibatch with the epoch and the samples seen so far in it (e.g. for a progress bar). */
  readonly onBatch?: (epoch: number, samples: number) => void;
  /** Called after each epoch with its record (after the checkpoint is written). */
  readonly onEpoch?: (record: EpochRecord, model: M) => void | Promise<void>;
  /** Saves the model to `directory` every `every` epochs (default 1) and at the end. */
  readonly checkpoint?: {
    readonly directory: string;
    readonly every?: number;
    readonly metadata?: Record<string, unknown>;
    /** Preprocessing fitted on the training data, saved with every checkpoint (as `saveModel` does). */
    readonly preprocessing?: Preprocessing;
  };
  /** Stops early once a metric has converged (or worsens); the history is marked `converged`. */
  readonly stopping?: StoppingRule;
  /** Saves the model (as a checkpoint, which `loadModel` reads) to `directory` at each epoch whose `metric` is a new best. */
  readonly keepBest?: MetricGoal & { readonly directory: string };
}

/** The keys of {@link RunHooks}, for run-time checks of option objects that extend it. */
export const RUN_HOOK_KEYS: OptionKeys<RunHooks<unknown>> = {
  signal: true,
  onBatch: true,
  onEpoch: true,
  checkpoint: true,
  stopping: true,
  keepBest: true,
};

/**
 * Refuses hooks that would lose a saved model: a `keepBest.directory` inside
 * `checkpoint.directory` (every checkpoint replaces that whole directory).
 * @throws ConfigError
 */
export function checkRunHooks<M>(hooks: RunHooks<M>, where: string): void {
  const [best, checkpoint] = [hooks.keepBest?.directory, hooks.checkpoint?.directory].map((d) =>
    d?.replace(/\/+$/, ''),
  );
  if (best !== undefined && checkpoint !== undefined && (best === checkpoint || best.startsWith(`${checkpoint}/`))) {
    throw new ConfigError(
      `${where}: keepBest.directory: ${best} is inside checkpoint.directory ${checkpoint}, which every checkpoint replaces whole; choose a directory beside it`,
    );
  }
}

/**
 * The end of an epoch in a training loop: adds its record to the history, saves the model to
 * `keepBest.directory` at a new best, writes the checkpoint when one is due (every
 * `checkpoint.every` epochs, at the last, on an abort or a stop), then calls `onEpoch` (an
 * abort signalled there also writes the checkpoint and stops).
 * @param save - writes the model to a directory with metadata
 * @returns whether training stops here (aborted, or converged by `stopping`)
 */
export async function endEpoch<M>(
  history: History,
  record: EpochRecord,
  epochs: number,
  hooks: RunHooks<M>,
  model: M,
  save: (model: M, directory: string, metadata: Record<string, unknown>) => Promise<void>,
): Promise<boolean> {
  history.add(record);
  const { checkpoint, signal, stopping, keepBest } = hooks;
  const saveTo = (directory: string) => save(model, directory, { ...checkpoint?.metadata, history: history.toJSON() });
  const saveNow = () => (checkpoint ? saveTo(checkpoint.directory) : undefined);
  if (keepBest && epochsSinceBest(history, keepBest) === 0) await saveTo(keepBest.directory);
  history.aborted = signal?.aborted === true;
  history.converged = stopping !== undefined && epochsSinceBest(history, stopping) >= (stopping.patience ?? 1);
  const due = checkpoint !== undefined && (record.epoch % (checkpoint.every ?? 1) === 0 || record.epoch === epochs);
  if (due || history.aborted || history.converged) await saveNow();
  await hooks.onEpoch?.(record, model);
  if (signal?.aborted && !history.aborted) {
    // Stopped from onEpoch (e.g. a time budget): keep this epoch's model too.
    history.aborted = true;
    if (!due && !history.converged) await saveNow();
  }
  return history.aborted || history.converged;
}

/**
 * How many epochs have passed since the watched metric last improved on its best by more
 * than `tolerance` (0 when the last record is that best; NaN never improves).
 * @throws ConfigError when the records lack the metric
 */
function epochsSinceBest(history: History, { metric, mode = 'min', tolerance = 0 }: StoppingRule): number {
  const last = history.last;
  if (last !== undefined && !(metric in last)) {
    const fields = Object.keys(last).filter((k) => k !== 'epoch');
    throw new ConfigError(
      `${metric}: not a field of the epoch records${didYouMean(metric, fields)} (they have ${fields.join(', ')}; metrics need a monitor)`,
    );
  }
  const sign = mode === 'max' ? -1 : 1;
  let best = Number.POSITIVE_INFINITY;
  let since = 0;
  for (const record of history.records) {
    const value = sign * (record[metric] as number);
    if (value < best - tolerance) {
      best = value;
      since = 0;
    } else since += 1;
  }
  return since;
}

/** The records of a training run, readable as JSON or CSV. */
export class History {
  readonly records: EpochRecord[];
  /** Whether training stopped early on an AbortSignal. */
  aborted = false;
  /** Whether training stopped early by its stopping rule (the metric converged). */
  converged = false;

  /** @param records - the records so far (copied), e.g. of a run being resumed */
  constructor(records: readonly EpochRecord[] = []) {
    this.records = [...records];
  }

  /** Appends a record (mutates the history). */
  add(record: EpochRecord): void {
    this.records.push(record);
  }

  /** The last record, if any. */
  get last(): EpochRecord | undefined {
    return this.records.at(-1);
  }

  /** The records as a JSON array. */
  toJSON(): EpochRecord[] {
    return this.records;
  }

  /** The records as CSV, one column per field (union over records), a header first. */
  toCSV(): string {
    const columns = this.columns();
    const lines = this.records.map((r) => columns.map((c) => (r[c] === undefined ? '' : String(r[c]))).join(','));
    return `${[columns.join(','), ...lines].join('\n')}\n`;
  }

  /** The records as a Markdown table (a notebook's `display.markdown`), numbers to `digits` significant digits. */
  toMarkdown(digits = 4): string {
    const columns = this.columns();
    const cell = (value: number | undefined) =>
      value === undefined ? '' : Number.isInteger(value) ? String(value) : value.toPrecision(digits);
    const lines = this.records.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`);
    return [`| ${columns.join(' | ')} |`, `|${columns.map(() => ' ---: |').join('')}`, ...lines].join('\n');
  }

  /** Every field of the records, in first-seen order. */
  private columns(): string[] {
    return [...new Set(this.records.flatMap((r) => Object.keys(r)))];
  }
}

/** Options of {@link ProgressMonitor}. */
export interface ProgressMonitorOptions {
  /** Metrics to compute (default: all of Paysage's). */
  readonly metrics?: readonly Metric[];
  /** Gibbs sweeps of the fantasy particles started from random states (default 10, as Paysage). */
  readonly fantasySteps?: number;
  /** Validation batches used per evaluation (default 10). */
  readonly maxBatches?: number;
}

/**
 * Computes metrics on the validation split after each epoch: for each validation batch, the
 * data state (hidden means), reconstructions, and as many fantasy particles.
 */
export class ProgressMonitor {
  readonly metrics: readonly Metric[];
  readonly fantasySteps: number;
  readonly maxBatches: number;

  constructor(options: ProgressMonitorOptions = {}) {
    checkOptions(options, { metrics: true, fantasySteps: true, maxBatches: true }, 'ProgressMonitor');
    this.metrics = options.metrics ?? allMetrics();
    this.fantasySteps = options.fantasySteps ?? 10;
    this.maxBatches = options.maxBatches ?? 10;
  }

  /** Every metric's value on the validation split (empty when the split is empty). */
  async evaluate(model: BoltzmannMachine, data: BatchSource): Promise<Record<string, number>> {
    if (data.size('validate') === 0 || this.metrics.length === 0) return {};
    for (const metric of this.metrics) metric.reset();
    let seen = 0;
    for await (const visible of data.batches('validate')) {
      if (seen >= this.maxBatches) {
        be.dispose(visible);
        break;
      }
      seen += 1;
      const batchSize = be.shape(visible)[0] as number;
      const upward = model.stateFromVisible(visible);
      const dataState = model.numLayers > 2 ? model.meanFieldIteration(10, upward, { clamped: [0] }) : upward;
      const reconstructions = model.computeReconstructions(visible);
      const modelState = SequentialMC.generateFantasyState(model, batchSize, this.fantasySteps);
      const assessment = { model, dataState, reconstructions, modelState };
      for (const metric of this.metrics) await metric.update(assessment);
      be.dispose([...new Set([...upward.units, ...dataState.units, ...reconstructions.units, ...modelState.units])]);
    }
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.value()]));
  }
}
