/**
 * The parts of @relief/plot that run in a browser (no PNG encoder, no native rasterizer):
 * image grids and weight mosaics on RGB canvases (put them on an HTML canvas with
 * `ImageData`), colour maps, and learning curves as SVG.
 * @packageDocumentation
 * @module @relief/plot/browser
 */

export { type RgbCanvas, rgbCanvas } from './canvas.js';
export {
  type ChartOptions,
  type LearningCurveOptions,
  learningCurvesSvg,
  lineChartSvg,
  type NamedHistory,
  type Series,
} from './charts.js';
export { type ColourMap, diverging, grey, type Rgb, sequential } from './colours.js';
export {
  type GridOptions,
  imageGridCanvas,
  type LayoutOptions,
  symmetricLimit,
  type WeightsOptions,
  weightsGridCanvas,
} from './tiles.js';
