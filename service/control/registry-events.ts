// Registration and deletion of nodes and apps as events (GET /v1/events `registry`): the difference between
// two readings of the registry. Every replica reads the registry on each lease tick (and the replica that
// served a write reads it at once), so a change made through any replica reaches every replica's clients.
import type { AppRecord, NodeRecord } from '../bus/types.ts';

export type RegistryChange = 'registered' | 'updated' | 'deleted';

/** An app as announced: the record without its declared model (a curve can be 10k points), and whether it has one. */
export type AppSummary = Omit<AppRecord, 'model'> & { declaredModel: boolean };

export type RegistryEvent =
  | { kind: 'node'; change: RegistryChange; id: string; node: string; record?: NodeRecord }
  | { kind: 'app'; change: RegistryChange; id: string; node: string; record?: AppSummary };

export interface RegistryReading { nodes: NodeRecord[]; apps: AppRecord[] }

export function appSummary(a: AppRecord): AppSummary {
  const { model, ...rest } = a;
  return { ...rest, declaredModel: model !== undefined };
}

/** Events that turn `before` into `after`: nodes registered, then apps registered or updated (a move is an
 *  update naming the new node), apps deleted, nodes deleted (the order a client can apply them in). */
export function diffRegistry(before: RegistryReading, after: RegistryReading): RegistryEvent[] {
  const out: RegistryEvent[] = [];
  const oldNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const newNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const oldApps = new Map(before.apps.map((a) => [a.id, a]));
  const newApps = new Map(after.apps.map((a) => [a.id, a]));
  for (const n of after.nodes) {
    const was = oldNodes.get(n.id);
    if (!was) out.push({ kind: 'node', change: 'registered', id: n.id, node: n.id, record: n });
    else if (was.updatedMs !== n.updatedMs) out.push({ kind: 'node', change: 'updated', id: n.id, node: n.id, record: n });
  }
  for (const a of after.apps) {
    const was = oldApps.get(a.id);
    if (!was) out.push({ kind: 'app', change: 'registered', id: a.id, node: a.node, record: appSummary(a) });
    else if (was.updatedMs !== a.updatedMs || was.node !== a.node) out.push({ kind: 'app', change: 'updated', id: a.id, node: a.node, record: appSummary(a) });
  }
  for (const a of before.apps) if (!newApps.has(a.id)) out.push({ kind: 'app', change: 'deleted', id: a.id, node: a.node });
  for (const n of before.nodes) if (!newNodes.has(n.id)) out.push({ kind: 'node', change: 'deleted', id: n.id, node: n.id });
  return out;
}
