import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AttemptRecord, DeliveryLog, DeliveryQuery, DeliveryRecord, DeliveryStatus, NewDelivery } from '../delivery-log';
import type { WriteBatch } from './write-batch';
import { toAttempt, toDelivery, type AttemptRow, type DeliveryRow } from '../rows';

export class SqliteDeliveryLog implements DeliveryLog {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly batch: WriteBatch,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO deliveries (id, created_at, updated_at, endpoint, route, channel, phone_digest, phone_masked, status, test, request_id)
         VALUES (@id, @created_at, @updated_at, @endpoint, @route, @channel, @phone_digest, @phone_masked, @status, @test, @request_id)`,
      ),
      attempt: db.prepare(
        `INSERT INTO delivery_attempts (delivery_id, seq, provider, outcome, verdict, vendor_status, vendor_code, error, latency_ms, at, provider_message_id)
         VALUES (@delivery_id, (SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id = @delivery_id), @provider, @outcome, @verdict,
                 @vendor_status, @vendor_code, @error, @latency_ms, @at, @provider_message_id)`,
      ),
      status: db.prepare(
        `UPDATE deliveries SET status = ?, updated_at = ?, provider_message_id = COALESCE(?, provider_message_id) WHERE id = ?`,
      ),
      get: db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE id = ?'),
      attempts: db.prepare<[string], AttemptRow>('SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY seq'),
    };
  }

  async create(rec: NewDelivery): Promise<DeliveryRecord> {
    let record!: DeliveryRecord;
    await this.batch.run(() => {
      record = this.createNow(rec);
    });
    return record;
  }

  /** Synchronous, so the outbox can write a record inside its own transaction. */
  createNow(rec: NewDelivery, id: string = randomUUID()): DeliveryRecord {
    const now = new Date().toISOString();
    this.stmts.insert.run({
      id,
      created_at: now,
      updated_at: now,
      endpoint: rec.endpoint,
      route: rec.route,
      channel: rec.channel,
      phone_digest: rec.phoneDigest,
      phone_masked: rec.phoneMasked,
      status: rec.status,
      test: rec.test ? 1 : 0,
      request_id: rec.requestId ?? null,
    });
    return { ...rec, id, createdAt: now, updatedAt: now, attempts: [] };
  }

  addAttempt(id: string, a: AttemptRecord): Promise<void> {
    return this.batch.run(() => this.addAttemptNow(id, a));
  }

  addAttemptNow(id: string, a: AttemptRecord): void {
    this.stmts.attempt.run({
      delivery_id: id,
      provider: a.provider,
      outcome: a.outcome,
      verdict: a.verdict ?? null,
      vendor_status: a.vendorStatus ?? null,
      vendor_code: a.vendorCode ?? null,
      error: a.error ?? null,
      latency_ms: a.latencyMs,
      at: a.at,
      provider_message_id: a.providerMessageId ?? null,
    });
  }

  setStatus(id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void> {
    return this.batch.run(() => this.setStatusNow(id, status, providerMessageId));
  }

  setStatusNow(id: string, status: DeliveryStatus, providerMessageId?: string): void {
    this.stmts.status.run(status, new Date().toISOString(), providerMessageId ?? null, id);
  }

  finish(id: string, status: DeliveryStatus, attempt?: AttemptRecord, providerMessageId?: string): Promise<void> {
    return this.batch.run(() => {
      if (attempt) this.addAttemptNow(id, attempt);
      this.setStatusNow(id, status, providerMessageId);
    });
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = this.stmts.get.get(id);
    return row && this.toRecord(row);
  }

  async list(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.phoneDigest) {
      where.push('phone_digest = ?');
      args.push(q.phoneDigest);
    }
    if (q.since) {
      where.push('created_at >= ?');
      args.push(q.since);
    }
    const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, Math.min(q.limit ?? 100, 1000)) as DeliveryRow[];
    return rows.map((r) => this.toRecord(r));
  }

  private toRecord(r: DeliveryRow): DeliveryRecord {
    return toDelivery(r, this.stmts.attempts.all(r.id).map(toAttempt));
  }
}
