import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errors } from 'smpp';
import type { Provider } from '../../../src/providers/provider';
import { smppProvider } from '../../../src/providers/smpp/smpp-provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { selfSigned } from '../../../src/tls/certificates';
import { captureLogs } from '../../kit/log-capture';
import { describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { waitUntil } from '../../kit/wait-until';
import { startSmsc, type SmscOptions } from '../../kit/servers/smsc';

const SYSTEM_ID = 'relay';
const PASSWORD = 'pw-8char';
/** Fast reconnects so a drop in one case does not slow the next; production defaults are 1 s … 30 s. */
const FAST = { reconnect: { initialMs: 50, maxMs: 200 } };

describeProviderConformance({
  definition: smppProvider,
  startPeer: async () => {
    const smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    return Object.assign(smsc, { config: { ...smsc.config, ...FAST } });
  },
  invalidConfigs: [
    { name: 'a password longer than SMPP allows (8), instead of cutting it', patch: { password: 'nine-char' }, path: 'password' },
    { name: 'a missing host', patch: { host: undefined }, path: 'host' },
    { name: 'a missing system id', patch: { systemId: undefined }, path: 'systemId' },
    { name: 'a system id longer than 15', patch: { systemId: 'a-very-long-system-id' }, path: 'systemId' },
    { name: 'a TON that is not a number', patch: { destAddrTon: 'international' }, path: 'destAddrTon' },
    { name: 'an NPI beyond one octet', patch: { sourceAddrNpi: '0x100' }, path: 'sourceAddrNpi' },
    { name: 'a port out of range', patch: { port: 70000 }, path: 'port' },
    { name: 'a reconnect floor above its ceiling', patch: { reconnect: { initialMs: 5000, maxMs: 1000 } }, path: 'reconnect.initialMs' },
    { name: 'a control character in the sender', patch: { sourceAddr: 'ACME\u0000' }, path: 'sourceAddr' },
  ],
  // reject = ESME_RINVDSTADR, fail = ESME_RSYSERR, reset = the SMSC drops the TCP connection, hang = no submit_sm_resp.
  verdicts: { reject: 'permanent', fail: 'failover', reset: 'retryable', hang: 'retryable' },
  ownTimeoutKey: 'responseTimeoutMs',
});

describe('smpp provider', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function setup(overrides: Record<string, unknown> = {}, smscOptions: Partial<SmscOptions> = {}) {
    const smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD, ...smscOptions });
    const logs = captureLogs('debug');
    const store = new SqliteStore(':memory:');
    const config = parseProviderConfig(smppProvider, { ...smsc.config, ...FAST, ...overrides });
    const provider = smppProvider.create(config as never, { logger: logs.logger, store, baseDir: process.cwd() });
    cleanups.push(async () => {
      await provider.close?.();
      await smsc.close();
      await store.close();
    });
    return { smsc, provider, logs };
  }

  const send = (provider: Provider, text: string, signal: AbortSignal = AbortSignal.timeout(5000), to = '+4915123456789') =>
    provider.send({ channel: 'sms', to, text, test: false }, { signal, deliveryId: 'd-1' });

  const failure = providerFailure;

  describe('encoding on the wire', () => {
    it('sends GSM text as data_coding 0 in one part, to the number without its +', async () => {
      const { smsc, provider } = await setup();
      await expect(provider.verify!()).resolves.toBeUndefined();
      const result = await send(provider, 'Your code is 482913');
      const [s] = smsc.submits();
      expect(s).toMatchObject({ dataCoding: 0, esmClass: 0, destination: '4915123456789', text: 'Your code is 482913', udh: [] });
      expect(result.providerMessageId).toBe(s.messageId);
    });

    it('keeps € (GSM extension) and ü (GSM basic) in the 7-bit alphabet', async () => {
      const { smsc, provider } = await setup();
      await send(provider, 'Preis: 5 € für Müller {x}');
      expect(smsc.submits()[0]).toMatchObject({ dataCoding: 0, text: 'Preis: 5 € für Müller {x}' });
    });

    it.each(['Ваш код: 482913 Ж', 'Code 482913 🔐'])('sends %j as UCS-2 (data_coding 8)', async (text) => {
      const { smsc, provider } = await setup();
      await send(provider, text);
      expect(smsc.submits()[0]).toMatchObject({ dataCoding: 8, esmClass: 0, text });
    });

    it('splits a 400-character GSM text into 3 concatenated parts that reassemble exactly', async () => {
      const { smsc, provider } = await setup();
      const text = Array.from({ length: 400 }, (_, i) => 'abcdefghij0123456789'[i % 20]).join('');
      const result = await send(provider, text);
      const parts = smsc.submits();
      expect(parts).toHaveLength(3);
      const ref = parts[0].concat!.ref;
      parts.forEach((p, i) => {
        expect(p.dataCoding).toBe(0);
        expect(p.esmClass & 0x40).toBe(0x40);
        expect(p.udh).toEqual([Buffer.from([0x00, 0x03, ref, 3, i + 1])]);
      });
      expect(parts.map((p) => p.text.length)).toEqual([153, 153, 94]);
      expect(await smsc.received()).toEqual([{ to: '4915123456789', text }]);
      expect(result.providerMessageId).toBe(parts.map((p) => p.messageId).join(','));
    });

    it('never splits a GSM escape pair: an extension character at the boundary moves to the next part', async () => {
      const { smsc, provider } = await setup();
      const text = `${'a'.repeat(152)}€${'b'.repeat(100)}`;
      await send(provider, text);
      const parts = smsc.submits();
      expect(parts.map((p) => p.text)).toEqual(['a'.repeat(152), `€${'b'.repeat(100)}`]);
      expect(await smsc.received()).toEqual([{ to: '4915123456789', text }]);
    });

    it('never splits a surrogate pair in a long UCS-2 text with emoji', async () => {
      const { smsc, provider } = await setup();
      const text = `ЖЖ${'🔐'.repeat(80)} Код 482913`;
      await send(provider, text);
      const parts = smsc.submits();
      expect(parts.length).toBeGreaterThan(1);
      const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/;
      for (const p of parts) {
        expect(p.dataCoding).toBe(8);
        expect(p.text.length).toBeLessThanOrEqual(67);
        expect(p.text).not.toMatch(lone);
      }
      // 2 + 32 × 2 = 66 units: the 33rd emoji would straddle unit 67, so it opens part 2.
      expect(parts[0].text.length).toBe(66);
      expect(await smsc.received()).toEqual([{ to: '4915123456789', text }]);
    });
  });

  it('puts the configured sender, TON/NPI (privacyIDEA-style strings too) and registered_delivery on the wire', async () => {
    const { smsc, provider } = await setup({
      sourceAddr: 'ACME',
      sourceAddrTon: '0x5',
      sourceAddrNpi: '0',
      destAddrTon: 1,
      destAddrNpi: '1',
      registeredDelivery: 1,
    });
    await send(provider, 'hello');
    expect(smsc.submits()[0]).toMatchObject({ source: 'ACME', sourceTon: 5, sourceNpi: 0, destTon: 1, destNpi: 1, registeredDelivery: 1 });
  });

  it("rewrites the destination with privacyIDEA's regexp, and refuses a rule that does not parse", async () => {
    const { smsc, provider } = await setup({ regexp: '/^\\+49/0/', destAddrTon: 2 });
    await send(provider, 'national');
    expect(smsc.submits()[0]).toMatchObject({ destination: '015123456789', destTon: 2 });
    expect(() => parseProviderConfig(smppProvider, { host: '127.0.0.1', systemId: SYSTEM_ID, regexp: '/+/00/' })).toThrow(/providers\.\w+\.regexp/);
  });

  it('refuses a wrong password at bind: the send fails over at once instead of waiting out its signal', async () => {
    const { smsc, provider, logs } = await setup({ password: 'wrong-pw' });
    const started = performance.now();
    const err = await failure(send(provider, 'hello', AbortSignal.timeout(10_000)));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'ESME_RBINDFAIL', vendorStatus: errors.ESME_RBINDFAIL });
    // Later sends, while the session backs off, fail the same way without a new round trip.
    await expect(send(provider, 'again', AbortSignal.timeout(10_000))).rejects.toMatchObject({ vendorCode: 'ESME_RBINDFAIL' });
    await expect(provider.verify!()).rejects.toMatchObject({ vendorCode: 'ESME_RBINDFAIL' });
    expect(smsc.count('submit_sm')).toBe(0);
    expect(logs.text()).toContain('the SMSC refused the bind');
    expect(logs.text()).not.toContain('wrong-pw');
  });

  it('reconnects after the SMSC restarts, and the next send succeeds', async () => {
    const { smsc, provider, logs } = await setup();
    await send(provider, 'before');
    await smsc.stop();
    await waitUntil(() => logs.text().includes('SMPP session lost'), 'the session loss to be logged', 5000);
    // While the SMSC is down a send waits for the rebind only as long as its signal allows.
    const err = await failure(send(provider, 'while down', AbortSignal.timeout(300)));
    expect(err).toMatchObject({ verdict: 'retryable', vendorCode: 'not_bound' });
    await smsc.restart();
    await send(provider, 'after');
    expect(smsc.count('bind_transmitter')).toBe(2);
    expect((await smsc.received()).map((m) => m.text)).toEqual(['before', 'after']);
  });

  it('binds again when the SMSC unbinds the session', async () => {
    const { smsc, provider } = await setup();
    await send(provider, 'one');
    smsc.unbindAll();
    await smsc.waitFor('bind_transmitter', 2);
    await send(provider, 'two');
    expect((await smsc.received()).map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('keeps the session alive with enquire_link, on the same bind', async () => {
    const { smsc, provider } = await setup({ enquireLinkSeconds: 0.2 });
    await smsc.waitFor('enquire_link', 3);
    await send(provider, 'still bound');
    expect(smsc.count('bind_transmitter')).toBe(1);
  });

  it('reconnects when an enquire_link goes unanswered', async () => {
    const { smsc, provider } = await setup({ enquireLinkSeconds: 0.2, responseTimeoutMs: 300 });
    await smsc.waitFor('enquire_link', 1);
    smsc.ignoreEnquireLink(true);
    await smsc.waitFor('bind_transmitter', 2);
    smsc.ignoreEnquireLink(false);
    await send(provider, 'after the silent spell');
    expect((await smsc.received()).map((m) => m.text)).toEqual(['after the silent spell']);
  });

  it('binds again when the SMSC answers a submit with ESME_RINVBNDSTS', async () => {
    const { smsc, provider } = await setup();
    await send(provider, 'one');
    smsc.forgetBinds();
    const err = await failure(send(provider, 'lost state'));
    expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'ESME_RINVBNDSTS' });
    await send(provider, 'two');
    expect(smsc.count('bind_transmitter')).toBe(2);
    expect((await smsc.received()).map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('fails a submit whose response does not come within responseTimeoutMs, then carries on', async () => {
    const { smsc, provider } = await setup({ responseTimeoutMs: 300 });
    await send(provider, 'warm up');
    smsc.behave('hang');
    const started = performance.now();
    const err = await failure(send(provider, 'no answer', AbortSignal.timeout(10_000)));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ verdict: 'retryable', vendorCode: 'response_timeout' });
    smsc.behave('accept');
    await send(provider, 'answered');
    expect(smsc.count('bind_transmitter')).toBe(1);
  });

  it('treats ESME_RTHROTTLED as retryable and keeps the status name', async () => {
    const { smsc, provider } = await setup();
    smsc.failWith(errors.ESME_RTHROTTLED);
    smsc.behave('fail');
    const err = await failure(send(provider, 'hello'));
    expect(err).toMatchObject({ verdict: 'retryable', vendorCode: 'ESME_RTHROTTLED', vendorStatus: 0x58 });
  });

  it('fails a dropped connection as retryable and reconnects for the next send', async () => {
    const { smsc, provider } = await setup();
    smsc.behave('reset');
    const err = await failure(send(provider, 'dropped'));
    expect(err).toMatchObject({ verdict: 'retryable', vendorCode: 'connection_lost' });
    smsc.behave('accept');
    await send(provider, 'after the drop');
    expect(smsc.count('bind_transmitter')).toBe(2);
  });

  it('ignores the late answer to an aborted submit and pairs the next answer with its own submit', async () => {
    const { smsc, provider } = await setup();
    smsc.answerAfter(400);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    await expect(send(provider, 'abandoned', ctl.signal)).rejects.toMatchObject({ verdict: 'retryable', vendorCode: 'aborted' });
    // The abandoned submit's answer arrives while this one waits for its own.
    const result = await send(provider, 'next');
    const [abandoned, next] = smsc.submits();
    expect(abandoned.messageId).not.toBe(next.messageId);
    expect(result.providerMessageId).toBe(next.messageId);
    expect(smsc.count('bind_transmitter')).toBe(1);
  });

  it('unbinds on close, is idempotent, and refuses sends afterwards', async () => {
    const { smsc, provider } = await setup();
    await send(provider, 'hello');
    await provider.close!();
    await provider.close!();
    expect(smsc.count('unbind')).toBe(1);
    await expect(send(provider, 'late')).rejects.toMatchObject({ verdict: 'failover', vendorCode: 'closed' });
  });

  it('refuses a text that would need more than 255 parts', async () => {
    const { smsc, provider } = await setup();
    await expect(send(provider, 'x'.repeat(153 * 255 + 1))).rejects.toMatchObject({ verdict: 'failover', vendorCode: 'message_too_long' });
    expect(smsc.count('submit_sm')).toBe(0);
  });

  describe('over TLS', () => {
    let dir: string;
    let pem: { cert: string; key: string };
    beforeAll(async () => {
      pem = await selfSigned(['127.0.0.1']);
      dir = await mkdtemp(join(tmpdir(), 'relay-smpp-'));
      await writeFile(join(dir, 'ca.pem'), pem.cert);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('delivers when the SMSC certificate is trusted through caFile', async () => {
      const { smsc, provider } = await setup({ tls: { caFile: join(dir, 'ca.pem') } }, { tls: pem });
      await send(provider, 'over tls');
      expect((await smsc.received()).map((m) => m.text)).toEqual(['over tls']);
    });

    it('does not bind to an SMSC whose certificate it cannot verify', async () => {
      const { smsc, provider } = await setup({ tls: true }, { tls: pem });
      const err = await failure(send(provider, 'hello', AbortSignal.timeout(500)));
      expect(err).toMatchObject({ verdict: 'retryable', vendorCode: 'not_bound' });
      expect(smsc.count('bind_transmitter')).toBe(0);
    });
  });
});
