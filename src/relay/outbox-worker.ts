import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/schema';
import type { Message } from '../message';
import type { MessageCipher } from '../store/message-cipher';
import type { OutboxItem, OutboxResult } from '../store/outbox';
import type { Store } from '../store/store';
import { backoffMs } from './backoff';
import type { Dispatcher } from './dispatcher';

export interface OutboxWorkerOptions {
  store: Store;
  dispatcher: Dispatcher;
  cipher: MessageCipher;
  routes: Readonly<Record<string, RouteConfig>>;
  logger: Logger;
  /** Items delivered at once by this process. */
  concurrency?: number;
  /** How often the outbox is looked at when nothing woke the worker (a retry falling due, another replica's items). */
  pollMs?: number;
  /** Final (dead, expired) entries are kept this long for the admin view. */
  retainMs?: number;
}

/**
 * Delivers async routes' messages. Items are leased, not taken: a worker that dies (kill -9) leaves its leases to
 * run out, and the items are claimed again, so nothing accepted is lost. A lease lasts the route's deadline plus a
 * margin, and a try never outlives the deadline, so a live worker always finishes before its lease ends.
 *
 * Exactly once: the winning attempt, the delivered status and the removal from the queue are one transaction, so
 * a finished delivery is never repeated. What remains is a crash after the vendor accepted and before that commit:
 * the item is then sent again when its lease runs out (at least once). Every try carries the delivery id
 * (`SendContext.deliveryId`) so a provider whose vendor takes an idempotency key closes that window too.
 */
export class OutboxWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** The earliest retry this worker scheduled itself. */
  private dueAt = Infinity;
  private ticking: Promise<void> | undefined;
  private again = false;
  private lastPrune = 0;

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.concurrency = opts.concurrency ?? 4;
    this.pollMs = opts.pollMs ?? 1000;
    const deadlines = Object.values(opts.routes).filter((r) => r.delivery === 'async').map((r) => r.deadlineMs);
    this.leaseMs = Math.max(0, ...deadlines) + 5000;
  }

  start(): void {
    // The owner is what `lease_owner` holds in the outbox: this line maps a stuck lease to the process that took it.
    this.opts.logger.info({ owner: this.owner, concurrency: this.concurrency, leaseMs: this.leaseMs }, 'outbox worker started');
    this.schedule(0);
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    if (this.closed) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  /**
   * Stops claiming at once; lets tries in flight finish for up to `graceMs`, then aborts them. Whatever this worker
   * still holds goes back to pending, due now, so the next start (or another replica) sends it without waiting
   * for a lease to run out.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking;
    const drained = Promise.allSettled([...this.inflight.values()]);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((ok) => {
      timer = setTimeout(() => ok('late'), graceMs);
    });
    if ((await Promise.race([drained, late])) === 'late') {
      this.stopping.abort();
      await drained;
    }
    clearTimeout(timer);
    this.stopping.abort();
    const released = await this.opts.store.outbox.release(this.owner).catch(() => 0);
    if (released) this.opts.logger.info({ released }, 'outbox items handed back for the next start');
  }

  /** A retry falls due before the next poll: look then, not at the poll. */
  private wakeAt(at: number): void {
    this.dueAt = Math.min(this.dueAt, at);
    if (this.closed || this.ticking || at >= this.timerAt) return;
    this.schedule(Math.max(0, at - Date.now()));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      void this.tick();
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = this.claimDue();
    await this.ticking;
  }

  private async claimDue(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = this.concurrency - this.inflight.size;
        if (free <= 0) break;
        const items = await this.opts.store.outbox.claim(this.owner, free, this.leaseMs);
        for (const item of items) this.track(item);
        if (items.length === free) this.again = true;
      } while (this.again && !this.closed);
      await this.prune();
    } catch (err) {
      this.opts.logger.error({ err }, 'outbox poll failed');
    } finally {
      this.ticking = undefined;
      if (!this.closed) {
        const untilDue = this.dueAt - Date.now();
        if (untilDue <= 0) this.dueAt = Infinity;
        this.schedule(Math.max(0, Math.min(this.pollMs, untilDue)));
      }
    }
  }

  private track(item: OutboxItem): void {
    const run = this.process(item)
      .catch((err: unknown) => this.opts.logger.error({ err, deliveryId: item.id }, 'outbox item failed unexpectedly; its lease will bring it back'))
      .finally(() => {
        this.inflight.delete(item.id);
        this.wake();
      });
    this.inflight.set(item.id, run);
  }

  private async process(item: OutboxItem): Promise<void> {
    const { store, dispatcher, logger } = this.opts;
    const log = logger.child({ deliveryId: item.id, endpoint: item.endpoint, route: item.route, attempt: item.attempts + 1 });
    const finish = async (result: OutboxResult) => {
      const held = await store.outbox.finish(item.id, this.owner, result);
      if (!held) log.warn({ result: result.state }, 'outbox lease was lost before the item finished');
      if (result.state === 'dead' || result.state === 'expired' || result.state === 'done') {
        dispatcher.count(item.route, result.state === 'done' ? 'delivered' : result.state);
      }
    };

    const route = this.opts.routes[item.route];
    if (!route) return finish({ state: 'dead', error: `route "${item.route}" is no longer configured`, countAttempt: false });
    let message: Message;
    try {
      message = this.opts.cipher.open<Message>(item.payload ?? Buffer.alloc(0), item.id);
    } catch (e) {
      log.error({ reason: (e as Error).message }, 'queued message cannot be opened');
      return finish({ state: 'dead', error: `cannot open the queued message: ${(e as Error).message}`, countAttempt: false });
    }
    const now = Date.now();
    if (now >= item.expiresAt) {
      log.warn('queued message expired before it could be sent');
      return finish({ state: 'expired', error: item.lastError ?? 'expired before the first attempt', countAttempt: false });
    }

    const result = await dispatcher.attemptRoute({
      routeName: item.route,
      message,
      deliveryId: item.id,
      deadline: Math.min(now + route.deadlineMs, item.expiresAt),
      log,
      signal: this.stopping.signal,
    });
    if (result.ok) {
      await finish({ state: 'done', attempt: result.attempt, providerMessageId: result.providerMessageId });
      log.info({ provider: result.provider, attempts: item.attempts + 1 }, 'delivered from the outbox');
      return;
    }
    if (result.reason === 'aborted') return finish({ state: 'released' });

    const last = result.attempts.at(-1);
    const error = last ? `${last.provider}: ${last.vendorCode ?? last.vendorStatus ?? last.verdict ?? 'failed'}${last.error ? ` (${last.error})` : ''}`.slice(0, 500) : result.reason;
    // Skipped by open breakers only: no vendor was asked, so the try does not count; come back at the first probe.
    const counted = result.reason !== 'circuitOpen';
    const attempts = item.attempts + (counted ? 1 : 0);
    if (result.permanent || result.reason === 'noProvider') {
      log.error({ error }, 'outbox item is dead: a permanent failure');
      return finish({ state: 'dead', error, countAttempt: counted });
    }
    if (attempts >= item.maxAttempts) {
      log.error({ error, attempts }, 'outbox item is dead: every attempt spent');
      return finish({ state: 'dead', error, countAttempt: counted });
    }
    const wait = counted
      ? Math.max(backoffMs(attempts, route.async.backoff.initialMs, route.async.backoff.maxMs), result.retryAfterMs ?? 0)
      : Math.max(result.retryAfterMs ?? 0, 100);
    const next = Date.now() + wait;
    if (next >= item.expiresAt) {
      log.warn({ error, attempts }, 'outbox item expired: its next attempt would come after its code is worthless');
      return finish({ state: 'expired', error, countAttempt: counted });
    }
    log.info({ error, attempts, retryInMs: wait }, 'outbox attempt failed; will retry');
    await finish({ state: 'retry', nextAttemptAt: next, error, countAttempt: counted });
    this.wakeAt(next);
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.opts.store.outbox.prune(now - (this.opts.retainMs ?? 7 * 86_400_000));
  }
}
