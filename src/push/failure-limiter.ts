/**
 * Counts failures per key (a source address) in fixed windows and says how long a key must wait once it has used
 * up its allowance. Kept in memory: each replica counts on its own, so behind N replicas an address gets up to N
 * times the allowance. With 256-bit tokens that still leaves guessing hopeless; the limit is there to stop noise.
 */
export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const now = this.now();
    if (now >= e.resetAt) {
      this.entries.delete(key);
      return 0;
    }
    return e.count >= this.maxFailures ? e.resetAt - now : 0;
  }

  fail(key: string): void {
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
