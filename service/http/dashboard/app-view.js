// One app's view (`#/apps/{id}`): its miss-ratio curve with the lower convex hull and the point it holds, its
// model and the estimator's confidence, weight and limits, its partitions when split, and its recent
// telemetry (the means per round, from the node's history).
import { Chart } from './charts.js';
import { clock, esc, fmt, h, mbps, num, pct, rate } from './format.js';

/** Rounds of telemetry listed (newest first). */
const TELEMETRY_ROWS = 20;

/** m(c) of a piecewise-linear curve, flat outside its points (as the service's model). */
export function missAt(curve, c) {
  if (c <= curve[0][0]) return curve[0][1];
  const last = curve[curve.length - 1];
  if (c >= last[0]) return last[1];
  let i = 1;
  while (curve[i][0] < c) i++;
  const [c0, m0] = curve[i - 1];
  const [c1, m1] = curve[i];
  return m0 + ((m1 - m0) * (c - c0)) / (c1 - c0);
}

export class AppView {
  constructor(section) {
    this.section = section;
    this.chart = null;
    this.id = null;
  }

  /** Shows app `id` (fetches its estimate); `history` gives its node's rounds. */
  async show(id, history) {
    if (this.id !== id) {
      this.chart?.destroy();
      this.chart = null;
      this.id = id;
      this.section.innerHTML = '';
      this.section.append(
        h('p', {}, h('a', { href: '#/' }, '← all nodes')),
        h('h2', { id: 'app-title', tabindex: '-1' }, 'App ' + id),
        (this.body = h('div', { class: 'app-body' }, h('p', { class: 'muted' }, 'loading…'))),
      );
      this.chartBox = h('div', { class: 'charts one' });
    }
    let est;
    try {
      const r = await fetch('v1/apps/' + encodeURIComponent(id) + '/estimate', { cache: 'no-store' });
      if (r.status === 404) {
        this.body.innerHTML = '<p class="flag">No app \'' + esc(id) + '\' is registered (it may have been deleted).</p>';
        return null;
      }
      if (!r.ok) throw new Error('the service answered ' + r.status);
      est = await r.json();
    } catch (err) {
      this.body.innerHTML = '<p class="flag">Cannot load the app: ' + esc(err.message) + '</p>';
      return null;
    }
    if (this.id !== id) return null; // another app was opened meanwhile
    this.render(est, typeof history === 'function' ? history(est.node) : []);
    return est;
  }

  render(e, history) {
    const a = e.allocation;
    const l = e.limits || {};
    const lim = (lo, hi, unit) => (lo === undefined && hi === undefined ? 'none' : (lo !== undefined ? 'min ' + num(lo) + ' ' + unit : '') + (lo !== undefined && hi !== undefined ? ', ' : '') + (hi !== undefined ? 'max ' + num(hi) + ' ' + unit : ''));
    const facts = [
      ['Node', e.node], ['Weight', fmt(e.weight, 2)],
      ['Cache limits', lim(l.minCacheMB, l.maxCacheMB, 'MB')], ['Bandwidth limits', lim(l.minBandwidthMbps, l.maxBandwidthMbps, 'Mbps')],
      ['Partitionable', e.partitionable === null ? 'yes (default)' : e.partitionable ? 'yes' : 'no'],
      ['Bundle', a ? num(a.cacheMB) + ' MB, ' + num(a.bandwidthMbps) + ' Mbps (epoch ' + a.epoch + ', ' + clock(a.timeMs) + ')' : 'none yet'],
      ['Normalized throughput (predicted)', a ? fmt(a.normalizedPerf, 3) + '×' : '–'],
      ['Model behind the bundle', a ? a.source + (a.source !== 'equal-share' ? ', confidence ' + fmt(a.confidence, 2) : '') : '–'],
    ];
    const m = e.model;
    const modelRows = !m ? [['Model', 'none yet: the app is held at its equal share while its telemetry is gathered']]
      : m.type === 'mrc' ? [['Shown', sourceText(e.modelSource)], ['Type', 'miss-ratio curve (' + m.mrc.length + ' points)'], ['Page size', num(m.pageBytes) + ' bytes'],
        ['Local time per access (localNs)', fmt(m.localNs, 1) + ' ns'], ['Remote time per miss (remoteNs)', fmt(m.remoteNs, 0) + ' ns']]
      : [['Shown', sourceText(e.modelSource)], ['Type', 'throughput surface (' + m.cacheMB.length + ' × ' + m.bandwidthMbps.length + ')']];
    const s = e.estimate;
    if (s) {
      modelRows.push(['Estimator confidence', fmt(s.confidence, 3) + (s.enoughData ? ' (trusted)' : ' (not trusted yet)')],
        ['Records held', s.samples === null ? '–' : num(s.samples)], ['Epochs', s.epoch === null ? '–' : num(s.epoch)],
        ['Curve from', s.mrcSource || '–'], ['Last epoch\'s error', s.lastEpochError === null ? '–' : fmt(s.lastEpochError, 3)],
        ['Confidence factors', s.parts ? Object.entries(s.parts).map(([k, v]) => k + ' ' + fmt(v, 2)).join(', ') : '–']);
    } else {
      modelRows.push(['Estimator', 'not on this replica (it runs where the node is leased) or no telemetry yet']);
    }
    const parts = a && a.partitions && a.partitions.length ? a.partitions : null;
    const partsHtml = parts
      ? '<table class="small"><caption>Partitions: the app\'s pages split by hash</caption><thead><tr><th scope="col">Share of pages</th><th scope="col">Cache</th>' +
        '<th scope="col">As if the whole app had</th><th scope="col">Miss ratio</th></tr></thead><tbody>' +
        parts.map((p) => '<tr><td class="num">' + esc(pct(p.accessShare, 1)) + '</td><td class="num">' + esc(num(p.cacheMB, 1)) + ' MB</td><td class="num">' +
          esc(p.accessShare > 0 ? num(p.cacheMB / p.accessShare, 1) + ' MB' : '–') + '</td><td class="num">' +
          esc(e.curve && p.accessShare > 0 ? fmt(missAt(e.curve, p.cacheMB / p.accessShare), 3) : '–') + '</td></tr>').join('') + '</tbody></table>'
      : '<p>Partitions: not split' + (e.partitionable === false ? ' (the data plane cannot split this app)' : '') + '.</p>';
    const rows = telemetryRows(history, e.app);
    const telHtml = rows.length
      ? '<div class="table-box"><table class="apps telemetry"><caption>Recent telemetry: means of the records of each round\'s period, newest first</caption><thead><tr>' +
        ['Period to', 'Epoch', 'Cache', 'Bandwidth', 'Throughput', 'Miss ratio', 'Page traffic', 'Records', 'Predicted', 'Measured'].map((c) => '<th scope="col">' + c + '</th>').join('') +
        '</tr></thead><tbody>' + rows.map(({ epoch, b }) => '<tr><th scope="row" data-label="Period to">' + esc(clock(b.measured.toMs)) + '</th>' +
          '<td data-label="Epoch" class="num">' + esc(epoch) + '</td>' +
          '<td data-label="Cache" class="num">' + esc(num(b.measured.cacheMB)) + ' MB</td><td data-label="Bandwidth" class="num">' + esc(num(b.measured.bandwidthMbps)) + ' Mbps</td>' +
          '<td data-label="Throughput" class="num">' + esc(rate(b.measured.throughputOpsPerSec)) + '</td><td data-label="Miss ratio" class="num">' + esc(fmt(b.measured.missRatio, 3)) + '</td>' +
          '<td data-label="Page traffic" class="num">' + esc(mbps(b.measured.pageTrafficBytesPerSec)) + '</td><td data-label="Records" class="num">' + esc(b.measured.records) + '</td>' +
          '<td data-label="Predicted" class="num">' + esc(fmt(b.normalizedPerf, 2)) + '×</td><td data-label="Measured" class="num">' + esc(b.measuredNormalized === undefined ? '–' : fmt(b.measuredNormalized, 2) + '×') + '</td></tr>').join('') +
        '</tbody></table></div>'
      : '<p class="muted">No telemetry of this app in the kept rounds yet.</p>';
    const dl = (list) => '<dl class="facts">' + list.map(([k, v]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(v) + '</dd></div>').join('') + '</dl>';
    this.body.innerHTML = dl(facts) + '<h3>Miss-ratio curve</h3><div class="curve-slot"></div><h3>Model</h3>' + dl(modelRows) + '<h3>Partitions</h3>' + partsHtml + '<h3>Telemetry</h3>' + telHtml;
    this.body.querySelector('.curve-slot').append(this.chartBox);
    this.renderCurve(e);
  }

  renderCurve(e) {
    if (!this.chart) this.chart = new Chart(this.chartBox, { title: 'Miss ratio by cache: the estimated curve, its lower convex hull and the point the app holds', yLabel: 'miss ratio', kind: 'cache', xLabel: 'cache (MB)' });
    if (!e.curve) {
      this.chart.empty.textContent = e.model ? 'a surface model has no miss-ratio curve' : 'no curve yet';
      this.chart.update([], [[]], { summary: 'no curve' });
      return;
    }
    const xs = [...new Set([...e.curve.map((p) => p[0]), ...e.hull.map((p) => p[0]), ...(e.holds ? [e.holds.cacheMB] : [])])].sort((p, q) => p - q);
    const series = [
      { label: 'curve', stroke: '#1f5fbf' },
      { label: 'convex hull', stroke: '#b4490a', dash: [6, 4] },
      { label: 'holds now', stroke: '#15803d', points: 11, spanGaps: false },
    ];
    const held = e.holds;
    this.chart.update(series, [xs, xs.map((c) => missAt(e.curve, c)), xs.map((c) => missAt(e.hull, c)), xs.map((c) => (held && c === held.cacheMB ? held.missRatio : null))], {
      summary: 'Miss-ratio curve of ' + e.app + ' over ' + e.curve.length + ' points from ' + num(e.curve[0][0]) + ' to ' + num(e.curve[e.curve.length - 1][0]) + ' MB; ' +
        'miss ratio ' + fmt(e.curve[0][1], 3) + ' at the smallest cache, ' + fmt(e.curve[e.curve.length - 1][1], 3) + ' at the largest; its convex hull has ' + e.hull.length + ' points' +
        (held ? '; the app holds ' + num(held.cacheMB) + ' MB at miss ratio ' + fmt(held.missRatio, 3) + (held.partitioned ? ' (through its partitions, on the hull)' : '') : ''),
    });
  }

  hide() {
    this.chart?.destroy();
    this.chart = null;
    this.id = null;
    this.section.innerHTML = '';
  }
}

function sourceText(s) {
  return { estimator: 'the live estimator (this replica holds the node)', persisted: 'the last model a round stored', declared: 'the model given at registration', none: 'none' }[s] || s;
}

/** The app's measured periods in the history, newest first. */
function telemetryRows(history, app) {
  const out = [];
  for (let i = history.length - 1; i >= 0 && out.length < TELEMETRY_ROWS; i--) {
    const b = history[i].bundles.find((x) => x.app === app);
    if (b && b.measured) out.push({ epoch: history[i].epoch, b });
  }
  return out;
}
