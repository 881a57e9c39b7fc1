import type { Logger } from 'pino';
import type { EndpointConfig, RouteConfig } from '../config/schema';
import { AppError } from '../errors';
import type { Message } from '../message';
import { ProviderError, type Provider } from '../providers/provider';
import { maskPhone, phoneDigest, scrub } from '../redact';
import type { AttemptRecord, DeliveryStatus } from '../store/delivery-log';
import type { Store } from '../store/store';

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
}

export interface DispatchOutcome {
  id: string;
  status: DeliveryStatus;
  providerMessageId?: string;
  provider?: string;
}

export interface DispatchMeta {
  requestId?: string;
  /** The request's logger, so delivery lines carry its request id. */
  logger?: Logger;
}

class DeadlineExceeded extends Error {}

/** Rejects when `signal` aborts, so a provider that ignores its signal still cannot hold the route past its deadline. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new DeadlineExceeded('deadline passed'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
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
    const record = await store.deliveries.create({
      endpoint: endpoint.path,
      route: endpoint.route,
      channel: message.channel,
      phoneDigest: phoneDigest(this.deps.phoneKey, message.to),
      phoneMasked: maskPhone(message.to),
      status: acknowledgeOnly ? 'acknowledged' : 'sending',
      test: message.test,
      requestId: meta.requestId,
    });
    const log = logger.child({ deliveryId: record.id, endpoint: endpoint.path, route: endpoint.route, to: record.phoneMasked });
    if (acknowledgeOnly) {
      log.info('test message acknowledged without sending');
      return { id: record.id, status: 'acknowledged' };
    }

    const started = Date.now();
    const deadline = started + route.deadlineMs;
    const candidates = route.providers
      .map((name) => this.deps.providers.get(name))
      .filter((p): p is Provider => !!p && p.channels.includes(message.channel));
    if (candidates.length === 0) {
      await store.deliveries.setStatus(record.id, 'failed');
      log.warn({ channel: message.channel }, 'no provider on the route handles this channel');
      throw new AppError('noProvider', `no provider on route "${endpoint.route}" sends ${message.channel} messages`, { id: record.id });
    }

    const attempts: AttemptRecord[] = [];
    let deadlinePassed = false;
    for (const provider of candidates) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        deadlinePassed = true;
        break;
      }
      const attemptStart = performance.now();
      const signal = AbortSignal.timeout(Math.min(remaining, this.deps.timeouts.get(provider.name) ?? remaining));
      try {
        const result = await Promise.race([provider.send(message, { signal, deliveryId: record.id, route: { name: endpoint.route, push: route.push } }), whenAborted(signal)]);
        const attempt: AttemptRecord = {
          provider: provider.name,
          outcome: 'ok',
          latencyMs: performance.now() - attemptStart,
          at: new Date().toISOString(),
          providerMessageId: result.providerMessageId,
        };
        attempts.push(attempt);
        await store.deliveries.addAttempt(record.id, attempt);
        await store.deliveries.setStatus(record.id, 'delivered', result.providerMessageId);
        log.info({ provider: provider.name, attempts: attempts.length, ms: Math.round(Date.now() - started) }, 'delivered');
        return { id: record.id, status: 'delivered', providerMessageId: result.providerMessageId, provider: provider.name };
      } catch (e) {
        const timedOut = e instanceof DeadlineExceeded || (signal.aborted && !(e instanceof ProviderError));
        // The signal fires for the route's deadline or for this provider's own timeout; only the first ends the route.
        const routeExpired = timedOut && Date.now() >= deadline - 1;
        const err = timedOut
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
          vendorCode: err.vendorCode,
          error: this.clean(err.message, message),
          latencyMs: performance.now() - attemptStart,
          at: new Date().toISOString(),
        };
        attempts.push(attempt);
        await store.deliveries.addAttempt(record.id, attempt);
        log.warn(
          { provider: provider.name, verdict: err.verdict, vendorStatus: err.vendorStatus, vendorCode: err.vendorCode, error: attempt.error },
          'provider failed',
        );
        if (routeExpired) {
          deadlinePassed = true;
          break;
        }
        if (err.verdict === 'permanent') break;
      }
    }

    await store.deliveries.setStatus(record.id, 'failed');
    const summary = attempts.map((a) => ({ provider: a.provider, verdict: a.verdict, vendorStatus: a.vendorStatus, vendorCode: a.vendorCode }));
    if (deadlinePassed) {
      log.error({ attempts: summary, ms: Date.now() - started }, 'route deadline passed');
      throw new AppError('deadlineExceeded', `no provider accepted the message within ${route.deadlineMs} ms`, { id: record.id, attempts: summary });
    }
    log.error({ attempts: summary }, 'every provider failed');
    throw new AppError('deliveryFailed', 'every provider on the route failed', { id: record.id, attempts: summary });
  }

  /** Vendor messages can echo what they were sent; strip secrets, the text and the code before storing or answering. */
  private clean(text: string, message: Message): string {
    const sensitive = [...this.deps.secrets, message.text, message.to];
    if (message.code) sensitive.push(message.code);
    return scrub(text, sensitive).slice(0, 500);
  }
}
