// static: the weighted equal split within each app's limits (the reference every policy is measured against).
import type { PolicyFn } from './types.ts';

export const staticPolicy: PolicyFn = (_engine, p) => ({ x: p.refX.slice(), y: p.refY.slice(), iterations: 0 });
