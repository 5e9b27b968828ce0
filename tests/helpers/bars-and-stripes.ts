import type { HostMatrix } from '../../batch/index.js';

/**
 * Every distinct 3×3 bars-and-stripes image (rows all-on/off, or columns all-on/off): 14
 * patterns, so the best possible mean log-likelihood is −ln 14.
 */
export function barsAndStripes(repeats = 1): HostMatrix {
  const patterns = new Set<string>();
  for (let mask = 0; mask < 8; mask++) {
    const bits = [0, 1, 2].map((k) => (mask >> k) & 1);
    patterns.add(Array.from({ length: 9 }, (_, p) => bits[Math.floor(p / 3)]).join(''));
    patterns.add(Array.from({ length: 9 }, (_, p) => bits[p % 3]).join(''));
  }
  const rows = [...patterns].flatMap((p) => Array.from({ length: repeats }, () => p));
  return { rows: rows.length, columns: 9, values: Float32Array.from(rows.join(''), Number) };
}

/** The best achievable mean log-likelihood on bars and stripes. */
export const BARS_AND_STRIPES_OPTIMUM = -Math.log(14);
