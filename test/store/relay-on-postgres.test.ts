import { maskPhone, phoneDigest } from '../../src/redact';
import { freshPostgresSchema, type TestSchema } from '../kit/postgres-test-db';
import { basicHeader, smsBody, startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';

/** The whole relay on PostgreSQL: a FusionAuth message in, the delivery record read back with psql's eyes. */
describe('relay on PostgreSQL', () => {
  let db: TestSchema;
  let relay: TestRelay;

  beforeAll(async () => {
    db = await freshPostgresSchema('relay_e2e');
    relay = await startTestRelay(testConfig({ storage: { url: db.url, poolSize: 3 } }));
  });
  afterAll(async () => {
    await relay?.close();
    await db?.drop();
  });

  it('migrates the schema at start and is ready', async () => {
    const ready = await fetch(`${relay.url}/readyz`);
    expect(ready.status).toBe(200);
    const migrations = await db.query<{ id: string }>('SELECT id FROM schema_migrations');
    expect(migrations.map((m) => m.id)).toContain('2026-11-deliveries');
    expect(relay.store.kind).toBe('postgres');
  });

  it('records a delivered FusionAuth message with its attempt, and neither the code nor the number in clear', async () => {
    const res = await fetch(`${relay.url}/fusionauth/sms`, {
      method: 'POST',
      headers: { authorization: basicHeader(), 'content-type': 'application/json', 'x-request-id': 'pg-e2e-1' },
      body: JSON.stringify(smsBody),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };

    const [delivery] = await db.query<Record<string, unknown>>('SELECT * FROM deliveries WHERE id = $1', [id]);
    expect(delivery).toMatchObject({ status: 'delivered', endpoint: '/fusionauth/sms', route: 'otp', channel: 'sms', request_id: 'pg-e2e-1', test: false });
    expect(delivery.phone_masked).toBe(maskPhone('+13035551212'));
    // The digest key is the store's shared secret, so every replica on this database files the number alike.
    const [key] = await db.query<{ value: Buffer }>("SELECT value FROM secrets WHERE name = 'phone-digest'");
    expect(delivery.phone_digest).toBe(phoneDigest(key.value, '+13035551212'));
    expect(delivery.created_at).toBeInstanceOf(Date);
    const attempts = await db.query<Record<string, unknown>>('SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY seq', [id]);
    expect(attempts).toEqual([expect.objectContaining({ seq: 0, provider: 'phone', outcome: 'ok' })]);

    const everything = JSON.stringify([
      await db.query('SELECT * FROM deliveries'),
      await db.query('SELECT * FROM delivery_attempts'),
    ]);
    expect(everything).not.toContain(smsBody.code);
    expect(everything).not.toContain('3035551212');
    expect(everything).not.toContain('+13035551212');
  });

  it('answers /readyz with 503 once its store stops answering', async () => {
    // Closing the store is what a lost database looks like from inside: every query fails.
    await relay.store.close();
    const ready = await fetch(`${relay.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ generalErrors: [{ code: '[unavailable]', message: 'store unreachable' }] });
  });
});
