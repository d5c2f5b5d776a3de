// The simulated nodes of `spirit bench cluster`: node i runs a seeded mix of the archetypes (stream, kvs,
// dlrm, social), the same in the producer (their true models) and in the registration (apps without models:
// the service learns them from telemetry, as it would in production).
import { generateScenario } from '../../service/scenario/generate.ts';
import type { Scenario } from '../../service/scenario/types.ts';

export function benchScenario(node: number, apps: number): Scenario {
  return generateScenario({ apps, seed: 1000 + node });
}
