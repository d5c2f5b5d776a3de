// Answers of POST /v1/solve solved on the event loop leave in groups: each waits until a group of
// SOLVE_WRITE_BATCH is ready or the event loop's poll phase ends (setImmediate), whichever comes first, and the
// group is then written back to back. Why: under load, solving one request and writing its answer in turn
// (writev, then the next solve) cost ~165 us of server CPU a request against ~118 us in groups (paper-mix, 64
// clients on loopback, 2026-12-07): the kernel's send path (which on loopback also runs the receiving side
// and wakes the client each time) no longer sits between two solves, so the solves run with warm caches and
// a client woken once takes several answers. Nothing waits when the server is idle: a lone request is
// answered at the end of the same event-loop turn. The wait is bounded: at most SOLVE_WRITE_BATCH - 1 other
// inline solves (each well under a millisecond).
import { SOLVE_WRITE_BATCH } from './limits.ts';

let waiting: (() => void)[] = [];
let scheduled = false;

function release(): void {
  scheduled = false;
  const group = waiting;
  waiting = [];
  for (const go of group) go();
}

/** Resolves when this answer's group may be written (see above). */
export function writeTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length >= SOLVE_WRITE_BATCH) release();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
  });
}
