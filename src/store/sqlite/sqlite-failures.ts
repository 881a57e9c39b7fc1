import { StoreUnavailableError } from '../store-unavailable';

/**
 * Result codes that say the database cannot be used now (another writer holds it past busy_timeout, the file or
 * disk is read-only or full, I/O failed), as opposed to a constraint or a statement that is wrong. Extended codes
 * (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …) share their primary code's prefix.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB)/;

/**
 * Errors are recognised by name, not `instanceof`: the native addon keeps the SqliteError class of the first copy
 * of better-sqlite3 that loaded it, and makes its closed-handle TypeError in Node's own realm, so neither matches
 * the classes another module registry (Jest's, one per test file) sees.
 */
export function sqliteUnavailable(e: unknown): StoreUnavailableError | undefined {
  const err = e as (Error & { code?: unknown }) | undefined;
  if (err?.name === 'SqliteError' && typeof err.code === 'string' && UNAVAILABLE.test(err.code)) {
    return new StoreUnavailableError('sqlite', `${err.code}: ${err.message}`);
  }
  if (err?.name === 'TypeError' && err.message === 'The database connection is not open') return new StoreUnavailableError('sqlite', 'the database is closed');
  return undefined;
}
