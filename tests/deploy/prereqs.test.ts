// `npm test` on a machine without redis-server or chromium: one line naming what to install, at once,
// before the build and the suites (it used to print nothing for 11 minutes and end with 13 failures).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the test runner, without type declarations
import { missingPrerequisites } from '../../scripts/prereqs.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

describe('npm test prerequisites', () => {
  it('finds nothing missing on this machine (the suites need both)', () => {
    expect(missingPrerequisites()).toEqual([]);
  });

  it('names what is missing', () => {
    expect(missingPrerequisites({ ...process.env, REDIS_SERVER: '/nonexistent/redis-server' })).toEqual(['redis-server']);
    expect(missingPrerequisites({ ...process.env, PATH: '/nonexistent' })).toEqual(['redis-server']);
    expect(missingPrerequisites({ ...process.env, CHROMIUM: '/nonexistent/chromium' })).toEqual(['chromium']);
  });

  it('makes npm test fail at once with one line saying what to install', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test.mjs')], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, REDIS_SERVER: '/nonexistent/redis-server', CHROMIUM: '/nonexistent/chromium' },
    });
    expect(r.status).toBe(1);
    // that one line and nothing else: no build step, no suite ran
    expect(r.stderr.trim().split('\n')).toEqual([
      'npm test: missing redis-server and chromium: install them with `apt-get install -y redis-server chromium` (as root; .ci/run does), then run npm test again',
    ]);
    expect(r.stdout.trim()).toBe('0 passed, 1 failed');
  });
});
