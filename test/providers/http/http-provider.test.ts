import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { ConfigError } from '../../../src/errors';
import type { Message } from '../../../src/message';
import { httpProvider } from '../../../src/providers/http/http-provider';
import { parsePhoneRewrite } from '../../../src/providers/shared/phone-rewrite';
import { resolveHttpConfig } from '../../../src/providers/http/resolve-config';
import type { HttpEntry } from '../../../src/providers/http/config-schema';
import { ProviderError, type Provider } from '../../../src/providers/provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { caAndServer } from '../../../src/tls/certificates';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, type ConformancePeer } from '../../kit/provider-conformance';
import { startHttpGateway, type HttpGateway } from '../../kit/servers/http-gateway';
import { basicHeader, smsBody, startTestRelay, testConfig } from '../../kit/relay-harness';

const GATEWAY_PASSWORD = 'gateway-password-0123';
const HEADER_SECRET = 'header-secret-4567';
const PARAM_SECRET = 'param-secret-8901';

async function startConformancePeer(): Promise<ConformancePeer> {
  const gw = await startHttpGateway();
  return {
    config: {
      url: `${gw.url}/send`,
      method: 'POST',
      parameters: { apiKey: PARAM_SECRET },
      options: { to: '{phone}', text: '{message}' },
      regexp: '/^\\+//',
      headers: { 'X-Api-Key': HEADER_SECRET },
      username: 'relay',
      password: GATEWAY_PASSWORD,
    },
    behave: (mode) => gw.behave(mode),
    received: () =>
      gw.requests
        .filter((r) => typeof r.answer === 'number' && r.answer < 300)
        .map((r) => ({ to: String(r.form?.to), text: String(r.form?.text) })),
    close: () => gw.close(),
  };
}

describeProviderConformance({
  definition: httpProvider,
  startPeer: startConformancePeer,
  invalidConfigs: [
    { name: 'a url that is not a URL', patch: { url: 'gateway' }, path: 'url' },
    { name: 'a url with another scheme', patch: { url: 'ftp://127.0.0.1/send' }, path: 'url' },
    { name: 'a url carrying credentials', patch: { url: 'http://user:pw@127.0.0.1/send' }, path: 'url' },
    { name: 'no url and no preset', patch: { url: undefined }, path: 'url' },
    { name: 'an unknown method', patch: { method: 'PUT' }, path: 'method' },
    { name: 'a JSON body on a GET', patch: { method: 'GET', body: 'json' }, path: 'body' },
    { name: 'a regexp that does not compile', patch: { regexp: '/+/00/' }, path: 'regexp' },
    { name: 'a regexp not of the /pattern/replacement/ form', patch: { regexp: '^\\+' }, path: 'regexp' },
    { name: 'a regexp replacement naming a missing group', patch: { regexp: '/^\\+(49)/\\2/' }, path: 'regexp' },
    { name: 'a returnSuccess regex that does not compile', patch: { returnSuccess: '/ID:(/' }, path: 'returnSuccess' },
    { name: 'a stateful returnFail regex flag', patch: { returnFail: '/ERR/g' }, path: 'returnFail' },
    { name: 'options without {phone}', patch: { options: { text: '{message}' } }, path: 'options' },
    { name: 'options without the text', patch: { options: { to: '{phone}' } }, path: 'options' },
    { name: 'a nested option in a form body', patch: { options: { to: { n: '{phone}' }, text: '{message}' } }, path: 'options.to' },
    { name: 'an option that is also a parameter', patch: { options: { to: '{phone}', text: '{message}', apiKey: 'x' } }, path: 'options.apiKey' },
    { name: 'a header value with a line break', patch: { headers: { 'X-Api-Key': 'a\r\nX-Evil: 1' } }, path: 'headers.X-Api-Key' },
    { name: 'a header the client writes', patch: { headers: { Host: 'example.com' } }, path: 'headers.Host' },
    { name: 'an Authorization header next to username', patch: { headers: { Authorization: 'Bearer abcd' } }, path: 'headers.Authorization' },
    { name: 'a username without password', patch: { password: undefined }, path: 'password' },
    { name: 'a status that is not HTTP', patch: { successStatus: [99] }, path: 'successStatus[0]' },
    { name: 'a SOCKS proxy', patch: { proxy: 'socks5://127.0.0.1:1080' }, path: 'proxy' },
    { name: 'an unknown preset', patch: { preset: 'twilio' }, path: 'preset' },
    { name: 'a preset without its credentials', patch: { preset: 'gtx', parameters: { user: 'u' } }, path: 'parameters.pass' },
    { name: 'a timeout below 10 ms', patch: { timeoutMs: 5 }, path: 'timeoutMs' },
  ],
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'retryable', hang: 'failover' },
});

const msg = (over: Partial<Message> = {}): Message => ({ ...conformanceMessage('+4915123456789'), ...over });
const ctx = (signal: AbortSignal = AbortSignal.timeout(5000)) => ({ signal, deliveryId: 'd-http' });

async function sendError(p: Provider, m: Message = msg(), signal?: AbortSignal): Promise<ProviderError> {
  const e = await p.send(m, ctx(signal)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

describe('http provider', () => {
  let gw: HttpGateway;
  let store: SqliteStore;
  let logs: ReturnType<typeof captureLogs>;
  const open: Provider[] = [];

  const make = (entry: Record<string, unknown>, baseDir = process.cwd()): Provider => {
    const p = httpProvider.create(parseProviderConfig(httpProvider, entry) as never, { logger: logs.logger, store, baseDir });
    open.push(p);
    return p;
  };
  const basic = () => ({ url: `${gw.url}/send`, options: { to: '{phone}', text: '{message}' } });

  beforeAll(async () => {
    gw = await startHttpGateway();
    store = new SqliteStore(':memory:');
  });
  beforeEach(() => {
    gw.behave('accept');
    gw.clear();
    logs = captureLogs('trace');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close?.()));
  });
  afterAll(async () => {
    await gw.close();
    await store.close();
  });

  describe('requests', () => {
    it('GET puts every value in the query string, encoded, after a query already in the url', async () => {
      const text = 'Code 482913 & more = 100% + ü?#/';
      const p = make({ ...basic(), url: `${gw.url}/send?route=otp&x=a%20b`, method: 'GET', parameters: { user: 'acme', n: 3, on: true } });
      await p.send(msg({ text }), ctx());
      const [r] = gw.requests;
      expect(r.method).toBe('GET');
      expect(r.path).toBe('/send');
      expect(r.query).toEqual({ route: 'otp', x: 'a b', user: 'acme', n: '3', on: 'true', to: '+4915123456789', text });
      expect(r.rawBody).toBe('');
    });

    it('POST form sends parameters and options as application/x-www-form-urlencoded; a list repeats its key, null drops it', async () => {
      const text = 'Line one\nline two & "quotes" = ok 😀';
      const p = make({ ...basic(), parameters: { sender: 'ACME' }, options: { to: ['{phone}', '+15550001111'], text: '{message}', skip: null } });
      await p.send(msg({ text }), ctx());
      const [r] = gw.requests;
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.form).toEqual({ sender: 'ACME', to: ['+4915123456789', '+15550001111'], text });
      expect(r.query).toEqual({});
    });

    it('POST JSON keeps hostile text valid JSON and keeps the types written in the configuration', async () => {
      const text = 'He said "hi" \\ C:\\path\nnew\tline </script> \u2028 ü 😀 {phone} {"a":1}';
      const p = make({
        ...basic(),
        body: 'json',
        parameters: { account: 'acme', priority: 2 },
        options: { to: ['{phone}'], text: '{message}', meta: { code: '{code}', n: 3, flag: true, none: null }, digits: '4912345678' },
      });
      await p.send(msg({ text }), ctx());
      const [r] = gw.requests;
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json).toEqual({
        account: 'acme',
        priority: 2,
        to: ['+4915123456789'],
        // The tag inside the text is the text, not a second substitution.
        text,
        meta: { code: '482913', n: 3, flag: true, none: null },
        // A quoted number stays text (privacyIDEA would send the JSON number 4912345678).
        digits: '4912345678',
      });
    });

    it('fills every tag: {phone} after regexp, {message} and {otp} as the whole text, {code}; other braces stay', async () => {
      const p = make({
        ...basic(),
        regexp: '/^\\+//',
        options: { p: '{phone}', m: '{message}', o: '{otp}', c: '{code}', mixed: 'Code {code} for {phone}', other: '{unknown} {Phone} {}' },
      });
      const m = msg();
      await p.send(m, ctx());
      expect(gw.requests[0].form).toEqual({
        p: '4915123456789',
        m: m.text,
        o: m.text,
        c: '482913',
        mixed: 'Code 482913 for 4915123456789',
        other: '{unknown} {Phone} {}',
      });
    });

    it('refuses to send a message without a code when an option needs {code}, and sends nothing', async () => {
      const p = make({ ...basic(), options: { to: '{phone}', pin: '{code}' } });
      const e = await sendError(p, msg({ code: undefined }));
      expect(e.verdict).toBe('failover');
      expect(e.vendorCode).toBe('no_code');
      expect(gw.count).toBe(0);
    });

    it('sends extra headers as written and Basic authentication the gateway accepts', async () => {
      const guarded = await startHttpGateway({ basicAuth: { username: 'acme', password: 'pä:ss wörd' } });
      try {
        const p = make({ url: `${guarded.url}/send`, options: { to: '{phone}', text: '{message}' }, username: 'acme', password: 'pä:ss wörd', headers: { 'X-Api-Key': HEADER_SECRET, 'User-Agent': 'acme-relay/1' } });
        await expect(p.send(msg(), ctx())).resolves.toEqual({});
        const [r] = guarded.requests;
        expect(r.answer).toBe(200);
        expect(r.headers['x-api-key']).toBe(HEADER_SECRET);
        expect(r.headers['user-agent']).toBe('acme-relay/1');

        const wrong = make({ url: `${guarded.url}/send`, options: { to: '{phone}', text: '{message}' }, username: 'acme', password: 'wrong-password' });
        const e = await sendError(wrong);
        expect(e.verdict).toBe('failover');
        expect(e.vendorStatus).toBe(401);
        expect(e.message).not.toContain('wrong-password');
      } finally {
        await guarded.close();
      }
    });
  });

  describe('idempotencyHeader', () => {
    it('sends the delivery id in the named header, the same on every try of one delivery', async () => {
      const p = make({ ...basic(), idempotencyHeader: 'Idempotency-Key' });
      await p.send(msg(), { signal: AbortSignal.timeout(5000), deliveryId: 'delivery-7' });
      await p.send(msg(), { signal: AbortSignal.timeout(5000), deliveryId: 'delivery-7' });
      expect(gw.requests.map((r) => r.headers['idempotency-key'])).toEqual(['delivery-7', 'delivery-7']);
      const plain = make(basic());
      await plain.send(msg(), ctx());
      expect(gw.requests[2].headers['idempotency-key']).toBeUndefined();
    });

    it('refuses a header name the HTTP client writes itself', () => {
      expect(() => parseProviderConfig(httpProvider, { ...basic(), idempotencyHeader: 'Content-Length' })).toThrow(ConfigError);
      expect(() => parseProviderConfig(httpProvider, { ...basic(), idempotencyHeader: 'Bad Header' })).toThrow(/idempotencyHeader/);
    });
  });

  describe('regexp (privacyIDEA REGEXP)', () => {
    it.each([
      ['/[+-/. ]//', '+49 123/456-78', '4912345678'],
      ['/\\+/00/', '+49 123/456-78', '0049 123/456-78'],
      ['/[\\+/]//', '+49 123/456-78', '49 123456-78'],
      ['/^0/0049/', '0123456789', '0049123456789'],
      ['/^([0-9]+).*/\\1/', '12345abcdef', '12345'],
      ['/^\\+(\\d\\d)/00\\g<1>/', '+4915123', '004915123'],
      ['/1/$0/', '121', '$02$0'],
      ['/(?P<cc>49)/(\\g<cc>)/', '+4915', '+(49)15'],
    ])('%s turns %s into %s', (rule, from, to) => {
      expect(parsePhoneRewrite(rule).apply(from)).toBe(to);
    });

    it('rewrites the number the gateway receives', async () => {
      const p = make({ ...basic(), regexp: '/[+-/. ]//' });
      await p.send(msg({ to: '+49 123/456-78' }), ctx());
      expect(gw.requests[0].form?.to).toBe('4912345678');
    });

    it.each([
      ['/+/00/', 'does not compile'],
      ['/\\./\\//', 'does not compile'],
      ['/1/\\d/', 'bad escape'],
      ['+49', 'must have the form /PATTERN/REPLACEMENT/'],
    ])('refuses %s at start with a message saying why (privacyIDEA would ignore it at send time)', (regexp, why) => {
      let problems: string[] = [];
      try {
        parseProviderConfig(httpProvider, { ...basic(), regexp });
      } catch (e) {
        problems = (e as ConfigError).problems;
      }
      expect(problems.join('\n')).toMatch(new RegExp(`providers\\.vendor\\.regexp: .*${why.replace(/[/\\]/g, '.')}`));
    });
  });

  describe('answers', () => {
    it('returnSuccess as a substring accepts an answer containing it and refuses one without', async () => {
      const p = make({ ...basic(), returnSuccess: 'queued' });
      gw.behave({ status: 200, body: '{"status":"queued"}' });
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
      gw.behave({ status: 200, body: '{"status":"REJECTED"}' });
      const e = await sendError(p);
      expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 200, vendorCode: 'returnSuccess', vendorMessage: '{"status":"REJECTED"}' });
    });

    it('the Clickatell legacy trap: "ID" as a substring accepts an error, /^ID:/ does not, and its group is the message id', async () => {
      gw.behave({ status: 200, body: 'ERR: 108, Invalid or missing API ID' });
      const substring = make({ ...basic(), returnSuccess: 'ID' });
      await expect(substring.send(msg(), ctx())).resolves.toEqual({});
      const anchored = make({ ...basic(), returnSuccess: '/^ID: (\\w+)/' });
      const e = await sendError(anchored);
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'returnSuccess', vendorMessage: 'ERR: 108, Invalid or missing API ID' });
      gw.behave({ status: 200, body: 'ID: 4f0a1b2c3d' });
      await expect(anchored.send(msg(), ctx())).resolves.toEqual({ providerMessageId: '4f0a1b2c3d' });
    });

    it('returnFail refuses an answer naming a failure, even when returnSuccess also matches', async () => {
      const p = make({ ...basic(), returnSuccess: 'SMS', returnFail: '/failed/i' });
      gw.behave({ status: 200, body: 'Sent SMS Failed' });
      expect(await sendError(p)).toMatchObject({ verdict: 'failover', vendorCode: 'returnFail' });
      gw.behave({ status: 200, body: 'SMS sent' });
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
    });

    it.each([
      [204, 'failover'],
      [401, 'failover'],
      [404, 'failover'],
      [408, 'retryable'],
      [500, 'retryable'],
      [502, 'retryable'],
    ] as const)('status %i is not success by default → %s, with the status kept', async (status, verdict) => {
      gw.behave({ status, body: status === 204 ? '' : `status ${status}` });
      const e = await sendError(make(basic()));
      expect(e.verdict).toBe(verdict);
      expect(e.vendorStatus).toBe(status);
    });

    it('successStatus replaces the accepted statuses', async () => {
      const p = make({ ...basic(), successStatus: [204] });
      gw.behave({ status: 204 });
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
      gw.behave({ status: 200, body: 'OK' });
      expect((await sendError(p)).vendorStatus).toBe(200);
    });

    it('does not follow a redirect, not even to the same host', async () => {
      gw.behave((r) => (r.path === '/send' ? { status: 302, headers: { location: `${gw.url}/elsewhere` } } : { status: 200 }));
      const e = await sendError(make(basic()));
      expect(e).toMatchObject({ verdict: 'failover', vendorStatus: 302, vendorCode: 'redirect' });
      expect(gw.requests.map((r) => r.path)).toEqual(['/send']);
    });

    it('429 is retryable and carries Retry-After in seconds or as a date', async () => {
      const p = make(basic());
      gw.behave('throttle', { retryAfter: '7' });
      expect(await sendError(p)).toMatchObject({ verdict: 'retryable', vendorStatus: 429, retryAfterMs: 7000 });
      gw.behave('throttle', { retryAfter: new Date(Date.now() + 30_000).toUTCString() });
      const e = await sendError(p);
      expect(e.retryAfterMs).toBeGreaterThan(25_000);
      expect(e.retryAfterMs).toBeLessThanOrEqual(31_000);
    });

    it('a gateway that stops answering is cut off at timeoutMs, retryable, even when the caller would wait longer', async () => {
      gw.behave('hang');
      const started = performance.now();
      const e = await sendError(make({ ...basic(), timeoutMs: 300 }), msg(), AbortSignal.timeout(10_000));
      expect(e).toMatchObject({ verdict: 'retryable', vendorCode: 'timeout' });
      expect(performance.now() - started).toBeLessThan(2500);
    });

    it('a 200 whose body is cut off is delivered, not a retry that would send the SMS twice', async () => {
      // A gateway that says 200 OK, promises a body, and drops the connection after two bytes.
      const cut = http.createServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('OK', () => res.socket?.destroy());
      });
      await new Promise<void>((ok) => cut.listen(0, '127.0.0.1', ok));
      try {
        const { port } = cut.address() as AddressInfo;
        const p = make({ ...basic(), url: `http://127.0.0.1:${port}/send` });
        await expect(p.send(msg(), ctx())).resolves.toEqual({});
        await p.close?.();
      } finally {
        await new Promise((ok) => cut.close(ok));
      }
    });

    it('a closed port is failover: another provider may reach its vendor', async () => {
      const spare = http.createServer();
      await new Promise<void>((ok) => spare.listen(0, '127.0.0.1', ok));
      const { port } = spare.address() as AddressInfo;
      await new Promise((ok) => spare.close(ok));
      const e = await sendError(make({ ...basic(), url: `http://127.0.0.1:${port}/send` }));
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'ECONNREFUSED' });
    });
  });

  it('keeps one keep-alive connection for several sends', async () => {
    const p = make(basic());
    for (let i = 0; i < 5; i++) {
      await p.send(msg(), ctx());
      // Messages arrive from separate requests, never in the same tick (see the back-to-back case below).
      await new Promise((ok) => setImmediate(ok));
    }
    expect(gw.requests).toHaveLength(5);
    expect(gw.connections).toBe(1);
    expect(new Set(gw.requests.map((r) => r.connection)).size).toBe(1);
  });

  it('reuses its connections for back-to-back sends too', async () => {
    // undici frees a connection one tick after its answer is read, so a send in the same tick takes a second one.
    const p = make(basic());
    for (let i = 0; i < 6; i++) await p.send(msg(), ctx());
    expect(gw.requests).toHaveLength(6);
    expect(gw.connections).toBeLessThanOrEqual(2);
  });

  it('keeps secrets, the text, the code and the number out of errors and logs, even when the gateway echoes them', async () => {
    const p = make({
      ...basic(),
      url: `${gw.url}/send`,
      parameters: { apiKey: PARAM_SECRET },
      headers: { 'X-Api-Key': HEADER_SECRET },
      username: 'acme',
      password: GATEWAY_PASSWORD,
    });
    gw.behave((r) => ({ status: 400, body: `rejected: ${r.rawBody} ${JSON.stringify(r.headers)}` }));
    const m = msg({ text: 'Your code is 482913 "now"' });
    const e = await sendError(p, m);
    expect(e.vendorMessage).toContain('rejected');
    const shown = [e.message, e.vendorMessage, e.vendorCode, JSON.stringify(e), logs.text()].join('\n');
    const basicValue = Buffer.from(`acme:${GATEWAY_PASSWORD}`).toString('base64');
    for (const s of [PARAM_SECRET, HEADER_SECRET, GATEWAY_PASSWORD, basicValue, '482913', '4915123456789', 'Your+code']) {
      expect(shown).not.toContain(s);
    }
  });

  describe('TLS', () => {
    let dir: string;
    let caFile: string;
    let tlsGw: HttpGateway;

    beforeAll(async () => {
      const { ca, server } = await caAndServer(['127.0.0.1']);
      dir = await mkdtemp(join(tmpdir(), 'relay-http-'));
      caFile = join(dir, 'gateway-ca.crt');
      await writeFile(caFile, ca.cert);
      tlsGw = await startHttpGateway({ tls: server });
    });
    afterAll(async () => {
      await tlsGw?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const tlsEntry = () => ({ url: `${tlsGw.url}/send`, options: { to: '{phone}', text: '{message}' } });

    it('refuses a certificate it cannot verify (checkTls defaults to true), failover with a clear message', async () => {
      const e = await sendError(make(tlsEntry()));
      expect(e.verdict).toBe('failover');
      expect(e.message).toMatch(/TLS certificate .* is not trusted .*set ca/);
      expect(tlsGw.count).toBe(0);
    });

    it('trusts the gateway with ca (a path relative to the config file)', async () => {
      const p = make({ ...tlsEntry(), ca: 'gateway-ca.crt' }, dir);
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
      expect(tlsGw.requests.at(-1)?.form?.to).toBe('+4915123456789');
    });

    it('sends without verification when checkTls is false', async () => {
      await expect(make({ ...tlsEntry(), checkTls: false }).send(msg(), ctx())).resolves.toEqual({});
    });

    it('refuses to start when ca cannot be read', () => {
      expect(() => make({ ...tlsEntry(), ca: 'missing.crt' }, dir)).toThrow(ConfigError);
    });
  });

  describe('through a proxy that demands credentials', () => {
    let proxy: http.Server;
    let proxyUrl: string;
    const tunnels: { target?: string; auth?: string }[] = [];

    beforeAll(async () => {
      const server = createProxy(http.createServer());
      const expected = `Basic ${Buffer.from('relay:proxy pass').toString('base64')}`;
      server.authenticate = (req) => req.headers['proxy-authorization'] === expected;
      server.on('connect', (req: http.IncomingMessage) => tunnels.push({ target: req.url, auth: req.headers['proxy-authorization'] }));
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      proxy = server;
      proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((ok) => proxy.close(ok));
    });
    beforeEach(() => {
      tunnels.length = 0;
    });

    it('reaches the gateway through a CONNECT tunnel with the proxy credentials from its URL', async () => {
      const p = make({ ...basic(), proxy: proxyUrl.replace('http://', 'http://relay:proxy%20pass@') });
      await p.send(msg(), ctx());
      expect(gw.requests).toHaveLength(1);
      expect(tunnels).toEqual([{ target: `127.0.0.1:${gw.port}`, auth: `Basic ${Buffer.from('relay:proxy pass').toString('base64')}` }]);
    });

    it('fails over with a clear message when the proxy refuses the credentials, without showing them', async () => {
      const e = await sendError(make({ ...basic(), proxy: proxyUrl.replace('http://', 'http://relay:wrong-pass@') }));
      expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'proxy_407' });
      expect(e.message).toContain('proxy authentication required');
      expect(`${e.message} ${JSON.stringify(e)}`).not.toContain('wrong-pass');
      expect(gw.count).toBe(0);
    });
  });

  describe('presets', () => {
    it('clickatell: the platform HTTP API, GET with apiKey, number without +, content; success is 202 with accepted', async () => {
      expect(resolveHttpConfig({ preset: 'clickatell', parameters: { apiKey: 'k' }, checkTls: true, timeoutMs: 3000 } as HttpEntry).url).toBe(
        'https://platform.clickatell.com/messages/http/send',
      );
      const p = make({ preset: 'clickatell', url: `${gw.url}/messages/http/send`, parameters: { apiKey: PARAM_SECRET } });
      gw.behave({ status: 202, body: '{"messages":[{"apiMessageId":"a1b2","accepted":true,"to":"4915123456789","error":null}],"error":null}' });
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
      const [r] = gw.requests;
      expect(r).toMatchObject({ method: 'GET', path: '/messages/http/send' });
      expect(r.query).toEqual({ apiKey: PARAM_SECRET, to: '4915123456789', content: msg().text });

      gw.behave({ status: 202, body: '{"messages":[{"apiMessageId":"","accepted":false,"to":"4915123456789","error":"Invalid destination"}]}' });
      expect(await sendError(p)).toMatchObject({ verdict: 'failover', vendorCode: 'returnSuccess' });
      gw.behave({ status: 200, body: '{"accepted":true}' });
      expect(await sendError(p)).toMatchObject({ verdict: 'failover', vendorStatus: 200 });
    });

    it('clickatell: a key set in the entry wins over the preset, options key by key', async () => {
      const p = make({ preset: 'clickatell', url: `${gw.url}/x`, parameters: { apiKey: PARAM_SECRET }, options: { content: 'Code: {code}', from: 'ACME' } });
      gw.behave({ status: 202, body: '"accepted": true' });
      await p.send(msg(), ctx());
      expect(gw.requests[0].query).toEqual({ apiKey: PARAM_SECRET, to: '4915123456789', content: 'Code: 482913', from: 'ACME' });
    });

    it('gtx: GET with user, pass, number without +, text; success is "200 OK" in the answer', async () => {
      expect(resolveHttpConfig({ preset: 'gtx', checkTls: true, timeoutMs: 3000 } as HttpEntry).url).toBe('https://http.gtx-messaging.net/smsc.php');
      const p = make({ preset: 'gtx', url: `${gw.url}/smsc.php`, parameters: { user: 'routing-1', pass: PARAM_SECRET } });
      gw.behave({ status: 200, body: '200 OK 7f3e' });
      await expect(p.send(msg(), ctx())).resolves.toEqual({});
      expect(gw.requests[0]).toMatchObject({ method: 'GET', path: '/smsc.php' });
      expect(gw.requests[0].query).toEqual({ user: 'routing-1', pass: PARAM_SECRET, to: '4915123456789', text: msg().text });
      gw.behave({ status: 200, body: '401 Unauthorized' });
      expect(await sendError(p)).toMatchObject({ verdict: 'failover', vendorCode: 'returnSuccess' });
    });
  });

  it('delivers a FusionAuth request end to end through the relay', async () => {
    const relay = await startTestRelay(
      testConfig({ providers: { gateway: { type: 'http', ...basic(), returnSuccess: 'OK' } }, routes: { otp: { providers: ['gateway'] } } }),
    );
    try {
      const res = await fetch(`${relay.url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(smsBody),
      });
      expect(res.status).toBe(200);
      expect(gw.requests[0].form).toEqual({ to: '+13035551212', text: smsBody.textMessage });
    } finally {
      await relay.close();
    }
  });
});
