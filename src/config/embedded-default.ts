import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectSecrets, validateConfig, type LoadedConfig } from './load-config';

export interface DefaultCredentials {
  username: string;
  password: string;
  createdAt: string;
}

/** Made once and kept in `data/credentials.json` (mode 0600), so restarts do not break FusionAuth's messenger settings. */
export function ensureCredentials(dataDir: string): { credentials: DefaultCredentials; created: boolean } {
  const file = join(dataDir, 'credentials.json');
  if (existsSync(file)) return { credentials: JSON.parse(readFileSync(file, 'utf8')) as DefaultCredentials, created: false };
  mkdirSync(dataDir, { recursive: true });
  const credentials = { username: 'fusionauth', password: randomBytes(24).toString('base64url'), createdAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { credentials, created: true };
}

/**
 * `npm start` with no configuration: HTTPS on 8443 (self-signed certificate in certs/), SQLite in data/, one
 * FusionAuth endpoint behind Basic auth, and the `log` provider as the phone.
 */
export function embeddedDefault(baseDir: string, credentials: DefaultCredentials, port = 8443): LoadedConfig {
  const config = validateConfig({
    server: { port, tls: { cert: 'certs/server.crt', key: 'certs/server.key' } },
    storage: { url: 'sqlite:data/relay.db' },
    endpoints: [
      {
        path: '/fusionauth/sms',
        format: 'fusionauth',
        auth: { basic: { username: credentials.username, password: credentials.password } },
        testMessage: 'acknowledge',
        route: 'default',
      },
    ],
    routes: { default: { strategy: 'failover', providers: ['phone'], deadlineMs: 1800 } },
    providers: { phone: { type: 'log', print: 'stdout', outboxFile: 'data/outbox.jsonl' } },
  });
  return { config, baseDir, secrets: collectSecrets(config) };
}
