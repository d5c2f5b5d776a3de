// The containerized deployment, checked without a Docker engine (none runs here): what the Dockerfile and
// compose.yaml refer to exists, their commands and flags are ones the CLI accepts, and every package the
// runtime code imports is a production dependency (the image prunes dev dependencies).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (f: string): string => readFileSync(join(ROOT, f), 'utf8');
const help = (cmd: string): string => spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), cmd, '--help'], { encoding: 'utf8' }).stdout;

/** Flags (--x) that appear in a JSON-ish array of words. */
const flagsIn = (words: string[]): string[] => words.filter((w) => w.startsWith('--'));

describe('container deployment', () => {
  const dockerfile = read('Dockerfile');

  it('Dockerfile builds in two stages from Node 20 and runs bin/spirit.js', () => {
    expect(dockerfile.match(/^FROM node:20[^\n]*/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/spirit.js"\]/);
    expect(existsSync(join(ROOT, 'bin', 'spirit.js'))).toBe(true);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    const h = help(cmd[0]);
    for (const f of flagsIn(cmd)) expect(h, `spirit ${cmd[0]} ${f}`).toContain(f);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('.dockerignore keeps build outputs and dependencies out of the context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const x of ['node_modules', 'build', 'native/build', '.git']) expect(ignore).toContain(x);
  });

  it('compose.yaml commands use flags the CLI accepts', () => {
    const compose = read('compose.yaml');
    const commands = [...compose.matchAll(/command: (\[.*\])/g)].map((m) => JSON.parse(m[1]) as string[]);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['serve', 'memnode', 'node']));
    for (const c of commands) {
      if (c[0] === 'redis-server') continue;
      const h = help(c[0]);
      expect(h, `spirit ${c[0]}`).toMatch(/Usage: spirit/);
      for (const f of flagsIn(c)) expect(h, `spirit ${c[0]} ${f}`).toContain(f);
    }
  });

  it('every package the runtime code imports is a production dependency', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const deps = new Set(Object.keys(pkg.dependencies));
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(ROOT, dir))) {
        const rel = join(dir, e);
        if (e === 'node_modules' || e === 'build') continue;
        if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
        else if (/\.(ts|js|mjs)$/.test(e)) files.push(rel);
      }
    };
    for (const d of ['service', 'native', 'bin', 'redis']) if (existsSync(join(ROOT, d))) walk(d);
    expect(files.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const f of files) {
      for (const m of read(f).matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = m[1] ?? m[2];
        if (!spec || spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!deps.has(name)) missing.push(`${f}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
