import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caAndServer } from '../../src/tls/certificates';
import { runLoad, type LoadResult } from '../lib/load';
import { freePort } from '../../test/kit/processes';
import { startServer } from '../lib/server-process';
import type { Scenario } from '../scenario';

const PASSWORD = 'bench-password-0123456789';
const KEY = 'bench-header-key-0123456789';
const body = JSON.stringify({
  code: '482913',
  phoneNumber: '(303) 555-1212',
  textMessage: 'Two Factor Code: 482913',
  type: 'SMS',
  userId: '7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10',
});
const basic = `Basic ${Buffer.from(`fusionauth:${PASSWORD}`).toString('base64')}`;

interface Row extends LoadResult {
  name: string;
  rssMiB: number;
}

/** Every guard on (Basic, a header secret, the source allow-list), the log provider, a SQLite file: the real path. */
async function relayConfig(dir: string, port: number, tls: boolean): Promise<string> {
  if (tls) {
    const { server } = await caAndServer(['localhost', '127.0.0.1']);
    await writeFile(join(dir, 'server.crt'), server.cert);
    await writeFile(join(dir, 'server.key'), server.key);
  }
  const file = join(dir, `relay-${tls ? 'tls' : 'http'}.yaml`);
  await writeFile(
    file,
    [
      `server: { host: 127.0.0.1, port: ${port}, tls: ${tls ? '{ cert: server.crt, key: server.key }' : 'false'} }`,
      `storage: { url: "sqlite:relay-${tls ? 'tls' : 'http'}.db" }`,
      'endpoints:',
      '  - path: /fusionauth/sms',
      '    route: otp',
      '    auth:',
      `      basic: { username: fusionauth, password: "${PASSWORD}" }`,
      `      headers: { X-Relay-Key: ["${KEY}"] }`,
      '      allowFrom: [127.0.0.1/32]',
      'routes: { otp: { providers: [phone] } }',
      // The load repeats one message to one number: with limits and dedupe on, nearly every answer would be a cheap
      // 429 or a duplicate. Their cost is measured on its own in bench/scenarios/limiter.ts.
      'limits: { perPhone: false, perPrefix: false, failedAuth: false }',
      'dedupe: { windowSeconds: 0 }',
      'providers: { phone: { type: log, print: none } }',
    ].join('\n'),
  );
  return file;
}

async function measure(
  name: string,
  entry: string,
  args: string[],
  port: number,
  url: string,
  headers: Record<string, string>,
  env: Record<string, string> = {},
): Promise<Row> {
  const server = await startServer(entry, args, port, env);
  try {
    const r = await runLoad({ url, headers: { 'Content-Type': 'application/json', ...headers }, body });
    return { name, ...r, rssMiB: server.peakRssMiB() };
  } finally {
    await server.stop();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const receiverScenario: Scenario = {
  id: 'receiver',
  title: 'Receiving FusionAuth messages: bare node:http, the documented naive Express receiver, messenger-relay',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'relay-bench-'));
    const rows: Row[] = [];
    let port = await freePort();
    rows.push(await measure('bare node:http JSON receiver (the limit)', 'bench/servers/bare-http.cjs', [], port, `http://127.0.0.1:${port}/`, {}));
    port = await freePort();
    rows.push(
      await measure('naive Express receiver (FusionAuth docs: header check, 200)', 'bench/servers/naive-express.cjs', [], port, `http://127.0.0.1:${port}/fusionauth-generic-messenger`, {
        Authorization: 'API-KEY',
      }),
    );
    for (const tls of [false, true]) {
      port = await freePort();
      const config = await relayConfig(dir, port, tls);
      rows.push(
        await measure(
          `messenger-relay, all guards, log provider + SQLite record, ${tls ? 'HTTPS (TLS 1.3)' : 'plain HTTP'}`,
          'dist/main.js',
          ['serve', '--config', config],
          port,
          `${tls ? 'https' : 'http'}://127.0.0.1:${port}/fusionauth/sms`,
          { Authorization: basic, 'X-Relay-Key': KEY },
        ),
      );
    }
    // The same plain-HTTP relay with V8's old generation capped: the live heap after a full GC is about 31 MB,
    // the rest of the RSS is V8 postponing collection on a machine with plenty of memory.
    port = await freePort();
    rows.push(
      await measure(
        'messenger-relay as above, plain HTTP, NODE_OPTIONS=--max-old-space-size=96',
        'dist/main.js',
        ['serve', '--config', await relayConfig(dir, port, false)],
        port,
        `http://127.0.0.1:${port}/fusionauth/sms`,
        { Authorization: basic, 'X-Relay-Key': KEY },
        { NODE_OPTIONS: '--max-old-space-size=96' },
      ),
    );
    const naive = rows[1].rps;
    const table = [
      '| server | req/s | p50 ms | p99 ms | peak RSS MiB | vs naive Express | non-2xx | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.rssMiB)} | ${fmt(r.rps / naive, 2)}x | ${r.non2xx} | ${r.errors} |`),
    ];
    const relayRows = rows.slice(2);
    const mark = (ok: boolean) => (ok ? 'met' : '**not met**');
    return [
      `## ${this.title}`,
      '',
      'autocannon, 50 connections, 10 s after a 2 s warm-up, each server in its own process, one POST body as FusionAuth sends it.',
      'Limits and dedupe are off here: the load repeats one message to one number (their cost is in the limiter scenario).',
      '',
      ...table,
      '',
      'Targets for messenger-relay (throughput at least 1.0x the naive receiver, p99 under 25 ms, RSS under 150 MB):',
      '',
      ...relayRows.map(
        (r) =>
          `- ${r.name}: ${fmt(r.rps / naive, 2)}x (${mark(r.rps >= naive)}), p99 ${r.p99} ms (${mark(r.p99 < 25)}), ` +
          `peak RSS ${fmt(r.rssMiB)} MiB = ${fmt(r.rssMiB * 1.048576)} MB (${mark(r.rssMiB * 1.048576 < 150)}).`,
      ),
      '',
    ].join('\n');
  },
};
