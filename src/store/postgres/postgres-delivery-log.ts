import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { transaction } from './transaction';
import type { AttemptRecord, DeliveryLog, DeliveryQuery, DeliveryRecord, DeliveryStatus, NewDelivery } from '../delivery-log';
import { toAttempt, toDelivery, type AttemptRow, type DeliveryRow } from '../rows';

/**
 * The delivery log on PostgreSQL. Timestamps are TIMESTAMPTZ in the table and ISO 8601 strings at the interface,
 * made in the relay (not by `now()`) so `create()` returns exactly what `get()` later reads, as on SQLite.
 */
export class PostgresDeliveryLog implements DeliveryLog {
  constructor(private readonly pool: Pool) {}

  async create(rec: NewDelivery): Promise<DeliveryRecord> {
    return this.createOn(this.pool, rec);
  }

  /** On a given connection, so the outbox can write a record inside its own transaction. */
  async createOn(db: Pool | PoolClient, rec: NewDelivery, id: string = randomUUID()): Promise<DeliveryRecord> {
    const now = new Date().toISOString();
    await db.query(
      `INSERT INTO deliveries (id, created_at, updated_at, endpoint, route, channel, phone_digest, phone_masked, status, test, request_id)
       VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, now, rec.endpoint, rec.route, rec.channel, rec.phoneDigest, rec.phoneMasked, rec.status, rec.test, rec.requestId ?? null],
    );
    return { ...rec, id, createdAt: now, updatedAt: now, attempts: [] };
  }

  /**
   * SQLite numbers attempts with a COUNT subquery, safe there because it has one writer. Here several replicas
   * may add attempts to one delivery at once, so the number comes from the delivery row's counter, bumped by an
   * UPDATE that holds the row lock until this single statement commits: concurrent inserts queue, never collide.
   */
  async addAttempt(id: string, a: AttemptRecord): Promise<void> {
    return this.addAttemptOn(this.pool, id, a);
  }

  async addAttemptOn(db: Pool | PoolClient, id: string, a: AttemptRecord): Promise<void> {
    const result = await db.query(
      `WITH next AS (
         UPDATE deliveries SET attempt_count = attempt_count + 1 WHERE id = $1 RETURNING attempt_count - 1 AS seq
       )
       INSERT INTO delivery_attempts (delivery_id, seq, provider, outcome, verdict, vendor_status, vendor_code, error, latency_ms, at, provider_message_id)
       SELECT $1, next.seq, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM next`,
      [
        id,
        a.provider,
        a.outcome,
        a.verdict ?? null,
        a.vendorStatus ?? null,
        a.vendorCode ?? null,
        a.error ?? null,
        a.latencyMs,
        a.at,
        a.providerMessageId ?? null,
      ],
    );
    // SQLite refuses through its foreign key; keep the same contract: an attempt needs its delivery.
    if (result.rowCount === 0) throw new Error(`no delivery ${id} to add an attempt to`);
  }

  async setStatus(id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void> {
    return this.setStatusOn(this.pool, id, status, providerMessageId);
  }

  async setStatusOn(db: Pool | PoolClient, id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void> {
    await db.query(
      'UPDATE deliveries SET status = $1, updated_at = $2, provider_message_id = COALESCE($3, provider_message_id) WHERE id = $4',
      [status, new Date().toISOString(), providerMessageId ?? null, id],
    );
  }

  async finish(id: string, status: DeliveryStatus, attempt?: AttemptRecord, providerMessageId?: string): Promise<void> {
    if (!attempt) return this.setStatus(id, status, providerMessageId);
    await transaction(this.pool, async (db) => {
      await this.addAttemptOn(db, id, attempt);
      await this.setStatusOn(db, id, status, providerMessageId);
    });
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await this.pool.query<DeliveryRow>('SELECT * FROM deliveries WHERE id = $1', [id]);
    return rows[0] && (await this.withAttempts(rows))[0];
  }

  async list(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.phoneDigest) {
      args.push(q.phoneDigest);
      where.push(`phone_digest = $${args.length}`);
    }
    if (q.since) {
      args.push(q.since);
      where.push(`created_at >= $${args.length}`);
    }
    args.push(Math.max(0, Math.min(q.limit ?? 100, 1000)));
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC LIMIT $${args.length}`,
      args,
    );
    return this.withAttempts(rows);
  }

  /** One query for the attempts of every listed delivery, not one per delivery. */
  private async withAttempts(rows: DeliveryRow[]): Promise<DeliveryRecord[]> {
    if (rows.length === 0) return [];
    const { rows: attempts } = await this.pool.query<AttemptRow>(
      'SELECT * FROM delivery_attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, seq',
      [rows.map((r) => r.id)],
    );
    const byDelivery = new Map<string, AttemptRecord[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push(toAttempt(a));
      byDelivery.set(a.delivery_id, list);
    }
    return rows.map((r) => toDelivery(r, byDelivery.get(r.id) ?? []));
  }
}
