import { createHmac } from 'node:crypto';
import type { LimitsConfig } from '../../config/limits-schema';
import type { CounterFactory, LimitCounter } from './counter';
import type { Destination } from './destination';
import { numberPrefix, secondsToUtcMidnight, utcDay } from './number-prefix';
import type { LimitRule, Refusal } from './refusal';

interface Rule {
  rule: LimitRule;
  reason: string;
  /** The key to count, or undefined when the rule does not apply to this destination. */
  key(dest: Destination, now: number): string | undefined;
  counter(dest: Destination): LimitCounter;
  /** Per-day rules start a key's window now and end it at UTC midnight. */
  daily: boolean;
}

/**
 * Per number, per number prefix, per country per day, in total per day: counted from the narrowest to the
 * broadest, stopping at the first refusal, so a pumping run refused by its prefix never spends the country's or
 * the relay's daily budget that real users need. Numbers and prefixes are counted under a keyed hash, never in
 * clear, in memory and in Redis alike.
 */
export class VelocityRules {
  private readonly rules: Rule[] = [];
  private readonly exempt: readonly string[];

  constructor(limits: LimitsConfig, counters: CounterFactory, private readonly hashKey: Buffer) {
    this.exempt = limits.exempt;
    if (limits.perPhone) {
      const counter = counters({ name: 'perPhone', ...limits.perPhone });
      this.rules.push({ rule: 'perPhone', reason: 'too many messages to this number', daily: false, key: (d) => this.hash(d.e164), counter: () => counter });
    }
    if (limits.perPrefix) {
      const { dropDigits, ...window } = limits.perPrefix;
      const counter = counters({ name: 'perPrefix', ...window });
      this.rules.push({
        rule: 'perPrefix',
        reason: 'too many messages to numbers in this prefix',
        daily: false,
        key: (d) => this.hash(numberPrefix(d.e164, dropDigits)),
        counter: () => counter,
      });
    }
    if (limits.perCountry) {
      const { maxPerDay, countries } = limits.perCountry;
      const fallback = counters({ name: 'perCountry', max: maxPerDay, windowSeconds: 86_400 });
      const own = new Map(Object.entries(countries).map(([c, max]) => [c, counters({ name: `perCountry:${c}`, max, windowSeconds: 86_400 })]));
      this.rules.push({
        rule: 'perCountry',
        reason: 'the daily budget for this country is spent',
        daily: true,
        key: (d, now) => (d.country ? `${d.country}:${utcDay(now)}` : undefined),
        counter: (d) => own.get(d.country!) ?? fallback,
      });
    }
    if (limits.total) {
      const counter = counters({ name: 'total', max: limits.total.maxPerDay, windowSeconds: 86_400 });
      this.rules.push({ rule: 'total', reason: "the relay's daily budget is spent", daily: true, key: (_d, now) => utcDay(now), counter: () => counter });
    }
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  async admit(dest: Destination, now = Date.now()): Promise<Refusal | undefined> {
    if (this.exempt.some((p) => dest.e164.startsWith(p))) return undefined;
    for (const r of this.rules) {
      const key = r.key(dest, now);
      if (key === undefined) continue;
      const res = await r.counter(dest).hit(key, r.daily ? secondsToUtcMidnight(now) : undefined);
      if (!res.allowed) return { rule: r.rule, reason: r.reason, retryAfterMs: res.retryAfterMs };
    }
    return undefined;
  }

  private hash(value: string): string {
    return createHmac('sha256', this.hashKey).update(value).digest('base64url').slice(0, 22);
  }
}
