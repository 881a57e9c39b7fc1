import type { DeliveryLog } from './delivery-log';
import type { Outbox } from './outbox';
import type { DispatchTargets } from './dispatch-targets';
import type { RedeemTokens } from './redeem-tokens';
import type { RequestIds } from './request-ids';

/**
 * One interface, two engines: SQLite (embedded default) and PostgreSQL (several replicas). Each concern is its
 * own repository (`deliveries`, …) so an engine implements them one file at a time and the store conformance kit
 * checks them one by one. A call the engine cannot serve now (locked, full, read-only, closed, unreachable) rejects
 * with a StoreUnavailableError, whichever repository it was.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  ping(): Promise<void>;
  close(): Promise<void>;
  /** A named random secret created once per store, so every replica sharing the store derives the same hashes. */
  secret(name: string, bytes?: number): Promise<Buffer>;
  readonly deliveries: DeliveryLog;
  /** Async routes' queue; its `enqueue` writes the delivery record too, in the same transaction. */
  readonly outbox: Outbox;
  readonly targets: DispatchTargets;
  readonly redeemTokens: RedeemTokens;
  readonly requestIds: RequestIds;
}
