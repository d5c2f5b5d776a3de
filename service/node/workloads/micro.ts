// Microservice (a request handler with session state): most page touches go to a hot working set, the rest
// uniformly to cold data. Its curve falls steeply until the hot set fits, then sits on a floor set by the
// cold touches. Each page's first word is its page number, checked on read.
import { Rng } from './rng.ts';
import { type ArchetypeDef, F64_PER_PAGE, type WorkCounters, type Workload } from './types.ts';

/** Doubles read per touched page (a small record, two cache lines). */
const READS_PER_TOUCH = 16;

export const micro: ArchetypeDef = {
  name: 'micro',
  what: 'microservice: a hot working set plus cold touches (steep curve down to a floor)',
  sizeMBDefault: 32,
  params: {
    'hot-fraction': { default: 0.25, min: 0.001, max: 1, what: 'share of the region that is hot' },
    'hot-prob': { default: 0.95, min: 0, max: 1, what: 'probability that a touch goes to the hot set' },
    'pages-per-request': { default: 4, min: 1, max: 256, integer: true, what: 'pages one request touches' },
    'write-ratio': { default: 0.1, min: 0, max: 1, what: 'fraction of touches that also write' },
  },
  create(buffer, params, seed): Workload {
    const a = new Float64Array(buffer);
    const pages = a.length / F64_PER_PAGE;
    const hot = Math.max(1, Math.min(pages, Math.round(pages * params['hot-fraction'])));
    const cold = pages - hot;
    const hotProb = params['hot-prob'];
    const perRequest = params['pages-per-request'];
    const writeRatio = params['write-ratio'];
    const rng = new Rng(seed);
    let initPage = 0;
    return {
      archetype: 'micro',
      pages,
      accessesPerOp: perRequest,
      init(maxPages) {
        const end = Math.min(pages, initPage + maxPages);
        for (; initPage < end; initPage++) {
          const base = initPage * F64_PER_PAGE;
          a[base] = initPage;
          for (let i = 1; i < F64_PER_PAGE; i++) a[base + i] = 0;
        }
        return initPage >= pages;
      },
      run(ops, c: WorkCounters) {
        let sum = 0;
        for (let n = 0; n < ops; n++) {
          for (let t = 0; t < perRequest; t++) {
            const page = cold === 0 || rng.next() < hotProb ? rng.int(hot) : hot + rng.int(cold);
            const base = page * F64_PER_PAGE;
            if (a[base] !== page) c.errors++;
            for (let i = 1; i <= READS_PER_TOUCH; i++) sum += a[base + i];
            if (writeRatio > 0 && rng.next() < writeRatio) a[base + 1] += 1;
          }
        }
        c.ops += ops;
        c.accesses += ops * perRequest;
        c.checksum = (c.checksum + sum) % 1e9;
      },
    };
  },
};
