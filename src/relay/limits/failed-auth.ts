import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { LimitsConfig } from '../../config/limits-schema';
import type { AppError } from '../../errors';
import type { AuthFailureBudget } from '../../http/auth-guards';
import type { CounterFactory, LimitCounter } from './counter';
import { refusalError } from './refusal';

/**
 * One IPv6 host owns a whole /64 and can change addresses inside it at will, so IPv6 sources are counted per /64;
 * IPv4 (and IPv4-mapped IPv6) per address.
 */
export function sourceKey(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

/**
 * `limits.failedAuth`: a source that failed authentication too often is answered 429 before its credentials are
 * even compared, for `blockSeconds`, so guessing costs the guesser time and costs us nothing.
 */
export class FailedAuthLimiter implements AuthFailureBudget {
  private readonly counter: LimitCounter;

  constructor(
    spec: Exclude<LimitsConfig['failedAuth'], false>,
    counters: CounterFactory,
    private readonly logger: Logger,
    private readonly onRefused: () => void = () => undefined,
  ) {
    // Counted so the `max`-th failure itself starts the block: `max` guesses, then 429.
    this.counter = counters({ name: 'failedAuth', ...spec, max: spec.max - 1 });
  }

  async refuse(req: Request): Promise<AppError | undefined> {
    const state = await this.counter.peek(sourceKey(req.ip)).catch((err: unknown) => {
      // A counter backend that fails must not lock every caller out: fail open, loudly.
      this.logger.error({ err }, 'failed-auth counter unavailable; not limiting');
      return undefined;
    });
    if (!state || state.allowed) return undefined;
    this.onRefused();
    const error = refusalError({ rule: 'failedAuth', reason: 'too many failed authentications from this source', retryAfterMs: state.retryAfterMs });
    this.logger.warn({ rule: 'failedAuth', source: req.ip, retryAfterSeconds: error.data?.retryAfterSeconds }, 'limit reached');
    return error;
  }

  charge(req: Request): void {
    this.counter.hit(sourceKey(req.ip)).catch((err: unknown) => this.logger.error({ err }, 'failed-auth counter unavailable'));
  }
}
