import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../../test/kit/processes';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { collectSecrets, validateConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/logger';
import { registerDevice } from '../../src/push/device/device-client';
import { generateDeviceKeys, type KeyType } from '../../src/push/device/device-keys';
import { MockFcm } from '../../src/push/mock-fcm/mock-fcm-server';
import { startRelay } from '../../src/server';
import { LIMITS_OFF } from '../../test/kit/relay-harness';
import type { Scenario } from '../scenario';

const SECONDS = Number(process.env.BENCH_PUSH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_PUSH_CONNECTIONS ?? 20);
const USERS = Number(process.env.BENCH_PUSH_USERS ?? 50);
const ADMIN = 'bench-admin-token-0123456789';
const PASSWORD = 'bench-password-0123456789';

/** FusionAuth messages through a real relay (HTTP, SQLite file, fcm provider) to the mock FCM, one device per user. */
async function measure(type: KeyType): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-push-'));
  const mock = await MockFcm.start();
  await writeFile(join(dir, 'sa.json'), JSON.stringify(mock.serviceAccount()));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = validateConfig({
    server: { host: '127.0.0.1', port, tls: false },
    storage: { url: 'sqlite:relay.db' },
    admin: { token: ADMIN },
    endpoints: [{ path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: PASSWORD } }, route: 'otp' }],
    routes: { otp: { providers: ['push', 'sms'], deadlineMs: 5000 } },
    providers: {
      push: { type: 'fcm', serviceAccountJson: 'sa.json', endpointBaseUrl: mock.url, redeemUrl: `${url}/redeem` },
      sms: { type: 'log', print: 'none' },
    },
    // One number and text again and again: limits and dedupe would answer most of it without a push.
    ...LIMITS_OFF,
  });
  const relay = await startRelay({ config, baseDir: dir, secrets: collectSecrets(config) }, createLogger('silent'), { host: '127.0.0.1', port });
  const users = Array.from({ length: USERS }, () => randomUUID());
  for (const userId of users) {
    const res = await registerDevice(generateDeviceKeys(type), { relay: url, adminToken: ADMIN, name: 'phone', fcmToken: `fcm-${randomUUID()}`, userId });
    if (res.status !== 201) throw new Error(`registration failed: ${res.status}`);
  }

  const pool = new Pool(url, { connections: CONNECTIONS });
  const auth = `Basic ${Buffer.from(`fusionauth:${PASSWORD}`).toString('base64')}`;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let i = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const body = JSON.stringify({ phoneNumber: '(303) 555-1212', textMessage: 'Two Factor Code: 482913', code: '482913', type: 'SMS', userId: users[i++ % users.length] });
      const start = performance.now();
      const res = await pool.request({ method: 'POST', path: '/fusionauth/sms', headers: { authorization: auth, 'content-type': 'application/json' }, body });
      const answer = (await res.body.json()) as { status?: string };
      latencies.push(performance.now() - start);
      if (res.statusCode === 200 && answer.status === 'delivered') ok++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  const pushes = mock.messages().length;
  await relay.close();
  await mock.close();
  await rm(dir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1) ?? '-';
  return `| ${type} | ${Math.round(ok / elapsed).toLocaleString('en')} | ${pushes.toLocaleString('en')} | ${failed} | ${pct(50)} | ${pct(99)} |`;
}

export const pushScenario: Scenario = {
  id: 'push',
  title: 'push messages per second through the relay to the mock FCM',
  async run() {
    const rows = [];
    for (const type of (process.env.BENCH_PUSH_KEYS ?? 'p256,rsa2048').split(',') as KeyType[]) rows.push(await measure(type));
    return [
      '## Push through the relay',
      '',
      `FusionAuth messages POSTed to a real relay (plain HTTP, SQLite file store, route [push, sms]) for ${SECONDS} s from`,
      `${CONNECTIONS} concurrent connections, ${USERS} users with one registered device each; each message becomes a delivery`,
      'record, a sealed redeem token, one JWE and one FCM HTTP v1 request to the mock FCM (same process, same machine).',
      '',
      '| Device key | messages/s delivered by push | pushes at the mock | failed | p50 ms | p99 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n');
  },
};
