// Probe: large POST /v1/solve bodies against a real `spirit serve`, with /healthz latency measured by this
// process meanwhile (the load comes from another process, solve-load.ts). Baselines of the same run: the
// same server's /healthz while idle, and a bare Node server's /healthz (control-server.mjs) sampled at the
// same time as the load, which shows what the machine's scheduling alone costs in that moment. Before the body scan and the solve worker, one 330k-app body held
// the event loop for 1.1 s and 24 of them for 21.6 s (issue 16).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, startWithUrl } from '../service/procs.ts';
import { type LatencySummary, sampleHealthz } from './healthz.ts';

export interface LargeBodyFigures {
  bodies: number;
  healthz: {
    idle: LatencySummary; underLoad: LatencySummary; p99VsIdle: number;
    /** the bare control server, sampled during the load: the machine's share of the latency */
    control: LatencySummary;
    /** under-load p99 above the control's, ms: what the load costs /healthz beyond the machine's noise */
    p99ExcessMs: number;
  };
  oversize: { bytes: number; tried: number; refused400: number; cutOff: number; other: string[]; ms: number };
  legal: { bytes: number; apps: number; tried: number; solved: number; refused503: number; other: string[]; ms: number };
  serverPeakRssMB: number | null;
  loadavg: number[];
}

const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const round = (x: number, d = 2): number => Number(x.toFixed(d));

function peakRssMB(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

export async function largeBodyProbe(o: { bodies: number; legalApps: number; idleMs: number }): Promise<LargeBodyFigures> {
  const serve = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--log-level', 'warn'], { REDIS_URL: '', PORT: '', SPIRIT_TOKEN: '' });
  const control = await startWithUrl(process.execPath, [join(ROOT, 'bench', 'chaos', 'control-server.mjs')]);
  try {
    const idleSampler = sampleHealthz(serve.url);
    await new Promise((r) => setTimeout(r, o.idleMs));
    const idle = await idleSampler.stop();
    const loadSampler = sampleHealthz(serve.url);
    const controlSampler = sampleHealthz(control.url);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'chaos', 'solve-load.ts'), serve.url, String(o.bodies), String(o.legalApps)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const underLoad = await loadSampler.stop();
    const controlSummary = await controlSampler.stop();
    if (code !== 0) throw new Error(`the load process failed (${code}): ${err.slice(-2000)}`);
    const r = JSON.parse(out) as {
      oversize: { bytes: number; outcomes: string[]; ms: number };
      legal: { bytes: number; apps: number; outcomes: string[]; ms: number };
    };
    const count = (xs: string[], x: string): number => xs.filter((s) => s === x).length;
    const cut = (s: string): boolean => ['EPIPE', 'ECONNRESET'].includes(s);
    return {
      bodies: o.bodies,
      healthz: {
        idle, underLoad, p99VsIdle: round(underLoad.p99Ms / Math.max(idle.p99Ms, 0.01)),
        control: controlSummary, p99ExcessMs: round(underLoad.p99Ms - controlSummary.p99Ms),
      },
      oversize: {
        bytes: r.oversize.bytes, tried: r.oversize.outcomes.length, refused400: count(r.oversize.outcomes, '400'),
        cutOff: r.oversize.outcomes.filter(cut).length, other: r.oversize.outcomes.filter((s) => s !== '400' && !cut(s)), ms: round(r.oversize.ms, 0),
      },
      legal: {
        bytes: r.legal.bytes, apps: r.legal.apps, tried: r.legal.outcomes.length, solved: count(r.legal.outcomes, '200'),
        refused503: count(r.legal.outcomes, '503'), other: r.legal.outcomes.filter((s) => s !== '200' && s !== '503'), ms: round(r.legal.ms, 0),
      },
      serverPeakRssMB: peakRssMB(serve.proc.pid),
      loadavg: loadavg().map((x) => round(x)),
    };
  } finally {
    await serve.stop();
    await control.stop();
  }
}
