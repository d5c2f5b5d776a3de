// Minimal SVG charts for experiment reports (no plotting dependency): grouped bars and lines with axes.
export interface Series { name: string; values: number[] }

const COLORS = ['#4a7fd0', '#d08a4a', '#5aa469', '#b0536a', '#8a6fc2', '#7a7a7a', '#c2b04a'];
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function frame(title: string, yLabel: string, w: number, h: number, body: string, legend: Series[]): string {
  const items = legend.map((s, k) => `<rect x="${70 + k * 110}" y="${h - 18}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/>` +
    `<text x="${84 + k * 110}" y="${h - 9}" font-size="11">${esc(s.name)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">` +
    `<text x="${w / 2}" y="18" font-size="14" text-anchor="middle">${esc(title)}</text>` +
    `<text x="14" y="${h / 2}" font-size="11" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">${esc(yLabel)}</text>` +
    body + items + '</svg>\n';
}

function yScale(max: number, top: number, bottom: number): { y: (v: number) => number; ticks: number[] } {
  const m = max > 0 ? max : 1;
  const step = 10 ** Math.floor(Math.log10(m)) * (m / 10 ** Math.floor(Math.log10(m)) > 5 ? 2 : m / 10 ** Math.floor(Math.log10(m)) > 2 ? 1 : 0.5);
  const ticks: number[] = [0];
  while (ticks[ticks.length - 1] < m * (1 - 1e-9) && ticks.length < 64) ticks.push(ticks.length * step);
  const hi = ticks[ticks.length - 1];
  return { y: (v) => bottom - ((bottom - top) * Math.min(v, hi)) / hi, ticks };
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(title: string, yLabel: string, categories: string[], series: Series[], w = 760, h = 360): string {
  const left = 60, right = w - 20, top = 30, bottom = h - 60;
  const max = Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const { y, ticks } = yScale(max, top, bottom);
  const gw = (right - left) / categories.length;
  const bw = (gw * 0.8) / series.length;
  let body = ticks.map((t) => `<line x1="${left}" x2="${right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>` +
    `<text x="${left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${+t.toPrecision(3)}</text>`).join('');
  categories.forEach((c, i) => {
    series.forEach((s, k) => {
      const v = s.values[i];
      if (!Number.isFinite(v)) return;
      const x = left + i * gw + gw * 0.1 + k * bw;
      body += `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}" fill="${COLORS[k % COLORS.length]}"/>`;
    });
    body += `<text x="${left + i * gw + gw / 2}" y="${bottom + 14}" font-size="10" text-anchor="middle">${esc(c)}</text>`;
  });
  body += `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`;
  return frame(title, yLabel, w, h, body, series);
}

export interface LineOptions {
  /** label only these x values (default: every x); time series have too many points for a label each */
  xTicks?: number[];
  /** vertical marks with a label (a policy switch, a phase change) */
  marks?: { x: number; label: string }[];
}

/** Evenly spaced round ticks over [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 10): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi && out.length < 64; t += step) out.push(+t.toPrecision(12));
  return out;
}

/** Lines over a shared numeric x axis (log2 scale when logX). */
export function lineChart(title: string, yLabel: string, xs: number[], series: Series[], logX = false, w = 760, h = 360, opts: LineOptions = {}): string {
  const left = 60, right = w - 20, top = 30, bottom = h - 60;
  const tx = (v: number): number => (logX ? Math.log2(v) : v);
  const x0 = tx(xs[0]);
  const x1 = tx(xs[xs.length - 1]);
  const x = (v: number): number => left + ((right - left) * (tx(v) - x0)) / (x1 - x0 || 1);
  const max = Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const { y, ticks } = yScale(max, top, bottom);
  let body = ticks.map((t) => `<line x1="${left}" x2="${right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>` +
    `<text x="${left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${+t.toPrecision(3)}</text>`).join('');
  body += (opts.xTicks ?? xs).map((v) => `<text x="${x(v)}" y="${bottom + 14}" font-size="10" text-anchor="middle">${v}</text>`).join('');
  body += (opts.marks ?? []).map((m, k) => `<line x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#999" stroke-dasharray="3,3"/>` +
    `<text x="${(x(m.x) + 3).toFixed(1)}" y="${top + 10 + (k % 3) * 11}" font-size="9" fill="#555">${esc(m.label)}</text>`).join('');
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(xs[i]).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    body += `<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="2" points="${pts}"/>`;
  });
  body += `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`;
  return frame(title, yLabel, w, h, body, series);
}
