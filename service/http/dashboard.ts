// The dashboard at `/`: one static page (no build step) that reads /v1/nodes once and then follows
// /v1/events, showing each node's apps, bundles, prices and certificate as they change.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spirit: allocations</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
 h1{font-size:1.3rem;margin:0 0 .3rem} .muted{color:#777} .node{border:1px solid #ddd;border-radius:6px;padding:.8rem;margin:1rem 0}
 table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee}
 td.num{text-align:right;font-variant-numeric:tabular-nums} .bar{height:8px;background:#4a7fd0;border-radius:2px}
 .bw{background:#d08a4a} .flag{color:#b00;font-weight:600} .ok{color:#080}
</style></head><body>
<h1>Spirit: fair cache and bandwidth</h1>
<div class="muted" id="status">connecting…</div>
<div id="nodes"></div>
<script>
const nodes = new Map();
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const fmt = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '–');
function render() {
  const out = [];
  for (const n of [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const a = n.allocation, c = n.certificate || {};
    const cap = n.capacity || { cacheMB: 1, bandwidthMbps: 1 };
    const rows = (a ? a.bundles : []).map((b) => '<tr><td>' + esc(b.app) + '</td>' +
      '<td class="num">' + fmt(b.cacheMB, 0) + '</td><td><div class="bar" style="width:' + (100 * b.cacheMB / cap.cacheMB).toFixed(1) + '%"></div></td>' +
      '<td class="num">' + fmt(b.bandwidthMbps, 0) + '</td><td><div class="bar bw" style="width:' + (100 * b.bandwidthMbps / cap.bandwidthMbps).toFixed(1) + '%"></div></td>' +
      '<td class="num">' + fmt(b.normalizedPerf, 2) + '</td><td>' + esc(b.source) + '</td><td class="num">' + fmt(b.confidence, 2) + '</td></tr>').join('');
    out.push('<div class="node"><b>' + esc(n.id) + '</b> <span class="muted">' + fmt(cap.cacheMB, 0) + ' MB, ' + fmt(cap.bandwidthMbps, 0) + ' Mbps' +
      (a ? ' · epoch ' + a.epoch + ' · ' + esc(a.policy) + ' · by ' + esc(a.replica) + ' · ' + new Date(a.timeMs).toLocaleTimeString() : ' · no allocation yet') + '</span>' +
      (n.silent ? ' <span class="flag">daemon silent</span>' : '') + (n.lastError ? ' <span class="flag">' + esc(n.lastError) + '</span>' : '') +
      '<div class="muted">prices: cache ' + fmt(a && a.prices && a.prices.cache, 3) + ', bandwidth ' + fmt(a && a.prices && a.prices.bandwidth, 3) +
      ' · cleared <span class="' + (c.cleared ? 'ok' : 'flag') + '">' + esc(c.cleared) + '</span> · max envy ' + fmt(c.maxEnvy, 3) +
      ' · SI violations ' + esc((c.sharingIncentiveViolations || []).length) + (c.held ? ' · held (hysteresis)' : '') + '</div>' +
      '<table><tr><th>app</th><th>cache MB</th><th></th><th>bandwidth Mbps</th><th></th><th>perf vs equal share</th><th>model</th><th>confidence</th></tr>' + rows + '</table></div>');
  }
  document.getElementById('nodes').innerHTML = out.join('') || '<p class="muted">no nodes registered (PUT /v1/nodes/{id})</p>';
}
async function load() {
  const list = await (await fetch('v1/nodes')).json();
  for (const n of list) nodes.set(n.id, n);
  render();
}
function follow() {
  const es = new EventSource('v1/events');
  es.addEventListener('hello', () => { document.getElementById('status').textContent = 'live'; });
  es.addEventListener('allocation', (e) => {
    const doc = JSON.parse(e.data);
    const n = nodes.get(doc.node);
    if (!n) { load(); return; }
    if (n.allocation && n.allocation.epoch >= doc.epoch) return;
    n.allocation = doc; n.certificate = doc.certificate; n.silent = false;
    render();
  });
  es.onerror = () => { document.getElementById('status').textContent = 'reconnecting…'; };
}
load().then(follow, (e) => { document.getElementById('status').textContent = 'cannot load nodes: ' + e; });
setInterval(load, 30000);
</script></body></html>
`;
