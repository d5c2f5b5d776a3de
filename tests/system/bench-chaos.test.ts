// `spirit bench chaos --quick --json`: every probe runs against real processes and loses nothing; each
// refusal is a clean one (the probes' own figures are checked in detail by the suites of each part).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('spirit bench chaos --quick --json', () => {
  it('tries every probe, refuses cleanly and loses nothing', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'bench', 'chaos', '--quick', '--json'],
      { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, REDIS_URL: '', SPIRIT_TOKEN: '' } });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const f = JSON.parse(r.stdout) as {
      summary: { probe: string; tried: number; refusedCleanly: number; lost: number }[];
      memnodeSlots: { legitServed: number; legitTried: number; idleClosedByNode: number; idleConnected: number };
      tokenless: { reservedByAnonymousBytes: number; unusedFreedAfterS: number | null };
      sseSlots: { tokenClientServed: boolean; opened: number };
      redisKill: { acknowledged: number; lost: string[] };
      replicaKill: { mismatchedPages: number; failed: boolean };
    };
    expect(f.summary).toHaveLength(6);
    for (const row of f.summary) {
      expect(row.tried, row.probe).toBeGreaterThan(0);
      expect(row.lost, row.probe).toBe(0);
    }
    expect(f.memnodeSlots.legitServed).toBe(f.memnodeSlots.legitTried);
    expect(f.memnodeSlots.idleClosedByNode).toBe(f.memnodeSlots.idleConnected);
    expect(f.tokenless.reservedByAnonymousBytes).toBe(0);
    expect(f.tokenless.unusedFreedAfterS).not.toBeNull();
    expect(f.sseSlots.tokenClientServed).toBe(true);
    expect(f.sseSlots.opened).toBe(16);
    expect(f.redisKill.acknowledged).toBeGreaterThan(0);
    expect(f.redisKill.lost).toEqual([]);
    expect(f.replicaKill.mismatchedPages).toBe(0);
    expect(f.replicaKill.failed).toBe(false);
  });
});
