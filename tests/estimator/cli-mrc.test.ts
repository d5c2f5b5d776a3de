// `spirit mrc` as a user runs it: a real process, stdout one JSON document, exit 2 with a message naming the
// file, byte offset, line or flag for bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mrcOfTrace } from '../../service/estimator/mrc.ts';
import { generateTrace } from '../../service/traces/generators.ts';

const BIN = new URL('../../bin/spirit.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'spirit-mrc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spirit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const trace = generateTrace({ kind: 'zipf', pages: 4000, skew: 0.9 }, 100_000, 8);
const bin = join(dir, 'trace.bin');
const txt = join(dir, 'trace.txt');
writeFileSync(bin, Buffer.from(trace.buffer));
writeFileSync(txt, Array.from(trace, String).join('\n') + '\n');

describe('spirit mrc', () => {
  it('prints {points, accesses, sampledAccesses} for a binary trace, equal to the library result', () => {
    const r = spirit('mrc', bin, '--points', '40');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['points', 'accesses', 'sampledAccesses']));
    expect(out.accesses).toBe(100_000);
    expect(out.sampledAccesses).toBe(100_000);
    expect(out.points).toEqual(mrcOfTrace(trace, { points: 40 }).points);
  });

  it('reads --text traces to the same curve, and honours --sample-rate and --max-mb', () => {
    const a = JSON.parse(spirit('mrc', bin, '--points', '20', '--max-mb', '10').stdout);
    const b = JSON.parse(spirit('mrc', txt, '--text', '--points', '20', '--max-mb', '10').stdout);
    expect(b).toEqual(a);
    expect(a.points[a.points.length - 1][0]).toBeCloseTo(10, 6);
    const s = JSON.parse(spirit('mrc', bin, '--sample-rate', '0.1', '--points', '20').stdout);
    expect(s.sampledAccesses).toBeLessThan(20_000);
    expect(s.sampledAccesses).toBeGreaterThan(5_000);
    expect(s.sampleRate).toBeCloseTo(0.1, 5);
  });

  it('detects a text trace (even one whose size is a multiple of 8) and says which format it read', () => {
    // 8 lines of '1234567\n': 64 bytes, which a size check alone took for 8 binary records
    const eight = join(dir, 'eight.txt');
    writeFileSync(eight, '1234567\n'.repeat(8));
    const r = spirit('mrc', eight, '--points', '4');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).accesses).toBe(8);
    expect(r.stderr).toMatch(/reading .*eight\.txt as text .*detected/);
    const t = spirit('mrc', txt, '--points', '20', '--max-mb', '10');
    expect(JSON.parse(t.stdout)).toEqual(JSON.parse(spirit('mrc', bin, '--points', '20', '--max-mb', '10').stdout));
    const b = spirit('mrc', bin, '--points', '4');
    expect(b.stderr).toMatch(/as binary .*detected/);
    const forced = spirit('mrc', eight, '--binary', '--points', '4');
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/as binary .*\(--binary\)/);
    expect(JSON.parse(forced.stdout).accesses).toBe(8);
  });

  const bad: [string, string[], RegExp][] = [
    ['both --text and --binary', ['trace.bin', '--text', '--binary'], /--text: and --binary both given/],
    ['a truncated binary trace', ['trunc.bin'], /trunc\.bin: truncated mid-record: 805 bytes .* byte offset 800/],
    ['a bad text line', ['bad.txt', '--text'], /bad\.txt: line 2: '12a' is not a page number/],
    ['a bad text line, detected as text', ['bad2.txt'], /bad2\.txt: line 2: '12 3' has more than one number/],
    ['a missing file', ['missing.bin'], /missing\.bin: cannot open the trace/],
    ['--sample-rate 0', ['trace.bin', '--sample-rate', '0'], /--sample-rate: must be >= /],
    ['--sample-rate NaN', ['trace.bin', '--sample-rate', 'NaN'], /--sample-rate: 'NaN' is not a non-negative number/],
    ['--points 1', ['trace.bin', '--points', '1'], /--points: must be >= 2/],
    ['--max-mb below one page', ['trace.bin', '--max-mb', '0.0001'], /--max-mb: .* less than one 4096-byte page/],
    ['an unknown flag', ['trace.bin', '--frobnicate'], /unknown option/],
  ];
  writeFileSync(join(dir, 'trunc.bin'), Buffer.alloc(805));
  writeFileSync(join(dir, 'bad.txt'), '1\n12a\n');
  writeFileSync(join(dir, 'bad2.txt'), '1\n12 3\n');
  for (const [what, args, message] of bad) {
    it(`exits 2 for ${what}`, () => {
      const [file, ...rest] = args;
      const r = spirit('mrc', join(dir, file), ...rest);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }
});
