import { describe } from 'vitest';
import { TfjsBackend } from '../../backends/index.js';
import { trainingAgreesWithCpu } from '../helpers/training-agreement.js';
import { backendSuite, FULL_SUITE } from './suite.js';

backendSuite('tfjs cpu', () => TfjsBackend.create('cpu'), FULL_SUITE);

describe('tfjs cpu training', () => {
  trainingAgreesWithCpu('cpu');
});
