import type Database from 'better-sqlite3';
import type { RedeemRecord, RedeemTokens } from '../redeem-tokens';

interface Row {
  hash: string;
  sealed: Buffer;
  expires_at: number;
  created_at: number;
}

export class SqliteRedeemTokens implements RedeemTokens {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      put: db.prepare('INSERT INTO redeem_tokens (hash, sealed, expires_at, created_at) VALUES (?, ?, ?, ?)'),
      // DELETE … RETURNING is one statement: two concurrent claims cannot both get the row.
      claim: db.prepare<[string, number], Row>('DELETE FROM redeem_tokens WHERE hash = ? AND expires_at > ? RETURNING *'),
      delete: db.prepare('DELETE FROM redeem_tokens WHERE hash = ?'),
      purge: db.prepare('DELETE FROM redeem_tokens WHERE expires_at <= ?'),
    };
  }

  async put(r: RedeemRecord): Promise<void> {
    this.stmts.put.run(r.hash, r.sealed, r.expiresAt, r.createdAt);
  }

  async claim(hash: string, now: number): Promise<RedeemRecord | undefined> {
    const row = this.stmts.claim.get(hash, now);
    return row && { hash: row.hash, sealed: row.sealed, expiresAt: row.expires_at, createdAt: row.created_at };
  }

  async delete(hash: string): Promise<void> {
    this.stmts.delete.run(hash);
  }

  async purgeExpired(now: number): Promise<number> {
    return this.stmts.purge.run(now).changes;
  }
}
