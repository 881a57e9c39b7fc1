import request from 'supertest';
import { basicHeader, smsBody, startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';

const TOKEN = 'admin-token-0123456789abcdef';
let relay: TestRelay;

const deliver = (phoneNumber: string, code: string) =>
  request(relay.url)
    .post('/fusionauth/sms')
    .set('Authorization', basicHeader())
    .send(JSON.stringify({ ...smsBody, phoneNumber, code, textMessage: `Your code is ${code}` }))
    .expect(200)
    .then((r) => r.body.id as string);

const admin = (path: string) => request(relay.url).get(path).set('Authorization', `Bearer ${TOKEN}`);

beforeAll(async () => {
  relay = await startTestRelay(testConfig({ admin: { token: TOKEN } }));
});
afterAll(() => relay.close());

describe('admin read API', () => {
  it('is absent (404) when no admin token is configured', async () => {
    const bare = await startTestRelay(testConfig());
    await request(bare.url).get('/admin/deliveries').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    await bare.close();
  });

  it('refuses a missing or wrong bearer token with 401 and a challenge', async () => {
    const none = await request(relay.url).get('/admin/deliveries').expect(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    await request(relay.url).get('/admin/deliveries').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    await request(relay.url).get('/admin/deliveries').set('Authorization', basicHeader()).expect(401);
    expect(relay.logs()).not.toContain('wrong-token-0123456789');
  });

  it('finds deliveries by phone number however it is written, newest first, masked and without codes', async () => {
    const first = await deliver('(303) 555-1212', '111111');
    const other = await deliver('+1 720 555 0199', '222222');
    const second = await deliver('3035551212', '333333');
    const res = await admin('/admin/deliveries?phone=%2B13035551212').expect(200);
    const ids = res.body.deliveries.map((d: { id: string }) => d.id);
    expect(ids).toEqual(expect.arrayContaining([first, second]));
    expect(ids.indexOf(second)).toBeLessThan(ids.indexOf(first));
    expect(ids).not.toContain(other);
    expect(res.body.deliveries[0]).toMatchObject({ phoneMasked: '+********212', status: 'delivered', attempts: [expect.objectContaining({ provider: 'phone', outcome: 'ok' })] });
    const text = JSON.stringify(res.body);
    for (const leak of ['111111', '333333', 'Your code', '3035551212', 'phoneDigest']) expect(text).not.toContain(leak);
    const local = await admin('/admin/deliveries?phone=(303)%20555-1212&region=US').expect(200);
    expect(local.body.deliveries.map((d: { id: string }) => d.id)).toEqual(ids);
  });

  it('filters by time and limits the count', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await admin(`/admin/deliveries?since=${encodeURIComponent(future)}`).expect(200)).body.deliveries).toEqual([]);
    expect((await admin('/admin/deliveries?limit=1').expect(200)).body.deliveries).toHaveLength(1);
  });

  it('returns one delivery by id, and 404 for an unknown id', async () => {
    const id = await deliver('(303) 555-1212', '444444');
    const res = await admin(`/admin/deliveries/${id}`).expect(200);
    expect(res.body).toMatchObject({ id, endpoint: '/fusionauth/sms', route: 'otp', channel: 'sms', status: 'delivered' });
    expect(JSON.stringify(res.body)).not.toContain('444444');
    await admin('/admin/deliveries/00000000-0000-0000-0000-000000000000').expect(404);
  });

  it.each([
    ['an unusable phone number', '/admin/deliveries?phone=abc'],
    ['a bad date', '/admin/deliveries?since=yesterday'],
    ['a limit out of range', '/admin/deliveries?limit=0'],
    ['a repeated parameter', '/admin/deliveries?phone=1&phone=2'],
    ['a bad region', '/admin/deliveries?phone=3035551212&region=usa'],
  ])('answers %s with 400', async (_what, path) => {
    const res = await admin(path).expect(400);
    expect(res.body.generalErrors[0].code).toMatch(/^\[invalid\]/);
  });
});
