// Guards on the test suite itself. An `expect(promise).rejects/.resolves` that is not awaited (or returned)
// checks nothing: the test ends before the promise settles and passes whatever happens (vitest only warns).
// tests/native/07-cgroup.test.ts had one; this keeps it from coming back anywhere.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? testFiles(p) : /\.test\.ts$/.test(e) ? [p] : [];
  });
}

describe('the test suite', () => {
  it('awaits (or returns) every expect(...).rejects and .resolves', () => {
    const files = testFiles(join(ROOT, 'tests')).filter((f) => f !== import.meta.filename);  // not this file's own words
    expect(files.length).toBeGreaterThan(30);
    const bad: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (line.trim().startsWith('//') || !/expect\(.*\)\s*\.\s*(rejects|resolves)\b/.test(line)) return;
        if (/\b(await|return)\s+expect\(/.test(line)) return;
        bad.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(bad).toEqual([]);
  });
});
