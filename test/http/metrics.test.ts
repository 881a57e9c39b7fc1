import { freePort } from '../kit/processes';
import { postMessage, sample, scrape, smsTo } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';

const ADMIN = 'admin-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abc';
const relays: TestRelay[] = [];
const start = async (extra: Record<string, unknown>) => {
  const r = await startTestRelay(testConfig(extra));
  relays.push(r);
  return r;
};
afterEach(() => Promise.all(relays.splice(0).map((r) => r.close())));

describe('/metrics', () => {
  it('counts requests by endpoint and status, deliveries by route and status, attempts by provider, with bounded labels only', async () => {
    const relay = await start({ admin: { token: ADMIN }, limits: { perPhone: { max: 1, windowSeconds: 60 } } });
    await postMessage(relay.url, smsTo('+33612345630'));
    await postMessage(relay.url, smsTo('+33612345630'));
    await postMessage(relay.url, { phoneNumber: 'not a number' });
    const text = await scrape(`${relay.url}/metrics`, ADMIN);
    expect(sample(text, 'relay_requests_total{endpoint="/fusionauth/sms",status="200"}')).toBe(1);
    expect(sample(text, 'relay_requests_total{endpoint="/fusionauth/sms",status="429"}')).toBe(1);
    expect(sample(text, 'relay_requests_total{endpoint="/fusionauth/sms",status="400"}')).toBe(1);
    expect(sample(text, 'relay_deliveries_total{route="otp",status="delivered"}')).toBe(1);
    expect(sample(text, 'relay_provider_attempts_total{provider="phone",outcome="ok"}')).toBe(1);
    expect(sample(text, 'relay_limit_hits_total{rule="perPhone"}')).toBe(1);
    expect(sample(text, 'relay_request_duration_seconds_count{endpoint="/fusionauth/sms"}')).toBe(3);
    expect(sample(text, 'relay_provider_attempt_duration_seconds_count{provider="phone"}')).toBe(1);
    expect(sample(text, 'relay_breaker_state{provider="phone"}')).toBe(0);
    expect(text).toContain('relay_process_resident_memory_bytes');
    expect(text).toContain('relay_nodejs_eventloop_lag_seconds');
    expect(text).not.toMatch(/3361234|\+33|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('keeps each relay’s numbers to itself when several run in one process', async () => {
    const a = await start({ admin: { token: ADMIN } });
    const b = await start({ admin: { token: ADMIN } });
    await postMessage(a.url, smsTo('+33612345631'));
    expect(sample(await scrape(`${a.url}/metrics`, ADMIN), 'relay_requests_total{endpoint="/fusionauth/sms",status="200"}')).toBe(1);
    expect(sample(await scrape(`${b.url}/metrics`, ADMIN), 'relay_requests_total{endpoint="/fusionauth/sms",status="200"}')).toBeUndefined();
  });

  it('on the main port wants its own token, else the admin token; without either it does not exist', async () => {
    const own = await start({ admin: { token: ADMIN }, metrics: { token: METRICS } });
    expect((await fetch(`${own.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).status).toBe(200);
    const wrong = await fetch(`${own.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ generalErrors: [{ code: '[notAuthorized]', message: 'authentication failed' }] });
    expect((await fetch(`${own.url}/metrics`)).status).toBe(401);
    const none = await start({});
    expect((await fetch(`${none.url}/metrics`)).status).toBe(404);
  });

  it('on a port of its own, bound to its own address, answers without a token and is gone from the main port', async () => {
    const port = await freePort();
    const relay = await start({ admin: { token: ADMIN }, metrics: { port, host: '127.0.0.1' } });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('relay_requests_total');
    expect((await fetch(`http://127.0.0.1:${port}/admin/outbox`)).status).toBe(404);
    expect((await fetch(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
    await relay.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
