// What the HTTP layer needs from the rest of the service.
import type { SpiritService } from '../control/service.ts';

export interface HttpDeps {
  service: SpiritService;
  /** bearer token for mutating routes (and GET /v1/events); undefined = open */
  token?: string;
  /** with a token: leave GET /v1/events open (dashboards without the token); default false */
  openEvents?: boolean;
  /** whether the WASM market core loaded (readyz reports it) */
  wasmLoaded: boolean;
  /** keep results of identical POST /v1/solve requests (default on) */
  solveCache?: boolean;
}
