import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';

/**
 * The units of every layer of a model for a batch of samples: `units[0]` is the visible
 * layer (batch, numVisible), `units[i]` layer i (batch, numUnits_i). States are values: model
 * methods return new states and never change the one they are given.
 */
export class State {
  /** @param units - one (batch, numUnits_i) tensor per layer, all with the same batch size */
  constructor(readonly units: readonly Tensor[]) {
    const sizes = units.map((u) => be.shape(u)[0]);
    if (sizes.some((s) => s !== sizes[0])) {
      throw new ShapeError(`State: every layer needs the same batch size, got ${sizes.join(', ')}`);
    }
  }

  /** Number of samples. */
  get batchSize(): number {
    return (this.units[0] && be.shape(this.units[0])[0]) ?? 0;
  }

  /** The visible units. @returns (batch, numVisible) */
  getVisible(): Tensor {
    return this.units[0] as Tensor;
  }

  /** The units of layer `index`. @returns (batch, numUnits) */
  getLayer(index: number): Tensor {
    const units = this.units[index];
    if (units === undefined) throw new ShapeError(`State: no layer ${index} (it has ${this.units.length})`);
    return units;
  }

  /** Frees every tensor of the state (tfjs). */
  dispose(): void {
    be.dispose(this.units);
  }
}
