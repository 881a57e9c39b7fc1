import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  DuplicateTargetName,
  type DispatchTarget,
  type DispatchTargets,
  type NewDispatchTarget,
  type TargetChanges,
  type TargetQuery,
} from '../dispatch-targets';
import { toTarget, type TargetRow } from '../rows';

const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE';

export class SqliteDispatchTargets implements DispatchTargets {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO dispatch_targets (id, name, username, user_id, device_id, dispatcher, target, signature_key, encryption_key,
           phone_digest, phone_masked, state, state_reason, created_at, updated_at)
         VALUES (@id, @name, @username, @user_id, @device_id, @dispatcher, @target, @signature_key, @encryption_key,
           @phone_digest, @phone_masked, 'active', NULL, @now, @now)`,
      ),
      get: db.prepare<[string], TargetRow>('SELECT * FROM dispatch_targets WHERE id = ?'),
      byUsername: db.prepare<[string], TargetRow>('SELECT * FROM dispatch_targets WHERE username = ? ORDER BY rowid'),
      byUserId: db.prepare<[string], TargetRow>('SELECT * FROM dispatch_targets WHERE user_id = ? ORDER BY rowid'),
      byPhone: db.prepare<[string], TargetRow>('SELECT * FROM dispatch_targets WHERE phone_digest = ? ORDER BY rowid'),
      update: db.prepare(
        `UPDATE dispatch_targets SET
           name = COALESCE(@name, name),
           target = COALESCE(@target, target),
           state = COALESCE(@state, state),
           state_reason = CASE WHEN @set_reason = 1 THEN @state_reason ELSE state_reason END,
           updated_at = @now
         WHERE id = @id`,
      ),
      markUnregistered: db.prepare(
        `UPDATE dispatch_targets SET state = 'unregistered', state_reason = ?, updated_at = ?
         WHERE id = ? AND target = ? AND state = 'active'`,
      ),
      delete: db.prepare('DELETE FROM dispatch_targets WHERE id = ?'),
    };
  }

  async create(t: NewDispatchTarget): Promise<DispatchTarget> {
    const id = randomUUID();
    try {
      this.stmts.insert.run({
        id,
        name: t.name,
        username: t.username ?? null,
        user_id: t.userId ?? null,
        device_id: t.deviceId ?? null,
        dispatcher: t.dispatcher ?? null,
        target: t.target,
        signature_key: JSON.stringify(t.signatureKey),
        encryption_key: JSON.stringify(t.encryptionKey),
        phone_digest: t.phoneDigest ?? null,
        phone_masked: t.phoneMasked ?? null,
        now: new Date().toISOString(),
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateTargetName(t.name);
      throw e;
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<DispatchTarget | undefined> {
    const row = this.stmts.get.get(id);
    return row && toTarget(row);
  }

  async list(q: TargetQuery): Promise<DispatchTarget[]> {
    const rows =
      'username' in q ? this.stmts.byUsername.all(q.username) : 'userId' in q ? this.stmts.byUserId.all(q.userId) : this.stmts.byPhone.all(q.phoneDigest);
    return rows.map(toTarget);
  }

  async update(id: string, c: TargetChanges): Promise<DispatchTarget | undefined> {
    try {
      const res = this.stmts.update.run({
        id,
        name: c.name ?? null,
        target: c.target ?? null,
        state: c.state ?? null,
        set_reason: c.stateReason === undefined ? 0 : 1,
        state_reason: c.stateReason ?? null,
        now: new Date().toISOString(),
      });
      if (res.changes === 0) return undefined;
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateTargetName(c.name ?? '');
      throw e;
    }
    return this.get(id);
  }

  async markUnregistered(id: string, token: string, reason: string): Promise<boolean> {
    return this.stmts.markUnregistered.run(reason, new Date().toISOString(), id, token).changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    return this.stmts.delete.run(id).changes > 0;
  }
}
