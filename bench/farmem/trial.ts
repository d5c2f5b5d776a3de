// One benchmark trial of `spirit bench farmem`, run in a fresh process: `node --import tsx trial.ts JSON`.
// Prints one JSON line with the trial's figures. Kinds:
//   latency         interleaved, one at a time so all three see the same CPU state: a bare userfaultfd
//                   fault served from local memory (timed from JS), a raw TCP loopback round trip carrying
//                   a page (timed natively), and a far-memory fault on a page held by the memory node
//                   (timed from JS like the bare fault)
//   seq / rand      throughput through a region 8x its cache: sequential scan, uniform random pages
//   tcp-stream      raw TCP loopback throughput in page-sized sends and receives
//   memcpy          copying page-sized blocks between buffers larger than the caches
//   integrity       random reads and writes over a region 10x its cache, checked against a local model
//   cached          a region as large as its cache, warm, against the same accesses to local memory (an
//                   ArrayBuffer of the same size) and to the same region split in two partitions (each half
//                   the pages, half the cache), interleaved in rounds: random pages and a sequential scan
//   cliff, convex   split regions against unsplit ones (split-trials.ts)
import { openRegion } from '../../native/index.ts';
import { nativeBinding } from '../../native/lib/errors.ts';
import type { Archetype } from '../../service/node/workloads/index.ts';
import { bytesFromMiB } from '../../service/units.ts';
import { cliffTrial, convexTrial } from './split-trials.ts';

interface Params {
  kind: string;
  memnode?: string;
  samples?: number;
  regionMiB?: number;
  cacheMiB?: number;
  streamMiB?: number;
  ops?: number;
  seed?: number;
  rounds?: number;
  roundMs?: number;
  passes?: number;
  archetype?: Archetype;
  pollUs?: number;
}

const PAGE = 4096;
const WORDS = PAGE / 4;
const WARMUP = 200;            // first faults pay for JIT and first-touch of page tables
const UNLIMITED_MBPS = 400000; // the addon's bandwidth maximum: the token bucket never binds
const TOKEN = 'bench-farmem-token';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function shuffled(n: number, seed: number): Uint32Array {
  const next = rng(seed);
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

async function populatedRegion(p: Params, cacheBytes: number) {
  const region = await openRegion({ memnode: p.memnode!, sizeBytes: bytesFromMiB(p.regionMiB!), cacheBytes, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN, sampleRate: 0,
    ...(p.pollUs !== undefined ? { pollUs: p.pollUs } : {}) });
  const mem = new Uint32Array(region.buffer);
  const pages = region.sizeBytes / PAGE;
  for (let q = 0; q < pages; q++) mem[q * WORDS] = q + 1;  // every page now has data on the memory node
  await region.flush();
  // empty the cache, so the measurement starts with every page remote
  region.setLimits({ cacheBytes: 16 * PAGE });
  for (let i = 0; i < 500 && region.stats().residentPages > 16; i++) await new Promise((r) => setTimeout(r, 10));
  region.setLimits({ cacheBytes });
  return { region, mem, pages };
}

async function trial(p: Params): Promise<Record<string, unknown>> {
  const b = nativeBinding();
  switch (p.kind) {
    case 'latency': {
      // pages are touched once each in random order: every far touch is a fetch (no readahead, no reuse)
      const { region, mem, pages } = await populatedRegion(p, bytesFromMiB(1));
      const n = Math.min(pages, p.samples! + WARMUP);
      const bare = new b.floors.BareFaultRegion(n * PAGE);
      const bareMem = new Uint32Array(bare.buffer());
      const rtt = new b.floors.TcpRttPair(PAGE);
      const farOrder = shuffled(pages, p.seed ?? 7);
      const bareOrder = shuffled(n, (p.seed ?? 7) + 1);
      const bareNs: number[] = [];
      const rttNs: number[] = [];
      const farNs: number[] = [];
      const s0 = region.stats();
      let sum = 0;
      for (let i = 0; i < n; i++) {
        let t0 = process.hrtime.bigint();
        sum += bareMem[bareOrder[i] * WORDS];
        const bareT = Number(process.hrtime.bigint() - t0);
        const rttT = rtt.once();
        t0 = process.hrtime.bigint();
        sum += mem[farOrder[i] * WORDS];
        const farT = Number(process.hrtime.bigint() - t0);
        if (i < WARMUP) continue;
        bareNs.push(bareT);
        rttNs.push(rttT);
        farNs.push(farT);
      }
      const s1 = region.stats();
      rtt.close();
      bare.close();
      await region.close();
      const cpu = process.cpuUsage();
      const stages = {
        samples: s1.fetchStageSamples - s0.fetchStageSamples,
        planNs: s1.fetchStageNs.planNs - s0.fetchStageNs.planNs,
        roundTripNs: s1.fetchStageNs.roundTripNs - s0.fetchStageNs.roundTripNs,
        installNs: s1.fetchStageNs.installNs - s0.fetchStageNs.installNs,
      };
      return {
        bareNs, rttNs, farNs, fetchedPages: s1.fetchedPages - s0.fetchedPages, faults: s1.faults - s0.faults, sum, cpuMs: (cpu.user + cpu.system) / 1000, stages,
        evictions: s1.evictions - s0.evictions, reserveEvictions: s1.reserveEvictions - s0.reserveEvictions,
      };
    }
    case 'seq':
    case 'rand': {
      const { region, mem, pages } = await populatedRegion(p, bytesFromMiB(p.cacheMiB!));
      let sum = 0;
      const s0 = region.stats();
      const t0 = process.hrtime.bigint();
      let touched: number;
      if (p.kind === 'seq') {
        for (let q = 0; q < pages; q++) sum += mem[q * WORDS];
        touched = pages;
      } else {
        const next = rng(p.seed ?? 3);
        for (let i = 0; i < p.ops!; i++) sum += mem[(next() % pages) * WORDS];
        touched = p.ops!;
      }
      const elapsedNs = Number(process.hrtime.bigint() - t0);
      const s1 = region.stats();
      await region.close();
      return { bytes: touched * PAGE, elapsedNs, fetchedPages: s1.fetchedPages - s0.fetchedPages, faults: s1.faults - s0.faults, sum };
    }
    case 'tcp-stream': {
      const bytes = bytesFromMiB(p.streamMiB!);
      return { bytes, elapsedNs: b.floors.tcpStream(bytes, PAGE) };
    }
    case 'memcpy': {
      const bytes = bytesFromMiB(p.streamMiB!);
      return { bytes, elapsedNs: b.floors.memcpyThroughput(bytes, PAGE) };
    }
    case 'integrity': {
      const sizeBytes = bytesFromMiB(p.regionMiB!);
      const region = await openRegion({ memnode: p.memnode!, sizeBytes, cacheBytes: Math.floor(sizeBytes / PAGE / 10) * PAGE, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN, sampleRate: 0.01 });
      const mem = new Uint32Array(region.buffer);
      const model = new Uint32Array(sizeBytes / 4);
      const next = rng(p.seed ?? 11);
      const pages = sizeBytes / PAGE;
      let errors = 0;
      for (let i = 0; i < p.ops!; i++) {
        const w = (next() % pages) * WORDS + (next() % WORDS);
        if (next() & 1) {
          const v = next();
          mem[w] = v;
          model[w] = v;
        } else if (mem[w] !== model[w]) {
          errors++;
        }
      }
      for (let w = 0; w < model.length; w++) if (mem[w] !== model[w]) errors++;
      const s = region.stats();
      await region.close();
      return { ops: p.ops, errors, evictions: s.evictions, writebackPages: s.writebackPages, fetchedPages: s.fetchedPages };
    }
    case 'cached':
      return cachedTrial(p);
    case 'cliff':
      return cliffTrial({ memnode: p.memnode!, regionMiB: p.regionMiB!, passes: p.passes });
    case 'convex':
      return convexTrial({ memnode: p.memnode!, regionMiB: p.regionMiB!, cacheMiB: p.cacheMiB, archetype: p.archetype, rounds: p.rounds, roundMs: p.roundMs, seed: p.seed });
    default:
      throw new Error(`unknown trial kind '${p.kind}'`);
  }
}

/** Random words on random pages (one read each) for `ms`; returns accesses per second. */
function randomRate(mem: Uint32Array, pages: number, ms: number, seed: number): { rate: number; sum: number } {
  const next = rng(seed);
  let sum = 0;
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 4096; i++) sum += mem[(next() % pages) * WORDS + (i & (WORDS - 1))];
    n += 4096;
    t = performance.now();
  }
  return { rate: n / ((t - t0) / 1000), sum };
}

/** Reads one word per 64-byte line, in order, for `ms`; returns lines per second. */
function scanRate(mem: Uint32Array, ms: number): { rate: number; sum: number } {
  let sum = 0;
  let n = 0;
  let w = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 4096; i++) {
      sum += mem[w];
      w = w + 16 >= mem.length ? 0 : w + 16;
    }
    n += 4096;
    t = performance.now();
  }
  return { rate: n / ((t - t0) / 1000), sum };
}

/**
 * A fully cached region (cache = size, the default 1% sampling) against local memory: both written once,
 * warmed up, then measured in alternating rounds so both see the same machine state. The region's
 * counters over the rounds show the work the data plane did meanwhile (parks, evictions, faults).
 */
async function cachedTrial(p: Params): Promise<Record<string, unknown>> {
  const sizeBytes = bytesFromMiB(p.regionMiB!);
  const pages = sizeBytes / PAGE;
  const region = await openRegion({ memnode: p.memnode!, sizeBytes, cacheBytes: sizeBytes, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN });
  // the same, split in two partitions of half the pages and half the cache each (each holds all of its pages)
  const half = sizeBytes / 2;
  const splitRegion = await openRegion({ memnode: p.memnode!, sizeBytes, cacheBytes: sizeBytes, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN,
    partitions: [{ accessShare: 0.5, cacheBytes: half }, { accessShare: 0.5, cacheBytes: half }] });
  // and a second unsplit region, the control: how far two identical regions measure apart in this run
  const controlRegion = await openRegion({ memnode: p.memnode!, sizeBytes, cacheBytes: sizeBytes, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN });
  const far = new Uint32Array(region.buffer);
  const farSplit = new Uint32Array(splitRegion.buffer);
  const farControl = new Uint32Array(controlRegion.buffer);
  const local = new Uint32Array(new ArrayBuffer(sizeBytes));
  for (let q = 0; q < pages; q++) far[q * WORDS] = farSplit[q * WORDS] = farControl[q * WORDS] = local[q * WORDS] = q + 1;
  for (const r of [region, splitRegion, controlRegion]) await r.flush();
  const roundMs = p.roundMs!;
  let sum = 0;
  for (const mem of [far, farSplit, farControl, local, far, farSplit, farControl, local]) sum += randomRate(mem, pages, roundMs, 1).sum + scanRate(mem, roundMs / 4).sum;  // warm-up
  const rand = { far: [] as number[], farSplit: [] as number[], farControl: [] as number[], local: [] as number[] };
  const scan = { far: [] as number[], farSplit: [] as number[], farControl: [] as number[], local: [] as number[] };
  const s0 = region.stats();
  const t0 = performance.now();
  for (let r = 0; r < p.rounds!; r++) {
    const order = [['far', far], ['farSplit', farSplit], ['farControl', farControl], ['local', local]] as const;
    for (const [key, mem] of r % 2 === 0 ? order : [...order].reverse()) {
      const x = randomRate(mem, pages, roundMs, 10 + r);
      const y = scanRate(mem, roundMs);
      rand[key].push(x.rate);
      scan[key].push(y.rate);
      sum += x.sum + y.sum;
    }
  }
  const elapsedMs = performance.now() - t0;
  const s1 = region.stats();
  const split = splitRegion.stats();
  await region.close();
  await splitRegion.close();
  await controlRegion.close();
  const grown = (k: string): number | null => {
    const a = (s0 as unknown as Record<string, number | undefined>)[k];
    const b = (s1 as unknown as Record<string, number | undefined>)[k];
    return a === undefined || b === undefined ? null : b - a;  // null: a counter this build lacks
  };
  const counters = Object.fromEntries(['faults', 'missingFaults', 'softFaults', 'parks', 'sampleParks', 'evictions', 'reserveEvictions', 'fetchedPages']
    .map((k) => [k, grown(k)]));
  return {
    pages, rounds: p.rounds, roundMs, elapsedMs, rand, scan, counters, residentPages: s1.residentPages, sum,
    split: { partitions: split.partitions, evictions: split.evictions, fetchedPages: split.fetchedPages, residentPages: [split.partitionAResidentPages, split.partitionBResidentPages] },
  };
}

const params = JSON.parse(process.argv[2] ?? '{}') as Params;
process.stdout.write(JSON.stringify(await trial(params)) + '\n');
process.exit(0);
