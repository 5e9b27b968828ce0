import { expect } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import type { Layer, Parametrized } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';

/** Reads a one-element tensor and frees it. */
export async function scalar(t: Tensor): Promise<number> {
  const value = await be.readScalar(t);
  be.dispose(t);
  return value;
}

/** Reads a tensor into a float64 array and frees it. */
export async function values(t: Tensor): Promise<Float64Array> {
  const out = Float64Array.from(await be.read(t));
  be.dispose(t);
  return out;
}

/**
 * Central finite differences of `objective` with respect to every element of parameter
 * `name` of `owner`, each element moved by ±`step` (the parameter is restored afterwards).
 */
export async function finiteDifferences(
  owner: Parametrized,
  name: string,
  objective: () => Promise<number>,
  step = 1e-2,
): Promise<Float64Array> {
  const shape = owner.paramShape(name);
  const original = Float32Array.from(await be.read(owner.param(name)));
  const out = new Float64Array(original.length);
  for (let i = 0; i < original.length; i++) {
    const evaluateAt = async (delta: number) => {
      const moved = Float32Array.from(original);
      moved[i] = (original[i] as number) + delta;
      owner.setParam(name, be.tensor(moved, shape));
      return objective();
    };
    // Use the float32-representable step actually taken.
    const up = Math.fround((original[i] as number) + step) - (original[i] as number);
    const down = (original[i] as number) - Math.fround((original[i] as number) - step);
    out[i] = ((await evaluateAt(up)) - (await evaluateAt(-down))) / (up + down);
  }
  owner.setParam(name, be.tensor(original, shape));
  return out;
}

/** Asserts two arrays agree within `absolute + relative · |expected|` elementwise. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { absolute = 1e-3, relative = 1e-3 }: { absolute?: number; relative?: number } = {},
  label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    if (!(Math.abs(a - e) <= absolute + relative * Math.abs(e))) {
      throw new Error(`${label}[${i}]: got ${a}, expected ${e} (±${absolute + relative * Math.abs(e)})`);
    }
  }
}

/** Sets every parameter of `owner` to normal samples scaled by `scale` (plus `shift`). */
export function randomizeParams(owner: Parametrized, scale = 0.5, shift = 0): void {
  for (const name of owner.paramNames) {
    owner.setParam(
      name,
      be.tidy(() => be.add(be.mul(be.randomNormal(owner.paramShape(name)), scale), shift)),
    );
  }
}

/** A model over `layers` with every layer parameter random (scale 0.5) and the couplings at `weightScale`. */
export function randomizedModel(layers: Layer[], weightScale: number): BoltzmannMachine {
  const model = new BoltzmannMachine(layers);
  for (const layer of model.layers) randomizeParams(layer, 0.5);
  for (const { weights } of model.connections) randomizeParams(weights, weightScale);
  return model;
}
