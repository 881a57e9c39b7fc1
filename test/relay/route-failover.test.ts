import request from 'supertest';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { basicHeader, smsBody, startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';

const GATEWAY_PASSWORD = 'gateway-password-0123456789';
let gateways: HttpGateway[] = [];
const relays: TestRelay[] = [];

const gatewayProvider = (gw: HttpGateway, extra: Record<string, unknown> = {}) => ({
  type: 'http',
  url: `${gw.url}/send`,
  method: 'POST',
  options: { to: '{phone}', text: '{message}' },
  username: 'relay',
  password: GATEWAY_PASSWORD,
  ...extra,
});

async function relayOver(route: Record<string, unknown>, providers: Record<string, unknown>): Promise<TestRelay> {
  const relay = await startTestRelay(testConfig({ routes: { otp: route }, providers }));
  relays.push(relay);
  return relay;
}

const post = (relay: TestRelay) =>
  request(relay.url).post('/fusionauth/sms').set('Authorization', basicHeader()).set('Content-Type', 'application/json').send(JSON.stringify(smsBody));

beforeEach(async () => {
  gateways = await Promise.all([startHttpGateway(), startHttpGateway(), startHttpGateway()]);
});
afterEach(() => Promise.all(gateways.map((g) => g.close())));
afterAll(() => Promise.all(relays.map((r) => r.close())));

describe('a failover route', () => {
  it('delivers through the third provider when the first hangs and the second answers 500, inside the deadline', async () => {
    const [hangs, fails, works] = gateways;
    hangs.behave('hang');
    fails.behave({ status: 500, body: 'internal error' });
    const relay = await relayOver(
      { providers: ['first', 'second', 'third'], deadlineMs: 1800 },
      { first: gatewayProvider(hangs, { timeoutMs: 400 }), second: gatewayProvider(fails), third: gatewayProvider(works) },
    );
    const started = Date.now();
    const res = await post(relay).expect(200);
    expect(Date.now() - started).toBeLessThan(1800);
    expect(res.body.status).toBe('delivered');
    expect(works.requests).toHaveLength(1);
    expect(works.requests[0].form).toMatchObject({ to: '+13035551212', text: smsBody.textMessage });
    const record = await relay.store.deliveries.get(res.body.id);
    expect(record!.attempts.map((a) => [a.provider, a.outcome, a.verdict, a.vendorStatus ?? a.vendorCode])).toEqual([
      ['first', 'failed', 'failover', 'timeout'],
      ['second', 'failed', 'retryable', 500],
      ['third', 'ok', undefined, undefined],
    ]);
    expect(record!.attempts[0].latencyMs).toBeGreaterThanOrEqual(350);
  });

  it('answers 502 with every attempt (provider, verdict, vendor code) when all fail, and no secret', async () => {
    for (const g of gateways) g.behave({ status: 503, body: `down, password=${GATEWAY_PASSWORD}` });
    gateways[1].behave({ status: 401, body: 'bad credentials' });
    const relay = await relayOver(
      { providers: ['first', 'second', 'third'], deadlineMs: 1800 },
      { first: gatewayProvider(gateways[0]), second: gatewayProvider(gateways[1]), third: gatewayProvider(gateways[2]) },
    );
    const res = await post(relay).expect(502);
    expect(res.body.generalErrors[0].code).toBe('[deliveryFailed]');
    expect(res.body.data.attempts).toEqual([
      expect.objectContaining({ provider: 'first', verdict: 'retryable', vendorStatus: 503 }),
      expect.objectContaining({ provider: 'second', verdict: 'failover', vendorStatus: 401 }),
      expect.objectContaining({ provider: 'third', verdict: 'retryable', vendorStatus: 503 }),
    ]);
    const record = await relay.store.deliveries.get(res.body.data.id);
    expect(record!.status).toBe('failed');
    for (const text of [JSON.stringify(res.body), JSON.stringify(record), relay.logs()]) {
      expect(text).not.toContain(GATEWAY_PASSWORD);
      expect(text).not.toContain('482913');
    }
  });

  it('answers 504 when the route deadline passes first, without waiting for slow providers', async () => {
    for (const g of gateways) g.behave('hang');
    const relay = await relayOver(
      { providers: ['first', 'second'], deadlineMs: 600 },
      { first: gatewayProvider(gateways[0], { timeoutMs: 5000 }), second: gatewayProvider(gateways[1]) },
    );
    const started = Date.now();
    const res = await post(relay).expect(504);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(res.body.generalErrors[0].code).toBe('[deadlineExceeded]');
    expect(res.body.data.attempts).toEqual([expect.objectContaining({ provider: 'first', vendorCode: 'deadline' })]);
    expect(gateways[1].requests).toHaveLength(0);
  });

  it("moves on when a provider's own timeout passes while the route still has time", async () => {
    gateways[0].behave('hang');
    const relay = await relayOver(
      { providers: ['first', 'second'], deadlineMs: 1500 },
      { first: gatewayProvider(gateways[0], { timeoutMs: 300 }), second: gatewayProvider(gateways[1]) },
    );
    const res = await post(relay).expect(200);
    expect(res.body.status).toBe('delivered');
    expect(gateways[1].requests).toHaveLength(1);
  });
});
