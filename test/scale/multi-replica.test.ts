import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpProviderAt } from '../kit/gateway-config';
import { postMessage } from '../kit/post-message';
import { freshPostgresSchema, type TestSchema } from '../kit/postgres-test-db';
import { freePort, runCli, type RelayProcess } from '../kit/processes';
import { freshRedisPrefix, type TestRedis } from '../kit/redis-test-db';
import { TEST_PASSWORD } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { waitUntil } from '../kit/wait-until';

/**
 * Three relay processes on three ports sharing one PostgreSQL schema (delivery log, outbox) and one Redis prefix
 * (limits, dedupe), an async route to a local gateway that drops repeats of an Idempotency-Key (as a careful
 * vendor does), a few thousand messages round-robin with duplicates and numbers over their limits, and one
 * replica killed with SIGKILL mid-run. What a load balancer does is played by the client: it stops sending to the
 * dead replica and retries a request that died with it once at the next one.
 */

const PER_PHONE = 3;
const PER_PREFIX = 40;
const WORKER_CONCURRENCY = 4; // OutboxWorker's default: what one dead replica can have in flight
const CLIENTS = 12;
const DEADLINE_MS = 2000;
/** OutboxWorker leases for the route's deadline + 5 s. */
const LEASE_MS = DEADLINE_MS + 5000;

type Kind = 'normal' | 'duplicate' | 'hotPhone' | 'hotPrefix';
interface Job {
  kind: Kind;
  number: string;
  text: string;
}
interface Outcome {
  job: Job;
  replica: number;
  status?: number;
  id?: string;
  duplicate: boolean;
  rule?: string;
  /** The request was in flight at a replica when it was killed: its answer was lost, it may have been queued. */
  cutOff: boolean;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A deterministic shuffle, so a failing run can be replayed. */
function shuffle<T>(items: T[], seed = 7): T[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * 1,700 numbers with one message each, every one in a 1,000-block of its own; 340 of those messages sent again
 * (a resend soon after, often to another replica, sometimes while the first is still in flight); 40 numbers with
 * 6 messages each (perPhone allows 3); 120 numbers in one 1,000-block (perPrefix allows 40). 2,400 requests.
 */
function workload(): Job[] {
  let code = 100000;
  const job = (kind: Kind, number: string): Job => ({ kind, number, text: `Your code is ${code++}` });
  const normal = Array.from({ length: 1700 }, (_, i) => job('normal', `+3362${pad(i, 4)}${pad((i * 37) % 1000, 3)}`));
  const hotPhone = Array.from({ length: 40 }, (_, i) => Array.from({ length: 6 }, () => job('hotPhone', `+3363${pad(i, 4)}500`))).flat();
  const hotPrefix = Array.from({ length: 120 }, (_, i) => job('hotPrefix', `+33640000${pad(i, 3)}`));
  const jobs = shuffle([...normal, ...hotPhone, ...hotPrefix]);
  // Each duplicate goes in 1–30 places after its original: with 12 clients, the nearer ones overlap the first.
  const originals = shuffle([...normal], 11).slice(0, 340);
  for (const [k, o] of originals.entries()) {
    const at = jobs.indexOf(o) + 1 + (k % 30);
    jobs.splice(Math.min(at, jobs.length), 0, { ...o, kind: 'duplicate' });
  }
  return jobs;
}

describe('three replicas sharing PostgreSQL and Redis', () => {
  let db: TestSchema;
  let redis: TestRedis;
  let gw: HttpGateway;
  let dir: string;
  const relays: RelayProcess[] = [];

  beforeAll(async () => {
    [db, redis, gw] = await Promise.all([freshPostgresSchema('relay_scale'), freshRedisPrefix('relay-scale'), startHttpGateway()]);
    dir = await mkdtemp(join(tmpdir(), 'relay-scale-'));
  });
  afterAll(async () => {
    for (const r of relays) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGKILL');
        await r.exited;
      }
    }
    await gw?.close();
    await redis?.cleanup();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers every accepted message exactly once, holds the limits globally, and loses nothing when a replica is killed', async () => {
    // The gateway takes a message when the request arrives and drops a repeat of a key it already took.
    const taken = new Map<string, { to: string; text: string }>();
    const repeats: string[] = [];
    // Around the kill the gateway answers slowly, so what the victim sends then is surely still in flight.
    let slow = false;
    gw.behave((req) => {
      const key = String(req.headers['idempotency-key']);
      if (taken.has(key)) repeats.push(key);
      else taken.set(key, { to: String(req.form?.to), text: String(req.form?.text) });
      return { status: 200, body: 'OK', delayMs: slow ? 1000 : 50 };
    });

    const encryptionKey = randomBytes(32).toString('base64');
    const ports = [await freePort(), await freePort(), await freePort()];
    const started = await Promise.all(
      ports.map(async (port, i) => {
        const file = join(dir, `relay-${i}.yaml`);
        await writeFile(
          file,
          JSON.stringify({
            server: { host: '127.0.0.1', port, tls: false },
            storage: { url: db.url, poolSize: 4, encryptionKey },
            redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 5000 },
            endpoints: [{ path: '/fusionauth/sms', route: 'otp', auth: { basic: { username: 'fusionauth', password: TEST_PASSWORD } } }],
            routes: { otp: { providers: ['gateway'], deadlineMs: DEADLINE_MS, delivery: 'async', async: { backoff: { initialMs: 100, maxMs: 1000 } } } },
            providers: { gateway: httpProviderAt(gw, { timeoutMs: 2000 }) },
            limits: { perPhone: { max: PER_PHONE, windowSeconds: 600 }, perPrefix: { max: PER_PREFIX, windowSeconds: 3600, dropDigits: 3 }, failedAuth: false },
            dedupe: { windowSeconds: 300 },
          }),
        );
        const proc = runCli(['serve', '--config', file]);
        relays[i] = proc;
        await proc.waitFor(/"listening"/, 60_000);
        return proc;
      }),
    );
    expect(started).toHaveLength(3);
    for (const port of ports) expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok' });

    const jobs = workload();
    expect(jobs.length).toBe(2400);
    const victim = 1;
    const alive = [true, true, true];
    const outcomes: Outcome[] = [];
    let killedAt = 0;
    let stranded: Array<{ id: string; lease_until: string }> = [];
    let next = 0;

    // Each worker logs the owner name its leases carry: that is how the dead replica's leases are told apart.
    const owner = /"owner":"(worker-[0-9a-f-]+)","concurrency"/.exec(relays[victim].stdout())?.[1];
    expect(owner).toBeDefined();
    const held = () => db.query<{ id: string; lease_until: string }>("SELECT id, lease_until FROM outbox WHERE state = 'leased' AND lease_owner = $1", [owner]);

    const kill = async () => {
      // Mid-delivery: kill it while its worker holds an item it claimed after the gateway slowed down (its lease
      // started after `since`), so the item is surely in flight at the kill and the others must take it over.
      const since = Date.now();
      slow = true;
      await waitUntil(async () => (await held()).some((r) => Number(r.lease_until) - LEASE_MS >= since), 'the victim to hold a slow item', 20_000, 5);
      alive[victim] = false;
      relays[victim].child.kill('SIGKILL');
      await relays[victim].exited;
      killedAt = Date.now();
      slow = false;
      stranded = await held();
    };

    const send = async (job: Job, replica: number, cutOff: boolean): Promise<Outcome> => {
      try {
        const a = await postMessage(`http://127.0.0.1:${ports[replica]}`, { phoneNumber: job.number, textMessage: job.text, code: job.text.slice(-6) });
        const data = a.body.data as { rule?: string } | undefined;
        return { job, replica, status: a.status, id: a.body.id as string | undefined, duplicate: a.headers.get('x-relay-duplicate') === 'true', rule: data?.rule, cutOff };
      } catch {
        // The replica died under this request: a load balancer retries it once at the next live replica.
        const other = [1, 2, 0].map((d) => (replica + d) % 3).find((r) => alive[r] && r !== replica);
        if (other === undefined || cutOff) return { job, replica, duplicate: false, cutOff: true };
        return send(job, other, true);
      }
    };

    const client = async () => {
      for (;;) {
        const n = next++;
        if (n >= jobs.length) return;
        if (n === Math.floor(jobs.length * 0.4)) await kill();
        let replica = n % 3;
        while (!alive[replica]) replica = (replica + 1) % 3;
        outcomes.push(await send(jobs[n], replica, false));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    expect(killedAt).toBeGreaterThan(0);

    // Everything queued goes out, the dead replica's leases included once they run out (deadline + 5 s).
    await waitUntil(
      async () => (await db.query("SELECT 1 FROM deliveries WHERE status <> 'delivered' UNION ALL SELECT 1 FROM outbox")).length === 0,
      'every queued message delivered and the outbox empty',
      60_000,
      250,
    );
    for (const i of [0, 2]) {
      relays[i].child.kill('SIGTERM');
      expect(await relays[i].exited).toBe(0);
    }

    const accepted = outcomes.filter((o) => o.status === 202 || o.status === 200);
    const cutOff = outcomes.filter((o) => o.cutOff);
    const byText = new Map<string, Outcome[]>();
    for (const o of outcomes) byText.set(o.job.text, [...(byText.get(o.job.text) ?? []), o]);

    // Every answer is one of these; nothing else (no 5xx, no request refused for a wrong reason).
    for (const o of outcomes) {
      if (o.status === 429) expect(['hotPhone', 'hotPrefix']).toContain(o.job.kind);
      else if (o.status !== undefined) expect([200, 202]).toContain(o.status);
    }
    // Real users in their own blocks are never refused; a request whose replica died is answered by another.
    for (const o of outcomes.filter((x) => x.job.kind === 'normal' || x.job.kind === 'duplicate')) expect([200, 202]).toContain(o.status);
    expect(outcomes.filter((o) => o.status === undefined).length).toBe(0);

    // Every accepted message reached the gateway, under its own delivery id, with its own text.
    for (const o of accepted) expect(taken.get(o.id!)).toEqual({ to: o.job.number, text: o.job.text });

    // Duplicates: one message, one id, one first answer; only a group that lost a request at the kill may have a
    // second id (the dead replica's reservation was never settled, so a waiter sent after waiting it out).
    for (const [text, group] of byText) {
      const ids = new Set(group.filter((o) => o.id).map((o) => o.id));
      if (group.some((o) => o.cutOff)) {
        expect(ids.size).toBeLessThanOrEqual(2);
        continue;
      }
      expect([text, ids.size]).toEqual([text, group[0].status === 429 ? 0 : 1]);
      if (ids.size === 1) expect(group.filter((o) => !o.duplicate)).toHaveLength(1);
    }
    const duplicates = accepted.filter((o) => o.duplicate);
    expect(duplicates.length).toBeGreaterThan(200);

    // Nothing else reached the gateway but messages some request was answered for, or lost the answer to at the kill.
    const answeredIds = new Set(accepted.map((o) => o.id));
    const orphans = [...taken.keys()].filter((id) => !answeredIds.has(id));
    expect(orphans.length).toBeLessThanOrEqual(cutOff.length);
    // Repeats (dropped by the gateway's idempotency check) only for what the dead worker had in flight.
    expect(stranded.length).toBeGreaterThan(0);
    expect(stranded.length).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    const strandedIds = new Set(stranded.map((s) => s.id));
    expect(repeats.every((k) => strandedIds.has(k))).toBe(true);
    expect(new Set(repeats).size).toBe(repeats.length);

    // Nothing lost: each delivery the relays recorded is one message the gateway took, all delivered.
    const rows = await db.query<{ id: string; status: string }>('SELECT id, status FROM deliveries');
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(taken.keys()));

    // The limits held across the three replicas (each alone would have let 3× through).
    const perNumber = new Map<string, number>();
    for (const { to } of taken.values()) perNumber.set(to, (perNumber.get(to) ?? 0) + 1);
    const hotNumbers = [...new Set(jobs.filter((j) => j.kind === 'hotPhone').map((j) => j.number))];
    for (const n of hotNumbers) expect([n, perNumber.get(n)! <= PER_PHONE]).toEqual([n, true]);
    const inHotPrefix = [...taken.values()].filter((m) => m.to.startsWith('+33640000')).length;
    expect(inHotPrefix).toBeLessThanOrEqual(PER_PREFIX);
    expect(outcomes.some((o) => o.rule === 'perPhone')).toBe(true);
    expect(outcomes.some((o) => o.rule === 'perPrefix')).toBe(true);

    // The dead replica's leased items went out through the others, after their lease ran out.
    for (const s of stranded) {
      const [winner] = await db.query<{ at: Date }>("SELECT at FROM delivery_attempts WHERE delivery_id = $1 AND outcome = 'ok'", [s.id]);
      expect(winner.at.getTime()).toBeGreaterThanOrEqual(Number(s.lease_until) - 1000);
    }

    process.stdout.write(
      `multi-replica: ${outcomes.length} requests, ${accepted.length} accepted (${duplicates.length} duplicates), ` +
        `${outcomes.filter((o) => o.status === 429).length} refused, ${cutOff.length} cut off at the kill, ${stranded.length} stranded leases, ` +
        `${orphans.length} orphans, ${repeats.length} repeats; ${taken.size} messages at the gateway\n`,
    );
  }, 150_000);
});
