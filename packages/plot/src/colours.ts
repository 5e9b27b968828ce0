/** Colour maps: value → RGB bytes. */
import { interpolateBlues, interpolateRdBu, interpolateReds, interpolateViridis } from 'd3-scale-chromatic';

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

/** 257 samples of viridis (0 dark purple, 1 yellow): perceptually even, readable in grey. */
const VIRIDIS = Array.from({ length: 257 }, (_, i) => parseRgb(interpolateViridis(i / 256)));

/** A sequential map for unsigned values scaled to [0, 1]: viridis, dark purple to yellow. */
export const sequential: ColourMap = (fraction) => VIRIDIS[Math.round(256 * clamp(fraction))] as Rgb;

const BLUES = Array.from({ length: 257 }, (_, i) => parseRgb(interpolateBlues(i / 256)));
const REDS = Array.from({ length: 257 }, (_, i) => parseRgb(interpolateReds(i / 256)));

/** ColorBrewer's Blues: near-white (0) to dark blue (1). */
export const blues: ColourMap = (fraction) => BLUES[Math.round(256 * clamp(fraction))] as Rgb;

/** ColorBrewer's Reds: near-white (0) to dark red (1). */
export const reds: ColourMap = (fraction) => REDS[Math.round(256 * clamp(fraction))] as Rgb;

function clamp(fraction: number): number {
  return Number.isNaN(fraction) ? 0.5 : Math.min(1, Math.max(0, fraction));
}

/** Parses d3's colours: `rgb(r, g, b)` or `#rrggbb`. */
function parseRgb(css: string): Rgb {
  const hex = css.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
  const [r, g, b] = hex ? hex.slice(1).map((part) => Number.parseInt(part, 16)) : (css.match(/\d+/g) ?? []).map(Number);
  return [r ?? 0, g ?? 0, b ?? 0];
}
