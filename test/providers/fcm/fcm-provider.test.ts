import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import type { Message } from '../../../src/message';
import { fcmProvider } from '../../../src/providers/fcm/fcm-provider';
import { ProviderError, type Provider, type SendContext } from '../../../src/providers/provider';
import { decryptNmaData } from '../../../src/push/device/device-client';
import { generateDeviceKeys, type DeviceKeys } from '../../../src/push/device/device-keys';
import { checkPublicJwk } from '../../../src/push/jwk';
import { MockFcm } from '../../../src/push/mock-fcm/mock-fcm-server';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig } from '../../kit/provider-conformance';
import { startAuthProxy } from '../../kit/servers/auth-proxy';
import { startFcmPeer } from '../../kit/servers/fcm-peer';

describeProviderConformance({
  definition: fcmProvider,
  startPeer: startFcmPeer,
  invalidConfigs: [
    { name: 'no service account file', patch: { serviceAccountJson: undefined }, path: 'serviceAccountJson' },
    { name: 'no redeem URL', patch: { redeemUrl: undefined }, path: 'redeemUrl' },
    { name: 'a plain-http redeem URL off localhost', patch: { redeemUrl: 'http://relay.example.com/redeem' }, path: 'redeemUrl' },
    { name: 'an endpoint that is not a URL', patch: { endpointBaseUrl: 'fcm.googleapis.com' }, path: 'endpointBaseUrl' },
    { name: 'a non-boolean dryRun', patch: { dryRun: 'yes' }, path: 'dryRun' },
    { name: 'a proxy URL with credentials in it', patch: { proxyUrl: 'http://u:p@127.0.0.1:3128' }, path: 'proxyUrl' },
    { name: 'a redeem TTL of a day', patch: { redeemTtlSeconds: 86_400 }, path: 'redeemTtlSeconds' },
    { name: 'an unknown notification key', patch: { notification: { title: 'x', sound: 'y' } }, path: 'notification' },
  ],
  // An INVALID_ARGUMENT is about the push, not the number: SMS may still work, so never `permanent`.
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'failover', hang: 'failover' },
});

interface Setup {
  mock: MockFcm;
  store: SqliteStore;
  provider: Provider;
  dir: string;
  logs: () => string;
  device(type?: Parameters<typeof generateDeviceKeys>[0], userId?: string): Promise<{ keys: DeviceKeys; id: string; fcmToken: string; userId: string }>;
  send(message: Message, ctx?: Partial<SendContext>): Promise<{ providerMessageId?: string }>;
  fail(message: Message, ctx?: Partial<SendContext>): Promise<ProviderError>;
  close(): Promise<void>;
}

async function setup(config: Record<string, unknown> = {}, sa?: (mock: MockFcm) => Record<string, string>): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-fcm-'));
  const mock = await MockFcm.start();
  await writeFile(join(dir, 'sa.json'), JSON.stringify(sa ? sa(mock) : mock.serviceAccount()));
  const store = new SqliteStore(':memory:');
  const cap = captureLogs('trace');
  const parsed = parseProviderConfig(fcmProvider, { serviceAccountJson: 'sa.json', endpointBaseUrl: mock.url, redeemUrl: 'http://127.0.0.1:8443/redeem', timeoutMs: 5000, ...config });
  const provider = fcmProvider.create(parsed as never, { logger: cap.logger, store, baseDir: dir });
  const send = (message: Message, ctx: Partial<SendContext> = {}) => provider.send(message, { signal: AbortSignal.timeout(5000), deliveryId: randomUUID(), ...ctx });
  return {
    mock,
    store,
    provider,
    dir,
    logs: cap.text,
    async device(type = 'p256', userId = randomUUID()) {
      const keys = generateDeviceKeys(type);
      const fcmToken = `fcm-${randomUUID()}`;
      const t = await store.targets.create({
        name: `phone-${fcmToken}`,
        userId,
        target: fcmToken,
        signatureKey: checkPublicJwk(keys.signature.publicJwk, 'signature', 's'),
        encryptionKey: checkPublicJwk(keys.encryption.publicJwk, 'encryption', 'e'),
      });
      return { keys, id: t.id, fcmToken, userId };
    },
    send,
    async fail(message, ctx) {
      const e = await send(message, ctx).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ProviderError);
      return e as ProviderError;
    },
    async close() {
      await provider.close?.();
      await mock.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const messageFor = (userId: string, over: Partial<Message> = {}): Message => ({ ...conformanceMessage(), userId, ...over });

describe('fcm provider', () => {
  describe('the message', () => {
    let s: Setup;
    beforeAll(async () => {
      s = await setup({ notification: { title: 'Sign-in code', body: 'Open the app to see it' } });
    });
    afterAll(() => s?.close());

    it('with a notification: notification, android high, APNs priority 10 and sound default, as nevisFIDO sends', async () => {
      const d = await s.device();
      const result = await s.send(messageFor(d.userId));
      const [m] = s.mock.messages(d.fcmToken);
      expect(result.providerMessageId).toBe(m.name);
      expect(m.message).toEqual({
        token: d.fcmToken,
        data: { nma_data_version: '1', nma_data_content_type: 'application/jose', nma_data: expect.any(String) },
        notification: { title: 'Sign-in code', body: 'Open the app to see it' },
        android: { priority: 'high', ttl: '120s' },
        apns: { headers: { 'apns-priority': '10', 'apns-expiration': expect.stringMatching(/^\d+$/) }, payload: { aps: { sound: 'default' } } },
      });
    });

    it('sends only the redeem token when the route says redeemOnly, and the token redeems the content', async () => {
      const d = await s.device('rsa2048');
      await s.send(messageFor(d.userId, { locale: 'de' }), { route: { name: 'otp', push: { content: 'redeemOnly' } } });
      const { plaintext } = await decryptNmaData(d.keys, (s.mock.messages(d.fcmToken)[0].message.data as Record<string, string>).nma_data);
      expect(plaintext).not.toHaveProperty('code');
      expect(plaintext).not.toHaveProperty('text');
      expect(plaintext).not.toHaveProperty('locale');
    });

    it('refuses before sending when the data would pass 4096 bytes, and withdraws the redeem token', async () => {
      const d = await s.device('rsa4096');
      const e = await s.fail(messageFor(d.userId, { text: 'x'.repeat(3000) }));
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'payload-too-large' });
      expect(e.message).toMatch(/would be \d{4} bytes; FCM accepts at most 4096/);
      expect(s.mock.messages(d.fcmToken)).toHaveLength(0);
      expect(s.store.db.prepare('SELECT COUNT(*) AS n FROM redeem_tokens WHERE expires_at > ?').get(Date.now())).toEqual({ n: 2 });
    });
  });

  describe('settings', () => {
    let s: Setup;
    beforeAll(async () => {
      s = await setup({ redeemTtlSeconds: 30 });
    });
    afterAll(() => s?.close());

    it('redeemTtlSeconds bounds the token, the push and APNs expiry alike', async () => {
      const d = await s.device('x25519');
      const before = Math.floor(Date.now() / 1000);
      await s.send(messageFor(d.userId));
      const { message } = s.mock.messages(d.fcmToken)[0];
      expect(message.android).toMatchObject({ ttl: '30s' });
      const expiration = Number((message.apns as { headers: Record<string, string> }).headers['apns-expiration']);
      expect(expiration - before).toBeGreaterThanOrEqual(29);
      expect(expiration - before).toBeLessThanOrEqual(31);
      const { plaintext } = await decryptNmaData(d.keys, (message.data as Record<string, string>).nma_data);
      expect((plaintext.expires_at as number) - before).toBeLessThanOrEqual(31);
    });

    it('uses only devices that name no dispatcher or name this provider', async () => {
      const userId = randomUUID();
      const keys = generateDeviceKeys('p256');
      const register = (dispatcher: string) =>
        s.store.targets.create({
          name: `phone-${dispatcher}`,
          userId,
          dispatcher,
          target: `fcm-${dispatcher}-${randomUUID()}`,
          signatureKey: checkPublicJwk(keys.signature.publicJwk, 'signature', 's'),
          encryptionKey: checkPublicJwk(keys.encryption.publicJwk, 'encryption', 'e'),
        });
      const elsewhere = await register('another-project');
      const e = await s.fail(messageFor(userId));
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'no-device' });
      expect(s.mock.messages(elsewhere.target)).toHaveLength(0);
      const mine = await register('vendor');
      await s.send(messageFor(userId));
      expect(s.mock.messages(mine.target)).toHaveLength(1);
      expect(s.mock.messages(elsewhere.target)).toHaveLength(0);
    });
  });

  describe('dry run', () => {
    it('sends validate_only and delivers nothing', async () => {
      const s = await setup({ dryRun: true });
      const d = await s.device();
      await s.send(messageFor(d.userId));
      expect(s.mock.messages(d.fcmToken).map((m) => m.validateOnly)).toEqual([true]);
      await s.close();
    });
  });

  describe('access tokens', () => {
    let s: Setup;
    beforeEach(async () => {
      s = await setup();
    });
    afterEach(() => s.close());

    it('one token request serves many sends, concurrent ones included', async () => {
      const d = await s.device();
      await Promise.all(Array.from({ length: 5 }, () => s.send(messageFor(d.userId))));
      for (let i = 0; i < 3; i++) await s.send(messageFor(d.userId));
      expect(s.mock.messages(d.fcmToken)).toHaveLength(8);
      expect(s.mock.counts().tokenRequests).toBe(1);
    });

    it('after a 401 with a cached token, fetches a new one once and the push still goes out', async () => {
      const d = await s.device();
      await s.send(messageFor(d.userId));
      s.mock.revokeTokens();
      await s.send(messageFor(d.userId));
      expect(s.mock.messages(d.fcmToken)).toHaveLength(2);
      expect(s.mock.counts()).toMatchObject({ tokenRequests: 2, sendRequests: 3 });
    });

    it('THIRD_PARTY_AUTH_ERROR (also a 401) is about APNs credentials: no token refresh, failover', async () => {
      const d = await s.device();
      s.mock.program({ error: 'THIRD_PARTY_AUTH_ERROR' });
      const e = await s.fail(messageFor(d.userId));
      expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 401, vendorCode: 'THIRD_PARTY_AUTH_ERROR' });
      expect(s.mock.counts().tokenRequests).toBe(1);
    });
  });

  describe('service account and token endpoint failures', () => {
    it('a key the token endpoint does not know: failover with the OAuth error, no key material anywhere', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const s = await setup({}, (mock) => ({ ...mock.serviceAccount(), private_key: other }));
      const d = await s.device();
      const e = await s.fail(messageFor(d.userId));
      expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 400, vendorCode: 'oauth:invalid_grant' });
      expect(`${e.message} ${s.logs()}`).not.toContain('PRIVATE KEY');
      await s.close();
    });

    it.each([
      ['a missing file', null, /cannot read .*missing\.json \(ENOENT\)/],
      ['a file that is not JSON', 'not json', /is not valid JSON/],
      ['another credential type', JSON.stringify({ type: 'authorized_user' }), /"type" must be "service_account"/],
      ['no token_uri', JSON.stringify({ type: 'service_account', project_id: 'p', client_email: 'e', private_key: 'k' }), /"token_uri" is missing/],
      ['a private key that is not PEM', JSON.stringify({ type: 'service_account', project_id: 'p', client_email: 'e', private_key: 'secret-not-pem', token_uri: 'http://127.0.0.1/t' }), /"private_key" is not a PEM private key/],
    ])('refuses %s at start, naming serviceAccountJson and quoting nothing of the file', async (_n, content, why) => {
      const dir = await mkdtemp(join(tmpdir(), 'relay-fcm-'));
      if (content !== null) await writeFile(join(dir, 'missing.json'), content);
      const config = parseProviderConfig(fcmProvider, { serviceAccountJson: 'missing.json', redeemUrl: 'https://relay.example.com/redeem' });
      let error: unknown;
      try {
        fcmProvider.create(config as never, { logger: captureLogs().logger, store: new SqliteStore(':memory:'), baseDir: dir });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toMatch(/^providers\.vendor\.serviceAccountJson: /);
      expect(text).toMatch(why);
      expect(text).not.toContain('secret-not-pem');
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses proxy credentials without a proxy URL, or a user without a password', async () => {
      const s = await setup();
      for (const extra of [{ proxyUser: 'u', proxyPassword: 'p' }, { proxyUrl: 'http://127.0.0.1:3128', proxyUser: 'u' }]) {
        const config = parseProviderConfig(fcmProvider, { serviceAccountJson: 'sa.json', redeemUrl: 'https://relay.example.com/redeem', ...extra });
        expect(() => fcmProvider.create(config as never, { logger: captureLogs().logger, store: s.store, baseDir: s.dir })).toThrow(ConfigError);
      }
      await s.close();
    });
  });

  describe('FCM errors', () => {
    let s: Setup;
    beforeEach(async () => {
      s = await setup();
    });
    afterEach(() => s.close());

    it('QUOTA_EXCEEDED with Retry-After: retryable with retryAfterMs, and that device is left alone until then', async () => {
      const d = await s.device();
      s.mock.program({ token: d.fcmToken, error: 'QUOTA_EXCEEDED', retryAfter: 30 });
      const e = await s.fail(messageFor(d.userId));
      expect(e).toMatchObject({ verdict: 'retryable', vendorStatus: 429, vendorCode: 'QUOTA_EXCEEDED', retryAfterMs: 30_000 });
      const sends = s.mock.counts().sendRequests;
      const again = await s.fail(messageFor(d.userId));
      expect(again).toMatchObject({ verdict: 'retryable', vendorCode: 'QUOTA_EXCEEDED' });
      expect(again.retryAfterMs).toBeGreaterThan(25_000);
      expect(again.retryAfterMs).toBeLessThanOrEqual(30_000);
      expect(s.mock.counts().sendRequests).toBe(sends);
      const other = await s.device();
      await s.send(messageFor(other.userId));
      expect(s.mock.messages(other.fcmToken)).toHaveLength(1);
    });

    it('UNAVAILABLE with Retry-After: retryable, and the whole project waits', async () => {
      const d = await s.device();
      s.mock.program({ error: 'UNAVAILABLE', retryAfter: 20, times: 1 });
      expect(await s.fail(messageFor(d.userId))).toMatchObject({ verdict: 'retryable', vendorStatus: 503, vendorCode: 'UNAVAILABLE', retryAfterMs: 20_000 });
      const other = await s.device();
      const sends = s.mock.counts().sendRequests;
      expect(await s.fail(messageFor(other.userId))).toMatchObject({ verdict: 'retryable', vendorCode: 'backoff' });
      expect(s.mock.counts().sendRequests).toBe(sends);
    });

    it.each(['INVALID_ARGUMENT', 'SENDER_ID_MISMATCH'] as const)('%s: failover (SMS may still work), the target stays active', async (code) => {
      const d = await s.device();
      s.mock.program({ token: d.fcmToken, error: code });
      expect(await s.fail(messageFor(d.userId))).toMatchObject({ verdict: 'failover', vendorCode: code });
      expect((await s.store.targets.get(d.id))?.state).toBe('active');
    });

    it('UNREGISTERED: marked dead, not retried, failover', async () => {
      const d = await s.device();
      s.mock.program({ token: d.fcmToken, error: 'UNREGISTERED' });
      const before = s.mock.counts().sendRequests;
      expect(await s.fail(messageFor(d.userId))).toMatchObject({ verdict: 'failover', vendorStatus: 404, vendorCode: 'UNREGISTERED' });
      expect(s.mock.counts().sendRequests).toBe(before + 1);
      expect(await s.store.targets.get(d.id)).toMatchObject({ state: 'unregistered', stateReason: 'UNREGISTERED' });
      expect(await s.fail(messageFor(d.userId))).toMatchObject({ vendorCode: 'no-device' });
    });
  });

  describe('through an authenticated HTTP proxy', () => {
    it('reaches the token endpoint and FCM through a proxy that demands credentials', async () => {
      const proxy = await startAuthProxy('relay', 'proxy-secret-0123456789');
      const s = await setup({ proxyUrl: proxy.url, proxyUser: 'relay', proxyPassword: 'proxy-secret-0123456789' });
      const d = await s.device();
      await s.send(messageFor(d.userId));
      expect(s.mock.messages(d.fcmToken)).toHaveLength(1);
      expect(proxy.allowed).toBeGreaterThanOrEqual(1);
      expect(proxy.refused).toBe(0);
      await s.close();
      await proxy.close();
    });

    it('with a wrong proxy password: failover naming the proxy, and the password appears nowhere', async () => {
      const proxy = await startAuthProxy('relay', 'proxy-secret-0123456789');
      const s = await setup({ proxyUrl: proxy.url, proxyUser: 'relay', proxyPassword: 'wrong-password-0123456789' });
      const d = await s.device();
      const e = await s.fail(messageFor(d.userId));
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'proxy' });
      expect(e.message).toMatch(/Proxy response \(407\)/);
      expect(proxy.refused).toBeGreaterThanOrEqual(1);
      expect(s.mock.counts().tokenRequests).toBe(0);
      expect(`${e.message} ${s.logs()}`).not.toContain('wrong-password-0123456789');
      await s.close();
      await proxy.close();
    });
  });
});
