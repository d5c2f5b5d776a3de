// Loads the compiled addon (native/build/Release/spirit_native.node) once and describes its raw surface.
// Everything else in native/lib wraps these calls with validation and friendlier types.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RawStats {
  counters: Record<string, number>;
  latencyHist: number[];
  softLatencyHist: number[];
  ownerPid: number;
  regionSerial: number;
  sizeBytes: number;
  pageBytes: number;
  createdWallMs: number;
  heartbeatWallMs: number;
  state: number;
  failReason: string;
  limitsSeq: number;
  cacheBytes: number;
  bandwidthMbps: number;
  sampleRatePpm: number;
  samplePeriodMs: number;
  ringWriteSeq: number;
  ringReadSeq: number;
  ringDropped: number;
  label: string;
  controlPath: string;
  stale?: boolean;
  partitionCount: number;
  partitionShare: number;
  partitionCacheBytes: number[];
  fetchStageNs: number[];
}

export interface RawEvent {
  type: 'failed' | 'error' | 'replica_lost' | 'reconnected' | 'flushed';
  reason: string;
  message: string;
  memnode: string;
  id: number;
}

export interface RawDrain {
  pages: Float64Array;
  lost: number;
}

export interface NativeRegion {
  connect(): Promise<void>;
  buffer(): ArrayBuffer;
  controlPath(): string;
  stats(): RawStats;
  setLimits(...args: LimitArgs): void;
  drainSamples(max: number): RawDrain;
  flush(id: number): void;
  takeEvents(): RawEvent[];
  ref(): void;
  unref(): void;
  close(): void;
}

/** cacheBytes, bandwidthMbps, sampleRatePpm, samplePeriodMs, partitionCount, shareA, bytesA, bytesB (-1: unchanged) */
export type LimitArgs = [number, number, number, number, number, number, number, number];

export interface NativeRegionOptions {
  memnodes: string[];
  sizeBytes: number;
  cacheBytes: number;
  bandwidthMbps: number;
  token: string;
  sampleRatePpm: number;
  samplePeriodMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  retries: number;
  pollUs: number;
  controlDir: string;
  label: string;
  /** applied right after the region opens (the fault thread re-counts its pages then) */
  partitions?: { accessShare: number; cacheBytes: number }[];
}

export interface NativeMemNodeStats {
  capacityBytes: number;
  reservedBytes: number;
  regions: number;
  connections: number;
  requests: number;
  bytesRead: number;
  bytesWritten: number;
  errors: number;
  closedBadFrames: number;
  /** connections that authenticated (OPEN, ATTACH or AUTH), and those that have not yet */
  authenticatedConnections: number;
  unauthenticatedConnections: number;
  /** refused on accept (unauthenticated pool or the address's share full) */
  refusedConnections: number;
  /** unauthenticated connections closed to make room for a newer one */
  evictedUnauth: number;
  /** closed at the authentication deadline */
  authTimeouts: number;
  /** closed for a request other than OPEN/ATTACH/AUTH before authenticating */
  authRequired: number;
}

export interface NativeMemNode {
  port(): number;
  stats(): NativeMemNodeStats;
  stop(): void;
}

export interface NativeControl {
  read(): RawStats;
  setLimits(...args: LimitArgs): void;
  drainSamples(max: number): RawDrain;
  close(): void;
}

export interface NativeBareFaultRegion {
  buffer(): ArrayBuffer;
  close(): void;
}

export interface Binding {
  limits: Record<string, number>;
  counterNames: string[];
  setErrorClass(cls: unknown): void;
  liveRegions(): number;
  partitionOfPages(pages: number, share: number): Uint8Array;
  NativeRegion: new (opts: NativeRegionOptions, onEvent: () => void) => NativeRegion;
  NativeMemNode: new (opts: {
    host: string;
    port: number;
    capacityBytes: number;
    threads: number;
    tokens: string[];
    insecure: boolean;
    orphanTtlMs: number;
    unusedOrphanTtlMs: number;
    idleMs: number;
    authDeadlineMs: number;
  }) => NativeMemNode;
  NativeControl: new (path: string) => NativeControl;
  floors: {
    BareFaultRegion: new (sizeBytes: number) => NativeBareFaultRegion;
    TcpRttPair: new (pageBytes: number) => { once(): number; close(): void };
    tcpRoundTrips(iterations: number, pageBytes: number): Float64Array;
    tcpStream(totalBytes: number, pageBytes: number): number;
    memcpyThroughput(totalBytes: number, pageBytes: number): number;
  };
}

const here = dirname(fileURLToPath(import.meta.url));
export const addonPath = join(here, '..', 'build', 'Release', 'spirit_native.node');

let cached: Binding | undefined;

/** The addon, loaded on first use. Throws a clear error if it was never built. */
export function binding(): Binding {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new Error(`the native addon is not built (${addonPath} is missing); run \`npm install\` or \`node scripts/build.mjs native\``);
  }
  cached = createRequire(import.meta.url)(addonPath) as Binding;
  return cached;
}
