// Units of the bus: key schema (cluster slots), the Lua scripts' headers, the epoch gate, record validation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpochGate } from '../../service/bus/client.ts';
import { channels, checkBusId, keys, nodeKeys, nodeOfChannel } from '../../service/bus/keys.ts';
import { parseRedisUrl } from '../../service/bus/redis-client.ts';
import { readScripts } from '../../service/bus/scripts.ts';
import { isValidTelemetryRecord, parseTelemetryRecord, telemetryRecordSchema } from '../../service/bus/telemetry-schema.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { InputError } from '../../service/errors.ts';
import { ROOT } from './harness.ts';

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag or the key, mod 16384): an independent oracle. */
function slot(key: string): number {
  const open = key.indexOf('{');
  let k = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) k = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(k)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('key schema', () => {
  it('puts every key of a node in one cluster slot, and different nodes in (usually) different ones', () => {
    const slots = new Set<number>();
    for (const node of ['n1', 'node-2', 'rack3.host:7']) {
      const s = nodeKeys(node).map(slot);
      expect(new Set(s).size).toBe(1);
      expect(slot(channels.announce(node))).toBe(s[0]);
      slots.add(s[0]);
    }
    expect(slots.size).toBe(3);
    expect(nodeKeys('n1')).toContain(keys.lease('n1'));
    expect(slot('123456789')).toBe(12739); // the CRC16 check value from the Redis Cluster spec
  });

  it('maps channels back to nodes', () => {
    expect(nodeOfChannel(channels.announce('a.b-c'))).toBe('a.b-c');
    expect(nodeOfChannel('spirit:other')).toBeNull();
  });

  it('refuses ids that would break keys, channels or URLs', () => {
    for (const bad of ['', 'a}b', '{x}', 'a b', 'a/b', 'a*', '-lead', 'x'.repeat(129)]) {
      expect(() => checkBusId(bad, 'node'), JSON.stringify(bad)).toThrow(InputError);
    }
    expect(() => checkBusId(42, 'node')).toThrow(/node: must be a non-empty string/);
    expect(checkBusId('rack-1.host_2:a', 'node')).toBe('rack-1.host_2:a');
  });
});

describe('Lua scripts', () => {
  const dir = join(ROOT, 'redis');
  it('are named <name>-<numKeys>.lua and their headers list KEYS, ARGV and returns', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
    expect(files.length).toBe(readScripts().length);
    for (const f of files) {
      const n = Number(/-(\d+)\.lua$/.exec(f)![1]);
      const text = readFileSync(join(dir, f), 'utf8');
      const header = text.slice(0, text.indexOf(']]'));
      for (let k = 1; k <= n; k++) expect(header, `${f} KEYS[${k}]`).toMatch(new RegExp(`KEYS\\[${k}\\]`));
      expect(header, f).toMatch(/ARGV\[1\]/);
      expect(header, f).toMatch(/Returns:/);
      // the body touches no key it did not declare
      const used = [...text.slice(header.length).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(...used), f).toBeLessThanOrEqual(n);
    }
  });
});

describe('EpochGate', () => {
  it('lets only strictly newer epochs through, whatever the arrival order', () => {
    const got: number[] = [];
    const g = new EpochGate((d) => got.push(d.epoch));
    const doc = (epoch: number) => ({ node: 'n', epoch }) as AllocationDoc;
    for (const e of [3, 1, 3, 5, 4, 5, 6, 2]) g.offer(doc(e));
    g.offer(null);
    expect(got).toEqual([3, 5, 6]);
    expect(g.epoch).toBe(6);
  });
});

describe('telemetry record validation', () => {
  const good = { app: 'a', node: 'n', timeMs: 1, cacheMB: 1, bandwidthMbps: 1, throughputOpsPerSec: 1, missRatio: 0.5, pageTrafficBytesPerSec: 1, residentBytes: 1 };
  it('accepts a good record and names every bad field of a bad one', () => {
    expect(parseTelemetryRecord(JSON.stringify(good))).toEqual(good);
    expect(() => parseTelemetryRecord(JSON.stringify({ ...good, partitions: [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.4, cacheMB: 1 }] })))
      .toThrow(/record\.partitions: the partitions' accessShare must sum to 1/);
    expect(() => parseTelemetryRecord(JSON.stringify({ ...good, partitions: [{ accessShare: 1, cacheMB: -1 }] }))).toThrow(/record\.partitions\[0\]\.cacheMB/);
    try {
      parseTelemetryRecord(JSON.stringify({ ...good, missRatio: 2, cacheMB: -1, extra: true, sampleRate: 0 }));
      expect.unreachable();
    } catch (err) {
      const e = err as InputError;
      expect(e).toBeInstanceOf(InputError);
      expect(e.details!.map((d) => d.where).sort()).toEqual(['record.(root)', 'record.cacheMB', 'record.missRatio', 'record.sampleRate']);
    }
    expect(() => parseTelemetryRecord('{')).toThrow(/record: not valid JSON/);
    expect(() => parseTelemetryRecord(JSON.stringify({ ...good, mrc: [[0, 1]] }))).toThrow(/record\.mrc/);
  });
});

describe('Redis URLs', () => {
  it('names one server or a cluster by its seeds', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('unix:///run/redis.sock')).toMatchObject({ kind: 'single', socketPath: '/run/redis.sock' });
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,redis-1.redis:7001,[::1]:7002')).toEqual({
      kind: 'cluster', tls: false, seeds: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-1.redis', port: 7001 }, { host: '::1', port: 7002 }],
    });
    expect(parseRedisUrl('rediss+cluster://spirit:p%40ss@r1:6379')).toEqual({
      kind: 'cluster', tls: true, username: 'spirit', password: 'p@ss', seeds: [{ host: 'r1', port: 6379 }],
    });
    expect(parseRedisUrl('redis+cluster://:secret@r1:6379')).toMatchObject({ password: 'secret', seeds: [{ host: 'r1', port: 6379 }] });
  });

  it('refuses a bad URL with what is wrong, naming the seed', () => {
    const bad: [string, RegExp][] = [
      ['redis+cluster://r1', /seed 1 \('r1'\) is not host:port/],
      ['redis+cluster://r1:7000,', /seed 2 \(''\) is not host:port/],
      ['redis+cluster://r1:7000,r2:99999', /seed 2 \('r2:99999'\)/],
      ['redis+cluster://r1:7000/0', /no path or query/],
      ['redis+cluster://r1:7000?x=1', /no path or query/],
      ['http://r1:7000', /the scheme must be redis:\/\/, rediss:\/\/, unix:\/\/ or redis\+cluster:\/\//],
      ['not a url', /is not a URL/],
      [`redis+cluster://${Array.from({ length: 65 }, (_, i) => `h${i}:1`).join(',')}`, /65 seeds; at most 64/],
    ];
    for (const [url, why] of bad) {
      expect(() => parseRedisUrl(url), url).toThrow(InputError);
      expect(() => parseRedisUrl(url), url).toThrow(why);
    }
  });
});

describe('the fast telemetry check', () => {
  const good = { app: 'n1.a', node: 'n1', timeMs: 1, cacheMB: 10, bandwidthMbps: 20, throughputOpsPerSec: 3, missRatio: 0.5, pageTrafficBytesPerSec: 4, residentBytes: 5 };
  const anyValue = fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 }), fc.constantFrom(0, -0, 1, 0.5, 1.5, -1, 1e9, 1e10, 10, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2),
    fc.string({ maxLength: 4 }), fc.constantFrom('n1', 'a b', '{x}', '', 'x'.repeat(129), null, true, undefined), fc.constant([]), fc.constant({}));
  const fields = [...Object.keys(telemetryRecordSchema.shape), 'extra'];
  // a record's split: valid ones (shares summing to 1), and broken ones (shares off, extra keys, bad numbers)
  const share = fc.double({ min: 0, max: 1, noNaN: true });
  const partition = fc.oneof(
    fc.record({ accessShare: share, cacheMB: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
    fc.record({ accessShare: anyValue, cacheMB: anyValue }),
    fc.record({ accessShare: share, cacheMB: fc.double({ min: 0, max: 10 }), extra: anyValue }),
    anyValue);
  const partitions = fc.oneof(
    share.map((r) => [{ accessShare: r, cacheMB: 3 }, { accessShare: 1 - r, cacheMB: 5 }]),
    fc.constant([{ accessShare: 1, cacheMB: 3 }]),
    fc.array(partition, { maxLength: 3 }));
  const mrcPoint = fc.oneof(fc.tuple(fc.double({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1 })), fc.array(anyValue, { maxLength: 3 }), anyValue);
  const record = fc.record({
    base: fc.constant(good),
    set: fc.array(fc.tuple(fc.constantFrom(...fields), fc.oneof(anyValue, fc.array(mrcPoint, { maxLength: 4 }), fc.array(fc.oneof(fc.nat(), anyValue), { maxLength: 4 }), partitions)), { maxLength: 3 }),
    drop: fc.array(fc.constantFrom(...fields), { maxLength: 2 }),
  }).map(({ base, set, drop }) => {
    const r: Record<string, unknown> = { ...base };
    for (const [k, v] of set) r[k] = v;
    for (const k of drop) delete r[k];
    return r;
  });

  it('accepts exactly what the zod schema accepts', () => {
    fc.assert(fc.property(fc.oneof(record, anyValue), (r) => {
      expect(isValidTelemetryRecord(r)).toBe(telemetryRecordSchema.safeParse(r).success);
    }), { numRuns: 3000 });
    // a full valid record, with every optional field
    const full = { ...good, mrc: [[0, 1], [10, 0.2]], sampledPages: [1, 2, 3], sampleRate: 0.01, accessesSampled: 100, missStallNs: 5000, missTokenWaitNs: 0,
      partitions: [{ accessShare: 0.25, cacheMB: 2 }, { accessShare: 0.75, cacheMB: 8 }] };
    expect(isValidTelemetryRecord(full)).toBe(true);
    expect(telemetryRecordSchema.safeParse(full).success).toBe(true);
  });

  it('hands a refused record to zod, whose error names the field', () => {
    expect(() => parseTelemetryRecord(JSON.stringify({ ...good, mrc: [[0, 1], [10, 2]] }))).toThrow(/record\.mrc\[1\]\[1\]/);
    expect(parseTelemetryRecord(JSON.stringify(good))).toEqual(good);
  });
});
