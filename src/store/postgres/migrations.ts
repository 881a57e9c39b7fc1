import type { Pool } from 'pg';
import type { Migration } from '../sqlite/migrations';
import { postgresPushMigration } from './push-migration';

/**
 * The same named migrations as SQLite, in PostgreSQL's dialect. Applied in list order, each once, recorded by id in
 * `schema_migrations`. Never edit a released entry: add one.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    id: '2026-11-deliveries',
    sql: `
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
      );
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        endpoint TEXT NOT NULL,
        route TEXT NOT NULL,
        channel TEXT NOT NULL,
        phone_digest TEXT NOT NULL,
        phone_masked TEXT NOT NULL,
        status TEXT NOT NULL,
        test BOOLEAN NOT NULL,
        request_id TEXT,
        provider_message_id TEXT,
        -- Next attempt's sequence number: bumped under the row lock, so replicas adding attempts at once never collide.
        attempt_count INTEGER NOT NULL DEFAULT 0,
        -- Breaks ties between records made in the same millisecond, newest insert first, like SQLite's rowid.
        seq BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX deliveries_phone ON deliveries (phone_digest, created_at);
      CREATE INDEX deliveries_created ON deliveries (created_at);
      CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        provider TEXT NOT NULL,
        outcome TEXT NOT NULL,
        verdict TEXT,
        vendor_status INTEGER,
        vendor_code TEXT,
        error TEXT,
        latency_ms DOUBLE PRECISION NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        provider_message_id TEXT,
        PRIMARY KEY (delivery_id, seq)
      );`,
  },
  {
    id: '2026-11-outbox',
    sql: `
      CREATE TABLE outbox (
        id TEXT PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
        endpoint TEXT NOT NULL,
        route TEXT NOT NULL,
        state TEXT NOT NULL,
        payload BYTEA,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        -- Epoch milliseconds, compared with the relay's clock as on SQLite.
        expires_at BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until BIGINT,
        last_error TEXT
      );
      CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
      CREATE INDEX outbox_lease ON outbox (state, lease_until);`,
  },
  postgresPushMigration,
];

/**
 * One key for every relay: replicas starting together queue on this lock, so exactly one of them applies a
 * migration and the others find it recorded. The lock is per database, so two relays in different schemas of one
 * database only wait for each other, they never skip a migration.
 */
export const MIGRATION_LOCK_KEY = 0x6d72_6d69; // "mrmi"

export async function migrate(pool: Pool, migrations: readonly Migration[] = postgresMigrations): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  // A session lock: if this connection breaks, the server releases it with the session, so nobody waits forever.
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)');
      const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, now())', [m.id]);
          await client.query('COMMIT');
          applied.push(m.id);
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.id} failed: ${(e as Error).message}`, { cause: e });
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {
        broken = true;
      });
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken);
  }
  return applied;
}
