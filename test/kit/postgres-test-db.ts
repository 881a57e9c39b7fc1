import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { redactDatabaseUrl } from '../../src/store/database-url';
import { describeDatabaseError } from '../../src/store/postgres/describe-error';

/** The PostgreSQL the tests use: `TEST_DATABASE_URL`, else the server .ci/run starts on this machine. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** `TEST_DATABASE_URL` with `search_path` set to the new schema: what a relay under test gets as `storage.url`. */
  url: string;
  schema: string;
  /** Reads the schema directly, as an operator with psql would. */
  query<R extends Record<string, unknown>>(sql: string, args?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * A schema of its own for one test file, dropped afterwards, so test runs (and jest workers) never see each
 * other's rows. An unreachable server fails the test with how to start it: these tests are never skipped.
 */
export async function freshPostgresSchema(prefix = 'relay_test'): Promise<TestSchema> {
  const admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1, connectionTimeoutMillis: 5000 });
  admin.on('error', () => undefined);
  try {
    await admin.query('SELECT 1');
  } catch (e) {
    await admin.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable at ${redactDatabaseUrl(TEST_DATABASE_URL)} (${describeDatabaseError(e)}). ` +
        'Start it and create the database `test` as .ci/run does (start_postgres), ' +
        'or set TEST_DATABASE_URL to a database in which the tests may create and drop schemas.',
    );
  }
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(TEST_DATABASE_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const url = u.toString();
  const reader = new Pool({ connectionString: url, max: 2 });
  reader.on('error', () => undefined);
  let dropped = false;
  return {
    url,
    schema,
    query: async <R extends Record<string, unknown>>(sql: string, args: unknown[] = []) => (await reader.query<R>(sql, args)).rows,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await reader.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

export interface TestDatabase {
  /** The new database's URL, carrying `password` (the test server trusts loopback, so it is never checked). */
  url: string;
  name: string;
  /** Runs SQL as the superuser on the `TEST_DATABASE_URL` database: ALTER DATABASE, pg_terminate_backend. */
  admin<R extends Record<string, unknown>>(sql: string, args?: unknown[]): Promise<R[]>;
  /** Drops the database, whatever connections are left and whether or not a test dropped it already. */
  drop(): Promise<void>;
}

/**
 * A whole database of its own, for tests that refuse or cut its connections, or drop it, under a running relay
 * (a schema cannot be made unreachable). Connections are allowed again before it is dropped.
 */
export async function freshPostgresDatabase(password: string, prefix = 'relay_db'): Promise<TestDatabase> {
  const adminPool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
  adminPool.on('error', () => undefined);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminPool.query(`CREATE DATABASE ${name}`);
  const u = new URL(TEST_DATABASE_URL);
  u.password = password;
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    admin: async <R extends Record<string, unknown>>(sql: string, args: unknown[] = []) => (await adminPool.query<R>(sql, args)).rows,
    drop: async () => {
      await adminPool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminPool.end();
    },
  };
}
