// The memory-node wire protocol in TypeScript (the native code in native/src/wire.h is the reference):
// frame encoding and a small pipelined client. Used by tests and tools; the paging hot path never uses it.
import { connect, type Socket } from 'node:net';

export const REQ_MAGIC = 0x51525053;
export const REPLY_MAGIC = 0x50525053;
export const WIRE_VERSION = 1;
export const REQ_HEADER_BYTES = 32;
export const REPLY_HEADER_BYTES = 24;

export const Op = { open: 1, attach: 2, read: 3, write: 4, close: 5, ping: 6, stats: 7, auth: 8 } as const;
export const Status = {
  ok: 0, bad_request: 1, token_rejected: 2, no_access: 3, out_of_bounds: 4, capacity: 5, too_large: 6,
  unknown_op: 7, limit: 8, bad_version: 9, internal: 10, auth_required: 11,
} as const;
export type StatusName = keyof typeof Status;

export interface Request {
  op: number;
  reqId?: number;
  regionId?: bigint;
  offsetBytes?: bigint | number;
  body?: Buffer;
  /** override fields to build malformed frames in tests */
  magic?: number;
  version?: number;
  bodyBytes?: number;
}

export interface Reply {
  op: number;
  status: number;
  statusName: string;
  reqId: number;
  value: bigint;
  body: Buffer;
}

export function encodeRequest(r: Request): Buffer {
  const body = r.body ?? Buffer.alloc(0);
  const h = Buffer.alloc(REQ_HEADER_BYTES);
  h.writeUInt32LE(r.magic ?? REQ_MAGIC, 0);
  h.writeUInt8(r.version ?? WIRE_VERSION, 4);
  h.writeUInt8(r.op, 5);
  h.writeUInt16LE(0, 6);
  h.writeUInt32LE(r.reqId ?? 0, 8);
  h.writeUInt32LE(r.bodyBytes ?? body.length, 12);
  h.writeBigUInt64LE(r.regionId ?? 0n, 16);
  h.writeBigUInt64LE(BigInt(r.offsetBytes ?? 0), 24);
  return Buffer.concat([h, body]);
}

export const openBody = (sizeBytes: number, token: string): Buffer => {
  const t = Buffer.from(token, 'utf8');
  const b = Buffer.alloc(10 + t.length);
  b.writeBigUInt64LE(BigInt(sizeBytes), 0);
  b.writeUInt16LE(t.length, 8);
  t.copy(b, 10);
  return b;
};

export const attachBody = (token: string): Buffer => {
  const t = Buffer.from(token, 'utf8');
  const b = Buffer.alloc(2 + t.length);
  b.writeUInt16LE(t.length, 0);
  t.copy(b, 2);
  return b;
};

/** AUTH has the body of ATTACH: u16 tokenLen, token. */
export const authBody = (token: string): Buffer => attachBody(token);

export const readBody = (lengthBytes: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(lengthBytes, 0);
  return b;
};

const STATUS_NAMES = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k])) as Record<number, string>;

/** Accumulates bytes and yields complete replies. */
export class ReplyParser {
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Reply[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Reply[] = [];
    while (this.#buf.length >= REPLY_HEADER_BYTES) {
      const magic = this.#buf.readUInt32LE(0);
      if (magic !== REPLY_MAGIC) throw new Error(`reply magic 0x${magic.toString(16)} is not the spirit protocol`);
      const bodyBytes = this.#buf.readUInt32LE(12);
      if (this.#buf.length < REPLY_HEADER_BYTES + bodyBytes) break;
      const status = this.#buf.readUInt8(6);
      out.push({
        op: this.#buf.readUInt8(5),
        status,
        statusName: STATUS_NAMES[status] ?? `status_${status}`,
        reqId: this.#buf.readUInt32LE(8),
        value: this.#buf.readBigUInt64LE(16),
        body: Buffer.from(this.#buf.subarray(REPLY_HEADER_BYTES, REPLY_HEADER_BYTES + bodyBytes)),
      });
      this.#buf = this.#buf.subarray(REPLY_HEADER_BYTES + bodyBytes);
    }
    return out;
  }
}

const CALL_TIMEOUT_MS = 10_000;

/** A pipelined client: call() sends one frame and resolves with its reply (in order). */
export class WireClient {
  readonly socket: Socket;
  #parser = new ReplyParser();
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  #closed: Error | null = null;
  #nextId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      let replies: Reply[];
      try {
        replies = this.#parser.push(chunk);
      } catch (err) {
        this.#fail(err as Error);
        return;
      }
      for (const r of replies) {
        const w = this.#waiting.shift();
        if (!w) continue;
        clearTimeout(w.timer);
        w.resolve(r);
      }
    });
    socket.on('close', () => this.#fail(new Error('connection closed by the memory node')));
    socket.on('error', (e) => this.#fail(e));
  }

  static connect(address: string): Promise<WireClient> {
    const i = address.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) }, () => {
        s.setNoDelay(true);
        resolve(new WireClient(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  call(r: Request): Promise<Reply> {
    if (this.#closed) return Promise.reject(this.#closed);
    const frame = encodeRequest({ reqId: this.#nextId++, ...r });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      this.#waiting.push({ resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  /** Writes raw bytes (for malformed-input tests). */
  raw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when the server closes the connection (or after timeoutMs with false). */
  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #fail(e: Error): void {
    if (!this.#closed) this.#closed = e;
    for (const w of this.#waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}
