import Redis from 'ioredis';
import { httpProviderAt } from '../kit/gateway-config';
import { freshPostgresSchema, type TestSchema } from '../kit/postgres-test-db';
import { postMessage, sample, scrape, smsTo } from '../kit/post-message';
import { freePort } from '../kit/processes';
import { freshRedisPrefix, type TestRedis } from '../kit/redis-test-db';
import { loaded, startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { startPrivateRedis } from '../kit/servers/redis-server';
import { waitUntil } from '../kit/wait-until';

const METRICS_TOKEN = 'metrics-token-0123456789';

const redeem = (base: string, source: string) =>
  fetch(`${base}/redeem`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': source }, body: JSON.stringify({ token: 'not-a-token' }) });

describe('two replicas sharing PostgreSQL and Redis', () => {
  let db: TestSchema;
  let redis: TestRedis;
  let gw: HttpGateway;
  let a: TestRelay;
  let b: TestRelay;

  beforeAll(async () => {
    [db, redis, gw] = await Promise.all([freshPostgresSchema('relay_shared'), freshRedisPrefix('relay-shared'), startHttpGateway()]);
    const config = testConfig({
      server: { host: '127.0.0.1', port: 0, tls: false, trustProxy: ['127.0.0.1/32'] },
      storage: { url: db.url, poolSize: 3 },
      redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 2000 },
      providers: { gateway: httpProviderAt(gw) },
      routes: { otp: { providers: ['gateway'], deadlineMs: 3000 } },
      limits: { perPhone: { max: 2, windowSeconds: 600 }, perPrefix: false, failedAuth: { max: 3, windowSeconds: 600, blockSeconds: 900 } },
      dedupe: { windowSeconds: 60 },
      push: { redeemMaxFailures: 3, redeemFailureWindowSeconds: 600 },
      metrics: { token: METRICS_TOKEN },
    });
    [a, b] = await Promise.all([startTestRelay(config), startTestRelay(config)]);
  });
  beforeEach(() => gw.clear());
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await gw?.close();
    await redis?.cleanup();
    await db?.drop();
  });

  it('holds the per-phone limit across replicas: the third message is refused wherever it lands', async () => {
    const number = '+33612349001';
    expect((await postMessage(a.url, smsTo(number))).status).toBe(200);
    expect((await postMessage(b.url, smsTo(number))).status).toBe(200);
    for (const relay of [a, b]) {
      const refused = await postMessage(relay.url, smsTo(number));
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ data: { rule: 'perPhone' } });
    }
    expect(gw.count).toBe(2);
  });

  it('answers a duplicate at the other replica with the first delivery, and sends once', async () => {
    const body = smsTo('+33612349002');
    const first = await postMessage(a.url, body);
    const again = await postMessage(b.url, body);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: first.body.id, status: 'delivered' });
    expect(again.headers.get('x-relay-duplicate')).toBe('true');
    expect(gw.count).toBe(1);
  });

  it("answers a duplicate that waited on the other replica within the route's deadline from its own arrival", async () => {
    gw.behave('hang');
    try {
      const body = smsTo('+33612349009');
      const first = postMessage(a.url, body);
      await waitUntil(() => gw.count === 1, 'the first replica sending');
      await new Promise((r) => setTimeout(r, 1000));
      const arrived = Date.now();
      const again = await postMessage(b.url, body);
      const took = Date.now() - arrived;
      expect((await first).status).toBe(504);
      expect(again.status).toBe(504);
      // deadlineMs is 3000: waiting for the first must come out of it, not come before a fresh 3000 ms of sending.
      expect(took).toBeLessThan(3000 + 500);
    } finally {
      gw.behave('accept');
    }
  });

  it('blocks a source that failed authentication at both replicas together, and only that source', async () => {
    const guesser = { 'x-forwarded-for': '198.51.100.20' };
    const wrong = { ...guesser, authorization: `Basic ${Buffer.from('fusionauth:wrong-password-000000').toString('base64')}` };
    expect((await postMessage(a.url, smsTo('+33612349003'), { headers: wrong })).status).toBe(401);
    expect((await postMessage(b.url, smsTo('+33612349003'), { headers: wrong })).status).toBe(401);
    expect((await postMessage(a.url, smsTo('+33612349003'), { headers: wrong })).status).toBe(401);
    // Three failures spread over two replicas: each saw fewer than three, the shared count says blocked.
    const blocked = await postMessage(b.url, smsTo('+33612349003'), { headers: guesser });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ data: { rule: 'failedAuth' } });
    expect((await postMessage(a.url, smsTo('+33612349003'), { headers: guesser })).status).toBe(429);
    expect((await postMessage(b.url, smsTo('+33612349003'), { headers: { 'x-forwarded-for': '198.51.100.21' } })).status).toBe(200);
  });

  it('gives an address one redeem allowance across replicas', async () => {
    const source = '198.51.100.30';
    expect((await redeem(a.url, source)).status).toBe(404);
    expect((await redeem(b.url, source)).status).toBe(404);
    expect((await redeem(a.url, source)).status).toBe(404);
    for (const relay of [b, a]) {
      const refused = await redeem(relay.url, source);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500);
    }
    expect((await redeem(b.url, '198.51.100.31')).status).toBe(404);
  });

  it('reports Redis in /readyz and /metrics, and keeps its keys under the prefix, numbers never in clear', async () => {
    expect(await (await fetch(`${a.url}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok' });
    const text = await scrape(`${b.url}/metrics`, METRICS_TOKEN);
    expect(sample(text, 'relay_redis_up')).toBe(1);
    expect(text).not.toMatch(/relay_redis_errors_total\{/);
    const keys = await redis.keys();
    expect(keys.some((k) => k.startsWith(`${redis.keyPrefix}perPhone:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${redis.keyPrefix}dedupe:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${redis.keyPrefix}redeemFailures:198.51.100.30`))).toBe(true);
    expect(keys.join('\n')).not.toMatch(/3361234900/);
  });
});

describe('a relay whose Redis goes away', () => {
  it('keeps answering within its deadline, limits per process, reports it; shares again once Redis is back', async () => {
    const server = await startPrivateRedis();
    const gw = await startHttpGateway();
    const relay = await startTestRelay(
      testConfig({
        redis: { url: server.url, keyPrefix: 'outage:', commandTimeoutMs: 300, connectTimeoutMs: 1000 },
        providers: { gateway: httpProviderAt(gw) },
        routes: { otp: { providers: ['gateway'], deadlineMs: 3000 } },
        limits: { perPhone: { max: 2, windowSeconds: 600 }, perPrefix: false, failedAuth: false },
        dedupe: { windowSeconds: 60 },
        metrics: { token: METRICS_TOKEN },
      }),
    );
    const probe = new Redis(server.url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      expect((await postMessage(relay.url, smsTo('+33612349101'))).status).toBe(200);
      await server.kill();
      await waitUntil(async () => ((await (await fetch(`${relay.url}/readyz`)).json()) as { redis?: string }).redis === 'unavailable', 'readyz to report Redis down');
      const ready = await fetch(`${relay.url}/readyz`);
      expect(ready.status).toBe(200);

      // Codes still go out, at once, and the limit still holds inside this process.
      const number = '+33612349102';
      const started = Date.now();
      const answers = [await postMessage(relay.url, smsTo(number)), await postMessage(relay.url, smsTo(number)), await postMessage(relay.url, smsTo(number))];
      expect(answers.map((x) => x.status)).toEqual([200, 200, 429]);
      expect(Date.now() - started).toBeLessThan(3000);
      const text = await scrape(`${relay.url}/metrics`, METRICS_TOKEN);
      expect(sample(text, 'relay_redis_up')).toBe(0);
      expect(sample(text, 'relay_redis_errors_total{use="limits"}')).toBeGreaterThanOrEqual(3);
      expect(sample(text, 'relay_redis_errors_total{use="dedupe"}')).toBeGreaterThanOrEqual(3);
      expect(relay.logs()).toContain('Redis unreachable; limits, dedupe and redeem failures count in this process until it answers');
      expect(relay.logs()).toContain("Redis command failed; counting limits in this process's memory");

      await server.restart();
      await waitUntil(async () => ((await (await fetch(`${relay.url}/readyz`)).json()) as { redis?: string }).redis === 'ok', 'readyz to report Redis back', 15_000, 100);
      expect(relay.logs()).toContain('Redis connection restored');
      expect((await postMessage(relay.url, smsTo('+33612349103'))).status).toBe(200);
      await probe.connect();
      expect((await probe.keys('outage:perPhone:*')).length).toBe(1);
    } finally {
      probe.disconnect();
      await relay.close();
      await gw.close();
      await server.close();
    }
  }, 40_000);

  it('bounds what a hung Redis costs: the silent connection is dropped and the requests after it do not wait', async () => {
    const server = await startPrivateRedis();
    const gw = await startHttpGateway();
    const relay = await startTestRelay(
      testConfig({
        redis: { url: server.url, commandTimeoutMs: 300, connectTimeoutMs: 1000 },
        providers: { gateway: httpProviderAt(gw) },
        routes: { otp: { providers: ['gateway'], deadlineMs: 3000 } },
        limits: { perPhone: { max: 2, windowSeconds: 600 }, perPrefix: false, failedAuth: false },
        dedupe: { windowSeconds: 60 },
      }),
    );
    try {
      expect((await postMessage(relay.url, smsTo('+33612349301'))).status).toBe(200);
      server.pause();
      // Ten messages, three Redis commands each: waiting out every command's timeout would take about 9 s.
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect((await postMessage(relay.url, smsTo(`+3361234931${i}`))).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await (await fetch(`${relay.url}/readyz`)).json()).toEqual({ status: 'ready', redis: 'unavailable' });
      server.resume();
      await waitUntil(async () => ((await (await fetch(`${relay.url}/readyz`)).json()) as { redis?: string }).redis === 'ok', 'Redis to answer again', 15_000, 100);
    } finally {
      await relay.close();
      await gw.close();
      await server.close();
    }
  }, 40_000);

  it('starts without Redis (after its connect timeout), says so without the password, and sends', async () => {
    const password = 'pw-Secret-redis-7f3a9c';
    const url = `redis://:${password}@127.0.0.1:${await freePort()}`;
    const raw = testConfig({ redis: { url, connectTimeoutMs: 500 }, limits: { perPhone: { max: 5, windowSeconds: 60 } }, dedupe: { windowSeconds: 60 } });
    expect(loaded(raw).secrets).toContain(password);
    const relay = await startTestRelay(raw);
    try {
      expect((await postMessage(relay.url, smsTo('+33612349201'))).status).toBe(200);
      expect(await (await fetch(`${relay.url}/readyz`)).json()).toEqual({ status: 'ready', redis: 'unavailable' });
      expect(relay.logs()).toContain('Redis did not answer at start; starting anyway');
      expect(relay.logs()).toContain('redis://:***@127.0.0.1');
      expect(relay.logs()).not.toContain(password);
    } finally {
      await relay.close();
    }
  });
});
