import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { readOrCreateKeyFile } from '../key-file';
import Database from 'better-sqlite3';
import type { Store } from '../store';
import { translateFailures } from '../store-unavailable';
import { sqliteMigrations, type Migration } from './migrations';
import { SqliteDeliveryLog } from './sqlite-delivery-log';
import { WriteBatch } from './write-batch';
import { SqliteOutbox } from './sqlite-outbox';
import { SqliteDispatchTargets } from './sqlite-dispatch-targets';
import { SqliteRedeemTokens } from './sqlite-redeem-tokens';
import { SqliteRequestIds } from './sqlite-request-ids';
import { sqliteUnavailable } from './sqlite-failures';

export function migrate(db: Database.Database, migrations: readonly Migration[] = sqliteMigrations): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare<[], { id: string }>('SELECT id FROM schema_migrations').all().map((r) => r.id));
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, new Date().toISOString());
    })();
  }
}

/** The embedded default: one file, WAL so readers (admin API) never block the writer (deliveries). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  /** Group commit for the delivery log's writes (see write-batch.ts). */
  private readonly writes: WriteBatch;
  readonly deliveries: SqliteDeliveryLog;
  readonly outbox: SqliteOutbox;
  readonly targets: SqliteDispatchTargets;
  readonly redeemTokens: SqliteRedeemTokens;
  readonly requestIds: SqliteRequestIds;
  private readonly getSecret;
  private readonly putSecret;

  constructor(private readonly file: string) {
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true });
      // Owner-only from the first byte (SQLite gives its -wal and -shm files the same mode): the file holds the key
      // of its phone digests, so a reader could recover numbers by trying candidates.
      closeSync(openSync(file, 'a', 0o600));
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint every 10,000 pages (about 40 MB of WAL) rather than SQLite's 1,000: the hot B-tree pages of the
    // delivery log are rewritten by every commit, and a checkpoint copies only their latest version, so fewer
    // checkpoints do less work (a one-off profile, not a benchmark, saw about a quarter less time per delivery). The size limit trims the WAL file after one.
    this.db.pragma('wal_autocheckpoint = 10000');
    this.db.pragma('journal_size_limit = 67108864');
    migrate(this.db);
    this.getSecret = this.db.prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?');
    this.putSecret = this.db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)');
    this.writes = new WriteBatch(this.db);
    const deliveries = new SqliteDeliveryLog(this.db, this.writes);
    this.deliveries = translateFailures(deliveries, sqliteUnavailable);
    this.outbox = translateFailures(new SqliteOutbox(this.db, deliveries), sqliteUnavailable);
    this.targets = translateFailures(new SqliteDispatchTargets(this.db), sqliteUnavailable);
    this.redeemTokens = translateFailures(new SqliteRedeemTokens(this.db), sqliteUnavailable);
    this.requestIds = translateFailures(new SqliteRequestIds(this.db), sqliteUnavailable);
  }

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
    } catch (e) {
      throw sqliteUnavailable(e) ?? e;
    }
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    this.db.close();
  }

  async secret(name: string, bytes = 32): Promise<Buffer> {
    try {
      // Keys stay out of the database (the phone digests', the limit counters', the dedupe keys'), so a copy of
      // relay.db, or of it and Redis, cannot be matched against candidate numbers. A store made before this kept
      // them in the secrets table: those go on being used, or every stored digest (dispatch targets found by number
      // included) would stop matching.
      if (this.file !== ':memory:' && !this.getSecret.get(name)) return readOrCreateKeyFile(`${this.file}.${name}.key`, bytes).key;
      this.putSecret.run(name, randomBytes(bytes));
      return this.getSecret.get(name)!.value;
    } catch (e) {
      throw sqliteUnavailable(e) ?? e;
    }
  }
}
