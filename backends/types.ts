/** A tensor shape: one size per axis, outermost first. `[]` is a scalar. */
export type Shape = readonly number[];

declare const tensorBrand: unique symbol;

/**
 * An opaque float32 tensor owned by one backend. Model code never looks inside: it passes
 * tensors back to the backend that made them (`be.shape(t)`, `be.read(t)`, ...).
 */
export interface Tensor {
  readonly [tensorBrand]: true;
}

/** A tensor operand, or a plain number standing for a scalar. */
export type TensorLike = Tensor | number;

/** The four 32-bit state words of a random generator (xoshiro128**), to continue its stream elsewhere. */
export type RandomWords = readonly [number, number, number, number];

/** Work a device backend has done since it started, counted on the host. */
export interface DeviceStats {
  /** Compute dispatches encoded. */
  readonly dispatches: number;
  /** Command buffers submitted to the device's queue. */
  readonly submits: number;
  /** Copies from the device that the host waited for (`read`). */
  readonly readbacks: number;
  /** Bytes written to the device. */
  readonly bytesUp: number;
  /** Bytes read back from the device. */
  readonly bytesDown: number;
  /** Milliseconds of host time spent recording work for the device (not waiting for it). */
  readonly hostMs: number;
}

/** What `tidy` may return: tensors anywhere inside arrays or plain objects, or nothing. */
export type TensorContainer =
  // biome-ignore lint/suspicious/noConfusingVoidType: a tidy callback may return nothing
  void | number | string | Tensor | readonly TensorContainer[] | { readonly [key: string]: TensorContainer };

/** Options of a matrix product. */
export interface MatmulOptions {
  /** Use `aᵀ`: `a` is given as (k, m). */
  readonly transposeA?: boolean;
  /** Use `bᵀ`: `b` is given as (n, k). */
  readonly transposeB?: boolean;
}

/**
 * The geometry of a 2-D convolution: cross-correlation as in PyTorch's `conv2d`, with the same
 * stride and zero padding on both image axes. Images are (batch, channels, height, width) and
 * filters (numFilters, channels, kernelHeight, kernelWidth), row-major (NCHW).
 */
export interface Convolution {
  /** Positions skipped between two outputs (≥ 1). */
  readonly stride: number;
  /** Zeros added on every side of each image (≥ 0). */
  readonly padding: number;
}

/** Settings of one ADAM step (see `Backend.adamStep`). */
export interface AdamSettings {
  /** Step size η. */
  readonly rate: number;
  /** β₁, the decay of the mean. */
  readonly meanWeight: number;
  /** β₂, the decay of the mean square. */
  readonly meanSquareWeight: number;
  /** ε added to √ŝ. */
  readonly epsilon: number;
  /** Update count t, from 1 (for the bias correction). */
  readonly step: number;
}
