import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { MockFcm } from '../../src/push/mock-fcm/mock-fcm-server';

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

describe('mock FCM', () => {
  let mock: MockFcm;
  let token: string;

  const assertion = async (over: { key?: string; aud?: string; scope?: string; lifetime?: number } = {}) => {
    const sa = mock.serviceAccount();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: over.scope ?? 'https://www.googleapis.com/auth/firebase.messaging' })
      .setProtectedHeader({ alg: 'RS256', kid: sa.private_key_id })
      .setIssuer(sa.client_email)
      .setAudience(over.aud ?? sa.token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + (over.lifetime ?? 3600))
      .sign(await importPKCS8(over.key ?? sa.private_key, 'RS256'));
  };
  const grant = async (jwt: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer') => {
    const res = await fetch(mock.tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: grantType, assertion: jwt }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sendRaw = async (body: unknown, bearer: string | null = token, project = 'demo-project') => {
    const res = await fetch(`${mock.url}/v1/projects/${project}/messages:send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { name?: string; error?: { code: number; status: string; message: string; details?: { '@type': string; errorCode: string }[] } } };
  };
  const message = (over: Record<string, unknown> = {}) => ({ message: { token: 'device-1', data: { nma_data_version: '1', nma_data: 'x' }, ...over } });

  beforeAll(async () => {
    mock = await MockFcm.start();
    token = (await grant(await assertion())).body.access_token as string;
  });
  afterAll(() => mock?.close());
  afterEach(() => mock.clearErrors());

  describe('OAuth token endpoint', () => {
    it('issues a bearer token for an assertion signed with its service account key', async () => {
      expect(await grant(await assertion())).toEqual({ status: 200, body: { access_token: expect.stringMatching(/^ya29\.mock-/), expires_in: 3599, token_type: 'Bearer' } });
    });

    it.each([
      ['signed with another key', { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }, /signature/],
      ['for another audience', { aud: 'https://oauth2.googleapis.com/token' }, /aud/],
      ['without an FCM scope', { scope: 'https://www.googleapis.com/auth/userinfo.email' }, /scope/],
      ['living longer than an hour', { lifetime: 7200 }, /one hour/],
    ])('refuses an assertion %s with invalid_grant', async (_n, over, why) => {
      const res = await grant(await assertion(over));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(why);
    });

    it('refuses another grant type', async () => {
      expect((await grant(await assertion(), 'client_credentials')).body.error).toBe('unsupported_grant_type');
    });
  });

  describe('messages:send', () => {
    it('accepts a valid message, answers its name, and records it', async () => {
      const res = await sendRaw(message({ android: { priority: 'HIGH', ttl: '120s' } }));
      expect(res.status).toBe(200);
      expect(res.body.name).toMatch(/^projects\/demo-project\/messages\/0:/);
      expect(mock.messages('device-1').at(-1)).toMatchObject({ name: res.body.name, token: 'device-1', validateOnly: false });
      await sendRaw({ ...message(), validate_only: true });
      expect(mock.messages('device-1').at(-1)?.validateOnly).toBe(true);
    });

    it('answers 401 UNAUTHENTICATED without a token, with an unknown one, and after the tokens were revoked', async () => {
      for (const bearer of [null, 'ya29.forged']) {
        const res = await sendRaw(message(), bearer);
        expect(res.status).toBe(401);
        expect(res.body.error?.status).toBe('UNAUTHENTICATED');
      }
      const fresh = (await grant(await assertion())).body.access_token as string;
      mock.revokeTokens();
      expect((await sendRaw(message(), fresh)).status).toBe(401);
      token = (await grant(await assertion())).body.access_token as string;
    });

    it('answers 403 for another project', async () => {
      const res = await sendRaw(message(), token, 'someone-else');
      expect(res.status).toBe(403);
      expect(res.body.error?.status).toBe('PERMISSION_DENIED');
    });

    it.each([
      ['a data value that is not a string', message({ data: { n: 1 } }), /must be strings/],
      ['a reserved data key (google…)', message({ data: { 'google.sent_time': '1' } }), /reserved/],
      ['a reserved data key (from)', message({ data: { from: 'x' } }), /reserved/],
      ['data over 4096 bytes', message({ data: { nma_data: 'x'.repeat(4090) } }), /too big: 4098 bytes/],
      ['a notification that pushes it over 4096 bytes', message({ data: { a: 'x'.repeat(4000) }, notification: { title: 'y'.repeat(100) } }), /too big/],
      ['an unknown message field', message({ priority: 'high' }), /Unknown name "priority"/],
      ['no token', { message: { data: {} } }, /exactly one of token/],
      ['a bad Android priority', message({ android: { priority: 'urgent' } }), /priority/],
      ['a bad Android TTL', message({ android: { ttl: '2 minutes' } }), /ttl/],
      ['a data-only message asking APNs for priority 10', message({ apns: { headers: { 'apns-priority': '10' }, payload: { aps: { sound: 'default' } } } }), /only apns-priority "5"/],
      ['a body that is not JSON', '{message', /Invalid JSON/],
    ])('refuses %s with INVALID_ARGUMENT in FCM shape', async (_n, body, why) => {
      const res = await sendRaw(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', details: [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }] });
      expect(res.body.error?.message).toMatch(why);
    });

    it('answers programmed FCM errors for one token, a number of times, with Retry-After', async () => {
      mock.program({ token: 'device-2', error: 'UNREGISTERED', times: 1 });
      mock.program({ token: 'device-3', error: 'QUOTA_EXCEEDED', retryAfter: 30 });
      const unregistered = await sendRaw(message({ token: 'device-2' }));
      expect(unregistered.status).toBe(404);
      expect(unregistered.body.error).toMatchObject({ status: 'NOT_FOUND', details: [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }] });
      expect((await sendRaw(message({ token: 'device-2' }))).status).toBe(200);
      const quota = await sendRaw(message({ token: 'device-3' }));
      expect(quota.status).toBe(429);
      expect(quota.headers.get('retry-after')).toBe('30');
      expect((await sendRaw(message({ token: 'device-1' }))).status).toBe(200);
    });

    it('is programmable and readable over its admin API', async () => {
      const program = await fetch(`${mock.url}/__mock/errors`, { method: 'POST', body: JSON.stringify({ error: 'UNAVAILABLE', times: 1 }) });
      expect(program.status).toBe(204);
      expect((await sendRaw(message({ token: 'device-4' }))).status).toBe(503);
      expect((await sendRaw(message({ token: 'device-4' }))).status).toBe(200);
      const listed = (await (await fetch(`${mock.url}/__mock/messages?token=device-4`)).json()) as { messages: { token: string }[] };
      expect(listed.messages.map((m) => m.token)).toEqual(['device-4']);
      expect((await fetch(`${mock.url}/__mock/errors`, { method: 'POST', body: JSON.stringify({ error: 'NOPE' }) })).status).toBe(400);
      const stats = (await (await fetch(`${mock.url}/__mock/stats`)).json()) as { sendRequests: number };
      expect(stats.sendRequests).toBeGreaterThan(5);
    });
  });
});
