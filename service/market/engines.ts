// Engine selection: the WASM core by default, the TypeScript twin on request.
import type { Engine } from './engine.ts';
import { TwinEngine } from './twin/index.ts';

export type EngineKind = 'wasm' | 'ts';
export const ENGINE_KINDS: readonly EngineKind[] = ['wasm', 'ts'];

export async function createEngine(kind: EngineKind = 'wasm'): Promise<Engine> {
  if (kind === 'ts') return new TwinEngine();
  const { WasmEngine } = await import('./wasm/engine.ts');
  return WasmEngine.create();
}
