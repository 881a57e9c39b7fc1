import type { Channel } from '../message';
import type { Verdict } from '../providers/provider';

/**
 * - `delivered`: a provider accepted it. `acknowledged`: FusionAuth's Test button, answered without sending.
 * - `sending`: a sync route is trying providers now. `failed`: every provider failed.
 */
export type DeliveryStatus = 'sending' | 'delivered' | 'failed' | 'acknowledged';

export interface AttemptRecord {
  provider: string;
  outcome: 'ok' | 'failed';
  verdict?: Verdict;
  vendorStatus?: number;
  vendorCode?: string;
  /** Already scrubbed of secrets and codes. */
  error?: string;
  latencyMs: number;
  at: string;
  providerMessageId?: string;
}

export interface NewDelivery {
  endpoint: string;
  route: string;
  channel: Channel;
  /** Keyed hash of the E.164 number: lets the log answer "what happened to this number" without storing it. */
  phoneDigest: string;
  phoneMasked: string;
  status: DeliveryStatus;
  test: boolean;
  requestId?: string;
}

export interface DeliveryRecord extends NewDelivery {
  id: string;
  createdAt: string;
  updatedAt: string;
  providerMessageId?: string;
  attempts: AttemptRecord[];
}

export interface DeliveryQuery {
  phoneDigest?: string;
  /** ISO 8601; records created at or after it. */
  since?: string;
  limit?: number;
}

/** One interface, two engines: SQLite (embedded default) and PostgreSQL (several replicas). */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  ping(): Promise<void>;
  close(): Promise<void>;
  /** A named random secret created once per store, so every replica sharing the store derives the same hashes. */
  secret(name: string, bytes?: number): Promise<Buffer>;

  createDelivery(rec: NewDelivery): Promise<DeliveryRecord>;
  addAttempt(id: string, attempt: AttemptRecord): Promise<void>;
  setStatus(id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]>;
}
