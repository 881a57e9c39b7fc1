import type { AttemptRecord, DeliveryRecord, NewDelivery } from './delivery-log';

/**
 * - `pending`: waiting for its next attempt. `leased`: a worker holds it until `leaseUntil`; a worker that died
 *   leaves the lease to run out, and the item is claimable again.
 * - `dead` and `expired`: final, kept (without the message) for the admin view. A delivered item is removed.
 */
export type OutboxState = 'pending' | 'leased' | 'dead' | 'expired';

export interface OutboxItem {
  /** The delivery record's id: one outbox entry per delivery. */
  id: string;
  endpoint: string;
  route: string;
  state: OutboxState;
  /** Finished attempts (each a pass over the route's providers). */
  attempts: number;
  maxAttempts: number;
  createdAt: string;
  /** Epoch ms after which the message is worthless and is expired instead of sent. */
  expiresAt: number;
  nextAttemptAt: number;
  leaseUntil?: number;
  lastError?: string;
  /** The sealed message; absent once the item is final. Never exposed by the admin view. */
  payload?: Buffer;
}

/** What the admin view shows: no payload. */
export type OutboxSummary = Omit<OutboxItem, 'payload'> & { phoneMasked: string };

export interface NewOutboxItem {
  maxAttempts: number;
  expiresAt: number;
  /** Seals the message for the delivery id the store picked, so the ciphertext is bound to its row. */
  seal(id: string): Buffer;
}

export type OutboxResult =
  | { state: 'done'; attempt: AttemptRecord; providerMessageId?: string }
  | { state: 'retry'; nextAttemptAt: number; error: string; countAttempt: boolean }
  | { state: 'dead' | 'expired'; error: string; countAttempt: boolean }
  | { state: 'released' };

/**
 * The durable queue behind async routes. Every method that changes an item checks the caller still holds its
 * lease, so a worker whose lease ran out cannot overwrite the work of the worker that took over.
 */
export interface Outbox {
  /** The delivery record (status `queued`) and its outbox entry, in one transaction. */
  enqueue(delivery: NewDelivery, item: NewOutboxItem): Promise<DeliveryRecord>;
  /** Leases up to `limit` due items (pending and due, or leased with a lapsed lease) to `owner`. */
  claim(owner: string, limit: number, leaseMs: number, now?: number): Promise<OutboxItem[]>;
  /**
   * Ends one attempt. `done` writes the winning attempt, marks the delivery delivered and removes the entry in one
   * transaction; answers false when `owner` no longer held the lease (the outcome is still recorded).
   */
  finish(id: string, owner: string, result: OutboxResult): Promise<boolean>;
  /** Hands every item `owner` holds back to pending, due now (a clean shutdown). */
  release(owner: string): Promise<number>;
  list(query: { state?: OutboxState; limit?: number }): Promise<OutboxSummary[]>;
  counts(): Promise<Record<OutboxState, number>>;
  /** Deletes final items older than `before` (epoch ms). */
  prune(before: number): Promise<number>;
}
