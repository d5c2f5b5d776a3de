// The daemon's connection to the service: registration of its node and apps, telemetry out, allocations in.
// Two kinds with one interface: over the service's HTTP API (`--service URL`), or straight over the bus
// (`--redis URL`, or the in-process bus of `spirit start`), where registration runs the registry's own
// checks (service/control/registry.ts) and telemetry goes through the bus client (service/bus/client.ts).
import { busNodeClient, type NodeClient } from '../bus/client.ts';
import { httpNodeClient } from '../bus/http-client.ts';
import type { AllocationDoc, Bus } from '../bus/types.ts';
import * as registry from '../control/registry.ts';
import { InputError, NotFoundError } from '../errors.ts';
import type { Capacity, Limits } from '../scenario/types.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';
import { LINK_REQUEST_TIMEOUT_MS } from './limits.ts';

export interface AppRegistration {
  id: string;
  weight: number;
  limits?: Limits;
  /** false: the data plane cannot split the app's pages (kernel-swap apps); absent: it can */
  partitionable?: boolean;
}

/** An app's registration body (PUT /v1/apps/{id}, registry.putApp). */
const appBody = (node: string, a: AppRegistration) => ({
  node, weight: a.weight, ...(a.limits ? { limits: a.limits } : {}), ...(a.partitionable !== undefined ? { partitionable: a.partitionable } : {}),
});

export interface ServiceLink {
  readonly kind: 'http' | 'bus';
  /** where it points (for logs) */
  readonly target: string;
  /**
   * Registers (or updates) the node with its capacity and each app, and removes apps registered on the node
   * that this daemon does not run. Throws InputError when the service rejects the node or an app (a
   * configuration problem); any other error means the service could not be reached (retry).
   */
  register(node: string, capacity: Capacity, apps: AppRegistration[]): Promise<void>;
  /** Whether the node and every app are still registered (a service on the in-process bus that restarted
   *  has forgotten them). */
  isRegistered(node: string, apps: string[]): Promise<boolean>;
  appendTelemetry(records: TelemetryRecord[]): Promise<void>;
  watchAllocation(node: string, onAllocation: (doc: AllocationDoc) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function httpLink(serviceUrl: string, token?: string): ServiceLink {
  const client: NodeClient = httpNodeClient(serviceUrl, { token, requestTimeoutMs: LINK_REQUEST_TIMEOUT_MS });
  const base = new URL(serviceUrl).toString().replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${base}${path}`, {
      method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(LINK_REQUEST_TIMEOUT_MS),
    });
    if (res.status === 400 || res.status === 401) throw await rejection(res, `${method} ${path}`);
    return res;
  };
  const expectOk = async (res: Response, what: string): Promise<void> => {
    if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
    await res.body?.cancel();
  };
  return {
    kind: 'http',
    target: base,
    async register(node, capacity, apps) {
      await expectOk(await call('PUT', `/v1/nodes/${node}`, { capacity }), `PUT /v1/nodes/${node}`);
      const listed = await call('GET', `/v1/apps?node=${encodeURIComponent(node)}`);
      if (!listed.ok) throw new Error(`GET /v1/apps?node=${node}: HTTP ${listed.status}`);
      const mine = new Set(apps.map((a) => a.id));
      for (const old of (await listed.json()) as { id: string }[]) {
        if (!mine.has(old.id)) await expectOk(await call('DELETE', `/v1/apps/${old.id}`), `DELETE /v1/apps/${old.id}`);
      }
      for (const a of apps) {
        await expectOk(await call('PUT', `/v1/apps/${a.id}`, appBody(node, a)), `PUT /v1/apps/${a.id}`);
      }
    },
    async isRegistered(node, apps) {
      const res = await call('GET', `/v1/nodes/${node}`);
      if (res.status === 404) {
        await res.body?.cancel();
        return false;
      }
      if (!res.ok) throw new Error(`GET /v1/nodes/${node}: HTTP ${res.status}`);
      const view = (await res.json()) as { apps?: string[] };
      return apps.every((a) => view.apps?.includes(a));
    },
    appendTelemetry: (records) => client.appendTelemetry(records),
    watchAllocation: (node, cb) => client.watchAllocation(node, cb),
    async close() {},
  };
}

/** A link straight over a bus; `owned` buses (opened for this daemon) are closed with the link. */
export function busLink(bus: Bus, target: string, owned: boolean): ServiceLink {
  const client = busNodeClient(bus);
  return {
    kind: 'bus',
    target,
    async register(node, capacity, apps) {
      await registry.putNode(bus, node, { capacity });
      const mine = new Set(apps.map((a) => a.id));
      for (const old of await bus.listApps(node)) if (!mine.has(old.id)) await registry.deleteApp(bus, old.id);
      for (const a of apps) await registry.putApp(bus, a.id, appBody(node, a));
    },
    async isRegistered(node, apps) {
      try {
        const view = await registry.getNode(bus, node);
        return apps.every((a) => view.apps.includes(a));
      } catch (err) {
        if (err instanceof NotFoundError) return false;
        throw err;
      }
    },
    appendTelemetry: (records) => client.appendTelemetry(records),
    watchAllocation: (node, cb) => client.watchAllocation(node, cb),
    async close() {
      if (owned) await bus.close();
    },
  };
}

/** A link over Redis that connects on first use, so an unreachable Redis is retried like any service outage
 *  (the daemon's registration loop calls register() until it succeeds). */
export function redisLink(url: string, onError: (err: Error) => void): ServiceLink {
  let link: ServiceLink | null = null;
  const need = (): ServiceLink => {
    if (!link) throw new Error(`not connected to Redis at ${url} yet`);
    return link;
  };
  return {
    kind: 'bus',
    target: url,
    async register(node, capacity, apps) {
      if (!link) {
        const { openBus } = await import('../bus/index.ts');
        link = busLink(await openBus(url, { onError }), url, true);
      }
      await link.register(node, capacity, apps);
    },
    isRegistered: (node, apps) => need().isRegistered(node, apps),
    appendTelemetry: (records) => need().appendTelemetry(records),
    watchAllocation: (node, cb) => need().watchAllocation(node, cb),
    async close() {
      await link?.close();
    },
  };
}

/** A refused registration as an InputError naming what the service objected to. */
async function rejection(res: Response, what: string): Promise<InputError> {
  let body: { message?: string; details?: { where: string; problem: string }[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON
  }
  if (res.status === 401) return new InputError('--token', `the service refused the token (${what}: 401 ${body.message ?? 'unauthorized'})`);
  const first = body.details?.[0];
  return new InputError(`${what}${first ? ` ${first.where}` : ''}`, first?.problem ?? body.message ?? 'rejected', body.details);
}
