import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { transaction } from './transaction';
import type { DeliveryRecord, NewDelivery } from '../delivery-log';
import type { NewOutboxItem, Outbox, OutboxItem, OutboxResult, OutboxState, OutboxSummary } from '../outbox';
import type { PostgresDeliveryLog } from './postgres-delivery-log';
import { outboxCounts, toOutboxItem, toOutboxSummary, type OutboxRow } from '../rows';

/**
 * The outbox shared by every replica. A claim is one statement whose inner SELECT takes the due rows
 * `FOR UPDATE SKIP LOCKED`: replicas claiming at once each get different items and never wait on each other.
 */
export class PostgresOutbox implements Outbox {
  constructor(
    private readonly pool: Pool,
    private readonly deliveries: PostgresDeliveryLog,
  ) {}

  async enqueue(delivery: NewDelivery, item: NewOutboxItem): Promise<DeliveryRecord> {
    const id = randomUUID();
    const payload = item.seal(id);
    return transaction(this.pool, async (db) => {
      const record = await this.deliveries.createOn(db, { ...delivery, status: 'queued' }, id);
      await db.query(
        `INSERT INTO outbox (id, endpoint, route, state, payload, attempts, max_attempts, created_at, updated_at, expires_at, next_attempt_at)
         VALUES ($1, $2, $3, 'pending', $4, 0, $5, $6, $6, $7, $8)`,
        [id, delivery.endpoint, delivery.route, payload, item.maxAttempts, record.createdAt, item.expiresAt, Date.now()],
      );
      return record;
    });
  }

  async claim(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<OutboxRow>(
      `UPDATE outbox SET state = 'leased', lease_owner = $1, lease_until = $2, updated_at = now()
       WHERE id IN (
         SELECT id FROM outbox
         WHERE (state = 'pending' AND next_attempt_at <= $3) OR (state = 'leased' AND lease_until <= $3)
         ORDER BY next_attempt_at LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       RETURNING *`,
      [owner, now + leaseMs, now, limit],
    );
    return rows.map(toOutboxItem).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  async finish(id: string, owner: string, result: OutboxResult): Promise<boolean> {
    return transaction(this.pool, async (db) => {
      const { rows } = await db.query<{ lease_owner: string | null; state: OutboxState }>('SELECT lease_owner, state FROM outbox WHERE id = $1 FOR UPDATE', [id]);
      const held = rows.length === 1 && rows[0].state === 'leased' && rows[0].lease_owner === owner;
      if (result.state === 'done') {
        // Delivered is delivered, lease or not: record it, and take the item off the queue.
        await this.deliveries.addAttemptOn(db, id, result.attempt);
        await this.deliveries.setStatusOn(db, id, 'delivered', result.providerMessageId);
        await db.query('DELETE FROM outbox WHERE id = $1', [id]);
        return held;
      }
      if (!held) return false;
      switch (result.state) {
        case 'retry':
          await db.query(
            `UPDATE outbox SET state = 'pending', attempts = attempts + $1, next_attempt_at = $2, last_error = $3, lease_owner = NULL,
             lease_until = NULL, updated_at = now() WHERE id = $4`,
            [result.countAttempt ? 1 : 0, result.nextAttemptAt, result.error, id],
          );
          break;
        case 'dead':
        case 'expired':
          await db.query(
            `UPDATE outbox SET state = $1, payload = NULL, attempts = attempts + $2, last_error = $3, lease_owner = NULL, lease_until = NULL,
             updated_at = now() WHERE id = $4`,
            [result.state, result.countAttempt ? 1 : 0, result.error, id],
          );
          await this.deliveries.setStatusOn(db, id, result.state);
          break;
        case 'released':
          await db.query(
            `UPDATE outbox SET state = 'pending', next_attempt_at = $1, lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $2`,
            [Date.now(), id],
          );
          break;
      }
      return true;
    });
  }

  async release(owner: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE outbox SET state = 'pending', next_attempt_at = LEAST(next_attempt_at, $1), lease_owner = NULL, lease_until = NULL, updated_at = now()
       WHERE lease_owner = $2 AND state = 'leased'`,
      [Date.now(), owner],
    );
    return rowCount ?? 0;
  }

  async list(query: { state?: OutboxState; limit?: number }): Promise<OutboxSummary[]> {
    const args: unknown[] = [];
    if (query.state) args.push(query.state);
    args.push(Math.max(0, Math.min(query.limit ?? 100, 1000)));
    const { rows } = await this.pool.query<OutboxRow>(
      `SELECT o.*, d.phone_masked FROM outbox o JOIN deliveries d ON d.id = o.id ${query.state ? 'WHERE o.state = $1' : ''}
       ORDER BY o.created_at DESC, d.seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(toOutboxSummary);
  }

  async counts(): Promise<Record<OutboxState, number>> {
    const { rows } = await this.pool.query<{ state: OutboxState; n: string }>('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state');
    return outboxCounts(rows);
  }

  async prune(before: number): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM outbox WHERE state IN ('dead', 'expired') AND updated_at < $1`, [new Date(before).toISOString()]);
    return rowCount ?? 0;
  }

}
