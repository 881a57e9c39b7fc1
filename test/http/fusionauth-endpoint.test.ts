import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { rawRequest } from '../kit/raw-http';
import { basicHeader, smsBody, startTestRelay, testConfig, TEST_PASSWORD, type TestRelay } from '../kit/relay-harness';

let relay: TestRelay;
let outbox: string;

const sent = async (): Promise<Array<Record<string, unknown>>> =>
  (await readFile(outbox, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

beforeAll(async () => {
  outbox = join(await mkdtemp(join(tmpdir(), 'relay-ep-')), 'outbox.jsonl');
  relay = await startTestRelay(
    testConfig({
      providers: { phone: { type: 'log', print: 'none', outboxFile: outbox } },
      endpoints: [
        { path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: TEST_PASSWORD } }, route: 'otp' },
        {
          path: '/fusionauth/deliver-tests',
          auth: { basic: { username: 'fusionauth', password: TEST_PASSWORD } },
          testMessage: 'deliver',
          testPhoneNumber: '+1 720 555 0199',
          route: 'otp',
        },
      ],
    }),
  );
});
afterAll(() => relay.close());

const post = (body: unknown, path = '/fusionauth/sms') =>
  request(relay.url).post(path).set('Authorization', basicHeader()).set('Content-Type', 'application/json').send(JSON.stringify(body));

describe('the FusionAuth endpoint', () => {
  it('delivers an SMS, answers 200 with the delivery id, and records it without the code or the number', async () => {
    const res = await post(smsBody).expect(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'delivered' });
    const last = (await sent()).at(-1);
    expect(last).toMatchObject({ to: '+13035551212', text: smsBody.textMessage, code: '482913', userId: smsBody.userId, deliveryId: res.body.id });
    const record = await relay.store.deliveries.get(res.body.id);
    expect(record).toMatchObject({ status: 'delivered', channel: 'sms', phoneMasked: '+********212', test: false });
    expect(JSON.stringify(record)).not.toContain('482913');
    expect(JSON.stringify(record)).not.toContain('3035551212');
    expect(record!.attempts).toEqual([expect.objectContaining({ provider: 'phone', outcome: 'ok' })]);
  });

  it.each([
    ['1.26 (no code, no userId)', { phoneNumber: '3035551212', textMessage: 'Two Factor Code: 111111', type: 'SMS' }, 'sms', '111111'],
    ['1.69 SMS', { code: '123456', phoneNumber: '(303) 555-1212', textMessage: 'Code 123456', type: 'SMS', userId: '00000000-0000-0000-0000-000000000042' }, 'sms', '123456'],
    ['1.65 Voice with locale', { code: '987654', locale: 'de_DE', message: 'Ihr Code 987654', phoneNumber: '+49 151 23456789', type: 'Voice', userId: '00000000-0000-0000-0000-000000000042' }, 'voice', '987654'],
    ['an unknown future field', { phoneNumber: '3035551212', textMessage: 'Code 4242', type: 'SMS', templateId: 'x', nested: { a: [1] } }, 'sms', '4242'],
  ])('accepts the %s body', async (_name, body, channel, code) => {
    const res = await post(body).expect(200);
    expect((await sent()).at(-1)).toMatchObject({ channel, code, deliveryId: res.body.id });
  });

  it("acknowledges FusionAuth's Test button without sending, and records it", async () => {
    const before = (await sent()).length;
    const test = { code: '123456', phoneNumber: '(555) 555-5555', textMessage: 'Testing', type: 'SMS', userId: '00000000-0000-0000-0000-000000000001' };
    const res = await post(test).expect(200);
    expect(res.body.status).toBe('acknowledged');
    expect(await sent()).toHaveLength(before);
    expect(await relay.store.deliveries.get(res.body.id)).toMatchObject({ status: 'acknowledged', test: true });
    const voice = await post({ code: '123456', message: 'Testing', phoneNumber: '(555) 555-5555', type: 'Voice' }).expect(200);
    expect(voice.body.status).toBe('acknowledged');
  });

  it('delivers the Test button message to the configured test number when told to', async () => {
    const res = await post({ code: '123456', phoneNumber: '(555) 555-5555', textMessage: 'Testing', type: 'SMS' }, '/fusionauth/deliver-tests').expect(200);
    expect(res.body.status).toBe('delivered');
    expect((await sent()).at(-1)).toMatchObject({ to: '+17205550199', text: 'Testing', test: true });
  });

  it('parses JSON whatever the Content-Type says, including the doubled header FusionAuth can send', async () => {
    const body = JSON.stringify({ phoneNumber: '3035551212', textMessage: 'Code 777777', type: 'SMS' });
    const raw = await rawRequest(
      relay.port,
      [
        'POST /fusionauth/sms HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: ${basicHeader()}`,
        'Content-Type: text/plain',
        'User-Agent: Restify (https://github.com/inversoft/restify)',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
    expect(raw.status).toBe(200);
    expect((await sent()).at(-1)).toMatchObject({ code: '777777' });
    await request(relay.url).post('/fusionauth/sms').set('Authorization', basicHeader()).set('Content-Type', 'text/plain').send(body).expect(200);
    await request(relay.url).post('/fusionauth/sms').set('Authorization', basicHeader()).send(body).expect(200);
  });

  it.each([
    ['not JSON', '{"phoneNumber": ', 400, '[invalidJson]'],
    ['an empty body', '', 400, '[invalidJson]'],
    ['a JSON array', '[]', 400, '[invalid]body'],
    ['JSON null', 'null', 400, '[invalid]body'],
    ['no phone number', JSON.stringify({ textMessage: 'x', type: 'SMS' }), 400, '[missing]phoneNumber'],
    ['a phone number of the wrong type', JSON.stringify({ phoneNumber: ['3035551212'], textMessage: 'x', type: 'SMS' }), 400, '[invalid]phoneNumber'],
    ['a hostile phone number', JSON.stringify({ phoneNumber: '+1;rm -rf /', textMessage: 'x', type: 'SMS' }), 400, '[invalid]phoneNumber'],
    ['an unusable phone number', JSON.stringify({ phoneNumber: '555', textMessage: 'x', type: 'SMS' }), 400, '[invalid]phoneNumber'],
    ['no text', JSON.stringify({ phoneNumber: '3035551212', type: 'SMS' }), 400, '[missing]textMessage'],
    ['a text of the wrong type', JSON.stringify({ phoneNumber: '3035551212', textMessage: { a: 1 }, type: 'SMS' }), 400, '[invalid]body'],
    ['an unknown type', JSON.stringify({ phoneNumber: '3035551212', textMessage: 'x', type: 'Fax' }), 400, '[invalid]body'],
    ['a body over the limit', JSON.stringify({ phoneNumber: '3035551212', textMessage: 'x'.repeat(20_000), type: 'SMS' }), 413, '[tooLarge]'],
  ])('refuses %s in FusionAuth error shape, sending nothing', async (_name, body, status, code) => {
    const before = (await sent()).length;
    const res = await request(relay.url).post('/fusionauth/sms').set('Authorization', basicHeader()).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ generalErrors: [{ code, message: expect.any(String) }] });
    expect(await sent()).toHaveLength(before);
  });

  it('refuses a gzip-encoded body with 415 rather than guessing', async () => {
    const res = await request(relay.url)
      .post('/fusionauth/sms')
      .set('Authorization', basicHeader())
      .set('Content-Encoding', 'gzip')
      .send(JSON.stringify(smsBody));
    expect(res.status).toBe(415);
  });

  it('answers other methods with 405 and Allow: POST, and unknown paths with 404, never redirecting', async () => {
    const get = await request(relay.url).get('/fusionauth/sms').set('Authorization', basicHeader()).expect(405);
    expect(get.headers.allow).toBe('POST');
    await request(relay.url).put('/fusionauth/sms').set('Authorization', basicHeader()).expect(405);
    const slash = await request(relay.url).post('/fusionauth/sms/').set('Authorization', basicHeader()).send('{}');
    expect(slash.status).toBe(404);
    expect(slash.headers.location).toBeUndefined();
    await request(relay.url).post('/FusionAuth/SMS').set('Authorization', basicHeader()).send('{}').expect(404);
  });

  it('keeps a plain X-Request-Id, replaces a hostile one, and logs neither secrets, codes, texts nor full numbers', async () => {
    const res = await post({ ...smsBody, code: '913482', textMessage: 'Your one-time code is 913482' }).set('X-Request-Id', 'fa-req-42').expect(200);
    expect(res.headers['x-request-id']).toBe('fa-req-42');
    const hostile = await post(smsBody).set('X-Request-Id', '<script> id; ' + 'y'.repeat(200)).expect(200);
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(relay.url).post('/fusionauth/sms').set('Authorization', basicHeader('fusionauth', 'wrong-password-guess-123')).send('{}').expect(401);
    const logs = relay.logs();
    expect(logs).toContain('fa-req-42');
    for (const leak of ['913482', 'Your one-time code', '3035551212', TEST_PASSWORD, 'wrong-password-guess-123', Buffer.from(`fusionauth:${TEST_PASSWORD}`).toString('base64')]) {
      expect(logs).not.toContain(leak);
    }
  });

  it('sets security headers and serves health and readiness', async () => {
    const res = await request(relay.url).get('/healthz').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    await request(relay.url).get('/readyz').expect(200, { status: 'ready' });
  });
});
