// Large POST /v1/solve bodies are read a few at a time. Every chunk of a body is scanned on the event loop
// (~0.5 ms per 64 KiB); with 24 bodies streaming in at once, one turn of the loop handled 24 chunks and a
// /healthz request waited behind all of them (p99 57 ms). With at most SOLVE_READERS bodies being read,
// a turn handles a chunk or two; the other requests wait their turn with their sockets paused by
// Node's own backpressure, and beyond SOLVE_READ_WAITERS they are refused at once (503, Retry-After).
import { UnavailableError } from './errors.ts';

export class ReadGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly readers: number, readonly waitersMax: number) {}

  /** Waits for a reading slot; the returned function gives it back (call it once). */
  async enter(): Promise<() => void> {
    if (this.active >= this.readers) {
      if (this.waiting.length >= this.waitersMax) {
        throw new UnavailableError(`${this.waiting.length} large solve bodies are waiting to be read (the limit); retry later`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      if (next) next();  // the slot passes straight to the next reader
      else this.active--;
    };
  }
}
