/** Colour maps: value → RGB bytes. */
import { interpolateRdBu } from 'd3-scale-chromatic';

/** An RGB colour, bytes. */
export type Rgb = readonly [number, number, number];

/** Maps a value in [0, 1] (clamped) to a colour. */
export type ColourMap = (fraction: number) => Rgb;

/** Black (0) to white (1). */
export const grey: ColourMap = (fraction) => {
  const level = Math.round(255 * clamp(fraction));
  return [level, level, level];
};

/** 257 samples of ColorBrewer's RdBu, reversed (0 blue, ½ white, 1 red); odd, so ½ is a sample. */
const RED_BLUE = Array.from({ length: 257 }, (_, i) => parseRgb(interpolateRdBu(1 - i / 256)));

/** A diverging map for signed values scaled to [0, 1]: negative blue, zero white, positive red. */
export const diverging: ColourMap = (fraction) => RED_BLUE[Math.round(256 * clamp(fraction))] as Rgb;

function clamp(fraction: number): number {
  return Number.isNaN(fraction) ? 0.5 : Math.min(1, Math.max(0, fraction));
}

/** Parses d3's `rgb(r, g, b)`. */
function parseRgb(css: string): Rgb {
  const [r, g, b] = (css.match(/\d+/g) ?? []).map(Number);
  return [r ?? 0, g ?? 0, b ?? 0];
}
