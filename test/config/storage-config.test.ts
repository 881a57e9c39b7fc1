import { parseConfigText, validateConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import { scrub } from '../../src/redact';
import { loaded, testConfig } from '../kit/relay-harness';

function problemsOf(storage: unknown): string[] {
  try {
    validateConfig(testConfig({ storage }));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('storage configuration', () => {
  it('accepts postgres:// and postgresql:// urls, with a pool of 10 unless told otherwise', () => {
    const a = validateConfig(testConfig({ storage: { url: 'postgres://relay:pw@db.internal:5432/relay' } }));
    expect(a.storage).toEqual({ url: 'postgres://relay:pw@db.internal:5432/relay', poolSize: 10, previousEncryptionKeys: [] });
    const b = validateConfig(testConfig({ storage: { url: 'postgresql://relay@db/relay?sslmode=verify-full', poolSize: 25 } }));
    expect(b.storage.poolSize).toBe(25);
  });

  it('defaults to the SQLite file when storage is left out', () => {
    const { storage: _omit, ...raw } = testConfig();
    expect(validateConfig(raw).storage).toEqual({ url: 'sqlite:data/relay.db', poolSize: 10, previousEncryptionKeys: [] });
  });

  it.each([
    ['mysql://relay@db/relay', 'storage.url'],
    ['sqlite:', 'storage.url'],
    ['postgres//missing-colon', 'storage.url'],
    ['postgres://[broken', 'storage.url'],
  ])('refuses %s, naming %s', (url, path) => {
    const problems = problemsOf({ url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${path.replace('.', '\\.')}: must be sqlite:PATH`));
  });

  it('refuses a pool of zero and an unknown storage key', () => {
    expect(problemsOf({ url: 'postgres://db/relay', poolSize: 0 })[0]).toMatch(/^storage\.poolSize:/);
    expect(problemsOf({ url: 'postgres://db/relay', pool: 5 })[0]).toMatch(/^storage: .*pool/);
  });

  it('treats a password written into the url as a secret, raw and percent-decoded', () => {
    const l = loaded(testConfig({ storage: { url: 'postgres://relay:p%40ss-w0rd-Secret@db:5432/relay' } }));
    expect(l.secrets).toEqual(expect.arrayContaining(['p%40ss-w0rd-Secret', 'p@ss-w0rd-Secret']));
    expect(scrub('auth failed for p@ss-w0rd-Secret', l.secrets)).toBe('auth failed for [redacted]');
  });

  it('treats a password that arrives through ${…} as a secret too', () => {
    const yaml = [
      'server: { port: 0, tls: false }',
      'storage: { url: "postgres://relay:${DB_PASSWORD}@db:5432/relay" }',
      'endpoints: [{ path: /sms, auth: { none: true }, route: r }]',
      'routes: { r: { providers: [p] } }',
      'providers: { p: { type: log, print: none } }',
    ].join('\n');
    const l = parseConfigText(yaml, { DB_PASSWORD: 'from-the-environment-42' }, process.cwd());
    expect(l.config.storage.url).toBe('postgres://relay:from-the-environment-42@db:5432/relay');
    expect(l.secrets).toContain('from-the-environment-42');
  });
});
