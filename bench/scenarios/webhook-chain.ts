import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSecrets, validateConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/logger';
import type { Message } from '../../src/message';
import { webhookProvider } from '../../src/providers/webhook/webhook-provider';
import { startRelay } from '../../src/server';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { selfSigned, writePem } from '../../src/tls/certificates';
import { LIMITS_OFF } from '../../test/kit/relay-harness';
import type { Scenario } from '../scenario';

/**
 * What one chained hop costs: the webhook provider sending to a second relay over HTTPS (self-signed, `ca`),
 * whose route ends in the log provider; kept-alive connections against a new connection (TCP + TLS handshake)
 * per message. Sequential on purpose: relay B runs in this process, so concurrent load would measure one event
 * loop shared by client and server, not the hop. BENCH_CHAIN_N sets the message count per row (default 300).
 */
const N = Number(process.env.BENCH_CHAIN_N ?? 300);
const PASSWORD = 'bench-downstream-password-0123';

const message: Message = { channel: 'sms', to: '+13035551212', text: 'Your code is 482913.', code: '482913', test: false };

function quantiles(ms: number[]): { p50: number; p99: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const relayConfig = (over: Record<string, unknown>) => ({
  server: { host: '127.0.0.1', port: 0, tls: false },
  storage: { url: 'sqlite::memory:' },
  log: { level: 'silent' },
  routes: { otp: { providers: ['next'], deadlineMs: 5000 } },
  // The same message hop after hop: the second relay would answer duplicates without sending.
  ...LIMITS_OFF,
  ...over,
});

export const webhookChain: Scenario = {
  id: 'webhook-chain',
  title: 'webhook provider: one chained hop to a second relay over HTTPS',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'bench-chain-'));
    const logger = createLogger('silent');
    const store = new SqliteStore(':memory:');
    await writePem(dir, 'b', await selfSigned());
    const load = (raw: Record<string, unknown>) => {
      const config = validateConfig(raw);
      return { config, baseDir: dir, secrets: collectSecrets(config) };
    };
    const b = await startRelay(
      load(
        relayConfig({
          server: { host: '127.0.0.1', port: 0, tls: { cert: 'b.crt', key: 'b.key' } },
          endpoints: [{ path: '/fusionauth/sms', auth: { basic: { username: 'relay-a', password: PASSWORD } }, route: 'otp' }],
          providers: { next: { type: 'log', print: 'none' } },
        }),
      ),
      logger,
    );
    const entry = { url: `${b.url}/fusionauth/sms`, ca: 'b.crt', auth: { basic: { username: 'relay-a', password: PASSWORD } } };
    const create = () =>
      webhookProvider.create({ ...webhookProvider.configSchema.parse(entry), name: 'next' } as never, { logger, store, baseDir: dir });
    const ctx = () => ({ signal: AbortSignal.timeout(5000), deliveryId: 'bench' });

    try {
      const warm = create();
      for (let i = 0; i < 20; i++) await warm.send(message, ctx());
      const kept: number[] = [];
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        await warm.send(message, ctx());
        kept.push(performance.now() - t);
      }
      await warm.close?.();

      const cold: number[] = [];
      for (let i = 0; i < N; i++) {
        const p = create();
        const t = performance.now();
        await p.send(message, ctx());
        cold.push(performance.now() - t);
        await p.close?.();
      }

      const row = (name: string, ms: number[], extra = '') => {
        const { p50, p99, mean } = quantiles(ms);
        return `| ${name} | ${ms.length} | ${mean.toFixed(2)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${extra} |`;
      };
      return [
        `## ${this.title}`,
        '',
        '| Case | Messages | Mean ms | p50 ms | p99 ms | Notes |',
        '| --- | --- | --- | --- | --- | --- |',
        row('webhook → relay B, kept-alive connection', kept, 'sequential'),
        row('webhook → relay B, new connection per message', cold, 'sequential; TCP + TLS handshake each time'),
        '',
        'Both rows are the provider alone, sequential, with relay B in the same process: what one hop adds to a route. The kept-alive row is the steady state; the other is the first message after an idle pool.',
        '',
      ].join('\n');
    } finally {
      await b.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
