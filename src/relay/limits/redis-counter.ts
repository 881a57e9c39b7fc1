import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { CounterFactory, CounterSpec, CountResult, LimitCounter } from './counter';
import { MemoryCounter } from './memory-counter';

function result(res: RateLimiterRes, max: number): CountResult {
  return { allowed: res.consumedPoints <= max, retryAfterMs: Math.max(0, res.msBeforeNext), count: res.consumedPoints };
}

/**
 * rate-limiter-flexible's fixed windows in Redis (one Lua INCR + PTTL per hit), so every replica counts into the
 * same key. When Redis fails (down, slow past the command timeout) the hit is counted in this process instead:
 * the limits fail open as designed, but only as far as one replica's own counting, never to no limit at all.
 * Keys are whatever the rule passes: HMACs of numbers and prefixes, source addresses, UTC days.
 */
export class RedisCounter implements LimitCounter {
  private readonly limiter: RateLimiterRedis;
  private readonly local: MemoryCounter;

  constructor(
    private readonly spec: CounterSpec,
    client: Redis,
    private readonly onError: (err: unknown) => void,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: client,
      keyPrefix: spec.name,
      points: spec.max,
      duration: spec.windowSeconds,
      blockDuration: spec.blockSeconds ?? 0,
      // With no connection, fail at once instead of queueing behind a reconnect.
      rejectIfRedisNotReady: true,
    });
    this.local = new MemoryCounter(spec);
  }

  async hit(key: string, windowSeconds?: number): Promise<CountResult> {
    try {
      const res = await this.limiter.consume(key, 1, windowSeconds ? { customDuration: windowSeconds } : {});
      return result(res, this.spec.max);
    } catch (e) {
      // Over the limit the library rejects with its result object; anything else is Redis failing.
      if (e instanceof RateLimiterRes) return result(e, this.spec.max);
      this.onError(e);
      return this.local.hit(key, windowSeconds);
    }
  }

  async peek(key: string): Promise<CountResult> {
    try {
      const res = await this.limiter.get(key);
      return res ? result(res, this.spec.max) : { allowed: true, retryAfterMs: 0, count: 0 };
    } catch (e) {
      this.onError(e);
      return this.local.peek(key);
    }
  }
}

export const redisCounters =
  (client: Redis, onError: (err: unknown) => void): CounterFactory =>
  (spec) =>
    new RedisCounter(spec, client, onError);
