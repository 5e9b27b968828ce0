/**
 * Every registered backend, on each of its devices, runs the shared suite and a whole PCD run
 * against the float64 reference. A new backend needs no line here: registering it is enough.
 * A device that needs what this environment may lack is listed with where it is tested.
 */
import { describe, it } from 'vitest';
import { type Backend, backendFactory, registeredBackends } from '../../backends/index.js';
import { trainingAgreesWithOracle } from '../helpers/training-agreement.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const TESTED_ELSEWHERE: Readonly<Record<string, string>> = {
  'tfjs webgpu': 'needs a WebGPU adapter: tfjs-webgpu.test.ts runs a reduced suite, or skips with the reason',
  'tfjs tensorflow': 'tfjs-node cannot install here (its install script downloads libtensorflow)',
};

/**
 * Backends that need a GPU adapter (the backends tier asks for Mesa's software one): without
 * one they are skipped with the reason, unless RELIEF_REQUIRE_WEBGPU=1 (CI sets it) makes a
 * missing adapter a failure.
 */
const NEEDS_ADAPTER = new Set(['webgpu']);

for (const name of registeredBackends()) {
  const factory = backendFactory(name, 'registered backends');
  for (const device of factory.devices.length > 0 ? factory.devices : [undefined]) {
    const label = device ? `${name} ${device}` : name;
    if (label in TESTED_ELSEWHERE) continue;
    let start = () => factory.create({ seed: 1, ...(device && { device }) });
    if (NEEDS_ADAPTER.has(name)) {
      const started: Backend | Error = await start().catch((error: Error) => error);
      if (started instanceof Error && process.env.RELIEF_REQUIRE_WEBGPU !== '1') {
        describe.skip(`backend suite: ${label} — skipped: ${started.message}`, () => {
          it('needs a WebGPU adapter', () => {});
        });
        continue;
      }
      start = async () => {
        if (started instanceof Error) throw started;
        return started;
      };
    }
    backendSuite(label, start, FULL_SUITE);
    describe(`${label} training`, () => trainingAgreesWithOracle(name, device));
  }
}
