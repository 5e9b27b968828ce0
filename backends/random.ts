import type { RandomWords } from './types.js';

/**
 * A seeded xoshiro128** generator (Blackman & Vigna), seeded through splitmix32. Fast in
 * JavaScript (32-bit integer maths only) and good enough for Monte Carlo: 2¹²⁸ − 1 period,
 * passes BigCrush.
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param seed - any finite number; equal seeds give equal streams */
  constructor(seed: number) {
    this.reseed(seed);
  }

  /** Restarts the stream from `seed`. */
  reseed(seed: number): void {
    let state = Math.trunc(seed) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's four state words (to continue the stream elsewhere, e.g. in WebAssembly). */
  exportState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Continues from four state words given by {@link SeededRandom.exportState}. */
  importState([s0, s1, s2, s3]: RandomWords): void {
    [this.s0, this.s1, this.s2, this.s3] = [s0 | 0, s1 | 0, s2 | 0, s3 | 0];
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 24 random bits, so it stays below 1 in float32 too. */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) * 2 ** -24;
  }

  /**
   * Fills `out` with uniform samples in [0, 1): the same stream as repeated
   * {@link SeededRandom.nextFloat}, with the state kept in locals for speed.
   */
  fillUniform(out: Float32Array): Float32Array {
    let [s0, s1, s2, s3] = [this.s0, this.s1, this.s2, this.s3];
    for (let i = 0; i < out.length; i++) {
      const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = (result >>> 8) * 2 ** -24;
    }
    [this.s0, this.s1, this.s2, this.s3] = [s0, s1, s2, s3];
    return out;
  }

  /** Fills `out` with standard normal samples (Box–Muller, both outputs used). */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - this.nextFloat(); // in (0, 1]: log stays finite
      const u2 = this.nextFloat();
      const radius = Math.sqrt(-2 * Math.log(u1));
      out[i] = radius * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
