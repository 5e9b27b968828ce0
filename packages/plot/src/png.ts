/** PNG encoding and decoding for the pictures of this package. */
import { writeFileSync } from 'node:fs';
import pngjs from 'pngjs';
import type { RgbCanvas } from './canvas.js';

/** Encodes a canvas as an opaque RGB PNG. */
export function encodePng(canvas: RgbCanvas): Uint8Array {
  const png = new pngjs.PNG({ width: canvas.width, height: canvas.height });
  for (let i = 0, j = 0; i < canvas.pixels.length; i += 3, j += 4) {
    png.data[j] = canvas.pixels[i] as number;
    png.data[j + 1] = canvas.pixels[i + 1] as number;
    png.data[j + 2] = canvas.pixels[i + 2] as number;
    png.data[j + 3] = 255;
  }
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: 2 }));
}

/** Decodes a PNG (e.g. to check what was written). @returns width, height and RGBA pixels */
export function readPng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** Writes PNG bytes to a file. */
export function savePng(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes);
}
