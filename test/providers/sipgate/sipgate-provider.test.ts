import type { Message } from '../../../src/message';
import { ProviderError, type Provider } from '../../../src/providers/provider';
import { sipgateProvider } from '../../../src/providers/sipgate/sipgate-provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { basicHeader, smsBody, startTestRelay, testConfig } from '../../kit/relay-harness';
import { SIPGATE_TOKEN, SIPGATE_TOKEN_ID, startSipgatePeer, type SipgatePeer } from '../../kit/servers/sipgate-peer';

describeProviderConformance({
  definition: sipgateProvider,
  startPeer: startSipgatePeer,
  to: '+4915123456789',
  invalidConfigs: [
    { name: 'a token id without its token- prefix', patch: { tokenId: 'AB12CD' }, path: 'tokenId' },
    { name: 'a missing token id', patch: { tokenId: undefined }, path: 'tokenId' },
    { name: 'a token that is not a personal access token', patch: { token: 'hunter2hunter2' }, path: 'token' },
    { name: 'an smsId that is not a Web SMS extension', patch: { smsId: 'p0' }, path: 'smsId' },
    { name: 'a plain-http baseUrl off this machine', patch: { baseUrl: 'http://api.sipgate.com/v2' }, path: 'baseUrl' },
    { name: 'a baseUrl with credentials in it', patch: { baseUrl: 'https://u:p@api.sipgate.com/v2' }, path: 'baseUrl' },
  ],
  // A 400 is sipgate refusing this request; a number we already validated may still go through another provider.
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'retryable', hang: 'failover' },
});

describe('sipgate provider', () => {
  let peer: SipgatePeer;
  let store: SqliteStore;
  const logs = captureLogs('trace');
  const open: Provider[] = [];

  const make = (patch: Record<string, unknown> = {}): Provider => {
    const p = sipgateProvider.create(parseProviderConfig(sipgateProvider, { ...peer.config, ...patch }) as never, {
      logger: logs.logger,
      store,
      baseDir: process.cwd(),
    });
    open.push(p);
    return p;
  };
  const send = (p: Provider, m: Message = conformanceMessage('+4915123456789')) =>
    p.send(m, { signal: AbortSignal.timeout(5000), deliveryId: 'd-1' });
  const failure = (p: Provider, m?: Message): Promise<ProviderError> => providerFailure(send(p, m));

  beforeAll(async () => {
    peer = await startSipgatePeer();
    store = new SqliteStore(':memory:');
  });
  afterEach(() => {
    peer.behave('accept');
    peer.rejectWith(400);
    peer.http.answerAlways(undefined);
  });
  afterAll(async () => {
    await Promise.all(open.map((p) => p.close?.()));
    await peer.close();
    await store.close();
  });

  it('POSTs /v2/sessions/sms with the personal access token as Basic tokenId:token and a JSON body', async () => {
    const before = peer.http.requests.length;
    await expect(send(make())).resolves.toEqual({});
    const [req] = peer.http.requests.slice(before);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/sessions/sms');
    expect(Buffer.from(req.headers.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe(`${SIPGATE_TOKEN_ID}:${SIPGATE_TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
  });

  it('sends exactly {smsId, recipient, message}, the number in E.164 with its +, and no sendAt', async () => {
    const before = peer.http.requests.length;
    await send(make({ smsId: 's0' }));
    const [req] = peer.http.requests.slice(before);
    expect(req.raw).toBe(JSON.stringify({ smsId: 's0', recipient: '+4915123456789', message: 'Your code is 482913. It expires in 5 minutes.' }));
  });

  it('delivers text outside the GSM alphabet byte for byte', async () => {
    const text = 'Код 482913 · 验证码 482913 · Ça marche ✅';
    await send(make(), { ...conformanceMessage('+4915123456789'), text });
    expect(peer.received().at(-1)).toEqual({ to: '+4915123456789', text });
    expect(peer.bodies().at(-1)).toMatchObject({ message: text });
  });

  it('accepts a baseUrl with a trailing slash', async () => {
    const before = peer.received().length;
    await send(make({ baseUrl: `${peer.http.origin}/v2/` }));
    expect(peer.received()).toHaveLength(before + 1);
  });

  it('keeps connections alive between messages instead of opening one per message', async () => {
    const p = make();
    const before = peer.http.requests.length;
    for (let i = 0; i < 6; i++) await send(p);
    // undici's pool may open a second socket while the first is being released; it never opens one per message.
    const ports = new Set(peer.http.requests.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('wrong token → failover, vendorStatus 401, and neither the token nor its Basic form in the error', async () => {
    const wrong = '11111111-2222-4333-8444-555555555555';
    const e = await failure(make({ token: wrong }));
    expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 401, vendorCode: 'unauthorized' });
    expect(e.message).toContain('check tokenId and token');
    expect(JSON.stringify({ ...e, message: e.message })).not.toContain(wrong);
  });

  it('an smsId the token may not use → 403 → failover "invalidExtension", as sipgateio-node reads it', async () => {
    const e = await failure(make({ smsId: 's7' }));
    expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 403, vendorCode: 'invalidExtension' });
  });

  it.each([
    [400, 'badRequest'],
    [402, 'insufficientBalance'],
    [403, 'invalidExtension'],
  ] as const)('a %i refusal → failover, vendorCode %s', async (status, code) => {
    peer.behave('reject');
    peer.rejectWith(status);
    expect(await failure(make())).toMatchObject({ verdict: 'failover', vendorStatus: status, vendorCode: code });
  });

  it('a 500 → retryable', async () => {
    peer.behave('fail');
    expect(await failure(make())).toMatchObject({ verdict: 'retryable', vendorStatus: 500, vendorCode: 'serverError' });
  });

  it('429 and 503 carry Retry-After as retryAfterMs', async () => {
    peer.http.answerAlways({ status: 429, headers: { 'retry-after': '30' } });
    expect(await failure(make())).toMatchObject({ verdict: 'retryable', vendorStatus: 429, retryAfterMs: 30_000 });
    const at = new Date(Date.now() + 120_000).toUTCString();
    peer.http.answerAlways({ status: 503, headers: { 'retry-after': at } });
    const e = await failure(make());
    expect(e).toMatchObject({ verdict: 'retryable', vendorStatus: 503 });
    expect(e.retryAfterMs).toBeGreaterThan(100_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('never follows a redirect', async () => {
    peer.http.answerAlways({ status: 302, headers: { location: `${peer.http.origin}/v2/sessions/sms?again` } });
    const before = peer.http.requests.length;
    expect(await failure(make())).toMatchObject({ verdict: 'failover', vendorStatus: 302, vendorCode: 'redirect' });
    expect(peer.http.requests.length).toBe(before + 1);
  });

  it('scrubs the token, the number, the text and the code from whatever sipgate echoes back', async () => {
    const msg = conformanceMessage('+4915123456789');
    const auth = `Basic ${Buffer.from(`${SIPGATE_TOKEN_ID}:${SIPGATE_TOKEN}`).toString('base64')}`;
    peer.http.answerAlways({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'bad', got: { auth, token: SIPGATE_TOKEN, recipient: '4915123456789', message: msg.text, code: msg.code } }),
    });
    const e = await failure(make(), msg);
    const text = [e.message, e.vendorMessage, e.vendorCode, JSON.stringify(e)].join('\n');
    expect(e.vendorMessage).toContain('[redacted]');
    for (const s of [SIPGATE_TOKEN, auth.slice(6), '4915123456789', msg.code!, msg.text]) expect(text).not.toContain(s);
    expect(logs.text()).not.toContain(SIPGATE_TOKEN);
  });

  it('refuses to send once closed, with a ProviderError', async () => {
    const p = make();
    await p.close?.();
    expect(await failure(p)).toMatchObject({ verdict: 'failover' });
  });

  it('takes over in a running relay: sipgate refuses the token, the route fails over to the next provider', async () => {
    const relay = await startTestRelay(
      testConfig({
        routes: { otp: { providers: ['sms', 'phone'], deadlineMs: 3000 } },
        providers: {
          sms: { type: 'sipgate', ...peer.config, token: '11111111-2222-4333-8444-555555555555' },
          phone: { type: 'log', print: 'none' },
        },
      }),
    );
    try {
      const res = await fetch(`${relay.url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(smsBody),
      });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      const record = await relay.store.deliveries.get(id);
      expect(record?.attempts.map((a) => [a.provider, a.outcome, a.verdict, a.vendorStatus])).toEqual([
        ['sms', 'failed', 'failover', 401],
        ['phone', 'ok', undefined, undefined],
      ]);
    } finally {
      await relay.close();
    }
  });
});
