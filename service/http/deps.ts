// What the HTTP layer needs from the rest of the service.
import type { SpiritService } from '../control/service.ts';

export interface HttpDeps {
  service: SpiritService;
  /** bearer token for mutating routes; undefined = open */
  token?: string;
  /** whether the WASM market core loaded (readyz reports it) */
  wasmLoaded: boolean;
  /** keep results of identical POST /v1/solve requests (default on) */
  solveCache?: boolean;
}
