import { tiedChannels } from '../constraints/index.js';
import { ConvolutionalWeights, type ConvolutionGeometry, type LayerType, makeLayer } from '../layers/index.js';
import { checkOptions } from '../validation/index.js';
import { BoltzmannMachine } from './boltzmann-machine.js';

/** Options of {@link convolutionalRBM}: the geometry plus the layers' types. */
export interface ConvolutionalRBMOptions extends ConvolutionGeometry {
  /** The image layer's type: `'bernoulli'` (Learnergy's ConvRBM, default) or `'gaussian'` (GaussianConvRBM), … */
  readonly visible?: LayerType;
  /** The maps' layer type (default `'bernoulli'`). */
  readonly hidden?: LayerType;
  /** One bias per channel and per filter, as Lee et al. and Learnergy (default true); false: one per unit. */
  readonly tiedBiases?: boolean;
}

/**
 * A convolutional RBM (Lee et al. 2009; Learnergy's ConvRBM and GaussianConvRBM): images of
 * `image` = [channels, height, width] (flattened channel-major) coupled by `filters` shared
 * filters of size `kernel` to maps of [filters, outHeight, outWidth]. Stack them in a
 * `supervised.DeepBeliefNetwork` for Learnergy's ConvDBN (each RBM's `image` the maps below).
 * @throws ConfigError for malformed options; ShapeError when the kernel does not fit the image
 */
export function convolutionalRBM(options: ConvolutionalRBMOptions): BoltzmannMachine {
  checkOptions(
    options,
    {
      image: true,
      filters: true,
      kernel: true,
      stride: true,
      padding: true,
      visible: true,
      hidden: true,
      tiedBiases: true,
    },
    'convolutionalRBM',
  );
  const { visible = 'bernoulli', hidden = 'bernoulli', tiedBiases = true, ...geometry } = options;
  const weights = new ConvolutionalWeights(geometry);
  const model = new BoltzmannMachine([makeLayer(visible, weights.numLower), makeLayer(hidden, weights.numUpper)], {
    weights: [weights],
  });
  if (tiedBiases) tieChannelBiases(model);
  return model;
}

/**
 * Ties every parameter of each layer next to convolutional weights within its channels (see
 * `constraints.tiedChannels`): the images' channels below, the filters' maps above. Mutates the model.
 */
export function tieChannelBiases(model: BoltzmannMachine): void {
  for (const { lower, upper, weights } of model.connections) {
    if (!(weights instanceof ConvolutionalWeights)) continue;
    for (const [index, channels] of [
      [lower, weights.dims.channels],
      [upper, weights.dims.numFilters],
    ] as const) {
      const layer = model.layer(index);
      for (const name of layer.paramNames) layer.addConstraint({ [name]: tiedChannels(channels) });
    }
  }
}
