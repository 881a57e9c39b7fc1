import { PostgresStore } from '../../src/store/postgres/postgres-store';
import type { Store } from '../../src/store/store';
import { freshPostgresSchema } from '../kit/postgres-test-db';
import { describePushStoreConformance } from '../kit/push-store-conformance';

/** The push repositories of the real PostgresStore, each store on a fresh schema that its close() drops. */
describePushStoreConformance('postgres', async (): Promise<Store> => {
  const db = await freshPostgresSchema('relay_push');
  const store = await PostgresStore.open(db.url, { poolSize: 4 });
  const close = store.close.bind(store);
  return Object.assign(store, { close: async () => (await close(), await db.drop()) });
});
