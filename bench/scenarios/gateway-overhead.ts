import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/kit/processes';
import { runLoad } from '../lib/load';
import { sequentialLatency } from '../lib/sequential';
import { startServer } from '../lib/server-process';
import type { Scenario } from '../scenario';

const PASSWORD = 'bench-password-0123456789';
const COUNT = Number(process.env.BENCH_GATEWAY_COUNT ?? 3000);
const fusionAuthBody = JSON.stringify({ code: '482913', phoneNumber: '(303) 555-1212', textMessage: 'Two Factor Code: 482913', type: 'SMS' });
/** Exactly what the relay's http provider sends the gateway for that message. */
const gatewayBody = new URLSearchParams({ to: '+13035551212', text: 'Two Factor Code: 482913' }).toString();

const fmt = (n: number, d = 2) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export const gatewayOverheadScenario: Scenario = {
  id: 'gateway-overhead',
  title: 'The relay in front of an HTTP SMS gateway, against calling the gateway directly',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'relay-bench-gw-'));
    const gwPort = await freePort();
    const relayPort = await freePort();
    await writeFile(
      join(dir, 'relay.yaml'),
      [
        `server: { host: 127.0.0.1, port: ${relayPort}, tls: false }`,
        'storage: { url: "sqlite:relay.db" }',
        'endpoints:',
        `  - { path: /fusionauth/sms, route: otp, auth: { basic: { username: fusionauth, password: "${PASSWORD}" } } }`,
        'routes: { otp: { providers: [gateway] } }',
      // The load repeats one message to one number: with limits and dedupe on, nearly every answer would be a cheap
      // 429 or a duplicate. Their cost is measured on its own in bench/scenarios/limiter.ts.
      'limits: { perPhone: false, perPrefix: false, failedAuth: false }',
      'dedupe: { windowSeconds: 0 }',
        `providers: { gateway: { type: http, url: "http://127.0.0.1:${gwPort}/send", method: POST, options: { to: "{phone}", text: "{message}" } } }`,
      ].join('\n'),
    );
    const gateway = await startServer('bench/servers/http-gateway.ts', [], gwPort);
    const relay = await startServer('dist/main.js', ['serve', '--config', join(dir, 'relay.yaml')], relayPort);
    try {
      const direct = { url: `http://127.0.0.1:${gwPort}/send`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: gatewayBody };
      const viaRelay = {
        url: `http://127.0.0.1:${relayPort}/fusionauth/sms`,
        headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`fusionauth:${PASSWORD}`).toString('base64')}` },
        body: fusionAuthBody,
      };
      const latDirect = await sequentialLatency(direct.url, { method: 'POST', ...direct }, COUNT);
      const latRelay = await sequentialLatency(viaRelay.url, { method: 'POST', ...viaRelay }, COUNT);
      const loadDirect = await runLoad({ ...direct, durationSeconds: 10 });
      const loadRelay = await runLoad({ ...viaRelay, durationSeconds: 10 });
      const added50 = latRelay.p50 - latDirect.p50;
      return [
        `## ${this.title}`,
        '',
        `Latency: ${COUNT} requests one at a time over one kept-alive connection, after a warm-up. Throughput: autocannon, 50 connections, 10 s.`,
        'The relay path is the whole product path: Basic auth, parsing and E.164 normalisation, the SQLite delivery record, the http provider calling the same gateway over a kept-alive pool.',
        '',
        '| path | p50 ms | p99 ms | mean ms | req/s at 50 connections | p99 ms at 50 connections | failures |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        `| gateway called directly | ${fmt(latDirect.p50, 3)} | ${fmt(latDirect.p99, 3)} | ${fmt(latDirect.mean, 3)} | ${fmt(loadDirect.rps, 0)} | ${loadDirect.p99} | ${latDirect.failures + loadDirect.non2xx + loadDirect.errors} |`,
        `| FusionAuth body → relay → gateway | ${fmt(latRelay.p50, 3)} | ${fmt(latRelay.p99, 3)} | ${fmt(latRelay.mean, 3)} | ${fmt(loadRelay.rps, 0)} | ${loadRelay.p99} | ${latRelay.failures + loadRelay.non2xx + loadRelay.errors} |`,
        '',
        `Added by the relay: ${fmt(added50, 3)} ms at p50 and ${fmt(latRelay.p99 - latDirect.p99, 3)} ms at p99 (target: under 1 ms at p50, ${added50 < 1 ? 'met' : '**not met**'}).`,
        '',
      ].join('\n');
    } finally {
      await relay.stop();
      await gateway.stop();
    }
  },
};
