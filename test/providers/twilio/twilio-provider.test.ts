import { createServer, type AddressInfo } from 'node:net';
import type { Message } from '../../../src/message';
import type { Provider } from '../../../src/providers/provider';
import { parseRetryAfter } from '../../../src/providers/shared/http-call';
import { TWILIO_CODE_VERDICTS } from '../../../src/providers/twilio/twilio-errors';
import { twilioProvider } from '../../../src/providers/twilio/twilio-provider';
import { sayLanguage } from '../../../src/providers/twilio/twilio-voice';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../../kit/log-capture';
import { basicHeader, smsBody, startTestRelay, testConfig } from '../../kit/relay-harness';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { startTwilioPrism, type TwilioPrism } from '../../kit/servers/twilio-prism';
import {
  startTwilioStub,
  STUB_ACCOUNT_SID,
  STUB_API_KEY_SECRET,
  STUB_API_KEY_SID,
  STUB_AUTH_TOKEN,
  type TwilioStub,
} from '../../kit/servers/twilio-stub';

const FROM = '+15005550006';
const MG = `MG${'a1b2c3d4e5f60718'.repeat(2)}`;

const stubConfig = (stub: TwilioStub) => ({ accountSid: STUB_ACCOUNT_SID, authToken: STUB_AUTH_TOKEN, from: FROM, baseUrl: stub.url });

describeProviderConformance({
  definition: twilioProvider,
  async startPeer() {
    const stub = await startTwilioStub();
    return {
      config: stubConfig(stub),
      behave: (mode) => stub.behave(mode),
      received: () =>
        stub.requests.filter((r) => r.path.endsWith('/Messages.json') && r.form.To).map((r) => ({ to: r.form.To, text: r.form.Body })),
      close: () => stub.close(),
    };
  },
  invalidConfigs: [
    { name: 'an account SID that is not AC + 32 hex', patch: { accountSid: 'AC123' }, path: 'accountSid' },
    { name: 'neither an auth token nor an API key', patch: { authToken: undefined }, path: 'authToken' },
    { name: 'an auth token and an API key at once', patch: { apiKeySid: STUB_API_KEY_SID, apiKeySecret: STUB_API_KEY_SECRET }, path: 'authToken' },
    { name: 'an API key without its secret', patch: { authToken: undefined, apiKeySid: STUB_API_KEY_SID }, path: 'apiKeySecret' },
    { name: 'both from and messagingServiceSid', patch: { messagingServiceSid: MG }, path: 'from' },
    { name: 'neither from nor messagingServiceSid', patch: { from: undefined }, path: 'from' },
    { name: 'a from that is neither E.164 nor an alphanumeric sender', patch: { from: '5005550006' }, path: 'from' },
    { name: 'a messaging service SID that is not MG + 32 hex', patch: { from: undefined, messagingServiceSid: 'MG42' }, path: 'messagingServiceSid' },
    { name: 'a plain-http status callback', patch: { statusCallback: 'http://relay.example.com/twilio' }, path: 'statusCallback' },
    { name: 'a validity period of 0 s', patch: { validityPeriod: 0 }, path: 'validityPeriod' },
    { name: "a validity period beyond Twilio's 36000 s", patch: { validityPeriod: 36_001 }, path: 'validityPeriod' },
    { name: 'a base URL that is not http(s)', patch: { baseUrl: 'ftp://127.0.0.1/' }, path: 'baseUrl' },
    { name: 'a base URL with credentials in it', patch: { baseUrl: 'https://u:p@proxy.example.com/' }, path: 'baseUrl' },
    { name: 'a plain-http base URL off this machine, which would send the auth token in clear', patch: { baseUrl: 'http://egress.example.net/' }, path: 'baseUrl' },
  ],
  // reject = 21408 (geo permissions: this account may not send there, another may); fail = Twilio's 500.
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'failover', hang: 'failover' },
});

/** A provider built exactly as start-up builds it, with its log lines readable. */
function build(entry: Record<string, unknown>, store: SqliteStore) {
  const logs = captureLogs('trace');
  const provider = twilioProvider.create(parseProviderConfig(twilioProvider, entry) as never, { logger: logs.logger, store, baseDir: process.cwd() });
  return { provider, logs };
}

const send = (provider: Provider, message: Message = conformanceMessage(), signal = AbortSignal.timeout(5000)) =>
  provider.send(message, { signal, deliveryId: 'd-twilio' });

const failureOf = providerFailure;

describe("twilio provider against Twilio's OpenAPI spec (Prism)", () => {
  let prism: TwilioPrism;
  let store: SqliteStore;
  const prismConfig = () => ({ accountSid: `AC${'a'.repeat(32)}`, authToken: 'prism-auth-token-0123456789', baseUrl: prism.url });

  beforeAll(async () => {
    prism = await startTwilioPrism();
    store = new SqliteStore(':memory:');
  });
  afterAll(async () => {
    await prism?.close();
    await store?.close();
  });
  beforeEach(() => prism.clearLog());

  it('enforces the contract: 401 without Basic auth, 422 on a malformed MessagingServiceSid', async () => {
    const url = `${prism.url}/2010-04-01/Accounts/AC${'a'.repeat(32)}/Messages.json`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const noAuth = await fetch(url, { method: 'POST', headers: form, body: 'To=%2B13035551212&Body=hi&From=%2B15005550006' });
    expect(noAuth.status).toBe(401);
    const auth = { ...form, authorization: `Basic ${Buffer.from(`AC${'a'.repeat(32)}:x`).toString('base64')}` };
    const badSid = await fetch(url, { method: 'POST', headers: auth, body: 'To=%2B13035551212&Body=hi&MessagingServiceSid=MG42' });
    expect(badSid.status).toBe(422);
    expect(JSON.stringify(await badSid.json())).toContain('MessagingServiceSid');
  });

  it('sends an SMS from a number, with status callback and validity period, that passes validation', async () => {
    const { provider } = build({ ...prismConfig(), from: FROM, statusCallback: 'https://relay.example.com/twilio/status', validityPeriod: 600 }, store);
    const result = await send(provider);
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/i);
    const log = await prism.waitForLog('The request passed the validation rules');
    expect(log).toContain('The request passed the validation rules');
    expect(log).not.toContain('did not pass');
    await provider.close?.();
  });

  it('sends through a messaging service, which passes validation too', async () => {
    const { provider } = build({ ...prismConfig(), messagingServiceSid: MG }, store);
    await expect(send(provider)).resolves.toEqual({ providerMessageId: expect.stringMatching(/^SM/) });
    expect(await prism.waitForLog('The request passed the validation rules')).toContain('The request passed the validation rules');
    await provider.close?.();
  });

  it('places a voice call with TwiML that passes validation', async () => {
    const { provider } = build({ ...prismConfig(), from: FROM }, store);
    const result = await send(provider, { ...conformanceMessage(), channel: 'voice', locale: 'de' });
    expect(result.providerMessageId).toMatch(/^CA/);
    expect(await prism.waitForLog('The request passed the validation rules')).toContain('The request passed the validation rules');
    await provider.close?.();
  });

  it('verifies the account with a fetch that passes validation', async () => {
    const { provider } = build({ ...prismConfig(), from: FROM }, store);
    await expect(provider.verify!()).resolves.toBeUndefined();
    expect(await prism.waitForLog('The request passed the validation rules')).toContain('The request passed the validation rules');
    await provider.close?.();
  });

  it("maps Prism's 422 for a field the spec refuses to a failover error with the vendor status", async () => {
    // Bypasses our own schema on purpose, to prove the request really is checked against Twilio's patterns.
    const config = { ...parseProviderConfig(twilioProvider, { ...prismConfig(), from: FROM }), from: undefined, messagingServiceSid: 'MGnot-a-sid' };
    const provider = twilioProvider.create(config as never, { logger: captureLogs().logger, store, baseDir: process.cwd() });
    const err = await failureOf(send(provider));
    expect(err).toMatchObject({ verdict: 'failover', vendorStatus: 422 });
    expect(await prism.waitForLog('MessagingServiceSid must match pattern')).toContain('MessagingServiceSid must match pattern');
    await provider.close?.();
  });
});

describe('twilio provider against the error stub', () => {
  let stub: TwilioStub;
  let store: SqliteStore;
  beforeAll(async () => {
    stub = await startTwilioStub();
    store = new SqliteStore(':memory:');
  });
  afterAll(async () => {
    await stub?.close();
    await store?.close();
  });
  beforeEach(() => {
    stub.behave('accept');
    stub.requests.length = 0;
  });

  describe('what arrives at Twilio', () => {
    it('sends To, From, Body, StatusCallback and ValidityPeriod with the account credentials', async () => {
      const { provider } = build({ ...stubConfig(stub), statusCallback: 'https://relay.example.com/twilio/status', validityPeriod: 300 }, store);
      const msg = conformanceMessage('+4915123456789');
      await send(provider, msg);
      expect(stub.requests).toHaveLength(1);
      const [r] = stub.requests;
      expect(r).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${STUB_ACCOUNT_SID}/Messages.json`, username: STUB_ACCOUNT_SID, password: STUB_AUTH_TOKEN });
      expect(r.contentType).toBe('application/x-www-form-urlencoded');
      expect(r.userAgent).toMatch(/^twilio-node\//);
      expect(r.form).toEqual({ To: '+4915123456789', From: FROM, Body: msg.text, StatusCallback: 'https://relay.example.com/twilio/status', ValidityPeriod: '300' });
      await provider.close?.();
    });

    it('sends MessagingServiceSid and no From when configured with a messaging service', async () => {
      const { provider } = build({ ...stubConfig(stub), from: undefined, messagingServiceSid: MG }, store);
      await send(provider);
      expect(stub.requests[0].form).toEqual({ To: '+13035551212', MessagingServiceSid: MG, Body: conformanceMessage().text });
      await provider.close?.();
    });

    it('authenticates with an API key against the account in the path', async () => {
      const { provider } = build({ ...stubConfig(stub), authToken: undefined, apiKeySid: STUB_API_KEY_SID, apiKeySecret: STUB_API_KEY_SECRET }, store);
      await expect(send(provider)).resolves.toEqual({ providerMessageId: expect.stringMatching(/^SM/) });
      expect(stub.requests[0]).toMatchObject({ path: `/2010-04-01/Accounts/${STUB_ACCOUNT_SID}/Messages.json`, username: STUB_API_KEY_SID });
      await provider.close?.();
    });

    it('keeps a path prefix of the base URL (an egress proxy mounted under a path)', async () => {
      const { provider } = build({ ...stubConfig(stub), baseUrl: `${stub.url}/twilio-egress/` }, store);
      // The stub serves Twilio's own paths only, so the prefixed one is its 404: what matters is where the request went.
      await expect(failureOf(send(provider))).resolves.toMatchObject({ vendorStatus: 404 });
      expect(stub.requests[0].path).toBe(`/twilio-egress/2010-04-01/Accounts/${STUB_ACCOUNT_SID}/Messages.json`);
      await provider.close?.();
    });

    it('calls with TwiML that says the message twice, the code spelled out, in the message language', async () => {
      const { provider } = build(stubConfig(stub), store);
      expect(provider.channels).toEqual(['sms', 'voice']);
      const result = await send(provider, { ...conformanceMessage(), channel: 'voice', locale: 'de_DE' });
      expect(result.providerMessageId).toMatch(/^CA/);
      const [r] = stub.requests;
      expect(r.path).toBe(`/2010-04-01/Accounts/${STUB_ACCOUNT_SID}/Calls.json`);
      expect(r.form.To).toBe('+13035551212');
      expect(r.form.From).toBe(FROM);
      const says = r.form.Twiml.match(/<Say language="de-DE">[^<]*<\/Say>/g) ?? [];
      expect(says).toHaveLength(2);
      expect(says[0]).toContain('4, 8, 2, 9, 1, 3');
      await provider.close?.();
    });

    it('offers only SMS when the sender cannot place calls, and refuses a voice message without calling Twilio', async () => {
      const { provider } = build({ ...stubConfig(stub), from: 'Relay' }, store);
      expect(provider.channels).toEqual(['sms']);
      const err = await failureOf(send(provider, { ...conformanceMessage(), channel: 'voice' }));
      expect(err.verdict).toBe('failover');
      expect(stub.requests).toHaveLength(0);
      await provider.close?.();
    });

    it("picks Twilio's Say language from the locale, or leaves Twilio's default", () => {
      expect([sayLanguage('de'), sayLanguage('en'), sayLanguage('en_GB'), sayLanguage('fr-ca'), sayLanguage('pt')]).toEqual(['de-DE', 'en-US', 'en-GB', 'fr-CA', 'pt-BR']);
      expect(sayLanguage('tlh')).toBeUndefined();
      expect(sayLanguage(undefined)).toBeUndefined();
    });
  });

  describe('Twilio error codes → verdicts', () => {
    it.each([
      [21211, 400, 'permanent'],
      [21614, 400, 'permanent'],
      [21610, 400, 'permanent'],
      [21635, 400, 'permanent'],
      [21408, 400, 'failover'],
      [21606, 400, 'failover'],
      [21608, 400, 'failover'],
      [21612, 400, 'failover'],
      [20404, 404, 'failover'],
      [21611, 400, 'retryable'],
      [20429, 429, 'retryable'],
      [20500, 500, 'retryable'],
    ] as const)('%i (HTTP %i) → %s, vendor status and code kept', async (code, status, verdict) => {
      const { provider } = build(stubConfig(stub), store);
      stub.failWith(code);
      const err = await failureOf(send(provider));
      expect(err).toMatchObject({ provider: 'vendor', verdict, vendorStatus: status, vendorCode: String(code) });
      expect(err.vendorMessage).toBeTruthy();
      await provider.close?.();
    });

    it('says why for every code in the table', () => {
      for (const { why } of Object.values(TWILIO_CODE_VERDICTS)) expect(why.length).toBeGreaterThan(10);
    });

    it('falls back on the HTTP status for a code it does not know: 4xx → failover', async () => {
      const { provider } = build(stubConfig(stub), store);
      stub.failWith(21999);
      await expect(failureOf(send(provider))).resolves.toMatchObject({ verdict: 'failover', vendorStatus: 400, vendorCode: '21999' });
      await provider.close?.();
    });

    it('a wrong auth token is 20003 → failover, and the token is nowhere in the error', async () => {
      const wrong = 'wrong-auth-token-7c1f0e9d2b';
      const { provider, logs } = build({ ...stubConfig(stub), authToken: wrong }, store);
      const err = await failureOf(send(provider));
      expect(err).toMatchObject({ verdict: 'failover', vendorStatus: 401, vendorCode: '20003' });
      const text = [err.message, err.vendorMessage, JSON.stringify(err), String(err.cause ?? ''), logs.text()].join('\n');
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(`${STUB_ACCOUNT_SID}:${wrong}`).toString('base64'));
      await provider.close?.();
    });

    it('20429 carries Retry-After, and the SDK does not retry it behind our back', async () => {
      const { provider } = build(stubConfig(stub), store);
      stub.failWith(20429, { 'retry-after': '2' });
      const err = await failureOf(send(provider));
      expect(err).toMatchObject({ verdict: 'retryable', vendorStatus: 429, retryAfterMs: 2000 });
      expect(stub.requests).toHaveLength(1);
      await provider.close?.();
    });

    it('reads Retry-After as seconds or as an HTTP date, and ignores nonsense', () => {
      const now = Date.parse('2026-01-01T00:00:00Z');
      expect(parseRetryAfter('3', now)).toBe(3000);
      expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
      expect(parseRetryAfter('soon', now)).toBeUndefined();
      expect(parseRetryAfter(undefined, now)).toBeUndefined();
      // A vendor asking for months is held to a day: a queued code is worthless long before.
      expect(parseRetryAfter('9999999', now)).toBe(86_400_000);
    });

    it("masks the number Twilio echoes in its message, like every log line", async () => {
      const { provider, logs } = build(stubConfig(stub), store);
      stub.failWith(21211);
      const err = await failureOf(send(provider, conformanceMessage('+4915123456789')));
      expect(err.vendorMessage).toContain('+**********789');
      expect([err.message, err.vendorMessage, logs.text()].join('\n')).not.toContain('4915123456789');
      await provider.close?.();
    });
  });

  describe('transport and deadline', () => {
    it('a refused connection → failover with the socket error code', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((r) => closed.close(() => r()));
      const { provider } = build({ ...stubConfig(stub), baseUrl: `http://127.0.0.1:${port}` }, store);
      await expect(failureOf(send(provider))).resolves.toMatchObject({ verdict: 'failover', vendorCode: 'ECONNREFUSED' });
      await provider.close?.();
    });

    it('gives up at its own timeoutMs when Twilio hangs, even with a later deadline', async () => {
      const { provider } = build({ ...stubConfig(stub), timeoutMs: 300 }, store);
      stub.behave('hang');
      const started = performance.now();
      const err = await failureOf(send(provider, conformanceMessage(), AbortSignal.timeout(10_000)));
      expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'timeout' });
      expect(performance.now() - started).toBeLessThan(3000);
      await provider.close?.();
    });

    it('an aborted send tears its request down instead of leaving it running', async () => {
      const own = await startTwilioStub();
      const { provider } = build(stubConfig(own), store);
      own.behave('hang');
      const ctl = new AbortController();
      const pending = send(provider, conformanceMessage(), ctl.signal);
      while (own.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      ctl.abort();
      await expect(failureOf(pending)).resolves.toMatchObject({ verdict: 'failover', vendorCode: 'aborted' });
      const deadline = Date.now() + 2000;
      while (own.openConnections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(own.openConnections()).toBe(0);
      await provider.close?.();
      await own.close();
    });

    it('refuses to send after close()', async () => {
      const { provider } = build(stubConfig(stub), store);
      await provider.close?.();
      await expect(failureOf(send(provider))).resolves.toMatchObject({ verdict: 'failover', vendorCode: 'closed' });
      expect(stub.requests).toHaveLength(0);
    });
  });
});

describe('twilio provider in a running relay', () => {
  let first: TwilioStub;
  let second: TwilioStub;
  beforeAll(async () => {
    [first, second] = await Promise.all([startTwilioStub(), startTwilioStub()]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });
  beforeEach(() => {
    for (const s of [first, second]) {
      s.behave('accept');
      s.requests.length = 0;
    }
  });

  async function post(): Promise<{ status: number; body: Record<string, unknown>; logs: string }> {
    const relay = await startTestRelay(
      testConfig({
        routes: { otp: { providers: ['twilio', 'backup'], deadlineMs: 3000 } },
        providers: { twilio: { type: 'twilio', ...stubConfig(first) }, backup: { type: 'twilio', ...stubConfig(second), from: 'Backup' } },
      }),
    );
    try {
      const res = await fetch(`${relay.url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(smsBody),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, logs: relay.logs() };
    } finally {
      await relay.close();
    }
  }

  it("delivers FusionAuth's message through Twilio, with neither the token nor the code in the log", async () => {
    const { status, logs } = await post();
    expect(status).toBe(200);
    expect(first.requests.map((r) => r.form)).toEqual([{ To: '+13035551212', From: FROM, Body: smsBody.textMessage }]);
    expect(second.requests).toHaveLength(0);
    expect(logs).not.toContain(STUB_AUTH_TOKEN);
    expect(logs).not.toContain(smsBody.code);
  });

  it('fails over to the next provider when Twilio refuses for geo permissions (21408)', async () => {
    first.failWith(21408);
    const { status } = await post();
    expect(status).toBe(200);
    expect(second.requests.map((r) => r.form.From)).toEqual(['Backup']);
  });

  it('stops the route on an invalid number (21211): 502, and the next provider is not tried', async () => {
    first.failWith(21211);
    const { status, body, logs } = await post();
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toContain('21211');
    expect(JSON.stringify(body)).toContain('refused the message for good (21211); no other provider was tried');
    expect(second.requests).toHaveLength(0);
    expect(logs).not.toContain('3035551212');
  });
});
