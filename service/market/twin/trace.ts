// Diagnostic trace, twin of assembly/market/trace.ts: (code, value) pairs appended when on.
export const traceLog: { on: boolean; items: [number, number][] } = { on: false, items: [] };

export function trace(code: number, v: number): void {
  if (traceLog.on && traceLog.items.length < 1 << 16) traceLog.items.push([code, v]);
}
