/**
 * Independent component analysis (PyDeep's `ICA`) on whitened data, sources y = x W with
 * independent priors: by natural-gradient maximum likelihood, W ← W + ε W (I + E[y φ(y)ᵀ])
 * (Amari, Cichocki and Yang, 1996), or by symmetric FastICA with tanh (PyDeep's algorithm).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import type { Preprocessing } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import { inverseAndLogDet } from '../linalg/index.js';
import { fastIcaStep, filterChange, symmetricDecorrelation } from './fast-ica.js';
import { ICA_PRIORS, type IcaPrior, priorLogDensity, priorScore } from './priors.js';

/** The fitting algorithms of {@link ICA.fit}. */
export const ICA_ALGORITHMS = ['naturalGradient', 'fastICA'] as const;
/** `naturalGradient`: maximum likelihood under the prior; `fastICA`: symmetric FastICA with tanh. */
export type IcaAlgorithm = (typeof ICA_ALGORITHMS)[number];

/** How {@link ICA.fit} trains. */
export interface IcaFitOptions {
  /** Default `naturalGradient`. */
  readonly algorithm?: IcaAlgorithm;
  /**
   * The sources' prior, for the natural gradient and the log-likelihood (default `laplace`;
   * `logistic` with FastICA, whose tanh is that prior's score).
   */
  readonly prior?: IcaPrior;
  /** Full-batch steps, at most (default 300 natural-gradient steps, 200 FastICA steps). */
  readonly iterations?: number;
  /** The natural gradient's step size ε (default 0.1). */
  readonly stepsize?: number;
  /** FastICA stops once every filter's |cos| with its previous value exceeds 1 − tolerance (default 1e-6). */
  readonly tolerance?: number;
}

/**
 * The natural-gradient ascent direction of the mean log-likelihood at W: W (I + yᵀφ(y)/rows).
 * @param unmixing - W (n, n), columns are the filters @param data - (rows, n) whitened
 * @returns (n, n)
 */
export function naturalGradient(unmixing: Tensor, data: Tensor, prior: IcaPrior): Tensor {
  return be.tidy(() => {
    const rows = be.shape(data)[0] as number;
    const sources = be.matmul(data, unmixing);
    const correlation = be.div(be.matmul(sources, priorScore(prior, sources), { transposeA: true }), rows);
    return be.add(unmixing, be.matmul(unmixing, correlation));
  });
}

/** A fitted ICA: the unmixing matrix W (n, n) of whitened data and the prior it was fitted with. */
export class ICA {
  private constructor(
    private unmixingMatrix: Tensor,
    readonly prior: IcaPrior,
  ) {}

  /**
   * An ICA with a given unmixing matrix (kept by the model, which disposes it).
   * @param unmixing - (n, n) invertible
   * @throws ShapeError for a matrix that is not square
   */
  static fromUnmixing(unmixing: Tensor, prior: IcaPrior = 'laplace'): ICA {
    const shape = be.shape(unmixing);
    if (shape.length !== 2 || shape[0] !== shape[1]) {
      throw new ShapeError(`ICA.fromUnmixing: expected a square (n, n) matrix, got [${shape.join(', ')}]`);
    }
    checkPrior(prior, 'ICA.fromUnmixing');
    return new ICA(unmixing, prior);
  }

  /**
   * Fits W on whitened rows, from I plus a small random perturbation (the backend's
   * generator), made orthonormal for FastICA.
   * @param data - (rows, n), whitened (e.g. by ZCA preprocessing); the caller keeps it
   * @throws ConfigError for a bad option; ShapeError for data that is not a matrix
   */
  static async fit(data: Tensor, options: IcaFitOptions = {}): Promise<ICA> {
    const { algorithm = 'naturalGradient', stepsize = 0.1, tolerance = 1e-6 } = options;
    const fastICA = algorithm === 'fastICA';
    const { prior = fastICA ? 'logistic' : 'laplace', iterations = fastICA ? 200 : 300 } = options;
    if (!ICA_ALGORITHMS.includes(algorithm)) {
      throw new ConfigError(
        `ICA.fit: algorithm: expected one of ${ICA_ALGORITHMS.join(', ')}, got ${String(algorithm)}`,
      );
    }
    if (!Number.isInteger(iterations) || iterations < 0) {
      throw new ConfigError(`ICA.fit: iterations: expected a non-negative integer, got ${iterations}`);
    }
    if (!(stepsize > 0)) throw new ConfigError(`ICA.fit: stepsize: expected a positive number, got ${stepsize}`);
    if (!(tolerance >= 0))
      throw new ConfigError(`ICA.fit: tolerance: expected a non-negative number, got ${tolerance}`);
    checkPrior(prior, 'ICA.fit');
    const shape = be.shape(data);
    if (shape.length !== 2)
      throw new ShapeError(`ICA.fit: expected data of shape (rows, n), got [${shape.join(', ')}]`);
    const n = shape[1] as number;
    let unmixing = be.tidy(() => be.add(identity(n), be.mul(be.randomNormal([n, n]), 0.1)));
    if (!fastICA) {
      const model = ICA.fromUnmixing(unmixing, prior);
      for (let step = 0; step < iterations; step++) model.step(data, stepsize);
      return model;
    }
    const start = unmixing;
    unmixing = await symmetricDecorrelation(start);
    be.dispose(start);
    for (let step = 0; step < iterations; step++) {
      const next = await fastIcaStep(unmixing, data);
      const change = await filterChange(unmixing, next);
      be.dispose(unmixing);
      unmixing = next;
      if (change < tolerance) break;
    }
    return ICA.fromUnmixing(unmixing, prior);
  }

  /** W (n, n), columns are the filters; owned by the model. */
  get unmixing(): Tensor {
    return this.unmixingMatrix;
  }

  /** The number of sources n. */
  get numComponents(): number {
    return be.shape(this.unmixingMatrix)[0] as number;
  }

  /** One natural-gradient step, W ← W + ε W (I + yᵀφ(y)/rows), replacing W. @param data - (rows, n) whitened */
  step(data: Tensor, stepsize: number): void {
    const next = be.tidy(() =>
      be.add(this.unmixingMatrix, be.mul(naturalGradient(this.unmixingMatrix, data, this.prior), stepsize)),
    );
    be.dispose(this.unmixingMatrix);
    this.unmixingMatrix = next;
  }

  /** The sources y = x W. @param data - (rows, n) whitened @returns (rows, n) */
  project(data: Tensor): Tensor {
    return be.matmul(data, this.unmixingMatrix);
  }

  /** Whitened rows x = y W⁻¹ from sources. @param sources - (rows, n) @returns (rows, n) */
  unproject(sources: Tensor): Tensor {
    return be.tidy(() => be.matmul(sources, this.mixing()));
  }

  /** W⁻¹ (n, n): its rows are the sources' directions in whitened space. The caller owns it. */
  mixing(): Tensor {
    return be.tidy(() => {
      const w = this.unmixingMatrix;
      const { inverse } = inverseAndLogDet(be.matmul(w, w, { transposeA: true }));
      return be.matmul(inverse, w, { transposeB: true });
    });
  }

  /**
   * W⁻¹'s rows taken back through the inverse of the whitening that made the data (its shift
   * removed): row j is source j's direction in the data space, so x ≈ y M + mean.
   * @param whitening - the fitted chain whose output this model was fitted on @returns (n, n), the caller owns it
   * @throws ShapeError when the whitening returns other than n columns
   */
  async mixingInDataSpace(whitening: Preprocessing): Promise<Tensor> {
    const n = this.numComponents;
    if (whitening.outputColumns !== n || whitening.inputColumns !== n) {
      throw new ShapeError(
        `ICA.mixingInDataSpace: expected a whitening of ${n} columns to ${n}, got ${whitening.inputColumns} to ${whitening.outputColumns}`,
      );
    }
    const whitenedRows = this.mixing();
    const values = await be.read(whitenedRows);
    be.dispose(whitenedRows);
    const [mapped, origin] = await Promise.all([
      whitening.inverse({ rows: n, columns: n, values }),
      whitening.inverse({ rows: 1, columns: n, values: new Float32Array(n) }),
    ]);
    return be.tensor(
      mapped.values.map((v, i) => v - (origin.values[i % n] as number)),
      [n, n],
    );
  }

  /**
   * ln p(x) = Σⱼ ln p(yⱼ) + ln |det W| for each row (PyDeep's `log_likelihood`).
   * @param data - (rows, n) whitened @returns (rows)
   */
  logLikelihood(data: Tensor): Tensor {
    return be.tidy(() => {
      const w = this.unmixingMatrix;
      const { logDet } = inverseAndLogDet(be.matmul(w, w, { transposeA: true }));
      return be.add(be.sum(priorLogDensity(this.prior, this.project(data)), 1), be.mul(logDet, 0.5));
    });
  }

  /** Frees W. */
  dispose(): void {
    be.dispose(this.unmixingMatrix);
  }
}

function checkPrior(prior: IcaPrior, where: string): void {
  if (!ICA_PRIORS.includes(prior)) {
    throw new ConfigError(`${where}: prior: expected one of ${ICA_PRIORS.join(', ')}, got ${String(prior)}`);
  }
}

/** I (n, n). */
function identity(n: number): Tensor {
  return be.tensor(
    Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
    [n, n],
  );
}
