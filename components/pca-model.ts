/**
 * Principal component analysis as a model (PyDeep's `PCA`, Paysage's `PCA` and `sample_pca`):
 * project onto the top k principal directions and back, explained variance, the
 * probabilistic-PCA log-likelihood (Tipping and Bishop, 1999), and samples drawn in the
 * component basis with the component variances. Fitting is the PCA preprocessing step's.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { type HostMatrix, Preprocessing } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';

/** How {@link PCAModel.fit} fits. */
export interface PCAFitOptions {
  /** How many components to keep (default all columns). */
  readonly components?: number;
  /** Project to unit variance along each component (PyDeep's `whiten`, default false). */
  readonly whiten?: boolean;
}

/** The statistics of a fitted PCA, float32 on the host (what is saved). */
export interface PCAStatistics {
  /** (n) the training rows' mean */
  readonly mean: Float32Array;
  /** (n, k) row-major; column c is the c-th principal direction */
  readonly basis: Float32Array;
  /** (k) descending variances along the kept directions */
  readonly variances: Float32Array;
  /** The mean of the variances of the discarded directions (0 when all are kept). */
  readonly residualVariance: number;
  readonly whiten: boolean;
}

/** Smallest residual variance used by the log-likelihood, so rows off the subspace stay finite. */
const MIN_RESIDUAL_VARIANCE = 1e-12;

/** A fitted PCA; its tensors live on the backend until {@link PCAModel.dispose}. */
export class PCAModel {
  private readonly mean: Tensor;
  private readonly basis: Tensor;
  private readonly variances: Tensor;

  /**
   * A model from its statistics.
   * @throws ShapeError when the sizes disagree
   */
  constructor(readonly statistics: PCAStatistics) {
    const n = statistics.mean.length;
    const k = statistics.variances.length;
    if (statistics.basis.length !== n * k || k > n || k === 0) {
      throw new ShapeError(
        `PCAModel: expected a basis of ${n}×${k} values for ${n} columns and ${k} components, got ${statistics.basis.length}`,
      );
    }
    this.mean = be.tensor(statistics.mean, [1, n]);
    this.basis = be.tensor(statistics.basis, [n, k]);
    this.variances = be.tensor(statistics.variances, [1, k]);
  }

  /**
   * Fits the mean and principal directions of host rows (covariance with divisor rows).
   * @param data - (rows, n), at least 2 rows
   * @throws ConfigError for more components than columns; DataError for non-finite data
   */
  static async fit(data: HostMatrix, { components, whiten = false }: PCAFitOptions = {}): Promise<PCAModel> {
    const n = data.columns;
    const k = components ?? n;
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new ConfigError(`PCAModel.fit: components: expected an integer in [1, ${n}], got ${k}`);
    }
    const fitted = await Preprocessing.fit([{ type: 'pca', epsilon: 0 }], data);
    const statistics = fitted.statistics();
    const all = (statistics['0.variances'] as { data: Float32Array }).data;
    const basis = (statistics['0.basis'] as { data: Float32Array }).data;
    const discarded = all.subarray(k);
    return new PCAModel({
      mean: (statistics['0.mean'] as { data: Float32Array }).data,
      basis: Float32Array.from({ length: n * k }, (_, i) => basis[Math.floor(i / k) * n + (i % k)] as number),
      variances: all.slice(0, k),
      residualVariance: discarded.length === 0 ? 0 : discarded.reduce((a, v) => a + v, 0) / discarded.length,
      whiten,
    });
  }

  /** Columns n and components k. */
  get numColumns(): number {
    return this.statistics.mean.length;
  }
  get numComponents(): number {
    return this.statistics.variances.length;
  }

  /** The variance along each kept direction (k), descending. */
  explainedVariance(): Float32Array {
    return this.statistics.variances.slice();
  }

  /** Each kept direction's share of the total variance (k). */
  explainedVarianceRatio(): Float32Array {
    const { variances, residualVariance } = this.statistics;
    const total = variances.reduce((a, v) => a + v, 0) + residualVariance * (this.numColumns - this.numComponents);
    return variances.map((v) => (total > 0 ? v / total : 0));
  }

  /** (x − mean) B, divided by √variance when whitening. @param data - (rows, n) @returns (rows, k) */
  project(data: Tensor): Tensor {
    this.checkColumns(data, this.numColumns, 'project');
    return be.tidy(() => {
      const projected = be.matmul(be.sub(data, this.mean), this.basis);
      return this.statistics.whiten ? be.div(projected, be.sqrt(this.variances)) : projected;
    });
  }

  /** y Bᵀ + mean (y scaled by √variance first when whitening). @param projected - (rows, k) @returns (rows, n) */
  unproject(projected: Tensor): Tensor {
    this.checkColumns(projected, this.numComponents, 'unproject');
    return be.tidy(() => {
      const scaled = this.statistics.whiten ? be.mul(projected, be.sqrt(this.variances)) : projected;
      return be.add(be.matmul(scaled, this.basis, { transposeB: true }), this.mean);
    });
  }

  /**
   * ln N(x; mean, B Λ Bᵀ + σ²(I − B Bᵀ)) per row, σ² the residual variance (floored at 1e-12
   * when components are discarded; with all kept it is the full Gaussian).
   * @param data - (rows, n) @returns (rows)
   */
  logLikelihood(data: Tensor): Tensor {
    this.checkColumns(data, this.numColumns, 'logLikelihood');
    const [n, k] = [this.numColumns, this.numComponents];
    const residual = Math.max(this.statistics.residualVariance, MIN_RESIDUAL_VARIANCE);
    const logDet = this.statistics.variances.reduce((a, v) => a + Math.log(v), 0) + (n - k) * Math.log(residual);
    return be.tidy(() => {
      const centred = be.sub(data, this.mean);
      const projected = be.matmul(centred, this.basis);
      const inSubspace = be.sum(be.div(be.square(projected), this.variances), 1);
      let quadratic = inSubspace;
      if (k < n) {
        const offSubspace = be.sub(be.sum(be.square(centred), 1), be.sum(be.square(projected), 1));
        quadratic = be.add(inSubspace, be.div(be.maximum(offSubspace, 0), residual));
      }
      return be.mul(be.add(quadratic, n * Math.log(2 * Math.PI) + logDet), -0.5);
    });
  }

  /**
   * Rows drawn from N(0, Λ) in the component basis and mapped back (Paysage's `sample_pca`),
   * with the backend's generator. @returns (count, n)
   */
  sample(count: number): Tensor {
    if (!Number.isInteger(count) || count < 1) {
      throw new ConfigError(`PCAModel.sample: count: expected a positive integer, got ${count}`);
    }
    return be.tidy(() => {
      const draws = be.mul(be.randomNormal([count, this.numComponents]), be.sqrt(this.variances));
      return be.add(be.matmul(draws, this.basis, { transposeB: true }), this.mean);
    });
  }

  /** Frees the model's tensors. */
  dispose(): void {
    be.dispose([this.mean, this.basis, this.variances]);
  }

  private checkColumns(t: Tensor, columns: number, where: string): void {
    const shape = be.shape(t);
    if (shape.length !== 2 || shape[1] !== columns) {
      throw new ShapeError(`PCAModel.${where}: expected (rows, ${columns}), got [${shape.join(', ')}]`);
    }
  }
}
