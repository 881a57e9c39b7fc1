import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load-config';
import type { RelayMetrics } from '../http/metrics';
import { SharedFailureLimiter, type FailureBudget } from '../push/failure-limiter';
import type { SharedRedis } from '../redis/shared-redis';
import { resolveOutboxKeys } from '../store/encryption-key';
import { MessageCipher } from '../store/message-cipher';
import type { Store } from '../store/store';
import { createBreakers, type CircuitBreaker } from './circuit-breaker';
import { Dedupe } from './dedupe';
import { createCounterFactory } from './limits/create-counters';
import { Limits } from './limits/limits';
import { MemoryDedupeStore } from './memory-dedupe-store';
import { failOpen, RedisDedupeStore } from './redis-dedupe-store';
import { RequestGuard } from './request-guard';

export interface Protection {
  breakers: Map<string, CircuitBreaker>;
  limits: Limits;
  guard: RequestGuard;
  /** Present when some route is `delivery: async`. */
  cipher?: MessageCipher;
  /** Failed redeems per source: in memory, or shared through Redis with `redis.url`. */
  redeemFailures: FailureBudget;
}

/** Breakers, limits, dedupe and the outbox key, built from configuration in one place. */
export async function buildProtection(loaded: LoadedConfig, store: Store, logger: Logger, metrics: RelayMetrics, redis?: SharedRedis): Promise<Protection> {
  const { config } = loaded;
  const breakers = createBreakers(config.breaker, config.providers as Record<string, { breaker?: false | object }>, (provider, from, to) => {
    metrics.breakerTransitions.inc({ provider, state: to });
    const line = { provider, from, to };
    if (to === 'open') logger.error(line, 'circuit opened: provider skipped until its cool-down ends');
    else logger.warn(line, to === 'closed' ? 'circuit closed: provider back in use' : 'circuit half-open: probing provider');
  });
  metrics.watchBreakers(breakers);
  metrics.watchOutbox(() => store.outbox.counts());

  const limits = new Limits(config.limits, {
    counters: redis ? createCounterFactory({ kind: 'redis', client: redis.client, onError: (err) => redis.failed('limits', err) }) : createCounterFactory(),
    hashKey: await store.secret('limit-key'),
    logger,
    onHit: (rule) => metrics.limitHits.inc({ rule }),
  });
  const dedupeStore = redis ? failOpen(new RedisDedupeStore(redis.client), (err) => redis.failed('dedupe', err)) : new MemoryDedupeStore();
  const dedupe =
    config.dedupe.windowSeconds > 0
      ? new Dedupe({ windowMs: config.dedupe.windowSeconds * 1000, hashKey: await store.secret('dedupe-key'), store: dedupeStore, deliveries: store.deliveries })
      : undefined;
  const guard = new RequestGuard({ limits, dedupe, routes: config.routes, onDuplicate: (endpoint) => metrics.duplicates.inc({ endpoint }) });

  let cipher: MessageCipher | undefined;
  if (Object.values(config.routes).some((r) => r.delivery === 'async')) {
    const keys = resolveOutboxKeys(config.storage, loaded.baseDir, logger);
    logger.info({ keySource: keys.source }, 'outbox encryption key loaded');
    cipher = new MessageCipher(keys.current, keys.previous);
  }
  const redeemCounters = redis ? createCounterFactory({ kind: 'redis', client: redis.client, onError: (err) => redis.failed('redeem', err) }) : createCounterFactory();
  const redeemFailures = new SharedFailureLimiter(
    redeemCounters({ name: 'redeemFailures', max: config.push.redeemMaxFailures - 1, windowSeconds: config.push.redeemFailureWindowSeconds }),
  );
  return { breakers, limits, guard, cipher, redeemFailures };
}
