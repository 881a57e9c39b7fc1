import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/redis-schema';
import { redactDatabaseUrl } from '../store/database-url';

/** What a failed command was for: the label of `relay_redis_errors_total`. */
export type RedisUse = 'limits' | 'dedupe' | 'redeem';

/** A failure of the same kind is logged once per this long; the metric counts every one. */
const LOG_EVERY_MS = 30_000;

/**
 * The relay's one Redis connection, shared by the limit counters, the dedupe store and the redeem limiter. Every
 * caller fails open (a limit counts in this process, a dedupe check lets the message through), so the client is
 * set up never to make a request wait for Redis: no offline queue (a command with no connection fails at once),
 * no retry of a command on reconnect, a short command timeout, and a socket timeout for a Redis that hangs. The
 * connection itself reconnects forever, so Redis coming back is picked up without a restart.
 */
export class SharedRedis {
  readonly client: Redis;
  private readonly lastLogged = new Map<string, number>();
  private lost = false;
  private closing = false;

  constructor(
    private readonly config: RedisConfig,
    private readonly logger: Logger,
    private readonly onFailure: (use: RedisUse) => void = () => undefined,
  ) {
    const where = redactDatabaseUrl(config.url);
    this.client = new Redis(config.url, {
      keyPrefix: config.keyPrefix,
      commandTimeout: config.commandTimeoutMs,
      // A Redis that hangs (stopped, partitioned) keeps the TCP connection open; without this every command would
      // wait out its own timeout. With it the first silent command drops the connection, and the next ones fail at
      // once (no offline queue) until a reconnect gets answers again.
      socketTimeout: config.commandTimeoutMs,
      connectTimeout: config.connectTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      connectionName: 'messenger-relay',
    });
    const unreachable = (reason: string) => {
      this.lost = true;
      this.throttled('connection', () => logger.error({ redis: where, reason }, 'Redis unreachable; limits, dedupe and redeem failures count in this process until it answers'));
    };
    // Without a listener an 'error' event would end the process; each failed reconnect attempt emits one.
    this.client.on('error', (err: Error) => unreachable(err.message));
    this.client.on('close', () => {
      if (!this.closing) unreachable('connection closed');
    });
    this.client.on('ready', () => {
      if (this.lost) logger.warn({ redis: where }, 'Redis connection restored; limits and dedupe are shared again');
      this.lost = false;
      this.lastLogged.delete('connection');
    });
  }

  /** Waits (up to the connect timeout) for the first connection, so the first requests already share state. */
  async ready(): Promise<boolean> {
    if (this.up) return true;
    await new Promise<void>((done) => {
      const finish = () => {
        clearTimeout(timer);
        this.client.off('ready', finish);
        done();
      };
      const timer = setTimeout(finish, this.config.connectTimeoutMs);
      this.client.once('ready', finish);
    });
    if (!this.up) this.logger.error({ redis: redactDatabaseUrl(this.config.url) }, 'Redis did not answer at start; starting anyway, with limits and dedupe per process until it does');
    return this.up;
  }

  get up(): boolean {
    return this.client.status === 'ready';
  }

  /** For /readyz: answers within the command timeout whatever state Redis is in. */
  async ping(): Promise<boolean> {
    if (!this.up) return false;
    return this.client.ping().then(
      (pong) => pong === 'PONG',
      () => false,
    );
  }

  /** A command for `use` failed and its caller fell back: counted every time, logged once in a while. */
  failed(use: RedisUse, err: unknown): void {
    this.onFailure(use);
    this.throttled(use, () =>
      this.logger.error({ use, reason: (err as Error)?.message ?? String(err) }, `Redis command failed; ${FALLBACK[use]}`),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client.status === 'end') return;
    // QUIT waits for answers in flight; with Redis gone it would wait for the command timeout, so bound it.
    await Promise.race([this.client.quit().catch(() => undefined), new Promise((ok) => setTimeout(ok, 1000).unref())]);
    this.client.disconnect();
  }

  private throttled(kind: string, log: () => void): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.lastLogged.set(kind, now);
    log();
  }
}

const FALLBACK: Record<RedisUse, string> = {
  limits: "counting limits in this process's memory",
  dedupe: 'sending without the shared duplicate check',
  redeem: "counting redeem failures in this process's memory",
};
