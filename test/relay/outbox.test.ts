import { httpProviderAt } from '../kit/gateway-config';
import { postMessage, sample, scrape, smsTo } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { startSmsc } from '../kit/servers/smsc';
import { waitUntil } from '../kit/wait-until';

const ADMIN = 'admin-token-0123456789abcdef';
let gw: HttpGateway;
const relays: TestRelay[] = [];
const arrivals: number[] = [];

async function asyncRelay(asyncBlock: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestRelay> {
  const relay = await startTestRelay(
    testConfig({
      providers: { gateway: httpProviderAt(gw, { timeoutMs: 1000 }) },
      routes: { otp: { providers: ['gateway'], deadlineMs: 1000, delivery: 'async', async: { backoff: { initialMs: 100, maxMs: 400 }, ...asyncBlock } } },
      breaker: { failures: 100, cooldownSeconds: 1 },
      admin: { token: ADMIN },
      ...extra,
    }),
  );
  relays.push(relay);
  return relay;
}

const statusOf = async (relay: TestRelay, id: unknown) => (await relay.store.deliveries.get(String(id)))?.status;
const settled = (relay: TestRelay, id: unknown, status: string, timeoutMs = 10_000) =>
  waitUntil(async () => (await statusOf(relay, id)) === status, `delivery ${String(id)} to be ${status}`, timeoutMs);

beforeEach(async () => {
  gw = await startHttpGateway();
  arrivals.length = 0;
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await gw.close();
});

/** A gateway that answers each request with the next reply in `replies` (the last one repeats), noting when each came. */
function scripted(replies: Array<{ status: number; body?: string; headers?: Record<string, string>; delayMs?: number }>) {
  let n = 0;
  gw.behave(() => {
    arrivals.push(Date.now());
    return replies[Math.min(n++, replies.length - 1)];
  });
}

describe('an async route', () => {
  it('answers 202 with the id once queued, before the slow gateway has answered, then delivers it once', async () => {
    scripted([{ status: 200, body: 'OK', delayMs: 600 }]);
    const relay = await asyncRelay();
    const body = smsTo('+33612345620');
    const a = await postMessage(relay.url, body);
    expect(a.status).toBe(202);
    expect(a.body).toEqual({ id: expect.any(String), status: 'queued' });
    expect(gw.requests.filter((r) => r.answer === 200)).toHaveLength(0);
    await settled(relay, a.body.id, 'delivered');
    expect(gw.requests).toHaveLength(1);
    expect(gw.requests[0].headers['idempotency-key']).toBe(a.body.id);
    expect(gw.requests[0].form).toMatchObject({ to: '+33612345620', text: body.textMessage });
    const record = await relay.store.deliveries.get(String(a.body.id));
    expect(record!.attempts).toEqual([expect.objectContaining({ provider: 'gateway', outcome: 'ok' })]);
    expect(await relay.store.outbox.counts()).toEqual({ pending: 0, leased: 0, dead: 0, expired: 0 });
    expect(relay.logs()).not.toContain(String(body.code));
  });

  it('retries with growing waits until the gateway takes it, each try in the delivery log', async () => {
    scripted([{ status: 503, body: 'busy' }, { status: 503, body: 'busy' }, { status: 200, body: 'OK' }]);
    const relay = await asyncRelay();
    const a = await postMessage(relay.url, smsTo('+33612345621'));
    await settled(relay, a.body.id, 'delivered');
    expect(arrivals).toHaveLength(3);
    // Backoff 100 ms then 200 ms, each at least half its step (equal jitter).
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(50);
    expect(arrivals[2] - arrivals[1]).toBeGreaterThanOrEqual(100);
    const record = await relay.store.deliveries.get(String(a.body.id));
    expect(record!.attempts.map((x) => [x.outcome, x.vendorStatus ?? null])).toEqual([
      ['failed', 503],
      ['failed', 503],
      ['ok', null],
    ]);
    expect(new Set(gw.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([a.body.id]));
  });

  it('honours a 429 Retry-After longer than its own backoff', async () => {
    scripted([{ status: 429, body: 'slow down', headers: { 'retry-after': '2' } }, { status: 200, body: 'OK' }]);
    const relay = await asyncRelay();
    const a = await postMessage(relay.url, smsTo('+33612345622'));
    await settled(relay, a.body.id, 'delivered');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(1950);
  });

  it("does not let one provider's long Retry-After hold back the next provider's retry", async () => {
    gw.behave({ status: 429, body: 'quota', headers: { 'retry-after': '3600' } });
    const second = await startHttpGateway();
    try {
      let n = 0;
      second.behave(() => (n++ === 0 ? { status: 503, body: 'down' } : { status: 200, body: 'OK' }));
      const relay = await asyncRelay({}, {
        providers: { gateway: httpProviderAt(gw, { timeoutMs: 400 }), backup: httpProviderAt(second, { timeoutMs: 400 }) },
        routes: { otp: { providers: ['gateway', 'backup'], deadlineMs: 1000, delivery: 'async', async: { backoff: { initialMs: 100, maxMs: 400 } } } },
      });
      const a = await postMessage(relay.url, smsTo('+33612345629'));
      await settled(relay, a.body.id, 'delivered', 5000);
      expect(second.requests.map((r) => r.answer)).toEqual([503, 200]);
    } finally {
      await second.close();
    }
  });

  it('waits for the breaker to let a probe through without spending an attempt, then delivers', async () => {
    scripted([{ status: 503, body: 'down' }, { status: 200, body: 'OK' }]);
    // Two attempts: had the skipped tries while the breaker is open counted, the item would be dead after the first skip.
    const relay = await asyncRelay({ maxAttempts: 2 }, { breaker: { failures: 1, cooldownSeconds: 1 } });
    const a = await postMessage(relay.url, smsTo('+33612345628'));
    await settled(relay, a.body.id, 'delivered');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(950);
    const record = await relay.store.deliveries.get(String(a.body.id));
    expect(record?.attempts.some((t) => t.vendorCode === 'circuit-open')).toBe(true);
  });

  it('gives up after maxAttempts: the item is dead, visible in the admin API without its message', async () => {
    scripted([{ status: 503, body: 'down' }]);
    const relay = await asyncRelay({ maxAttempts: 3 });
    const body = smsTo('+33612345623');
    const a = await postMessage(relay.url, body);
    await settled(relay, a.body.id, 'dead');
    expect(gw.count).toBe(3);

    const res = await fetch(`${relay.url}/admin/outbox?state=dead`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const view = (await res.json()) as { items: Array<Record<string, unknown>>; counts: Record<string, number> };
    expect(view.items).toEqual([
      expect.objectContaining({ id: a.body.id, state: 'dead', attempts: 3, maxAttempts: 3, route: 'otp', phoneMasked: '+********623', lastError: expect.stringContaining('503') }),
    ]);
    expect(view.counts.dead).toBe(1);
    const text = JSON.stringify(view);
    expect(text).not.toContain(String(body.code));
    expect(text).not.toContain('payload');
    expect((await fetch(`${relay.url}/admin/outbox?state=dead`)).status).toBe(401);
    expect((await fetch(`${relay.url}/admin/outbox?state=gone`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(400);
    expect(sample(await scrape(`${relay.url}/metrics`, ADMIN), 'relay_outbox_items{state="dead"}')).toBe(1);
    expect(sample(await scrape(`${relay.url}/metrics`, ADMIN), 'relay_deliveries_total{route="otp",status="dead"}')).toBe(1);
  });

  it('expires a message that outlives maxAgeSeconds instead of sending it late', async () => {
    scripted([{ status: 503, body: 'down' }]);
    const relay = await asyncRelay({ maxAgeSeconds: 2, maxAttempts: 50, backoff: { initialMs: 1500, maxMs: 5000 } });
    const a = await postMessage(relay.url, smsTo('+33612345624'));
    await settled(relay, a.body.id, 'expired', 6000);
    const created = Date.parse((await relay.store.deliveries.get(String(a.body.id)))!.createdAt);
    expect(arrivals.length).toBeGreaterThan(0);
    const sentAfterExpiry = arrivals.filter((t) => t > created + 2000);
    expect(sentAfterExpiry).toHaveLength(0);
    expect((await relay.store.outbox.list({ state: 'expired' })).map((i) => i.id)).toEqual([a.body.id]);
  });

  it('dies at once on a permanent refusal, with no retry', async () => {
    const smsc = await startSmsc({ systemId: 'relay', password: 'pw-8char' });
    smsc.behave('reject');
    const relay = await asyncRelay({}, { providers: { gateway: { type: 'smpp', ...smsc.config } } });
    try {
      const a = await postMessage(relay.url, smsTo('+33612345625'));
      await settled(relay, a.body.id, 'dead');
      expect(smsc.submits()).toHaveLength(1);
    } finally {
      await relay.close();
      await smsc.close();
    }
  });

  it('answers a duplicate with the queued delivery, not a second entry', async () => {
    scripted([{ status: 200, body: 'OK', delayMs: 300 }]);
    const relay = await asyncRelay({}, { dedupe: { windowSeconds: 60 } });
    const body = smsTo('+33612345626');
    const first = await postMessage(relay.url, body);
    const again = await postMessage(relay.url, body);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id: first.body.id, status: 'queued' });
    expect(again.headers.get('x-relay-duplicate')).toBe('true');
    await settled(relay, first.body.id, 'delivered');
    const later = await postMessage(relay.url, body);
    expect(later.status).toBe(200);
    expect(later.body).toEqual({ id: first.body.id, status: 'delivered' });
    expect(gw.count).toBe(1);
  });

  it('keeps the admin outbox view hidden when no admin token is configured', async () => {
    const relay = await asyncRelay({}, { admin: {} });
    expect((await fetch(`${relay.url}/admin/outbox`)).status).toBe(404);
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(404);
  });
});
