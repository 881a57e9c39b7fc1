import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config';
import { ipAllowed, parseRanges } from '../../src/http/auth-guards';
import { normalizePhone } from '../../src/inbound/phone';

/**
 * docker-compose.yml is validated by `docker-compose config` in .ci/run; this checks what that cannot: that the
 * pieces point at each other. The relay's configuration passes the relay's own validation with the environment
 * compose gives it, FusionAuth's kickstart points its messenger at the relay's endpoint with the same password,
 * the relay's allow-list admits FusionAuth's address, and the relay's push provider reaches the mock FCM and reads
 * the service account the mock writes.
 */
const root = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');

/** The example values, as `docker-compose --env-file deploy/env.example` reads them. */
const exampleEnv: Record<string, string> = Object.fromEntries(
  read('deploy/env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** Compose's interpolation, for the forms the file uses. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    if (env[name]) return env[name];
    if (op === '-') return arg ?? '';
    throw new Error(`${name} is required: ${arg}`);
  });
}

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, unknown> | string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const envOf = (name: string) =>
  Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, interpolate(String(v), exampleEnv)]));

/** The host file behind a path inside a container, through the service's bind mounts. */
function hostPath(service: string, containerPath: string): string {
  for (const v of services[service].volumes ?? []) {
    const [src, dst] = v.split(':');
    if (!src.startsWith('./')) continue;
    if (containerPath === dst || containerPath.startsWith(`${dst}/`)) return posix.join(src, posix.relative(dst, containerPath));
  }
  throw new Error(`${service}: ${containerPath} is not on a bind mount`);
}

/** `volume:path` for a path inside a container that lies on one of the service's named volumes. */
function namedVolumePath(service: string, containerPath: string): string {
  for (const v of services[service].volumes ?? []) {
    const [src, dst] = v.split(':');
    if (src.startsWith('./') || src.startsWith('/')) continue;
    if (containerPath.startsWith(`${dst}/`)) return `${src}:${posix.relative(dst, containerPath)}`;
  }
  throw new Error(`${service}: ${containerPath} is not on a named volume`);
}

const relayConfig = () => {
  const args = services.relay.command!;
  return loadConfigFile(join(root, hostPath('relay', args[args.indexOf('--config') + 1])), envOf('relay')).config;
};

describe('docker-compose.yml', () => {
  it('has the relay, its PostgreSQL and Redis, FusionAuth with its own database, the mock FCM and the SMS sink', () => {
    expect(Object.keys(services).sort()).toEqual(['fusionauth', 'fusionauth-db', 'mock-fcm', 'postgres', 'redis', 'relay', 'sms-sink']);
    expect(services.fusionauth.image).toMatch(/^fusionauth\/fusionauth-app:/);
    expect(services['mock-fcm'].image).toBe(services.relay.image);
    expect(services['mock-fcm'].command?.[0]).toBe('mock-fcm');
  });

  it('mounts only files and folders that exist', () => {
    const mounts = Object.entries(services).flatMap(([name, s]) =>
      (s.volumes ?? []).map((v) => ({ name, src: v.split(':')[0] })).filter((m) => m.src.startsWith('./')),
    );
    // The relay's configuration at least is mounted from the repository; an empty list would check nothing.
    expect(mounts.length).toBeGreaterThan(0);
    for (const { name, src } of mounts) expect({ name, src, exists: existsSync(join(root, src)) }).toEqual({ name, src, exists: true });
  });

  it('names in deploy/env.example every variable it requires', () => {
    const required = [...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect({ name, inExample: name in exampleEnv }).toEqual({ name, inExample: true });
  });

  it('gives the relay a configuration that passes its own validation, on the compose PostgreSQL', () => {
    const args = services.relay.command!;
    const file = hostPath('relay', args[args.indexOf('--config') + 1]);
    const { config, secrets } = loadConfigFile(join(root, file), envOf('relay'));
    const db = new URL(config.storage.url);
    expect(db.protocol).toBe('postgres:');
    expect(services[db.hostname]).toBeDefined();
    expect(secrets).toContain(exampleEnv.RELAY_DB_PASSWORD);
    expect(envOf('postgres').POSTGRES_PASSWORD).toBe(decodeURIComponent(db.password));
    expect(config.server.port).toBe(Number(envOf('relay').RELAY_HEALTHCHECK_PORT));
    // Limits and dedupe shared through the compose Redis, as a scaled-out deployment needs.
    expect(services[new URL(config.redis!.url).hostname]).toBeDefined();
  });

  it('wires the push provider to the mock FCM: its address, its service account, and the ports the phone simulator uses', () => {
    const config = relayConfig();
    const push = Object.values(config.providers).find((p) => p.type === 'fcm') as { serviceAccountJson: string; endpointBaseUrl: string; redeemUrl: string } | undefined;
    expect(push).toBeDefined();
    expect(config.routes.otp.providers[0]).toBe(Object.entries(config.providers).find(([, p]) => p === push)![0]);
    const mock = services['mock-fcm'];
    const args = mock.command!;
    const option = (name: string) => args[args.indexOf(name) + 1];
    // Reachable from the relay's container, by the name the service account gives as token_uri.
    expect(option('--host')).toBe('0.0.0.0');
    const fcm = new URL(push!.endpointBaseUrl);
    expect(services[fcm.hostname]).toBe(mock);
    expect(fcm.port).toBe(option('--port'));
    expect(option('--public-url')).toBe(fcm.origin);
    // The file the mock writes is the one the relay reads, and the relay starts only once it is there.
    expect(namedVolumePath('relay', push!.serviceAccountJson)).toBe(namedVolumePath('mock-fcm', option('--write-service-account')));
    expect((services.relay.depends_on as Record<string, unknown>)['mock-fcm']).toEqual({ condition: 'service_healthy' });
    // The phone simulator on the host reads pushes from the mock and redeems at the relay, through published ports.
    expect(mock.ports).toContain(`127.0.0.1:${fcm.port}:${fcm.port}`);
    expect(services.relay.ports).toContain(`127.0.0.1:${new URL(push!.redeemUrl).port}:${config.server.port}`);
  });

  describe('FusionAuth kickstart', () => {
    const fa = envOf('fusionauth');
    const kickstartFile = hostPath('fusionauth', fa.FUSIONAUTH_APP_KICKSTART_FILE);
    const kickstart = JSON.parse(read(kickstartFile)) as {
      variables: Record<string, string>;
      requests: { method: string; url: string; body: Record<string, Record<string, unknown>> }[];
    };
    const variable = (v: string): string => {
      const m = /^#\{ENV\.([A-Z_]+)\}$/.exec(v);
      if (m) return fa[m[1]];
      const k = /^#\{([A-Za-z]+)\}$/.exec(v);
      return k && kickstart.variables[k[1]] !== undefined ? variable(kickstart.variables[k[1]]) : v;
    };
    const request = (url: RegExp) => kickstart.requests.find((r) => url.test(variable(r.url.replace(/#\{(\w+)\}/, (_, k: string) => kickstart.variables[k] ?? `#{${k}}`))));

    it('reads only environment variables that the compose file gives FusionAuth', () => {
      const used = [...read(kickstartFile).matchAll(/#\{ENV\.([A-Z_]+)\}/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect({ name, set: Boolean(fa[name]) }).toEqual({ name, set: true });
    });

    it('creates a Generic messenger that reaches the relay endpoint with the relay’s Basic credentials', () => {
      const messenger = request(/^\/api\/messenger\//)!.body.messenger;
      expect(messenger.type).toBe('Generic');
      const url = new URL(variable(String(messenger.url)));
      expect(services[url.hostname]).toBe(services.relay);
      const args = services.relay.command!;
      const { config } = loadConfigFile(join(root, hostPath('relay', args[args.indexOf('--config') + 1])), envOf('relay'));
      expect(url.protocol).toBe(config.server.tls === false ? 'http:' : 'https:');
      expect(Number(url.port)).toBe(config.server.port);
      const endpoint = config.endpoints.find((e) => e.path === url.pathname)!;
      expect(endpoint).toBeDefined();
      expect(endpoint.auth.basic).toEqual({
        username: messenger.httpAuthenticationUsername,
        password: variable(String(messenger.httpAuthenticationPassword)),
      });
      // FusionAuth's read timeout must leave room for the route's whole deadline.
      expect(Number(messenger.readTimeout)).toBeGreaterThan(config.routes[endpoint.route].deadlineMs);
      const fusionauthNet = services.fusionauth.networks as Record<string, { ipv4_address?: string }>;
      // The relay's own allow-list check: FusionAuth passes, the Docker host's gateway address does not.
      const ranges = parseRanges(endpoint.auth.allowFrom ?? []);
      expect(ipAllowed(fusionauthNet.relay_net.ipv4_address!, ranges)).toBe(true);
      expect(ipAllowed('172.28.0.1', ranges)).toBe(false);
    });

    it('gives every user a mobilePhone the relay accepts, so a code for them is not answered 400', () => {
      const endpoint = relayConfig().endpoints.find((e) => e.path === '/fusionauth/sms')!;
      const phones = kickstart.requests.map((r) => r.body.user?.mobilePhone).filter((p): p is string => typeof p === 'string');
      expect(phones.length).toBeGreaterThan(0);
      for (const phone of phones) {
        let readable = true;
        try {
          normalizePhone(phone, endpoint.defaultRegion);
        } catch {
          readable = false;
        }
        expect({ phone, readable }).toEqual({ phone, readable: true });
      }
    });

    it('enables SMS MFA on the default tenant with that messenger and an SMS template it creates', () => {
      const patch = request(/^\/api\/tenant\//)!;
      expect(patch.method).toBe('PATCH');
      const sms = (patch.body.tenant.multiFactorConfiguration as { sms: Record<string, string> }).sms;
      expect(sms.enabled).toBe(true);
      expect(variable(sms.messengerId)).toBe(variable('#{messengerId}'));
      const template = request(/^\/api\/message\/template\//)!;
      expect(template.url).toContain(sms.templateId);
      expect(template.body.messageTemplate).toMatchObject({ type: 'SMS' });
      expect(String(template.body.messageTemplate.defaultTemplate)).toContain('${code}');
    });
  });
});
