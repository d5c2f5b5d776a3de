// `spirit node --service URL [...]` (spec/cli.md): the compute-node daemon. Runs far-memory workloads (or
// enforces on cgroups), sends their telemetry, enforces the node's allocations. Logs to stderr.
// Flags and behaviour: docs/node.md.
import type { Command } from 'commander';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('node')
    .description('run the compute-node daemon: workloads on far memory, telemetry, enforcement of allocations (logs to stderr)')
    .option('--service <URL>', 'the allocation service (`spirit serve`) URL; env SPIRIT_SERVICE')
    .option('--redis <URL>', 'talk to the service through Redis instead (redis://, rediss://, unix://)')
    .option('--node <ID>', 'node id (default: the host name)')
    .option('--cache-mb <M>', 'local cache this node shares among its apps, MiB (default 256)')
    .option('--bandwidth-mbps <B>', 'bandwidth to the memory nodes this node shares, Mbps (default 1000)')
    .option('--memnode <HOST:PORT>', 'memory node for the workloads\' regions (repeat to mirror regions, up to 3)', collect, [])
    .option('--workload <SPEC>', 'a workload: ARCHETYPE[:key=value,...], archetypes stream, kv, embedding, micro (repeatable)', collect, [])
    .option('--cgroup-app <ID=GROUP[:WEIGHT]>', 'kernel-swap mode: enforce on this cgroup instead of a far-memory workload (repeatable)', collect, [])
    .option('--cgroup-root <DIR>', 'cgroupfs mount point for --cgroup-app (default /sys/fs/cgroup)')
    .option('--workload-cpu <CORES>', 'run each workload under a fixed CPU quota of CORES cores (its own cgroup; needs root), or off (default)')
    .option('--swap-device <MAJ:MIN>', 'swap device throttled for --cgroup-app bandwidth (default: first of /proc/swaps)')
    .option('--interval-ms <N>', 'telemetry interval (default 1000)')
    .option('--token <T>', 'bearer token of the service (env SPIRIT_TOKEN)')
    .option('--memnode-token <T>', 'token the regions are bound to on the memory nodes (env SPIRIT_MEMNODE_TOKEN; default random)')
    .option('--control-dir <DIR>', 'directory of the regions\' control blocks (env SPIRIT_CONTROL_DIR; default /dev/shm)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags) => {
      const { runNode } = await import('../../node/run.ts');
      await runNode(flags);
    });
}
