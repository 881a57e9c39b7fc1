import type { Pool } from 'pg';
import type { RequestIds } from '../request-ids';

export class PostgresRequestIds implements RequestIds {
  constructor(private readonly pool: Pool) {}

  async claim(key: string, expiresAt: number): Promise<boolean> {
    // A key whose memory has lapsed may be claimed again; a live one never, whichever replica asks.
    const res = await this.pool.query(
      `INSERT INTO request_ids (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE request_ids.expires_at <= $3`,
      [key, expiresAt, Date.now()],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM request_ids WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
