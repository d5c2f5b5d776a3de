// A solve worker thread: parses, validates and solves one scenario at a time, exactly as the inline path of
// POST /v1/solve does (parseScenarioText, solveScenario), off the event loop of the HTTP server. The body
// arrives as transferred blocks; the result goes back as UTF-8 bytes, transferred too.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { InputError } from '../errors.ts';
import type { Engine } from '../market/engine.ts';
import { createEngine, type EngineKind } from '../market/engines.ts';
import { solveScenario } from '../market/solve.ts';
import type { Policy } from '../scenario/types.ts';
import { parseScenarioText } from '../scenario/validate.ts';
import { joinBlocks } from './body-blocks.ts';

/** Nice value of solve worker threads (0 is the default, 19 the lowest priority). */
const WORKER_NICE = 10;

export interface SolveJob {
  id: number;
  policy: Policy;
  strict: boolean;
  engine: EngineKind;
  blocks: ArrayBuffer[];
  bytes: number;
}

export type SolveReply =
  | { id: number; ok: true; result: ArrayBuffer; elapsedMs: number }
  | { id: number; ok: false; input?: { where: string; problem: string; details?: { where: string; problem: string }[] }; message: string };

const engines = new Map<EngineKind, Promise<Engine>>();

// Below the event loop's thread: on Linux a thread's nice value is its own, so a long solve here yields the
// core to the HTTP thread whenever both want it (/healthz stays prompt on a 2-core machine under load).
try {
  setPriority(WORKER_NICE);  // pid 0: the calling thread
} catch {
  // not permitted or not supported: the worker runs at the process's priority
}

function solve(engine: Engine, job: SolveJob): SolveReply {
  const text = new TextDecoder().decode(joinBlocks(job.blocks, job.bytes));
  const t0 = performance.now();
  const { scenario, warnings } = parseScenarioText(text, { strict: job.strict });
  const result = solveScenario(engine, scenario, { policy: job.policy, warnings });
  const bytes = new TextEncoder().encode(JSON.stringify(result));
  // transferable only whole: a view into a larger buffer is copied out first
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
  return { id: job.id, ok: true, result: own, elapsedMs: performance.now() - t0 };
}

parentPort!.on('message', (job: SolveJob) => {
  void (async () => {
    let reply: SolveReply;
    try {
      if (!engines.has(job.engine)) engines.set(job.engine, createEngine(job.engine));
      reply = solve(await engines.get(job.engine)!, job);
    } catch (err) {
      reply = err instanceof InputError
        ? { id: job.id, ok: false, input: { where: err.where, problem: err.problem, ...(err.details ? { details: err.details } : {}) }, message: err.message }
        : { id: job.id, ok: false, message: (err as Error).message };
    }
    parentPort!.postMessage(reply, reply.ok ? [reply.result] : []);
  })();
});
