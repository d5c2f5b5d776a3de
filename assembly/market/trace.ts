// A diagnostic trace: when on, the core appends (code, value) pairs that the differential tests compare with
// the TypeScript twin's trace to find the first step where the two engines part. Off in normal solves.
const TRACE_MAX: i32 = 1 << 16;
export let TRACE_ON = false;
export let TRACE_LEN: i32 = 0;
export const TRACE_BUF: usize = heap.alloc(<usize>TRACE_MAX << 4);

export function setTrace(on: bool): void {
  TRACE_ON = on;
  TRACE_LEN = 0;
}

export function trace(code: f64, v: f64): void {
  if (!TRACE_ON || TRACE_LEN >= TRACE_MAX) return;
  store<f64>(TRACE_BUF + (<usize>TRACE_LEN << 4), code);
  store<f64>(TRACE_BUF + (<usize>TRACE_LEN << 4) + 8, v);
  TRACE_LEN++;
}
