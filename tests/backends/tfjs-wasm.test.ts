import { describe } from 'vitest';
import { TfjsBackend } from '../../backends/index.js';
import { trainingAgreesWithCpu } from '../helpers/training-agreement.js';
import { backendSuite, FULL_SUITE } from './suite.js';

backendSuite('tfjs wasm', () => TfjsBackend.create('wasm'), FULL_SUITE);

describe('tfjs wasm training', () => {
  trainingAgreesWithCpu('wasm');
});
