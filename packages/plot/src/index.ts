/**
 * @relief/plot: pictures of what a model learned — grids of images (data, reconstructions,
 * fantasy particles, grey or RGB), weight mosaics on a symmetric diverging colour scale,
 * titled rows of pictures, learning curves (SVG and PNG) and confusion matrices.
 * @packageDocumentation
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
export { type ColourMap, diverging, grey, type Rgb } from './colours.js';
export { type ConfusionOptions, confusionMatrixPng } from './confusion.js';
export { imageGrid, weightsGrid } from './grids.js';
export { readPng, savePng } from './png.js';
export { type RasterOptions, svgToPng } from './raster.js';
export {
  type GridOptions,
  imageGridCanvas,
  type LayoutOptions,
  symmetricLimit,
  type WeightsOptions,
  weightsGridCanvas,
} from './tiles.js';
export { type TitledPicture, titledRows, titledRowsSvg } from './titles.js';
