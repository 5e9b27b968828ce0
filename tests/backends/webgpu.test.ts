import { describe, it } from 'vitest';
import { WebGpuBackend } from '../../backends/webgpu/backend.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const started: WebGpuBackend | Error = await WebGpuBackend.create({ adapter: 'software', random: 'device', seed: 1 }).catch(
  (error: Error) => error,
);

if (started instanceof Error && process.env.RELIEF_REQUIRE_WEBGPU !== '1') {
  describe.skip(`backend suite: webgpu — skipped: ${started.message}`, () => {
    it('needs a WebGPU adapter', () => {});
  });
} else {
  backendSuite(
    'webgpu (software adapter)',
    async () => {
      if (started instanceof Error) throw started;
      return started;
    },
    FULL_SUITE,
  );
}
