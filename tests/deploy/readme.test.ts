// README.md's generated sections are what the tools print today (they went stale by hand: paper-mix's 1.87
// was printed as 1.89). On a failure, run: node --import tsx scripts/readme-tables.ts --write
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleSections } from '../../scripts/readme-tables.ts';

describe('README.md', () => {
  it('holds the quality table exactly as scripts/quality-table.ts prints it', async () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const stale = await staleSections(text);
    expect(stale.map((s) => `${s.name}: expected\n${s.want}`)).toEqual([]);
  });

  it('names no figure of the generated tables again in prose (it would go stale)', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const prose = text.slice(text.indexOf('<!-- END generated: quality -->'), text.indexOf('## Benchmarks'));
    expect(prose).not.toMatch(/`(paper-mix|stream-vs-kvs|many-48|limits|weighted|split-and-swap)`:? \d+\.\d\d/);
  });
});
