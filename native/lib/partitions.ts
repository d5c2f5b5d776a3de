// Which partition each page of a split region is in (docs/dataplane.md, "Partitions"), computed by the
// addon exactly as a region's fault thread does: for tests and benchmarks that need to know which pages
// a partition holds (the region itself reports only counts).
import { nativeBinding } from './errors.ts';
import { nativeLimits } from './limits.ts';
import { requireNumber } from './validate.ts';

/** 0 (partition A) or 1 (B) for each page of a region of `pages` pages split at `accessShare`. */
export function partitionOfPages(pages: number, accessShare: number): Uint8Array {
  const L = nativeLimits();
  requireNumber('partitionOfPages.pages', pages, 1, L.regionBytesMax / L.pageBytes, true);
  requireNumber('partitionOfPages.accessShare', accessShare, 0, 1);
  return nativeBinding().partitionOfPages(pages, accessShare);
}
