/** Binary images packed eight pixels to a byte: how the page carries its MNIST subset. */

/** Packs 0/1 values (anything ≥ 0.5 is 1), most significant bit first. @param values - (rows × columns) */
export function packBits(values: ArrayLike<number>): Uint8Array {
  const packed = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) {
    if ((values[i] as number) >= 0.5) packed[i >> 3] = (packed[i >> 3] as number) | (0x80 >> (i & 7));
  }
  return packed;
}

/** The first `count` values of packed bits, as 0/1 floats. */
export function unpackBits(packed: Uint8Array, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => ((packed[i >> 3] as number) >> (7 - (i & 7))) & 1);
}
