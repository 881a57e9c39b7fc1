import { Client } from 'pg';
import { freshPostgresDatabase, type TestDatabase } from '../kit/postgres-test-db';
import { postMessage, smsTo, type Answer } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { waitUntil } from '../kit/wait-until';

/**
 * A PostgreSQL store that stops answering under a running relay: connections cut and refused, the pool used up,
 * the database dropped. Callers get 503 `[unavailable]` with Retry-After, a log line says why without the URL's
 * password, and the relay recovers by itself once the database is back.
 */

const PASSWORD = 'pg-password-never-logged-4d1f9';
const ADMIN = 'admin-token-0123456789abcdef';
const unavailable = { generalErrors: [{ code: '[unavailable]', message: 'the store is unavailable; retry later' }] };

function expectUnavailable(answer: Answer): void {
  expect({ status: answer.status, body: answer.body, retryAfter: answer.headers.get('retry-after') }).toEqual({ status: 503, body: unavailable, retryAfter: '5' });
}

describe('a PostgreSQL store that cannot serve, under a running relay', () => {
  let db: TestDatabase;
  let relay: TestRelay;

  const storeLines = () => relay.logs().split('\n').filter((l) => l.includes('"msg":"store unavailable"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const cutConnections = () => db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);

  beforeEach(async () => {
    db = await freshPostgresDatabase(PASSWORD, 'relay_unavail');
    relay = await startTestRelay(testConfig({ storage: { url: db.url, poolSize: 1 }, admin: { token: ADMIN } }));
  });
  afterEach(async () => {
    await relay?.close();
    await db?.drop();
  });

  it('connections cut and refused (ALLOW_CONNECTIONS false): 503 for messages and the admin API, logged without the password; delivered again once allowed', async () => {
    const before = await postMessage(relay.url, smsTo('+13035550201'));
    expect(before.status).toBe(200);
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await cutConnections();

    expectUnavailable(await postMessage(relay.url, smsTo('+13035550202')));
    const read = await fetch(`${relay.url}/admin/deliveries/${String(before.body.id)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect({ status: read.status, body: await read.json() }).toEqual({ status: 503, body: unavailable });
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(503);
    expect(storeLines()).toEqual(
      expect.arrayContaining([expect.objectContaining({ level: 50, store: 'postgres', reason: expect.stringContaining(`database "${db.name}" is not currently accepting connections`) })]),
    );
    expect(relay.logs()).not.toContain(PASSWORD);
    expect(relay.logs()).not.toContain('unhandled error');

    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    expect((await postMessage(relay.url, smsTo('+13035550203'))).status).toBe(200);
  });

  it('idle connections terminated: the pool replaces them and the next message is delivered', async () => {
    expect((await postMessage(relay.url, smsTo('+13035550211'))).status).toBe(200);
    await cutConnections();
    await waitUntil(() => relay.logs().includes('PostgreSQL connection lost'), 'the pool to notice its connection was cut');
    expect((await postMessage(relay.url, smsTo('+13035550212'))).status).toBe(200);
    expect(relay.logs()).not.toContain(PASSWORD);
  });

  it('pool used up (its one connection waits on a lock): 503 once no connection comes in time; the waiting message is recorded when the lock goes, and not sent after its deadline', async () => {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE');
      const first = postMessage(relay.url, smsTo('+13035550221'));
      await waitUntil(
        async () => (await db.admin("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db.name])).length > 0,
        'the relay to wait on the lock',
      );
      expectUnavailable(await postMessage(relay.url, smsTo('+13035550222')));
      expect(storeLines()).toEqual([expect.objectContaining({ reason: 'timeout exceeded when trying to connect' })]);
      await locker.query('COMMIT');
      // It waited on the store past the route's deadline, counted from its arrival: FusionAuth stopped waiting for
      // the answer long ago, so the relay answers 504 rather than send a code the user was already told failed.
      const answered = await first;
      expect(answered.status).toBe(504);
      expect(answered.body).toMatchObject({ generalErrors: [{ code: '[deadlineExceeded]' }] });
    } finally {
      await locker.end();
    }
  });

  it('database dropped: 503 naming the missing database, never a 500', async () => {
    await db.admin(`DROP DATABASE ${db.name} WITH (FORCE)`);
    expectUnavailable(await postMessage(relay.url, smsTo('+13035550231')));
    expect(storeLines()).toEqual([expect.objectContaining({ store: 'postgres', reason: `database "${db.name}" does not exist` })]);
    expect(relay.logs()).not.toContain(PASSWORD);
  });
});
