// Entry of a solve worker thread (solve-pool.ts): TypeScript through tsx's loader, as bin/spirit.js does,
// so it runs the same sources whatever started the service (the CLI, tests, a bench).
import { register } from 'tsx/esm/api';

register();
await import('./solve-worker.ts');
