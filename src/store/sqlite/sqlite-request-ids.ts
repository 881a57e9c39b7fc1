import type Database from 'better-sqlite3';
import type { RequestIds } from '../request-ids';

export class SqliteRequestIds implements RequestIds {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      // A key whose memory has lapsed may be claimed again; a live one never.
      claim: db.prepare(
        `INSERT INTO request_ids (key, expires_at) VALUES (@key, @expires_at)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE request_ids.expires_at <= @now`,
      ),
      purge: db.prepare('DELETE FROM request_ids WHERE expires_at <= ?'),
    };
  }

  async claim(key: string, expiresAt: number): Promise<boolean> {
    return this.stmts.claim.run({ key, expires_at: expiresAt, now: Date.now() }).changes > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    return this.stmts.purge.run(now).changes;
  }
}
