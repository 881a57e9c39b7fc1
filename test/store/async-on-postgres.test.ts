import { randomBytes } from 'node:crypto';
import { httpProviderAt } from '../kit/gateway-config';
import { freshPostgresSchema, type TestSchema } from '../kit/postgres-test-db';
import { postMessage, smsTo } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';
import { waitUntil } from '../kit/wait-until';

/** Two replicas sharing one PostgreSQL outbox: what the scale-out deployment runs. */
describe('async routes on PostgreSQL', () => {
  let db: TestSchema;
  let gw: HttpGateway;
  const relays: TestRelay[] = [];
  const key = randomBytes(32).toString('base64');
  const config = (extra: Record<string, unknown> = {}) =>
    testConfig({
      storage: { url: db.url, poolSize: 3, encryptionKey: key },
      providers: { gateway: httpProviderAt(gw) },
      routes: { otp: { providers: ['gateway'], deadlineMs: 1500, delivery: 'async', async: { backoff: { initialMs: 50, maxMs: 200 } } } },
      ...extra,
    });

  beforeAll(async () => {
    db = await freshPostgresSchema('relay_async');
    gw = await startHttpGateway();
  });
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await gw?.close();
    await db?.drop();
  });

  it('refuses to start an async route without storage.encryptionKey: the key must not live in the shared database', async () => {
    const raw = config();
    (raw.storage as Record<string, unknown>).encryptionKey = undefined;
    await expect(startTestRelay(raw)).rejects.toThrow(/storage.encryptionKey is required/);
  });

  it('delivers every message queued through either replica exactly once, and keeps the code out of every table', async () => {
    let n = 0;
    // Every third answer fails, so some items go round the retry path across replicas.
    gw.behave(() => (n++ % 3 === 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'OK', delayMs: 20 }));
    relays.push(await startTestRelay(config()), await startTestRelay(config()));
    const sent: Array<{ id: string; text: string; code: string }> = [];
    for (let i = 0; i < 20; i++) {
      const body = smsTo(`+3361234${String(5000 + i)}`);
      const a = await postMessage(relays[i % 2].url, body);
      expect(a.status).toBe(202);
      sent.push({ id: String(a.body.id), text: String(body.textMessage), code: String(body.code) });
    }
    await waitUntil(async () => {
      const rows = await db.query<{ status: string }>('SELECT status FROM deliveries WHERE id = ANY($1)', [sent.map((m) => m.id)]);
      return rows.length === sent.length && rows.every((r) => r.status === 'delivered');
    }, 'all 20 delivered', 20_000, 100);
    const accepted = gw.requests.filter((r) => r.answer === 200).map((r) => String(r.form?.text));
    expect(accepted.sort()).toEqual(sent.map((m) => m.text).sort());
    expect(await db.query('SELECT * FROM outbox')).toEqual([]);

    // Every text column of every table, as psql shows it (numbers and byte arrays would match digits by chance).
    const rows = [...(await db.query('SELECT * FROM deliveries')), ...(await db.query('SELECT * FROM delivery_attempts'))];
    const texts = rows.flatMap((r) => Object.values(r).filter((v): v is string => typeof v === 'string')).join('\n');
    for (const m of sent) {
      expect(texts).not.toContain(m.code);
      expect(texts).not.toContain(m.text);
    }
    const secrets = await db.query<{ value: Buffer }>('SELECT value FROM secrets');
    expect(secrets.some((s) => s.value.toString('base64') === key)).toBe(false);
  });
});
