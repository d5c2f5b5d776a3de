// The integration suite on the in-process bus.
import { describe } from 'vitest';
import { memoryBackend } from './harness.ts';
import { integrationSuite } from './suite.ts';

describe('service on the in-process bus', () => integrationSuite(memoryBackend));
