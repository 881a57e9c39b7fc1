import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/** The Redis the tests use: `TEST_REDIS_URL`, else the server .ci/run starts on this machine. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** Unique to this test: what a relay under test gets as `redis.keyPrefix`. */
  keyPrefix: string;
  /** A client without the prefix, to look at the keys as redis-cli would. */
  client: Redis;
  /** Every key under the prefix, prefix included. */
  keys(): Promise<string[]>;
  /** Deletes the prefix's keys and closes the client. */
  cleanup(): Promise<void>;
}

/**
 * A key prefix of its own on the shared Redis for one test file, its keys deleted afterwards, so test runs (and
 * jest workers) never count into each other's limits. An unreachable server fails the test with how to start it.
 */
export async function freshRedisPrefix(name = 'relay-test'): Promise<TestRedis> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new Error(
      `Redis is not reachable at ${TEST_REDIS_URL} (${(e as Error).message}). Start it with ` +
        '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` (what .ci/run does when it is down), ' +
        'or set TEST_REDIS_URL.',
    );
  }
  const keyPrefix = `${name}-${randomBytes(6).toString('hex')}:`;
  const keys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  return {
    url: TEST_REDIS_URL,
    keyPrefix,
    client,
    keys,
    cleanup: async () => {
      const left = await keys();
      for (let i = 0; i < left.length; i += 500) await client.del(...left.slice(i, i + 500));
      client.disconnect();
    },
  };
}
