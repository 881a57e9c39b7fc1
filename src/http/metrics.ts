import http from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { BreakerState, CircuitBreaker } from '../relay/circuit-breaker';
import type { OutboxState } from '../store/outbox';
import { requireAdminToken } from './admin-auth';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * Every metric the relay exports, in a registry of its own (not prom-client's global one) so several relays in
 * one process, as in the tests, never collide. Labels are bounded by configuration: endpoint paths, route and
 * provider names, outcomes and rule names, never a number or an id.
 */
export class RelayMetrics {
  readonly registry = new Registry();
  private breakers: ReadonlyMap<string, CircuitBreaker> = new Map();
  private outboxCounts: (() => Promise<Record<OutboxState, number>>) | undefined;

  readonly requests = new Counter({
    name: 'relay_requests_total',
    help: 'Requests to messenger endpoints, by endpoint path and HTTP status.',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'relay_request_duration_seconds',
    help: 'Time from request to answer on messenger endpoints.',
    labelNames: ['endpoint'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: 'relay_provider_attempts_total',
    help: 'Tries at providers, by provider and outcome (ok, retryable, failover, permanent, timeout, circuit_open).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly attemptSeconds = new Histogram({
    name: 'relay_provider_attempt_duration_seconds',
    help: "Time one provider took to answer (or to be given up on), skipped tries excluded.",
    labelNames: ['provider'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'relay_deliveries_total',
    help: 'Messages by route and final or queued status (delivered, failed, queued, expired, dead, acknowledged).',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly limitHits = new Counter({
    name: 'relay_limit_hits_total',
    help: 'Requests refused by an abuse rule, by rule (perPhone, perPrefix, perCountry, total, failedAuth, country, numberType).',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'relay_duplicates_total',
    help: 'Requests answered with an earlier delivery instead of sending again.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly redisErrors = new Counter({
    name: 'relay_redis_errors_total',
    help: 'Redis commands that failed (down, timed out) and fell back, by use: limits and redeem count in this process, dedupe lets the message through.',
    labelNames: ['use'] as const,
    registers: [this.registry],
  });
  readonly breakerTransitions = new Counter({
    name: 'relay_breaker_transitions_total',
    help: 'Circuit breaker state changes, by provider and new state.',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    const breakers = () => this.breakers;
    const outboxCounts = () => this.outboxCounts;
    new Gauge({
      name: 'relay_breaker_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half-open (probing), 2 open (skipped).',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      collect() {
        for (const [name, b] of breakers()) this.set({ provider: name }, BREAKER_VALUE[b.state]);
      },
    });
    new Gauge({
      name: 'relay_outbox_items',
      help: 'Async outbox entries by state (pending, leased, dead, expired).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const read = outboxCounts();
        if (!read) return;
        // A store that is closing must not turn a scrape into a 500.
        const counts = await read().catch(() => undefined);
        if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'relay_' });
  }

  watchBreakers(breakers: ReadonlyMap<string, CircuitBreaker>): void {
    this.breakers = breakers;
  }

  watchOutbox(counts: () => Promise<Record<OutboxState, number>>): void {
    this.outboxCounts = counts;
  }

  /** Only a relay with `redis.url` has the gauge: a 0 would otherwise read as an outage. */
  watchRedis(up: () => boolean): void {
    new Gauge({
      name: 'relay_redis_up',
      help: '1 while the Redis connection is ready, 0 while limits and dedupe fall back to this process.',
      registers: [this.registry],
      collect() {
        this.set(up() ? 1 : 0);
      },
    });
  }
}

async function writeMetrics(metrics: RelayMetrics, res: http.ServerResponse): Promise<void> {
  const body = await metrics.registry.metrics();
  res.setHeader('Content-Type', metrics.registry.contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/**
 * `/metrics` on the main port, behind a bearer token (`metrics.token`, else the admin token), compared in constant
 * time; with no token configured the path does not exist (404), as the admin API does.
 */
export function metricsRoute(metrics: RelayMetrics, token: string | undefined, logger: Logger): RequestHandler[] {
  return [
    requireAdminToken(token, logger),
    async (_req, res) => {
      await writeMetrics(metrics, res);
    },
  ];
}

/** `/metrics` on a port of its own, bound to an address of its own (a private interface): no auth, nothing else served. */
export async function startMetricsServer(metrics: RelayMetrics, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.statusCode = 404;
      return res.end();
    }
    writeMetrics(metrics, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return server;
}
