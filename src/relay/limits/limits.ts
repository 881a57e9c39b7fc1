import type { Logger } from 'pino';
import type { LimitsConfig } from '../../config/limits-schema';
import type { Message } from '../../message';
import type { CounterFactory } from './counter';
import { describeDestination } from './destination';
import { checkDestination } from './destination-rules';
import { FailedAuthLimiter } from './failed-auth';
import type { LimitRule, Refusal } from './refusal';
import { VelocityRules } from './velocity-rules';

export interface LimitsDeps {
  counters: CounterFactory;
  /** Keys the hashes numbers and prefixes are counted under (the store's phone-digest secret). */
  hashKey: Buffer;
  logger: Logger;
  onHit?: (rule: LimitRule) => void;
}

/** Every abuse rule of `limits`, built once from configuration. */
export class Limits {
  readonly failedAuth?: FailedAuthLimiter;
  private readonly velocity: VelocityRules;

  constructor(
    private readonly config: LimitsConfig,
    private readonly deps: LimitsDeps,
  ) {
    this.velocity = new VelocityRules(config, deps.counters, deps.hashKey);
    if (config.failedAuth) {
      this.failedAuth = new FailedAuthLimiter(config.failedAuth, deps.counters, deps.logger, () => deps.onHit?.('failedAuth'));
    }
  }

  /** The fixed policy first (country, number type), then the counters; the first refusal wins. */
  async check(message: Message): Promise<Refusal | undefined> {
    // Reading type and country costs most of a check (full metadata); skip it when no rule looks at them.
    const dest = this.needsMetadata(message) ? describeDestination(message.to) : { e164: message.to };
    const refusal = checkDestination(this.config, message.channel, dest) ?? (await this.countVelocity(dest));
    if (refusal) this.deps.onHit?.(refusal.rule);
    return refusal;
  }

  private needsMetadata(message: Message): boolean {
    const c = this.config;
    return !!(c.countries.allow || c.countries.deny || c.perCountry || c.numberTypes[message.channel].length);
  }

  private async countVelocity(dest: ReturnType<typeof describeDestination>): Promise<Refusal | undefined> {
    if (!this.velocity.enabled) return undefined;
    try {
      return await this.velocity.admit(dest);
    } catch (err) {
      // Redis being down is handled inside RedisCounter (it counts in this process); what arrives here is a fault of
      // the relay's own. It must not stop every code: fail open, loudly.
      this.deps.logger.error({ err }, 'limit counters failed; not limiting');
      return undefined;
    }
  }
}
