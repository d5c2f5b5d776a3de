// The dashboard: reads the nodes, apps and their history once, then follows /v1/events (allocation rounds,
// registrations and deletions) and keeps every card current without a reload. A stale connection is said
// plainly in a banner. An app's view is at #/apps/{id}.
import { AppView } from './app-view.js';
import { clock } from './format.js';
import { NodeCard } from './node-card.js';

/** How often the node list is re-read (last telemetry times, silent flags, errors; a safety net for events). */
const POLL_MS = 5000;
/** The connection is stale after this many heartbeats without any event. */
const STALE_HEARTBEATS = 2.5;
/** Changes to the page kept for inspection (window.spiritDashboard.changes): what changed and what told. */
const MAX_CHANGES = 100;

const state = {
  nodes: new Map(), // id -> { view, history: [], card, loading: null, again: false }
  apps: new Map(), // id -> app record (without its model)
  skewMs: 0, // server clock minus this browser's
  heartbeatMs: 15000,
  lastHeardMs: 0,
  es: null,
  connected: false,
  lostAtMs: null,
  problem: null,
  /** node id -> when an event said it was deleted: a reading started before that must not bring it back */
  deletedAtMs: new Map(),
  /** the reading started on the last hello (null before the first) */
  loaded: null,
};
const changes = [];
/** Notes a card or row added or removed, and by what: 'event' (/v1/events), 'poll', 'load'. */
function note(what, by) {
  changes.push({ what, by, atMs: Date.now() });
  if (changes.length > MAX_CHANGES) changes.shift();
}
window.spiritDashboard = { changes };
const $ = (id) => document.getElementById(id);
const nodesBox = $('nodes');
const appView = new AppView($('app-view'));
const serverNow = () => Date.now() + state.skewMs;

async function getJson(path, signal) {
  const r = await fetch(path, { cache: 'no-store', signal });
  if (!r.ok) throw new Error(path + ' answered ' + r.status);
  const date = Date.parse(r.headers.get('date') || '');
  if (Number.isFinite(date) && !state.connected) state.skewMs = date - Date.now();
  return r.json();
}

// --- state ------------------------------------------------------------------------------------------------

function entry(id, by) {
  let n = state.nodes.get(id);
  if (!n) {
    note('node added ' + id, by);
    n = { view: null, history: [], card: new NodeCard(id), loading: null, again: false, abort: null };
    state.nodes.set(id, n);
    placeCard(n.card);
  }
  return n;
}

/** Cards stay sorted by node id. */
function placeCard(card) {
  const after = [...nodesBox.querySelectorAll('article.node')].find((el) => el.dataset.node.localeCompare(card.id) > 0);
  nodesBox.insertBefore(card.el, after || null);
  $('no-nodes').hidden = true;
}

function removeNode(id, by) {
  const n = state.nodes.get(id);
  if (!n) return;
  note('node removed ' + id, by);
  n.abort?.abort(); // its history is not wanted any more
  if (by === 'event') state.deletedAtMs.set(id, Date.now());
  n.card.destroy();
  state.nodes.delete(id);
  $('no-nodes').hidden = state.nodes.size > 0;
}

function render(id) {
  const n = state.nodes.get(id);
  if (n && n.view) n.card.update(n.view, state.apps, n.history, serverNow());
  n?.card.tick(serverNow());
}

/** A node's view as the list gives it, with a newer allocation already seen kept. */
function setView(view, by) {
  const n = entry(view.id, by);
  const had = n.view && n.view.allocation;
  if (had && (!view.allocation || view.allocation.epoch < had.epoch) && view.createdMs === n.view.createdMs) {
    view.allocation = had;
    view.certificate = n.view.certificate;
  }
  n.view = view;
}

/** The nodes of a reading started at `startedMs`, less those an event deleted after it started. */
function fresh(nodes, startedMs) {
  for (const [id, at] of state.deletedAtMs) if (Date.now() - at > 60000) state.deletedAtMs.delete(id);
  return nodes.filter((v) => !(state.deletedAtMs.get(v.id) >= startedMs));
}

async function loadAll() {
  const startedMs = Date.now();
  const [all, apps] = await Promise.all([getJson('v1/nodes'), getJson('v1/apps')]);
  const nodes = fresh(all, startedMs);
  state.apps = new Map(apps.map((a) => [a.id, a]));
  const seen = new Set(nodes.map((x) => x.id));
  for (const id of [...state.nodes.keys()]) if (!seen.has(id)) removeNode(id, 'load');
  for (const v of nodes) setView(v, 'load');
  await Promise.all(nodes.map((v) => refreshHistory(v.id, true)));
  for (const v of nodes) render(v.id);
  $('no-nodes').hidden = state.nodes.size > 0;
  showConnection(); // the status names the node count
}

/** Re-reads the node's recent rounds (from the round before the newest kept one: its measurement arrives later). */
async function refreshHistory(id, whole = false) {
  const n = state.nodes.get(id);
  if (!n) return;
  if (n.loading) { n.again = true; return n.loading; }
  const have = n.history;
  const since = !whole && have.length ? have[have.length - 1].epoch - 1 : 0;
  n.abort = new AbortController();
  n.loading = getJson('v1/nodes/' + encodeURIComponent(id) + '/history' + (since > 0 ? '?since=' + since : ''), n.abort.signal)
    .then((doc) => {
      const kept = since > 0 ? n.history.filter((e) => e.epoch < since) : [];
      n.history = kept.concat(doc.rounds).slice(-doc.maxRounds);
    })
    .catch(() => { /* a deleted node answers 404; the next event or poll tells */ })
    .finally(() => {
      n.loading = null;
      if (state.nodes.get(id) !== n) return; // removed meanwhile
      render(id);
      if (appView.id && state.apps.get(appView.id)?.node === id) showRoute();
      if (n.again) { n.again = false; void refreshHistory(id); }
    });
  return n.loading;
}

// --- events -----------------------------------------------------------------------------------------------

function onAllocation(doc) {
  const n = state.nodes.get(doc.node);
  if (!n || !n.view) { void loadNode(doc.node); return; }
  const cur = n.view.allocation;
  if (cur && cur.epoch >= doc.epoch) return;
  const { certificate, ...rest } = doc;
  n.view.allocation = rest;
  n.view.certificate = certificate;
  n.view.lastRoundMs = doc.timeMs;
  void refreshHistory(doc.node);
}

async function loadNode(id) {
  try {
    setView(await getJson('v1/nodes/' + encodeURIComponent(id)), 'allocation');
    await refreshHistory(id, true);
  } catch { /* gone again */ }
}

function onRegistry(ev) {
  note(ev.kind + ' ' + ev.change + ' ' + ev.id, 'event');
  if (ev.kind === 'node') {
    if (ev.change === 'deleted') { removeNode(ev.id, 'event'); return; }
    state.deletedAtMs.delete(ev.id);
    const n = entry(ev.id, 'event');
    if (!n.view || ev.change === 'registered') {
      n.view = { ...ev.record, apps: [], allocation: null, certificate: null, lastTelemetryMs: null, silent: false, lastRoundMs: null, lastError: null, leaseHolder: null };
      n.history = [];
    } else {
      n.view = { ...n.view, ...ev.record };
    }
    render(ev.id);
    return;
  }
  const prev = state.apps.get(ev.id);
  for (const n of state.nodes.values()) if (n.view) n.view.apps = n.view.apps.filter((a) => a !== ev.id);
  if (ev.change === 'deleted') state.apps.delete(ev.id);
  else {
    state.apps.set(ev.id, ev.record);
    const n = state.nodes.get(ev.node);
    if (n && n.view) n.view.apps = [...n.view.apps, ev.id].sort();
  }
  if (prev) render(prev.node);
  render(ev.node);
  if (appView.id === ev.id) showRoute();
}

function follow() {
  state.es?.close();
  // with an API token (and events not left open), open the dashboard as /?token=... : EventSource cannot send
  // headers, so the token goes in the stream's query (the route takes it there, and only there)
  const token = new URLSearchParams(location.search).get('token');
  const es = new EventSource('v1/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
  state.es = es;
  const heard = () => { state.lastHeardMs = Date.now(); };
  es.addEventListener('hello', (e) => {
    heard();
    const hello = JSON.parse(e.data);
    state.heartbeatMs = hello.heartbeatMs || state.heartbeatMs;
    if (typeof hello.timeMs === 'number') state.skewMs = hello.timeMs - Date.now();
    connection(true);
    // read everything once connected (again after a reconnect): what changed before this is in the reading,
    // what changes after it comes as events
    state.loaded = loadAll().catch((err) => problem('cannot read the nodes (' + err.message + ')'));
  });
  es.addEventListener('ping', (e) => { heard(); const p = JSON.parse(e.data); if (typeof p.timeMs === 'number') state.skewMs = p.timeMs - Date.now(); });
  es.addEventListener('allocation', (e) => { heard(); onAllocation(JSON.parse(e.data)); });
  es.addEventListener('registry', (e) => { heard(); onRegistry(JSON.parse(e.data)); });
  es.onerror = () => {
    connection(false);
    // the browser retries by itself unless the stream was refused; then try again here
    if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (state.es === es) follow(); }, 3000);
  };
}

// --- connection state and the banner -----------------------------------------------------------------------

function connection(ok) {
  if (ok === state.connected && state.problem === null) return;
  state.connected = ok;
  if (ok) { state.lostAtMs = null; state.problem = null; }
  else if (state.lostAtMs === null) state.lostAtMs = Date.now();
  showConnection();
}

function problem(text) {
  state.problem = text;
  showConnection();
}

function showConnection() {
  const banner = $('banner');
  const status = $('status');
  if (state.connected && state.problem === null) {
    banner.hidden = true;
    status.textContent = 'Live: following the service (' + state.nodes.size + ' node' + (state.nodes.size === 1 ? '' : 's') + ').';
    return;
  }
  const since = state.lostAtMs !== null ? ' since ' + clock(state.lostAtMs) : '';
  banner.textContent = (state.connected ? '' : 'Lost the connection to the service' + since + '. ') +
    (state.problem ? 'Problem: ' + state.problem + '. ' : '') + 'Reconnecting… The figures below may be out of date.';
  banner.hidden = false;
  status.textContent = 'Disconnected' + since + '.';
}

/** A connection that says nothing for several heartbeats is dead even if the socket looks open. */
function checkStale() {
  if (!state.connected) return;
  const quietMs = Date.now() - state.lastHeardMs;
  if (quietMs > STALE_HEARTBEATS * state.heartbeatMs) {
    connection(false);
    follow();
  }
}

async function poll() {
  try {
    const startedMs = Date.now();
    const nodes = fresh(await getJson('v1/nodes'), startedMs);
    const seen = new Set(nodes.map((x) => x.id));
    for (const id of [...state.nodes.keys()]) if (!seen.has(id)) removeNode(id, 'poll');
    for (const v of nodes) {
      const fresh = !state.nodes.has(v.id);
      setView(v, 'poll');
      render(v.id);
      if (fresh) void refreshHistory(v.id, true);
    }
    if (state.problem) { state.problem = null; showConnection(); }
  } catch (err) {
    problem('cannot read the nodes (' + err.message + ')');
  }
}

// --- routes ---------------------------------------------------------------------------------------------

function showRoute() {
  const m = /^#\/apps\/(.+)$/.exec(location.hash);
  const section = $('app-view');
  if (m) {
    const id = decodeURIComponent(m[1]);
    const opening = appView.id !== id;
    section.hidden = false;
    nodesBox.hidden = true;
    document.title = 'Spirit: app ' + id;
    void appView.show(id, (node) => state.nodes.get(node)?.history || []).then(() => { if (opening) $('app-title')?.focus(); });
  } else {
    if (appView.id) appView.hide();
    section.hidden = true;
    nodesBox.hidden = false;
    document.title = 'Spirit: allocations';
  }
}

window.addEventListener('hashchange', showRoute);
setInterval(() => { for (const n of state.nodes.values()) n.card.tick(serverNow()); checkStale(); }, 1000);
setInterval(poll, POLL_MS);
follow();
showRoute();
// the event stream may be refused (too many clients): show what a plain reading gives meanwhile
setTimeout(() => { if (!state.loaded) loadAll().catch((err) => problem('cannot read the nodes (' + err.message + ')')); }, 3000);
