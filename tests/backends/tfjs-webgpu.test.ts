import { describe, it } from 'vitest';
import { type Backend, TfjsBackend } from '../../backends/index.js';
import { trainingAgreesWithOracle } from '../helpers/training-agreement.js';
import { backendSuite } from './suite.js';

/**
 * Software WebGPU (Mesa's lavapipe/llvmpipe through Dawn) runs the real tfjs WebGPU
 * kernels but compiles a pipeline per shape, so this suite runs fewer random cases.
 * Without a WebGPU adapter the suite is skipped with the reason, unless
 * RELIEF_REQUIRE_WEBGPU=1 (CI sets it) makes a missing adapter a failure.
 */
const started: Backend | Error = await TfjsBackend.create('webgpu').catch((error: Error) => error);

if (started instanceof Error && process.env.RELIEF_REQUIRE_WEBGPU !== '1') {
  describe.skip(`backend suite: tfjs webgpu — skipped: ${started.message}`, () => {
    it('needs a WebGPU adapter', () => {});
  });
} else {
  backendSuite(
    'tfjs webgpu',
    async () => {
      if (started instanceof Error) throw started;
      return started;
    },
    { runs: 8, tolerance: 1e-5, maxMatmulSide: 24, samples: 20000 },
  );
  describe('tfjs webgpu training', () => {
    trainingAgreesWithOracle('tfjs', 'webgpu');
  });
}
