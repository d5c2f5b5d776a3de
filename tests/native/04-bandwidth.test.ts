// Bandwidth limit: a workload in its own process scans a region (reads and write-backs, so page traffic
// flows both ways through one token bucket); this test process acts as the node daemon: it sets the limit
// through the region's control block and measures page traffic over 2 s windows at 100, 500 and 2000 Mbps.
// Each window stays under the limit (+5%) whatever the machine does; it reaches the limit (-5%) when the
// machine, measured without a limit around the windows in the same run, could carry twice as much. The
// counters are read from shared memory with the window timed here, so the measurement itself adds no error
// beyond timer jitter (~1 ms in 2 s).
// The machine has 2 cores shared with other builds and sessions; the workload must keep demand above the
// limit, so the harness runs it in its own session (its own scheduling autogroup) and raises its priority
// and the memory node's (when allowed, i.e. as root). The bound itself is not relaxed.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachControl, type ControlHandle } from '../../native/index.ts';
import { mbpsFromBytesPerSec, secFromMs } from '../../service/units.ts';
import { type MemNodeProc, ROOT, sleep, startMemNodeProc, tempDir } from './helpers.ts';

const WINDOW_MS = 2000;
const SETTLE_MS = 1000;
const TOLERANCE = 0.05;
/** No limit that binds: the addon's maximum rate. */
const UNLIMITED_MBPS = 400_000;
/**
 * A limit near what the machine can do in the moment cannot be reached exactly: the machine's own rate moves
 * between windows on a busy 2-core machine (1642 Mbps against a 2000 Mbps limit in one run). The traffic must
 * then reach this share of the lesser of the limit and the machine's rate measured around the windows.
 */
const NEAR_MACHINE_SHARE = 0.75;
const PRIORITY = -10;

/**
 * Raises a process's scheduling priority: its autogroup (a process started in its own session has its own
 * group; with autogroup scheduling nice only ranks threads inside a group) and each of its threads (nice is
 * per thread on Linux, and the paging threads already exist).
 */
function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(PRIORITY));
  } catch {
    // no autogroup scheduling, or not permitted
  }
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), PRIORITY);
    } catch {
      // not permitted (not root): the test still runs, only more exposed to a busy machine
    }
  }
}

let node: MemNodeProc;
let workload: ChildProcess;
let control: ControlHandle;
const tmp = tempDir('spirit-bw-');

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '256']);
  raisePriority(node.proc.pid);
  workload = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/native/fixtures/scan-workload.ts'),
    node.address, tmp.dir, '128', '16', '100', 'rw'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const line = await new Promise<string>((resolve, reject) => {
    workload.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    workload.once('exit', (c) => reject(new Error(`workload exited with ${c}`)));
  });
  control = attachControl(JSON.parse(line).controlPath);
  raisePriority(workload.pid);
});

afterAll(async () => {
  control?.close();
  if (workload && workload.exitCode === null) {
    const exited = new Promise((r) => workload.once('exit', r));
    workload.kill('SIGKILL');
    await exited;
  }
  await node?.kill();
  tmp.cleanup();
});

interface Window {
  trafficMbps: number;
  admittedMbps: number;
  elapsedMs: number;
}

async function measure(): Promise<Window> {
  const a = control.read();
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const b = control.read();
  const elapsedMs = performance.now() - t0;
  const perSec = (bytes: number) => mbpsFromBytesPerSec(bytes / secFromMs(elapsedMs));
  return {
    trafficMbps: perSec(b.bytesIn + b.bytesOut - a.bytesIn - a.bytesOut),
    admittedMbps: perSec(b.admittedBytes - a.admittedBytes),
    elapsedMs,
  };
}

describe('bandwidth limit', () => {
  /** Page traffic with no limit that binds: what the workload and the machine can do right now. */
  async function capacity(): Promise<number> {
    control.setLimits({ bandwidthMbps: UNLIMITED_MBPS });
    await sleep(SETTLE_MS);
    return (await measure()).trafficMbps;
  }

  for (const limitMbps of [100, 500, 2000]) {
    it(`never lets page traffic exceed ${limitMbps} Mbps by more than 5% over 2 s windows, and reaches it when the machine can`, async () => {
      const before = await capacity();
      control.setLimits({ bandwidthMbps: limitMbps });
      await sleep(SETTLE_MS);
      expect(control.read().bandwidthMbps).toBe(limitMbps);
      const windows = [await measure(), await measure()];
      const after = await capacity();
      // what the machine could carry around these windows (the lower of the two, measured in this run)
      const machineMbps = Math.min(before, after);
      const clearlyLimited = limitMbps <= machineMbps / 2;
      for (const w of windows) {
        const what = `traffic ${w.trafficMbps.toFixed(1)} Mbps, admitted ${w.admittedMbps.toFixed(1)} Mbps, machine ${machineMbps.toFixed(0)} Mbps`;
        expect(w.elapsedMs).toBeGreaterThanOrEqual(WINDOW_MS);
        // the limit holds whatever the machine does
        expect(w.trafficMbps, what).toBeLessThanOrEqual(limitMbps * (1 + TOLERANCE));
        expect(w.admittedMbps, what).toBeLessThanOrEqual(limitMbps * (1 + TOLERANCE));
        if (clearlyLimited) {
          // the machine could do twice the limit: the traffic is the limit's, within 5%
          expect(w.trafficMbps, what).toBeGreaterThanOrEqual(limitMbps * (1 - TOLERANCE));
          expect(w.admittedMbps, what).toBeGreaterThanOrEqual(limitMbps * (1 - TOLERANCE));
        } else {
          // near what the machine can do, the traffic follows the machine: most of the lesser of the two
          expect(w.trafficMbps, what).toBeGreaterThanOrEqual(NEAR_MACHINE_SHARE * Math.min(limitMbps, machineMbps));
        }
      }
      // the workload pushed against the limit (both directions)
      const s = control.read();
      expect(s.throttledNs).toBeGreaterThan(0);
      expect(s.bytesOut).toBeGreaterThan(0);
      expect(s.bytesIn).toBeGreaterThan(0);
      expect(s.state).toBe('running');
    });
  }
});
