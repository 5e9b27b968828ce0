import { CpuBackend } from '../../backends/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

backendSuite('cpu (ndarray)', async () => new CpuBackend(), FULL_SUITE);
