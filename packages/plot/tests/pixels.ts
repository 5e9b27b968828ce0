/** Reading pixels of decoded PNGs in the picture tests. */

/** The RGB of pixel (x, y) of a decoded PNG. */
export function rgbAt(png: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const offset = (Math.round(y) * png.width + Math.round(x)) * 4;
  return [...png.data.subarray(offset, offset + 3)];
}

/** How many pixels are darker than light grey: lines, points and glyphs drawn on white. */
export function inkedPixels(png: { data: Uint8Array }): number {
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) if ((png.data[i] as number) < 160) count++;
  return count;
}

/** The numeric attributes of the first SVG element matching `pattern` (e.g. /<image [^>]*>/). */
export function svgAttributes(svg: string, pattern: RegExp): Record<string, string> {
  const element = svg.match(pattern)?.[0];
  if (!element) throw new Error(`no element matches ${pattern}`);
  return Object.fromEntries([...element.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
}
