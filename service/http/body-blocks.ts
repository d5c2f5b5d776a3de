// A request body read chunk by chunk into fixed-size blocks of their own memory: each chunk is looked at
// (scanned) as it arrives, the whole is never concatenated on this thread, and the blocks can be handed to
// a worker thread without a copy (they are transferable). Used by POST /v1/solve, whose bodies go up to
// 32 MiB: one 32 MiB concatenation alone would hold the event loop for milliseconds.
import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from './errors.ts';

/** Bytes per block: big enough that a 32 MiB body is 32 blocks, small enough to waste little on a tiny one. */
const BLOCK_BYTES = 1 << 20;

export class BodyBlocks {
  readonly blocks: ArrayBuffer[] = [];
  bytes = 0;
  private room = 0;

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.room === 0) {
        const size = Math.min(BLOCK_BYTES, Math.max(chunk.length - at, this.blocks.length === 0 ? chunk.length : BLOCK_BYTES));
        this.blocks.push(new ArrayBuffer(size));
        this.room = size;
      }
      const block = this.blocks[this.blocks.length - 1];
      const n = Math.min(this.room, chunk.length - at);
      new Uint8Array(block, block.byteLength - this.room, n).set(chunk.subarray(at, at + n));
      this.room -= n;
      at += n;
      this.bytes += n;
    }
  }

  /** The body as one byte array (a copy unless it is one block). */
  contiguous(): Uint8Array {
    if (this.blocks.length === 1) return new Uint8Array(this.blocks[0], 0, this.bytes);
    return joinBlocks(this.blocks, this.bytes);
  }

  text(): string { return new TextDecoder().decode(this.contiguous()); }
}

export function joinBlocks(blocks: ArrayBuffer[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const b of blocks) {
    const n = Math.min(b.byteLength, bytes - at);
    out.set(new Uint8Array(b, 0, n), at);
    at += n;
  }
  return out;
}

/**
 * Reads the request body into blocks, calling `onChunk` with each chunk first (it may throw to refuse the
 * body there: nothing more is read). Refuses a declared or counted size over `maxBytes` with a 413.
 */
export async function readBodyBlocks(c: Context, maxBytes: number, onChunk: (chunk: Uint8Array) => void): Promise<BodyBlocks> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new PayloadTooLargeError(`request body is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const body = new BodyBlocks();
  const take = (chunk: Uint8Array): void => {
    if (body.bytes + chunk.length > maxBytes) throw new PayloadTooLargeError(`request body is over the limit of ${maxBytes} bytes`);
    onChunk(chunk);
    body.push(chunk);
  };
  // under @hono/node-server, straight from Node's request stream (no web-stream layer); else the web body
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableEnded && !incoming.readableDidRead) {
    try {
      await readIncoming(incoming, take);
    } catch (err) {
      // refused midway: the rest is not worth reading; the answer closes the connection instead
      c.header('Connection', 'close');
      throw err;
    }
    return body;
  }
  const stream = c.req.raw.body;
  if (!stream) return body;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      take(value);
    }
  } finally {
    reader.releaseLock();
  }
  return body;
}

/** Node's request stream chunk by chunk; a throwing `take` stops reading (without destroying the socket,
 *  so the refusal can still be answered). */
function readIncoming(incoming: IncomingMessage, take: (chunk: Uint8Array) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (err) {
        incoming.pause();
        reject(err);
      } else resolve();
    };
    const onData = (chunk: Buffer): void => {
      try {
        take(chunk);
      } catch (err) {
        done(err);
      }
    };
    const onEnd = (): void => done();
    const onError = (err: Error): void => done(err);
    const onClose = (): void => { if (!incoming.complete) done(new Error('the client closed the connection while sending its body')); };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('close', onClose);
  });
}
