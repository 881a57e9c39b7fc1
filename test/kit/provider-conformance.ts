import { validateConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import type { Message } from '../../src/message';
import { ProviderError, type Provider, type ProviderDefinition, type SendResult, type Verdict } from '../../src/providers/provider';
import { secretValues as secretsOf } from '../../src/providers/secret-values';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { Store } from '../../src/store/store';
import { captureLogs } from './log-capture';

/**
 * The suite every provider runs (house style: "every provider passes the shared conformance kit before its own
 * tests"). A vendor's test file starts it with its real local peer, then adds vendor-specific cases:
 *
 *   describeProviderConformance({ definition: smtpProvider, startPeer: startSmtpPeer, verdicts: {...}, invalidConfigs: [...] });
 */

/** How the peer answers from now on. `reject` = the vendor's 4xx, `fail` = its 5xx, `reset` = the connection drops, `hang` = no answer. */
export type PeerMode = 'accept' | 'reject' | 'fail' | 'reset' | 'hang';

export interface ReceivedMessage {
  /** The destination as the vendor saw it (after the provider's own rewriting, e.g. no `+`). */
  to: string;
  /** The text as the vendor saw it, decoded. */
  text: string;
}

export interface ConformancePeer {
  /** Provider configuration (without `type`) that points at this peer. */
  readonly config: Record<string, unknown>;
  behave(mode: PeerMode): void;
  /** Messages the peer accepted, oldest first. */
  received(): ReceivedMessage[] | Promise<ReceivedMessage[]>;
  /** Prepares the store the provider is given (e.g. registers the device a push provider needs). */
  seed?(store: Store): Promise<void>;
  close(): Promise<void>;
}

export interface InvalidConfig {
  name: string;
  /** Replaces the valid config's keys (a key set to `undefined` is removed). */
  patch: Record<string, unknown>;
  /** A path under the provider entry that the error must name, e.g. `url` or `auth.password`. */
  path: string;
}

export interface ConformanceSpec {
  definition: ProviderDefinition;
  startPeer(): Promise<ConformancePeer>;
  invalidConfigs: InvalidConfig[];
  /** What each failure mode means for this vendor. */
  verdicts: Record<Exclude<PeerMode, 'accept'>, Verdict>;
  /** Failure modes this vendor's peer cannot produce, each with the reason (a skipped case must say why). */
  notApplicable?: Partial<Record<Exclude<PeerMode, 'accept'>, string>>;
  /** The number the conformance message goes to; default a valid US number. */
  to?: string;
  /** The key of the provider's own time limit on one send, when it is not `timeoutMs` (smpp: `responseTimeoutMs`). */
  ownTimeoutKey?: string;
}

export const conformanceMessage = (to = '+13035551212'): Message => ({
  channel: 'sms',
  to,
  text: 'Your code is 482913. It expires in 5 minutes.',
  code: '482913',
  userId: '7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10',
  test: false,
});

/** The ProviderError a send is expected to fail with; the test fails if it resolves or throws anything else. */
export async function providerFailure(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

const NAME = 'vendor';

/** The provider entry validated exactly as start-up validates it: inside a whole configuration. */
export function parseProviderConfig(definition: ProviderDefinition, entry: Record<string, unknown>): Record<string, unknown> {
  const config = validateConfig({
    server: { port: 0, tls: false },
    endpoints: [{ path: '/sms', auth: { none: true }, route: 'r' }],
    routes: { r: { providers: [NAME] } },
    providers: { [NAME]: { type: definition.type, ...entry } },
  });
  return { ...(config.providers[NAME] as Record<string, unknown>), name: NAME };
}

function patched(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k];
  return out;
}

/** Settles `p` or fails the test after `ms`, so a provider that ignores its signal shows as a failure, not a hung run. */
async function within<T>(ms: number, p: Promise<T>): Promise<{ value?: T; error?: unknown; elapsed: number }> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([p, limit]);
    return { value, elapsed: performance.now() - start };
  } catch (error) {
    if ((error as Error)?.message?.startsWith('did not settle')) throw error;
    return { error, elapsed: performance.now() - start };
  } finally {
    clearTimeout(timer);
  }
}

function secretValues(definition: ProviderDefinition, config: Record<string, unknown>): string[] {
  return secretsOf(definition.secretKeys, config).filter((v) => v.length >= 4);
}

export function describeProviderConformance(spec: ConformanceSpec): void {
  const { definition } = spec;

  describe(`${definition.type} provider: conformance kit`, () => {
    let peer: ConformancePeer;
    let provider: Provider;
    let config: Record<string, unknown>;
    let store: SqliteStore;
    const logs = captureLogs('trace');
    const errors: unknown[] = [];
    const message = conformanceMessage(spec.to);

    const send = (signal: AbortSignal = AbortSignal.timeout(5000)): Promise<SendResult> =>
      provider.send(message, { signal, deliveryId: '00000000-0000-4000-8000-000000000001' });

    beforeAll(async () => {
      peer = await spec.startPeer();
      config = parseProviderConfig(definition, peer.config);
      store = new SqliteStore(':memory:');
      await peer.seed?.(store);
      provider = definition.create(config as never, { logger: logs.logger, store, baseDir: process.cwd() });
    });

    afterAll(async () => {
      await provider?.close?.();
      await peer?.close();
      await store?.close();
    });

    beforeEach(() => peer.behave('accept'));

    it('is registered under its type and accepts its own valid configuration', () => {
      expect(provider.type).toBe(definition.type);
      expect(provider.name).toBe(NAME);
      expect(provider.channels.length).toBeGreaterThan(0);
      for (const c of provider.channels) expect(definition.channels).toContain(c);
    });

    it.each([{ name: 'an unknown key', patch: { surelyNotAKey: 1 }, path: '' }, ...spec.invalidConfigs])(
      'refuses $name at start, naming the key',
      ({ patch, path }) => {
        let problems: string[] = [];
        try {
          parseProviderConfig(definition, patched(peer.config, patch));
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          problems = e.problems;
        }
        expect(problems.length).toBeGreaterThan(0);
        expect(problems.join('\n')).toContain(`providers.${NAME}${path ? `.${path}` : ''}`);
      },
    );

    it('delivers to its peer and says so', async () => {
      const before = (await peer.received()).length;
      const { value, error } = await within(5000, send());
      expect(error).toBeUndefined();
      expect(value).toEqual(expect.any(Object));
      const got = (await peer.received()).slice(before);
      expect(got).toHaveLength(1);
      expect(got[0].to.replace(/\D/g, '')).toContain(message.to.replace(/\D/g, '').slice(-10));
      expect(got[0].text).toContain(message.text);
    });

    const failure = (mode: Exclude<PeerMode, 'accept'>, what: string) => {
      // A vendor whose peer cannot produce this failure says why in its spec; there is nothing to run.
      if (spec.notApplicable?.[mode]) return;
      it(`${what} → ProviderError, verdict ${spec.verdicts[mode]}`, async () => {
        peer.behave(mode);
        const signal = mode === 'hang' ? AbortSignal.timeout(400) : AbortSignal.timeout(5000);
        const { error, elapsed } = await within(mode === 'hang' ? 2500 : 6000, send(signal));
        errors.push(error);
        expect(error).toBeInstanceOf(ProviderError);
        const pe = error as ProviderError;
        expect(pe.provider).toBe(NAME);
        expect(pe.verdict).toBe(spec.verdicts[mode]);
        // What the vendor said is the evidence an operator reads in the delivery log.
        if (mode === 'reject' || mode === 'fail') expect(pe.vendorStatus ?? pe.vendorCode).toBeDefined();
        if (mode === 'hang') expect(elapsed).toBeLessThan(2000);
      });
    };
    failure('reject', "the vendor's 4xx");
    failure('fail', "the vendor's 5xx");
    failure('reset', 'a reset connection');
    failure('hang', 'a peer that never answers, bounded by the signal');

    it('gives up at once when its signal is aborted mid-send', async () => {
      if (spec.notApplicable?.hang) {
        // Without a peer that can hang, abort before sending: the provider must still refuse promptly.
        const { error } = await within(1000, send(AbortSignal.abort()));
        errors.push(error);
        return expect(error).toBeInstanceOf(ProviderError);
      }
      peer.behave('hang');
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 100);
      const { error, elapsed } = await within(2000, send(ctl.signal));
      errors.push(error);
      expect(error).toBeInstanceOf(ProviderError);
      expect(elapsed).toBeLessThan(1500);
    });

    it('keeps secrets and the code out of every error and log line', () => {
      const secrets = secretValues(definition, config);
      const errorText = errors
        .filter(Boolean)
        .map((e) => {
          const pe = e as ProviderError;
          return [pe.message, pe.vendorMessage, pe.vendorCode, JSON.stringify(pe), String(pe.cause ?? '')].join('\n');
        })
        .join('\n');
      const logText = logs.text();
      for (const s of secrets) {
        expect(errorText).not.toContain(s);
        expect(logText).not.toContain(s);
      }
      expect(logText).not.toContain(message.code!);
      expect(logText).not.toContain(message.to);
    });

    // Registered only for a type with a time limit of its own (the log provider waits on no one) and a peer that can hang.
    const ownTimeoutKey = spec.ownTimeoutKey ?? 'timeoutMs';
    const shape = (definition.configSchema as { shape?: Record<string, unknown> }).shape ?? {};
    if (ownTimeoutKey in shape && !spec.notApplicable?.hang) {
      it(`gives up at its own ${ownTimeoutKey} when the peer hangs, whatever time the caller leaves it`, async () => {
        const quick = definition.create({ ...config, [ownTimeoutKey]: 300 } as never, { logger: logs.logger, store, baseDir: process.cwd() });
        try {
          peer.behave('hang');
          const { error, elapsed } = await within(3000, quick.send(message, { signal: AbortSignal.timeout(10_000), deliveryId: '00000000-0000-4000-8000-000000000002' }));
          errors.push(error);
          expect(error).toBeInstanceOf(ProviderError);
          expect(elapsed).toBeLessThan(1500);
        } finally {
          await quick.close?.();
        }
      });
    }

    it('closes twice without harm, after it has sent', async () => {
      const other = definition.create(config as never, { logger: logs.logger, store, baseDir: process.cwd() });
      await other.send(message, { signal: AbortSignal.timeout(5000), deliveryId: '00000000-0000-4000-8000-000000000003' });
      await other.close?.();
      await expect(Promise.resolve(other.close?.())).resolves.toBeUndefined();
    });
  });
}
