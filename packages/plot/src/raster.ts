/** SVG → PNG through resvg (native, Node only), with the system's fonts. */
import { Resvg } from '@resvg/resvg-js';
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';

/** Options of {@link svgToPng}. */
export interface RasterOptions {
  /** Output pixels per SVG pixel (default 2). */
  readonly scale?: number;
}

/** Rasterizes SVG text (a chart, or a composed picture) to PNG with the system's fonts. */
export function svgToPng(svg: string, options: RasterOptions = {}): Uint8Array {
  checkOptions(options, { scale: true }, 'svgToPng');
  const scale = options.scale ?? 2;
  if (!(scale > 0)) throw new ConfigError(`svgToPng: scale must be positive, got ${scale}`);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(resvg.render().asPng());
}
