// The dashboard in a real browser (Debian's Chromium, driven by playwright-core): against a real
// `spirit serve` (in-process bus), it shows the registered node with its apps' bundles, and follows new
// allocation rounds through server-sent events without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { startServe } from '../../service/http/serve.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token';

let running: Awaited<ReturnType<typeof startServe>>;
let browser: Browser;

async function put(path: string, body: unknown): Promise<void> {
  const r = await fetch(running.server.url + path, {
    method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
}

describe('dashboard in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    running = await startServe({ port: 0, host: '127.0.0.1', engine: 'wasm', intervalMs: 300, token: TOKEN }, pino({ level: 'silent' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('shows a node, its apps and their bundles, then follows the next rounds live', async () => {
    const scenario = JSON.parse(readFileSync(join(ROOT, 'examples', 'stream-vs-kvs.json'), 'utf8'));
    await put('/v1/nodes/web1', { capacity: scenario.capacity });
    await put('/v1/apps/web1.stream', { node: 'web1', model: scenario.apps[0].model });
    await put('/v1/apps/web1.kvs', { node: 'web1', model: scenario.apps[1].model });

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(running.server.url + '/');
    const shown = () => page.locator('#nodes').innerText();
    await expect.poll(shown, { timeout: 30_000, interval: 200 }).toMatch(/web1[\s\S]*web1\.stream[\s\S]*web1\.kvs|web1[\s\S]*web1\.kvs[\s\S]*web1\.stream/);
    const rows = await page.locator('.node tr').allInnerTexts();
    const stream = rows.find((r) => r.startsWith('web1.stream'));
    expect(stream, rows.join('\n')).toBeDefined();
    // the stream's bundle is shown with its normalized performance (the market gives it the cliff: >> 1)
    const perf = Number(stream!.split('\t').map((c) => c.trim()).filter(Boolean)[3]);
    expect(perf).toBeGreaterThan(5);

    // a third app arrives: the next round is pushed to the open page (no reload)
    await put('/v1/apps/web1.third', { node: 'web1', model: scenario.apps[1].model });
    await expect.poll(shown, { timeout: 30_000, interval: 200 }).toContain('web1.third');
    const status = await page.locator('#status').innerText();
    expect(status.toLowerCase()).not.toContain('connecting');
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
