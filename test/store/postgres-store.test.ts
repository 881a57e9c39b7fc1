import { Pool } from 'pg';
import { createStore } from '../../src/store/create-store';
import { migrate, postgresMigrations } from '../../src/store/postgres/migrations';
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { captureLogs } from '../kit/log-capture';
import { freshPostgresSchema, TEST_DATABASE_URL, type TestSchema } from '../kit/postgres-test-db';
import { describeStoreConformance } from '../kit/store-conformance';

let kitSchema: Promise<TestSchema> | undefined;
const schemaForKit = () => (kitSchema ??= freshPostgresSchema('relay_kit'));

describeStoreConformance({
  name: 'postgres',
  kind: 'postgres',
  create: async () => PostgresStore.open((await schemaForKit()).url, { poolSize: 4 }),
  cleanup: async () => (await kitSchema)?.drop(),
});

describe('postgres store', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await freshPostgresSchema('relay_pg');
  });
  afterAll(async () => db?.drop());

  it('applies each migration once when several replicas start at once, the others wait and then find it done', async () => {
    const slow = [{ id: 'slow-first', sql: 'SELECT pg_sleep(0.3); CREATE TABLE slow_made (x int);' }, ...postgresMigrations];
    const pools = Array.from({ length: 3 }, () => new Pool({ connectionString: db.url, max: 1 }));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p, slow)));
      expect(applied.flat().sort()).toEqual(slow.map((m) => m.id).sort());
      expect(applied.filter((ids) => ids.length > 0)).toHaveLength(1);
      const recorded = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(recorded.map((r) => r.id).sort()).toEqual(slow.map((m) => m.id).sort());
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('rolls a failing migration back, records only what succeeded, and releases the lock', async () => {
    const pool = new Pool({ connectionString: db.url, max: 1 });
    try {
      const bad = [
        { id: 'good-one', sql: 'CREATE TABLE good_one (x int)' },
        { id: 'bad-one', sql: 'CREATE TABLE half_made (x int); SELECT 1/0;' },
      ];
      await expect(migrate(pool, bad)).rejects.toThrow(/migration bad-one failed: division by zero/);
      const recorded = (await db.query<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id);
      expect(recorded).toContain('good-one');
      expect(recorded).not.toContain('bad-one');
      expect(await db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half_made'", [db.schema])).toEqual([]);
      // A second replica must not wait forever on a lock the failed one kept.
      await expect(migrate(pool, [{ id: 'after-failure', sql: 'SELECT 1' }])).resolves.toEqual(['after-failure']);
    } finally {
      await pool.end();
    }
  });

  it('stores timestamps as timestamptz and reads them back as the same instant', async () => {
    const store = await PostgresStore.open(db.url);
    try {
      const rec = await store.deliveries.create({
        endpoint: '/fusionauth/sms', route: 'otp', channel: 'sms', phoneDigest: 'd1', phoneMasked: '+1303*****212', status: 'sending', test: false,
      });
      const [row] = await db.query<{ created_at: Date; type: string }>(
        "SELECT created_at, pg_typeof(created_at)::text AS type FROM deliveries WHERE id = $1",
        [rec.id],
      );
      expect(row.type).toBe('timestamp with time zone');
      expect(row.created_at.toISOString()).toBe(rec.createdAt);
    } finally {
      await store.close();
    }
  });

  it('refuses to start with one clear line when the server is unreachable, naming the url without its password', async () => {
    const url = 'postgres://relay:pw-Secret-9f8e7d6c5b4a@127.0.0.1:1/relay';
    const error = await createStore(url, process.cwd()).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^cannot open the PostgreSQL store at postgres:\/\/relay:\*\*\*@127\.0\.0\.1:1\/relay: .*ECONNREFUSED/);
    expect(error!.message).not.toContain('pw-Secret-9f8e7d6c5b4a');
    expect(error!.message).not.toContain('\n');
  });

  it('names a missing database in the start-up error', async () => {
    const u = new URL(TEST_DATABASE_URL);
    u.pathname = '/relay_no_such_database';
    await expect(createStore(u.toString(), process.cwd())).rejects.toThrow(/database "relay_no_such_database" does not exist/);
  });

  it('survives the server dropping its connections: logs it, reconnects, and keeps answering', async () => {
    const logs = captureLogs();
    const u = new URL(db.url);
    u.searchParams.set('application_name', `relay_drop_${db.schema}`);
    const store = await PostgresStore.open(u.toString(), { logger: logs.logger, poolSize: 2 });
    try {
      await Promise.all([store.ping(), store.ping()]);
      const killed = await db.query<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [`relay_drop_${db.schema}`],
      );
      expect(killed.length).toBeGreaterThan(0);
      // The pool learns of each dead idle connection asynchronously; once it has, it must reconnect on demand.
      const lost = () => logs.lines().filter((l) => l.includes('PostgreSQL connection lost')).length;
      for (let i = 0; i < 100 && lost() < killed.length; i++) await new Promise((ok) => setTimeout(ok, 20));
      expect(lost()).toBe(killed.length);
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.secret('after-drop')).resolves.toHaveLength(32);
    } finally {
      await store.close();
    }
  });
});
