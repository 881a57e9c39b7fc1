import { randomBytes } from 'node:crypto';
import { RedeemService } from '../../src/push/redeem';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';

const post = (url: string, body: unknown, type = 'application/json') =>
  fetch(`${url}/redeem`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /redeem', () => {
  let relay: TestRelay;
  let service: RedeemService;
  const issue = (ttl = 120) => service.issue({ deliveryId: 'd-1', text: 'Two Factor Code: 482913', code: '482913' }, ttl);

  beforeAll(async () => {
    relay = await startTestRelay(testConfig({ push: { redeemMaxFailures: 3, redeemFailureWindowSeconds: 600 } }));
    service = new RedeemService(relay.store.redeemTokens);
  });
  afterAll(() => relay?.close());

  it('returns the content once, with no-store; the second time answers 404', async () => {
    const { token } = await issue();
    const first = await post(relay.url, { token });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toMatchObject({ deliveryId: 'd-1', text: 'Two Factor Code: 482913', code: '482913' });
    const second = await post(relay.url, { token });
    expect(second.status).toBe(404);
    expect(await second.json()).toEqual({ generalErrors: [{ code: '[invalid]token', message: 'the token is unknown, expired or already redeemed' }] });
  });

  it('keeps neither the token nor the content in clear in the store', async () => {
    const { token } = await issue();
    const rows = (relay.store as SqliteStore).db.prepare('SELECT hash, sealed FROM redeem_tokens').all() as { hash: string; sealed: Buffer }[];
    const dump = rows.map((r) => `${r.hash} ${r.sealed.toString('latin1')}`).join('\n');
    expect(dump).not.toContain(token);
    expect(dump).not.toContain('482913');
    expect(dump).not.toContain('Two Factor');
  });

  it('gives an expired token the same answer as one never issued', async () => {
    const past = new RedeemService(relay.store.redeemTokens, () => Date.now() - 121_000);
    const { token } = await past.issue({ deliveryId: 'd-2', code: '111111' }, 120);
    const expired = await post(relay.url, { token });
    const unknown = await post(relay.url, { token: randomBytes(32).toString('base64url') });
    expect(expired.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await expired.json()).toEqual(await unknown.json());
  });
});

describe('POST /redeem: refusals and attempt limits', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay(testConfig({ push: { redeemMaxFailures: 3, redeemFailureWindowSeconds: 600 } }));
  });
  afterAll(() => relay?.close());

  it('answers 400 [invalidJson] for a body that is not JSON, 415 for another content type and 405 for GET', async () => {
    const malformed = await post(relay.url, '{"token": ');
    expect({ status: malformed.status, body: await malformed.json() }).toEqual({ status: 400, body: { generalErrors: [{ code: '[invalidJson]', message: 'the body is not valid JSON' }] } });
    expect((await post(relay.url, 'token=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    const get = await fetch(`${relay.url}/redeem`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('after too many failures from one address answers 429 with Retry-After, even for a good token, which stays redeemable', async () => {
    const service = new RedeemService(relay.store.redeemTokens);
    const { token } = await service.issue({ deliveryId: 'd-3', code: '333333' }, 120);
    expect((await post(relay.url, { token: 'short' })).status).toBe(404);
    expect((await post(relay.url, { nope: true })).status).toBe(400);
    expect((await post(relay.url, { token: randomBytes(32).toString('base64url') })).status).toBe(404);
    const blocked = await post(relay.url, { token });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(((await blocked.json()) as { generalErrors: { code: string }[] }).generalErrors[0].code).toBe('[rateLimited]');
    expect(relay.logs()).toContain('too many failed attempts');
    expect(await service.redeem(token)).toMatchObject({ code: '333333' });
  });
});

describe('POST /redeem behind a load balancer', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay(
      testConfig({ server: { host: '127.0.0.1', port: 0, tls: false, trustProxy: ['127.0.0.1/32'] }, push: { redeemMaxFailures: 3, redeemFailureWindowSeconds: 600 } }),
    );
  });
  afterAll(() => relay?.close());

  const from = (source: string) =>
    fetch(`${relay.url}/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': source },
      body: JSON.stringify({ token: randomBytes(32).toString('base64url') }),
    });

  it('counts an IPv6 source per /64, so rotating addresses inside it buys no more guesses', async () => {
    for (const suffix of ['1', '2', '3']) expect((await from(`2001:db8:5:7::${suffix}`)).status).toBe(404);
    expect((await from('2001:db8:5:7::4')).status).toBe(429);
    expect((await from('2001:db8:5:8::1')).status).toBe(404);
  });
});

describe('RedeemService', () => {
  it('refuses a token at its expiry instant and after, with a clock it is given', async () => {
    const store = new SqliteStore(':memory:');
    let now = 1_700_000_000_000;
    const service = new RedeemService(store.redeemTokens, () => now);
    const a = await service.issue({ deliveryId: 'a' }, 120);
    const b = await service.issue({ deliveryId: 'b' }, 120);
    now += 119_999;
    expect(await service.redeem(a.token)).toMatchObject({ deliveryId: 'a', expiresAt: new Date(1_700_000_120_000).toISOString() });
    now += 1;
    expect(await service.redeem(b.token)).toBeUndefined();
    await store.close();
  });
});
