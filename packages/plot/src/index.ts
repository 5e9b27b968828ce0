/**
 * @relief/plot: pictures of what a model learned — grids of images (data, reconstructions,
 * fantasy particles, grey or RGB), weight mosaics on a symmetric diverging colour scale,
 * titled rows of pictures, learning curves (SVG and PNG) and confusion matrices.
 * @packageDocumentation
 */
export {
  type ChartOptions,
  type LearningCurveOptions,
  learningCurvesSvg,
  lineChartSvg,
  type NamedHistory,
  type RasterOptions,
  type Series,
  svgToPng,
} from './charts.js';
export { type ColourMap, diverging, grey, type Rgb } from './colours.js';
export { type ConfusionOptions, confusionMatrixPng } from './confusion.js';
export {
  type GridOptions,
  imageGrid,
  type LayoutOptions,
  symmetricLimit,
  type WeightsOptions,
  weightsGrid,
} from './grids.js';
export { readPng, savePng } from './png.js';
export { type TitledPicture, titledRows, titledRowsSvg } from './titles.js';
