import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext, Running } from '../../src/cli/command';
import { deviceCommand } from '../../src/cli/device-command';
import { mockFcmCommand } from '../../src/cli/mock-fcm-command';
import { startRelay, type RunningRelay } from '../../src/server';
import { captureLogs } from '../kit/log-capture';
import { freePort } from '../kit/processes';
import { ADMIN_TOKEN, fusionAuthSms, USER_ID } from '../kit/push-rig';
import { basicHeader, loaded, LIMITS_OFF } from '../kit/relay-harness';

/** The README's local push flow, command by command: mock-fcm → keys → register → message → decrypt → redeem → opt out. */
describe('mock-fcm and device commands', () => {
  let dir: string;
  let mock: Running | void;
  let relay: RunningRelay;
  let mockUrl: string;
  const said: string[] = [];
  const outs: string[] = [];
  const ctx = (): CliContext => ({ env: { RELAY_ADMIN_TOKEN: ADMIN_TOKEN }, cwd: dir, say: (t) => said.push(t), out: (t) => outs.push(t) });
  const send = () =>
    fetch(`${relay.url}/fusionauth/sms`, { method: 'POST', headers: { authorization: basicHeader(), 'content-type': 'application/json' }, body: JSON.stringify(fusionAuthSms()) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-cli-'));
    mock = await mockFcmCommand.run(['--port', '0', '--write-service-account', 'fcm-sa.json'], ctx());
    mockUrl = /mock FCM listening on (\S+)/.exec(said.join('\n'))![1];
    const port = await freePort();
    const config = {
      server: { host: '127.0.0.1', port, tls: false },
      storage: { url: 'sqlite:data/relay.db' },
      admin: { token: ADMIN_TOKEN },
      endpoints: [{ path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'otp' }],
      routes: { otp: { providers: ['push', 'phone'] } },
      providers: {
        push: { type: 'fcm', serviceAccountJson: 'fcm-sa.json', endpointBaseUrl: mockUrl, redeemUrl: `http://127.0.0.1:${port}/redeem`, notification: { title: 'Sign-in code' }, timeoutMs: 5000 },
        phone: { type: 'log', print: 'none', outboxFile: 'data/outbox.jsonl' },
      },
      ...LIMITS_OFF,
    };
    relay = await startRelay(loaded(config, dir), captureLogs().logger, { host: '127.0.0.1', port });
  });

  afterAll(async () => {
    await relay?.close();
    await mock?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('mock-fcm writes a service account (0600) whose token_uri points at itself', async () => {
    const path = join(dir, 'fcm-sa.json');
    const sa = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    expect(sa).toMatchObject({ type: 'service_account', project_id: 'demo-project', token_uri: `${mockUrl}/token` });
    expect(sa.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('device keys saves private keys 0600 and prints only public ones', async () => {
    outs.length = 0;
    await deviceCommand.run(['keys', '--type', 'x25519', '--out', 'phone'], ctx());
    for (const f of ['encryption-key.json', 'signature-key.json']) expect((await stat(join(dir, 'phone', f))).mode & 0o777).toBe(0o600);
    const printed = JSON.parse(outs.join('')) as { signatureKey: Record<string, string>; encryptionKey: Record<string, string> };
    expect(printed.encryptionKey).toMatchObject({ kty: 'OKP', crv: 'X25519' });
    expect(printed.signatureKey).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(printed.encryptionKey.d).toBeUndefined();
    expect(printed.signatureKey.d).toBeUndefined();
  });

  it('register, a FusionAuth message, decrypt --mock --redeem: the code arrives once', async () => {
    await deviceCommand.run(['register', '--relay', relay.url, '--keys', 'phone', '--target', 'fcm-token-cli-0123456789', '--user-id', USER_ID, '--device-id', 'pixel-8a'], ctx());
    expect(said.join('\n')).toMatch(/Registered dispatch target [0-9a-f-]{36}/);
    expect((await relay.store.targets.list({ userId: USER_ID })).map((t) => t.deviceId)).toEqual(['pixel-8a']);
    expect((await send()).status).toBe(200);
    outs.length = 0;
    await deviceCommand.run(['decrypt', '--keys', 'phone', '--mock', mockUrl, '--redeem'], ctx());
    const [decrypted, redeemed] = outs.map((o) => JSON.parse(o) as Record<string, Record<string, unknown>>);
    expect(decrypted.header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256CBC-HS512' });
    expect(decrypted.plaintext).toMatchObject({ code: '482913', redeem_url: `${relay.url}/redeem` });
    expect(redeemed).toMatchObject({ code: '482913', text: 'Two Factor Code: 482913' });
    await expect(deviceCommand.run(['redeem', '--url', `${relay.url}/redeem`, '--token', decrypted.plaintext.token as string], ctx())).rejects.toThrow(/answered 404/);
  });

  it('patch --opt-out: the next message goes to SMS', async () => {
    await deviceCommand.run(['patch', '--keys', 'phone', '--opt-out'], ctx());
    expect((await send()).status).toBe(200);
    const outbox = await readFile(join(dir, 'data', 'outbox.jsonl'), 'utf8');
    expect(outbox.trim().split('\n')).toHaveLength(1);
    expect(outbox).toContain('482913');
  });

  it('refuses an unknown subcommand or key type with a usage error', async () => {
    await expect(deviceCommand.run(['fly'], ctx())).rejects.toThrow(/unknown subcommand/);
    await expect(deviceCommand.run(['keys', '--type', 'dsa', '--out', 'x'], ctx())).rejects.toThrow(/--type must be one of/);
  });
});
