// Embedding lookups (a recommendation model's sparse features): a table of float32 rows; each lookup gathers
// a batch of rows with Zipf popularity and sums them. A moderately skewed curve; one lookup touches `batch`
// pages. Each row's first element is its row number (exact in float32 below 2^24 rows), checked on read.
import { affinePermutation, Rng } from './rng.ts';
import { type ArchetypeDef, PAGE_BYTES, type WorkCounters, type Workload } from './types.ts';
import { ZipfSampler } from './zipf.ts';

/** Rows a float32 can number exactly. */
const ROWS_MAX = 1 << 24;

export const embedding: ArchetypeDef = {
  name: 'embedding',
  what: 'embedding-table lookups: batches of Zipf-popular float32 rows summed (moderately skewed curve)',
  sizeMBDefault: 48,
  params: {
    dim: { default: 64, min: 4, max: 1024, integer: true, powerOfTwo: true, what: 'float32 elements per row' },
    skew: { default: 0.8, min: 0, max: 3, what: 'Zipf exponent of row popularity' },
    batch: { default: 16, min: 1, max: 1024, integer: true, what: 'rows gathered per lookup' },
  },
  create(buffer, params, seed): Workload {
    const f = new Float32Array(buffer);
    const dim = params.dim;
    const rows = Math.min(ROWS_MAX, f.length / dim);
    const perPage = Math.max(1, PAGE_BYTES / (dim * 4));
    const pages = Math.ceil(rows / perPage);
    const rng = new Rng(seed);
    const zipf = new ZipfSampler(rows, params.skew, rng);
    const rowOf = affinePermutation(rows, seed ^ 0x656d);
    const batch = params.batch;
    const acc = new Float32Array(dim);
    let initRow = 0;
    return {
      archetype: 'embedding',
      pages,
      accessesPerOp: batch,
      init(maxPages) {
        const end = Math.min(rows, initRow + maxPages * perPage);
        for (; initRow < end; initRow++) {
          const base = initRow * dim;
          f[base] = initRow;
          for (let i = 1; i < dim; i++) f[base + i] = ((initRow * 31 + i * 7) % 97) / 97;
        }
        return initRow >= rows;
      },
      run(ops, c: WorkCounters) {
        for (let n = 0; n < ops; n++) {
          acc.fill(0);
          for (let b = 0; b < batch; b++) {
            const row = rowOf.forward(zipf.sample());
            const base = row * dim;
            if (f[base] !== row) c.errors++;
            for (let i = 1; i < dim; i++) acc[i] += f[base + i];
          }
          c.checksum = (c.checksum + acc[1]) % 1e9;
        }
        c.ops += ops;
        c.accesses += ops * batch;
      },
    };
  },
};
