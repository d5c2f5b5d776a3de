// Skewed key-value store (a cache server): fixed-size values, keys drawn from a Zipf distribution and
// scattered over the region by a permutation, a fraction of operations are puts. Its curve falls steeply
// with the first MiBs of cache (the hot keys) and then flattens. Every value carries its key's tag and a
// version; a get checks the tag.
import { affinePermutation, Rng } from './rng.ts';
import { type ArchetypeDef, PAGE_BYTES, tagOf, type WorkCounters, type Workload } from './types.ts';
import { ZipfSampler } from './zipf.ts';

export const kv: ArchetypeDef = {
  name: 'kv',
  what: 'key-value store: Zipf-popular keys, gets and puts of fixed-size values (steep curve, then flat)',
  sizeMBDefault: 48,
  params: {
    'value-bytes': { default: 512, min: 64, max: PAGE_BYTES, integer: true, powerOfTwo: true, what: 'bytes per value (values never straddle pages)' },
    skew: { default: 0.99, min: 0, max: 3, what: 'Zipf exponent of key popularity (0 = uniform)' },
    'write-ratio': { default: 0.05, min: 0, max: 1, what: 'fraction of operations that are puts' },
  },
  create(buffer, params, seed): Workload {
    const u = new Uint32Array(buffer);
    const words = params['value-bytes'] / 4;
    const keys = u.length / words;
    const perPage = PAGE_BYTES / params['value-bytes'];
    const pages = keys / perPage;
    const rng = new Rng(seed);
    const zipf = new ZipfSampler(keys, params.skew, rng);
    const perm = affinePermutation(keys, seed ^ 0x6b76);
    const writeRatio = params['write-ratio'];
    let initSlot = 0;
    return {
      archetype: 'kv',
      pages,
      accessesPerOp: 1,
      init(maxPages) {
        // slot by slot, so each page is written once, in order (a fault per page, not per key)
        const end = Math.min(keys, initSlot + maxPages * perPage);
        for (; initSlot < end; initSlot++) {
          const base = initSlot * words;
          u[base] = tagOf(perm.inverse(initSlot));
          u[base + 1] = 0;
          for (let i = 2; i < words; i++) u[base + i] = i;
        }
        return initSlot >= keys;
      },
      run(ops, c: WorkCounters) {
        let sum = 0;
        for (let n = 0; n < ops; n++) {
          const key = zipf.sample();
          const base = perm.forward(key) * words;
          if (u[base] !== tagOf(key)) c.errors++;
          if (writeRatio > 0 && rng.next() < writeRatio) {
            u[base + 1] = (u[base + 1] + 1) >>> 0;
            u[base + 2] = 2;
          } else {
            for (let i = 1; i < words; i++) sum += u[base + i];
          }
        }
        c.ops += ops;
        c.accesses += ops;
        c.checksum = (c.checksum + sum) % 1e9;
      },
    };
  },
};
