import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freshPostgresSchema, type TestSchema } from '../../test/kit/postgres-test-db';
import { freePort } from '../../test/kit/processes';
import { freshRedisPrefix } from '../../test/kit/redis-test-db';
import { startServer, type ServerProcess } from '../lib/server-process';
import type { Scenario } from '../scenario';

/** `BENCH_QUICK=1` shrinks every count and duration to prove the scenario runs, not to measure. */
const quick = process.env.BENCH_QUICK === '1';
const SECONDS = quick ? 1 : 10;
const WARMUP = quick ? 0 : 2;
const ASYNC_MESSAGES = quick ? 200 : 5000;
/** A multiple of 3, so each of three replicas gets the same number of connections. */
const CONNECTIONS = 48;
const PASSWORD = 'bench-password-0123456789';
const BIG = 1_000_000_000;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Every request a different number (spread over many prefixes) and text: each one counts in Redis and reserves a dedupe key. */
let seq = 0;
function nextBody(): string {
  const i = seq++;
  const code = String(100000 + (i % 900000));
  return JSON.stringify({ phoneNumber: `+49151${String((i * 7919) % 10_000_000).padStart(8, '0')}`, textMessage: `Code ${code} #${i}`, code, type: 'SMS' });
}

const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`fusionauth:${PASSWORD}`).toString('base64')}` };

interface LoadRow {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function cannon(urls: string[], opts: { seconds?: number; amount?: number }): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: urls.length === 1 ? urls[0] : urls,
        method: 'POST',
        headers,
        connections: CONNECTIONS,
        ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? SECONDS }),
        requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: nextBody() }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** Sync route: each request waits for the gateway's answer; connections spread evenly over the replicas. */
async function syncLoad(urls: string[]): Promise<LoadRow> {
  if (WARMUP > 0) await cannon(urls, { seconds: WARMUP });
  const r = await cannon(urls, { seconds: SECONDS });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

/** Async route: from the first POST to the last message recorded delivered, whichever replica's worker sent it. */
async function asyncDrain(urls: string[], db: TestSchema): Promise<{ acceptRps: number; drainPerSecond: number; seconds: number; non2xx: number }> {
  const before = Number((await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM deliveries WHERE route = 'queued'"))[0].n);
  const started = performance.now();
  const r = await cannon(urls, { amount: ASYNC_MESSAGES });
  const accepted = (performance.now() - started) / 1000;
  const end = Date.now() + 120_000;
  for (;;) {
    const [{ n }] = await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM deliveries WHERE route = 'queued' AND status = 'delivered'");
    if (Number(n) - before >= ASYNC_MESSAGES - r.non2xx) break;
    if (Date.now() > end) throw new Error(`only ${Number(n) - before} of ${ASYNC_MESSAGES} queued messages delivered after 120 s`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  return { acceptRps: ASYNC_MESSAGES / accepted, drainPerSecond: (ASYNC_MESSAGES - r.non2xx) / seconds, seconds, non2xx: r.non2xx };
}

export const replicasScenario: Scenario = {
  id: 'replicas',
  title: 'One relay against three replicas sharing PostgreSQL and Redis',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'bench-replicas-'));
    const [db, redis] = await Promise.all([freshPostgresSchema('bench_replicas'), freshRedisPrefix('bench-replicas')]);
    const gwPort = await freePort();
    const gateway = await startServer('bench/servers/http-gateway.ts', [], gwPort);
    const encryptionKey = randomBytes(32).toString('base64');
    const relays: ServerProcess[] = [];
    const ports: number[] = [];
    const start = async () => {
      const port = await freePort();
      const file = join(dir, `relay-${relays.length}.yaml`);
      const auth = { basic: { username: 'fusionauth', password: PASSWORD } };
      await writeFile(
        file,
        JSON.stringify({
          server: { host: '127.0.0.1', port, tls: false },
          storage: { url: db.url, poolSize: 10, encryptionKey },
          redis: { url: redis.url, keyPrefix: redis.keyPrefix },
          log: { level: 'warn' },
          endpoints: [
            { path: '/fusionauth/sms', route: 'sync', auth },
            { path: '/fusionauth/queued', route: 'queued', auth },
          ],
          routes: {
            sync: { providers: ['gateway'], deadlineMs: 5000 },
            queued: { providers: ['gateway'], deadlineMs: 5000, delivery: 'async' },
          },
          providers: { gateway: { type: 'http', url: `http://127.0.0.1:${gwPort}/send`, options: { to: '{phone}', text: '{message}' }, timeoutMs: 5000 } },
          // Budgets no run spends, so every request walks every counter in Redis and passes.
          limits: { perPhone: { max: BIG, windowSeconds: 600 }, perPrefix: { max: BIG, windowSeconds: 3600, dropDigits: 3 }, total: { maxPerDay: BIG } },
          dedupe: { windowSeconds: 60 },
        }),
      );
      relays.push(await startServer('dist/main.js', ['serve', '--config', file], port, { LOG_LEVEL: 'warn' }));
      ports.push(port);
    };
    const urls = (path: string) => ports.map((p) => `http://127.0.0.1:${p}${path}`);

    try {
      await start();
      const sync1 = await syncLoad(urls('/fusionauth/sms'));
      const async1 = await asyncDrain(urls('/fusionauth/queued'), db);
      await start();
      await start();
      const sync3 = await syncLoad(urls('/fusionauth/sms'));
      const async3 = await asyncDrain(urls('/fusionauth/queued'), db);
      const rss = relays.map((r) => r.peakRssMiB());
      const syncRow = (name: string, r: LoadRow) => `| ${name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`;
      const asyncRow = (name: string, r: Awaited<ReturnType<typeof asyncDrain>>) =>
        `| ${name} | ${fmt(ASYNC_MESSAGES)} | ${fmt(r.acceptRps)} | ${fmt(r.drainPerSecond)} | ${fmt(r.seconds, 1)} | ${r.non2xx} |`;
      return [
        `## ${this.title}`,
        '',
        `Relays from \`dist/\` in their own processes, on one PostgreSQL schema (pool 10 each) and one Redis; every request counts per phone, per prefix and per day in Redis and reserves a dedupe key (budgets no run spends, a new number and text each time). The provider is the local HTTP gateway in its own process, answering 200 at once. autocannon, ${CONNECTIONS} connections spread evenly over the replicas, ${quick ? '1 s, no warm-up (BENCH_QUICK)' : `${SECONDS} s after a ${WARMUP} s warm-up`}.`,
        '',
        '| sync route (answer after the gateway took it) | req/s | p50 ms | p99 ms | non-2xx + errors |',
        '| --- | ---: | ---: | ---: | ---: |',
        syncRow('1 relay', sync1),
        syncRow('3 replicas, round-robin', sync3),
        '',
        `Async route: ${fmt(ASYNC_MESSAGES)} messages posted as fast as ${CONNECTIONS} connections go (answered 202 once queued), timed until the last is recorded delivered by whichever replica's worker (4 in flight per replica) took it.`,
        '',
        '| async route | messages | accepted/s | delivered/s end to end | seconds | non-2xx |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        asyncRow('1 relay', async1),
        asyncRow('3 replicas, round-robin', async3),
        '',
        `Peak RSS per replica: ${rss.map((m, i) => `relay ${i + 1} ${fmt(m)} MiB`).join(', ')} (relay 1 also ran the single-relay rows).`,
        '',
        'What these numbers show: what sharing state costs per request (Redis round trips for the counters and the dedupe key, PostgreSQL for the log and the outbox), whether three replicas on one store still answer every request (the non-2xx column; correctness under a replica kill is what test/scale/multi-replica.test.ts proves), and the memory each replica needs. What they do not show: scaling. Here three replicas, PostgreSQL, Redis, the gateway and the load generator all share one machine, so three replicas cannot get more CPU than one; on a 2-core machine the three-replica row is expected to be no faster than one relay, or slower. Capacity grows with replicas only when each gets CPU of its own; measure on that layout before sizing from this table.',
        '',
      ].join('\n');
    } finally {
      await Promise.allSettled(relays.map((r) => r.stop()));
      await gateway.stop();
      await redis.cleanup();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
