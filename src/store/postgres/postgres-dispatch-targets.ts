import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import {
  DuplicateTargetName,
  type DispatchTarget,
  type DispatchTargets,
  type NewDispatchTarget,
  type TargetChanges,
  type TargetQuery,
} from '../dispatch-targets';
import { toTarget, type TargetRow } from '../rows';

const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === '23505';
const COLUMNS = 'id, name, username, user_id, device_id, dispatcher, target, signature_key, encryption_key, phone_digest, phone_masked, state, state_reason, created_at, updated_at';

export class PostgresDispatchTargets implements DispatchTargets {
  constructor(private readonly pool: Pool) {}

  async create(t: NewDispatchTarget): Promise<DispatchTarget> {
    try {
      const { rows } = await this.pool.query<TargetRow>(
        `INSERT INTO dispatch_targets (id, name, username, user_id, device_id, dispatcher, target, signature_key, encryption_key,
           phone_digest, phone_masked, state, state_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', NULL, $12, $12)
         RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          t.name,
          t.username ?? null,
          t.userId ?? null,
          t.deviceId ?? null,
          t.dispatcher ?? null,
          t.target,
          JSON.stringify(t.signatureKey),
          JSON.stringify(t.encryptionKey),
          t.phoneDigest ?? null,
          t.phoneMasked ?? null,
          new Date(),
        ],
      );
      return toTarget(rows[0]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateTargetName(t.name);
      throw e;
    }
  }

  async get(id: string): Promise<DispatchTarget | undefined> {
    const { rows } = await this.pool.query<TargetRow>(`SELECT ${COLUMNS} FROM dispatch_targets WHERE id = $1`, [id]);
    return rows[0] && toTarget(rows[0]);
  }

  async list(q: TargetQuery): Promise<DispatchTarget[]> {
    const [column, value] = 'username' in q ? ['username', q.username] : 'userId' in q ? ['user_id', q.userId] : ['phone_digest', q.phoneDigest];
    const { rows } = await this.pool.query<TargetRow>(`SELECT ${COLUMNS} FROM dispatch_targets WHERE ${column} = $1 ORDER BY seq`, [value]);
    return rows.map(toTarget);
  }

  async update(id: string, c: TargetChanges): Promise<DispatchTarget | undefined> {
    try {
      const { rows } = await this.pool.query<TargetRow>(
        `UPDATE dispatch_targets SET
           name = COALESCE($2, name),
           target = COALESCE($3, target),
           state = COALESCE($4, state),
           state_reason = CASE WHEN $5::boolean THEN $6 ELSE state_reason END,
           updated_at = $7
         WHERE id = $1
         RETURNING ${COLUMNS}`,
        [id, c.name ?? null, c.target ?? null, c.state ?? null, c.stateReason !== undefined, c.stateReason ?? null, new Date()],
      );
      return rows[0] && toTarget(rows[0]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateTargetName(c.name ?? '');
      throw e;
    }
  }

  async markUnregistered(id: string, token: string, reason: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE dispatch_targets SET state = 'unregistered', state_reason = $1, updated_at = $2 WHERE id = $3 AND target = $4 AND state = 'active'`,
      [reason, new Date(), id, token],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM dispatch_targets WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
