// The files the dashboard and the API reference are made of, served by the service itself so both work with
// no network: the dashboard's own files (service/http/dashboard/) and two packages from node_modules, uPlot
// (charts) and swagger-ui-dist (the API reference at /docs). Only the names listed here are served (no path
// from a request ever reaches the file system); each file is read once, on first use.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const OWN = join(import.meta.dirname, 'dashboard');
const pkg = (specifier: string): string => dirname(require.resolve(specifier));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const SVG = 'image/svg+xml';

export interface Asset { contentType: string; body: Uint8Array<ArrayBuffer> }

/** name (as in the URL) -> where it lives and what it is */
const FILES: Record<string, { path: () => string; contentType: string }> = {
  'index.html': { path: () => join(OWN, 'index.html'), contentType: HTML },
  'docs.html': { path: () => join(OWN, 'docs.html'), contentType: HTML },
  'dashboard.css': { path: () => join(OWN, 'dashboard.css'), contentType: CSS },
  'dashboard.js': { path: () => join(OWN, 'dashboard.js'), contentType: JS },
  'format.js': { path: () => join(OWN, 'format.js'), contentType: JS },
  'charts.js': { path: () => join(OWN, 'charts.js'), contentType: JS },
  'node-card.js': { path: () => join(OWN, 'node-card.js'), contentType: JS },
  'app-view.js': { path: () => join(OWN, 'app-view.js'), contentType: JS },
  'docs.js': { path: () => join(OWN, 'docs.js'), contentType: JS },
  'favicon.svg': { path: () => join(OWN, 'favicon.svg'), contentType: SVG },
  'uplot.js': { path: () => join(pkg('uplot'), 'uPlot.iife.min.js'), contentType: JS },
  'uplot.css': { path: () => join(pkg('uplot'), 'uPlot.min.css'), contentType: CSS },
  'swagger-ui.js': { path: () => join(pkg('swagger-ui-dist/swagger-ui-bundle.js'), 'swagger-ui-bundle.js'), contentType: JS },
  'swagger-ui.css': { path: () => join(pkg('swagger-ui-dist/swagger-ui-bundle.js'), 'swagger-ui.css'), contentType: CSS },
};

export const ASSET_NAMES = Object.keys(FILES);

const loaded = new Map<string, Asset>();

/** The asset called `name`, or null when there is none by that name. */
export function asset(name: string): Asset | null {
  const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!f) return null;
  let a = loaded.get(name);
  if (!a) loaded.set(name, (a = { contentType: f.contentType, body: new Uint8Array(readFileSync(f.path())) }));
  return a;
}
