// Seeded trace generators (reproducible, the promised shapes) and the trace-file reader (binary and text,
// with errors that name the file and the byte offset or line).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { distinctPages, generateTrace, type TraceSpec } from '../../service/traces/generators.ts';
import { readTrace, readTraceChunks } from '../../service/traces/reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'spirit-traces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trace generators', () => {
  it('are reproducible from the seed, and differ between seeds', () => {
    const spec: TraceSpec = { kind: 'zipf', pages: 10_000, skew: 0.9 };
    expect(generateTrace(spec, 50_000, 3)).toEqual(generateTrace(spec, 50_000, 3));
    expect(generateTrace(spec, 50_000, 3)).not.toEqual(generateTrace(spec, 50_000, 4));
  });

  it('zipf: page popularity falls with rank as 1/rank^skew', () => {
    const t = generateTrace({ kind: 'zipf', pages: 1000, skew: 1.0 }, 500_000, 1);
    const counts = new Map<bigint, number>();
    for (const p of t) counts.set(p, (counts.get(p) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0] / sorted[9]).toBeGreaterThan(7); // ~10 for skew 1
    expect(sorted[0] / sorted[9]).toBeLessThan(13);
    expect(counts.size).toBeLessThanOrEqual(1000);
  });

  it('scan visits base..base+pages-1 in order and wraps; loop repeats one fixed order', () => {
    const s = generateTrace({ kind: 'scan', pages: 5, base: 2 ** 40 }, 12, 1);
    expect(Array.from(s, (p) => Number(p - 2n ** 40n))).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
    const l = Array.from(generateTrace({ kind: 'loop', pages: 50 }, 150, 2), Number);
    expect(new Set(l.slice(0, 50)).size).toBe(50);
    expect(l.slice(50, 100)).toEqual(l.slice(0, 50));
    expect(l.slice(0, 50)).not.toEqual([...Array(50).keys()]); // shuffled
  });

  it('mix draws from its parts by weight; phases run them one after another', () => {
    const m = generateTrace({ kind: 'mix', parts: [
      { spec: { kind: 'uniform', pages: 100 }, weight: 3 },
      { spec: { kind: 'uniform', pages: 100, base: 1000 }, weight: 1 }] }, 100_000, 5);
    const high = Array.from(m).filter((p) => p >= 1000n).length / m.length;
    expect(high).toBeGreaterThan(0.23);
    expect(high).toBeLessThan(0.27);
    const ph = generateTrace({ kind: 'phases', parts: [
      { spec: { kind: 'scan', pages: 10 }, weight: 1 }, { spec: { kind: 'scan', pages: 10, base: 500 }, weight: 3 }] }, 1000, 1);
    expect(Array.from(ph.subarray(0, 250)).every((p) => p < 10n)).toBe(true);
    expect(Array.from(ph.subarray(250)).every((p) => p >= 500n)).toBe(true);
    expect(distinctPages(ph)).toBe(20);
  });

  const badSpecs: [string, unknown, number, RegExp][] = [
    ['zero pages', { kind: 'zipf', pages: 0, skew: 1 }, 10, /trace.spec.pages/],
    ['a NaN skew', { kind: 'zipf', pages: 10, skew: Number.NaN }, 10, /trace.spec.skew/],
    ['an unknown kind', { kind: 'random' }, 10, /unknown trace kind 'random'/],
    ['a negative weight', { kind: 'mix', parts: [{ spec: { kind: 'scan', pages: 3 }, weight: -1 }] }, 10, /parts\[0\].weight/],
    ['a bad nested spec', { kind: 'mix', parts: [{ spec: { kind: 'scan', pages: -3 }, weight: 1 }] }, 10, /parts\[0\].spec.pages/],
    ['a zero length', { kind: 'scan', pages: 3 }, 0, /trace.length/],
  ];
  for (const [what, spec, length, where] of badSpecs) {
    it(`rejects ${what}`, () => {
      expect(() => generateTrace(spec as TraceSpec, length, 1)).toThrow(InputError);
      expect(() => generateTrace(spec as TraceSpec, length, 1)).toThrow(where);
    });
  }
});

describe('trace files', () => {
  const trace = generateTrace({ kind: 'mix', parts: [
    { spec: { kind: 'zipf', pages: 3000, skew: 1 }, weight: 1 },
    { spec: { kind: 'scan', pages: 100, base: 2 ** 52 }, weight: 1 }] }, 300_000, 1);

  it('binary: little-endian u64 per access, read back in bounded chunks', () => {
    const f = join(dir, 't.bin');
    writeFileSync(f, Buffer.from(trace.buffer));
    expect(readTrace(f)).toEqual(trace);
    const sizes = [...readTraceChunks(f)].map((c) => c.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(131072);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(trace.length);
  });

  it('text: one decimal page number per line, u64 range, CRLF and a trailing newline accepted', () => {
    const f = join(dir, 't.txt');
    writeFileSync(f, Array.from(trace, String).join('\r\n') + '\r\n');
    expect(readTrace(f, { text: true })).toEqual(trace);
    const g = join(dir, 'max.txt');
    writeFileSync(g, '18446744073709551615\n 0 \n');
    expect(readTrace(g, { text: true })).toEqual(BigUint64Array.from([18446744073709551615n, 0n]));
  });

  const badFiles: [string, string | Buffer, boolean, RegExp][] = [
    ['a binary file truncated mid-record', Buffer.alloc(8 * 3 + 5), false, /truncated mid-record.*byte offset 24 has only 5 of its 8 bytes/],
    ['an empty file', '', false, /empty/],
    ['a letter in a text trace', '1\n2\nx3\n', true, /line 3: 'x3' is not a page number/],
    ['a negative page', '5\n-2\n', true, /line 2: '-2' is negative/],
    ['a fraction', '1.5\n', true, /line 1: '1.5' is not a page number/],
    ['two numbers on a line', '1 2\n', true, /line 1: '1 2' has more than one number/],
    ['a blank line in the middle', '1\n\n2\n', true, /line 2: is blank/],
    ['a number above u64', '18446744073709551616\n', true, /line 1: .* is larger than a u64/],
    ['only blank lines', '\n\n', true, /no accesses/],
  ];
  for (const [what, content, text, message] of badFiles) {
    it(`rejects ${what}, naming the file`, () => {
      const f = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      writeFileSync(f, content);
      const read = (): unknown => readTrace(f, { text });
      expect(read).toThrow(InputError);
      expect(read).toThrow(message);
      try { read(); } catch (e) { expect((e as InputError).where.startsWith(f)).toBe(true); }
    });
  }

  it('rejects a missing file and a directory', () => {
    expect(() => readTrace(join(dir, 'nope.bin'))).toThrow(/cannot open the trace/);
    expect(() => readTrace(dir)).toThrow(/not a regular file/);
  });
});
