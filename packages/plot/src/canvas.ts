/** RGB pixel canvases: what every picture of this package is drawn on, in Node and in browsers. */

/** An RGB picture being drawn: `pixels` is (height, width, 3) row-major, bytes. */
export interface RgbCanvas {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** A canvas of `width` × `height` pixels, all `background` (RGB bytes). */
export function rgbCanvas(width: number, height: number, background: readonly [number, number, number]): RgbCanvas {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) pixels.set(background, i);
  return { width, height, pixels };
}
