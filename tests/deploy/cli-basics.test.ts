// What a newcomer types first: `spirit --version` and `spirit --help`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('spirit', () => {
  it('--version (and -V) prints the package version and exits 0', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = run(flag);
      expect(r.status, flag).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('--help lists the commands and the version flag', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of ['solve', 'serve', 'memnode', 'node', 'bench', 'mrc']) expect(r.stdout).toMatch(new RegExp(`\\b${c}\\b`));
    expect(r.stdout).toMatch(/--version/);
  });
});
