import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from './processes';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerDevice } from '../../src/push/device/device-client';
import { generateDeviceKeys, type DeviceKeys, type KeyType } from '../../src/push/device/device-keys';
import { MockFcm } from '../../src/push/mock-fcm/mock-fcm-server';
import { startRelay, type RunningRelay } from '../../src/server';
import { captureLogs } from './log-capture';
import { basicHeader, loaded, LIMITS_OFF } from './relay-harness';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const USER_ID = '7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10';

export interface PushRigOptions {
  /** Extra keys for the fcm provider entry. */
  fcm?: Record<string, unknown>;
  /** Extra keys for the `otp` route (e.g. push: {content: redeemOnly}). */
  route?: Record<string, unknown>;
  /** The top-level `push:` section. */
  push?: Record<string, unknown>;
}

export interface Device {
  keys: DeviceKeys;
  id: string;
  fcmToken: string;
}

export interface PushRig {
  mock: MockFcm;
  relay: RunningRelay;
  dir: string;
  logs(): string;
  /** A phone with fresh keys, registered through the admin API. */
  device(type: KeyType, over?: { userId?: string; phoneNumber?: string; name?: string; fcmToken?: string }): Promise<Device>;
  /** POST a FusionAuth message to /fusionauth/sms. */
  fusionauth(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** What the SMS fallback (the log provider's outbox) received. */
  sms(): Promise<{ to: string; text: string; code?: string }[]>;
  close(): Promise<void>;
}

/**
 * The real pieces of the push flow on loopback: the mock FCM (with its own service account written to a temp
 * dir), a relay whose `otp` route is [push (fcm), sms (log provider with an outbox)], and helpers to play a phone.
 */
export async function startPushRig(opts: PushRigOptions = {}): Promise<PushRig> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-push-'));
  const mock = await MockFcm.start();
  await writeFile(join(dir, 'fcm-sa.json'), JSON.stringify(mock.serviceAccount()), { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cap = captureLogs();
  const raw = {
    server: { host: '127.0.0.1', port, tls: false },
    storage: { url: 'sqlite::memory:' },
    log: { level: 'debug' },
    admin: { token: ADMIN_TOKEN },
    endpoints: [{ path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'otp' }],
    routes: { otp: { providers: ['push', 'sms'], deadlineMs: 5000, ...opts.route } },
    providers: {
      push: { type: 'fcm', serviceAccountJson: 'fcm-sa.json', endpointBaseUrl: mock.url, redeemUrl: `${url}/redeem`, timeoutMs: 5000, ...opts.fcm },
      sms: { type: 'log', print: 'none', outboxFile: 'outbox.jsonl' },
    },
    ...(opts.push ? { push: opts.push } : {}),
    ...LIMITS_OFF,
  };
  const relay = await startRelay(loaded(raw, dir), cap.logger, { host: '127.0.0.1', port });

  return {
    mock,
    relay,
    dir,
    logs: cap.text,
    async device(type, over = {}) {
      const keys = generateDeviceKeys(type);
      const fcmToken = over.fcmToken ?? `fcm-${type}-${randomUUID()}`;
      const res = await registerDevice(keys, {
        relay: url,
        adminToken: ADMIN_TOKEN,
        name: over.name ?? `phone-${randomUUID().slice(0, 8)}`,
        fcmToken,
        userId: over.userId ?? USER_ID,
        phoneNumber: over.phoneNumber,
      });
      if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { keys, id: (res.body as { id: string }).id, fcmToken };
    },
    async fusionauth(body) {
      const res = await fetch(`${url}/fusionauth/sms`, {
        method: 'POST',
        headers: { authorization: basicHeader(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async sms() {
      const text = await readFile(join(dir, 'outbox.jsonl'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string; text: string; code?: string });
    },
    async close() {
      await relay.close();
      await mock.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const fusionAuthSms = (over: Record<string, unknown> = {}) => ({
  phoneNumber: '(303) 555-1212',
  textMessage: 'Two Factor Code: 482913',
  code: '482913',
  type: 'SMS',
  userId: USER_ID,
  ...over,
});
