import request from 'supertest';
import { basicHeader, smsBody, startTestRelay, testConfig, TEST_HEADER_KEY, TEST_PASSWORD, type TestRelay } from '../kit/relay-harness';

const OLD_KEY = 'old-header-secret-0123456789';
const SECOND = 'second-header-secret-98765';

function relayWith(auth: Record<string, unknown>, server: Record<string, unknown> = {}, host?: string): Promise<TestRelay> {
  return startTestRelay(
    testConfig({
      server: { host: '127.0.0.1', port: 0, tls: false, ...server },
      endpoints: [{ path: '/fusionauth/sms', auth, route: 'otp' }],
    }),
    undefined,
    host,
  );
}

const relays: TestRelay[] = [];
async function track(p: Promise<TestRelay>): Promise<TestRelay> {
  const r = await p;
  relays.push(r);
  return r;
}
afterAll(() => Promise.all(relays.map((r) => r.close())));

const send = (relay: TestRelay, headers: Record<string, string> = {}) => {
  const req = request(relay.url).post('/fusionauth/sms').set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req.send(JSON.stringify(smsBody));
};

describe('Basic auth', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await track(relayWith({ basic: { username: 'fusionauth', password: TEST_PASSWORD } }));
  });

  it('lets the right credentials through', async () => {
    await send(relay, { Authorization: basicHeader() }).expect(200);
  });

  it.each([
    ['no credentials', {}, 'no credentials'],
    ['a wrong password', { Authorization: basicHeader('fusionauth', 'not-the-password-at-all') }, 'wrong credentials'],
    ['a wrong username', { Authorization: basicHeader('admin', TEST_PASSWORD) }, 'wrong credentials'],
    ['a malformed header', { Authorization: 'Basic !!!' }, 'wrong credentials'],
    ['another scheme', { Authorization: 'Bearer abc' }, 'wrong credentials'],
  ])('refuses %s with 401, a challenge, FusionAuth error shape and a log line with the reason', async (_what, headers, reason) => {
    const res = await send(relay, headers).expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="messenger-relay"');
    expect(res.body).toEqual({ generalErrors: [{ code: '[notAuthorized]', message: 'authentication failed' }] });
    const line = relay.logs().split('\n').filter((l) => l.includes('authentication failed')).at(-1)!;
    // The request id in the answer's header ties the line to the request line and to FusionAuth's side.
    expect(JSON.parse(line)).toMatchObject({ guard: 'basic', reason, source: '127.0.0.1', reqId: res.headers['x-request-id'] });
    expect(relay.logs()).not.toContain('not-the-password-at-all');
  });
});

describe('header secrets', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await track(relayWith({ headers: { 'X-Relay-Key': [TEST_HEADER_KEY, OLD_KEY], 'X-Second': [SECOND] } }));
  });

  it('accepts either value of a header under rotation, with every configured header present', async () => {
    await send(relay, { 'X-Relay-Key': TEST_HEADER_KEY, 'X-Second': SECOND }).expect(200);
    await send(relay, { 'X-Relay-Key': OLD_KEY, 'X-Second': SECOND }).expect(200);
    await send(relay, { 'x-relay-key': OLD_KEY, 'x-second': SECOND }).expect(200);
  });

  it.each([
    ['a missing header', { 'X-Relay-Key': TEST_HEADER_KEY }, 'missing X-Second header'],
    ['a wrong value', { 'X-Relay-Key': 'guess-guess-guess-guess', 'X-Second': SECOND }, 'wrong X-Relay-Key header'],
    ['a prefix of the secret', { 'X-Relay-Key': TEST_HEADER_KEY.slice(0, -1), 'X-Second': SECOND }, 'wrong X-Relay-Key header'],
    ['the secret with a suffix', { 'X-Relay-Key': `${TEST_HEADER_KEY}x`, 'X-Second': SECOND }, 'wrong X-Relay-Key header'],
  ])('refuses %s with 401 and logs which header, never its value', async (_what, headers, reason) => {
    const res = await send(relay, headers).expect(401);
    expect(res.body.generalErrors[0].code).toBe('[notAuthorized]');
    expect(relay.logs()).toContain(reason);
    expect(relay.logs()).not.toContain('guess-guess-guess-guess');
    expect(relay.logs()).not.toContain(TEST_HEADER_KEY);
  });
});

describe('source-address allow-list', () => {
  it('allows a listed address and refuses others with 403', async () => {
    const allowed = await track(relayWith({ allowFrom: ['127.0.0.1/32'] }));
    await send(allowed).expect(200);
    const refused = await track(relayWith({ allowFrom: ['10.0.0.0/8', '2001:db8::/32'] }));
    const res = await send(refused).expect(403);
    expect(res.body.generalErrors[0].code).toBe('[forbidden]');
    expect(refused.logs()).toContain('source address not in allow-list');
  });

  it('never believes X-Forwarded-For from an untrusted hop', async () => {
    const relay = await track(relayWith({ allowFrom: ['203.0.113.10/32'] }));
    await send(relay, { 'X-Forwarded-For': '203.0.113.10' }).expect(403);
    const wrongProxy = await track(relayWith({ allowFrom: ['203.0.113.10/32'] }, { trustProxy: ['10.0.0.0/8'] }));
    await send(wrongProxy, { 'X-Forwarded-For': '203.0.113.10' }).expect(403);
  });

  it('believes X-Forwarded-For from a trusted load balancer, but only the hop it appended', async () => {
    const relay = await track(relayWith({ allowFrom: ['203.0.113.10/32'] }, { trustProxy: ['127.0.0.1/32'] }));
    await send(relay, { 'X-Forwarded-For': '203.0.113.10' }).expect(200);
    // The caller forged the first entry; the load balancer appended the caller's real address.
    await send(relay, { 'X-Forwarded-For': '203.0.113.10, 198.51.100.7' }).expect(403);
    await send(relay).expect(403);
  });

  it('matches IPv6 and IPv4-mapped IPv6 callers', async () => {
    const v6 = await track(relayWith({ allowFrom: ['::1/128'] }, {}, '::1'));
    await send(v6).expect(200);
    const v6refused = await track(relayWith({ allowFrom: ['2001:db8::/32'] }, {}, '::1'));
    await send(v6refused).expect(403);
    // A dual-stack listener sees an IPv4 caller as ::ffff:127.0.0.1; both spellings of the rule match it.
    for (const rule of ['127.0.0.0/8', '::ffff:127.0.0.1/128', '::ffff:7f00:0/104']) {
      const dual = await track(relayWith({ allowFrom: [rule] }, {}, '::'));
      await request(`http://127.0.0.1:${dual.port}`).post('/fusionauth/sms').send(JSON.stringify(smsBody)).expect(200);
    }
  });
});

describe('guards combined', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await track(
      relayWith({
        basic: { username: 'fusionauth', password: TEST_PASSWORD },
        headers: { 'X-Relay-Key': [TEST_HEADER_KEY] },
        allowFrom: ['127.0.0.1/32'],
      }),
    );
  });

  it('passes only when every guard passes', async () => {
    await send(relay, { Authorization: basicHeader(), 'X-Relay-Key': TEST_HEADER_KEY }).expect(200);
    // Whichever guard refuses, an endpoint with Basic challenges for it.
    for (const refused of [await send(relay, { Authorization: basicHeader() }).expect(401), await send(relay, { 'X-Relay-Key': TEST_HEADER_KEY }).expect(401)]) {
      expect(refused.headers['www-authenticate']).toBe('Basic realm="messenger-relay"');
    }
  });

  it('refuses by address before looking at credentials', async () => {
    const far = await track(
      relayWith({ basic: { username: 'fusionauth', password: TEST_PASSWORD }, allowFrom: ['10.0.0.0/8'] }),
    );
    await send(far, { Authorization: basicHeader() }).expect(403);
  });
});
