// Streaming scan (analytics over a big array): pages are read in order, wrapping around. Its miss-ratio
// curve is a cliff: nothing hits until the whole region fits, so it lives on bandwidth. Each page's first
// word is stamped with the page's tag at init and checked on every pass.
import { Rng } from './rng.ts';
import { type ArchetypeDef, F64_PER_PAGE, tagOf, type WorkCounters, type Workload } from './types.ts';

/** Doubles read per page: one per 64-byte cache line, like a scan that touches every line. */
const READS_PER_PAGE = 64;
const STRIDE = F64_PER_PAGE / READS_PER_PAGE;

export const stream: ArchetypeDef = {
  name: 'stream',
  what: 'sequential scan over the region, wrapping (cliff-shaped curve: bandwidth-bound until it all fits)',
  sizeMBDefault: 48,
  params: {
    'write-ratio': { default: 0, min: 0, max: 1, what: 'fraction of scanned pages also written (dirtied)' },
  },
  create(buffer, params, seed): Workload {
    const a = new Float64Array(buffer);
    const pages = a.length / F64_PER_PAGE;
    const writeRatio = params['write-ratio'];
    const rng = new Rng(seed);
    let initPage = 0;
    let cursor = 0;
    return {
      archetype: 'stream',
      pages,
      accessesPerOp: 1,
      init(maxPages) {
        const end = Math.min(pages, initPage + maxPages);
        for (; initPage < end; initPage++) {
          const base = initPage * F64_PER_PAGE;
          a[base] = tagOf(initPage);
          for (let i = 1; i < F64_PER_PAGE; i++) a[base + i] = i;
        }
        return initPage >= pages;
      },
      run(ops, c: WorkCounters) {
        let sum = 0;
        for (let n = 0; n < ops; n++) {
          const base = cursor * F64_PER_PAGE;
          if (a[base] !== tagOf(cursor)) c.errors++;
          for (let i = STRIDE; i < F64_PER_PAGE; i += STRIDE) sum += a[base + i];
          if (writeRatio > 0 && rng.next() < writeRatio) a[base + 1] = 1;  // the value it already holds
          cursor = cursor + 1 === pages ? 0 : cursor + 1;
        }
        c.ops += ops;
        c.accesses += ops;
        c.checksum = (c.checksum + sum) % 1e9;
      },
    };
  },
};
