/** The MNIST subset the build script bundles into the page (see build.ts). */
declare module 'mnist-subset' {
  /** Number of images. */
  export const MNIST_SUBSET_ROWS: number;
  /** (MNIST_SUBSET_ROWS × 784) binarized pixels, packed eight to a byte (bits.ts). */
  export const mnistSubset: Uint8Array;
}
