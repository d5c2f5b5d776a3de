// README.md's generated sections, made by the tools themselves so they cannot go stale by hand: each lies
// between `<!-- BEGIN generated: NAME -->` and `<!-- END generated: NAME -->`.
//   node --import tsx scripts/readme-tables.ts --check   exit 1 naming any section that differs (npm test runs it)
//   node --import tsx scripts/readme-tables.ts --write   rewrite them
// Sections: `quality` (scripts/quality-table.ts: every policy on every shipped example; deterministic) and
// `gain` (both modes against static unsplit).
// Benchmark tables are measurements of a machine and stay with their runs (`spirit bench ... --json`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gainTable, qualityTable } from './quality-table.ts';

const README = join(import.meta.dirname, '..', 'README.md');
const SECTIONS: Record<string, () => Promise<string>> = { quality: qualityTable, gain: gainTable };

export function section(text: string, name: string): { start: number; end: number } {
  const begin = `<!-- BEGIN generated: ${name} -->`;
  const endMark = `<!-- END generated: ${name} -->`;
  const b = text.indexOf(begin);
  const e = text.indexOf(endMark);
  if (b < 0 || e < b) throw new Error(`README.md has no section '${name}' (${begin} ... ${endMark})`);
  return { start: b + begin.length + 1, end: e };
}

export async function staleSections(text: string): Promise<{ name: string; want: string }[]> {
  const out: { name: string; want: string }[] = [];
  for (const [name, make] of Object.entries(SECTIONS)) {
    const { start, end } = section(text, name);
    const want = (await make()) + '\n';
    if (text.slice(start, end) !== want) out.push({ name, want });
  }
  return out;
}

const mode = process.argv[2];
if (mode === '--check' || mode === '--write') {
  let text = readFileSync(README, 'utf8');
  const stale = await staleSections(text);
  if (mode === '--write') {
    for (const s of stale) {
      const { start, end } = section(text, s.name);
      text = text.slice(0, start) + s.want + text.slice(end);
    }
    writeFileSync(README, text);
    console.log(stale.length ? `README.md: rewrote ${stale.map((s) => s.name).join(', ')}` : 'README.md: up to date');
  } else if (stale.length) {
    console.error(`README.md: generated section(s) ${stale.map((s) => s.name).join(', ')} differ from what the tools print; run: node --import tsx scripts/readme-tables.ts --write`);
    process.exit(1);
  }
}
