import { existsSync, readFileSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConfigError } from '../../../src/errors';
import type { Message } from '../../../src/message';
import type { Provider } from '../../../src/providers/provider';
import { scriptProvider } from '../../../src/providers/script/script-provider';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { captureLogs } from '../../kit/log-capture';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, providerFailure } from '../../kit/provider-conformance';
import { basicHeader, smsBody, startTestRelay, testConfig } from '../../kit/relay-harness';
import { waitUntil } from '../../kit/wait-until';
import { startScriptPeer, type ScriptPeer } from '../../kit/servers/script-peer';

describeProviderConformance({
  definition: scriptProvider,
  async startPeer() {
    const peer = await startScriptPeer();
    return {
      config: { directory: peer.directory, script: peer.script, timeoutMs: 5000 },
      behave: peer.behave,
      received: async () => (await peer.records()).map((r) => ({ to: r.args[0], text: r.stdin })),
      close: peer.close,
    };
  },
  invalidConfigs: [
    { name: 'a script outside its directory (../evil)', patch: { script: '../evil' }, path: 'script' },
    { name: 'a script in a subdirectory (a/b)', patch: { script: 'a/b' }, path: 'script' },
    { name: 'a script name with a backslash', patch: { script: 'a\\b' }, path: 'script' },
    { name: 'a script name that reads as an option (-x)', patch: { script: '-x' }, path: 'script' },
    { name: 'a hidden script name', patch: { script: '.send' }, path: 'script' },
    { name: 'no script', patch: { script: undefined }, path: 'script' },
    { name: 'an unknown background value', patch: { background: 'later' }, path: 'background' },
    { name: 'a regexp that turns the number into an option', patch: { regexp: '/^\\+/-/' }, path: 'regexp' },
    { name: 'an environment variable with an invalid name', patch: { env: { 'NOT-A-NAME': 'x' } }, path: 'env' },
  ],
  verdicts: { reject: 'failover', fail: 'failover', reset: 'failover', hang: 'failover' },
});

/** Dead means gone or a zombie: an orphan waits for whichever reaper the machine has. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('script provider', () => {
  const logs = captureLogs('trace');
  const store = new SqliteStore(':memory:');
  const cleanup: (() => Promise<unknown>)[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const c of cleanup.reverse()) await c();
    await store.close();
  });

  async function peerAndProvider(patch: Record<string, unknown> = {}): Promise<{ peer: ScriptPeer; provider: Provider }> {
    const peer = await startScriptPeer();
    cleanup.push(peer.close);
    const provider = create({ directory: peer.directory, script: peer.script, timeoutMs: 5000, ...patch });
    return { peer, provider };
  }

  function create(entry: Record<string, unknown>, baseDir = process.cwd()): Provider {
    const provider = scriptProvider.create(parseProviderConfig(scriptProvider, entry) as never, { logger: logs.logger, store, baseDir });
    cleanup.push(async () => provider.close?.());
    return provider;
  }

  const send = (provider: Provider, message: Message = conformanceMessage(), signal = AbortSignal.timeout(8000)) =>
    provider.send(message, { signal, deliveryId: 'delivery-1' });

  const failure = providerFailure;

  const problemsOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.join('\n');
      throw e;
    }
    throw new Error('expected a ConfigError');
  };

  describe('refuses at start', () => {
    it('a directory that does not exist, or is a file', async () => {
      const peer = await startScriptPeer();
      cleanup.push(peer.close);
      expect(problemsOf(() => create({ directory: join(peer.directory, 'nope'), script: peer.script }))).toMatch(/providers\.vendor\.directory: .*does not exist/);
      expect(problemsOf(() => create({ directory: join(peer.directory, peer.script), script: peer.script }))).toMatch(/providers\.vendor\.directory: .*is not a directory/);
    });

    it('a script that does not exist, is a directory, or is not executable', async () => {
      const peer = await startScriptPeer();
      cleanup.push(peer.close);
      expect(problemsOf(() => create({ directory: peer.directory, script: 'missing.sh' }))).toMatch(/providers\.vendor\.script: .*missing\.sh does not exist/);
      expect(problemsOf(() => create({ directory: peer.directory, script: 'records' }))).toMatch(/providers\.vendor\.script: .*is not a regular file/);
      await writeFile(join(peer.directory, 'plain.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      expect(problemsOf(() => create({ directory: peer.directory, script: 'plain.sh' }))).toMatch(/providers\.vendor\.script: .*plain\.sh is not executable/);
    });

    it('reads a relative directory from the configuration file’s directory', async () => {
      const peer = await startScriptPeer();
      cleanup.push(peer.close);
      const provider = create({ directory: relative(join(peer.directory, '..'), peer.directory), script: peer.script }, join(peer.directory, '..'));
      await send(provider);
      expect(await peer.records()).toHaveLength(1);
    });
  });

  it('runs the script with argv exactly [number] and stdin exactly the text, in a minimal environment', async () => {
    const { peer, provider } = await peerAndProvider({ env: { GATEWAY_TOKEN: 'token-from-config' } });
    const message = { ...conformanceMessage(), text: 'Line one\nline two, no trailing newline' };
    const result = await send(provider, message);
    const [record] = await peer.records();
    expect(record.args).toEqual(['+13035551212']);
    expect(record.stdin).toBe('Line one\nline two, no trailing newline');
    expect(record.env).toMatchObject({ PATH: expect.any(String), LANG: 'C.UTF-8', RELAY_DELIVERY_ID: 'delivery-1', GATEWAY_TOKEN: 'token-from-config' });
    expect(record.env.JEST_WORKER_ID).toBeUndefined();
    expect(record.env.HOME).toBeUndefined();
    expect(result.providerMessageId).toMatch(/^pid-\d+$/);
  });

  it('passes the number after regexp', async () => {
    const { peer, provider } = await peerAndProvider({ regexp: '/^\\+//' });
    await send(provider);
    expect((await peer.records())[0].args).toEqual(['13035551212']);
  });

  it('a text that looks like options or shell syntax arrives verbatim on stdin and runs nothing', async () => {
    const { peer, provider } = await peerAndProvider();
    const text = '-n --help $(touch pwned1) `touch pwned2`; touch pwned3 | touch pwned4 && rm -rf / 482913';
    await send(provider, { ...conformanceMessage(), text });
    const [record] = await peer.records();
    expect(record.args).toEqual(['+13035551212']);
    expect(record.stdin).toBe(text);
    for (const canary of ['pwned1', 'pwned2', 'pwned3', 'pwned4']) {
      expect(existsSync(join(peer.directory, canary))).toBe(false);
      expect(existsSync(join(process.cwd(), canary))).toBe(false);
    }
  });

  it('refuses a number that is not E.164 before any process runs, as permanent', async () => {
    const { peer, provider } = await peerAndProvider();
    for (const to of ['+1;rm -rf /', '-rf', '+1 303 555 1212', '+13035551212\n']) {
      const err = await failure(send(provider, { ...conformanceMessage(), to }));
      expect(err).toMatchObject({ verdict: 'permanent', vendorCode: 'invalid-number' });
    }
    expect(await peer.records()).toEqual([]);
  });

  it('kills a script that runs past timeoutMs, and the child it started', async () => {
    const { peer, provider } = await peerAndProvider({ timeoutMs: 1000 });
    peer.behave('hang');
    const sent = failure(send(provider));
    const [script, child] = [await peer.pid('script'), await peer.pid('child')];
    const err = await sent;
    expect(err).toMatchObject({ verdict: 'failover', vendorCode: 'timeout' });
    await waitUntil(() => !alive(script) && !alive(child), 'the script and its child to be gone', 5000);
  });

  it('kills the script and its child when the route gives up (its signal aborts)', async () => {
    const { peer, provider } = await peerAndProvider({ timeoutMs: 60_000 });
    peer.behave('hang');
    const ctl = new AbortController();
    const sent = failure(send(provider, conformanceMessage(), ctl.signal));
    const [script, child] = [await peer.pid('script'), await peer.pid('child')];
    ctl.abort();
    expect(await sent).toMatchObject({ verdict: 'failover', vendorCode: 'aborted' });
    await waitUntil(() => !alive(script) && !alive(child), 'the script and its child to be gone', 5000);
  });

  it('keeps the status and stderr of a failing script, retryable for EX_TEMPFAIL (75)', async () => {
    const { peer, provider } = await peerAndProvider();
    peer.behave('reject');
    expect(await failure(send(provider))).toMatchObject({ verdict: 'failover', vendorStatus: 2, vendorCode: 'exit', vendorMessage: 'invalid number' });
    peer.behave('tempfail');
    expect(await failure(send(provider))).toMatchObject({ verdict: 'retryable', vendorStatus: 75, vendorMessage: 'try later' });
    peer.behave('reset');
    expect(await failure(send(provider))).toMatchObject({ verdict: 'failover', vendorCode: 'SIGKILL' });
  });

  it('scrubs the code, text and number from output the script echoes into its error', async () => {
    const { peer, provider } = await peerAndProvider({ regexp: '/^\\+//', env: { GATEWAY_TOKEN: 'token-from-config' } });
    peer.behave('echo');
    const err = await failure(send(provider, { ...conformanceMessage(), text: 'Code 482913 token-from-config' }));
    const shown = [err.message, err.vendorMessage, JSON.stringify(err)].join('\n');
    expect(shown).toContain('error for');
    for (const secret of ['482913', '13035551212', '3035551212', 'token-from-config', 'Code 482913']) expect(shown).not.toContain(secret);
  });

  it('reports a script that vanished after start as a failover with the errno', async () => {
    const { peer, provider } = await peerAndProvider();
    await rm(join(peer.directory, peer.script));
    expect(await failure(send(provider))).toMatchObject({ verdict: 'failover', vendorCode: 'ENOENT' });
    await expect(provider.verify!()).rejects.toMatchObject({ verdict: 'failover' });
  });

  describe('background: true', () => {
    it('answers once the script has started, before it finishes; a later deadline does not kill it; close waits for it', async () => {
      const { peer, provider } = await peerAndProvider({ background: true });
      peer.behave('slow');
      const result = await send(provider, conformanceMessage(), AbortSignal.timeout(200));
      expect(result.providerMessageId).toMatch(/^pid-\d+$/);
      expect(await peer.records()).toEqual([]);
      await provider.close!();
      const [record] = await peer.records();
      expect(record).toMatchObject({ args: ['+13035551212'], stdin: conformanceMessage().text });
    });

    it("accepts privacyIDEA's values background and wait", async () => {
      const { peer, provider } = await peerAndProvider({ background: 'wait' });
      peer.behave('fail');
      await failure(send(provider));
      const bg = create({ directory: peer.directory, script: peer.script, background: 'background' });
      await expect(send(bg)).resolves.toEqual(expect.any(Object));
    });

    it('logs a failure that happens after the answer, without an unhandled rejection', async () => {
      const { peer, provider } = await peerAndProvider({ background: true });
      peer.behave('fail');
      await expect(send(provider)).resolves.toEqual(expect.any(Object));
      await waitUntil(() => logs.text().includes('background script failed after the relay had answered'), 'the late failure to be logged', 5000);
      const line = logs.lines().find((l) => l.includes('background script failed'))!;
      expect(JSON.parse(line)).toMatchObject({ level: 40, vendorStatus: 1, deliveryId: 'delivery-1', to: '+********212' });
      expect(unhandled).toEqual([]);
    });

    it('still refuses a script that cannot start', async () => {
      const { peer, provider } = await peerAndProvider({ background: true });
      await chmod(join(peer.directory, peer.script), 0o644);
      expect(await failure(send(provider))).toMatchObject({ verdict: 'failover', vendorCode: 'EACCES' });
    });
  });

  describe('through the relay (FusionAuth endpoint)', () => {
    let peer: ScriptPeer;
    let relay: Awaited<ReturnType<typeof startTestRelay>>;

    beforeAll(async () => {
      peer = await startScriptPeer();
      relay = await startTestRelay(testConfig({ providers: { phone: { type: 'script', directory: peer.directory, script: peer.script } } }));
    });
    afterAll(async () => {
      await relay.close();
      await peer.close();
    });

    const post = (body: Record<string, unknown>) =>
      fetch(`${relay.url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('answers 400 to a phone number like "+1;rm -rf /" and never runs the script', async () => {
      const res = await post({ ...smsBody, phoneNumber: '+1;rm -rf /' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { generalErrors: { code: string }[] };
      expect(body.generalErrors[0].code).toBe('[invalid]phoneNumber');
      expect(await peer.records()).toEqual([]);
    });

    it('delivers a text starting with - and full of shell syntax verbatim, with no side effect', async () => {
      const textMessage = '--version $(touch pwned) `touch pwned`; touch pwned: 482913';
      const res = await post({ ...smsBody, textMessage });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'delivered' });
      const [record] = await peer.records();
      expect(record).toMatchObject({ args: ['+13035551212'], stdin: textMessage });
      expect(existsSync(join(peer.directory, 'pwned'))).toBe(false);
      expect(relay.logs()).not.toContain('482913');
    });
  });
});
