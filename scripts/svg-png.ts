// SVG plots to PNG with a headless chromium (Debian's, through playwright-core, a dev dependency), for the
// README's copies of `spirit experiment live`'s plots where neither rsvg-convert nor convert is installed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Writes FILE.png beside each FILE.svg in `dir`; returns the PNGs written (none without a chromium). */
export async function chromiumPngs(dir: string, svgs: string[]): Promise<string[]> {
  const exe = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!exe) return [];
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    const written: string[] = [];
    for (const f of svgs) {
      const svg = readFileSync(join(dir, f), 'utf8');
      const m = /width="(\d+)" height="(\d+)"/.exec(svg);
      const width = m ? Number(m[1]) : 980;
      const height = m ? Number(m[2]) : 380;
      await page.setViewportSize({ width, height });
      await page.setContent(`<html><body style="margin:0;background:#fff">${svg}</body></html>`);
      const out = f.replace(/\.svg$/, '.png');
      await page.screenshot({ path: join(dir, out), clip: { x: 0, y: 0, width, height } });
      written.push(out);
    }
    return written;
  } finally {
    await browser.close();
  }
}
