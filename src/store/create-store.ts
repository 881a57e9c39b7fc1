import { isAbsolute, resolve } from 'node:path';
import { SqliteStore } from './sqlite/sqlite-store';
import type { Store } from './store';

/** `sqlite:relative/or/absolute.db`, `sqlite::memory:`, or `postgres://…`. */
export async function createStore(url: string, baseDir: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    return new SqliteStore(file === ':memory:' || isAbsolute(file) ? file : resolve(baseDir, file));
  }
  throw new Error(`unsupported storage url scheme: ${url.split(':')[0]}`);
}
