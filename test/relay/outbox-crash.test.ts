import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { httpProviderAt } from '../kit/gateway-config';
import { postMessage, smsTo } from '../kit/post-message';
import { freePort, runCli, type RelayProcess } from '../kit/processes';
import { TEST_PASSWORD } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway, type RecordedRequest } from '../kit/servers/http-gateway';
import { waitUntil } from '../kit/wait-until';

/**
 * The gateway a careful vendor runs: it takes a message when the request arrives (whether or not the sender lives
 * to read the answer) and drops a repeat of an Idempotency-Key it already took. `taken` is what would reach phones.
 */
function idempotentGateway(gw: HttpGateway, reply: (req: RecordedRequest) => { status: number; body: string; delayMs?: number } | 'hang') {
  const taken = new Map<string, string>();
  const repeats: string[] = [];
  gw.behave((req) => {
    const key = String(req.headers['idempotency-key']);
    if (taken.has(key)) {
      repeats.push(key);
      return { status: 200, body: 'OK (already taken)' };
    }
    const answer = reply(req);
    if (answer !== 'hang') taken.set(key, String(req.form?.text));
    return answer;
  });
  return { taken, repeats };
}

interface Setup {
  dir: string;
  port: number;
  config: string;
  start(): Promise<RelayProcess>;
}

async function setup(gw: HttpGateway, server: Record<string, unknown> = {}): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-crash-'));
  const port = await freePort();
  const config = join(dir, 'relay.yaml');
  await writeFile(
    config,
    JSON.stringify({
      server: { host: '127.0.0.1', port, tls: false, ...server },
      storage: { url: 'sqlite:relay.db' },
      endpoints: [{ path: '/fusionauth/sms', route: 'otp', auth: { basic: { username: 'fusionauth', password: TEST_PASSWORD } } }],
      routes: { otp: { providers: ['gateway'], deadlineMs: 2000, delivery: 'async', async: { backoff: { initialMs: 100, maxMs: 1000 } } } },
      providers: { gateway: httpProviderAt(gw, { timeoutMs: 2000 }) },
      // Forty numbers in one prefix is what the prefix rule exists to stop; not the subject here.
      limits: { perPrefix: false },
    }),
  );
  return {
    dir,
    port,
    config,
    start: async () => {
      const proc = runCli(['serve', '--config', config]);
      await proc.waitFor(/"listening"/);
      return proc;
    },
  };
}

function statuses(dir: string): Record<string, string> {
  const db = new Database(join(dir, 'relay.db'), { readonly: true });
  try {
    return Object.fromEntries((db.prepare('SELECT id, status FROM deliveries').all() as { id: string; status: string }[]).map((r) => [r.id, r.status]));
  } finally {
    db.close();
  }
}

async function postMany(base: string, n: number, prefix: string) {
  const sent: Array<{ id: string; text: string }> = [];
  for (let i = 0; i < n; i++) {
    const body = smsTo(`${prefix}${String(i).padStart(2, '0')}`);
    const a = await postMessage(base, body);
    expect(a.status).toBe(202);
    sent.push({ id: String(a.body.id), text: String(body.textMessage) });
  }
  return sent;
}

describe('the outbox across process deaths', () => {
  let gw: HttpGateway;
  let dir: string | undefined;
  let running: RelayProcess | undefined;

  beforeEach(async () => {
    gw = await startHttpGateway();
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
    await gw.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kill -9 mid-delivery, restart: every accepted message reaches the gateway exactly once', async () => {
    const { taken, repeats } = idempotentGateway(gw, () => ({ status: 200, body: 'OK', delayMs: 250 }));
    const s = await setup(gw);
    dir = s.dir;
    running = await s.start();
    const sent = await postMany(`http://127.0.0.1:${s.port}`, 40, '+336123457');
    // Mid-run: some taken, requests in flight (4 at a time, 250 ms each), most still queued.
    await waitUntil(() => taken.size >= 6, 'the first deliveries');
    running.child.kill('SIGKILL');
    await running.exited;
    const takenBeforeCrash = taken.size;
    expect(takenBeforeCrash).toBeLessThan(sent.length);

    running = await s.start();
    // Items the dead process held come back when their lease (deadline + 5 s) runs out, and are sent again.
    await waitUntil(() => {
      const now = statuses(s.dir);
      return sent.every((m) => now[m.id] === 'delivered');
    }, 'every delivery recorded as delivered', 40_000, 200);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);

    // Exactly once per message: each accepted text was taken once, under its own delivery id, and nothing else.
    const texts = [...taken.values()];
    expect(texts.sort()).toEqual(sent.map((m) => m.text).sort());
    expect(new Set(taken.keys())).toEqual(new Set(sent.map((m) => m.id)));
    // The window that remains: a try in flight at the kill is sent again; the key makes the gateway drop it.
    expect(repeats.length).toBeLessThanOrEqual(4);
    expect(repeats.every((k) => taken.has(k))).toBe(true);
  }, 90_000);

  it('SIGTERM with work queued: the worker finishes what it holds, exits 0, and the rest goes out after restart, none twice', async () => {
    const { taken, repeats } = idempotentGateway(gw, () => ({ status: 200, body: 'OK', delayMs: 300 }));
    const s = await setup(gw);
    dir = s.dir;
    running = await s.start();
    const sent = await postMany(`http://127.0.0.1:${s.port}`, 30, '+336123458');
    await waitUntil(() => taken.size >= 4, 'the first deliveries');
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    const before = statuses(s.dir);
    const deliveredBefore = sent.filter((m) => before[m.id] === 'delivered').length;
    // Whatever reached the gateway before the exit is recorded as delivered: nothing was cut off mid-try.
    expect(deliveredBefore).toBe(taken.size);
    expect(deliveredBefore).toBeLessThan(sent.length);
    expect(sent.every((m) => ['delivered', 'queued'].includes(before[m.id]))).toBe(true);

    running = await s.start();
    await waitUntil(() => taken.size === sent.length, 'the rest at the gateway', 20_000, 50);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(repeats).toEqual([]);
    expect([...taken.values()].sort()).toEqual(sent.map((m) => m.text).sort());
  }, 60_000);

  it('SIGTERM while a try hangs past shutdownTimeoutMs: the try is abandoned and handed back, then delivered after restart', async () => {
    let hang = true;
    const { taken, repeats } = idempotentGateway(gw, () => (hang ? 'hang' : { status: 200, body: 'OK' }));
    const s = await setup(gw, { shutdownTimeoutMs: 300 });
    dir = s.dir;
    running = await s.start();
    const [only] = await postMany(`http://127.0.0.1:${s.port}`, 1, '+336123459');
    await waitUntil(() => gw.count >= 1, 'the try to reach the gateway');
    const stopping = Date.now();
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(2000);
    expect(statuses(s.dir)[only.id]).toBe('queued');

    hang = false;
    const restarted = Date.now();
    running = await s.start();
    await waitUntil(() => taken.size === 1, 'the handed-back message');
    // Handed back, not left to a lease: it goes out at once, well before the 7 s lease would have run out.
    expect(Date.now() - restarted).toBeLessThan(6000);
    expect(repeats).toEqual([]);
    expect(taken.get(only.id)).toBe(only.text);
  }, 60_000);
});
