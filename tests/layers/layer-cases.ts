/**
 * The layers the conformance tests hold to the same checks — every registered type, with its
 * default options and with each example of each of its options — and the exact conditionals
 * they are checked against: by enumerating the states of discrete units, by float64
 * quadrature of each unit's density for continuous ones.
 */
import type * as z from 'zod';
import { be, current, Float64Backend, type Tensor } from '../../backends/index.js';
import { type Layer, type LayerType, layerOptionsSchema, layerTypes, makeLayer } from '../../layers/index.js';
import { type Integrated, integrateGrid } from './integration.js';

/** Units of every layer the conformance tests make (the option examples are valid for it). */
export const UNITS = 4;

/** A tensor's values in the backend's own precision (float64 on the float64 backend, where `be.read` rounds to float32). */
export async function read64(t: Tensor): Promise<Float64Array> {
  const backend = current();
  return backend instanceof Float64Backend ? backend.readFloat64(t) : Float64Array.from(await be.read(t));
}

/** {@link read64}, then frees the tensor. */
export async function values64(t: Tensor): Promise<Float64Array> {
  const out = await read64(t);
  be.dispose(t);
  return out;
}

/** Reads a one-element tensor in the backend's own precision and frees it. */
export async function scalar64(t: Tensor): Promise<number> {
  return (await values64(t))[0] as number;
}

/** A layer to check: how to make it and its name in test titles. */
export interface LayerCase {
  readonly name: string;
  readonly make: () => Layer;
}

/** Each option a layer type takes, with the example values its schema gives (`.meta({ examples })`). */
export function optionExamples(type: LayerType): { readonly option: string; readonly examples: readonly unknown[] }[] {
  return Object.entries(layerOptionsSchema(type).shape).map(([option, schema]) => ({
    option,
    examples: ((schema as z.ZodType).meta()?.examples as readonly unknown[] | undefined) ?? [],
  }));
}

/** Every registered layer type of {@link UNITS} units, with default options and with each option example. */
export function layerCases(): LayerCase[] {
  return layerTypes().flatMap((type) => {
    const variants: Record<string, unknown>[] = [
      {},
      ...optionExamples(type).flatMap(({ option, examples }) => examples.map((value) => ({ [option]: value }))),
    ];
    return variants.map((options) => ({
      name: Object.keys(options).length === 0 ? type : `${type} ${JSON.stringify(options)}`,
      make: () => makeLayer(type, UNITS, options),
    }));
  });
}

/** The exact conditionals of a layer's units given a field, in float64. */
export interface Reference {
  /** ln Z per row. (batch) */
  readonly logZ: Float64Array;
  /** E[x] per unit. (batch · numUnits) */
  readonly mean: Float64Array;
  /** Var x per unit. (batch · numUnits) */
  readonly variance: Float64Array;
  /** Discrete layers: the states, one per row (count · numUnits), and each field row's probability of each (batch · count). */
  readonly states?: { readonly values: Float64Array; readonly count: number; readonly probabilities: Float64Array };
  /** Continuous layers: each unit's density given its field, integrated. (batch · numUnits) */
  readonly units?: readonly Integrated[];
}

/** Steps of the quadrature grid, and the half-width that stands in for an unbounded support. */
const GRID_STEPS = 8000;
const GRID_HALF_WIDTH = 40;
/** Where the support is unbounded, the grid's ends must be this far (in log density) below its peak. */
const NEGLIGIBLE_TAIL = 40;

/**
 * ln Z, E[x] and Var x of `layer`'s units at inverse temperature β given each row of `field`,
 * from the energy and rescale alone: exact enumeration for a discrete layer, quadrature of each
 * (independent) unit's density over its support for a continuous one.
 * @param field - (batch · numUnits), row-major
 */
export async function referenceConditionals(layer: Layer, field: Float64Array, beta: number): Promise<Reference> {
  const n = layer.numUnits;
  const batch = field.length / n;
  // −β(H(s) − r(s)·φ) of each state s, given each row of the field.
  const logWeight = (energy: number, rescaled: Float64Array, offset: number, row: number, units: number[]) =>
    -beta *
    (energy - units.reduce((sum, i) => sum + (rescaled[offset + i] as number) * (field[row * n + i] as number), 0));
  const all = Array.from({ length: n }, (_, i) => i);
  if (layer.discrete) {
    const statesTensor = layer.enumerateStates();
    const states = await read64(statesTensor);
    const energies = await values64(layer.energy(statesTensor));
    const rescaled = await values64(layer.rescale(statesTensor));
    be.dispose(statesTensor);
    const count = energies.length;
    const probabilities = new Float64Array(batch * count);
    const [logZ, mean, variance] = [new Float64Array(batch), new Float64Array(batch * n), new Float64Array(batch * n)];
    for (let b = 0; b < batch; b++) {
      const weights = Array.from(energies, (e, s) => logWeight(e, rescaled, s * n, b, all));
      const peak = Math.max(...weights);
      const total = weights.reduce((sum, w) => sum + Math.exp(w - peak), 0);
      logZ[b] = peak + Math.log(total);
      weights.forEach((w, s) => {
        const p = Math.exp(w - (logZ[b] as number));
        probabilities[b * count + s] = p;
        for (let i = 0; i < n; i++) {
          const x = states[s * n + i] as number;
          mean[b * n + i] = (mean[b * n + i] as number) + p * x;
          variance[b * n + i] = (variance[b * n + i] as number) + p * x * x;
        }
      });
      for (let i = 0; i < n; i++)
        variance[b * n + i] = (variance[b * n + i] as number) - (mean[b * n + i] as number) ** 2;
    }
    return { logZ, mean, variance, states: { values: states, count, probabilities } };
  }
  // Rows with unit i at grid point x and the others at a reference point, so that
  // H(row) − H(reference) = H_i(x) − H_i(reference_i).
  const [lowest, highest] = layer.support;
  const from = Math.max(lowest, -GRID_HALF_WIDTH);
  const step = (Math.min(highest, GRID_HALF_WIDTH) - from) / GRID_STEPS;
  const reference = Math.min(Math.max(0, lowest), highest);
  const points = GRID_STEPS + 1;
  const rows = new Float64Array(n * points * n).fill(reference);
  for (let i = 0; i < n; i++) for (let k = 0; k < points; k++) rows[(i * points + k) * n + i] = from + k * step;
  const grid = be.tensor(rows, [n * points, n]);
  const energies = await values64(layer.energy(grid));
  const rescaled = await values64(layer.rescale(grid));
  const referenceEnergy = await values64(layer.energy(be.fill([1, n], reference)));
  be.dispose(grid);
  const units: Integrated[] = [];
  const logZ = new Float64Array(batch).fill(-beta * (referenceEnergy[0] as number));
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      const logDensity = Float64Array.from({ length: points }, (_, k) => {
        const row = i * points + k;
        return logWeight((energies[row] as number) - (referenceEnergy[0] as number), rescaled, row * n, b, [i]);
      });
      const peak = Math.max(...logDensity);
      for (const [end, bounded] of [
        [0, lowest > -Infinity],
        [points - 1, highest < Infinity],
      ] as const) {
        if (!bounded && (logDensity[end] as number) > peak - NEGLIGIBLE_TAIL) {
          throw new Error(`referenceConditionals: unit ${i}'s density is not negligible at ${from + end * step}`);
        }
      }
      const integrated = integrateGrid({ logDensity, from, step });
      units.push(integrated);
      logZ[b] = (logZ[b] as number) + integrated.logZ;
    }
  }
  return {
    logZ,
    mean: Float64Array.from(units, (u) => u.mean),
    variance: Float64Array.from(units, (u) => u.variance),
    units,
  };
}
