import type { RandomWords, Tensor } from '../backends/index.js';
import { be } from '../backends/index.js';
import type { BatchSource, Split } from './in-memory.js';

/**
 * The batches of another source, each passed through a function (e.g. the up-pass of the
 * layers below, for greedy layerwise pretraining). The function returns a tensor the
 * consumer owns; the source's batch is freed after it.
 */
export class MappedBatches implements BatchSource {
  readonly batchSize: number;

  /** @param numVisible - columns of the mapped batches @param map - (batch, source columns) → (batch, numVisible) */
  constructor(
    private readonly source: BatchSource,
    readonly numVisible: number,
    private readonly map: (batch: Tensor) => Tensor,
  ) {
    this.batchSize = source.batchSize;
  }

  size(split: Split): number {
    return this.source.size(split);
  }

  shuffleState(): RandomWords | undefined {
    return this.source.shuffleState?.();
  }

  setShuffleState(words: RandomWords): void {
    this.source.setShuffleState?.(words);
  }

  async *batches(split: Split): AsyncIterable<Tensor> {
    for await (const batch of this.source.batches(split)) {
      const mapped = this.map(batch);
      if (mapped !== batch) be.dispose(batch);
      yield mapped;
    }
  }
}
