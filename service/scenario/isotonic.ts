// Least-squares non-increasing fit (pool adjacent violators): the nearest non-increasing sequence to a
// measured one. Used to smooth sampling noise out of measured miss-ratio curves.
export function nonIncreasingFit(values: readonly number[]): number[] {
  const n = values.length;
  const mean: number[] = [];
  const size: number[] = [];
  for (let k = 0; k < n; k++) {
    mean.push(values[k]);
    size.push(1);
    // merge blocks while the last block is above the one before it (a rise)
    while (mean.length > 1 && mean[mean.length - 1] > mean[mean.length - 2]) {
      const m2 = mean.pop()!;
      const s2 = size.pop()!;
      const m1 = mean[mean.length - 1];
      const s1 = size[size.length - 1];
      mean[mean.length - 1] = (m1 * s1 + m2 * s2) / (s1 + s2);
      size[size.length - 1] = s1 + s2;
    }
  }
  const out: number[] = [];
  mean.forEach((m, b) => { for (let k = 0; k < size[b]; k++) out.push(m); });
  return out;
}
