import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresDispatchTargets } from '../../src/store/postgres/postgres-dispatch-targets';
import { PostgresRedeemTokens } from '../../src/store/postgres/postgres-redeem-tokens';
import { PostgresRequestIds } from '../../src/store/postgres/postgres-request-ids';
import { postgresPushMigration } from '../../src/store/postgres/push-migration';
import type { Store } from '../../src/store/store';
import { describePushStoreConformance } from '../kit/push-store-conformance';

/**
 * The PostgreSQL push repositories against a real server (TEST_DATABASE_URL, else the one .ci/run starts), each
 * store on a fresh schema. Only the push repositories are opened here: wiring them into PostgresStore is one line each.
 */
const URL_BASE = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function pushStoreOnFreshSchema(): Promise<Store> {
  const schema = `relay_push_${randomBytes(6).toString('hex')}`;
  const admin = new Pool({ connectionString: URL_BASE, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(URL_BASE);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new Pool({ connectionString: u.toString(), max: 4 });
  await pool.query(postgresPushMigration.sql);
  const store = {
    kind: 'postgres',
    targets: new PostgresDispatchTargets(pool),
    redeemTokens: new PostgresRedeemTokens(pool),
    requestIds: new PostgresRequestIds(pool),
    close: async () => {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
  return store as unknown as Store;
}

describePushStoreConformance('postgres', pushStoreOnFreshSchema);
