/**
 * Resumable training: a run stopped within or between epochs and resumed from its checkpoint
 * (in a fresh set of objects, with the seed scrambled) ends bit-identical to the same run
 * never stopped, with every epoch recorded once; mismatched or corrupt checkpoints are refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, setSeed } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { ConfigError, DataError } from '../../errors/index.js';
import {
  type EpochRecord,
  fastPcd,
  History,
  LayerwisePretrain,
  loadCheckpoint,
  type PretrainOptions,
  ProgressMonitor,
  PT,
  SGD,
  TAP,
  TRAINING_FILE,
  type TrainingSnapshot,
  type TrainOptions,
} from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, saveModel } from '../../models/index.js';
import { ADAM, Momentum, type Optimizer } from '../../optimizers/index.js';
import { describeOnBackends, EVERY_BACKEND } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

/** A run set up from scratch, as a new process would: data, optimizer and options from its config. */
interface RunSetup {
  readonly units: readonly number[];
  readonly epochs: number;
  readonly optimizer: () => Optimizer;
  readonly options: () => PretrainOptions;
}

const data = () => new InMemoryBatch(barsAndStripes(10), { batchSize: 20, trainFraction: 0.8, seed: 3 });
const SEED = 77;

function train(model: BoltzmannMachine, setup: RunSetup, options: TrainOptions): Promise<History> {
  const all = { ...setup.options(), ...options };
  if (setup.units.length === 2) return new SGD(model, data()).train(setup.optimizer(), setup.epochs, all);
  return new LayerwisePretrain(model, data()).train(setup.optimizer(), setup.epochs, all).then(({ stages }) => {
    const history = new History(stages.flatMap((stage) => stage.records));
    history.aborted = stages.at(-1)?.aborted ?? false;
    return history;
  });
}

function freshModel(setup: RunSetup): BoltzmannMachine {
  setSeed(SEED);
  return new BoltzmannMachine(setup.units.map((n) => new BernoulliLayer(n)));
}

async function parameters(model: BoltzmannMachine): Promise<number[][]> {
  return Promise.all(
    model.namedParameters().map(async ({ owner, name }) => Array.from(await be.read(owner.param(name)))),
  );
}

/**
 * Trains the run, stopping it at each `[epoch, minibatch]` (minibatch 0: after the epoch,
 * from onEpoch), and resuming each time from the checkpoint with fresh objects.
 */
async function stoppedAndResumed(setup: RunSetup, stops: readonly (readonly [number, number])[], directory: string) {
  let model = freshModel(setup);
  let resume: TrainingSnapshot | undefined;
  const pending = [...stops];
  let stages = 0;
  for (;;) {
    const controller = new AbortController();
    const stopHere = (epoch: number, batch: number) => {
      const [stopEpoch, stopBatch] = pending[0] ?? [];
      if (stopEpoch === epoch && stopBatch === batch) {
        pending.shift();
        controller.abort();
      }
    };
    let batches = 0;
    let lastEpoch = 0;
    // Epochs restart at 1 in each stage of layerwise pretraining: stage s, epoch e is e + 100 s.
    const numbered = (epoch: number) => {
      if (epoch < lastEpoch) stages += 1;
      lastEpoch = epoch;
      return epoch + 100 * stages;
    };
    const history = await train(model, setup, {
      signal: controller.signal,
      checkpoint: { directory },
      resume,
      onBatch: (epoch) => {
        batches += 1;
        stopHere(numbered(epoch), batches);
      },
      onEpoch: (record) => {
        batches = 0;
        stopHere(numbered(record.epoch), 0);
      },
    });
    if (!history.aborted) return { model, history, missedStops: pending };
    model.dispose();
    setSeed(999); // the checkpoint, not the seed, must decide what comes next
    ({ model, snapshot: resume } = await loadCheckpoint(directory));
    stages = resume.stage;
  }
}

/** The records without what varies between runs: wall time, and a device's per-minibatch counts (a resumed epoch pays its first uploads again). */
function withoutTimes(records: readonly EpochRecord[]): Record<string, number>[] {
  return records.map((record) =>
    Object.fromEntries(Object.entries(record).filter(([field]) => field !== 'seconds' && !field.startsWith('gpu'))),
  );
}

async function expectResumedEqualsUninterrupted(setup: RunSetup, stops: readonly (readonly [number, number])[]) {
  const directory = join(mkdtempSync(join(tmpdir(), 'relief-resume-')), 'run');
  const reference = freshModel(setup);
  const uninterrupted = await train(reference, setup, {});
  const resumed = await stoppedAndResumed(setup, stops, directory);
  expect(resumed.missedStops).toEqual([]);
  expect(await parameters(resumed.model)).toEqual(await parameters(reference));
  const stageCount = setup.units.length === 2 ? 1 : setup.units.length;
  expect(resumed.history.records.map((r) => r.epoch)).toEqual(
    Array.from({ length: stageCount }, () => Array.from({ length: setup.epochs }, (_, e) => e + 1)).flat(),
  );
  expect(withoutTimes(resumed.history.records)).toEqual(withoutTimes(uninterrupted.records));
  reference.dispose();
  resumed.model.dispose();
}

describeOnBackends(
  'resuming training',
  (label) => {
    // Checkpoints hold float32 (the safetensors of every backend): the float64 reference
    // backend resumes with its state rounded, so only float32 backends can match bit for bit.
    const bitIdentical = it.skipIf(label === 'float64');

    bitIdentical(
      'PCD with ADAM, a driven β after burn-in and centering: stops within and between epochs change nothing',
      async () => {
        await expectResumedEqualsUninterrupted(
          {
            units: [9, 6],
            epochs: 4,
            optimizer: () => new ADAM({ stepsize: 0.02 }),
            options: () => ({
              betaStd: 0.6,
              burnIn: 1,
              centering: { rate: 0.1 },
              monitor: new ProgressMonitor({ maxBatches: 1 }),
            }),
          },
          [
            [1, 2],
            [2, 0],
            [3, 1],
            [3, 5],
          ],
        );
      },
    );

    bitIdentical('layerwise pretraining of a DBM resumes in the stage and minibatch where it stopped', async () => {
      // Four layers: the middle RBM's weights are halved once, whether the joint stage starts
      // in a run resumed in the last RBM or resumes in the middle of itself.
      await expectResumedEqualsUninterrupted(
        {
          units: [9, 5, 4, 3],
          epochs: 2,
          optimizer: () => new Momentum({ stepsize: 0.02 }),
          options: () => ({ monitor: null, init: 'glorotNormal' }),
        },
        [
          [1, 3],
          [101, 0],
          [102, 4],
          [202, 3],
          [301, 2],
          [301, 0],
        ],
      );
    });

    bitIdentical("TAP's persistent magnetizations travel in the checkpoint", async () => {
      await expectResumedEqualsUninterrupted(
        {
          units: [9, 4],
          epochs: 2,
          optimizer: () => new ADAM({ stepsize: 0.02 }),
          options: () => ({ method: new TAP({ particles: 7, iterations: 5 }).method, monitor: null }),
        },
        [[1, 4]],
      );
    });

    bitIdentical("fast PCD's fast weights travel in the checkpoint", async () => {
      await expectResumedEqualsUninterrupted(
        {
          units: [9, 4],
          epochs: 2,
          optimizer: () => new ADAM({ stepsize: 0.02 }),
          options: () => ({ method: fastPcd({ fastRate: 0.05 }), monitor: null }),
        },
        [[1, 4]],
      );
    });

    bitIdentical("parallel tempering's replicas travel in the checkpoint", async () => {
      await expectResumedEqualsUninterrupted(
        {
          units: [9, 4],
          epochs: 3,
          optimizer: () => new ADAM({ stepsize: 0.02 }),
          options: () => ({ method: new PT({ betas: [1, 0.6, 0.3] }).method, monitor: null }),
        },
        [[2, 0]],
      );
    });

    it('a resume with nothing left to train keeps the checkpoint where it stood, within an epoch', async () => {
      const directory = join(mkdtempSync(join(tmpdir(), 'relief-resume-none-')), 'run');
      const controller = new AbortController();
      const model = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(4)]);
      await new SGD(model, data()).train(new ADAM(), 3, {
        monitor: null,
        checkpoint: { directory },
        signal: controller.signal,
        onBatch: (_, samples) => samples >= 40 && controller.abort(),
      });
      model.dispose();
      const first = await loadCheckpoint(directory);
      expect([first.snapshot.epochsDone, first.snapshot.batchesDone]).toEqual([0, 2]);
      await new SGD(first.model, data()).train(new ADAM(), 0, {
        monitor: null,
        checkpoint: { directory },
        resume: first.snapshot,
      });
      first.model.dispose();
      const again = await loadCheckpoint(directory);
      expect([again.snapshot.epochsDone, again.snapshot.batchesDone]).toEqual([0, 2]);
      expect(again.snapshot.random).toEqual(first.snapshot.random);
      again.model.dispose();
    });

    it('frees every tensor it took over from the snapshot', async () => {
      const directory = join(mkdtempSync(join(tmpdir(), 'relief-resume-leak-')), 'run');
      const model = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(4)]);
      await new SGD(model, data()).train(new ADAM(), 1, { monitor: null, checkpoint: { directory } });
      model.dispose();
      const before = be.numTensors();
      const loaded = await loadCheckpoint(directory);
      const optimizer = new ADAM();
      await new SGD(loaded.model, data()).train(optimizer, 2, { monitor: null, resume: loaded.snapshot });
      optimizer.reset();
      loaded.model.dispose();
      expect(be.numTensors()).toBe(before);
    });

    it('refuses a model saved without training state, another optimizer, other chains and a corrupt training.json', async () => {
      const root = mkdtempSync(join(tmpdir(), 'relief-resume-bad-'));
      const plain = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(4)]);
      await saveModel(plain, join(root, 'plain'));
      await expect(loadCheckpoint(join(root, 'plain'))).rejects.toThrow(DataError);
      await expect(loadCheckpoint(join(root, 'plain'))).rejects.toThrow(/no training state/);

      const directory = join(root, 'run');
      await new SGD(plain, data()).train(new ADAM(), 1, { monitor: null, checkpoint: { directory } });
      const resumeWith = async (optimizer: Optimizer, options: TrainOptions = {}) => {
        const { model, snapshot } = await loadCheckpoint(directory);
        try {
          await new SGD(model, data()).train(optimizer, 2, { monitor: null, ...options, resume: snapshot });
        } finally {
          model.dispose();
        }
      };
      await expect(resumeWith(new Momentum())).rejects.toThrow(/'adam' optimizer; this one is 'momentum'/);
      await expect(resumeWith(new ADAM(), { negativePhaseBatchSize: 7 })).rejects.toThrow(
        /persistent chains .* of shapes \[20, 9\], \[20, 4\]; this run needs \[7, 9\], \[7, 4\]/,
      );
      await expect(resumeWith(new ADAM(), { betaStd: 0.5 })).rejects.toThrow(ConfigError);
      const driven = join(root, 'driven');
      await new SGD(plain, data()).train(new ADAM(), 1, {
        monitor: null,
        betaStd: 0.5,
        checkpoint: { directory: driven },
      });
      const { model: drivenModel, snapshot: drivenSnapshot } = await loadCheckpoint(driven);
      await expect(
        new SGD(drivenModel, data()).train(new ADAM(), 2, { monitor: null, resume: drivenSnapshot }),
      ).rejects.toThrow(/drives β \(betaStd\) and this run does not/);
      drivenModel.dispose();

      const file = join(directory, TRAINING_FILE);
      const state = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...state, epochsDone: -1 }));
      await expect(loadCheckpoint(directory)).rejects.toThrow(/training\.json: epochsDone/);
      plain.dispose();
    });
  },
  EVERY_BACKEND,
);
