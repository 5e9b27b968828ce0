/**
 * Structural similarity (SSIM) of images, and the metric of reconstructions by it.
 * @packageDocumentation
 */
import { be } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { type Assessment, AveragedMetric } from './metric.js';

/** The structural-similarity window: its side and the stabilizing constants K1, K2. */
const SSIM_WINDOW = 7;
const SSIM_K1 = 0.01;
const SSIM_K2 = 0.03;

/**
 * The mean structural similarity index (Wang et al. 2004) of two images with scikit-image's
 * defaults: 7 × 7 uniform windows with sample (co)variances, C1 = (0.01 R)², C2 = (0.03 R)²,
 * averaged over the windows that lie inside the image.
 * @param a - height · width values, row by row @param b - the same shape @param dataRange - R, the range of the values
 */
export function structuralSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  height: number,
  width: number,
  dataRange = 1,
): number {
  if (height < SSIM_WINDOW || width < SSIM_WINDOW || a.length !== height * width || b.length !== a.length) {
    throw new ConfigError(
      `structuralSimilarity: expected two ${height} × ${width} images of at least ${SSIM_WINDOW} × ${SSIM_WINDOW}, got ${a.length} and ${b.length} values`,
    );
  }
  const [c1, c2] = [(SSIM_K1 * dataRange) ** 2, (SSIM_K2 * dataRange) ** 2];
  const count = SSIM_WINDOW * SSIM_WINDOW;
  const sampleCorrection = count / (count - 1);
  let total = 0;
  let windows = 0;
  for (let top = 0; top + SSIM_WINDOW <= height; top++) {
    for (let left = 0; left + SSIM_WINDOW <= width; left++) {
      let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
      for (let r = top; r < top + SSIM_WINDOW; r++) {
        for (let c = left; c < left + SSIM_WINDOW; c++) {
          const [x, y] = [a[r * width + c] as number, b[r * width + c] as number];
          sa += x;
          sb += y;
          saa += x * x;
          sbb += y * y;
          sab += x * y;
        }
      }
      const [ma, mb] = [sa / count, sb / count];
      const va = sampleCorrection * (saa / count - ma * ma);
      const vb = sampleCorrection * (sbb / count - mb * mb);
      const cov = sampleCorrection * (sab / count - ma * mb);
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      windows += 1;
    }
  }
  return total / windows;
}

/** Options of {@link ReconstructionSSIM}. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  /** The range of the pixel values (default 1). */
  readonly dataRange?: number;
}

/**
 * The mean structural similarity of each reconstruction to its data image (Learnergy's SSIM),
 * for visible units that form images: `height × width` (default: square). Not in the default set.
 */
export class ReconstructionSSIM extends AveragedMetric {
  readonly name = 'ReconstructionSSIM';
  constructor(readonly shape?: ImageShape) {
    super();
  }
  async update({ dataState, reconstructions }: Assessment): Promise<void> {
    const [rows, n] = be.shape(dataState.getVisible()) as [number, number];
    const side = Math.round(Math.sqrt(n));
    const { height, width, dataRange = 1 } = this.shape ?? { height: side, width: side };
    if (height * width !== n) {
      throw new ConfigError(
        `ReconstructionSSIM: the visible layer's ${n} units are not ${this.shape ? `a ${height} × ${width}` : 'a square'} image; give { height, width }`,
      );
    }
    const data = await be.read(dataState.getVisible());
    const reconstructed = await be.read(reconstructions.getVisible());
    for (let r = 0; r < rows; r++) {
      const image = (values: Float32Array) => values.subarray(r * n, (r + 1) * n);
      this.average.add(structuralSimilarity(image(data), image(reconstructed), height, width, dataRange));
    }
  }
}
