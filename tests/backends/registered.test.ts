/**
 * Every registered backend, on each of its devices, runs the shared suite and a whole PCD run
 * against the float64 reference. A new backend needs no line here: registering it is enough.
 * A device that needs what this environment may lack is listed with where it is tested.
 */
import { describe } from 'vitest';
import { backendFactory, registeredBackends } from '../../backends/index.js';
import { trainingAgreesWithOracle } from '../helpers/training-agreement.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const TESTED_ELSEWHERE: Readonly<Record<string, string>> = {
  'tfjs webgpu': 'needs a WebGPU adapter: tfjs-webgpu.test.ts runs a reduced suite, or skips with the reason',
  'tfjs tensorflow': 'tfjs-node cannot install here (its install script downloads libtensorflow)',
};

for (const name of registeredBackends()) {
  const factory = backendFactory(name, 'registered backends');
  for (const device of factory.devices.length > 0 ? factory.devices : [undefined]) {
    const label = device ? `${name} ${device}` : name;
    if (label in TESTED_ELSEWHERE) continue;
    backendSuite(label, () => factory.create({ seed: 1, ...(device && { device }) }), FULL_SUITE);
    describe(`${label} training`, () => trainingAgreesWithOracle(name, device));
  }
}
