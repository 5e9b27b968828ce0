import { TfjsBackend } from '../../backends/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

backendSuite('tfjs cpu', () => TfjsBackend.create('cpu'), FULL_SUITE);
