import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSecrets, validateConfig } from '../../../src/config/load-config';
import { ConfigError } from '../../../src/errors';
import type { Message } from '../../../src/message';
import { ProviderError, type Provider } from '../../../src/providers/provider';
import { webhookProvider } from '../../../src/providers/webhook/webhook-provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { selfSigned, writePem } from '../../../src/tls/certificates';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { basicHeader, smsBody, startTestRelay, testConfig, type TestRelay } from '../../kit/relay-harness';
import { startGenericMessengerPeer, type GenericMessengerPeer } from '../../kit/servers/generic-messenger-peer';

const PEER_AUTH = { basic: { username: 'upstream', password: 'peer-password-0123456789' }, headers: { 'X-Relay-Key': 'peer-header-secret-0123' } };

describeProviderConformance({
  definition: webhookProvider,
  startPeer: () => startGenericMessengerPeer(PEER_AUTH),
  invalidConfigs: [
    { name: 'a url that is not http(s)', patch: { url: 'ftp://127.0.0.1/sms' }, path: 'url' },
    { name: 'a url with credentials in it', patch: { url: 'https://user:pw@relay.example/sms' }, path: 'url' },
    { name: 'a format other than fusionauth', patch: { format: 'xml' }, path: 'format' },
    { name: 'Basic auth without a password', patch: { auth: { basic: { username: 'u' } } }, path: 'auth.basic.password' },
    { name: 'a header the relay sets itself', patch: { auth: { headers: { 'Content-Type': 'text/plain' } } }, path: 'auth.headers' },
    { name: 'a header value with a line break', patch: { auth: { headers: { 'X-Key': 'a\r\nX-Evil: 1' } } }, path: 'auth.headers' },
    { name: 'an Authorization header next to Basic auth', patch: { auth: { ...PEER_AUTH, headers: { Authorization: 'Bearer x' } } }, path: 'auth.headers' },
    { name: 'a ca with checkTls off', patch: { ca: 'ca.crt', checkTls: false, url: 'https://127.0.0.1/sms' }, path: 'ca' },
    { name: 'a ca on a plain-http url', patch: { ca: 'ca.crt' }, path: 'ca' },
    { name: 'a success status outside 2xx', patch: { successStatus: [302] }, path: 'successStatus' },
  ],
  // 4xx: the downstream refuses; another provider may not. 5xx and dropped connections pass with time.
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'retryable', hang: 'failover' },
});

const DOWN_PASSWORD = 'downstream-password-0123456789';
const DOWN_KEY = 'downstream-header-key-0123456789';

interface Outboxed {
  to: string;
  text: string;
  code?: string;
  channel: string;
  locale?: string;
  userId?: string;
  deliveryId: string;
}

describe('webhook provider', () => {
  let dir: string;
  let caFile: string;
  let downstream: TestRelay;
  let peer: GenericMessengerPeer;
  let store: SqliteStore;
  const logs = captureLogs('trace');
  const open: Provider[] = [];

  const outbox = async (): Promise<Outboxed[]> =>
    (await readFile(join(dir, 'outbox.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Outboxed);
  const downstreamEntry = (over: Record<string, unknown> = {}) => ({
    url: `${downstream.url}/fusionauth/sms`,
    ca: caFile,
    auth: { basic: { username: 'upstream', password: DOWN_PASSWORD }, headers: { 'X-Relay-Key': DOWN_KEY } },
    ...over,
  });
  const make = (entry: Record<string, unknown>, baseDir = process.cwd()): Provider => {
    const p = webhookProvider.create(parseProviderConfig(webhookProvider, entry) as never, { logger: logs.logger, store, baseDir });
    open.push(p);
    return p;
  };
  const send = (p: Provider, m: Message = conformanceMessage()) => p.send(m, { signal: AbortSignal.timeout(5000), deliveryId: 'd-1' });
  const failure = (p: Provider, m?: Message): Promise<ProviderError> => providerFailure(send(p, m));
  const voice: Message = {
    channel: 'voice',
    to: '+4915123456789',
    text: 'Ihr Code lautet 4 8 2 9 1 3.',
    code: '482913',
    userId: '7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10',
    locale: 'de_DE',
    test: false,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-webhook-'));
    await writePem(dir, 'downstream', await selfSigned());
    caFile = join(dir, 'downstream.crt');
    downstream = await startTestRelay(
      testConfig({
        server: { host: '127.0.0.1', port: 0, tls: { cert: caFile, key: join(dir, 'downstream.key') } },
        endpoints: [
          {
            path: '/fusionauth/sms',
            auth: { basic: { username: 'upstream', password: DOWN_PASSWORD }, headers: { 'X-Relay-Key': [DOWN_KEY] } },
            route: 'otp',
          },
        ],
        providers: { phone: { type: 'log', print: 'none', outboxFile: join(dir, 'outbox.jsonl') } },
      }),
    );
    peer = await startGenericMessengerPeer(PEER_AUTH);
    store = new SqliteStore(':memory:');
  });
  afterEach(() => {
    peer.behave('accept');
    peer.http.answerAlways(undefined);
  });
  afterAll(async () => {
    await Promise.all(open.map((p) => p.close?.()));
    await downstream?.close();
    await peer?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends exactly FusionAuth's SMS body: keys in alphabetical order, the number in E.164", async () => {
    const before = peer.http.requests.length;
    await send(make(peer.config));
    const [req] = peer.http.requests.slice(before);
    expect(req.raw).toBe(
      '{"code":"482913","phoneNumber":"+13035551212","textMessage":"Your code is 482913. It expires in 5 minutes.","type":"SMS","userId":"7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10"}',
    );
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('upstream:peer-password-0123456789').toString('base64')}`);
    expect(req.headers['x-relay-key']).toBe('peer-header-secret-0123');
  });

  it("sends FusionAuth's Voice body, with message and locale instead of textMessage, and leaves out what is absent", async () => {
    const p = make(peer.config);
    const before = peer.http.requests.length;
    await send(p, voice);
    await send(p, { channel: 'voice', to: '+4915123456789', text: 'Ihr Code: 4 8 2 9 1 3', test: false });
    const [full, bare] = peer.http.requests.slice(before).map((r) => r.raw);
    expect(full).toBe(
      '{"code":"482913","locale":"de_DE","message":"Ihr Code lautet 4 8 2 9 1 3.","phoneNumber":"+4915123456789","type":"Voice","userId":"7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10"}',
    );
    expect(bare).toBe('{"message":"Ihr Code: 4 8 2 9 1 3","phoneNumber":"+4915123456789","type":"Voice"}');
  });

  it('chains to a real relay over HTTPS with a self-signed certificate given as ca: the same message arrives there', async () => {
    const result = await send(make(downstreamEntry()));
    const got = (await outbox()).at(-1)!;
    expect(got).toMatchObject({ channel: 'sms', to: '+13035551212', text: conformanceMessage().text, code: '482913', userId: conformanceMessage().userId });
    // The downstream's delivery record id comes back as our provider message id.
    expect(result.providerMessageId).toBe(got.deliveryId);
    expect((await downstream.store.deliveries.get(got.deliveryId))?.status).toBe('delivered');
  });

  it('chains a Voice message with its locale', async () => {
    await send(make(downstreamEntry()), voice);
    expect((await outbox()).at(-1)).toMatchObject({ channel: 'voice', to: voice.to, text: voice.text, code: voice.code, locale: 'de_DE' });
  });

  it('reads ca relative to the configuration directory', async () => {
    await expect(send(make(downstreamEntry({ ca: 'downstream.crt' }), dir))).resolves.toEqual({ providerMessageId: expect.any(String) });
  });

  it('refuses the self-signed downstream without ca (failover, TLS), and reaches it with checkTls: false, saying so in the log', async () => {
    const e = await failure(make(downstreamEntry({ ca: undefined })));
    expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await expect(send(make(downstreamEntry({ ca: undefined, checkTls: false })))).resolves.toEqual({ providerMessageId: expect.any(String) });
    expect(logs.text()).toContain('checkTls is off');
  });

  it('wrong downstream password → failover with vendorStatus 401 and the downstream error code; nothing delivered', async () => {
    const before = (await outbox()).length;
    const wrong = 'not-the-password-0123456789';
    const e = await failure(make(downstreamEntry({ auth: { basic: { username: 'upstream', password: wrong }, headers: { 'X-Relay-Key': DOWN_KEY } } })));
    expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 401, vendorCode: '[notAuthorized]' });
    expect(e.message).toContain('check auth');
    expect((await outbox()).length).toBe(before);
    expect([e.message, e.vendorMessage, JSON.stringify(e)].join()).not.toContain(wrong);
  });

  it('a missing header secret is refused the same way', async () => {
    const e = await failure(make(downstreamEntry({ auth: { basic: { username: 'upstream', password: DOWN_PASSWORD } } })));
    expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 401 });
  });

  it('a whole chain: FusionAuth → relay A (webhook) → relay B (log) delivers the normalised number and the code', async () => {
    const upstream = await startTestRelay(testConfig({ providers: { phone: { type: 'webhook', ...downstreamEntry() } } }));
    try {
      const res = await fetch(`${upstream.url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(smsBody),
      });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      const got = (await outbox()).at(-1)!;
      expect(got).toMatchObject({ to: '+13035551212', text: smsBody.textMessage, code: smsBody.code, userId: smsBody.userId });
      expect((await upstream.store.deliveries.get(id))?.providerMessageId).toBe(got.deliveryId);
      for (const s of [DOWN_PASSWORD, DOWN_KEY, smsBody.code]) expect(upstream.logs()).not.toContain(s);
    } finally {
      await upstream.close();
    }
  });

  it('429 and 503 are retryable with Retry-After; a redirect is failover and never followed', async () => {
    const p = make(peer.config);
    peer.http.answerAlways({ status: 429, headers: { 'retry-after': '12' } });
    expect(await failure(p)).toMatchObject({ verdict: 'retryable', vendorStatus: 429, retryAfterMs: 12_000 });
    peer.http.answerAlways({ status: 503, headers: { 'retry-after': '3' } });
    expect(await failure(p)).toMatchObject({ verdict: 'retryable', vendorStatus: 503, retryAfterMs: 3000 });
    peer.http.answerAlways({ status: 307, headers: { location: `${peer.http.origin}/elsewhere` } });
    const before = peer.http.requests.length;
    const e = await failure(p);
    expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 307, vendorCode: 'redirect', vendorMessage: `Location: ${peer.http.origin}/elsewhere` });
    expect(peer.http.requests.length).toBe(before + 1);
  });

  it('successStatus narrows what counts as accepted', async () => {
    peer.http.answerAlways({ status: 202 });
    await expect(send(make(peer.config))).resolves.toEqual({ providerMessageId: undefined });
    expect(await failure(make({ ...peer.config, successStatus: [200] }))).toMatchObject({ verdict: 'failover', vendorStatus: 202, vendorCode: 'unexpectedStatus' });
    await expect(send(make({ ...peer.config, successStatus: [202] }))).resolves.toEqual({ providerMessageId: undefined });
  });

  it('keeps the password, header values, the number and the code out of errors and logs, even when the downstream echoes them', async () => {
    const msg = conformanceMessage();
    const auth = `Basic ${Buffer.from(`upstream:${PEER_AUTH.basic.password}`).toString('base64')}`;
    const echo = { authorization: auth, password: PEER_AUTH.basic.password, key: PEER_AUTH.headers['X-Relay-Key'], phone: '13035551212', body: msg.text };
    peer.http.answerAlways({ status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ generalErrors: [{ code: '[invalid]', message: JSON.stringify(echo) }] }) });
    const e = await failure(make(peer.config), msg);
    const text = [e.message, e.vendorMessage, e.vendorCode, JSON.stringify(e)].join('\n');
    expect(e.vendorMessage).toContain('[redacted]');
    for (const s of [PEER_AUTH.basic.password, auth.slice(6), PEER_AUTH.headers['X-Relay-Key'], '13035551212', msg.code!]) {
      expect(text).not.toContain(s);
      expect(logs.text()).not.toContain(s);
    }
  });

  it('marks the password and header values as configuration secrets, not the username or header names', () => {
    const config = validateConfig(testConfig({ providers: { phone: { type: 'webhook', ...downstreamEntry() } } }));
    const secrets = collectSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining([DOWN_PASSWORD, DOWN_KEY]));
    expect(secrets).not.toContain('upstream');
    expect(secrets).not.toContain('X-Relay-Key');
  });

  it('stops the start with the key named when ca cannot be read or holds no certificate', async () => {
    const problems = (entry: Record<string, unknown>) => {
      try {
        make(entry);
      } catch (e) {
        if (e instanceof ConfigError) return e.problems.join('\n');
        throw e;
      }
      return '';
    };
    expect(problems(downstreamEntry({ ca: join(dir, 'missing.crt') }))).toMatch(/^providers\.vendor\.ca: cannot read .*missing\.crt \(ENOENT\)/);
    await writeFile(join(dir, 'not-a-cert.pem'), 'hello');
    expect(problems(downstreamEntry({ ca: join(dir, 'not-a-cert.pem') }))).toMatch(/^providers\.vendor\.ca: .* holds no PEM certificate/);
  });
});
