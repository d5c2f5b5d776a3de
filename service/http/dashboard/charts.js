// Charts of the dashboard, on uPlot (served from /assets/uplot.js, no CDN): time series of a node's rounds
// with markers where the allocation changed, stepped or was held, and an app's miss-ratio curve with its
// convex hull and the point it holds. Each chart is a <figure> with a caption, and its canvas carries a text
// alternative (role="img", aria-label) saying what the latest values are.
import { h } from './format.js';

const HEIGHT = 190;
/** Marker colours and shapes: changed (triangle), a partial step (diamond), held by hysteresis (circle). */
export const MARKERS = {
  changed: { colour: '#1f5fbf', label: 'allocation changed' },
  step: { colour: '#b4490a', label: 'partial step toward the equilibrium' },
  held: { colour: '#4d4d4d', label: 'held (hysteresis)' },
};

function drawMarkers(u, markers) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.lineWidth = 1;
  for (const m of markers) {
    const spec = MARKERS[m.kind];
    if (!spec) continue;
    const x = Math.round(u.valToPos(m.x, 'x', true));
    if (x < left || x > left + width) continue;
    const r = 4 * (window.devicePixelRatio || 1);
    // a change or a step gets a line across the plot; held rounds (most of them, once settled) only a small dot
    if (m.kind !== 'held') {
      ctx.strokeStyle = spec.colour + '55';
      ctx.beginPath(); ctx.moveTo(x + 0.5, top); ctx.lineTo(x + 0.5, top + height); ctx.stroke();
    }
    ctx.fillStyle = spec.colour;
    ctx.beginPath();
    if (m.kind === 'changed') { ctx.moveTo(x - r, top); ctx.lineTo(x + r, top); ctx.lineTo(x, top + 1.6 * r); }
    else if (m.kind === 'step') { ctx.moveTo(x, top); ctx.lineTo(x + r, top + r); ctx.lineTo(x, top + 2 * r); ctx.lineTo(x - r, top + r); }
    else ctx.arc(x, top + r, r * 0.45, 0, 2 * Math.PI);
    ctx.closePath(); ctx.fill();
  }
  ctx.restore();
}

/** A chart in a figure: `update` (re)draws it, making a new uPlot only when its series change. */
export class Chart {
  /** kind: 'time' (x in seconds since the epoch) or 'cache' (x in MB) */
  constructor(parent, { title, yLabel, kind = 'time', xLabel }) {
    this.kind = kind;
    this.yLabel = yLabel;
    this.xLabel = xLabel;
    this.markers = [];
    this.plot = null;
    this.signature = '';
    this.box = h('div', { class: 'chart', role: 'img', 'aria-label': title + ': no data yet' });
    this.empty = h('p', { class: 'muted empty' }, 'no rounds yet');
    this.figure = h('figure', { class: 'figure' }, h('figcaption', {}, title), this.box, this.empty);
    parent.append(this.figure);
    this.resizer = new ResizeObserver(() => this.fit());
    this.resizer.observe(this.figure);
  }

  width() { return Math.max(200, Math.floor(this.figure.clientWidth)); }

  fit() {
    if (this.plot && Math.abs(this.plot.width - this.width()) > 1) this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  /**
   * series: [{ label, stroke, dash?, points? }]; data: [x[], ...y[]] (null = no value); markers: [{ x, kind }];
   * summary: the text alternative (what a sighted reader gets from the latest values).
   */
  update(series, data, { markers = [], summary = '' } = {}) {
    this.markers = markers;
    const has = data[0].length > 0;
    this.empty.hidden = has;
    this.box.hidden = !has;
    this.box.setAttribute('aria-label', summary);
    if (!has) return;
    const signature = JSON.stringify(series);
    if (!this.plot || signature !== this.signature) {
      this.plot?.destroy();
      this.signature = signature;
      this.plot = new window.uPlot(this.options(series), data, this.box);
    } else {
      this.plot.setData(data);
    }
  }

  options(series) {
    const time = this.kind === 'time';
    return {
      width: this.width(), height: HEIGHT,
      scales: { x: { time } },
      legend: { show: true, live: false },
      cursor: { points: { show: false } },
      axes: [
        { stroke: '#333', grid: { stroke: '#e5e5e5' }, ...(this.xLabel ? { label: this.xLabel } : {}) },
        { stroke: '#333', grid: { stroke: '#e5e5e5' }, label: this.yLabel, size: 56 },
      ],
      series: [
        { label: time ? 'time' : this.xLabel },
        ...series.map((s) => ({
          label: s.label, stroke: s.stroke, width: s.width ?? 2, spanGaps: s.spanGaps ?? true,
          ...(s.dash ? { dash: s.dash } : {}),
          points: s.points ? { show: true, size: s.points, stroke: s.stroke, fill: s.fill ?? s.stroke } : { show: false },
        })),
      ],
      hooks: { draw: [(u) => drawMarkers(u, this.markers)] },
    };
  }

  destroy() {
    this.resizer.disconnect();
    this.plot?.destroy();
    this.figure.remove();
  }
}

/** A marker legend for the time charts. */
export function markerLegend() {
  return h('p', { class: 'legend muted' }, 'Markers: ',
    ...Object.entries(MARKERS).flatMap(([kind, m], i) => [i ? ' · ' : '', h('span', { class: 'mk mk-' + kind, 'aria-hidden': 'true' }), ' ' + m.label]));
}
