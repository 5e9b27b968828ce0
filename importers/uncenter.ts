/**
 * PyDeep's centered RBM energy in Relief's uncentered form. With offsets o_v, o_h and visible
 * standard deviations σ (all 1 for binary visible units), PyDeep's energy
 * `½‖(v − o_v − b_v)/σ‖² − (h − o_h)ᵀb_h − ((v − o_v)/σ²)ᵀW(h − o_h)` (Gaussian) or
 * `−(v − o_v)ᵀb_v − (h − o_h)ᵀb_h − (v − o_v)ᵀW(h − o_h)` (binary) expands to Relief's energy
 * with the same W, hidden bias `b_h − Wᵀ(o_v/σ²)`, and visible bias `b_v − W o_h` (binary) or
 * Gaussian location `o_v + b_v − W o_h`, plus a constant c.
 * @packageDocumentation
 */

/** A centered RBM's parameters, row-major. */
export interface CenteredParameters {
  readonly visible: 'bernoulli' | 'gaussian';
  /** (numVisible, numHidden) */
  readonly weights: Float64Array;
  /** (numVisible) b_v */
  readonly visibleBias: Float64Array;
  /** (numHidden) b_h */
  readonly hiddenBias: Float64Array;
  /** (numVisible) o_v */
  readonly visibleOffset: Float64Array;
  /** (numHidden) o_h */
  readonly hiddenOffset: Float64Array;
  /** (numVisible) σ of Gaussian units; ignored for binary ones. */
  readonly sigma?: Float64Array;
}

/** The uncentered biases and the constant c with `E_centered = E_relief + c`. */
export interface UncenteredParameters {
  /** (numVisible): Bernoulli biases or Gaussian locations. */
  readonly visibleLoc: Float64Array;
  /** (numHidden) */
  readonly hiddenLoc: Float64Array;
  readonly energyOffset: number;
}

/** The uncentered form of a centered RBM (see the module notes). */
export function uncenter(centered: CenteredParameters): UncenteredParameters {
  const { weights, visibleBias, hiddenBias, visibleOffset, hiddenOffset } = centered;
  const numVisible = visibleBias.length;
  const numHidden = hiddenBias.length;
  const gaussian = centered.visible === 'gaussian';
  const variance = (i: number) => (gaussian ? (centered.sigma?.[i] ?? 1) ** 2 : 1);
  const weightedHiddenOffset = new Float64Array(numVisible); // W o_h
  const hiddenLoc = Float64Array.from(hiddenBias); // b_h − Wᵀ(o_v/σ²)
  for (let i = 0; i < numVisible; i++) {
    for (let j = 0; j < numHidden; j++) {
      const weight = weights[i * numHidden + j] as number;
      weightedHiddenOffset[i] = (weightedHiddenOffset[i] as number) + weight * (hiddenOffset[j] as number);
      hiddenLoc[j] = (hiddenLoc[j] as number) - (weight * (visibleOffset[i] as number)) / variance(i);
    }
  }
  const visibleLoc = new Float64Array(numVisible);
  let energyOffset = 0;
  for (let j = 0; j < numHidden; j++) energyOffset += (hiddenOffset[j] as number) * (hiddenBias[j] as number);
  for (let i = 0; i < numVisible; i++) {
    const [bias, offset, shift] = [
      visibleBias[i] as number,
      visibleOffset[i] as number,
      weightedHiddenOffset[i] as number,
    ];
    if (gaussian) {
      visibleLoc[i] = offset + bias - shift;
      energyOffset += (bias * shift - 0.5 * shift * shift) / variance(i);
    } else {
      visibleLoc[i] = bias - shift;
      energyOffset += offset * bias - offset * shift;
    }
  }
  return { visibleLoc, hiddenLoc, energyOffset };
}
