// Worker threads for POST /v1/solve bodies too large to solve on the event loop (a 4096-app scenario takes
// seconds to validate and solve; the HTTP server must keep answering /healthz meanwhile). Bounded: a fixed
// number of workers and a bounded queue (the route bounds the body bytes held); beyond them a request is
// refused at once with 503 and Retry-After, never queued without end. Workers start on first use and do
// not keep the process alive while idle.
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.ts';
import type { EngineKind } from '../market/engines.ts';
import type { Policy } from '../scenario/types.ts';
import { UnavailableError } from './errors.ts';
import type { SolveJob, SolveReply } from './solve-worker.ts';

const WORKER_URL = new URL('./solve-worker.mjs', import.meta.url);

interface Pending {
  job: SolveJob;
  resolve: (r: { result: Uint8Array<ArrayBuffer>; elapsedMs: number }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  busy: Pending | null;
}

export class SolvePool {
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, readonly queueMax: number) {
    this.slots = Array.from({ length: size }, () => ({ worker: null, busy: null }));
  }

  /** Solves in a worker. Rejects with InputError (bad scenario), UnavailableError (full), or Error (a bug). */
  run(o: { policy: Policy; strict: boolean; engine: EngineKind; blocks: ArrayBuffer[]; bytes: number }): Promise<{ result: Uint8Array<ArrayBuffer>; elapsedMs: number }> {
    if (this.closed) return Promise.reject(new UnavailableError('the service is stopping'));
    if (this.queue.length >= this.queueMax) {
      return Promise.reject(new UnavailableError(`${this.queue.length} large solves are waiting (the limit); retry later`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, ...o }, resolve, reject });
      this.pump();
    });
  }

  get waiting(): number { return this.queue.length; }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new UnavailableError('the service is stopping'));
    await Promise.all(this.slots.map(async (s) => {
      const w = s.worker;
      s.worker = null;
      s.busy?.reject(new UnavailableError('the service is stopping'));
      s.busy = null;
      if (w) await w.terminate();
    }));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      const w = slot.worker ?? this.spawn(slot);
      w.ref();
      w.postMessage(p.job, p.job.blocks);
    }
  }

  private spawn(slot: Slot): Worker {
    const w = new Worker(WORKER_URL);
    slot.worker = w;
    w.on('message', (r: SolveReply) => {
      const p = slot.busy;
      slot.busy = null;
      w.unref();  // idle workers do not keep the process alive
      if (p && p.job.id === r.id) {
        if (r.ok) p.resolve({ result: new Uint8Array(r.result), elapsedMs: r.elapsedMs });
        else if (r.input) p.reject(new InputError(r.input.where, r.input.problem, r.input.details));
        else p.reject(new Error(`solve failed in its worker: ${r.message}`));
      }
      this.pump();
    });
    const fail = (err: Error): void => {
      if (slot.worker !== w) return;
      slot.worker = null;  // a new one is started for the next job
      const p = slot.busy;
      slot.busy = null;
      p?.reject(new Error(`the solve worker died: ${err.message}`));
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    return w;
  }
}
