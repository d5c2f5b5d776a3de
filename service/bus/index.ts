// Opening the bus: Redis when a URL is given (--redis or REDIS_URL), the in-process bus otherwise.
import { MemoryBus } from './memory.ts';
import type { Bus } from './types.ts';

/**
 * `background`: return at once and let a Redis bus connect (and retry with back-off) behind the scenes
 * (`whenReady()` says when); otherwise wait for the connection and fail when it cannot be made in 5 s.
 */
export async function openBus(redisUrl: string | undefined, opts: { onError?: (err: Error) => void; background?: boolean } = {}): Promise<Bus> {
  if (!redisUrl) return new MemoryBus();
  const { RedisBus } = await import('./redis.ts');
  return opts.background ? RedisBus.open(redisUrl, { onError: opts.onError }) : RedisBus.connect(redisUrl, { onError: opts.onError });
}

export type { Bus } from './types.ts';
