import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteMigrations } from './migrations/sqlite';
import type {
  AttemptRecord,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStatus,
  NewDelivery,
  Store,
} from './store';

interface DeliveryRow {
  id: string;
  created_at: string;
  updated_at: string;
  endpoint: string;
  route: string;
  channel: 'sms' | 'voice';
  phone_digest: string;
  phone_masked: string;
  status: DeliveryStatus;
  test: number;
  request_id: string | null;
  provider_message_id: string | null;
}

interface AttemptRow {
  provider: string;
  outcome: 'ok' | 'failed';
  verdict: AttemptRecord['verdict'] | null;
  vendor_status: number | null;
  vendor_code: string | null;
  error: string | null;
  latency_ms: number;
  at: string;
  provider_message_id: string | null;
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < sqliteMigrations.length; i++) {
    db.transaction(() => {
      db.exec(sqliteMigrations[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    provider: r.provider,
    outcome: r.outcome,
    verdict: r.verdict ?? undefined,
    vendorStatus: r.vendor_status ?? undefined,
    vendorCode: r.vendor_code ?? undefined,
    error: r.error ?? undefined,
    latencyMs: r.latency_ms,
    at: r.at,
    providerMessageId: r.provider_message_id ?? undefined,
  };
}

/** The embedded default: one file, WAL so readers (admin API) never block the writer (deliveries). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.stmts = {
      getSecret: this.db.prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?'),
      putSecret: this.db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)'),
      insert: this.db.prepare(
        `INSERT INTO deliveries (id, created_at, updated_at, endpoint, route, channel, phone_digest, phone_masked, status, test, request_id)
         VALUES (@id, @created_at, @updated_at, @endpoint, @route, @channel, @phone_digest, @phone_masked, @status, @test, @request_id)`,
      ),
      attempt: this.db.prepare(
        `INSERT INTO delivery_attempts (delivery_id, seq, provider, outcome, verdict, vendor_status, vendor_code, error, latency_ms, at, provider_message_id)
         VALUES (@delivery_id, (SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id = @delivery_id), @provider, @outcome, @verdict,
                 @vendor_status, @vendor_code, @error, @latency_ms, @at, @provider_message_id)`,
      ),
      status: this.db.prepare(
        `UPDATE deliveries SET status = ?, updated_at = ?, provider_message_id = COALESCE(?, provider_message_id) WHERE id = ?`,
      ),
      get: this.db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE id = ?'),
      attempts: this.db.prepare<[string], AttemptRow>('SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY seq'),
    };
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async secret(name: string, bytes = 32): Promise<Buffer> {
    this.stmts.putSecret.run(name, randomBytes(bytes));
    return this.stmts.getSecret.get(name)!.value;
  }

  async createDelivery(rec: NewDelivery): Promise<DeliveryRecord> {
    const now = new Date().toISOString();
    const id = randomUUID();
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

  async addAttempt(id: string, a: AttemptRecord): Promise<void> {
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

  async setStatus(id: string, status: DeliveryStatus, providerMessageId?: string): Promise<void> {
    this.stmts.status.run(status, new Date().toISOString(), providerMessageId ?? null, id);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const row = this.stmts.get.get(id);
    return row && this.toRecord(row);
  }

  async listDeliveries(q: DeliveryQuery): Promise<DeliveryRecord[]> {
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
    const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, Math.min(q.limit ?? 100, 1000)) as DeliveryRow[];
    return rows.map((r) => this.toRecord(r));
  }

  private toRecord(r: DeliveryRow): DeliveryRecord {
    return {
      id: r.id,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      endpoint: r.endpoint,
      route: r.route,
      channel: r.channel,
      phoneDigest: r.phone_digest,
      phoneMasked: r.phone_masked,
      status: r.status,
      test: r.test === 1,
      requestId: r.request_id ?? undefined,
      providerMessageId: r.provider_message_id ?? undefined,
      attempts: this.stmts.attempts.all(r.id).map(toAttempt),
    };
  }
}
