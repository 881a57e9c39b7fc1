import type { Pool } from 'pg';
import type { RedeemRecord, RedeemTokens } from '../redeem-tokens';

interface Row {
  hash: string;
  sealed: Buffer;
  // BIGINT arrives as a string from pg.
  expires_at: string;
  created_at: string;
}

export class PostgresRedeemTokens implements RedeemTokens {
  constructor(private readonly pool: Pool) {}

  async put(r: RedeemRecord): Promise<void> {
    await this.pool.query('INSERT INTO redeem_tokens (hash, sealed, expires_at, created_at) VALUES ($1, $2, $3, $4)', [r.hash, r.sealed, r.expiresAt, r.createdAt]);
  }

  async claim(hash: string, now: number): Promise<RedeemRecord | undefined> {
    // One statement: of two replicas claiming at once, the second finds the row already deleted.
    const { rows } = await this.pool.query<Row>('DELETE FROM redeem_tokens WHERE hash = $1 AND expires_at > $2 RETURNING *', [hash, now]);
    const row = rows[0];
    return row && { hash: row.hash, sealed: row.sealed, expiresAt: Number(row.expires_at), createdAt: Number(row.created_at) };
  }

  async delete(hash: string): Promise<void> {
    await this.pool.query('DELETE FROM redeem_tokens WHERE hash = $1', [hash]);
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM redeem_tokens WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
