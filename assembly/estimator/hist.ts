// Histogram of (scaled) reuse distances: NBINS f64 weights; the bin width (pages) doubles, merging bins
// pairwise, when a distance falls beyond the last bin. Queries walk it once per curve with a cursor.

/** Bins of the histogram. */
export const NBINS: i32 = 1 << 15;

let histP: usize = 0; // f64 weights by reuse distance bin
let binWidth: f64 = 1.0;
let invBinWidth: f64 = 1.0;

export function histAlloc(): void { histP = heap.alloc(<usize>NBINS << 3); }

export function histClear(): void {
  memory.fill(histP, 0, <usize>NBINS << 3);
  binWidth = 1.0;
  invBinWidth = 1.0;
}

export function histBinWidth(): f64 { return binWidth; }

function mergeBins(): void {
  const half = NBINS >> 1;
  for (let k = 0; k < half; k++) {
    store<f64>(histP + (<usize>k << 3), load<f64>(histP + (<usize>(2 * k) << 3)) + load<f64>(histP + (<usize>(2 * k + 1) << 3)));
  }
  memory.fill(histP + (<usize>half << 3), 0, <usize>half << 3);
  binWidth *= 2.0;
  invBinWidth *= 0.5;
}

/** Adds weight w at reuse distance x (pages, >= 0). */
// @ts-ignore: decorator
@inline export function histAdd(x: f64, w: f64): void {
  let k = Math.floor(x * invBinWidth);
  while (k >= <f64>NBINS) { // bounded: each merge doubles the width
    mergeBins();
    k = Math.floor(x * invBinWidth);
  }
  const p = histP + (<usize>(<i32>k) << 3);
  store<f64>(p, load<f64>(p) + w);
}

/** Multiplies every weight by f (decay rescaling). */
export function histScale(f: f64): void {
  for (let k = 0; k < NBINS; k++) store<f64>(histP + (<usize>k << 3), load<f64>(histP + (<usize>k << 3)) * f);
}

/** Upper edge (pages) of the last bin holding more than floorW, or 0 if none does. */
export function histSpan(floorW: f64): f64 {
  for (let k = NBINS - 1; k >= 0; k--) {
    if (load<f64>(histP + (<usize>k << 3)) > floorW) return <f64>(k + 1) * binWidth;
  }
  return 0.0;
}

// Cursor of the cumulative histogram for ascending queries.
let cursorK: i32 = 0;
let cursorHits: f64 = 0.0;

export function histCursorStart(): void {
  cursorK = 0;
  cursorHits = 0.0;
}

/** Weight at distances below x (x not below the previous query's); linear inside a bin. */
export function histHitsBelow(x: f64): f64 {
  const kf = Math.floor(x / binWidth);
  const kEnd = kf < <f64>NBINS ? <i32>kf : NBINS;
  while (cursorK < kEnd) { cursorHits += load<f64>(histP + (<usize>cursorK << 3)); cursorK++; }
  let hits = cursorHits;
  if (kEnd < NBINS) hits += (x / binWidth - kf) * load<f64>(histP + (<usize>kEnd << 3));
  return hits;
}
