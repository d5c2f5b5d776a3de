// Opening the bus: Redis when a URL is given (--redis or REDIS_URL), the in-process bus otherwise.
import { MemoryBus } from './memory.ts';
import type { Bus } from './types.ts';

export async function openBus(redisUrl: string | undefined, opts: { onError?: (err: Error) => void } = {}): Promise<Bus> {
  if (!redisUrl) return new MemoryBus();
  const { RedisBus } = await import('./redis.ts');
  return RedisBus.connect(redisUrl, { onError: opts.onError });
}

export type { Bus } from './types.ts';
