// Small helpers shared by the dashboard's modules: escaping, number and time formatting, DOM building, the
// colours of apps. (Plain browser JavaScript, no build step.)

/** HTML-escapes any value for use in text and attribute values. */
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** A number with `d` decimals, or an en dash when there is none. */
export const fmt = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

/** A number with thousands separators and at most `d` decimals. */
export const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d }) : '–');

/** A share (0..1) as a percentage. */
export const pct = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? (100 * v).toFixed(d) + '%' : '–');

/** A rate in accesses per second, short (12.3k/s). */
export function rate(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v >= 1e6) return (v / 1e6).toFixed(2) + 'M/s';
  if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k/s';
  return v.toFixed(0) + '/s';
}

/** Bytes per second as MB/s (MiB). */
export const mbps = (bytesPerSec) => (typeof bytesPerSec === 'number' ? (bytesPerSec / 1048576).toFixed(1) + ' MiB/s' : '–');

/** How long ago `ms` was, at server time `nowMs`: "4 s ago", "3 min ago". */
export function ago(ms, nowMs) {
  if (typeof ms !== 'number') return 'never';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  return Math.round(s / 3600) + ' h ago';
}

export const clock = (ms) => new Date(ms).toLocaleTimeString();

/** Colours of apps on white: each at least 4.5:1, so lines and text in them stay readable. */
export const PALETTE = ['#1f5fbf', '#b4490a', '#15803d', '#9d1fa8', '#b91c1c', '#0e7490', '#7c5a0a', '#4d4d4d'];

/** A stable colour per app among the apps of its node (sorted ids). */
export function colourOf(appIds, app) {
  const i = [...appIds].sort().indexOf(app);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

/** An element from a tag, attributes and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'html') e.innerHTML = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** A bar of a share of capacity, with its text: the number is shown, and screen readers get the sentence. */
export function bar(share, what, kind) {
  const w = Math.max(0, Math.min(1, Number(share) || 0));
  return '<span class="bar ' + kind + '" role="img" aria-label="' + esc(pct(w) + ' of the node\'s ' + what) + '">' +
    '<span class="fill" style="width:' + (100 * w).toFixed(1) + '%"></span></span><span class="share">' + pct(w) + '</span>';
}
