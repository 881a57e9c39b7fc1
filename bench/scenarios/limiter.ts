import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { limitsSchema } from '../../src/config/limits-schema';
import type { Message } from '../../src/message';
import { createCounterFactory } from '../../src/relay/limits/create-counters';
import { Limits } from '../../src/relay/limits/limits';
import { Dedupe } from '../../src/relay/dedupe';
import { MemoryDedupeStore } from '../../src/relay/memory-dedupe-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { runLoad, type LoadResult } from '../lib/load';
import { freePort } from '../../test/kit/processes';
import { startServer } from '../lib/server-process';
import type { Scenario } from '../scenario';

/** `BENCH_QUICK=1` shrinks every count and duration to prove the scenario runs, not to measure. */
const quick = process.env.BENCH_QUICK === '1';
const PASSWORD = 'bench-password-0123456789';
const basic = `Basic ${Buffer.from(`fusionauth:${PASSWORD}`).toString('base64')}`;
const body = JSON.stringify({ code: '482913', phoneNumber: '+4915123456789', textMessage: 'Two Factor Code: 482913', type: 'SMS' });
const BIG = 1_000_000_000;

/** Every rule on, with budgets no run can spend, so each check walks the whole chain and passes. */
const allRules = {
  perPhone: { max: BIG, windowSeconds: 600 },
  perPrefix: { max: BIG, windowSeconds: 3600, dropDigits: 3 },
  perCountry: { maxPerDay: BIG, countries: { DE: BIG } },
  total: { maxPerDay: BIG },
  failedAuth: { max: 10, windowSeconds: 600, blockSeconds: 900 },
  countries: { deny: ['KP'] },
  numberTypes: { sms: ['PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE'], voice: ['PREMIUM_RATE'], whenUnsure: 'allow' },
};
const noRules = { perPhone: false, perPrefix: false, failedAuth: false, numberTypes: { sms: [], voice: [] } };

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Distinct German mobile numbers spread over many prefixes: what real traffic looks like to the counters. */
const messages = (n: number): Message[] =>
  Array.from({ length: n }, (_, i) => ({ channel: 'sms', to: `+49151${String((i * 7919) % 10_000_000).padStart(8, '0')}`, text: `Code ${i}`, test: false }));

async function checksPerSecond(run: (m: Message) => Promise<unknown>, msgs: Message[]): Promise<number> {
  for (const m of msgs.slice(0, Math.min(2000, msgs.length))) await run(m);
  const started = process.hrtime.bigint();
  for (const m of msgs) await run(m);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return msgs.length / seconds;
}

async function inProcess(): Promise<{ lines: string[]; everyRuleUs: number }> {
  const logger = pino({ level: 'silent' });
  const n = quick ? 2000 : 200_000;
  const limits = (raw: unknown) => new Limits(limitsSchema.parse(raw), { counters: createCounterFactory(), hashKey: randomBytes(32), logger });
  const store = new SqliteStore(':memory:');
  const dedupe = new Dedupe({ windowMs: 60_000, hashKey: randomBytes(32), store: new MemoryDedupeStore(), deliveries: store.deliveries });
  const destinationOnly = limits({ ...noRules, numberTypes: allRules.numberTypes, countries: allRules.countries });
  const everything = limits(allRules);
  let next = 0;
  const rows: Array<[string, number]> = [
    ['destination rules only (libphonenumber type + country)', await checksPerSecond((m) => destinationOnly.check(m), messages(n))],
    ['every rule (type, country, phone, prefix, country/day, total/day)', await checksPerSecond((m) => everything.check(m), messages(n))],
    ['dedupe: key (HMAC) + reserve + settle, no duplicates', await checksPerSecond((m) => dedupe.run(dedupe.key('/sms', m), 1000, async () => ({ id: String(next++), status: 'delivered' as const })), messages(n))],
  ];
  await store.close();
  return {
    lines: ['| in one process | checks/s | µs per check |', '| --- | ---: | ---: |', ...rows.map(([name, rate]) => `| ${name} | ${fmt(rate)} | ${fmt(1e6 / rate, 1)} |`)],
    everyRuleUs: 1e6 / rows[1][1],
  };
}

async function relayConfig(dir: string, port: number, name: string, limits: unknown, dedupeSeconds: number): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port, tls: false },
      storage: { url: `sqlite:${name}.db` },
      endpoints: [{ path: '/fusionauth/sms', route: 'otp', auth: { basic: { username: 'fusionauth', password: PASSWORD } } }],
      routes: { otp: { providers: ['phone'] } },
      providers: { phone: { type: 'log', print: 'none' } },
      limits,
      dedupe: { windowSeconds: dedupeSeconds },
    }),
  );
  return file;
}

async function throughRelay(): Promise<{ lines: string[]; baseRps: number; limitedRps: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-bench-limits-'));
  const runs: Array<[string, unknown, number]> = [
    ['no limits, no dedupe', noRules, 0],
    ['every limit on (budgets never spent), no dedupe', allRules, 0],
    ['every limit on, dedupe on: one body, so every request after the first is a duplicate answer', allRules, 60],
  ];
  const rows: Array<[string, LoadResult]> = [];
  for (const [name, limits, dedupeSeconds] of runs) {
    const port = await freePort();
    const config = await relayConfig(dir, port, `r${rows.length}`, limits, dedupeSeconds);
    const server = await startServer('dist/main.js', ['serve', '--config', config], port);
    try {
      const r = await runLoad({
        url: `http://127.0.0.1:${port}/fusionauth/sms`,
        headers: { 'Content-Type': 'application/json', Authorization: basic },
        body,
        durationSeconds: quick ? 1 : 10,
        warmupSeconds: quick ? 0 : 2,
      });
      rows.push([name, r]);
    } finally {
      await server.stop();
    }
  }
  const base = rows[0][1];
  return {
    lines: [
      '| through a real relay (plain HTTP, log provider, SQLite file) | req/s | p50 ms | p99 ms | vs no limits | non-2xx |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(([name, r]) => `| ${name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.rps / base.rps, 2)}x | ${r.non2xx} |`),
    ],
    baseRps: base.rps,
    limitedRps: rows[1][1].rps,
  };
}

export const limiterScenario: Scenario = {
  id: 'limiter',
  title: 'The cost of the abuse limits and dedupe',
  async run() {
    const inside = await inProcess();
    const relay = await throughRelay();
    // At saturation one request costs about 1/rps of the (shared) CPU; the checks' share of that is the limits' price.
    const requestUs = 1e6 / relay.baseRps;
    return [
      `## ${this.title}`,
      '',
      `In one process: ${quick ? '2,000' : '200,000'} checks over distinct numbers in many prefixes, after a warm-up, counters in memory (rate-limiter-flexible).`,
      '',
      ...inside.lines,
      '',
      `Through the relay: autocannon, 50 connections, ${quick ? '1 s, no warm-up (BENCH_QUICK)' : '10 s after a 2 s warm-up'}, each configuration in its own process, the same run.`,
      '',
      ...relay.lines,
      '',
      `Every rule costs ${fmt(inside.everyRuleUs, 1)} µs per request in one process, ${fmt((100 * inside.everyRuleUs) / requestUs, 1)} % of the ${fmt(requestUs)} µs a whole request costs at ${fmt(relay.baseRps)} req/s; through the relay, limits on run at ${fmt(relay.limitedRps / relay.baseRps, 2)}x the throughput of limits off.`,
      '',
    ].join('\n');
  },
};
