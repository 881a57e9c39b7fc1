import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { scrub } from '../../redact';
import { databaseUrlSecrets, redactDatabaseUrl } from '../database-url';
import type { Store } from '../store';
import { translateFailures, type UnavailableClassifier } from '../store-unavailable';
import { describeDatabaseError } from './describe-error';
import { migrate } from './migrations';
import { PostgresDeliveryLog } from './postgres-delivery-log';
import { PostgresOutbox } from './postgres-outbox';
import { PostgresDispatchTargets } from './postgres-dispatch-targets';
import { PostgresRedeemTokens } from './postgres-redeem-tokens';
import { PostgresRequestIds } from './postgres-request-ids';
import { postgresUnavailable } from './postgres-failures';

export interface PostgresStoreOptions {
  /** Connections per replica. Several replicas share the server's `max_connections`: size them together. */
  poolSize?: number;
  logger?: Logger;
}

/** Several replicas behind a load balancer share one PostgreSQL: the store every replica opens with the same URL. */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly deliveries: PostgresDeliveryLog;
  readonly outbox: PostgresOutbox;
  readonly targets: PostgresDispatchTargets;
  readonly redeemTokens: PostgresRedeemTokens;
  readonly requestIds: PostgresRequestIds;
  private closing?: Promise<void>;
  private readonly unavailable: UnavailableClassifier;

  private constructor(
    private readonly pool: Pool,
    urlSecrets: readonly string[],
  ) {
    this.unavailable = postgresUnavailable(urlSecrets);
    const deliveries = new PostgresDeliveryLog(pool);
    this.deliveries = translateFailures(deliveries, this.unavailable);
    this.outbox = translateFailures(new PostgresOutbox(pool, deliveries), this.unavailable);
    this.targets = translateFailures(new PostgresDispatchTargets(pool), this.unavailable);
    this.redeemTokens = translateFailures(new PostgresRedeemTokens(pool), this.unavailable);
    this.requestIds = translateFailures(new PostgresRequestIds(pool), this.unavailable);
  }

  /** Connects and applies pending migrations (under a lock shared by every replica); throws a one-line error. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // pg waits forever for a connection by default; a relay answering inside FusionAuth's read timeout must not.
      connectionTimeoutMillis: 5000,
      application_name: 'messenger-relay',
    });
    // An idle connection dropped by the server (restart, failover) is reported here; without a listener it would
    // crash the process. The pool replaces it on the next query; /readyz shows whether that works.
    pool.on('error', (err) => options.logger?.warn({ reason: scrub(describeDatabaseError(err), databaseUrlSecrets(url)) }, 'PostgreSQL connection lost'));
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      const reason = scrub(describeDatabaseError(e), databaseUrlSecrets(url));
      throw new Error(`cannot open the PostgreSQL store at ${redactDatabaseUrl(url)}: ${reason}`);
    }
    return new PostgresStore(pool, databaseUrlSecrets(url));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1').catch((e: unknown) => Promise.reject(this.unavailable(e) ?? e));
  }

  async close(): Promise<void> {
    // pg's Pool.end() throws when called twice; closing is idempotent here like every other close().
    await (this.closing ??= this.pool.end());
  }

  /**
   * Race-free across replicas: whichever INSERT lands first wins, the others do nothing, and everyone reads the
   * winner. Two statements on purpose: a SELECT in the INSERT's own statement would use a snapshot taken before a
   * concurrent winner committed, and could come back empty.
   */
  async secret(name: string, bytes = 32): Promise<Buffer> {
    return this.readSecret(name, bytes).catch((e: unknown) => Promise.reject(this.unavailable(e) ?? e));
  }

  private async readSecret(name: string, bytes: number): Promise<Buffer> {
    await this.pool.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(bytes)]);
    const { rows } = await this.pool.query<{ value: Buffer }>('SELECT value FROM secrets WHERE name = $1', [name]);
    return rows[0].value;
  }
}
