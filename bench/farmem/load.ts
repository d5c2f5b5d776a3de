// How busy the machine was during a benchmark trial with everything the benchmark itself ran taken out:
// the CPU time all processes used (/proc/stat) minus the trial process's own and the memory node's, over the
// trial's wall time, in cores. The load average cannot say this: it counts the benchmark's own threads and
// lags by a minute. The fault-latency figures depend on it (a wake-up of a halted vCPU costs tens of us on
// this VM, one of a busy vCPU does not), so each trial is labelled quiet or loaded by it.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Other processes using less than this many cores on average during a trial: a quiet trial. */
export const QUIET_OTHER_CORES = 0.2;

const TICKS_PER_SEC = 100;  // USER_HZ: the unit of /proc/stat and /proc/<pid>/stat times on Linux

export interface CpuMark {
  atMs: number;
  busyTicks: number;
  pidTicks: number;
  loadAvg1m: number;
}

function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait
  return cpu.reduce((t, x) => t + x, 0) - cpu[3] - (cpu[4] ?? 0);
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);  // utime, stime (fields 14 and 15)
  } catch {
    return 0;  // gone
  }
}

/** A mark before or after a trial; `pids` are benchmark processes that outlive it (the memory node). */
export function cpuMark(pids: number[]): CpuMark {
  return { atMs: Date.now(), busyTicks: machineBusyTicks(), pidTicks: pids.reduce((t, p) => t + processTicks(p), 0), loadAvg1m: loadavg()[0] };
}

/** Cores other processes used between the marks, given the trial process's own CPU time. */
export function otherCores(a: CpuMark, b: CpuMark, trialCpuMs: number): number {
  const sec = (b.atMs - a.atMs) / 1000;
  if (sec <= 0) return 0;
  const busySec = (b.busyTicks - a.busyTicks) / TICKS_PER_SEC;
  const oursSec = (b.pidTicks - a.pidTicks) / TICKS_PER_SEC + trialCpuMs / 1000;
  return Math.max(0, (busySec - oursSec) / sec);
}
