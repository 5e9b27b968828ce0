/**
 * @relief/plot: pictures of what a model learned — grids of images (data, reconstructions,
 * fantasy particles, grey or RGB), weight mosaics on a symmetric diverging colour scale,
 * titled rows of pictures, heat maps of tabular data and weight matrices, learning curves (SVG and PNG) and confusion matrices.
 * @packageDocumentation
 * @module @relief/plot
 */

// Everything a browser can run too (canvases, colour maps, SVG charts), then the Node-only parts.
export * from './browser.js';
export { type ConfusionOptions, confusionMatrixPng, confusionMatrixSvg } from './confusion.js';
export { imageGrid, weightsGrid } from './grids.js';
export { type HeatMapOptions, type HeatMapPanel, heatMaps, heatMapsSvg } from './heatmap.js';
export { readPng, savePng } from './png.js';
export { type RasterOptions, svgToPng } from './raster.js';
export { type TitledPicture, titledRows, titledRowsSvg } from './titles.js';
