import { createHmac } from 'node:crypto';
import { AppError } from '../errors';
import type { Message } from '../message';
import type { DeliveryLog, DeliveryStatus } from '../store/delivery-log';

/** What the store keeps per message: the first delivery's id, or nothing yet while it is still being sent. */
export interface DedupeEntry {
  id?: string;
}

/**
 * Where dedupe keys live: in this process (memory-dedupe-store.ts) or in Redis shared by every replica
 * (redis-dedupe-store.ts, where `reserve` is SET NX PX).
 */
export interface DedupeStore {
  /** Atomically marks `key` as being sent unless it is already there; answers what was there. */
  reserve(key: string, ttlMs: number): Promise<DedupeEntry | undefined>;
  /** The first delivery's id, kept for the rest of the window. */
  settle(key: string, id: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<DedupeEntry | undefined>;
  /** Forgets `key`: the first try failed or was refused, so the next one gets a new chance. */
  release(key: string): Promise<void>;
}

export interface FirstOutcome {
  id: string;
  status: DeliveryStatus;
}

export interface DedupeAnswer<T extends FirstOutcome> {
  outcome: T | FirstOutcome;
  duplicate: boolean;
}

/** A retry after these gets a new chance: suppressing it would suppress the only code the person could get. */
const GAVE_UP: ReadonlySet<DeliveryStatus> = new Set(['failed', 'dead', 'expired']);

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export function markDuplicate(e: unknown): unknown {
  if (!(e instanceof AppError)) return e;
  return new AppError(e.name_, e.message, e.data, { ...e.headers, 'X-Relay-Duplicate': 'true' });
}

/**
 * The same message (endpoint, channel, number, text) inside the window is sent once. The key is an HMAC, so the
 * text (which holds the code) and the number are not kept in clear even in memory. A duplicate that arrives while
 * the first is still being sent waits for the first's outcome; one that arrives after the first failed is sent.
 */
export class Dedupe {
  private readonly inflight = new Map<string, Promise<DedupeAnswer<FirstOutcome>>>();

  constructor(
    private readonly opts: { windowMs: number; hashKey: Buffer; store: DedupeStore; deliveries: DeliveryLog; pollMs?: number },
  ) {}

  key(endpoint: string, message: Message): string {
    return createHmac('sha256', this.opts.hashKey)
      .update([endpoint, message.channel, message.to, message.text].join('\0'))
      .digest('base64url');
  }

  /** `pendingMs`: how long the first may take (its route's deadline) before a waiter on another replica gives up waiting. */
  async run<T extends FirstOutcome>(key: string, pendingMs: number, send: () => Promise<T>): Promise<DedupeAnswer<T>> {
    const running = this.inflight.get(key);
    if (running) {
      try {
        return { outcome: (await running).outcome, duplicate: true };
      } catch (e) {
        throw markDuplicate(e);
      }
    }
    const first = this.first(key, pendingMs, send);
    this.inflight.set(key, first);
    try {
      return await first;
    } finally {
      if (this.inflight.get(key) === first) this.inflight.delete(key);
    }
  }

  private async first<T extends FirstOutcome>(key: string, pendingMs: number, send: () => Promise<T>): Promise<DedupeAnswer<T>> {
    const { store, windowMs } = this.opts;
    const until = Date.now() + pendingMs;
    for (;;) {
      const prior = await store.reserve(key, pendingMs + 1000);
      if (!prior) break;
      const earlier = await this.earlier(key, prior, until);
      if (earlier === 'released') {
        // The first (on another replica) failed and gave the key back: reserve again, so that of several
        // waiters one sends and the others wait for it, rather than all sending at once.
        if (Date.now() < until) continue;
        break;
      }
      if (earlier) return { outcome: earlier, duplicate: true };
      // Its delivery gave up (a retry gets a new chance), or it is still pending at our deadline (its replica
      // likely died mid-send): send.
      break;
    }
    let outcome: T;
    try {
      outcome = await send();
    } catch (e) {
      await store.release(key);
      throw e;
    }
    await store.settle(key, outcome.id, windowMs);
    return { outcome, duplicate: false };
  }

  /**
   * The earlier delivery, if it stands: waits while another replica is still sending it, polling the key (a
   * duplicate in flight on another replica is rare, and polling needs no second connection, which pub/sub would).
   * `released` when the key disappeared while waiting: the first failed.
   */
  private async earlier(key: string, prior: DedupeEntry, until: number): Promise<FirstOutcome | 'released' | undefined> {
    let entry: DedupeEntry | undefined = prior;
    while (entry && !entry.id) {
      if (Date.now() > until) return undefined;
      await sleep(Math.max(1, Math.min(this.opts.pollMs ?? 50, until - Date.now())));
      entry = await this.opts.store.get(key);
    }
    if (!entry) return 'released';
    if (!entry.id) return undefined;
    const record = await this.opts.deliveries.get(entry.id);
    if (!record || GAVE_UP.has(record.status)) return undefined;
    return { id: record.id, status: record.status };
  }
}
