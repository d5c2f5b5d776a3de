// The one image, checked without a Docker engine (none runs here): the Dockerfile passes a Dockerfile linter
// (dockerfile-utils, the validator of the Docker language server), keeps to the rules this project's image
// relies on, and its run stage's command and health check are run from this build exactly as the image would
// run them (ENTRYPOINT + CMD with the stage's ENV; HEALTHCHECK's command through a shell).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../service/redis-server.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions().map((i) => ({ keyword: i.getKeyword(), args: i.getArgumentsContent() ?? '', line: i.getRange().start.line }));
/** The instructions of the last stage (what the image runs). */
const lastFrom = Math.max(...instructions.filter((i) => i.keyword === 'FROM').map((i) => i.line));
const runStage = instructions.filter((i) => i.line >= lastFrom);
const one = (k: string): string => {
  const found = runStage.filter((i) => i.keyword === k);
  expect(found, k).toHaveLength(1);
  return found[0].args;
};

describe('Dockerfile', () => {
  it('passes the linter, which does flag a broken Dockerfile', () => {
    expect(validate(text)).toEqual([]);
    const broken = validate(`${text}\nFROM node:20-bookworm-slim AS build\nRUNN echo hi\n`);
    expect(broken.map((d) => d.message).join('\n')).toMatch(/duplicate name build/);
    expect(broken.map((d) => d.message).join('\n')).toMatch(/RUNN/i);
  });

  it('builds in two stages from Node 20 and runs unprivileged, with no compilers or apt lists left', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toHaveLength(2);
    for (const f of froms) expect(f).toMatch(/^node:20-/);
    expect(one('USER')).not.toMatch(/^(root|0)$/);
    for (const r of instructions.filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))) {
      expect(r.args).toMatch(/--no-install-recommends/);
      expect(r.args).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
      expect(r.line).toBeLessThan(lastFrom); // compilers only in the build stage
    }
    expect(one('ENTRYPOINT')).toBe('["node", "bin/spirit.js"]');
    expect(one('HEALTHCHECK')).toMatch(/\/healthz/);
  });
});

describe('the image\'s commands, run from this build', () => {
  const children: ChildProcess[] = [];
  afterAll(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });

  it('ENTRYPOINT + CMD with the stage\'s ENV serve; HEALTHCHECK passes while it runs and fails once it is gone', async () => {
    const env: Record<string, string> = {};
    // ENV NAME=value pairs (the run stage's)
    for (const m of one('ENV').matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
    expect(env.PORT).toBe('8080');
    env.PORT = String(await freePort()); // the same variable, a free port here
    const entry = JSON.parse(one('ENTRYPOINT')) as string[];
    const cmd = JSON.parse(one('CMD')) as string[];
    expect(cmd[0]).toBe('serve');
    const [exe, ...entryArgs] = entry;
    expect(exe).toBe('node');
    const child = spawn(process.execPath, [...entryArgs, ...cmd], { cwd: ROOT, env: { ...process.env, REDIS_URL: '', SPIRIT_TOKEN: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const end = Date.now() + 60_000;
    while (!/"msg":"listening"/.test(err) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(err).toMatch(new RegExp(`"url":"http://[0-9.]+:${env.PORT}"`)); // on all addresses, announced as a reachable one
    const healthcheck = one('HEALTHCHECK').replace(/^.*?CMD\s+/, '');
    const check = (): number | null => spawnSync('sh', ['-c', healthcheck], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 }).status;
    expect(check()).toBe(0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(check()).toBe(1);
  });
});
