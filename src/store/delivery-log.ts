import type { Channel } from '../message';
import type { Verdict } from '../providers/provider';

/**
 * - `delivered`: a provider accepted it. `acknowledged`: FusionAuth's Test button, answered without sending.
 * - `sending`: a sync route is trying providers now. `failed`: every provider failed.
 * - `queued`: an async route holds it in the outbox. `expired`: it outlived its route's maxAgeSeconds before a
 *   provider took it (a late code is worthless). `dead`: maxAttempts spent, or a permanent failure.
 */
export type DeliveryStatus = 'sending' | 'delivered' | 'failed' | 'acknowledged' | 'queued' | 'expired' | 'dead';

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

/** Every accepted request and each of its attempts; never the code, never the full number. */
export interface DeliveryLog {
  create(rec: NewDelivery): Promise<DeliveryRecord>;
  addAttempt(id: string, attempt: AttemptRecord): Promise<void>;
  setStatus(id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void>;
  /** The last attempt and the final status in one transaction: one commit where a success would otherwise take two. */
  finish(id: string, status: DeliveryStatus, attempt?: AttemptRecord, providerMessageId?: string): Promise<void>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Newest first. */
  list(query: DeliveryQuery): Promise<DeliveryRecord[]>;
}
