// Every Redis key and channel of Spirit comes from this module (documented in redis/README.md). Per-node keys
// carry the hash tag `{node:<id>}`, so all keys of one node live in one Redis Cluster slot and the Lua scripts
// that touch several of them stay legal in a cluster. Global keys hold only small indexes.
import { InputError } from '../errors.ts';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH } from './limits.ts';

export const PREFIX = 'spirit';
/** The consumer group of the service replicas on every telemetry stream. */
export const TELEMETRY_GROUP = 'spirit-service';

/** Throws an InputError unless `id` can go into a key, a channel name and a URL path. */
export function checkBusId(id: unknown, where: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InputError(where, 'must be a non-empty string');
  if (id.length > MAX_BUS_ID_LENGTH) throw new InputError(where, `is ${id.length} characters; the limit is ${MAX_BUS_ID_LENGTH}`);
  if (!BUS_ID_PATTERN.test(id)) {
    throw new InputError(where, `'${id}' may hold only letters, digits and . _ : - (and must start with a letter or digit)`);
  }
  return id;
}

const nodeTag = (node: string): string => `${PREFIX}:{node:${node}}`;

export const keys = {
  /** SET of node ids */
  nodes: (): string => `${PREFIX}:nodes`,
  /** HASH app id -> node id (find an app without knowing its node) */
  appIndex: (): string => `${PREFIX}:app-index`,
  /** ZSET replica id -> expiry (ms since the epoch) */
  replicas: (): string => `${PREFIX}:replicas`,
  /** STRING counter incremented by every registry write (nodes, apps): replicas re-read the registry when it moves */
  registryVersion: (): string => `${PREFIX}:registry-version`,
  /** STRING set once the registry is written; missing means Redis lost its data (restart without persistence) */
  marker: (): string => `${PREFIX}:marker`,
  /** STRING NodeRecord JSON */
  node: (node: string): string => `${nodeTag(node)}:node`,
  /** HASH app id -> AppRecord JSON */
  apps: (node: string): string => `${nodeTag(node)}:apps`,
  /** HASH app id -> fitted MrcModel JSON */
  models: (node: string): string => `${nodeTag(node)}:models`,
  /** HASH NodeState fields */
  state: (node: string): string => `${nodeTag(node)}:state`,
  /** HASH epoch, doc (AllocationDoc JSON) */
  alloc: (node: string): string => `${nodeTag(node)}:alloc`,
  /** STRING replica id, with a PX expiry */
  lease: (node: string): string => `${nodeTag(node)}:lease`,
  /** STREAM of telemetry records, field `r` = record JSON */
  telemetry: (node: string): string => `${nodeTag(node)}:telemetry`,
  /** STREAM of records that could not be used: fields `r` (as received), `reason`, `from` (original id) */
  dead: (node: string): string => `${nodeTag(node)}:dead`,
};

export const channels = {
  /** announcements of a node's new allocation (message = AllocationDoc JSON) */
  announce: (node: string): string => `${nodeTag(node)}:announce`,
  /** pattern matching every node's announcements */
  announceAll: (): string => `${PREFIX}:{node:*}:announce`,
};

/** The node id in an announcement channel name (inverse of channels.announce). */
export function nodeOfChannel(channel: string): string | null {
  const m = /^spirit:\{node:(.+)\}:announce$/.exec(channel);
  return m ? m[1] : null;
}

/** The names of all keys of one node (deleteNode removes them together). */
export function nodeKeys(node: string): string[] {
  return [keys.node(node), keys.apps(node), keys.models(node), keys.state(node), keys.alloc(node), keys.lease(node),
    keys.telemetry(node), keys.dead(node)];
}
