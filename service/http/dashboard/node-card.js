// One node's card: what it is and how it is doing (capacity, epoch, policy, replica, time since the last round
// and the last telemetry, prices), its apps' bundles with what was predicted and what was measured, the
// history charts, and the certificate in full.
import { Chart, markerLegend } from './charts.js';
import { ago, bar, clock, colourOf, esc, fmt, h, mbps, num, pct, rate } from './format.js';

/** Apps drawn in a node's charts: more lines than this are unreadable (the table lists every app). */
export const MAX_CHART_APPS = 12;

const SOURCE_TEXT = { estimated: 'estimated', persisted: 'persisted', declared: 'declared', 'equal-share': 'equal share (no model yet)' };

export class NodeCard {
  constructor(id) {
    this.id = id;
    const slug = 'node-' + id.replace(/[^A-Za-z0-9_-]/g, '_');
    this.title = h('h2', { id: slug + '-title' }, id);
    this.meta = h('p', { class: 'meta' });
    this.health = h('p', { class: 'meta' });
    this.tableBox = h('div', { class: 'table-box' });
    this.chartBox = h('div', { class: 'charts' });
    this.certBody = h('div', { class: 'cert-body' });
    this.certSummary = h('summary', {}, 'Certificate');
    this.el = h('article', { class: 'node', id: slug, 'aria-labelledby': slug + '-title', 'data-node': id },
      h('header', {}, this.title, this.meta, this.health), this.tableBox,
      h('h3', {}, 'History'), this.chartBox, markerLegend(),
      h('details', { class: 'cert', open: true }, this.certSummary, this.certBody));
    this.charts = {
      cache: new Chart(this.chartBox, { title: 'Cache (MB) per app', yLabel: 'MB' }),
      bandwidth: new Chart(this.chartBox, { title: 'Bandwidth (Mbps) per app', yLabel: 'Mbps' }),
      perf: new Chart(this.chartBox, { title: 'Normalized throughput: predicted (solid) and measured (dashed)', yLabel: 'x equal share' }),
      prices: new Chart(this.chartBox, { title: 'Prices (share of budget per share of capacity)', yLabel: 'price' }),
    };
  }

  /** node: the NodeView; apps: Map id -> app record; history: rounds oldest first; nowMs: server time. */
  update(node, apps, history, nowMs) {
    this.node = node;
    this.renderMeta(node, nowMs);
    this.renderTable(node, apps, history);
    this.renderCharts(node, history);
    this.renderCertificate(node.certificate, node.allocation);
  }

  /** Ages only (every second). */
  tick(nowMs) { if (this.node) this.renderHealth(this.node, nowMs); }

  renderMeta(node) {
    const a = node.allocation;
    const cap = node.capacity;
    this.meta.innerHTML = esc(num(cap.cacheMB) + ' MB cache · ' + num(cap.bandwidthMbps) + ' Mbps bandwidth') +
      (a ? ' · epoch ' + esc(a.epoch) + ' · ' + esc(a.policy) + ' · by ' + esc(a.replica) +
        (a.prices ? ' · prices: cache ' + esc(fmt(a.prices.cache, 3)) + ', bandwidth ' + esc(fmt(a.prices.bandwidth, 3)) : '')
        : ' · no allocation yet (the first round comes once the node has apps)');
  }

  renderHealth(node, nowMs) {
    const a = node.allocation;
    this.health.innerHTML = 'last round <span class="age">' + esc(a ? ago(a.timeMs, nowMs) : 'none yet') + '</span>' +
      ' · last telemetry <span class="age">' + esc(ago(node.lastTelemetryMs, nowMs)) + '</span>' +
      (node.silent ? ' <strong class="flag">daemon silent: the node keeps its last allocation</strong>' : '') +
      (node.lastError ? ' <strong class="flag">round failed: ' + esc(node.lastError) + '</strong>' : '');
  }

  /**
   * The apps' table. Rebuilt only when its rows change (apps come or go, a bundle appears); otherwise each
   * cell whose text changed is updated in place, so a link being clicked or focused is never replaced.
   */
  renderTable(node, apps, history) {
    const a = node.allocation;
    const cap = node.capacity;
    const ids = [...new Set([...(node.apps || []), ...(a ? a.bundles.map((b) => b.app) : [])])].filter((x) => apps.has(x)).sort();
    const bundles = new Map((a ? a.bundles : []).map((b) => [b.app, b]));
    const measured = latestMeasured(history);
    const caption = 'Apps on ' + node.id + (a ? ': bundles of epoch ' + a.epoch : '') +
      '. Predicted and measured throughput are normalized to the app\'s equal share; measured figures are the means of the last period\'s telemetry.';
    // per row: [data-label, class, inner HTML, colspan?] of each cell after the app's name
    const rows = ids.map((id) => {
      const b = bundles.get(id);
      const app = apps.get(id);
      const m = measured.get(id);
      const parts = b && b.partitions && b.partitions.length > 1
        ? '<span class="sub">split: ' + b.partitions.map((p) => esc(pct(p.accessShare) + ' of pages, ' + num(p.cacheMB) + ' MB')).join('; ') + '</span>' : '';
      return [
        ['Weight', 'num', esc(app ? fmt(app.weight, 2) : '–')],
        ...(b ? [
          ['Cache', 'num', esc(num(b.cacheMB)) + ' MB' + bar(b.cacheMB / cap.cacheMB, 'cache', 'cache') + parts],
          ['Bandwidth', 'num', esc(num(b.bandwidthMbps)) + ' Mbps' + bar(b.bandwidthMbps / cap.bandwidthMbps, 'bandwidth', 'bw')],
          ['Predicted', 'num', esc(fmt(b.normalizedPerf, 2)) + '×'],
        ] : [['Bundle', 'muted', 'waiting for the next round', 3]]),
        ['Measured', 'num', esc(m && m.norm !== undefined ? fmt(m.norm, 2) + '×' : '–')],
        ['Throughput', 'num', esc(m ? rate(m.m.throughputOpsPerSec) : '–')],
        ['Miss ratio', 'num', esc(m ? fmt(m.m.missRatio, 3) : '–')],
        ['Page traffic', 'num', esc(m ? mbps(m.m.pageTrafficBytesPerSec) : '–')],
        ['Model', '', esc(b ? SOURCE_TEXT[b.source] || b.source : '–') + (b && b.source !== 'equal-share' ? ', confidence ' + esc(fmt(b.confidence, 2)) : '')],
      ];
    });
    const shape = JSON.stringify(ids.map((id) => [id, bundles.has(id)]));
    const table = this.tableBox.querySelector('table');
    if (table && shape === this.shape) {
      const captionEl = table.querySelector('caption');
      if (captionEl.textContent !== caption) captionEl.textContent = caption;
      table.querySelectorAll('tbody tr').forEach((tr, i) => {
        rows[i].forEach(([, , inner], j) => {
          const td = tr.children[j + 1];
          if (this.cells[i][j] !== inner) { td.innerHTML = inner; this.cells[i][j] = inner; }
        });
      });
      return;
    }
    this.shape = shape;
    this.cells = rows.map((r) => r.map((c) => c[2]));
    this.tableBox.innerHTML = ids.length === 0
      ? '<p class="muted">No apps on this node yet (PUT /v1/apps/{id} with "node": "' + esc(node.id) + '").</p>'
      : '<table class="apps"><caption>' + esc(caption) + '</caption>' +
        '<thead><tr><th scope="col">App</th><th scope="col">Weight</th><th scope="col">Cache</th><th scope="col">Bandwidth</th><th scope="col">Predicted</th>' +
        '<th scope="col">Measured</th><th scope="col">Throughput</th><th scope="col">Miss ratio</th><th scope="col">Page traffic</th><th scope="col">Model</th></tr></thead><tbody>' +
        ids.map((id, i) => '<tr><th scope="row" data-label="App"><span class="swatch" style="background:' + colourOf(ids, id) + '" aria-hidden="true"></span>' +
          '<a href="#/apps/' + encodeURIComponent(id) + '">' + esc(id) + '</a></th>' +
          rows[i].map(([label, cls, inner, span]) => '<td data-label="' + label + '"' + (cls ? ' class="' + cls + '"' : '') + (span ? ' colspan="' + span + '"' : '') + '>' + inner + '</td>').join('') +
          '</tr>').join('') + '</tbody></table>';
  }

  renderCharts(node, history) {
    const all = [...new Set(history.flatMap((e) => e.bundles.map((b) => b.app)))].sort();
    const shown = all.slice(0, MAX_CHART_APPS);
    const x = history.map((e) => e.timeMs / 1000);
    const markers = history.filter((e) => e.marker).map((e) => ({ x: e.timeMs / 1000, kind: e.marker }));
    const counts = { changed: 0, step: 0, held: 0 };
    for (const m of markers) counts[m.kind]++;
    const span = history.length ? ' over the last ' + history.length + ' rounds (' + clock(history[0].timeMs) + ' to ' + clock(history[history.length - 1].timeMs) + ')' : '';
    const more = all.length > shown.length ? ' (' + shown.length + ' of ' + all.length + ' apps shown)' : '';
    const markText = '; markers: ' + counts.changed + ' changed, ' + counts.step + ' partial steps, ' + counts.held + ' held';
    const col = (id) => colourOf(all, id);
    const value = (e, id, f) => { const b = e.bundles.find((y) => y.app === id); return b ? f(b) : null; };
    const last = history[history.length - 1];
    const latest = (f, unit, d) => (last ? '; latest: ' + shown.map((id) => id + ' ' + fmt(value(last, id, f), d) + unit).join(', ') : '');

    this.charts.cache.update(shown.map((id) => ({ label: id, stroke: col(id) })),
      [x, ...shown.map((id) => history.map((e) => value(e, id, (b) => b.cacheMB)))],
      { markers, summary: 'Cache per app' + span + more + latest((b) => b.cacheMB, ' MB', 0) + markText });
    this.charts.bandwidth.update(shown.map((id) => ({ label: id, stroke: col(id) })),
      [x, ...shown.map((id) => history.map((e) => value(e, id, (b) => b.bandwidthMbps)))],
      { markers, summary: 'Bandwidth per app' + span + more + latest((b) => b.bandwidthMbps, ' Mbps', 0) + markText });
    const lastMeasured = latestMeasured(history);
    this.charts.perf.update(shown.flatMap((id) => [
      { label: id + ' predicted', stroke: col(id) },
      { label: id + ' measured', stroke: col(id), dash: [6, 4], points: 5 },
    ]), [x, ...shown.flatMap((id) => [
      history.map((e) => value(e, id, (b) => b.normalizedPerf)),
      history.map((e) => value(e, id, (b) => (b.measuredNormalized === undefined ? null : b.measuredNormalized))),
    ])], {
      markers,
      summary: 'Normalized throughput per app, predicted and measured' + span + more +
        (last ? '; latest: ' + shown.map((id) => id + ' predicted ' + fmt(value(last, id, (b) => b.normalizedPerf), 2) +
          ', measured ' + fmt(lastMeasured.get(id)?.norm, 2)).join('; ') : '') + markText,
    });
    this.charts.prices.update([{ label: 'cache', stroke: '#1f5fbf' }, { label: 'bandwidth', stroke: '#b4490a' }],
      [x, history.map((e) => (e.prices ? e.prices.cache : null)), history.map((e) => (e.prices ? e.prices.bandwidth : null))],
      { markers, summary: 'Prices' + span + (last && last.prices ? '; latest: cache ' + fmt(last.prices.cache, 3) + ', bandwidth ' + fmt(last.prices.bandwidth, 3) : '') + markText });
  }

  renderCertificate(c, a) {
    if (!c) {
      this.certSummary.textContent = 'Certificate: none yet';
      this.certBody.innerHTML = '<p class="muted">The certificate comes with the first round.</p>';
      return;
    }
    const yes = (v) => (v ? 'yes' : 'no');
    const si = c.sharingIncentiveViolations || [];
    const envious = c.envious || [];
    this.certSummary.innerHTML = 'Certificate: ' + (c.cleared ? 'cleared' : '<strong class="flag">not cleared</strong>') +
      ' · max envy ' + esc(fmt(c.maxEnvy, 3)) + ' · ' + (si.length ? '<strong class="flag">' + si.length + ' below their equal share</strong>' : 'sharing incentive holds') +
      (c.held ? ' · held' : '');
    const facts = [
      ['Cleared (every resource sold or nobody wants more)', yes(c.cleared)],
      ['Price-search iterations', num(c.iterations)],
      ['Leftover cache', num(c.leftoverCacheMB, 1) + ' MB'],
      ['Leftover bandwidth', num(c.leftoverBandwidthMbps, 1) + ' Mbps'],
      ['Max envy', fmt(c.maxEnvy, 4)],
      ['Geometric mean of normalized throughput', fmt(c.geoMeanPerf, 3)],
      ['Minimum normalized throughput', fmt(c.minPerf, 3)],
      ['Every app at its maximum', c.allAtMaximum === undefined ? '–' : yes(c.allAtMaximum)],
      ['Trust region (live control)', c.trustRegion === undefined ? '–' : yes(c.trustRegion)],
      ['Held by hysteresis', yes(c.held)],
      ['Step toward the equilibrium', c.step ? 'cache ' + pct(c.step.fractionCache) + ', bandwidth ' + pct(c.step.fractionBandwidth) + ' of the way' : 'all the way (or held)'],
      ['Solve time', a ? fmt(a.elapsedMs, 2) + ' ms' + (a.engine ? ' (' + a.engine + ')' : '') : '–'],
    ];
    let html = '<dl class="facts">' + facts.map(([k, v]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(v) + '</dd></div>').join('') + '</dl>';
    html += envious.length
      ? '<table class="small"><caption>Envy: the app that would gain most with another\'s bundle (scaled by weight), and how much</caption><thead><tr><th scope="col">App</th><th scope="col">Envies</th><th scope="col">Would gain</th></tr></thead><tbody>' +
        envious.map((e) => '<tr><td>' + esc(e.app) + '</td><td>' + esc(e.envies) + '</td><td class="num">' + esc((e.ratio > 0 ? '+' : '') + pct(e.ratio, 2)) + '</td></tr>').join('') + '</tbody></table>'
      : '<p>Envy: no app would do better with another\'s bundle' + (c.maxEnvy > 0 ? ' beyond the tolerance (max envy ' + esc(fmt(c.maxEnvy, 4)) + ')' : '') + '.</p>';
    html += si.length
      ? '<p><strong class="flag">Sharing incentive violated</strong> for: ' + si.map(esc).join(', ') + ' (below their weighted equal share).</p>'
      : '<p>Sharing incentive: every app does at least as well as with its weighted equal share.</p>';
    const q = c.equilibrium;
    if (q) {
      const budgets = Object.entries(q.budgets || {});
      html += '<h4>Equilibrium (convexified market)</h4><dl class="facts">' +
        [['Exact', yes(q.exact)], ['Best-response gap', fmt(q.bestResponseGap, 6)], ['Dividend', fmt(q.dividend, 4)]]
          .map(([k, v]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(v) + '</dd></div>').join('') + '</dl>' +
        (budgets.length ? '<table class="small"><caption>Budgets at the equilibrium</caption><thead><tr><th scope="col">App</th><th scope="col">Budget</th></tr></thead><tbody>' +
          budgets.map(([app, v]) => '<tr><td>' + esc(app) + '</td><td class="num">' + esc(fmt(v, 4)) + '</td></tr>').join('') + '</tbody></table>' : '');
    }
    this.certBody.innerHTML = html;
  }

  destroy() {
    for (const c of Object.values(this.charts)) c.destroy();
    this.el.remove();
  }
}

/** Each app's newest measurement in the history: app -> { m: measured means, norm: measured normalized }. */
export function latestMeasured(history) {
  const out = new Map();
  for (let i = history.length - 1; i >= 0; i--) {
    for (const b of history[i].bundles) if (b.measured && !out.has(b.app)) out.set(b.app, { m: b.measured, norm: b.measuredNormalized, epoch: history[i].epoch });
  }
  return out;
}
