import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCli } from '../kit/processes';
import { smsBody } from '../kit/relay-harness';

const tmp = () => mkdtemp(join(tmpdir(), 'relay-cli-'));

const broken = `
server: { port: 70000, tls: false }
endpoints:
  - { path: /sms, route: nowhere, auth: { basic: { username: u, password: short } } }
routes: {}
providers: { p: { type: pigeon } }
`;

describe('messenger-relay check-config', () => {
  it('exits 0 and summarises a valid file', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'ok.yaml'), 'server: { tls: false }\nendpoints: [{ path: /sms, route: r, auth: { none: true } }]\nroutes: { r: { providers: [p] } }\nproviders: { p: { type: log } }\n');
    const p = runCli(['check-config', join(dir, 'ok.yaml')]);
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('valid (1 endpoint(s), 1 route(s), 1 provider(s))');
  });

  it('warns, and still exits 0, when a provider that is not last can use the whole route deadline', async () => {
    const dir = await tmp();
    await writeFile(
      join(dir, 'slow.yaml'),
      [
        'server: { tls: false }',
        'endpoints: [{ path: /sms, route: r, auth: { none: true } }]',
        'routes: { r: { providers: [first, second], deadlineMs: 1800 }, quick: { providers: [fast, second] } }',
        'providers:',
        '  first: { type: http, url: "http://127.0.0.1:9/send", options: { to: "{phone}", text: "{message}" } }',
        '  fast: { type: http, url: "http://127.0.0.1:9/send", options: { to: "{phone}", text: "{message}" }, timeoutMs: 800 }',
        '  second: { type: log }',
      ].join('\n'),
    );
    const p = runCli(['check-config', join(dir, 'slow.yaml')]);
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('warning: routes.r: "first" may take the whole 1800 ms deadline (its timeoutMs is 3000)');
    expect(p.stderr()).toContain('set providers.first.timeoutMs below 1800');
    expect(p.stderr()).not.toContain('routes.quick');
  });

  it('warns when allowFrom relies on a hop-count trustProxy, which a direct caller can fool', async () => {
    const dir = await tmp();
    await writeFile(
      join(dir, 'hops.yaml'),
      'server: { tls: false, trustProxy: 1 }\nendpoints: [{ path: /sms, route: r, auth: { allowFrom: [10.0.0.0/8] } }]\nroutes: { r: { providers: [p] } }\nproviders: { p: { type: log } }\n',
    );
    const p = runCli(['check-config', join(dir, 'hops.yaml')]);
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('warning: endpoints[0].auth.allowFrom: server.trustProxy is a hop count');
  });

  it('reads the TLS files: a missing certificate and a key that is not PEM are listed by key, exit 2, by check-config and serve', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'server.key'), 'not a key');
    await writeFile(
      join(dir, 'tls.yaml'),
      'server: { tls: { cert: missing.crt, key: server.key } }\nendpoints: [{ path: /sms, route: r, auth: { none: true } }]\nroutes: { r: { providers: [p] } }\nproviders: { p: { type: log } }\n',
    );
    for (const args of [['check-config', join(dir, 'tls.yaml')], ['serve', '--config', join(dir, 'tls.yaml')]]) {
      const p = runCli(args);
      expect(await p.exited).toBe(2);
      expect(p.stderr()).toContain('server.tls.cert: cannot read missing.crt (ENOENT)');
      expect(p.stderr()).toContain('server.tls.key: server.key is not a PEM private key');
    }
  });

  it('exits 2 and lists every problem with its path', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'bad.yaml'), broken);
    const p = runCli(['check-config', join(dir, 'bad.yaml')]);
    expect(await p.exited).toBe(2);
    for (const path of ['server.port', 'endpoints[0].auth.basic.password', 'providers.p', 'endpoints[0].route: no route named "nowhere"']) expect(p.stderr()).toContain(path);
    expect(p.stderr()).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses to serve an invalid file: exit 2, the list, nothing listening', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'bad.yaml'), broken);
    const p = runCli(['serve', '--config', join(dir, 'bad.yaml')]);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('invalid configuration');
    expect(p.stdout()).not.toContain('listening');
    const viaEnv = runCli([], { env: { RELAY_CONFIG: join(dir, 'bad.yaml') } });
    expect(await viaEnv.exited).toBe(2);
  });

  it('answers an unknown command with the usage and exit 2', async () => {
    const p = runCli(['frobnicate']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('usage: messenger-relay');
  });
});

describe('messenger-relay cert', () => {
  it('makes a CA and a server certificate signed by it, and prints the CA for FusionAuth', async () => {
    const dir = await tmp();
    const p = runCli(['cert', '--dir', dir, '--name', 'relay.internal', '--name', '10.1.2.3']);
    expect(await p.exited).toBe(0);
    const ca = new X509Certificate(await readFile(join(dir, 'ca.crt')));
    const server = new X509Certificate(await readFile(join(dir, 'server.crt')));
    expect(p.stdout().trim()).toBe((await readFile(join(dir, 'ca.crt'), 'utf8')).trim());
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:relay.internal');
    expect(server.subjectAltName).toContain('IP Address:10.1.2.3');
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(((await stat(join(dir, 'server.key'))).mode & 0o777).toString(8)).toBe('600');
    // Run again, it prints the CA already pasted into FusionAuth instead of replacing it unasked.
    const again = runCli(['cert', '--dir', dir]);
    expect(await again.exited).toBe(0);
    expect(again.stdout().trim()).toBe((await readFile(join(dir, 'ca.crt'), 'utf8')).trim());
    expect(again.stderr()).toContain('--force');
    const forced = runCli(['cert', '--dir', dir, '--force']);
    expect(await forced.exited).toBe(0);
    expect(forced.stdout().trim()).not.toBe(p.stdout().trim());
  });
});

describe('the embedded default (npm start on a fresh checkout)', () => {
  it('creates a certificate and a password, serves HTTPS, shows the message, and keeps both across restarts', async () => {
    const dir = await tmp();
    const port = await freePort();
    const first = runCli([], { cwd: dir, env: { PORT: String(port) } });
    await first.waitFor(/Ready: POST FusionAuth messages to https:\/\/localhost:\d+\/fusionauth\/sms/);
    const password = /password: (\S+)/.exec(first.stderr())![1];
    const creds = JSON.parse(await readFile(join(dir, 'data', 'credentials.json'), 'utf8'));
    expect(creds.password).toBe(password);
    expect(((await stat(join(dir, 'data', 'credentials.json'))).mode & 0o777).toString(8)).toBe('600');
    const cert = await readFile(join(dir, 'certs', 'server.crt'), 'utf8');
    const x509 = new X509Certificate(cert);
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');

    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(smsBody);
      const req = request(
        {
          host: 'localhost',
          port,
          method: 'POST',
          path: '/fusionauth/sms',
          ca: cert,
          auth: `fusionauth:${password}`,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    await first.waitFor(/Two Factor Code: 482913/);
    expect(await readFile(join(dir, 'data', 'outbox.jsonl'), 'utf8')).toContain('"code":"482913"');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = runCli([], { cwd: dir, env: { PORT: String(port) } });
    await second.waitFor(/Ready/);
    expect(second.stderr()).not.toContain(password);
    expect(second.stderr()).toContain('password in data/credentials.json');
    expect(await readFile(join(dir, 'certs', 'server.crt'), 'utf8')).toBe(cert);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // The README's next step: a CA for FusionAuth, replacing the self-signed certificate, localhost kept.
    const certs = runCli(['cert', '--name', 'relay.internal'], { cwd: dir });
    expect(await certs.exited).toBe(0);
    const ca = new X509Certificate(await readFile(join(dir, 'certs', 'ca.crt')));
    const signed = new X509Certificate(await readFile(join(dir, 'certs', 'server.crt')));
    expect(signed.verify(ca.publicKey)).toBe(true);
    expect(signed.subjectAltName).toContain('DNS:relay.internal');
    expect(signed.subjectAltName).toContain('DNS:localhost');
  });
});
