// The data plane's named limits, read from the addon so TypeScript validation and the C++ defence use the
// same numbers (the reasons are documented next to each constant in native/src/limits.h).
import { nativeBinding } from './errors.ts';

export interface NativeLimits {
  pageBytes: number;
  regionBytesMax: number;
  regionBytesMin: number;
  cachePagesMin: number;
  regionsPerProcessMax: number;
  replicasMax: number;
  bandwidthMbpsMin: number;
  bandwidthMbpsMax: number;
  batchPagesMax: number;
  readaheadPagesMax: number;
  writebackInflightPagesMax: number;
  shadowFreeBatchPages: number;
  readsInflightMax: number;
  requestTimeoutMsDefault: number;
  requestTimeoutMsMin: number;
  requestTimeoutMsMax: number;
  connectTimeoutMsDefault: number;
  retriesDefault: number;
  retriesMax: number;
  sampleRingEntries: number;
  samplePeriodMsDefault: number;
  samplePeriodMsMin: number;
  samplePeriodMsMax: number;
  sampleRatePpmMax: number;
  tokenBytesMin: number;
  tokenBytesMax: number;
  ioBytesMax: number;
  connectionsMax: number;
  unauthConnectionsMax: number;
  unauthPerAddressMax: number;
  authDeadlineMsDefault: number;
  unusedOrphanTtlMsDefault: number;
  regionsPerConnMax: number;
  regionsMax: number;
  serverThreadsMax: number;
  orphanTtlMsDefault: number;
  connIdleMsDefault: number;
  loopPollMsMax: number;
  controlScanMax: number;
  histBuckets: number;
  partitionPagesMin: number;
  pollUsDefault: number;
  pollUsMax: number;
}

export function nativeLimits(): NativeLimits {
  return nativeBinding().limits as unknown as NativeLimits;
}

/** Default directory of control blocks (shared memory); SPIRIT_CONTROL_DIR overrides it. */
export function defaultControlDir(): string {
  return process.env.SPIRIT_CONTROL_DIR || '/dev/shm';
}
