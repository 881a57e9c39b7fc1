import { randomUUID } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import { patchTarget, signUpdate } from '../../src/push/device/device-client';
import { generateDeviceKeys } from '../../src/push/device/device-keys';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { ADMIN_TOKEN, startPushRig, type PushRig } from '../kit/push-rig';

const keys = generateDeviceKeys('p256');
const other = generateDeviceKeys('p256');

describe('dispatch-target API', () => {
  let rig: PushRig;
  let url: string;
  const api = (path: string, init: RequestInit = {}, token: string | null = ADMIN_TOKEN) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
  const body = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ name: `phone-${randomUUID()}`, target: 'fcm-token-abcdefghijklmnopqrstuvwxyz', username: 'jeff', userId: 'u-1', signatureKey: keys.signature.publicJwk, encryptionKey: keys.encryption.publicJwk, ...over });
  const register = async (over: Record<string, unknown> = {}) => {
    const res = await api('/dispatch-targets', { method: 'POST', body: body(over) });
    expect(res.status).toBe(201);
    return (await res.json()) as Record<string, unknown> & { id: string };
  };

  beforeAll(async () => {
    rig = await startPushRig();
    url = rig.relay.url;
  });
  afterAll(() => rig?.close());

  describe('admin routes', () => {
    it('registers a target: 201, Location, masked token and number, keys reduced to their public members', async () => {
      const res = await api('/dispatch-targets', { method: 'POST', body: body({ phoneNumber: '+1 303 555 1212', deviceId: 'dev-9', dispatcher: 'push' }) });
      expect(res.status).toBe(201);
      const view = (await res.json()) as Record<string, unknown>;
      expect(res.headers.get('location')).toBe(`/dispatch-targets/${view.id}`);
      expect(view).toMatchObject({
        username: 'jeff',
        userId: 'u-1',
        deviceId: 'dev-9',
        dispatcher: 'push',
        target: 'fcm-to…wxyz',
        optedOut: false,
        state: 'active',
        phoneNumber: '+********212',
        signatureKey: keys.signature.publicJwk,
        encryptionKey: keys.encryption.publicJwk,
      });
      expect(JSON.stringify(view)).not.toContain('"d"');
    });

    it.each([
      ['no bearer token', null, 401],
      ['a wrong bearer token', 'wrong-token-0123456789abcdef', 401],
    ])('answers %s with 401 and a Bearer challenge, and logs why without the token', async (_n, token, status) => {
      const res = await api('/dispatch-targets?username=jeff', {}, token);
      expect(res.status).toBe(status);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="messenger-relay admin"');
      expect(((await res.json()) as { generalErrors: { code: string }[] }).generalErrors[0].code).toBe('[notAuthorized]');
      expect(rig.logs()).toMatch(/"guard":"admin","reason":"(no bearer token|wrong bearer token)"/);
      expect(rig.logs()).not.toContain('wrong-token-0123456789abcdef');
    });

    it.each([
      ['a body that is not JSON', { body: '{name:', headers: { 'content-type': 'application/json' } }, 400, '[invalidJson]'],
      ['another content type', { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, '[unsupportedEncoding]'],
      ['a body over 64 KiB', { body: body({ deviceId: 'x'.repeat(70_000) }) }, 413, '[tooLarge]'],
    ])('refuses %s', async (_n, init, status, code) => {
      const res = await api('/dispatch-targets', { method: 'POST', ...init });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { generalErrors: { code: string }[] }).generalErrors[0].code).toBe(code);
    });

    it.each([
      ['no name', { name: undefined }, 400, '[invalid]body', /name/],
      ['neither userId nor phoneNumber', { username: undefined, userId: undefined }, 400, '[invalid]body', /userId or phoneNumber is required/],
      ['a username alone, which no message would find', { userId: undefined }, 400, '[invalid]body', /userId or phoneNumber is required/],
      ['a target with spaces', { target: 'has spaces' }, 400, '[invalid]body', /target/],
      ['a local phone number', { phoneNumber: '303 555 1212' }, 400, '[invalid]body', /international/],
      ['an international number that cannot exist', { phoneNumber: '+1 555 555 0123' }, 400, '[invalid]phoneNumber', /not a valid number/],
      ['a private signature key', { signatureKey: keys.signature.privateJwk }, 400, '[invalid]key', /signatureKey: holds private key material/],
      ['a signature-only key for encryption', { encryptionKey: generateDeviceKeys('x25519').signature.publicJwk }, 400, '[invalid]key', /encryptionKey: Ed25519/],
      ['an unknown dispatcher', { dispatcher: 'nope' }, 422, '[invalid]dispatcher', /"nope" is not a configured fcm provider/],
      ['the sms provider as dispatcher', { dispatcher: 'sms' }, 422, '[invalid]dispatcher', /not a configured fcm provider/],
    ])('refuses %s precisely', async (_n, over, status, code, message) => {
      const res = await api('/dispatch-targets', { method: 'POST', body: body(over) });
      expect(res.status).toBe(status);
      const err = ((await res.json()) as { generalErrors: { code: string; message: string }[] }).generalErrors[0];
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    });

    it('refuses a second target with the same name for the same user with 409', async () => {
      const first = await register({ userId: 'u-dup' });
      const res = await api('/dispatch-targets', { method: 'POST', body: body({ userId: 'u-dup', name: first.name }) });
      expect(res.status).toBe(409);
    });

    it('lists by username, user id or phone number, reads one, deletes it', async () => {
      const userId = randomUUID();
      const a = await register({ userId, username: `user-${userId}`, phoneNumber: '+14155550100' });
      const b = await register({ userId, username: `user-${userId}` });
      for (const q of [`username=user-${userId}`, `userId=${userId}`]) {
        const res = await api(`/dispatch-targets?${q}`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { dispatchTargets: { id: string }[] }).dispatchTargets.map((t) => t.id)).toEqual([a.id, b.id]);
      }
      const byPhone = (await (await api('/dispatch-targets?phoneNumber=%2B14155550100')).json()) as { dispatchTargets: { id: string }[] };
      expect(byPhone.dispatchTargets.map((t) => t.id)).toContain(a.id);
      expect((await api('/dispatch-targets')).status).toBe(400);
      expect((await api('/dispatch-targets?username=a&userId=b')).status).toBe(400);
      expect(((await (await api('/dispatch-targets?username=nobody')).json()) as { dispatchTargets: unknown[] }).dispatchTargets).toEqual([]);

      expect(await (await api(`/dispatch-targets/${a.id}`)).json()).toMatchObject({ id: a.id, name: a.name });
      expect((await api(`/dispatch-targets/${a.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await api(`/dispatch-targets/${a.id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await api(`/dispatch-targets/${a.id}`)).status).toBe(404);
      expect((await api('/dispatch-targets/not-a-uuid')).status).toBe(404);
    });

    it('answers other methods with 405 and Allow', async () => {
      const res = await api(`/dispatch-targets/${randomUUID()}`, { method: 'PUT', body: '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, PATCH, DELETE');
    });
  });

  describe('PATCH signed by the device', () => {
    it('forgets request ids whose freshness window has passed (the first PATCH of this relay purges)', async () => {
      const db = (rig.relay.store as SqliteStore).db;
      db.prepare('INSERT INTO request_ids (key, expires_at) VALUES (?, ?)').run('old:request', Date.now() - 1000);
      const t = await register();
      expect((await patchTarget(url, t.id, await signUpdate(keys, t.id, { name: 'renamed' }))).status).toBe(204);
      expect(db.prepare('SELECT key FROM request_ids WHERE key = ?').get('old:request')).toBeUndefined();
    });

    it('updates the FCM token, then opts out, each with a fresh signed request', async () => {
      const t = await register();
      const res = await patchTarget(url, t.id, await signUpdate(keys, t.id, { target: 'fcm-token-new-0123456789abcdef' }));
      expect(res.status).toBe(204);
      expect((await rig.relay.store.targets.get(t.id))?.target).toBe('fcm-token-new-0123456789abcdef');
      expect((await patchTarget(url, t.id, await signUpdate(keys, t.id, { target: 'user_disabled', name: 'Old phone' }))).status).toBe(204);
      expect(await (await api(`/dispatch-targets/${t.id}`)).json()).toMatchObject({ target: 'user_disabled', optedOut: true, name: 'Old phone' });
    });

    it('refuses a replayed request with 401 and changes nothing', async () => {
      const t = await register();
      const jws = await signUpdate(keys, t.id, { target: 'fcm-token-first-0123456789' });
      expect((await patchTarget(url, t.id, jws)).status).toBe(204);
      await rig.relay.store.targets.update(t.id, { target: 'fcm-token-meanwhile-0123' });
      const replay = await patchTarget(url, t.id, jws);
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ generalErrors: [{ code: '[invalid]signature', message: expect.stringMatching(/replay/) }] });
      expect((await rig.relay.store.targets.get(t.id))?.target).toBe('fcm-token-meanwhile-0123');
      const sameId = await patchTarget(url, t.id, await signUpdate(keys, t.id, { target: 'fcm-token-x-0123456789', jti: JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()).jti }));
      expect(sameId.status).toBe(401);
    });

    it.each([
      ['signed with another device key', (id: string) => signUpdate(other, id, { target: 'fcm-evil-0123456789' }), /signature does not verify/],
      ['stale (iat 400 s ago)', (id: string) => signUpdate(keys, id, { target: 'fcm-late-0123456789', iat: Math.floor(Date.now() / 1000) - 400 }), /iat is more than 300 s/],
      ['from the future (iat in 400 s)', (id: string) => signUpdate(keys, id, { target: 'fcm-early-0123456789', iat: Math.floor(Date.now() / 1000) + 400 }), /iat/],
    ])('refuses a request %s with 401', async (_n, sign, reason) => {
      const t = await register();
      const res = await patchTarget(url, t.id, await sign(t.id));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ generalErrors: [{ code: '[invalid]signature', message: expect.stringMatching(reason) }] });
      expect((await rig.relay.store.targets.get(t.id))?.target).toBe('fcm-token-abcdefghijklmnopqrstuvwxyz');
    });

    it('refuses a request signed for another target, and an algorithm the key does not allow', async () => {
      const a = await register();
      const b = await register();
      expect((await patchTarget(url, b.id, await signUpdate(keys, a.id, { target: 'fcm-token-zzz-0123456789' }))).status).toBe(401);
      const rsa = generateDeviceKeys('rsa2048');
      const r = await register({ signatureKey: rsa.signature.publicJwk });
      const payload = { dispatchTargetId: r.id, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), target: 'fcm-token-rs512-0123456789' };
      const rs512 = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'RS512' }).sign(await importJWK(rsa.signature.privateJwk, 'RS512'));
      const res = await patchTarget(url, r.id, rs512);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).toContain('algorithm RS512 is not allowed');
    });

    it('answers 404 for an unknown target, 415 for a JSON body, 400 for a body that is no JWS or asks for nothing', async () => {
      expect((await patchTarget(url, randomUUID(), await signUpdate(keys, randomUUID(), { target: 'fcm-x-0123456789' }))).status).toBe(404);
      const t = await register();
      const json = await fetch(`${url}/dispatch-targets/${t.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"target":"x"}' });
      expect(json.status).toBe(415);
      expect((await patchTarget(url, t.id, 'not-a-jws')).status).toBe(400);
      expect((await patchTarget(url, t.id, await signUpdate(keys, t.id, {}))).status).toBe(400);
    });

    it('refuses a rename onto another target of the same user with 409', async () => {
      const a = await register({ userId: 'u-rename' });
      const b = await register({ userId: 'u-rename' });
      expect((await patchTarget(url, b.id, await signUpdate(keys, b.id, { name: a.name as string }))).status).toBe(409);
    });

    it('revives a target FCM declared unregistered when the device sends a new token', async () => {
      const t = await register();
      await rig.relay.store.targets.markUnregistered(t.id, 'fcm-token-abcdefghijklmnopqrstuvwxyz', 'UNREGISTERED');
      expect((await patchTarget(url, t.id, await signUpdate(keys, t.id, { target: 'fcm-token-fresh-0123456789' }))).status).toBe(204);
      expect(await rig.relay.store.targets.get(t.id)).toMatchObject({ state: 'active', target: 'fcm-token-fresh-0123456789' });
    });

    it('revives it too when the device sends the same token again', async () => {
      const t = await register();
      await rig.relay.store.targets.markUnregistered(t.id, 'fcm-token-abcdefghijklmnopqrstuvwxyz', 'UNREGISTERED');
      expect((await patchTarget(url, t.id, await signUpdate(keys, t.id, { target: 'fcm-token-abcdefghijklmnopqrstuvwxyz' }))).status).toBe(204);
      const revived = await rig.relay.store.targets.get(t.id);
      expect(revived?.state).toBe('active');
      expect(revived?.stateReason).toBeUndefined();
    });
  });
});

describe('dispatch-target API without an admin token', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay(testConfig());
  });
  afterAll(() => relay?.close());

  it('does not exist: 404 for the admin routes', async () => {
    for (const [method, path] of [['GET', '/dispatch-targets?username=jeff'], ['POST', '/dispatch-targets'], ['DELETE', `/dispatch-targets/${randomUUID()}`]]) {
      const res = await fetch(`${relay.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(404);
    }
  });
});
