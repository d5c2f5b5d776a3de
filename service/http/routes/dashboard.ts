// The dashboard (`/`), the API reference (`/docs`, swagger-ui rendering /openapi.json) and the files both are
// made of (`/assets/{file}`), all served from this process: no CDN, so both work offline.
import type { Context, Hono } from 'hono';
import { NotFoundError } from '../../errors.ts';
import { asset, ASSET_NAMES } from '../assets.ts';
import type { RouteDoc } from '../route-doc.ts';
import { errorSchema } from '../schemas.ts';
import { z } from 'zod';

/** Assets change only with the service's version: a browser may keep them for an hour. */
const ASSET_CACHE = 'public, max-age=3600';

function send(c: Context, name: string, cache: string): Response {
  const a = asset(name);
  if (!a) throw new NotFoundError('asset', name);
  return c.body(a.body, 200, { 'Content-Type': a.contentType, 'Cache-Control': cache }); // the kept Buffer itself, no copy
}

export function registerDashboard(app: Hono): void {
  app.get('/', (c) => send(c, 'index.html', 'no-cache'));
  app.get('/docs', (c) => send(c, 'docs.html', 'no-cache'));
  app.get('/favicon.ico', (c) => send(c, 'favicon.svg', ASSET_CACHE));
  app.get('/assets/:file', (c) => send(c, c.req.param('file'), ASSET_CACHE));
}

const html = (what: string) => ({ 200: { description: what, contentType: 'text/html', schema: z.string() } });

export const dashboardDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: 'The dashboard (HTML): nodes, apps, allocations, history charts, certificates, live',
    description: 'Follows /v1/events; an app\'s view is at `/#/apps/{id}`. Works offline: everything it loads comes from /assets.',
    responses: html('the dashboard page') },
  { method: 'get', path: '/docs', summary: 'This API reference in a browser (swagger-ui, served locally), rendered from /openapi.json',
    responses: html('the API reference page') },
  { method: 'get', path: '/favicon.ico', summary: 'The icon (SVG)', responses: { 200: { description: 'an SVG image', contentType: 'image/svg+xml', schema: z.string() } } },
  { method: 'get', path: '/assets/{file}', summary: 'A file of the dashboard or of the API reference', params: { file: `one of ${ASSET_NAMES.join(', ')}` },
    responses: { 200: { description: 'the file (JavaScript, CSS, HTML or SVG)', contentType: 'application/octet-stream', schema: z.string() }, 404: { description: 'no such file', schema: errorSchema } } },
];
