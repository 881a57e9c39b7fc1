import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfigText } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';

const PASSWORD = 'a-password-of-24-chars!!';

const valid = `
server:
  port: 8443
  tls: { cert: certs/server.crt, key: certs/server.key }
endpoints:
  - path: /fusionauth/sms
    auth:
      basic: { username: fusionauth, password: "${PASSWORD}" }
    route: otp
routes:
  otp: { providers: [phone], deadlineMs: 1500 }
providers:
  phone: { type: log, print: none }
`;

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, env, '/etc/relay');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected the configuration to be refused');
}

/** Replaces one line of the valid file, so each case shows exactly what is wrong. */
const withLine = (from: string, to: string) => {
  if (!valid.includes(from)) throw new Error(`fixture has no line ${from}`);
  return valid.replace(from, () => to);
};

describe('configuration', () => {
  it('accepts the documented shape, fills defaults and freezes the result', () => {
    const { config } = parseConfigText(valid, {}, '/etc/relay');
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8443, trustProxy: false, bodyLimitBytes: 16384 });
    expect(config.server.tls).toMatchObject({ minVersion: 'TLSv1.2' });
    expect(config.endpoints[0]).toMatchObject({ format: 'fusionauth', testMessage: 'acknowledge', defaultRegion: 'US' });
    expect(config.routes.otp.strategy).toBe('failover');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.endpoints[0].auth)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('expands ${VAR}, ${VAR:-default} and $${ and treats expanded values as secrets', () => {
    const text = withLine(`password: "${PASSWORD}"`, 'password: "${RELAY_PASSWORD}"').replace('/fusionauth/sms', '${EP_PATH:-/fa/sms}');
    const { config, secrets } = parseConfigText(text, { RELAY_PASSWORD: 'from-the-environment-123' }, '/etc/relay');
    expect(config.endpoints[0].auth.basic?.password).toBe('from-the-environment-123');
    expect(config.endpoints[0].path).toBe('/fa/sms');
    expect(secrets).toContain('from-the-environment-123');
    const literal = parseConfigText(withLine('print: none', 'print: none, outboxFile: "a$${b}"'), {}, '/');
    expect((literal.config.providers.phone as { outboxFile?: string }).outboxFile).toBe('a${b}');
  });

  it('reads ${file:…} relative to the configuration file, without the trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-config-'));
    await writeFile(join(dir, 'password'), 'secret-from-a-file-1234\n');
    await writeFile(join(dir, 'relay.yaml'), withLine(`password: "${PASSWORD}"`, 'password: "${file:password}"'));
    const { config, secrets, baseDir } = loadConfigFile(join(dir, 'relay.yaml'), {});
    expect(config.endpoints[0].auth.basic?.password).toBe('secret-from-a-file-1234');
    expect(secrets).toContain('secret-from-a-file-1234');
    expect(baseDir).toBe(dir);
  });

  it('lists every problem at once, each with its path', () => {
    const text = valid
      .replace('port: 8443', 'port: 99999')
      .replace('route: otp', 'route: nope')
      .replace('deadlineMs: 1500', 'deadlineMs: 5');
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('server.port'),
        expect.stringContaining('routes.otp.deadlineMs'),
        expect.stringContaining('endpoints[0].route: no route named "nope"'),
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['YAML that does not parse', valid.replace('routes:', 'routes: [unclosed'), 'yaml:'],
    ['a duplicate key', valid.replace('  port: 8443', '  port: 8443\n  port: 9443'), 'yaml:'],
    ['an unknown top-level key', `${valid}\nsurprise: true\n`, 'surprise'],
    ['no server.tls (TLS must be chosen explicitly)', withLine('  tls: { cert: certs/server.crt, key: certs/server.key }', ''), 'server.tls'],
    ['TLS below 1.2', withLine('key: certs/server.key }', 'key: certs/server.key, minVersion: TLSv1.1 }'), 'server.tls'],
    ['a port out of range', withLine('port: 8443', 'port: 70000'), 'server.port'],
    ['an unset environment variable', withLine(`password: "${PASSWORD}"`, 'password: "${NOT_SET}"'), 'NOT_SET'],
    ['an unreadable secret file', withLine(`password: "${PASSWORD}"`, 'password: "${file:/nonexistent/secret}"'), '/nonexistent/secret'],
    ['a malformed reference', withLine(`password: "${PASSWORD}"`, 'password: "${1bad}"'), 'not a variable reference'],
    ['a short Basic password', withLine(`password: "${PASSWORD}"`, 'password: "short"'), 'endpoints[0].auth.basic.password'],
    ['an endpoint without any guard', withLine(`      basic: { username: fusionauth, password: "${PASSWORD}" }`, '      {}'), 'endpoints[0].auth'],
    ['a bad CIDR', withLine(`      basic: { username: fusionauth, password: "${PASSWORD}" }`, '      allowFrom: [10.0.0.0/33]'), 'endpoints[0].auth.allowFrom[0]'],
    ['a bad header name', withLine(`      basic: { username: fusionauth, password: "${PASSWORD}" }`, '      headers: { "X Bad": ["0123456789abcdef0"] }'), 'endpoints[0].auth.headers'],
    ['a short header secret', withLine(`      basic: { username: fusionauth, password: "${PASSWORD}" }`, '      headers: { X-Relay-Key: ["short"] }'), 'endpoints[0].auth.headers'],
    ['clientCert without server.tls.clientCa', withLine(`      basic: { username: fusionauth, password: "${PASSWORD}" }`, '      clientCert: {}'), 'endpoints[0].auth.clientCert'],
    ['a reserved path', withLine('- path: /fusionauth/sms', '- path: /admin/sms'), 'endpoints[0].path'],
    ['a path with a query', withLine('- path: /fusionauth/sms', '- path: /sms?x=1'), 'endpoints[0].path'],
    ['an unknown format', withLine('    route: otp', '    route: otp\n    format: kafka'), 'endpoints[0].format'],
    ['an unknown route', withLine('    route: otp', '    route: missing'), 'endpoints[0].route'],
    ['UK for GB as the default region', withLine('    route: otp', '    route: otp\n    defaultRegion: UK'), 'endpoints[0].defaultRegion'],
    ['a test phone number that is not a number', withLine('    route: otp', '    route: otp\n    testPhoneNumber: "555-0000"'), 'endpoints[0].testPhoneNumber'],
    ['testMessage deliver without a number', withLine('    route: otp', '    route: otp\n    testMessage: deliver'), 'endpoints[0].testPhoneNumber'],
    ['a route naming an unknown provider', withLine('providers: [phone]', 'providers: [phone, ghost]'), 'routes.otp.providers[1]'],
    ['a route without providers', withLine('providers: [phone]', 'providers: []'), 'routes.otp.providers'],
    ['an unknown provider type', withLine('type: log, print: none', 'type: pigeon'), 'providers.phone'],
    ['an unknown provider key', withLine('print: none', 'print: none, colour: red'), 'providers.phone'],
    ['a short admin token', `${valid}\nadmin: { token: short }\n`, 'admin.token'],
  ])('refuses %s, naming where', (_what, text, where) => {
    expect(problemsOf(text).join('\n')).toContain(where);
  });

  it('refuses a duplicate endpoint path', () => {
    const text = valid.replace(
      '    route: otp\n',
      `    route: otp\n  - path: /fusionauth/sms\n    auth: { basic: { username: u, password: "${PASSWORD}" } }\n    route: otp\n`,
    );
    expect(problemsOf(text).join('\n')).toContain('endpoints[1].path: duplicate path /fusionauth/sms');
  });

  it('says which file it could not read', () => {
    expect(() => loadConfigFile('/nonexistent/relay.yaml', {})).toThrow(/cannot read \/nonexistent\/relay.yaml/);
  });
});
