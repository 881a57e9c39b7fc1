import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { DeliveryRecord, NewDelivery } from '../delivery-log';
import type { NewOutboxItem, Outbox, OutboxItem, OutboxResult, OutboxState, OutboxSummary } from '../outbox';
import type { SqliteDeliveryLog } from './sqlite-delivery-log';
import { outboxCounts, toOutboxItem, toOutboxSummary, type OutboxRow } from '../rows';

/**
 * Claims run in an IMMEDIATE transaction: SQLite takes the write lock before reading, so two processes sharing
 * the file can never lease the same item.
 */
export class SqliteOutbox implements Outbox {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly deliveries: SqliteDeliveryLog,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO outbox (id, endpoint, route, state, payload, attempts, max_attempts, created_at, updated_at, expires_at, next_attempt_at)
         VALUES (@id, @endpoint, @route, 'pending', @payload, 0, @max_attempts, @now, @now, @expires_at, @next_attempt_at)`,
      ),
      due: db.prepare<{ now: number; limit: number }, OutboxRow>(
        `SELECT * FROM outbox WHERE (state = 'pending' AND next_attempt_at <= @now) OR (state = 'leased' AND lease_until <= @now)
         ORDER BY next_attempt_at LIMIT @limit`,
      ),
      lease: db.prepare(`UPDATE outbox SET state = 'leased', lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?`),
      holder: db.prepare<[string], { lease_owner: string | null; state: OutboxState }>('SELECT lease_owner, state FROM outbox WHERE id = ?'),
      remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
      retry: db.prepare(
        `UPDATE outbox SET state = 'pending', attempts = attempts + ?, next_attempt_at = ?, last_error = COALESCE(?, last_error), lease_owner = NULL,
         lease_until = NULL, updated_at = ? WHERE id = ?`,
      ),
      final: db.prepare(
        `UPDATE outbox SET state = ?, payload = NULL, attempts = attempts + ?, last_error = ?, lease_owner = NULL, lease_until = NULL,
         updated_at = ? WHERE id = ?`,
      ),
      release: db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = MIN(next_attempt_at, ?), lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE lease_owner = ? AND state = 'leased'`,
      ),
      counts: db.prepare<[], { state: OutboxState; n: number }>('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state'),
      prune: db.prepare(`DELETE FROM outbox WHERE state IN ('dead', 'expired') AND updated_at < ?`),
    };
  }

  async enqueue(delivery: NewDelivery, item: NewOutboxItem): Promise<DeliveryRecord> {
    const id = randomUUID();
    const payload = item.seal(id);
    return this.db.transaction(() => {
      const record = this.deliveries.createNow({ ...delivery, status: 'queued' }, id);
      this.stmts.insert.run({
        id,
        endpoint: delivery.endpoint,
        route: delivery.route,
        payload,
        max_attempts: item.maxAttempts,
        now: record.createdAt,
        expires_at: item.expiresAt,
        next_attempt_at: Date.now(),
      });
      return record;
    })();
  }

  async claim(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    return this.db
      .transaction(() => {
        const rows = this.stmts.due.all({ now, limit });
        const stamp = new Date(now).toISOString();
        for (const r of rows) this.stmts.lease.run(owner, now + leaseMs, stamp, r.id);
        return rows.map((r) => ({ ...toOutboxItem(r), state: 'leased' as const, leaseUntil: now + leaseMs }));
      })
      .immediate();
  }

  async finish(id: string, owner: string, result: OutboxResult): Promise<boolean> {
    const now = new Date().toISOString();
    return this.db
      .transaction(() => {
        const row = this.stmts.holder.get(id);
        const held = !!row && row.state === 'leased' && row.lease_owner === owner;
        if (result.state === 'done') {
          // Delivered is delivered, lease or not: record it, and take the item off the queue.
          this.deliveries.addAttemptNow(id, result.attempt);
          this.deliveries.setStatusNow(id, 'delivered', result.providerMessageId);
          this.stmts.remove.run(id);
          return held;
        }
        if (!held) return false;
        switch (result.state) {
          case 'retry':
            this.stmts.retry.run(result.countAttempt ? 1 : 0, result.nextAttemptAt, result.error, now, id);
            break;
          case 'dead':
          case 'expired':
            this.stmts.final.run(result.state, result.countAttempt ? 1 : 0, result.error, now, id);
            this.deliveries.setStatusNow(id, result.state);
            break;
          case 'released':
            this.stmts.retry.run(0, Date.now(), null, now, id);
            break;
        }
        return true;
      })
      .immediate();
  }

  async release(owner: string): Promise<number> {
    const now = Date.now();
    return this.stmts.release.run(now, new Date(now).toISOString(), owner).changes;
  }

  async list(query: { state?: OutboxState; limit?: number }): Promise<OutboxSummary[]> {
    const where = query.state ? 'WHERE o.state = ?' : '';
    const sql = `SELECT o.*, d.phone_masked FROM outbox o JOIN deliveries d ON d.id = o.id ${where} ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?`;
    const args: unknown[] = query.state ? [query.state] : [];
    const rows = this.db.prepare(sql).all(...args, Math.min(query.limit ?? 100, 1000)) as OutboxRow[];
    return rows.map(toOutboxSummary);
  }

  async counts(): Promise<Record<OutboxState, number>> {
    return outboxCounts(this.stmts.counts.all());
  }

  async prune(before: number): Promise<number> {
    return this.stmts.prune.run(new Date(before).toISOString()).changes;
  }
}
