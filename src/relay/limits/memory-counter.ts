import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { CounterFactory, CounterSpec, CountResult, LimitCounter } from './counter';

function result(res: RateLimiterRes, max: number): CountResult {
  return { allowed: res.consumedPoints <= max, retryAfterMs: Math.max(0, res.msBeforeNext), count: res.consumedPoints };
}

/** rate-limiter-flexible's fixed windows in this process; each key expires on its own timer (unref'd). */
export class MemoryCounter implements LimitCounter {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly spec: CounterSpec) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: spec.name,
      points: spec.max,
      duration: spec.windowSeconds,
      blockDuration: spec.blockSeconds ?? 0,
    });
  }

  async hit(key: string, windowSeconds?: number): Promise<CountResult> {
    try {
      const res = await this.limiter.consume(key, 1, windowSeconds ? { customDuration: windowSeconds } : {});
      return result(res, this.spec.max);
    } catch (e) {
      // Over the limit the library rejects with its result object; anything else is a real failure.
      if (e instanceof RateLimiterRes) return result(e, this.spec.max);
      throw e;
    }
  }

  async peek(key: string): Promise<CountResult> {
    const res = await this.limiter.get(key);
    return res ? result(res, this.spec.max) : { allowed: true, retryAfterMs: 0, count: 0 };
  }
}

export const memoryCounters: CounterFactory = (spec) => new MemoryCounter(spec);
