import { isAbsolute, resolve } from 'node:path';
import { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store';
import { SqliteStore } from './sqlite/sqlite-store';
import type { Store } from './store';

/** `sqlite:relative/or/absolute.db`, `sqlite::memory:`, or `postgres://…` (`postgresql://…`). */
export async function createStore(url: string, baseDir: string, options: PostgresStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    return new SqliteStore(file === ':memory:' || isAbsolute(file) ? file : resolve(baseDir, file));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return PostgresStore.open(url, options);
  throw new Error(`unsupported storage url scheme: ${url.split(':')[0]}`);
}
