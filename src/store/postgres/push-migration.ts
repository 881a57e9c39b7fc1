import type { Migration } from '../sqlite/migrations';

/**
 * The push tables in PostgreSQL's dialect, the twin of SQLite's `2026-11-push`: append it to `postgresMigrations`.
 * JWKs stay TEXT (JSONB would reorder their members); times of expiry are epoch milliseconds, as in SQLite.
 */
export const postgresPushMigration: Migration = {
  id: '2026-11-push',
  sql: `
    CREATE TABLE dispatch_targets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      username TEXT,
      user_id TEXT,
      device_id TEXT,
      dispatcher TEXT,
      target TEXT NOT NULL,
      signature_key TEXT NOT NULL,
      encryption_key TEXT NOT NULL,
      phone_digest TEXT,
      phone_masked TEXT,
      state TEXT NOT NULL,
      state_reason TEXT,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL,
      -- Oldest first, even for targets made in the same millisecond, like SQLite's rowid.
      seq BIGINT GENERATED ALWAYS AS IDENTITY
    );
    CREATE UNIQUE INDEX dispatch_targets_username_name ON dispatch_targets (username, name) WHERE username IS NOT NULL;
    CREATE UNIQUE INDEX dispatch_targets_user_id_name ON dispatch_targets (user_id, name) WHERE user_id IS NOT NULL;
    CREATE INDEX dispatch_targets_phone ON dispatch_targets (phone_digest) WHERE phone_digest IS NOT NULL;
    CREATE TABLE redeem_tokens (
      hash TEXT PRIMARY KEY,
      sealed BYTEA NOT NULL,
      expires_at BIGINT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX redeem_tokens_expiry ON redeem_tokens (expires_at);
    CREATE TABLE request_ids (
      key TEXT PRIMARY KEY,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX request_ids_expiry ON request_ids (expires_at);`,
};
