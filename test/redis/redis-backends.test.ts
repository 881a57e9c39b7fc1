import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { limitsSchema } from '../../src/config/limits-schema';
import { SharedFailureLimiter } from '../../src/push/failure-limiter';
import { Dedupe, type FirstOutcome } from '../../src/relay/dedupe';
import { createCounterFactory } from '../../src/relay/limits/create-counters';
import { Limits } from '../../src/relay/limits/limits';
import { failOpen, RedisDedupeStore } from '../../src/relay/redis-dedupe-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../kit/log-capture';
import { freePort } from '../kit/processes';
import { freshRedisPrefix, type TestRedis } from '../kit/redis-test-db';

/** Each replica has its own connection; these stand for two or three of them. */
const replicaClient = (db: TestRedis, opts: Record<string, unknown> = {}) => {
  const c = new Redis(db.url, { keyPrefix: db.keyPrefix, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2000, ...opts });
  c.on('error', () => undefined);
  return c;
};
const connected = (c: Redis) => (c.status === 'ready' ? Promise.resolve() : new Promise<void>((ok) => c.once('ready', () => ok())));

describe('Redis backends shared by replicas', () => {
  let db: TestRedis;
  let a: Redis;
  let b: Redis;
  let c: Redis;

  beforeAll(async () => {
    db = await freshRedisPrefix('relay-backends');
    [a, b, c] = [replicaClient(db), replicaClient(db), replicaClient(db)];
    await Promise.all([a, b, c].map(connected));
  });
  afterAll(async () => {
    for (const x of [a, b, c]) x?.disconnect();
    await db?.cleanup();
  });

  describe('limit counters', () => {
    it('count one window for every replica: the third hit over a limit of 2 is refused wherever it lands', async () => {
      const errors: unknown[] = [];
      const spec = { name: 'perPhone', max: 2, windowSeconds: 600 };
      const [ca, cb, cc] = [a, b, c].map((client) => createCounterFactory({ kind: 'redis', client, onError: (e) => errors.push(e) })(spec));
      expect(await ca.hit('k1')).toMatchObject({ allowed: true, count: 1 });
      expect(await cb.hit('k1')).toMatchObject({ allowed: true, count: 2 });
      const third = await cc.hit('k1');
      expect(third).toMatchObject({ allowed: false, count: 3 });
      expect(third.retryAfterMs).toBeGreaterThan(590_000);
      expect(third.retryAfterMs).toBeLessThanOrEqual(600_000);
      expect(await ca.peek('k1')).toMatchObject({ allowed: false, count: 3 });
      expect(await cb.peek('never-hit')).toEqual({ allowed: true, retryAfterMs: 0, count: 0 });
      expect(errors).toEqual([]);
      expect(await db.client.pttl(`${db.keyPrefix}perPhone:k1`)).toBeGreaterThan(590_000);
    });

    it('start a calendar-day key with the window it is given, and block for blockSeconds once over', async () => {
      const factory = createCounterFactory({ kind: 'redis', client: a, onError: () => undefined });
      const daily = factory({ name: 'total', max: 10, windowSeconds: 86_400 });
      await daily.hit('2030-01-01', 120);
      const ttl = await db.client.pttl(`${db.keyPrefix}total:2030-01-01`);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);

      const guesses = createCounterFactory({ kind: 'redis', client: b, onError: () => undefined })({ name: 'failedAuth', max: 1, windowSeconds: 10, blockSeconds: 900 });
      await guesses.hit('198.51.100.7');
      const blocked = await guesses.hit('198.51.100.7');
      expect(blocked.allowed).toBe(false);
      expect(blocked.retryAfterMs).toBeGreaterThan(800_000);
      expect((await createCounterFactory({ kind: 'redis', client: c, onError: () => undefined })({ name: 'failedAuth', max: 1, windowSeconds: 10, blockSeconds: 900 }).peek('198.51.100.7')).allowed).toBe(false);
    });

    it('keep numbers and prefixes out of Redis: every key is an HMAC', async () => {
      const logs = captureLogs();
      const limits = new Limits(limitsSchema.parse({ perPhone: { max: 5, windowSeconds: 60 }, perPrefix: { max: 50, windowSeconds: 60, dropDigits: 3 } }), {
        counters: createCounterFactory({ kind: 'redis', client: a, onError: () => undefined }),
        hashKey: randomBytes(32),
        logger: logs.logger,
      });
      expect(await limits.check({ channel: 'sms', to: '+33612345678', text: 'Code 1', test: false })).toBeUndefined();
      const keys = (await db.keys()).filter((k) => /perPhone|perPrefix/.test(k) && !k.endsWith(':k1'));
      expect(keys).toHaveLength(2);
      for (const k of keys) {
        expect(k).not.toMatch(/612345|33612/);
        expect(k).toMatch(/^relay-backends-[0-9a-f]+:(perPhone|perPrefix):[A-Za-z0-9_-]{22}$/);
      }
    });

    it('fall back to counting in this process when Redis is unreachable: still limited, the failure reported', async () => {
      const down = new Redis({ host: '127.0.0.1', port: await freePort(), enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      down.on('error', () => undefined);
      await down.connect().catch(() => undefined);
      const errors: unknown[] = [];
      try {
        const counter = createCounterFactory({ kind: 'redis', client: down, onError: (e) => errors.push(e) })({ name: 'perPhone', max: 2, windowSeconds: 600 });
        const started = Date.now();
        const results = [await counter.hit('k'), await counter.hit('k'), await counter.hit('k')];
        expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
        expect((await counter.peek('k')).allowed).toBe(false);
        // No connection means no wait: the offline queue is off, so each command fails at once.
        expect(Date.now() - started).toBeLessThan(2000);
        expect(errors).toHaveLength(4);
      } finally {
        down.disconnect();
      }
    });
  });

  describe('redeem failures', () => {
    it('give N replicas one allowance: the third failure over a limit of 3 blocks the source at every replica', async () => {
      const spec = { name: 'redeemFailures', max: 2, windowSeconds: 300 };
      const [la, lb, lc] = [a, b, c].map((client) => new SharedFailureLimiter(createCounterFactory({ kind: 'redis', client, onError: () => undefined })(spec)));
      await la.fail('203.0.113.5');
      await lb.fail('203.0.113.5');
      expect(await lc.blockedFor('203.0.113.5')).toBe(0);
      await lc.fail('203.0.113.5');
      for (const l of [la, lb, lc]) expect(await l.blockedFor('203.0.113.5')).toBeGreaterThan(290_000);
      expect(await la.blockedFor('203.0.113.6')).toBe(0);
    });
  });

  describe('dedupe store', () => {
    it('reserves a key for one replica, shows the others it is pending, then the settled id; releases only a reservation', async () => {
      const [sa, sb] = [new RedisDedupeStore(a), new RedisDedupeStore(b)];
      expect(await sa.reserve('m1', 5000)).toBeUndefined();
      expect(await sb.reserve('m1', 5000)).toEqual({});
      expect(await db.client.pttl(`${db.keyPrefix}dedupe:m1`)).toBeLessThanOrEqual(5000);
      await sa.settle('m1', 'delivery-1', 60_000);
      expect(await sb.get('m1')).toEqual({ id: 'delivery-1' });
      expect(await sb.reserve('m1', 5000)).toEqual({ id: 'delivery-1' });
      // A settled key is another delivery's answer: release (of a failed duplicate send) must not drop it.
      await sb.release('m1');
      expect(await sa.get('m1')).toEqual({ id: 'delivery-1' });
      expect(await db.client.pttl(`${db.keyPrefix}dedupe:m1`)).toBeGreaterThan(55_000);

      expect(await sa.reserve('m2', 5000)).toBeUndefined();
      await sa.release('m2');
      expect(await sb.get('m2')).toBeUndefined();
      expect(await sb.reserve('m2', 5000)).toBeUndefined();
    });

    it('fails open when Redis is unreachable: every call answers as if the key were free, and reports it', async () => {
      const down = new Redis({ host: '127.0.0.1', port: await freePort(), enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      down.on('error', () => undefined);
      const errors: unknown[] = [];
      try {
        const store = failOpen(new RedisDedupeStore(down), (e) => errors.push(e));
        expect(await store.reserve('m', 1000)).toBeUndefined();
        await expect(store.settle('m', 'id', 1000)).resolves.toBeUndefined();
        expect(await store.get('m')).toBeUndefined();
        await expect(store.release('m')).resolves.toBeUndefined();
        expect(errors).toHaveLength(4);
      } finally {
        down.disconnect();
      }
    });
  });

  describe('Dedupe across replicas', () => {
    let log: SqliteStore;
    beforeAll(() => {
      log = new SqliteStore(':memory:');
    });
    afterAll(() => log.close());

    const replicas = (hashKey: Buffer) =>
      [a, b, c].map((client) => new Dedupe({ windowMs: 60_000, hashKey, store: new RedisDedupeStore(client), deliveries: log.deliveries, pollMs: 20 }));
    const record = async (status: 'delivered' | 'failed') => {
      const r = await log.deliveries.create({ endpoint: '/sms', route: 'otp', channel: 'sms', phoneDigest: 'd', phoneMasked: '+33*', status: 'sending', test: false });
      await log.deliveries.setStatus(r.id, status);
      return r.id;
    };

    it('makes a duplicate at another replica wait for the first one still sending, and answers with its id', async () => {
      const [da, db2, dc] = replicas(randomBytes(32));
      const key = da.key('/sms', { channel: 'sms', to: '+33612340001', text: 'Code 1', test: false });
      expect(db2.key('/sms', { channel: 'sms', to: '+33612340001', text: 'Code 1', test: false })).toBe(key);
      let sends = 0;
      const send = async (): Promise<FirstOutcome> => {
        sends++;
        await new Promise((ok) => setTimeout(ok, 300));
        return { id: await record('delivered'), status: 'delivered' };
      };
      const first = da.run(key, 2000, send);
      await new Promise((ok) => setTimeout(ok, 50));
      const [x, y, z] = await Promise.all([first, db2.run(key, 2000, send), dc.run(key, 2000, send)]);
      expect(sends).toBe(1);
      expect(x.duplicate).toBe(false);
      expect([y, z].map((r) => [r.duplicate, r.outcome.id])).toEqual([
        [true, x.outcome.id],
        [true, x.outcome.id],
      ]);
    });

    it('after a first that failed on another replica, lets exactly one waiter send and the rest take its answer', async () => {
      const [da, db2, dc] = replicas(randomBytes(32));
      const key = da.key('/sms', { channel: 'sms', to: '+33612340002', text: 'Code 2', test: false });
      let sends = 0;
      const failing = async (): Promise<FirstOutcome> => {
        sends++;
        await new Promise((ok) => setTimeout(ok, 200));
        throw new Error('every provider failed');
      };
      const working = async (): Promise<FirstOutcome> => {
        sends++;
        await new Promise((ok) => setTimeout(ok, 200));
        return { id: await record('delivered'), status: 'delivered' };
      };
      const first = da.run(key, 3000, failing).catch((e: Error) => e);
      await new Promise((ok) => setTimeout(ok, 50));
      const [failed, y, z] = await Promise.all([first, db2.run(key, 3000, working), dc.run(key, 3000, working)]);
      expect(failed).toBeInstanceOf(Error);
      expect(sends).toBe(2);
      expect(new Set([y.outcome.id, z.outcome.id]).size).toBe(1);
      expect([y.duplicate, z.duplicate].sort()).toEqual([false, true]);
    });

    it('sends a duplicate of a delivery that failed again, from any replica', async () => {
      const [da, db2] = replicas(randomBytes(32));
      const key = da.key('/sms', { channel: 'sms', to: '+33612340003', text: 'Code 3', test: false });
      const failedId = await record('failed');
      await da.run(key, 1000, async () => ({ id: failedId, status: 'failed' as const }));
      const again = await db2.run(key, 1000, async () => ({ id: 'second', status: 'delivered' as const }));
      expect(again).toEqual({ outcome: { id: 'second', status: 'delivered' }, duplicate: false });
    });
  });
});
