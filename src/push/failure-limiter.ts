import type { LimitCounter } from '../relay/limits/counter';

/** Failed redeems per key (a source address): how long a key must wait, and counting one more. */
export interface FailureBudget {
  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): Promise<number>;
  fail(key: string): Promise<void>;
}

/**
 * Counts failures per key in fixed windows and says how long a key must wait once it has used up its allowance.
 * Kept in memory: each replica counts on its own, so behind N replicas an address gets up to N times the
 * allowance; with `redis.url` the relay uses SharedFailureLimiter instead. With 256-bit tokens guessing stays
 * hopeless either way; the limit is there to stop noise.
 */
export class FailureLimiter implements FailureBudget {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  async blockedFor(key: string): Promise<number> {
    const e = this.entries.get(key);
    if (!e) return 0;
    const now = this.now();
    if (now >= e.resetAt) {
      this.entries.delete(key);
      return 0;
    }
    return e.count >= this.maxFailures ? e.resetAt - now : 0;
  }

  async fail(key: string): Promise<void> {
    const now = this.now();
    const e = this.entries.get(key);
    if (e && now < e.resetAt) {
      e.count++;
      return;
    }
    this.entries.delete(key);
    if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { count: 1, resetAt: now + this.windowMs });
  }
}

/**
 * The same allowance kept in a shared counter (Redis), so N replicas give one allowance, not N. The counter is
 * built with `max: maxFailures - 1`: the `maxFailures`-th failure is the first one over it, which blocks the key
 * until the window ends, as the in-memory limiter does. A counter that fails counts in this process (RedisCounter).
 */
export class SharedFailureLimiter implements FailureBudget {
  constructor(private readonly counter: LimitCounter) {}

  async blockedFor(key: string): Promise<number> {
    const state = await this.counter.peek(key);
    return state.allowed ? 0 : Math.max(1, state.retryAfterMs);
  }

  async fail(key: string): Promise<void> {
    await this.counter.hit(key);
  }
}
