import type { BreakerConfig, BreakerOverride } from '../config/reliability-schema';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
}

/**
 * closed → (N consecutive counted failures) → open → (cool-down) → half-open: one probe goes through →
 * success closes, failure re-opens for another cool-down. A small state machine of our own rather than a library
 * (opossum and friends wrap the call and own its timeout): the dispatcher already bounds each try by the route's
 * deadline, needs to *ask* before calling so it can record a skipped attempt, and decides per failure whether
 * it counts (a permanent verdict means the vendor answered, so it is alive).
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = 0;
  private probeSince: number | undefined;
  private current: BreakerState = 'closed';

  constructor(
    readonly provider: string,
    private readonly opts: BreakerOptions,
    private readonly onChange: (provider: string, from: BreakerState, to: BreakerState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** May a call go to the provider now? In half-open, only one probe at a time is let through. */
  tryPass(): boolean {
    if (this.current === 'closed') return true;
    const t = this.now();
    if (this.current === 'open') {
      if (t - this.openedAt < this.opts.cooldownMs) return false;
      this.move('half-open');
    }
    // A probe that never reported back (its caller died) must not hold the slot for ever.
    if (this.probeSince !== undefined && t - this.probeSince < this.opts.cooldownMs) return false;
    this.probeSince = t;
    return true;
  }

  /** Milliseconds until an open breaker lets its next probe through; 0 when calls may go now. */
  retryInMs(): number {
    if (this.current === 'closed') return 0;
    if (this.current === 'open') return Math.max(0, this.openedAt + this.opts.cooldownMs - this.now());
    return this.probeSince === undefined ? 0 : Math.max(0, this.probeSince + this.opts.cooldownMs - this.now());
  }

  /** The provider answered (accepted, or refused for a reason of the message's own). */
  success(): void {
    this.consecutive = 0;
    this.probeSince = undefined;
    if (this.current !== 'closed') this.move('closed');
  }

  /** The provider failed in a way that says it is unwell: a retryable or failover verdict, a timeout. */
  failure(): void {
    this.consecutive += 1;
    this.probeSince = undefined;
    if (this.current === 'half-open' || (this.current === 'closed' && this.consecutive >= this.opts.failures)) {
      this.openedAt = this.now();
      this.move('open');
    }
  }

  /** The call ended without a verdict on the provider (our own shutdown aborted it): free the probe slot. */
  abandon(): void {
    this.probeSince = undefined;
  }

  private move(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    this.onChange(this.provider, from, to);
  }
}

/** One breaker per provider, from the global `breaker` settings and each provider's own `breaker` override. */
export function createBreakers(
  global: BreakerConfig,
  providers: Readonly<Record<string, { breaker?: BreakerOverride }>>,
  onChange?: (provider: string, from: BreakerState, to: BreakerState) => void,
): Map<string, CircuitBreaker> {
  const out = new Map<string, CircuitBreaker>();
  for (const [name, p] of Object.entries(providers)) {
    if (p.breaker === false) continue;
    const failures = p.breaker?.failures ?? global.failures;
    const cooldownSeconds = p.breaker?.cooldownSeconds ?? global.cooldownSeconds;
    out.set(name, new CircuitBreaker(name, { failures, cooldownMs: cooldownSeconds * 1000 }, onChange));
  }
  return out;
}
