import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../src/errors';
import { collectSecrets, validateConfig } from '../../src/config/load-config';
import { testConfig } from '../kit/relay-harness';

function problems(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

/** The harness's configuration without its test-only switches, so the product's defaults show. */
const bare = (over: Record<string, unknown> = {}) => {
  const raw = testConfig();
  delete raw.limits;
  delete raw.dedupe;
  return { ...raw, ...over };
};

describe('configuration of limits, dedupe, async routes, breakers, metrics and the outbox key', () => {
  it('has the documented defaults', () => {
    const c = validateConfig(bare());
    expect(c.limits).toEqual({
      perPhone: { max: 5, windowSeconds: 600 },
      perPrefix: { max: 20, windowSeconds: 3600, dropDigits: 3 },
      failedAuth: { max: 10, windowSeconds: 600, blockSeconds: 900 },
      countries: {},
      numberTypes: { sms: ['PREMIUM_RATE', 'SHARED_COST'], voice: ['PREMIUM_RATE', 'SHARED_COST'], whenUnsure: 'allow' },
      exempt: [],
    });
    expect(c.dedupe).toEqual({ windowSeconds: 60 });
    expect(c.breaker).toEqual({ failures: 5, cooldownSeconds: 30 });
    expect(c.metrics).toEqual({ host: '127.0.0.1' });
    expect(c.routes.otp).toMatchObject({ delivery: 'sync', async: { maxAttempts: 8, maxAgeSeconds: 300, backoff: { initialMs: 1000, maxMs: 30_000 } } });
    expect(c.storage).toEqual({ url: 'sqlite::memory:', poolSize: 10, previousEncryptionKeys: [] });
  });

  it.each([
    ['an unknown number type', { limits: { numberTypes: { sms: ['PREMIUM'] } } }, 'limits.numberTypes.sms[0]'],
    ['a lower-case country', { limits: { countries: { allow: ['us'] } } }, 'limits.countries.allow[0]'],
    ['UK for GB in a deny list, which would never match', { limits: { countries: { deny: ['UK'] } } }, 'limits.countries.deny[0]'],
    ['an exempt entry that is not a prefix', { limits: { exempt: ['1555'] } }, 'limits.exempt[0]'],
    ['dropping too many digits', { limits: { perPrefix: { max: 5, windowSeconds: 60, dropDigits: 9 } } }, 'limits.perPrefix'],
    ['a zero country budget', { limits: { perCountry: { maxPerDay: 10, countries: { US: 0 } } } }, 'limits.perCountry.countries.US'],
    ['a negative dedupe window', { dedupe: { windowSeconds: -1 } }, 'dedupe.windowSeconds'],
    ['a short metrics token', { metrics: { token: 'short' } }, 'metrics.token'],
    ['a zero breaker threshold', { breaker: { failures: 0 } }, 'breaker.failures'],
    ['an encryption key of the wrong length', { storage: { url: 'sqlite::memory:', encryptionKey: randomBytes(16).toString('base64') } }, 'storage.encryptionKey'],
    ['an unknown delivery mode', { routes: { otp: { providers: ['phone'], delivery: 'later' } } }, 'routes.otp.delivery'],
    ['backoff max below initial', { routes: { otp: { providers: ['phone'], async: { backoff: { initialMs: 500, maxMs: 100 } } } } }, 'routes.otp.async.backoff'],
    ['a maxAge inside the deadline', { routes: { otp: { providers: ['phone'], delivery: 'async', deadlineMs: 5000, async: { maxAgeSeconds: 5 } } } }, 'routes.otp.async.maxAgeSeconds'],
    ['a provider breaker override of the wrong type', { providers: { phone: { type: 'log', breaker: { failures: 'many' } } } }, 'providers.phone'],
  ])('refuses %s, naming the key', (_name, over, path) => {
    expect(problems(bare(over)).join('\n')).toContain(path);
  });

  it('takes a per-provider breaker override, or false', () => {
    const c = validateConfig(bare({ providers: { phone: { type: 'log', breaker: false }, other: { type: 'log', breaker: { failures: 2 } } } }));
    expect((c.providers.phone as { breaker?: unknown }).breaker).toBe(false);
    expect((c.providers.other as { breaker?: unknown }).breaker).toEqual({ failures: 2 });
  });

  it('treats the outbox keys and the metrics token as secrets', () => {
    const key = randomBytes(32).toString('base64');
    const old = randomBytes(32).toString('base64');
    const c = validateConfig(bare({ storage: { url: 'sqlite::memory:', encryptionKey: key, previousEncryptionKeys: [old] }, metrics: { token: 'metrics-token-0123456789' } }));
    expect(collectSecrets(c)).toEqual(expect.arrayContaining([key, old, 'metrics-token-0123456789']));
  });
});
