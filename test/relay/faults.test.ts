import { acceptedTexts, httpProviderAt } from '../kit/gateway-config';
import { postMessage, sample, scrape, smsTo } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { startSmsc } from '../kit/servers/smsc';

const ADMIN = 'admin-token-0123456789abcdef';
let primary: HttpGateway;
let backup: HttpGateway;
const relays: TestRelay[] = [];

async function relayWith(breaker: Record<string, unknown>, primaryExtra: Record<string, unknown> = {}): Promise<TestRelay> {
  const relay = await startTestRelay(
    testConfig({
      providers: { primary: httpProviderAt(primary, { timeoutMs: 400, ...primaryExtra }), backup: httpProviderAt(backup) },
      routes: { otp: { providers: ['primary', 'backup'], deadlineMs: 1500 } },
      breaker,
      admin: { token: ADMIN },
    }),
  );
  relays.push(relay);
  return relay;
}

const attemptsOf = async (relay: TestRelay, id: unknown) =>
  (await relay.store.deliveries.get(String(id)))!.attempts.map((a) => [a.provider, a.outcome, a.vendorCode ?? a.vendorStatus ?? null]);

beforeEach(async () => {
  [primary, backup] = await Promise.all([startHttpGateway(), startHttpGateway()]);
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await Promise.all([primary.close(), backup.close()]);
});

describe('a provider that hangs', () => {
  it('still gets the answer inside the deadline, then is skipped at once by its open breaker, then probed and used again', async () => {
    primary.behave('hang');
    const relay = await relayWith({ failures: 2, cooldownSeconds: 1 });

    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const a = await postMessage(relay.url, smsTo('+33612345610'));
      expect(a.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await attemptsOf(relay, a.body.id)).toEqual([
        ['primary', 'failed', 'timeout'],
        ['backup', 'ok', null],
      ]);
    }
    // Open: the hanging vendor costs nothing now (it is not even called; no wall-clock bound, which would flake on
    // a loaded machine); the log shows it was skipped.
    const skipped = await postMessage(relay.url, smsTo('+33612345610'));
    expect(skipped.status).toBe(200);
    expect(await attemptsOf(relay, skipped.body.id)).toEqual([
      ['primary', 'failed', 'circuit-open'],
      ['backup', 'ok', null],
    ]);
    expect((await relay.store.deliveries.get(String(skipped.body.id)))!.attempts[0].latencyMs).toBe(0);
    expect(primary.count).toBe(2);
    const metrics = await scrape(`${relay.url}/metrics`, ADMIN);
    expect(sample(metrics, 'relay_breaker_state{provider="primary"}')).toBe(2);
    expect(sample(metrics, 'relay_provider_attempts_total{provider="primary",outcome="circuit_open"}')).toBe(1);
    expect(relay.logs()).toContain('circuit opened');

    // After the cool-down one probe goes through; the vendor is back, so the breaker closes.
    primary.behave('accept');
    await new Promise((ok) => setTimeout(ok, 1100));
    const probe = await postMessage(relay.url, smsTo('+33612345610'));
    expect(await attemptsOf(relay, probe.body.id)).toEqual([['primary', 'ok', null]]);
    expect(sample(await scrape(`${relay.url}/metrics`, ADMIN), 'relay_breaker_state{provider="primary"}')).toBe(0);
  });

  it('answers 503 with Retry-After at once when every provider on the route is skipped', async () => {
    primary.behave('hang');
    backup.behave('hang');
    const relay = await startTestRelay(
      testConfig({
        providers: { primary: httpProviderAt(primary, { timeoutMs: 200 }), backup: httpProviderAt(backup, { timeoutMs: 200 }) },
        routes: { otp: { providers: ['primary', 'backup'], deadlineMs: 1500 } },
        breaker: { failures: 1, cooldownSeconds: 30 },
      }),
    );
    relays.push(relay);
    expect((await postMessage(relay.url, smsTo('+33612345611'))).status).toBe(502);
    const none = await postMessage(relay.url, smsTo('+33612345611'));
    expect(none.status).toBe(503);
    // At once: neither hanging vendor was called again.
    expect([primary.count, backup.count]).toEqual([1, 1]);
    expect(Number(none.headers.get('retry-after'))).toBeGreaterThan(20);
    expect(none.body).toMatchObject({ generalErrors: [{ code: '[noProvider]' }] });
  });
});

describe('a provider that resets connections', () => {
  it('fails over on each reset and opens its breaker after repeated resets', async () => {
    primary.behave('reset');
    const relay = await relayWith({ failures: 3, cooldownSeconds: 30 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await postMessage(relay.url, smsTo('+33612345612')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(primary.count).toBe(3);
    expect(backup.count).toBe(5);
    expect((await attemptsOf(relay, answers[4].body.id))[0]).toEqual(['primary', 'failed', 'circuit-open']);
  });
});

describe('a provider that answers 429 with Retry-After', () => {
  it('moves on to the next provider on a sync route, and keeps the vendor answer in the attempt', async () => {
    primary.behave('throttle', { retryAfter: '7' });
    const relay = await relayWith({ failures: 5, cooldownSeconds: 30 });
    const a = await postMessage(relay.url, smsTo('+33612345613'));
    expect(a.status).toBe(200);
    expect(await attemptsOf(relay, a.body.id)).toEqual([
      ['primary', 'failed', 429],
      ['backup', 'ok', null],
    ]);
    expect(acceptedTexts(backup)).toHaveLength(1);
  });

  it('opens only on consecutive failures: an accepted message in between resets the count', async () => {
    let n = 0;
    primary.behave(() => (n++ % 2 === 0 ? { status: 503, body: 'busy' } : { status: 200, body: 'OK' }));
    const relay = await relayWith({ failures: 2, cooldownSeconds: 30 });
    for (let i = 0; i < 6; i++) expect((await postMessage(relay.url, smsTo('+33612345614'))).status).toBe(200);
    expect(primary.count).toBe(6);
  });
});

describe('a permanent refusal (an SMSC that says the number is invalid)', () => {
  it('stops the route without counting against the breaker: the vendor is alive; a system error does count', async () => {
    const smsc = await startSmsc({ systemId: 'relay', password: 'pw-8char' });
    const relay = await startTestRelay(
      testConfig({
        providers: { smsc: { type: 'smpp', ...smsc.config }, backup: httpProviderAt(backup) },
        routes: { otp: { providers: ['smsc', 'backup'], deadlineMs: 3000 } },
        breaker: { failures: 1, cooldownSeconds: 30 },
      }),
    );
    relays.push(relay);
    try {
      smsc.behave('reject');
      for (let i = 0; i < 3; i++) {
        const a = await postMessage(relay.url, smsTo('+33612345615'));
        expect(a.status).toBe(502);
        expect(a.body).toMatchObject({ data: { attempts: [{ provider: 'smsc', verdict: 'permanent' }] } });
      }
      expect(smsc.submits()).toHaveLength(3);
      expect(backup.count).toBe(0);

      smsc.behave('fail');
      expect((await postMessage(relay.url, smsTo('+33612345615'))).status).toBe(200);
      const skipped = await postMessage(relay.url, smsTo('+33612345615'));
      expect((await attemptsOf(relay, skipped.body.id))[0]).toEqual(['smsc', 'failed', 'circuit-open']);
      expect(smsc.submits()).toHaveLength(4);
    } finally {
      await relay.close();
      relays.splice(relays.indexOf(relay), 1);
      await smsc.close();
    }
  });
});
