import { TfjsBackend } from '../../backends/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

backendSuite('tfjs wasm', () => TfjsBackend.create('wasm'), FULL_SUITE);
