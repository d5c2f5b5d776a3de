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

  it('compose.yaml: each role has its own health check, starts after what it needs is healthy, and restarts', () => {
    const compose = read('compose.yaml');
    // the services block, split by service (two-space indented names)
    const body = compose.slice(compose.indexOf('services:'), compose.indexOf('\nvolumes:'));
    const services = new Map([...body.matchAll(/^ {2}([a-z]+):\n((?: {4}.*\n|\s*\n)*)/gm)].map((m) => [m[1], m[2]]));
    expect([...services.keys()].sort()).toEqual(['memnode', 'node', 'redis', 'spirit']);
    const tests = new Map<string, string>();
    for (const [name, block] of services) {
      expect(block, name).toMatch(/^ {4}restart: (unless-stopped|always|on-failure)/m);
      const t = /^ {4}healthcheck:\n(?: {6}#.*\n)* {6}test: (\[.*\])$/m.exec(block);
      expect(t, `${name} has its own healthcheck test`).not.toBeNull();
      tests.set(name, t![1]);
    }
    // no two roles share a check (the image's HTTP check fitted only the service)
    expect(new Set(tests.values()).size).toBe(4);
    expect(tests.get('spirit')).toMatch(/\/readyz/);
    expect(tests.get('memnode')).toMatch(/7070/);
    expect(tests.get('redis')).toMatch(/redis-cli/);
    const needs = (name: string): Record<string, string> =>
      Object.fromEntries([...services.get(name)!.matchAll(/^ {6}([a-z]+):\n {8}condition: (\w+)/gm)].map((m) => [m[1], m[2]]));
    expect(needs('spirit')).toEqual({ redis: 'service_healthy' });
    expect(needs('node')).toEqual({ spirit: 'service_healthy', memnode: 'service_healthy' });
    // the memory node refuses to start without a token: compose passes one, and the daemon the same one
    expect(services.get('memnode')).toMatch(/SPIRIT_MEMNODE_TOKENS: \$\{SPIRIT_MEMNODE_TOKEN:\?/);
    expect(services.get('node')).toMatch(/SPIRIT_MEMNODE_TOKEN: \$\{SPIRIT_MEMNODE_TOKEN:\?/);
    // each check's node -e program at least parses
    for (const [name, t] of tests) {
      const argv = JSON.parse(t) as string[];
      if (argv[1] !== 'node') continue;
      expect(argv[2], name).toBe('-e');
      expect(() => new Function(argv[3]), name).not.toThrow();  // syntax only: nothing runs
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
