import { randomUUID } from 'node:crypto';
import { compactDecrypt, importJWK } from 'jose';
import type { KeyType } from '../../src/push/device/device-keys';
import { fusionAuthSms, startPushRig, type PushRig } from '../kit/push-rig';

const keyTypes: [KeyType, string, string][] = [
  ['rsa2048', 'RSA-OAEP-256', 'RS'],
  ['rsa4096', 'RSA-OAEP-256', 'RS'],
  ['p256', 'ECDH-ES+A256KW', 'EC'],
  ['p384', 'ECDH-ES+A256KW', 'EC'],
  ['p521', 'ECDH-ES+A256KW', 'EC'],
  ['x25519', 'ECDH-ES+A256KW', 'OKP'],
];

async function redeem(url: string, token: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('push end to end: FusionAuth message → relay → mock FCM → device', () => {
  let rig: PushRig;
  beforeAll(async () => {
    rig = await startPushRig();
  });
  afterAll(() => rig?.close());

  it.each(keyTypes)('%s: register, push, decrypt with the private key, check every field, redeem once', async (type, alg) => {
    const userId = randomUUID();
    const device = await rig.device(type, { userId });
    const before = Math.floor(Date.now() / 1000);

    const sent = await rig.fusionauth(fusionAuthSms({ userId }));
    expect(sent).toEqual({ status: 200, body: { id: expect.any(String), status: 'delivered' } });

    const received = rig.mock.messages(device.fcmToken);
    expect(received).toHaveLength(1);
    expect(received[0].validateOnly).toBe(false);
    expect(received[0].project).toBe('demo-project');
    const message = received[0].message;
    expect(message).toEqual({
      token: device.fcmToken,
      data: { nma_data_version: '1', nma_data_content_type: 'application/jose', nma_data: expect.stringMatching(/^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/) },
      android: { priority: 'high', ttl: '120s' },
      apns: {
        headers: { 'apns-priority': '5', 'apns-push-type': 'background', 'apns-expiration': expect.stringMatching(/^\d+$/) },
        payload: { aps: { 'content-available': 1 } },
      },
    });
    const expiration = Number((message.apns as { headers: Record<string, string> }).headers['apns-expiration']);
    expect(expiration).toBeGreaterThanOrEqual(before + 120);
    expect(expiration).toBeLessThanOrEqual(before + 130);

    const nmaData = (message.data as Record<string, string>).nma_data;
    const { plaintext, protectedHeader } = await compactDecrypt(nmaData, await importJWK(device.keys.encryption.privateJwk, alg), {
      keyManagementAlgorithms: [alg],
      contentEncryptionAlgorithms: ['A256CBC-HS512'],
    });
    expect(protectedHeader).toMatchObject({ alg, enc: 'A256CBC-HS512', kid: device.keys.encryption.publicJwk.kid });
    const content = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    expect(content).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      redeem_url: `${rig.relay.url}/redeem`,
      expires_at: expiration,
      delivery_id: sent.body.id,
      code: '482913',
      text: 'Two Factor Code: 482913',
    });

    const first = await redeem(content.redeem_url as string, content.token as string);
    expect(first).toEqual({
      status: 200,
      body: { deliveryId: sent.body.id, text: 'Two Factor Code: 482913', code: '482913', issuedAt: expect.any(String), expiresAt: expect.any(String) },
    });
    const second = await redeem(content.redeem_url as string, content.token as string);
    expect(second).toEqual({ status: 404, body: { generalErrors: [{ code: '[invalid]token', message: expect.any(String) }] } });

    expect(await rig.sms()).toEqual([]);
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts.map((a) => [a.provider, a.outcome])).toEqual([['push', 'ok']]);
    expect(record?.providerMessageId).toMatch(/^projects\/demo-project\/messages\//);
  });

  it('finds the device by phone number when the message has no userId', async () => {
    const device = await rig.device('p256', { userId: randomUUID(), phoneNumber: '+49 151 23456789' });
    const sent = await rig.fusionauth(fusionAuthSms({ userId: undefined, phoneNumber: '+4915123456789' }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.messages(device.fcmToken)).toHaveLength(1);
    const stored = await rig.relay.store.targets.get(device.id);
    expect(stored?.phoneMasked).toBe('+**********789');
    expect(JSON.stringify(stored)).not.toContain('4915123456789');
  });

  it("never pushes one user's code to a device registered to another user with the same number", async () => {
    const other = await rig.device('p256', { userId: randomUUID(), phoneNumber: '+49 151 23456780' });
    const sent = await rig.fusionauth(fusionAuthSms({ userId: randomUUID(), phoneNumber: '+4915123456780', textMessage: 'Code 101010', code: '101010' }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.messages(other.fcmToken)).toHaveLength(0);
    expect((await rig.sms()).at(-1)).toMatchObject({ to: '+4915123456780', text: 'Code 101010' });
  });

  it("users without a device do not open push's circuit breaker for the users who have one", async () => {
    for (let i = 0; i < 8; i++) {
      const sent = await rig.fusionauth(fusionAuthSms({ userId: randomUUID(), phoneNumber: `(303) 555-01${10 + i}` }));
      expect(sent.body.status).toBe('delivered');
    }
    const userId = randomUUID();
    const device = await rig.device('p256', { userId });
    const sent = await rig.fusionauth(fusionAuthSms({ userId }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.messages(device.fcmToken)).toHaveLength(1);
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts.map((a) => [a.provider, a.outcome])).toEqual([['push', 'ok']]);
  });

  it('falls back to SMS when the user has no device', async () => {
    const before = rig.mock.counts().sendRequests;
    const sent = await rig.fusionauth(fusionAuthSms({ userId: randomUUID(), phoneNumber: '(303) 555-0147', textMessage: 'Code 111111', code: '111111' }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.counts().sendRequests).toBe(before);
    expect((await rig.sms()).at(-1)).toMatchObject({ to: '+13035550147', text: 'Code 111111' });
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts.map((a) => [a.provider, a.outcome, a.vendorCode])).toEqual([
      ['push', 'failed', 'no-device'],
      ['sms', 'ok', undefined],
    ]);
  });

  it('falls back to SMS, without calling FCM, when the user opted out on the device', async () => {
    const userId = randomUUID();
    await rig.device('x25519', { userId, fcmToken: 'user_disabled' });
    const before = rig.mock.counts().sendRequests;
    const sent = await rig.fusionauth(fusionAuthSms({ userId, textMessage: 'Code 222222', code: '222222' }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.counts().sendRequests).toBe(before);
    expect((await rig.sms()).at(-1)).toMatchObject({ text: 'Code 222222' });
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts[0]).toMatchObject({ provider: 'push', outcome: 'failed', verdict: 'failover', vendorCode: 'opted-out' });
  });

  it('UNREGISTERED marks the target dead, is not retried, and the route falls back to SMS; the next message skips push', async () => {
    const userId = randomUUID();
    const device = await rig.device('rsa2048', { userId });
    rig.mock.program({ token: device.fcmToken, error: 'UNREGISTERED' });
    const before = rig.mock.counts().sendRequests;
    const sent = await rig.fusionauth(fusionAuthSms({ userId, textMessage: 'Code 333333', code: '333333' }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.counts().sendRequests).toBe(before + 1);
    expect(await rig.relay.store.targets.get(device.id)).toMatchObject({ state: 'unregistered', stateReason: 'UNREGISTERED' });
    expect((await rig.sms()).at(-1)).toMatchObject({ text: 'Code 333333' });
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts[0]).toMatchObject({ provider: 'push', outcome: 'failed', verdict: 'failover', vendorStatus: 404, vendorCode: 'UNREGISTERED' });

    const again = await rig.fusionauth(fusionAuthSms({ userId, textMessage: 'Code 444444', code: '444444' }));
    expect(again.body.status).toBe('delivered');
    expect(rig.mock.counts().sendRequests).toBe(before + 1);
    const second = await rig.relay.store.deliveries.get(again.body.id as string);
    expect(second?.attempts[0]).toMatchObject({ provider: 'push', vendorCode: 'no-device' });
    rig.mock.clearErrors();
  });

  it('several devices: one UNREGISTERED and one live is a push success; both dead falls back to SMS', async () => {
    const userId = randomUUID();
    const dead = await rig.device('p256', { userId });
    const live = await rig.device('x25519', { userId });
    rig.mock.program({ token: dead.fcmToken, error: 'UNREGISTERED' });
    const smsBefore = (await rig.sms()).length;
    const sent = await rig.fusionauth(fusionAuthSms({ userId }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.messages(live.fcmToken)).toHaveLength(1);
    expect(rig.mock.messages(dead.fcmToken)).toHaveLength(0);
    expect((await rig.relay.store.targets.get(dead.id))?.state).toBe('unregistered');
    expect((await rig.relay.store.targets.get(live.id))?.state).toBe('active');
    expect(await rig.sms()).toHaveLength(smsBefore);

    rig.mock.program({ token: live.fcmToken, error: 'UNREGISTERED' });
    const fallback = await rig.fusionauth(fusionAuthSms({ userId, textMessage: 'Code 555555', code: '555555' }));
    expect(fallback.body.status).toBe('delivered');
    expect((await rig.relay.store.targets.get(live.id))?.state).toBe('unregistered');
    expect((await rig.sms()).at(-1)).toMatchObject({ text: 'Code 555555' });
    rig.mock.clearErrors();
  });

  it('refuses before sending when the data would pass FCM 4096 bytes, and SMS takes the message', async () => {
    const userId = randomUUID();
    const device = await rig.device('rsa4096', { userId });
    const text = `Your code is 482913. ${'🔐'.repeat(760)}`;
    const sent = await rig.fusionauth(fusionAuthSms({ userId, textMessage: text }));
    expect(sent.body.status).toBe('delivered');
    expect(rig.mock.messages(device.fcmToken)).toHaveLength(0);
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts[0]).toMatchObject({ provider: 'push', outcome: 'failed', verdict: 'failover', vendorCode: 'payload-too-large' });
    expect((await rig.sms()).at(-1)?.text).toBe(text);
  });

  it('never writes the code, the text, the FCM token or the access token to the log', () => {
    const logs = rig.logs();
    // Read after the cases above: the log must hold their deliveries, or this would pass on an empty log.
    expect(logs.match(/"msg":"delivered"/g)?.length ?? 0).toBeGreaterThanOrEqual(keyTypes.length);
    expect(logs).not.toContain('482913');
    expect(logs).not.toContain('Two Factor Code');
    expect(logs).not.toMatch(/fcm-(rsa|p256|p384|p521|x25519)-[0-9a-f-]{36}/);
    expect(logs).not.toContain('ya29.');
  });
});

describe('push end to end: FCM does not answer', () => {
  let rig: PushRig;
  beforeAll(async () => {
    rig = await startPushRig({ fcm: { timeoutMs: 400 }, route: { deadlineMs: 3000 } });
  });
  afterAll(() => rig?.close());

  it("gives push its own timeout and still delivers by SMS inside the route's deadline", async () => {
    const userId = randomUUID();
    await rig.device('p256', { userId });
    rig.mock.program({ fault: 'hang' });
    const started = performance.now();
    const sent = await rig.fusionauth(fusionAuthSms({ userId, textMessage: 'Code 777777', code: '777777' }));
    expect(sent).toEqual({ status: 200, body: { id: expect.any(String), status: 'delivered' } });
    expect(performance.now() - started).toBeLessThan(3000);
    expect((await rig.sms()).at(-1)).toMatchObject({ text: 'Code 777777' });
    const record = await rig.relay.store.deliveries.get(sent.body.id as string);
    expect(record?.attempts[0]).toMatchObject({ provider: 'push', outcome: 'failed', verdict: 'failover', vendorCode: 'timeout' });
  });
});

describe('push end to end: a route that sends only the redeem token', () => {
  let rig: PushRig;
  beforeAll(async () => {
    rig = await startPushRig({ route: { push: { content: 'redeemOnly' } } });
  });
  afterAll(() => rig?.close());

  it('keeps the code and the text out of the push; the device gets them by redeeming', async () => {
    const device = await rig.device('p384', { userId: randomUUID() });
    const sent = await rig.fusionauth(fusionAuthSms({ userId: (await rig.relay.store.targets.get(device.id))!.userId }));
    const nmaData = (rig.mock.messages(device.fcmToken)[0].message.data as Record<string, string>).nma_data;
    const { plaintext } = await compactDecrypt(nmaData, await importJWK(device.keys.encryption.privateJwk, 'ECDH-ES+A256KW'));
    const content = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    expect(Object.keys(content).sort()).toEqual(['delivery_id', 'expires_at', 'redeem_url', 'token']);
    const redeemed = await redeem(content.redeem_url as string, content.token as string);
    expect(redeemed.body).toMatchObject({ deliveryId: sent.body.id, code: '482913', text: 'Two Factor Code: 482913' });
  });
});
