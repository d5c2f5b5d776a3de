// `spirit experiment live --workload-cpu`: every workload under the same fixed CPU quota (service/node/cpu-quota.ts),
// so that a policy's measured effect on an app is its cache and bandwidth, not CPU its neighbours took. On a
// 2-core machine shared by six workloads, the memory node, the service and the daemon, an app that misses
// less runs faster and takes CPU from the others (the key-value store lost 27% of its throughput that way in
// the first runs while it missed less). `auto` shares out 3/4 of the cores (the rest is the memory node's,
// the service's and the daemon's), where the machine allows cgroups; elsewhere the run goes on without.
import { cpus } from 'node:os';
import { InputError } from '../../errors.ts';
import { CPU_CORES_MIN, CpuQuota, parseWorkloadCpu } from '../../node/cpu-quota.ts';

/** Share of the machine's cores given to the workloads with `auto`. */
export const AUTO_WORKLOAD_CPU_SHARE = 0.75;

export interface WorkloadCpu {
  /** each workload's quota in cores, or null (no quota) */
  cores: number | null;
  /** why there is none, when there is none */
  why?: string;
}

export function workloadCpuOf(text: string, workloads: number, root?: string): WorkloadCpu {
  if (text === 'off') return { cores: null, why: '--workload-cpu off' };
  const auto = text === 'auto';
  const cores = auto ? Math.max(CPU_CORES_MIN, Math.round((1000 * AUTO_WORKLOAD_CPU_SHARE * cpus().length) / Math.max(1, workloads)) / 1000) : parseWorkloadCpu(text);
  if (cores === null) return { cores: null, why: '--workload-cpu off' };
  const why = cgroupTrouble(cores, root);
  if (why === null) return { cores };
  if (auto) return { cores: null, why };
  throw new InputError('--workload-cpu', `cannot put workloads under a CPU quota here: ${why}`);
}

/** Null if a CPU group can be made and removed here, else why not. */
function cgroupTrouble(cores: number, root?: string): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0 && root === undefined) return 'cgroups need root';
  try {
    const probe = new CpuQuota({ ...(root !== undefined ? { root } : {}), parent: `spirit-live/probe-${process.pid}`, cores });
    probe.remove();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
