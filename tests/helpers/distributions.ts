/** Empirical and exact distributions over the joint states of tiny models, and their distance. */
import { be, type Tensor } from '../../backends/index.js';
import { type BoltzmannMachine, exactJointDistribution } from '../../namespaces/models.js';

/** A key per row: the concatenated units of every layer. */
export async function rowKeys(units: readonly Tensor[], batch: number): Promise<string[]> {
  const data = await Promise.all(units.map((u) => be.read(u)));
  return Array.from({ length: batch }, (_, r) =>
    data
      .map((d) => {
        const width = d.length / batch;
        return Array.from(d.subarray(r * width, (r + 1) * width)).join('');
      })
      .join('|'),
  );
}

/**
 * E[TV] of an empirical distribution from N independent samples over K states is at most
 * ½·√(2K/(πN)); thinned chains are mildly correlated, so allow twice that. (Correct samplers
 * land 3–4× below this bound; sampling at β = 0.9 instead of 1 lands above it.)
 */
export function totalVariationBound(states: number, samples: number): number {
  return 2 * 0.5 * Math.sqrt((2 * states) / (Math.PI * samples));
}

export async function exactDistribution(model: BoltzmannMachine): Promise<Map<string, number>> {
  const { units, logProbability } = exactJointDistribution(model);
  const count = be.shape(logProbability)[0] as number;
  const keys = await rowKeys(units, count);
  const logP = await be.read(logProbability);
  be.dispose([...units, logProbability]);
  return new Map(keys.map((k, i) => [k, Math.exp(logP[i] as number)]));
}

export function totalVariation(p: Map<string, number>, q: Map<string, number>): number {
  const keys = new Set([...p.keys(), ...q.keys()]);
  return 0.5 * [...keys].reduce((acc, k) => acc + Math.abs((p.get(k) ?? 0) - (q.get(k) ?? 0)), 0);
}
