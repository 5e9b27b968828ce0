/** Backend, seed and saved-run helpers shared by the commands. */
import { setSeed, use } from 'relief/backends';
import { ConfigError } from 'relief/errors';
import { type BoltzmannMachine, loadModel } from 'relief/models';
import { parseRunConfig, type RunConfig } from './config.js';

/** Starts the backend a run asks for, then seeds it. */
export async function startBackend(config: Pick<RunConfig, 'backend' | 'device' | 'seed'>): Promise<void> {
  await use(config.backend, config.backend === 'tfjs' ? { device: config.device ?? 'cpu' } : {});
  setSeed(config.seed);
}

/** A trained model and the run config saved with it by `relief train`. */
export async function openRun(directory: string): Promise<{ model: BoltzmannMachine; config: RunConfig }> {
  const { model, metadata } = await loadModel(directory);
  if (metadata.config === undefined) {
    throw new ConfigError(`${directory}: model.json has no run config in its metadata (was it saved by relief train?)`);
  }
  return { model, config: parseRunConfig(metadata.config, `${directory}/model.json metadata.config`) };
}
