import type { LimitCounter } from '../relay/limits/counter';

/** Failed redeems per key (a source address): how long a key must wait, and counting one more. */
export interface FailureBudget {
  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): Promise<number>;
  fail(key: string): Promise<void>;
}

/**
 * Failed redeems kept in a limit counter: in this process's memory, or in Redis (`redis.url`) so N replicas give one
 * allowance, not N. The counter is built with `max: maxFailures - 1`: the `maxFailures`-th failure is the first one
 * over it, which blocks the key until the window ends. A Redis counter that fails counts in this process. With
 * 256-bit tokens guessing is hopeless either way; the limit is there to stop noise.
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
