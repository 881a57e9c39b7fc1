import type { Logger } from 'pino';
import type { EndpointConfig, RouteConfig } from '../config/schema';
import { AppError } from '../errors';
import type { Message } from '../message';
import { ProviderError, type Provider } from '../providers/provider';
import { timeLimit } from '../providers/shared/time-limit';
import { maskPhone, phoneDigest, scrub } from '../redact';
import type { RelayMetrics } from '../http/metrics';
import type { AttemptRecord, DeliveryStatus, NewDelivery } from '../store/delivery-log';
import type { MessageCipher } from '../store/message-cipher';
import type { Store } from '../store/store';
import { StoreUnavailableError } from '../store/store-unavailable';
import type { CircuitBreaker } from './circuit-breaker';

export interface DispatcherDeps {
  store: Store;
  providers: ReadonlyMap<string, Provider>;
  /** Each provider's own `timeoutMs`: one try never gets more, whatever the route has left. */
  timeouts: ReadonlyMap<string, number | undefined>;
  routes: Readonly<Record<string, RouteConfig>>;
  logger: Logger;
  /** Values that must never reach a stored error or a response (passwords, tokens). */
  secrets: readonly string[];
  phoneKey: Buffer;
  /** One per provider that has one; an open breaker skips its provider at once. */
  breakers?: ReadonlyMap<string, CircuitBreaker>;
  metrics?: RelayMetrics;
  /** Seals queued messages; needed once any route is `delivery: async`. */
  cipher?: MessageCipher;
  /** Told when a message was queued, so the outbox worker picks it up now rather than at its next poll. */
  onQueued?: () => void;
}

export interface DispatchOutcome {
  id: string;
  status: DeliveryStatus;
  providerMessageId?: string;
  provider?: string;
}

export interface DispatchMeta {
  requestId?: string;
  /**
   * Epoch ms when the request arrived. The route's deadline counts from here, so time spent on limits, a dedupe
   * wait or a slow store comes out of it and the answer still reaches the caller before its read timeout.
   */
  receivedAt?: number;
  /** The request's logger, so delivery lines carry its request id. */
  logger?: Logger;
}

/** One pass over a route's providers, for a sync request or for one outbox attempt. */
export interface RouteRun {
  routeName: string;
  message: Message;
  deliveryId: string;
  /** Epoch ms: no try starts after it, and a try in flight is given up at it. */
  deadline: number;
  log: Logger;
  /** Aborts every try: the process is shutting down. */
  signal?: AbortSignal;
}

/**
 * The pass's result. Failed and skipped tries are already in the delivery log; the winning try is not, so the
 * caller can write it together with what it means (the outbox's done-mark goes in the same transaction).
 */
export type RouteResult =
  | { ok: true; provider: string; providerMessageId?: string; attempt: AttemptRecord; attempts: AttemptRecord[] }
  | {
      ok: false;
      /** `circuitOpen`: every provider was skipped by its breaker, none was tried. */
      reason: 'noProvider' | 'deadline' | 'failed' | 'circuitOpen' | 'aborted';
      attempts: AttemptRecord[];
      /** The last failure was permanent: no provider can succeed with this message. */
      permanent: boolean;
      /**
       * How long until some provider on the route may be worth trying again: the shortest of the failed tries'
       * Retry-After and the open breakers' next probes, none when a provider failed without asking to wait. The
       * retry comes back to the whole route, so one vendor's long wait (FCM's quota) must not hold back the others.
       */
      retryAfterMs?: number;
    };

class DeadlineExceeded extends Error {}

/**
 * Rejects when `signal` aborts, so a provider that ignores its signal still cannot hold the route past its deadline.
 * `dispose` drops the listener once the try is over, so a finished try leaves nothing armed behind it.
 */
function whenAborted(signal: AbortSignal): { aborted: Promise<never>; dispose: () => void } {
  let dispose = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new DeadlineExceeded('deadline passed'));
    if (signal.aborted) return fail();
    signal.addEventListener('abort', fail, { once: true });
    dispose = () => signal.removeEventListener('abort', fail);
  });
  return { aborted, dispose };
}

function asProviderError(provider: string, e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  return new ProviderError(provider, `unexpected error: ${(e as Error)?.message ?? String(e)}`, { verdict: 'failover', cause: e });
}

/** Route → ordered providers → first acceptance wins, all inside the route's deadline; every attempt recorded. */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  async deliver(endpoint: EndpointConfig, message: Message, meta: DispatchMeta = {}): Promise<DispatchOutcome> {
    const { store } = this.deps;
    const logger = meta.logger ?? this.deps.logger;
    const route = this.deps.routes[endpoint.route];
    const acknowledgeOnly = message.test && endpoint.testMessage === 'acknowledge';
    if (!acknowledgeOnly && route.delivery === 'async' && this.candidates(endpoint.route, message).length > 0) {
      return this.enqueue(endpoint, message, this.newDelivery(endpoint, message, meta, 'queued'), meta);
    }
    const record = await store.deliveries.create(this.newDelivery(endpoint, message, meta, acknowledgeOnly ? 'acknowledged' : 'sending'));
    const log = logger.child({ deliveryId: record.id, endpoint: endpoint.path, route: endpoint.route, to: record.phoneMasked });
    if (acknowledgeOnly) {
      log.info('test message acknowledged without sending');
      this.count(endpoint.route, 'acknowledged');
      return { id: record.id, status: 'acknowledged' };
    }

    const started = meta.receivedAt ?? Date.now();
    const result = await this.attemptRoute({ routeName: endpoint.route, message, deliveryId: record.id, deadline: started + route.deadlineMs, log });
    if (result.ok) {
      await this.record(store.deliveries.finish(record.id, 'delivered', result.attempt, result.providerMessageId), log, 'the delivery');
      this.count(endpoint.route, 'delivered');
      log.info({ provider: result.provider, attempts: result.attempts.length, ms: Math.round(Date.now() - started) }, 'delivered');
      return { id: record.id, status: 'delivered', providerMessageId: result.providerMessageId, provider: result.provider };
    }

    await this.record(store.deliveries.setStatus(record.id, 'failed'), log, 'the failure');
    this.count(endpoint.route, 'failed');
    const summary = result.attempts.map((a) => ({ provider: a.provider, verdict: a.verdict, vendorStatus: a.vendorStatus, vendorCode: a.vendorCode }));
    switch (result.reason) {
      case 'noProvider':
        log.warn({ channel: message.channel }, 'no provider on the route handles this channel');
        throw new AppError('noProvider', `no provider on route "${endpoint.route}" sends ${message.channel} messages`, { id: record.id });
      case 'circuitOpen': {
        const seconds = Math.max(1, Math.ceil((result.retryAfterMs ?? 1000) / 1000));
        log.error({ attempts: summary }, 'every provider on the route is skipped by its circuit breaker');
        throw new AppError('noProvider', 'every provider on the route is failing; none was tried', { id: record.id, attempts: summary }, { 'Retry-After': String(seconds) });
      }
      case 'deadline':
        log.error({ attempts: summary, ms: Date.now() - started }, 'route deadline passed');
        throw new AppError('deadlineExceeded', `no provider accepted the message within ${route.deadlineMs} ms`, { id: record.id, attempts: summary });
      default: {
        if (result.permanent) {
          // The providers after it were not tried: the vendor said no provider could deliver this message.
          const last = result.attempts.at(-1);
          log.error({ attempts: summary }, 'a provider refused the message for good; the route stopped');
          throw new AppError('deliveryFailed', `${last?.provider ?? 'a provider'} refused the message for good (${last?.vendorCode ?? 'permanent'}); no other provider was tried`, {
            id: record.id,
            attempts: summary,
          });
        }
        log.error({ attempts: summary }, 'every provider failed');
        throw new AppError('deliveryFailed', 'every provider on the route failed', { id: record.id, attempts: summary });
      }
    }
  }

  /** The delivery record of a message as it arrives: the number only as its keyed digest and its mask. */
  private newDelivery(endpoint: EndpointConfig, message: Message, meta: DispatchMeta, status: DeliveryStatus): NewDelivery {
    return {
      endpoint: endpoint.path,
      route: endpoint.route,
      channel: message.channel,
      phoneDigest: phoneDigest(this.deps.phoneKey, message.to),
      phoneMasked: maskPhone(message.to),
      status,
      test: message.test,
      requestId: meta.requestId,
    };
  }

  /** `delivery: async`: the record and its sealed outbox entry in one transaction; the worker does the rest. */
  private async enqueue(endpoint: EndpointConfig, message: Message, delivery: NewDelivery, meta: DispatchMeta): Promise<DispatchOutcome> {
    const { cipher, store } = this.deps;
    if (!cipher) throw new Error(`route "${endpoint.route}" is async but the relay has no outbox key`);
    const route = this.deps.routes[endpoint.route];
    const record = await store.outbox.enqueue(
      delivery,
      { maxAttempts: route.async.maxAttempts, expiresAt: Date.now() + route.async.maxAgeSeconds * 1000, seal: (id) => cipher.seal(message, id) },
    );
    (meta.logger ?? this.deps.logger).info({ deliveryId: record.id, endpoint: endpoint.path, route: endpoint.route, to: record.phoneMasked }, 'queued');
    this.count(endpoint.route, 'queued');
    this.deps.onQueued?.();
    return { id: record.id, status: 'queued' };
  }

  /** The route's providers that send this message's channel, in order. */
  candidates(routeName: string, message: Message): Provider[] {
    return this.deps.routes[routeName].providers
      .map((name) => this.deps.providers.get(name))
      .filter((p): p is Provider => !!p && p.channels.includes(message.channel));
  }

  /** Route → ordered providers → first acceptance wins, inside `run.deadline`; each failed or skipped try recorded. */
  async attemptRoute(run: RouteRun): Promise<RouteResult> {
    const { store, breakers } = this.deps;
    const { message, log, deadline } = run;
    const candidates = this.candidates(run.routeName, message);
    if (candidates.length === 0) return { ok: false, reason: 'noProvider', attempts: [], permanent: true };

    const attempts: AttemptRecord[] = [];
    let deadlinePassed = false;
    let aborted = false;
    let tried = 0;
    let probeInMs = Infinity;
    /** The soonest any failed try may be repeated; 0 once one failed without asking to wait. */
    let soonestRetryMs: number | undefined;
    let permanent = false;
    for (const provider of candidates) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        deadlinePassed = true;
        break;
      }
      if (run.signal?.aborted) {
        aborted = true;
        break;
      }
      const breaker = breakers?.get(provider.name);
      if (breaker && !breaker.tryPass()) {
        const skipped: AttemptRecord = {
          provider: provider.name,
          outcome: 'failed',
          verdict: 'failover',
          vendorCode: 'circuit-open',
          error: 'skipped: its circuit breaker is open after repeated failures',
          latencyMs: 0,
          at: new Date().toISOString(),
        };
        attempts.push(skipped);
        await this.record(store.deliveries.addAttempt(run.deliveryId, skipped), log, 'a skipped provider');
        this.deps.metrics?.attempts.inc({ provider: provider.name, outcome: 'circuit_open' });
        probeInMs = Math.min(probeInMs, breaker.retryInMs());
        continue;
      }
      tried += 1;
      const attemptStart = performance.now();
      const limit = timeLimit(Math.min(remaining, this.deps.timeouts.get(provider.name) ?? remaining), run.signal);
      const { signal } = limit;
      const watch = whenAborted(signal);
      try {
        const result = await Promise.race([
          provider.send(message, { signal, deliveryId: run.deliveryId, route: { name: run.routeName, push: this.deps.routes[run.routeName].push } }),
          watch.aborted,
        ]);
        const attempt: AttemptRecord = {
          provider: provider.name,
          outcome: 'ok',
          latencyMs: performance.now() - attemptStart,
          at: new Date().toISOString(),
          providerMessageId: result.providerMessageId,
        };
        attempts.push(attempt);
        breaker?.success();
        this.observe(provider.name, 'ok', attempt.latencyMs);
        return { ok: true, provider: provider.name, providerMessageId: result.providerMessageId, attempt, attempts };
      } catch (e) {
        const stopped = !!run.signal?.aborted;
        const timedOut = !stopped && (e instanceof DeadlineExceeded || (signal.aborted && !(e instanceof ProviderError)));
        // The signal fires for the route's deadline or for this provider's own timeout; only the first ends the route.
        const routeExpired = timedOut && Date.now() >= deadline - 1;
        const err = stopped
          ? new ProviderError(provider.name, 'given up: the relay is shutting down', { verdict: 'retryable', vendorCode: 'aborted' })
          : timedOut
            ? new ProviderError(provider.name, routeExpired ? 'route deadline passed while waiting for the provider' : 'provider timed out', {
                verdict: 'failover',
                vendorCode: routeExpired ? 'deadline' : 'timeout',
              })
            : asProviderError(provider.name, e);
        const attempt: AttemptRecord = {
          provider: provider.name,
          outcome: 'failed',
          verdict: err.verdict,
          vendorStatus: err.vendorStatus,
          // A vendor code can be the vendor's own text (a chained relay's generalErrors code), so it is cleaned too.
          vendorCode: err.vendorCode === undefined ? undefined : this.clean(err.vendorCode, message),
          error: this.clean(err.message, message),
          latencyMs: performance.now() - attemptStart,
          at: new Date().toISOString(),
        };
        attempts.push(attempt);
        await this.record(store.deliveries.addAttempt(run.deliveryId, attempt), log, 'a failed attempt');
        // A permanent verdict means the vendor answered sensibly about this message: it is alive.
        if (stopped || err.notSent) breaker?.abandon();
        else if (err.verdict === 'permanent') breaker?.success();
        else breaker?.failure();
        this.observe(provider.name, stopped ? 'aborted' : timedOut ? 'timeout' : err.verdict, attempt.latencyMs);
        soonestRetryMs = Math.min(soonestRetryMs ?? Infinity, err.retryAfterMs ?? 0);
        log.warn(
          { provider: provider.name, verdict: err.verdict, vendorStatus: err.vendorStatus, vendorCode: attempt.vendorCode, error: attempt.error },
          'provider failed',
        );
        if (stopped) {
          aborted = true;
          break;
        }
        if (routeExpired) {
          deadlinePassed = true;
          break;
        }
        if (err.verdict === 'permanent') {
          permanent = true;
          break;
        }
      } finally {
        limit.done();
        watch.dispose();
      }
    }
    const soonest = Math.min(soonestRetryMs ?? Infinity, probeInMs);
    const retryAfterMs = Number.isFinite(soonest) && soonest > 0 ? soonest : undefined;
    if (aborted) return { ok: false, reason: 'aborted', attempts, permanent: false };
    if (deadlinePassed) return { ok: false, reason: 'deadline', attempts, permanent: false, retryAfterMs };
    if (tried === 0) return { ok: false, reason: 'circuitOpen', attempts, permanent: false, retryAfterMs };
    return { ok: false, reason: 'failed', attempts, permanent, retryAfterMs };
  }

  /**
   * Once a message is on its way, a delivery-log write that the store cannot take must not stop it: the person
   * waiting for the code matters more than the record, and the answer still says what happened. The gap is logged.
   */
  private async record(write: Promise<void>, log: Logger, what: string): Promise<void> {
    try {
      await write;
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      log.error({ store: e.engine, reason: e.reason }, `store unavailable: ${what} is missing from the delivery log`);
    }
  }

  private observe(provider: string, outcome: string, latencyMs: number): void {
    this.deps.metrics?.attempts.inc({ provider, outcome });
    this.deps.metrics?.attemptSeconds.observe({ provider }, latencyMs / 1000);
  }

  /** Counts a message under its route once it reaches `status`. */
  count(route: string, status: DeliveryStatus): void {
    this.deps.metrics?.deliveries.inc({ route, status });
  }

  /** Vendor answers can echo what they were sent; strip secrets, the text, the number and the code before storing, logging or answering. */
  private clean(text: string, message: Message): string {
    const sensitive = [...this.deps.secrets, message.text, message.to, message.to.replace(/^\+/, '')];
    if (message.code) sensitive.push(message.code);
    return scrub(text, sensitive).slice(0, 500);
  }
}
