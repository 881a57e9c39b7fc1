import type { JWK } from 'jose';
import type { AttemptRecord, DeliveryRecord, DeliveryStatus } from './delivery-log';
import type { DispatchTarget, TargetState } from './dispatch-targets';
import type { OutboxItem, OutboxState, OutboxSummary } from './outbox';

/**
 * The tables' rows as both engines return them, and one mapping of each to the interface's records, so the two
 * engines cannot drift apart. Where the drivers differ the row type says so: SQLite stores timestamps as ISO 8601
 * text and booleans as 0/1; pg returns TIMESTAMPTZ as Date, BOOLEAN as boolean and BIGINT as text (it may exceed
 * 2^53; epoch milliseconds never do).
 */
type Timestamp = string | Date;
type Millis = number | string;

const iso = (t: Timestamp): string => (typeof t === 'string' ? t : t.toISOString());

export interface DeliveryRow {
  id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  endpoint: string;
  route: string;
  channel: 'sms' | 'voice';
  phone_digest: string;
  phone_masked: string;
  status: DeliveryStatus;
  test: number | boolean;
  request_id: string | null;
  provider_message_id: string | null;
}

export interface AttemptRow {
  delivery_id: string;
  provider: string;
  outcome: 'ok' | 'failed';
  verdict: AttemptRecord['verdict'] | null;
  vendor_status: number | null;
  vendor_code: string | null;
  error: string | null;
  latency_ms: number;
  at: Timestamp;
  provider_message_id: string | null;
}

export function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    provider: r.provider,
    outcome: r.outcome,
    verdict: r.verdict ?? undefined,
    vendorStatus: r.vendor_status ?? undefined,
    vendorCode: r.vendor_code ?? undefined,
    error: r.error ?? undefined,
    latencyMs: r.latency_ms,
    at: iso(r.at),
    providerMessageId: r.provider_message_id ?? undefined,
  };
}

export function toDelivery(r: DeliveryRow, attempts: AttemptRecord[]): DeliveryRecord {
  return {
    id: r.id,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    endpoint: r.endpoint,
    route: r.route,
    channel: r.channel,
    phoneDigest: r.phone_digest,
    phoneMasked: r.phone_masked,
    status: r.status,
    test: r.test === true || r.test === 1,
    requestId: r.request_id ?? undefined,
    providerMessageId: r.provider_message_id ?? undefined,
    attempts,
  };
}

export interface TargetRow {
  id: string;
  name: string;
  username: string | null;
  user_id: string | null;
  device_id: string | null;
  dispatcher: string | null;
  target: string;
  signature_key: string;
  encryption_key: string;
  phone_digest: string | null;
  phone_masked: string | null;
  state: TargetState;
  state_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export function toTarget(r: TargetRow): DispatchTarget {
  const t: DispatchTarget = {
    id: r.id,
    name: r.name,
    target: r.target,
    signatureKey: JSON.parse(r.signature_key) as JWK,
    encryptionKey: JSON.parse(r.encryption_key) as JWK,
    state: r.state,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
  if (r.username !== null) t.username = r.username;
  if (r.user_id !== null) t.userId = r.user_id;
  if (r.device_id !== null) t.deviceId = r.device_id;
  if (r.dispatcher !== null) t.dispatcher = r.dispatcher;
  if (r.phone_digest !== null) t.phoneDigest = r.phone_digest;
  if (r.phone_masked !== null) t.phoneMasked = r.phone_masked;
  if (r.state_reason !== null) t.stateReason = r.state_reason;
  return t;
}

export interface OutboxRow {
  id: string;
  endpoint: string;
  route: string;
  state: OutboxState;
  payload: Buffer | null;
  attempts: number;
  max_attempts: number;
  created_at: Timestamp;
  expires_at: Millis;
  next_attempt_at: Millis;
  lease_until: Millis | null;
  last_error: string | null;
  phone_masked?: string;
}

export function toOutboxItem(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    endpoint: r.endpoint,
    route: r.route,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    createdAt: iso(r.created_at),
    expiresAt: Number(r.expires_at),
    nextAttemptAt: Number(r.next_attempt_at),
    leaseUntil: r.lease_until === null ? undefined : Number(r.lease_until),
    lastError: r.last_error ?? undefined,
    payload: r.payload ?? undefined,
  };
}

/** The admin view of an outbox row (joined with its delivery's masked number): never the sealed payload. */
export function toOutboxSummary(r: OutboxRow): OutboxSummary {
  const { payload: _payload, ...summary } = toOutboxItem(r);
  return { ...summary, phoneMasked: r.phone_masked ?? '' };
}

const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'leased', 'dead', 'expired'];

/** Items per state from `SELECT state, COUNT(*) … GROUP BY state` rows, every state present (0 when none). */
export function outboxCounts(rows: Iterable<{ state: OutboxState; n: number | string }>): Record<OutboxState, number> {
  const out = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}
