// The dashboard and the API reference in a real browser (Debian's Chromium, driven by playwright-core),
// against a real `spirit serve` (in-process bus, WASM market) fed by a daemon stand-in posting telemetry over
// HTTP. It checks what an operator relies on: charts drawn from the kept history with measured figures, the
// certificate, registrations and deletions shown as they happen without a reload, an app's own view, the 390 px
// layout, contrast, landmarks and captions, no console errors, nothing loaded from another origin, /docs, and
// a stale connection shown plainly. Screenshots go to out/ (README shows one, copied to docs/).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServe } from '../../service/http/serve.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import type { MrcModel } from '../../service/scenario/types.ts';
import { standIn, type StandIn } from './stand-in.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'out');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token';
/** Waits on a machine busy with other suites and other builds (load averages of 20-40 were seen on 2 cores):
 *  correctness is tested here, never speed. */
const POLL = { timeout: 150_000, interval: 250 };
const PAGE_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = 400_000;

let running: Awaited<ReturnType<typeof startServe>> | null = null;
let browser: Browser;
let daemon: StandIn;
let origin: string;
const scenario = JSON.parse(readFileSync(join(ROOT, 'examples', 'stream-vs-kvs.json'), 'utf8')) as { capacity: { cacheMB: number; bandwidthMbps: number }; apps: { model: MrcModel }[] };
const [streamModel, kvsModel] = scenario.apps.map((a) => a.model);

async function call(method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(origin + path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

/** A page that records console errors, failed or refused requests and requests to any other origin. */
async function open(width: number, path = '/'): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // the event stream is cut when a test stops the service; a request the page cancels itself is no failure
  page.on('requestfailed', (r) => {
    if (!r.url().includes('/v1/events') && r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/') && !r.url().startsWith('data:')) problems.push(`another origin: ${r.url()}`); });
  // the service has a token, so its event stream needs it: the dashboard takes it from its address (?token=)
  const [route, hash] = path.split('#');
  await page.goto(`${origin}${route}?token=${TOKEN}${hash !== undefined ? `#${hash}` : ''}`, { timeout: PAGE_TIMEOUT_MS });
  return { page, problems };
}

/** Pixels drawn on a chart's canvas (uPlot's background is transparent). */
const inked = (page: Page, selector: string) => page.locator(selector).first().evaluate((el) => {
  const c = el.querySelector('canvas');
  if (!c) return 0;
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
});

const labels = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));

/** Every visible text's contrast against the background it sits on (WCAG 2 relative luminance). */
const worstContrast = (page: Page) => page.evaluate(() => {
  const lum = (rgb: number[]) => {
    const [r, g, b] = rgb.map((v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
  const bgOf = (el: Element | null): number[] => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = { ratio: 21, text: '' };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement!;
    if (!n.textContent!.trim() || !el.checkVisibility() || el.closest('[aria-hidden="true"]')) continue;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(bgOf(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: n.textContent!.trim().slice(0, 60) };
  }
  return worst;
});

describe('dashboard in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    mkdirSync(OUT, { recursive: true });
    running = await startServe({ port: 0, host: '127.0.0.1', engine: 'wasm', intervalMs: 500, token: TOKEN }, pino({ level: 'silent' }));
    origin = running.server.url;
    await call('PUT', '/v1/nodes/web1', { capacity: scenario.capacity });
    await call('PUT', '/v1/apps/web1.stream', { node: 'web1', model: streamModel });
    await call('PUT', '/v1/apps/web1.kvs', { node: 'web1', model: kvsModel, weight: 1, limits: { maxCacheMB: 3000 } });
    await call('PUT', '/v1/apps/web1.learner', { node: 'web1' }); // no model: learned from its telemetry
    daemon = standIn(origin, TOKEN, 'web1', () => [
      { id: 'web1.stream', model: streamModel }, { id: 'web1.kvs', model: kvsModel }, { id: 'web1.learner', model: kvsModel },
    ], 200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    daemon?.stop();
    await browser?.close();
    await running?.stop();
  });

  it('a page opened late draws the kept history: charts with data, measured figures, ages, the certificate in full', async () => {
    // rounds run before any page is open: the history route must give them to the page
    await expect.poll(async () => ((await (await fetch(`${origin}/v1/nodes/web1/history`)).json()) as { rounds: unknown[] }).rounds.length, POLL).toBeGreaterThan(5);
    const { page, problems } = await open(1280);
    const card = '[data-node="web1"]';
    const perf = () => labels(page, `${card} .chart`);
    await expect.poll(async () => (await perf()).join('\n'), POLL).toMatch(/Normalized throughput[^\n]*over the last ([6-9]|\d\d+) rounds[^\n]*web1\.stream predicted [\d.]+, measured [\d.]+/);
    const charts = await perf();
    expect(charts).toHaveLength(4);
    for (const l of charts) expect(l).toMatch(/over the last \d+ rounds/);
    for (let i = 1; i <= 4; i++) expect(await inked(page, `${card} .figure:nth-child(${i}) .chart`), `chart ${i}`).toBeGreaterThan(500);
    expect(charts[0]).toMatch(/markers: \d+ changed, \d+ partial steps, \d+ held/);

    // the market gives the stream its cliff: far above its equal share, as predicted and as measured
    const row = page.locator(`${card} tr`, { has: page.locator('a', { hasText: 'web1.stream' }) });
    await expect.poll(async () => Number.parseFloat(await row.locator('td[data-label="Measured"]').innerText()), POLL).toBeGreaterThan(2);
    expect(Number.parseFloat(await row.locator('td[data-label="Predicted"]').innerText())).toBeGreaterThan(2);
    expect(await row.locator('td[data-label="Throughput"]').innerText()).toMatch(/\d(\.\d)?[kM]?\/s/);
    expect(await row.locator('td[data-label="Miss ratio"]').innerText()).toMatch(/^0\.\d{3}$/);
    expect(await row.locator('td[data-label="Page traffic"]').innerText()).toMatch(/MiB\/s/);
    // bars carry their share as text and for screen readers, and are wide enough to read
    // (read in one go inside the page: the rows are redrawn every round)
    const bar = await page.evaluate(() => {
      const b = Array.from(document.querySelectorAll('[data-node="web1"] tr')).find((tr) => tr.querySelector('a')?.textContent === 'web1.stream')!.querySelector('.bar.cache')!;
      return { label: b.getAttribute('aria-label'), role: b.getAttribute('role'), width: b.getBoundingClientRect().width };
    });
    expect(bar.role).toBe('img');
    expect(bar.label).toMatch(/^\d+% of the node's cache$/);
    expect(bar.width).toBeGreaterThan(90);
    await expect.poll(() => page.locator(`${card} .meta`).nth(1).innerText(), POLL).toMatch(/last telemetry \d+ s ago/);

    const cert = await page.locator(`${card} details.cert`).innerText();
    for (const text of ['Leftover cache', 'Leftover bandwidth', 'Max envy', 'Geometric mean of normalized throughput', 'Minimum normalized throughput', 'Sharing incentive']) {
      expect(cert).toContain(text);
    }
    expect(cert).toMatch(/Envy: /);

    // landmarks, captions, a live status, contrast
    expect(await page.locator('main').count()).toBe(1);
    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('#status').innerText()).toMatch(/^Live/);
    // every table of ours has a caption (uPlot's legends sit inside the charts, whose text alternative speaks for them)
    const tables = await page.locator('table:not(.u-legend)').all();
    expect(tables.length).toBeGreaterThanOrEqual(1);
    for (const t of tables) expect((await t.locator('caption').innerText()).length).toBeGreaterThan(10);
    expect(await page.locator('.u-legend').evaluateAll((ls) => ls.every((l) => l.closest('[role="img"][aria-label]') !== null))).toBe(true);
    const worst = await worstContrast(page);
    expect(worst.ratio, `"${worst.text}"`).toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, TEST_TIMEOUT_MS);

  it('registrations appear and deletions disappear as they happen, without a reload', async () => {
    const { page, problems } = await open(1280);
    await page.locator('[data-node="web1"]').waitFor();
    await expect.poll(() => page.locator('#status').innerText(), POLL).toMatch(/^Live/); // following /v1/events
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
    const changes = () => page.evaluate(() => (window as unknown as { spiritDashboard: { changes: { what: string; by: string }[] } }).spiritDashboard.changes.map((c) => `${c.what} by ${c.by}`));

    await call('PUT', '/v1/nodes/web2', { capacity: { cacheMB: 1024, bandwidthMbps: 1000 } });
    await expect.poll(() => page.locator('[data-node="web2"]').innerText().catch(() => ''), POLL).toMatch(/no allocation yet/);
    await call('PUT', '/v1/apps/web2.solo', { node: 'web2', model: kvsModel, limits: { maxCacheMB: 512 } });
    await page.locator('[data-node="web2"] a', { hasText: 'web2.solo' }).waitFor();
    await call('DELETE', '/v1/apps/web2.solo');
    await page.locator('[data-node="web2"] a', { hasText: 'web2.solo' }).waitFor({ state: 'detached' });
    await call('DELETE', '/v1/nodes/web2');
    await page.locator('[data-node="web2"]').waitFor({ state: 'detached' });

    // each change came to the page as a server-sent event (the periodic re-read of the nodes is only a safety
    // net: on a very busy machine it may add or remove the card first), and the page was never reloaded
    await expect.poll(changes, POLL).toEqual(expect.arrayContaining([
      'node registered web2 by event', 'app registered web2.solo by event', 'app deleted web2.solo by event', 'node deleted web2 by event',
    ]));
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // a read of web2 that was on its way when web2 was deleted may be answered 404 (a real race, handled by the
    // page); nothing else may go wrong
    expect(problems.filter((p) => !/\/v1\/(nodes\/web2|apps\/web2\.solo)\b/.test(p))).toEqual([]);
    await page.close();
  }, TEST_TIMEOUT_MS);

  it('an app opens in its own view (by click and by its URL): curve, hull, the point it holds, model, limits, telemetry', async () => {
    const { page, problems } = await open(1280);
    await page.locator('[data-node="web1"] a', { hasText: 'web1.stream' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/apps/web1.stream');
    expect(await page.locator('#nodes').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#app-title').innerText(), POLL).toBe('App web1.stream');
    const curve = '#app-view .chart';
    await expect.poll(async () => (await labels(page, curve))[0] ?? '', POLL).toMatch(/convex hull has \d+ points; the app holds [\d,]+ MB at miss ratio [\d.]+/);
    const [label] = await labels(page, curve);
    const points = Number(/over (\d+) points/.exec(label)![1]);
    const hull = Number(/hull has (\d+) points/.exec(label)![1]);
    expect(hull).toBeLessThan(points); // the stream's cliff is bridged by its hull
    expect(await inked(page, curve)).toBeGreaterThan(500);
    const body = await page.locator('#app-view').innerText();
    for (const text of ['Weight', 'Cache limits', 'Bandwidth limits', 'Remote time per miss', 'Page size', 'Partitions', 'Recent telemetry']) expect(body).toContain(text);
    await expect.poll(() => page.locator('#app-view table.telemetry tbody tr').count(), POLL).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'app-view.png'), fullPage: true });
    await page.locator('#app-view a', { hasText: 'all nodes' }).click();
    await page.locator('#nodes').waitFor({ state: 'visible' });
    await page.close();

    const direct = await open(1280, '/#/apps/web1.kvs');
    await expect.poll(() => direct.page.locator('#app-title').innerText(), POLL).toBe('App web1.kvs');
    await expect.poll(() => direct.page.locator('#app-view').innerText(), POLL).toMatch(/Cache limits\s+max 3,000 MB/);
    await direct.page.close();
    expect([...problems, ...direct.problems]).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('at 390 px wide nothing scrolls sideways (the dashboard and an app view)', async () => {
    for (const path of ['/', '/#/apps/web1.stream']) {
      const { page, problems } = await open(390, path);
      await expect.poll(async () => (await labels(page, '.chart')).join('\n'), POLL).toMatch(/over (the last \d+ rounds|\d+ points)/);
      const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(scroll, path).toBeLessThanOrEqual(client);
      const worst = await worstContrast(page);
      expect(worst.ratio, `"${worst.text}"`).toBeGreaterThanOrEqual(4.5);
      if (path === '/') await page.screenshot({ path: join(OUT, 'dashboard-390.png'), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    }
  }, TEST_TIMEOUT_MS);

  it('/docs renders the API reference from /openapi.json, loading nothing from another origin', async () => {
    const { page, problems } = await open(1280, '/docs');
    const doc = await (await fetch(`${origin}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    await expect.poll(() => page.locator('.opblock').count(), POLL).toBe(operations);
    expect(await page.locator('.opblock-summary-path', { hasText: '/v1/nodes/{id}/history' }).count()).toBe(1);
    expect(await page.locator('.info .title').innerText()).toContain('Spirit allocation service');
    await page.screenshot({ path: join(OUT, 'docs.png') });
    expect(problems).toEqual([]); // includes: every request went to this service
    await page.close();
  }, TEST_TIMEOUT_MS);

  it('a convexified round: partitions in the table and the app view, the equilibrium in the certificate', async () => {
    // a second service whose rounds never come (1 h interval): the round below is published on its bus as the
    // market's convexified rounds are (partitions per split app, certificate.equilibrium), and stays
    const quiet = await startServe({ port: 0, host: '127.0.0.1', engine: 'wasm', intervalMs: 3_600_000, token: TOKEN }, pino({ level: 'silent' }));
    const saved = origin;
    origin = quiet.server.url;
    try {
      await call('PUT', '/v1/nodes/cvx', { capacity: scenario.capacity });
      // the replica takes the node (and finds nothing to allocate) before the round is published
      await expect.poll(async () => ((await (await fetch(`${origin}/v1/nodes/cvx`)).json()) as { leaseHolder: string | null }).leaseHolder, POLL).not.toBeNull();
      const doc = {
        node: 'cvx', epoch: 7, timeMs: Date.now(), replica: 'test', policy: 'spirit', prices: { cache: 0.6, bandwidth: 0.4 }, elapsedMs: 1, engine: 'wasm',
        bundles: [
          { app: 'cvx.stream', cacheMB: 1000, bandwidthMbps: 2000, normalizedPerf: 1.8, source: 'declared', confidence: 0, referenceOpsPerSec: 1e5,
            partitions: [{ accessShare: 0.4784688995, cacheMB: 1000 }, { accessShare: 0.5215311005, cacheMB: 0 }] },
          { app: 'cvx.kvs', cacheMB: 3096, bandwidthMbps: 2000, normalizedPerf: 1.2, source: 'declared', confidence: 0 },
        ],
        certificate: {
          cleared: true, iterations: 12, leftoverCacheMB: 0, leftoverBandwidthMbps: 0, maxEnvy: 0.004, sharingIncentiveViolations: [],
          envious: [{ app: 'cvx.kvs', envies: 'cvx.stream', ratio: 0.004 }], geoMeanPerf: 1.47, minPerf: 1.2,
          equilibrium: { exact: true, bestResponseGap: 0.0002, budgets: { 'cvx.stream': 1.05, 'cvx.kvs': 0.95 }, dividend: 0.1 },
        },
      };
      expect(await quiet.service.bus.publishAllocation(doc as unknown as AllocationDoc, null)).toBe('published');
      await call('PUT', '/v1/apps/cvx.stream', { node: 'cvx', model: streamModel });
      await call('PUT', '/v1/apps/cvx.kvs', { node: 'cvx', model: kvsModel });
      const { page, problems } = await open(1280);
      const card = page.locator('[data-node="cvx"]');
      await expect.poll(() => card.innerText(), POLL).toMatch(/split: 48% of pages, 1,000 MB; 52% of pages, 0 MB/);
      const cert = await card.locator('details.cert').innerText();
      expect(cert).toMatch(/Equilibrium \(convexified market\)/);
      expect(cert).toMatch(/Exact\s+yes/);
      expect(cert).toMatch(/Best-response gap\s+0\.000200/);
      expect(cert).toMatch(/Dividend\s+0\.1000/);
      expect(cert).toMatch(/cvx\.stream\s+1\.0500/);
      expect(cert).toMatch(/cvx\.kvs\s+cvx\.stream\s+\+0\.40%/);
      await page.evaluate(() => { location.hash = '#/apps/cvx.stream'; });
      const view = page.locator('#app-view');
      await expect.poll(() => view.innerText(), POLL).toMatch(/Partitions: the app's pages split by hash/);
      const rows = await view.locator('table.small tbody tr').allInnerTexts();
      expect(rows[0]).toMatch(/47\.8%\s+1,000 MB\s+2,090 MB\s+0\.010/); // as if the whole app had 1000 / 0.478 MB: past its cliff
      // through its partitions the app sits on the hull, below its curve at the same cache
      const [label] = await labels(page, '#app-view .chart');
      const held = Number(/holds 1,000 MB at miss ratio ([\d.]+) \(through its partitions, on the hull\)/.exec(label)![1]);
      expect(held).toBeCloseTo(0.4784688995 * 0.01 + 0.5215311005 * 1, 3);
      expect(held).toBeLessThan(0.98);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      origin = saved;
      await quiet.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('a lost connection is shown plainly, in a banner (the service stops)', async () => {
    const { page } = await open(1280);
    await expect.poll(() => page.locator('#status').innerText(), POLL).toMatch(/^Live/);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    daemon.stop();
    const r = running!;
    running = null;
    await r.stop();
    await page.locator('#banner').waitFor({ state: 'visible', timeout: PAGE_TIMEOUT_MS });
    expect(await page.locator('#banner').getAttribute('role')).toBe('alert');
    // the event stream's end or the next re-read of the nodes, whichever the page notices first, raises the
    // banner; the stream's end is always said
    await expect.poll(() => page.locator('#banner').innerText(), POLL).toMatch(/Lost the connection to the service since .*may be out of date/);
    expect(await page.locator('#status').innerText()).toMatch(/^Disconnected/);
    await page.screenshot({ path: join(OUT, 'disconnected.png') });
    await page.close();
  }, TEST_TIMEOUT_MS);
});
