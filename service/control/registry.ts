// The registry's operations as plain functions over the bus (the HTTP routes are thin wrappers): nodes with
// their capacity, apps with node, weight, limits and an optional declared model, and the read views that join
// them with allocations and node state. Inputs arrive shape-checked (service/http/schemas.ts); the relations
// (node exists, limits fit the capacity, minima add up, the model is valid) are checked here.
import { InputError, NotFoundError } from '../errors.ts';
import { validateScenario } from '../scenario/validate.ts';
import type { Capacity, Limits, Model } from '../scenario/types.ts';
import { checkBusId } from '../bus/keys.ts';
import { checkAppRanges, checkCapacityRanges } from './ranges.ts';
import { MAX_APPS_PER_NODE, MAX_APPS_TOTAL, MAX_NODES } from '../bus/limits.ts';
import type { AllocationBundle, AllocationDoc, AppRecord, Bus, NodeRecord, NodeState } from '../bus/types.ts';

export interface NodeInput { capacity: Capacity }
export interface AppInput { node: string; weight?: number; limits?: Limits; model?: Model; partitionable?: boolean }

export interface NodeView extends NodeRecord, NodeState {
  apps: string[];
  allocation: Omit<AllocationDoc, 'certificate'> | null;
  certificate: AllocationDoc['certificate'] | null;
  leaseHolder: string | null;
}

export interface AppView extends AppRecord {
  allocation: (AllocationBundle & { epoch: number; timeMs: number }) | null;
}

export async function putNode(bus: Bus, id: string, input: NodeInput): Promise<{ node: NodeRecord; created: boolean }> {
  checkBusId(id, 'id');
  checkCapacityRanges(input.capacity);
  const prev = await bus.getNode(id);
  if (!prev && (await bus.listNodes()).length >= MAX_NODES) throw new InputError('id', `the registry already holds ${MAX_NODES} nodes (the limit)`);
  if (prev) checkMinima(await bus.listApps(id), input.capacity, null);
  const now = Date.now();
  const node: NodeRecord = { id, capacity: { ...input.capacity }, createdMs: prev?.createdMs ?? now, updatedMs: now };
  await bus.putNode(node);
  await bus.ensureTelemetryGroup(id);
  return { node, created: !prev };
}

export async function deleteNode(bus: Bus, id: string): Promise<void> {
  if (!(await bus.getNode(id))) throw new NotFoundError('node', id);
  const apps = await bus.listApps(id);
  if (apps.length > 0) {
    throw new InputError('id', `node '${id}' still has ${apps.length} app(s) (${apps.slice(0, 5).map((a) => a.id).join(', ')}); remove them first`);
  }
  await bus.deleteNode(id);
}

export async function putApp(bus: Bus, id: string, input: AppInput): Promise<{ app: AppRecord; created: boolean; warnings: string[] }> {
  checkBusId(id, 'id');
  checkBusId(input.node, 'node');
  checkAppRanges(input);
  const node = await bus.getNode(input.node);
  if (!node) throw new NotFoundError('node', input.node);
  const [prev, others] = await Promise.all([bus.getApp(id), bus.listApps(input.node)]);
  const siblings = others.filter((a) => a.id !== id);
  if (siblings.length >= MAX_APPS_PER_NODE) throw new InputError('node', `node '${input.node}' already has ${MAX_APPS_PER_NODE} apps (the limit)`);
  if (!prev && (await bus.listApps()).length >= MAX_APPS_TOTAL) throw new InputError('id', `the registry already holds ${MAX_APPS_TOTAL} apps (the limit)`);
  const weight = input.weight ?? 1;
  const { model, warnings } = checkAgainstNode(id, weight, input.limits, input.model, node.capacity);
  checkMinima(siblings, node.capacity, input.limits ?? null);
  const now = Date.now();
  const app: AppRecord = {
    id, node: input.node, weight, ...(input.limits ? { limits: { ...input.limits } } : {}), ...(model ? { model } : {}),
    ...(input.partitionable !== undefined ? { partitionable: input.partitionable } : {}),
    createdMs: prev?.createdMs ?? now, updatedMs: now,
  };
  await bus.putApp(app);
  return { app, created: !prev, warnings };
}

/** Limits and model checked exactly as the market will see them: a one-app scenario on the node. */
function checkAgainstNode(id: string, weight: number, limits: Limits | undefined, model: Model | undefined, cap: Capacity): { model?: Model; warnings: string[] } {
  const probe = model ?? { type: 'mrc' as const, mrc: [[0, 1], [cap.cacheMB, 0]] as [number, number][], pageBytes: 4096, localNs: 100, remoteNs: 1000 };
  try {
    const { scenario, warnings } = validateScenario({ capacity: cap, apps: [{ id, weight, ...(limits ? { limits } : {}), model: probe }] });
    return { ...(model ? { model: scenario.apps[0].model } : {}), warnings: warnings.map(stripApp) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(stripApp(err.where), err.problem, err.details?.map((d) => ({ where: stripApp(d.where), problem: d.problem })));
  }
}

const stripApp = (s: string): string => s.replace(/apps\[0\]\./g, '');

/** The apps' minimum cache and bandwidth on a node must fit its capacity, or no round could ever solve. */
function checkMinima(apps: AppRecord[], cap: Capacity, extra: Limits | null): void {
  const all = [...apps.map((a) => a.limits ?? {}), ...(extra ? [extra] : [])];
  const sum = (f: (l: Limits) => number | undefined): number => all.reduce((t, l) => t + (f(l) ?? 0), 0);
  const cache = sum((l) => l.minCacheMB);
  const bw = sum((l) => l.minBandwidthMbps);
  const slack = 1 + 1e-9;
  const where = extra ? 'limits' : 'capacity';
  if (cache > cap.cacheMB * slack) {
    throw new InputError(`${where}.${extra ? 'minCacheMB' : 'cacheMB'}`, `the node's apps would need at least ${cache} MB of cache in all, but the node has ${cap.cacheMB} MB`);
  }
  if (bw > cap.bandwidthMbps * slack) {
    throw new InputError(`${where}.${extra ? 'minBandwidthMbps' : 'bandwidthMbps'}`, `the node's apps would need at least ${bw} Mbps in all, but the node has ${cap.bandwidthMbps} Mbps`);
  }
}

export async function deleteApp(bus: Bus, id: string): Promise<void> {
  if (!(await bus.deleteApp(id))) throw new NotFoundError('app', id);
}

export async function getApp(bus: Bus, id: string): Promise<AppView> {
  const app = await bus.getApp(id);
  if (!app) throw new NotFoundError('app', id);
  return { ...app, allocation: bundleOf(await bus.getAllocation(app.node), id) };
}

export async function listApps(bus: Bus, node?: string): Promise<AppView[]> {
  if (node !== undefined && !(await bus.getNode(node))) throw new NotFoundError('node', node);
  const apps = await bus.listApps(node);
  const allocs = new Map<string, AllocationDoc | null>();
  for (const n of new Set(apps.map((a) => a.node))) allocs.set(n, await bus.getAllocation(n));
  return apps.sort((a, b) => a.id.localeCompare(b.id)).map((a) => ({ ...a, allocation: bundleOf(allocs.get(a.node) ?? null, a.id) }));
}

export async function appAllocation(bus: Bus, id: string): Promise<NonNullable<AppView['allocation']> & { node: string }> {
  const view = await getApp(bus, id);
  if (!view.allocation) throw new NotFoundError('allocation of app', id);
  return { node: view.node, ...view.allocation };
}

export async function nodeAllocation(bus: Bus, id: string): Promise<AllocationDoc> {
  if (!(await bus.getNode(id))) throw new NotFoundError('node', id);
  const doc = await bus.getAllocation(id);
  if (!doc) throw new NotFoundError('allocation of node', id);
  return doc;
}

export async function getNode(bus: Bus, id: string): Promise<NodeView> {
  const node = await bus.getNode(id);
  if (!node) throw new NotFoundError('node', id);
  return nodeView(bus, node);
}

export async function listNodes(bus: Bus): Promise<NodeView[]> {
  const nodes = (await bus.listNodes()).sort((a, b) => a.id.localeCompare(b.id));
  return Promise.all(nodes.map((n) => nodeView(bus, n)));
}

async function nodeView(bus: Bus, node: NodeRecord): Promise<NodeView> {
  const [apps, doc, state, leaseHolder] = await Promise.all([
    bus.listApps(node.id), bus.getAllocation(node.id), bus.getNodeState(node.id), bus.leaseHolder(node.id),
  ]);
  let allocation: NodeView['allocation'] = null;
  if (doc) {
    const { certificate: _c, ...rest } = doc;
    allocation = rest;
  }
  return { ...node, ...state, apps: apps.map((a) => a.id).sort(), allocation, certificate: doc?.certificate ?? null, leaseHolder };
}

function bundleOf(doc: AllocationDoc | null, app: string): AppView['allocation'] {
  const b = doc?.bundles.find((x) => x.app === app);
  return b && doc ? { ...b, epoch: doc.epoch, timeMs: doc.timeMs } : null;
}
