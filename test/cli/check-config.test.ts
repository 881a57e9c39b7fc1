import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCli } from '../kit/processes';
import { SINK_PASSWORD, SINK_USER, startSmtpSink, type SmtpSink } from '../kit/servers/smtp-sink';

/** JSON is YAML, so the PEM of the sink's certificate travels without quoting trouble. */
async function configFile(providers: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-check-'));
  const file = join(dir, 'relay.yaml');
  await writeFile(
    file,
    JSON.stringify({
      server: { tls: false },
      endpoints: [{ path: '/sms', route: 'r', auth: { none: true } }],
      routes: { r: { providers: Object.keys(providers) } },
      providers,
    }),
  );
  return file;
}

const smtpAt = (sink: SmtpSink, port = sink.port) => ({
  type: 'smtp',
  host: sink.host,
  port,
  ca: sink.cert,
  username: SINK_USER,
  password: SINK_PASSWORD,
  from: 'relay@example.com',
  mailTo: '{phone}@sms.example.com',
});

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(() => sink.close());

describe('messenger-relay check-config', () => {
  it('builds every provider, so a script that does not exist is reported with the others, exit 2', async () => {
    const file = await configFile({
      run: { type: 'script', directory: tmpdir(), script: 'no-such-script.sh' },
      mail: { type: 'smtp', host: '127.0.0.1', port: 25, from: 'relay@example.com', mailTo: '{phone}@sms.example.com', ca: '/nonexistent/ca.pem' },
    });
    const p = runCli(['check-config', file]);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('providers.run.script');
    expect(p.stderr()).toContain('providers.mail');
  });

  it('with --verify, logs in to a reachable SMTP relay and says so', async () => {
    const file = await configFile({ mail: smtpAt(sink) });
    const p = runCli(['check-config', file, '--verify']);
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('mail (smtp): reachable');
    expect(sink.authAttempts.some((a) => a.ok)).toBe(true);
    expect(p.stderr()).not.toContain(SINK_PASSWORD);
  });

  it('with --verify, exits 1 and names the provider that cannot be reached, without its password', async () => {
    const file = await configFile({ mail: smtpAt(sink, await freePort()), phone: { type: 'log' } });
    const p = runCli(['check-config', file, '--verify']);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/mail \(smtp\): FAILED: .+/);
    expect(p.stderr()).toContain('phone (log): no reachability check for this type');
    expect(p.stderr()).toContain('verification failed for mail');
    expect(p.stderr()).not.toContain(SINK_PASSWORD);
  });
});
