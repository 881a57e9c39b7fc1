import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../../../src/message';
import type { Provider } from '../../../src/providers/provider';
import { smtpProvider } from '../../../src/providers/smtp/smtp-provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { SINK_PASSWORD, SINK_USER, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../../kit/servers/smtp-sink';

const configFor = (sink: SmtpSink): Record<string, unknown> => ({
  host: sink.host,
  port: sink.port,
  ca: sink.cert,
  ...(sink.user ? { username: sink.user, password: sink.pass } : {}),
  from: 'relay@example.com',
  mailTo: '{phone}@sms.example.com',
  timeoutMs: 5000,
});

describeProviderConformance({
  definition: smtpProvider,
  async startPeer() {
    const sink = await startSmtpSink();
    return {
      config: configFor(sink),
      behave: sink.behave,
      received: () => sink.messages.map((m) => ({ to: m.envelope.to[0], text: m.text })),
      close: sink.close,
    };
  },
  invalidConfigs: [
    { name: 'a missing mailTo', patch: { mailTo: undefined }, path: 'mailTo' },
    { name: 'a mailTo with two recipients', patch: { mailTo: '{phone}@sms.example.com, spy@example.net' }, path: 'mailTo' },
    { name: 'a mailTo with a mistyped tag', patch: { mailTo: '{phon}@sms.example.com' }, path: 'mailTo' },
    { name: 'a regexp that leaves no valid address', patch: { regexp: '/^\\+1/ /' }, path: 'mailTo' },
    { name: 'a subject over two lines', patch: { subject: 'OTP\r\nBcc: spy@example.net' }, path: 'subject' },
    { name: 'a regexp that does not compile', patch: { regexp: '/+/00/' }, path: 'regexp' },
    { name: 'a username without a password', patch: { password: undefined }, path: 'password' },
    { name: 'credentials without TLS', patch: { requireTls: false }, path: 'requireTls' },
    { name: 'a sender that is not one address', patch: { from: 'a@example.com, b@example.com' }, path: 'from' },
    { name: 'a port out of range', patch: { port: 70000 }, path: 'port' },
  ],
  verdicts: { reject: 'failover', fail: 'retryable', reset: 'retryable', hang: 'failover' },
});

describe('smtp provider', () => {
  const logs = captureLogs('trace');
  const store = new SqliteStore(':memory:');
  const open: { close(): Promise<void> }[] = [];

  async function sinkAndProvider(patch: Record<string, unknown> = {}, sinkOpts: SmtpSinkOptions = {}): Promise<{ sink: SmtpSink; provider: Provider }> {
    const sink = await startSmtpSink(sinkOpts);
    open.push(sink);
    const entry = { ...configFor(sink), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete entry[k];
    const provider = smtpProvider.create(parseProviderConfig(smtpProvider, entry) as never, { logger: logs.logger, store, baseDir: process.cwd() });
    open.push({ close: async () => provider.close?.() });
    return { sink, provider };
  }

  const send = (provider: Provider, message: Message = conformanceMessage()) =>
    provider.send(message, { signal: AbortSignal.timeout(5000), deliveryId: 'd-1' });

  const failure = providerFailure;

  afterAll(async () => {
    for (const o of open.reverse()) await o.close();
    await store.close();
  });

  it("uses privacyIDEA's defaults: subject {phone}, body {otp} (the whole text), recipient from mailTo", async () => {
    const { sink, provider } = await sinkAndProvider();
    const result = await send(provider);
    const [mail] = sink.messages;
    expect(mail.envelope).toEqual({ from: 'relay@example.com', to: ['+13035551212@sms.example.com'] });
    expect(mail.header('to')).toBe('+13035551212@sms.example.com');
    expect(mail.subject).toBe('+13035551212');
    expect(mail.text).toBe('Your code is 482913. It expires in 5 minutes.');
    expect(result.providerMessageId).toBe('sink-1');
  });

  it('fills the number after regexp and {code}, {message}, {otp} in recipient, subject and body', async () => {
    const { sink, provider } = await sinkAndProvider({
      regexp: '/^\\+//',
      subject: 'OTP {code} for {phone}',
      body: 'Code {code}. Full text: {message} / {otp}',
    });
    await send(provider);
    const [mail] = sink.messages;
    expect(mail.envelope.to).toEqual(['13035551212@sms.example.com']);
    expect(mail.subject).toBe('OTP 482913 for 13035551212');
    const text = 'Your code is 482913. It expires in 5 minutes.';
    expect(mail.text).toBe(`Code 482913. Full text: ${text} / ${text}`);
  });

  it('requires STARTTLS by default and really uses it: the session is encrypted when the message arrives', async () => {
    const { sink, provider } = await sinkAndProvider();
    await send(provider);
    expect(sink.messages[0].secure).toBe(true);
    expect(sink.authAttempts).toEqual([{ method: expect.any(String), username: SINK_USER, ok: true, secure: true }]);
  });

  it('refuses to send when the server offers no STARTTLS, before any password crosses the wire', async () => {
    const { sink, provider } = await sinkAndProvider({}, { starttls: false });
    const err = await failure(send(provider));
    expect(err.verdict).toBe('failover');
    expect(err.vendorCode).toBe('ETLS');
    expect(sink.authAttempts).toEqual([]);
    expect(sink.messages).toEqual([]);
  });

  it('speaks implicit TLS with secure: true', async () => {
    const { sink, provider } = await sinkAndProvider({ secure: true }, { implicitTls: true });
    await send(provider);
    expect(sink.messages[0].secure).toBe(true);
  });

  it('checks the certificate: a self-signed relay needs its ca, or checkTls: false', async () => {
    const { sink, provider } = await sinkAndProvider({ ca: undefined });
    const err = await failure(send(provider));
    expect(err.verdict).toBe('failover');
    expect(sink.messages).toEqual([]);

    const relaxed = await sinkAndProvider({ ca: undefined, checkTls: false });
    await send(relaxed.provider);
    expect(relaxed.sink.messages).toHaveLength(1);
  });

  it('authenticates as the configured user, and reports a refused login as 535 without the password', async () => {
    const { sink, provider } = await sinkAndProvider();
    await send(provider);
    expect(sink.messages[0].user).toBe(SINK_USER);

    const wrong = await sinkAndProvider({ password: 'not-the-password-at-all' });
    const err = await failure(send(wrong.provider));
    expect(err).toMatchObject({ verdict: 'failover', vendorStatus: 535, vendorCode: 'EAUTH' });
    expect(`${err.message} ${err.vendorMessage}`).not.toContain('not-the-password-at-all');
    expect(`${err.message} ${err.vendorMessage}`).not.toContain(SINK_PASSWORD);
    expect(wrong.sink.messages).toEqual([]);
  });

  it('keeps the pooled connection: two sends authenticate once', async () => {
    const { sink, provider } = await sinkAndProvider();
    await send(provider);
    await send(provider);
    expect(sink.messages).toHaveLength(2);
    expect(sink.authAttempts).toHaveLength(1);
  });

  it('does not send a mail whose {code} it cannot fill', async () => {
    const { sink, provider } = await sinkAndProvider({ subject: 'Code {code}' });
    const err = await failure(send(provider, { ...conformanceMessage(), code: undefined, text: 'Sign-in link: https://example.com/x' }));
    expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'no_code' });
    expect(sink.messages).toEqual([]);
  });

  it('a CR/LF in the text cannot add a header or a recipient', async () => {
    const { sink, provider } = await sinkAndProvider({ subject: '{otp}' });
    const hostile = { ...conformanceMessage(), text: 'Code 482913\r\nBcc: spy@example.net\r\nX-Injected: yes\n\nbody' };
    await send(provider, hostile);
    const [mail] = sink.messages;
    expect(mail.envelope.to).toEqual(['+13035551212@sms.example.com']);
    expect(mail.header('bcc')).toBeUndefined();
    expect(mail.header('x-injected')).toBeUndefined();
    expect(mail.subject).toBe('Code 482913 Bcc: spy@example.net X-Injected: yes body');
    expect(mail.text.replace(/\r\n/g, '\n')).toBe('Code 482913\nBcc: spy@example.net\nX-Injected: yes\n\nbody');
  });

  it('delivers non-ASCII text intact in subject and body', async () => {
    const { sink, provider } = await sinkAndProvider({ subject: '{otp}' });
    const text = 'Hallöle Smørrebrød — 你好 🔐 Ihr Code: 482913';
    await send(provider, { ...conformanceMessage(), text });
    expect(sink.messages[0].subject).toBe(text);
    expect(sink.messages[0].text).toBe(text);
  });

  it('a 550 for the recipient keeps the code and reply, without the number', async () => {
    const { sink, provider } = await sinkAndProvider({ regexp: '/^\\+//' });
    sink.behave('reject');
    const err = await failure(send(provider));
    expect(err).toMatchObject({ verdict: 'failover', vendorStatus: 550, vendorCode: 'EENVELOPE' });
    expect(err.vendorMessage).toContain('Recipient address rejected');
    expect(`${err.message} ${err.vendorMessage}`).not.toContain('13035551212');
  });

  it('a 451 is retryable, with the SMTP status kept', async () => {
    const { sink, provider } = await sinkAndProvider();
    sink.behave('fail');
    const err = await failure(send(provider));
    expect(err).toMatchObject({ verdict: 'retryable', vendorStatus: 451 });
  });

  it('a refused connection is retryable', async () => {
    const { sink, provider } = await sinkAndProvider();
    await sink.close();
    const err = await failure(send(provider));
    expect(err.verdict).toBe('retryable');
    expect(err.vendorCode).toBe('ECONNREFUSED');
  });

  it('verify() logs in to the relay, and fails on a refused login', async () => {
    const { provider } = await sinkAndProvider();
    await expect(provider.verify!()).resolves.toBeUndefined();
    const wrong = await sinkAndProvider({ password: 'not-the-password-at-all' });
    await expect(wrong.provider.verify!()).rejects.toMatchObject({ verdict: 'failover', vendorStatus: 535 });
  });

  it('refuses to send once closed', async () => {
    const { sink, provider } = await sinkAndProvider();
    await provider.close!();
    const err = await failure(send(provider));
    expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'closed' });
    expect(sink.messages).toEqual([]);
  });

  it('reads ca from a file relative to the configuration directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-smtp-'));
    const sink = await startSmtpSink();
    open.push(sink);
    await writeFile(join(dir, 'relay-ca.pem'), sink.cert);
    const config = parseProviderConfig(smtpProvider, { ...configFor(sink), ca: 'relay-ca.pem' });
    const provider = smtpProvider.create(config as never, { logger: logs.logger, store, baseDir: dir });
    await send(provider);
    await provider.close!();
    expect(sink.messages).toHaveLength(1);
    expect(() => smtpProvider.create(config as never, { logger: logs.logger, store, baseDir: tmpdir() })).toThrow(/providers\.vendor\.ca: cannot read/);
    await rm(dir, { recursive: true, force: true });
  });

  it('never logs the number, the recipient address, the text or the password', () => {
    const text = logs.text();
    // Read after the cases above: their sends must be in the log, or this would pass on an empty one.
    expect(text).toContain('SMTP relay accepted the message');
    expect(text).not.toContain('13035551212');
    expect(text).not.toContain('482913');
    expect(text).not.toContain(SINK_PASSWORD);
  });
});
