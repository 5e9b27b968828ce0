/** The symmetric eigen-decomposition, principal components and Gauss–Jordan log-det against independent references. */
import { describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { inverseAndLogDet, principalComponents, symmetricEigen, symmetricEigenvalues } from '../../linalg/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, scalar, values } from '../helpers/finite-differences.js';

/** A seeded host generator (mulberry32), so the references do not depend on a backend. */
function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random symmetric (n, n) row-major matrix with entries in (−1, 1). */
function randomSymmetric(n: number, next: () => number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 2 * next() - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** Σ_c V[i, c] · d[c] · V[j, c] for a row-major (n, k) V: (n, n). */
function scaledGram(vectors: Float64Array, diagonal: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let c = 0; c < k; c++)
        total += (vectors[i * k + c] as number) * (diagonal[c] as number) * (vectors[j * k + c] as number);
      out[i * n + j] = total;
    }
  }
  return out;
}

/** VᵀV for a row-major (n, k) V: (k, k). */
function columnGram(vectors: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let total = 0;
      for (let i = 0; i < n; i++) total += (vectors[i * k + a] as number) * (vectors[i * k + b] as number);
      out[a * k + b] = total;
    }
  }
  return out;
}

const identity = (k: number) => Float64Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0));

describe('symmetricEigen', () => {
  it('reconstructs random symmetric matrices as V Λ Vᵀ with orthonormal V and descending Λ', () => {
    const next = uniforms(7);
    for (const n of [1, 2, 3, 5, 8, 13, 30]) {
      const a = randomSymmetric(n, next);
      const { values: lambda, vectors } = symmetricEigen(a, n);
      expectAllClose(scaledGram(vectors, lambda, n, n), a, { absolute: 1e-12, relative: 0 }, `A (n=${n})`);
      expectAllClose(columnGram(vectors, n, n), identity(n), { absolute: 1e-12, relative: 0 }, `VᵀV (n=${n})`);
      for (let c = 1; c < n; c++) expect(lambda[c] as number).toBeLessThanOrEqual(lambda[c - 1] as number);
    }
  });

  it('a diagonal matrix has its diagonal as spectrum and the unit vectors as eigenvectors', () => {
    const diagonal = [3, -1, 7, 0.5];
    const n = diagonal.length;
    const a = new Float64Array(n * n);
    diagonal.forEach((d, i) => {
      a[i * n + i] = d;
    });
    const { values: lambda, vectors } = symmetricEigen(a, n);
    expect(Array.from(lambda)).toEqual([7, 3, 0.5, -1]);
    // Column c is ±e_i for the diagonal entry it took.
    [2, 0, 3, 1].forEach((i, c) => {
      for (let r = 0; r < n; r++) expect(Math.abs(vectors[r * n + c] as number)).toBeCloseTo(r === i ? 1 : 0, 14);
    });
  });

  it('2 × 2 matrices match the closed form', () => {
    const next = uniforms(11);
    for (let trial = 0; trial < 20; trial++) {
      const [p, q, r] = [4 * next() - 2, 4 * next() - 2, 4 * next() - 2];
      const half = Math.hypot((p - r) / 2, q);
      const expected = [(p + r) / 2 + half, (p + r) / 2 - half];
      const { values: lambda, vectors } = symmetricEigen([p, q, q, r], 2);
      expectAllClose(lambda, expected, { absolute: 1e-12, relative: 0 });
      // The top eigenvector is parallel to (q, λ₁ − p).
      const [x, y] = [q, (expected[0] as number) - p];
      const cross = (vectors[0] as number) * y - (vectors[2] as number) * x;
      expect(cross / Math.hypot(x, y)).toBeCloseTo(0, 10);
    }
  });

  it('symmetricEigenvalues are the decomposition’s values', () => {
    const a = randomSymmetric(6, uniforms(3));
    expect(Array.from(symmetricEigenvalues(a, 6))).toEqual(Array.from(symmetricEigen(a, 6).values));
    expect(symmetricEigen([], 0).values.length).toBe(0);
  });
});

describe('principalComponents', () => {
  it('are the top eigenvectors of the covariance, and the data vary by their variances along them', () => {
    const next = uniforms(5);
    const [rows, n, k] = [500, 6, 3];
    const scales = [3, 2, 1.5, 0.5, 0.2, 0.1];
    const mixing = randomSymmetric(n, next);
    const data = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      const latent = scales.map((s) => s * (2 * next() - 1));
      for (let i = 0; i < n; i++) {
        data[r * n + i] = latent.reduce((acc, z, c) => acc + z * (mixing[i * n + c] as number), 0);
      }
    }
    const mean = Array.from({ length: n }, (_, i) => {
      let total = 0;
      for (let r = 0; r < rows; r++) total += data[r * n + i] as number;
      return total / rows;
    });
    const covariance = new Float64Array(n * n);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          covariance[i * n + j] =
            (covariance[i * n + j] as number) +
            ((data[r * n + i] as number) - (mean[i] as number)) * ((data[r * n + j] as number) - (mean[j] as number));
        }
      }
    }
    covariance.forEach((v, i) => {
      covariance[i] = v / rows;
    });
    const { directions, variances } = principalComponents(covariance, n, k);
    const full = symmetricEigen(covariance, n);
    expectAllClose(variances, full.values.slice(0, k), { absolute: 1e-12, relative: 0 });
    expectAllClose(columnGram(directions, n, k), identity(k), { absolute: 1e-12, relative: 0 });
    for (let c = 0; c < k; c++) {
      // C d = v d, and the variance of the projections on d is v.
      for (let i = 0; i < n; i++) {
        let cd = 0;
        for (let j = 0; j < n; j++) cd += (covariance[i * n + j] as number) * (directions[j * k + c] as number);
        expect(cd).toBeCloseTo((variances[c] as number) * (directions[i * k + c] as number), 10);
      }
      let spread = 0;
      for (let r = 0; r < rows; r++) {
        let projection = 0;
        for (let i = 0; i < n; i++)
          projection += ((data[r * n + i] as number) - (mean[i] as number)) * (directions[i * k + c] as number);
        spread += projection * projection;
      }
      expect(spread / rows).toBeCloseTo(variances[c] as number, 10);
    }
  });

  it('floors variances at zero and refuses more components than columns', () => {
    // Rank one: (1, 1)(1, 1)ᵀ has eigenvalues 2 and 0 (rounding may make the 0 negative).
    expect(Array.from(principalComponents([1, 1, 1, 1], 2, 2).variances).every((v) => v >= 0)).toBe(true);
    expect(() => principalComponents([1], 1, 2)).toThrow('principalComponents: expected at most 1 components, got 2');
  });
});

describeOnBackends('inverseAndLogDet', () => {
  it('log det is the sum of the logs of the eigenvalues, and A A⁻¹ = I', async () => {
    const m = 8;
    const next = uniforms(13);
    const w = Float32Array.from({ length: 20 * m }, () => 2 * next() - 1);
    const gram = be.tidy(() => {
      const t = be.tensor(w, [20, m]);
      return be.matmul(t, t, { transposeA: true });
    });
    const { inverse, logDet } = inverseAndLogDet(gram);
    const eigenvalues = symmetricEigenvalues(await be.read(gram), m);
    const expected = Array.from(eigenvalues).reduce((acc, lambda) => acc + Math.log(lambda), 0);
    expect(await scalar(logDet)).toBeCloseTo(expected, 3);
    expectAllClose(await values(be.matmul(gram, inverse)), identity(m), { absolute: 1e-4, relative: 0 });
    be.dispose([gram, inverse]);
  });
});
