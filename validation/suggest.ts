/**
 * "Did you mean" for unknown keys: the closest allowed name by edit distance (case, `_` and
 * `-` ignored), else a peer library's name for the same thing (`lr` → `stepsize`), else the
 * one required key the object lacks.
 */

/** Names peers use for a Relief key (Paysage, Learnergy, PyDeep, PyTorch), normalized. */
const PEER_NAMES: Readonly<Record<string, string>> = {
  lr: 'stepsize',
  learningrate: 'stepsize',
  eta: 'stepsize',
  nhidden: 'units',
  nvisible: 'units',
  numunits: 'units',
  size: 'units',
  steps: 'mcsteps',
  k: 'mcsteps',
  cdk: 'mcsteps',
  value: 'initial',
};

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours as 1 (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (rows[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The allowed name `name` most likely meant, or undefined.
 * @param candidates - allowed names the object does not already use
 * @param missingRequired - required names the object lacks
 */
export function closestName(
  name: string,
  candidates: readonly string[],
  missingRequired: readonly string[] = [],
): string | undefined {
  const wanted = normalize(name);
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(wanted.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate));
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const peer = PEER_NAMES[wanted];
  if (peer !== undefined && candidates.includes(peer)) return peer;
  return missingRequired.length === 1 ? missingRequired[0] : undefined;
}

/** `unknown key; did you mean 'initial'? (allowed: type, initial)` for a key of an object. */
export function unknownKeyMessage(
  key: string,
  object: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
  required: readonly string[] = [],
): string {
  const absent = allowed.filter((name) => !Object.hasOwn(object, name));
  const guess = closestName(
    key,
    absent,
    required.filter((name) => absent.includes(name)),
  );
  return `unknown key${guess === undefined ? '' : `; did you mean '${guess}'?`} (allowed: ${allowed.join(', ')})`;
}

/** `; did you mean 'bernoulli'?` for a value close to one of `allowed`, else ''. */
export function didYouMean(value: unknown, allowed: readonly string[]): string {
  if (typeof value !== 'string') return '';
  const guess = closestName(value, allowed);
  return guess === undefined ? '' : `; did you mean '${guess}'?`;
}
