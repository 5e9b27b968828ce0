/**
 * Models saved by Learnergy (`torch.save(model, path)`: a zip archive with the pickled module)
 * as Relief RBMs. Learnergy's free energies are Relief's exactly:
 * `RBM`: `F(v) = −aᵀv − Σ_j softplus((vW + b)_j)` (Bernoulli visible units with bias a);
 * `GaussianRBM`: `F(v) = ½‖v − a‖² − Σ_j softplus((vW + b)_j)` (Gaussian visible units with
 * location a and unit variance, which stays fixed).
 * @packageDocumentation
 */

import { DataError, UnsupportedError } from '../errors/index.js';
import { type ImportedModel, importedRBM, valuesOfShape } from './imported-rbm.js';
import { asHostArray } from './numpy-pickles.js';
import { describeValue, type PickleValue, PythonObject } from './pickle-values.js';
import { containerWhitelist } from './python-containers.js';
import { readModelFile } from './read-model-file.js';
import { readTorchArchive } from './torch-archive.js';
import { recordEntries, type WhitelistEntry } from './unpickle.js';

/** The Learnergy classes imported, by module and name, and their visible units. */
const SUPPORTED: Readonly<Record<string, 'bernoulli' | 'gaussian'>> = {
  'learnergy.models.bernoulli.rbm.RBM': 'bernoulli',
  // Dropout of units or weights happens only in training; the energy is RBM's.
  'learnergy.models.bernoulli.dropout_rbm.DropoutRBM': 'bernoulli',
  'learnergy.models.bernoulli.dropout_rbm.DropConnectRBM': 'bernoulli',
  'learnergy.models.bernoulli.e_dropout_rbm.EDropoutRBM': 'bernoulli',
  'learnergy.models.gaussian.gaussian_rbm.GaussianRBM': 'gaussian',
};

/** Learnergy's other models: read as records so that the refusal can name them, never imported. */
const UNSUPPORTED = [
  'learnergy.models.bernoulli.discriminative_rbm.DiscriminativeRBM',
  'learnergy.models.bernoulli.discriminative_rbm.HybridDiscriminativeRBM',
  'learnergy.models.bernoulli.conv_rbm.ConvRBM',
  'learnergy.models.extra.sigmoid_rbm.SigmoidRBM',
  'learnergy.models.gaussian.gaussian_rbm.GaussianReluRBM',
  'learnergy.models.gaussian.gaussian_rbm.GaussianSeluRBM',
  'learnergy.models.gaussian.gaussian_rbm.VarianceGaussianRBM',
  'learnergy.models.gaussian.gaussian_rbm.GaussianRBM4deep',
  'learnergy.models.extra.sigmoid_rbm.SigmoidRBM4Deep',
  'learnergy.models.gaussian.gaussian_rbm.GaussianReluRBM4deep',
  'learnergy.models.gaussian.gaussian_conv_rbm.GaussianConvRBM',
  'learnergy.models.gaussian.gaussian_conv_rbm.GaussianConvRBM4Deep',
  'learnergy.models.deep.dbn.DBN',
  'learnergy.models.deep.conv_dbn.ConvDBN',
  'learnergy.models.deep.residual_dbn.ResidualDBN',
];

/** Objects of torch inside Learnergy's models, read as records: the optimizer and a DBN's list of RBMs. */
const TORCH_RECORDS = ['torch.optim.sgd.SGD', 'torch.nn.modules.container.ModuleList'];

/** What a Learnergy archive may name: its models and {@link TORCH_RECORDS} (as records), containers, tensors. */
function learnergyWhitelist(): Map<string, WhitelistEntry> {
  return new Map<string, WhitelistEntry>([
    ...containerWhitelist(),
    ...recordEntries([...Object.keys(SUPPORTED), ...UNSUPPORTED, ...TORCH_RECORDS]),
  ]);
}

/** Reads the Learnergy model object of a `torch.save` archive. @param where - names the file in messages */
export function readLearnergyArchive(bytes: Uint8Array, where: string): PickleValue {
  return readTorchArchive(bytes, where, learnergyWhitelist());
}

/** A parameter of a pickled `nn.Module`: from `_parameters`, else the attribute itself. */
function moduleParameter(module: PythonObject, name: string): PickleValue | undefined {
  const parameters = module.attribute('_parameters');
  return (parameters instanceof Map ? parameters.get(name) : undefined) ?? module.attribute(name);
}

/**
 * The Relief RBM of a Learnergy model object (see the module notes for the mapping).
 * @throws UnsupportedError for a Learnergy class without an importer; DataError for missing or misshapen fields
 */
export function learnergyModelFromObject(object: PickleValue, where: string): ImportedModel {
  if (!(object instanceof PythonObject)) {
    throw new DataError(
      `${where}: expected a Learnergy model saved with torch.save(model, path), found ${describeValue(object)}`,
    );
  }
  const className = object.className;
  const visible = SUPPORTED[className];
  if (visible === undefined) {
    throw new UnsupportedError(
      `${where}: Learnergy's ${className} is not imported (its energy has no Relief counterpart); expected one of ${Object.keys(SUPPORTED).join(', ')}`,
    );
  }
  const shortName = className.slice(className.lastIndexOf('.') + 1);
  const field = (name: string) => asHostArray(moduleParameter(object, name), `${shortName}.${name}`, where);
  const weightsArray = field('W');
  const [numVisible = -1, numHidden = -1] = weightsArray.shape.length === 2 ? weightsArray.shape : [];
  const weights = valuesOfShape(weightsArray, [numVisible, numHidden], `${shortName}.W`, where);
  const visibleLoc = valuesOfShape(field('a'), [numVisible], `${shortName}.a`, where);
  const hiddenLoc = valuesOfShape(field('b'), [numHidden], `${shortName}.b`, where);
  const model = importedRBM(
    {
      visible,
      weights,
      visibleLoc,
      hiddenLoc,
      ...(visible === 'gaussian' && { visibleLogVar: new Float64Array(visibleLoc.length), fixedLogVar: true }),
    },
    where,
  );
  const normalize = object.attribute('_input_normalize');
  return {
    model,
    freeEnergyOffset: 0,
    metadata: {
      importedFrom: {
        library: 'Learnergy',
        className: shortName,
        file: where,
        ...(normalize === true && { inputNormalize: true }),
      },
    },
  };
}

/**
 * A Learnergy RBM saved with `torch.save(model, path)` as a Relief model. The archive's pickle
 * is read by a whitelisting reader that runs nothing from the file.
 * @param path - the `.pth` file
 * @throws UnsafePickleError for a pickle that names anything but Learnergy's models, their
 * optimizer and torch tensors; UnsupportedError for models without an importer; DataError for corrupt files
 */
export async function importLearnergyModel(path: string): Promise<ImportedModel> {
  return learnergyModelFromObject(readLearnergyArchive(await readModelFile(path), path), path);
}
