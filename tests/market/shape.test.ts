// The hand-written shape check (service/scenario/shape.ts) against the zod schema it stands in for: on
// thousands of scenarios, valid ones and ones broken in one place (a wrong type, a value out of range, a
// missing or unknown key, an array too short or too long, a bundle's extra key), both accept the same ones
// and return the same copy.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scenarioSchema } from '../../service/scenario/schema.ts';
import { scenarioShape } from '../../service/scenario/shape.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { freshMix } from '../../service/scenario/mixes.ts';

type J = unknown;
const BREAKS: J[] = [null, true, 'x', -1, 0, 1.5, 2, Number.MAX_VALUE, [], {}, [1, 2, 3], [0.5, 0.5], { a: 1 }, 'mrc', 'surface', -0];

/** Every path to a value inside v (objects and arrays), depth first. */
function paths(v: J, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function edit(v: J, path: (string | number)[], f: (parent: Record<string | number, J>, key: string | number) => void): J {
  const copy = structuredClone(v) as Record<string | number, J>;
  let node = copy;
  for (let k = 0; k < path.length - 1; k++) node = node[path[k]] as Record<string | number, J>;
  f(node, path[path.length - 1]);
  return copy;
}

describe('the scenario shape check', () => {
  it('accepts exactly what the zod schema accepts, and returns the same copy', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: BREAKS.length - 1 }),
      (seed, pick, how, breakAt) => {
        const base: J = seed % 2
          ? freshMix({ apps: 1 + (seed % 4), seed, limitShare: 0.5 })
          : { ...generateScenario({ apps: 1 + (seed % 3), seed, surfaceShare: 0.5, limitShare: 0.5 }), apps: generateScenario({ apps: 1 + (seed % 3), seed, surfaceShare: 0.5, limitShare: 0.5 }).apps.map((a, i) => ({ ...a, ...(i === 0 ? { current: { cacheMB: 1, bandwidthMbps: 2 }, partitionable: seed % 3 === 0 } : {}) })) };
        const ps = paths(base).filter((p) => p.length > 0);
        const p = ps[pick % ps.length];
        const variants: J[] = [base];
        if (how === 0) variants.push(edit(base, p, (o, k) => { o[k] = BREAKS[breakAt]; }));
        // (a deleted array element leaves a hole: not JSON, but a caller's object may have one)
        if (how === 1) variants.push(edit(base, p, (o, k) => { delete o[k]; }));
        if (how === 2) variants.push(edit(base, p.length > 1 ? p.slice(0, -1) : p, (o, k) => { const t = o[k]; if (t && typeof t === 'object' && !Array.isArray(t)) (t as Record<string, J>).extra = 1; }));
        if (how === 3) variants.push(edit(base, p, (o, k) => { const t = o[k]; if (Array.isArray(t)) t.push(t[0]); }));
        for (const v of variants) {
          const z = scenarioSchema.safeParse(v);
          const mine = scenarioShape(v);
          expect(mine !== null, JSON.stringify(v).slice(0, 400)).toBe(z.success);
          if (z.success) expect(JSON.stringify(mine)).toBe(JSON.stringify(z.data));
        }
      }), { numRuns: 3000, seed: 7 });
  });

  it('keeps the bundle\'s unknown keys out, as z.object does, and refuses __proto__ keys as the strict objects do', () => {
    const s = freshMix({ apps: 2, seed: 3 }) as unknown as { apps: Record<string, unknown>[] };
    s.apps[0].current = { cacheMB: 1, bandwidthMbps: 1, note: 'x' };
    expect(JSON.stringify(scenarioShape(s))).toBe(JSON.stringify(scenarioSchema.parse(s)));
    const proto = JSON.parse('{"capacity":{"cacheMB":1,"bandwidthMbps":1},"apps":[],"__proto__":{"x":1}}');
    expect(scenarioShape(proto)).toBeNull();
    expect(scenarioSchema.safeParse(proto).success).toBe(false);
  });
});
