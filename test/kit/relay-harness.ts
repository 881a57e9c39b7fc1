import { collectSecrets, validateConfig, type LoadedConfig } from '../../src/config/load-config';
import { startRelay, type RunningRelay } from '../../src/server';
import { captureLogs } from './log-capture';

export const TEST_PASSWORD = 'test-password-0123456789';
export const TEST_HEADER_KEY = 'header-secret-0123456789';

/**
 * The velocity limits, failed-auth blocking and dedupe, off: most tests send the same message to the same number
 * again and again. A test of those features turns them on with its own `limits` / `dedupe`.
 */
export const LIMITS_OFF = {
  limits: { perPhone: false, perPrefix: false, failedAuth: false },
  dedupe: { windowSeconds: 0 },
} as const;

/** A FusionAuth endpoint at /fusionauth/sms behind Basic auth, plain HTTP, in-memory SQLite; override any part. */
export function testConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, tls: false },
    storage: { url: 'sqlite::memory:' },
    log: { level: 'debug' },
    endpoints: [
      {
        path: '/fusionauth/sms',
        auth: { basic: { username: 'fusionauth', password: TEST_PASSWORD } },
        route: 'otp',
      },
    ],
    routes: { otp: { providers: ['phone'], deadlineMs: 1500 } },
    providers: { phone: { type: 'log', print: 'none' } },
    ...LIMITS_OFF,
    ...overrides,
  };
}

export function loaded(raw: Record<string, unknown>, baseDir = process.cwd()): LoadedConfig {
  const config = validateConfig(raw);
  return { config, baseDir, secrets: collectSecrets(config) };
}

export interface TestRelay extends RunningRelay {
  logs: () => string;
}

/** The real server on a loopback port, with its log output captured. */
export async function startTestRelay(raw: Record<string, unknown> = testConfig(), baseDir?: string, host = '127.0.0.1'): Promise<TestRelay> {
  const cap = captureLogs();
  const relay = await startRelay(loaded(raw, baseDir), cap.logger, { host, port: 0 });
  return Object.assign(relay, { logs: cap.text });
}

export function basicHeader(user = 'fusionauth', pass = TEST_PASSWORD): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export const smsBody = {
  code: '482913',
  phoneNumber: '(303) 555-1212',
  textMessage: 'Two Factor Code: 482913',
  type: 'SMS',
  userId: '7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10',
};
