// The native data plane (docs/dataplane.md): far-memory regions, the memory node, the daemon's view of
// regions through their control blocks, and the cgroup enforcer for kernel-swap deployments.
export { openRegion, FarRegion, type RegionOptions, type RegionLimits, type RegionPartition, type SampleDrain } from './lib/region.ts';
export { partitionOfPages } from './lib/partitions.ts';
export { FarMemoryError, FAR_MEMORY_REASONS, type FarMemoryReason } from './lib/errors.ts';
export { startMemNode, type MemNode, type MemNodeOptions, type MemNodeStats } from './lib/memnode.ts';
export { attachControl, listRegions, removeStale, type ControlHandle, type RegionListing } from './lib/control.ts';
export { type RegionStats, type RegionCounters, type LatencySummary, type FetchStages, histPercentile } from './lib/stats.ts';
export { nativeLimits, type NativeLimits } from './lib/limits.ts';
export { CgroupEnforcer, detectCgroupVersion, detectSwapDevice, cgroupPaths, type CgroupEnforcerOptions, type CgroupPaths, type CacheResult, type ShrinkStep, type CgroupVersion } from './lib/cgroup.ts';
export { telemetryFromWindow, missesBetween, demandMissesBetween, type WindowInput } from './lib/telemetry.ts';
