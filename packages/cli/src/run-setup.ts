/** Backend, seed and saved-run helpers shared by the commands. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setSeed, use } from 'relief/backends';
import type { Preprocessing } from 'relief/batch';
import { ConfigError, DataError } from 'relief/errors';
import { type RunHooks, TRAINING_FILE } from 'relief/fit';
import { type BoltzmannMachine, loadModel, MODEL_FILE, readModelDirectory } from 'relief/models';
import { parseRunConfig, type RunConfig } from './config.js';

/** Starts the backend a run asks for, then seeds it. */
export async function startBackend(config: Pick<RunConfig, 'backend' | 'device' | 'seed'>): Promise<void> {
  await use(config.backend, config.device === undefined ? {} : { device: config.device });
  setSeed(config.seed);
}

/**
 * The run config saved in a run's `model.json` by `relief train` (a model or a classifier),
 * with its backend started (`override` may name another backend or device).
 * @throws ConfigError when the model was saved without one (by a script, not `relief train`)
 */
export async function openRunConfig(
  directory: string,
  override: Partial<Pick<RunConfig, 'backend' | 'device'>> = {},
): Promise<RunConfig> {
  const config = await readRunConfig(directory, override);
  if (config === undefined) {
    throw new ConfigError(`${directory}: model.json has no run config in its metadata (was it saved by relief train?)`);
  }
  await startBackend(config);
  return config;
}

/**
 * The run config saved in a run's `model.json` (`override` may name another backend or device),
 * or undefined for a model saved without one; the backend is not started.
 */
export async function readRunConfig(
  directory: string,
  override: Partial<Pick<RunConfig, 'backend' | 'device'>> = {},
): Promise<RunConfig | undefined> {
  const path = join(directory, MODEL_FILE);
  let description: { metadata?: { config?: unknown } };
  try {
    // Read as loadModel does: a save cut short mid-swap leaves the model in <dir>.previous.
    description = JSON.parse((await readModelDirectory(directory)).modelText);
  } catch (cause) {
    throw new DataError(`${path}: cannot read the saved model (${(cause as Error).message})`, { cause });
  }
  if (description.metadata?.config === undefined) return undefined;
  const saved = description.metadata.config as Record<string, unknown>;
  return parseRunConfig(
    { ...saved, ...Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined)) },
    `${path} metadata.config`,
  );
}

/**
 * Refuses to train into a directory that already holds a run (its model or its training
 * checkpoint), which a fresh run would replace. @throws ConfigError naming `--resume` and `--force`
 */
export function refuseExistingRun(out: string): void {
  const found = [MODEL_FILE, TRAINING_FILE].map((file) => join(out, file)).find((path) => existsSync(path));
  if (found !== undefined) {
    throw new ConfigError(
      `--out ${out}: expected a new or empty run directory, found a run (${found}); pass --resume ${out} to continue it, or --force to overwrite it`,
    );
  }
}

/**
 * A trained model and the run config saved with it by `relief train`, loaded on the backend
 * that config names (the config is read from model.json first, so the parameters load once).
 */
export async function openRun(
  directory: string,
): Promise<{ model: BoltzmannMachine; config: RunConfig; preprocessing?: Preprocessing }> {
  const config = await openRunConfig(directory);
  if (config.task === 'classify') {
    throw new ConfigError(`${directory}: holds a classifier (task 'classify'); use relief evaluate on it`);
  }
  const { model, preprocessing } = await loadModel(directory);
  return { model, config, ...(preprocessing && { preprocessing }) };
}

/**
 * The config's `train.stopping` and `train.keepBest` as training hooks. keepBest saves beside
 * the run's output directory, in `<out>.best`, since each checkpoint replaces `<out>` whole.
 */
export function watchHooks(config: RunConfig, out: string): Pick<RunHooks<unknown>, 'stopping' | 'keepBest'> {
  const { stopping, keepBest } = config.train;
  return { ...(stopping && { stopping }), ...(keepBest && { keepBest: { ...keepBest, directory: `${out}.best` } }) };
}
