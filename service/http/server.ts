// Serving the Hono app with @hono/node-server; port 0 picks a free port (the chosen URL is returned).
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Connections still open this long after close() are cut (SSE clients never end on their own). */
const CLOSE_GRACE_MS = 2000;

export async function listen(app: Hono, port: number, hostname: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      const host = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((done) => {
          const s = server as import('node:http').Server;
          const t = setTimeout(() => s.closeAllConnections?.(), CLOSE_GRACE_MS);
          s.closeIdleConnections?.();
          s.close(() => { clearTimeout(t); done(); });
        }),
      });
    });
    server.once('error', reject);
  });
}
