// A workload process: opens its far-memory region on the memory node(s), writes it with seeded data, then
// runs its archetype's access pattern over the region's ArrayBuffer until the daemon stops it. It answers
// the daemon's snapshot requests with its counters. Started by the daemon (supervisor.ts) with the config
// as JSON in argv[2]; never run by hand.
import { FarMemoryError, type FarRegion, openRegion } from '../../native/index.ts';
import { InputError } from '../errors.ts';
import { type FromWorkload, OP_LATENCY_BUCKETS, opLatencyBucket, type Phase, type PhaseChange, type ToWorkload, WORKLOAD_EXIT, type WorkloadConfig } from './ipc.ts';
import { WORK_CHECK_EVERY, WORK_SLICE_MS } from './limits.ts';
import { ARCHETYPE_DEFS, newCounters } from './workloads/index.ts';

/** Pages written per init call (checked against the slice clock in between). */
const INIT_PAGES_PER_CALL = 16;
/** One batch in this many runs a single operation, timed alone (the operation latency histogram): rare
 *  enough that the two clock reads cost nothing, often enough for a p99 over a few seconds. */
const OP_SAMPLE_EVERY = 16;

function send(m: FromWorkload): void {
  if (process.connected) process.send?.(m);
}

function parseConfig(text: string | undefined): WorkloadConfig {
  try {
    const c = JSON.parse(text ?? '') as WorkloadConfig;
    if (!c || typeof c.id !== 'string' || !(c.archetype in ARCHETYPE_DEFS)) throw new Error('missing id or archetype');
    return c;
  } catch (err) {
    send({ type: 'fatal', reason: 'bad_config', message: `bad workload config: ${(err as Error).message}` });
    process.exit(WORKLOAD_EXIT.badConfig);
  }
}

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv[2]);
  process.title = `spirit-workload ${cfg.id}`;
  // listen first: a stop may arrive while the region is still being opened
  let stopRequested = false;
  let onStop: () => void = () => { stopRequested = true; };
  let onSnap: (seq: number) => void = () => {};
  let onPhase: (p: PhaseChange) => void = () => {};
  process.on('message', (m: ToWorkload) => {
    if (m?.type === 'snap') onSnap(m.seq);
    else if (m?.type === 'stop') onStop();
    else if (m?.type === 'phase') onPhase(m);
  });
  process.on('disconnect', () => onStop());  // the daemon is gone
  process.on('SIGTERM', () => onStop());
  process.on('SIGINT', () => onStop());

  let region: FarRegion;
  try {
    region = await openRegion({
      memnodes: cfg.memnodes, sizeBytes: cfg.sizeBytes, cacheBytes: cfg.cacheBytes, bandwidthMbps: cfg.bandwidthMbps,
      token: cfg.token, sampleRate: cfg.sampleRate, controlDir: cfg.controlDir, label: cfg.id,
    });
  } catch (err) {
    const reason = err instanceof FarMemoryError ? err.reason : err instanceof InputError ? 'bad_argument' : 'system';
    send({ type: 'fatal', reason, message: (err as Error).message });
    process.exit(WORKLOAD_EXIT.setup);
  }

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await region.close();
    process.exit(code);
  };
  onStop = () => void stop(WORKLOAD_EXIT.ok);
  if (stopRequested) return onStop();
  region.on('failed', (err: FarMemoryError) => {
    send({ type: 'fatal', reason: err.reason, message: `region failed: ${err.message}` });
    void stop(WORKLOAD_EXIT.regionFailed);
  });

  let work = ARCHETYPE_DEFS[cfg.archetype].create(region.buffer, cfg.params, cfg.seed);
  const counters = newCounters();
  let opsPerCall = Math.max(1, Math.round(WORK_CHECK_EVERY / work.accessesPerOp));
  let phase: Phase = 'init';
  const opLatencyCounts: number[] = new Array<number>(OP_LATENCY_BUCKETS).fill(0);
  let calls = 0;
  onSnap = (seq) => send({
    type: 'snap', seq, phase, ops: counters.ops, accesses: counters.accesses, errors: counters.errors, timeMs: Date.now(), opLatencyCounts: [...opLatencyCounts],
  });
  // a new phase rewrites the region with the new pattern's data (each archetype stamps its pages its own way)
  onPhase = (p) => {
    if (!(p.archetype in ARCHETYPE_DEFS)) return;
    work = ARCHETYPE_DEFS[p.archetype].create(region.buffer, p.params, cfg.seed);
    opsPerCall = Math.max(1, Math.round(WORK_CHECK_EVERY / work.accessesPerOp));
    phase = 'init';
  };
  send({ type: 'ready', controlPath: region.controlPath, pages: work.pages });

  // Work in slices of a few ms, yielding in between so snapshot requests are answered promptly.
  const slice = (): void => {
    if (stopping) return;
    const end = performance.now() + WORK_SLICE_MS;
    if (phase === 'init') {
      while (performance.now() < end) {
        if (work.init(INIT_PAGES_PER_CALL)) {
          phase = 'run';
          break;
        }
      }
    } else {
      while (performance.now() < end) {
        if (++calls % OP_SAMPLE_EVERY !== 0) {
          work.run(opsPerCall, counters);
          continue;
        }
        const t0 = performance.now();
        work.run(1, counters);
        opLatencyCounts[opLatencyBucket((performance.now() - t0) * 1000)]++;
      }
    }
    setImmediate(slice);
  };
  setImmediate(slice);
}

await main();
