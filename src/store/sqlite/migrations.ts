/**
 * Applied in list order, each once, recorded by id in `schema_migrations`. Named rather than numbered so two
 * features can each add theirs without fighting over a number. Never edit a released entry: add one.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    id: '2026-11-deliveries',
    sql: `
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        route TEXT NOT NULL,
        channel TEXT NOT NULL,
        phone_digest TEXT NOT NULL,
        phone_masked TEXT NOT NULL,
        status TEXT NOT NULL,
        test INTEGER NOT NULL,
        request_id TEXT,
        provider_message_id TEXT
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
        latency_ms REAL NOT NULL,
        at TEXT NOT NULL,
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
        payload BLOB,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        last_error TEXT
      );
      CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
      CREATE INDEX outbox_lease ON outbox (state, lease_until);`,
  },
  {
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
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX dispatch_targets_username_name ON dispatch_targets (username, name) WHERE username IS NOT NULL;
      CREATE UNIQUE INDEX dispatch_targets_user_id_name ON dispatch_targets (user_id, name) WHERE user_id IS NOT NULL;
      CREATE INDEX dispatch_targets_phone ON dispatch_targets (phone_digest) WHERE phone_digest IS NOT NULL;
      CREATE TABLE redeem_tokens (
        hash TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX redeem_tokens_expiry ON redeem_tokens (expires_at);
      CREATE TABLE request_ids (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX request_ids_expiry ON request_ids (expires_at);`,
  },
];
