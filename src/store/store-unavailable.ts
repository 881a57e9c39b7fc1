import { AppError } from '../errors';

/** Long enough for a pool to reconnect, a lock to clear or a failover to finish; short enough that a person still waits. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The store's engine cannot serve a call now: the database is locked, full, read-only, closed, unreachable or
 * refusing connections. Nothing about the request is wrong, so the caller gets 503 `[unavailable]` with
 * `Retry-After` (it is an AppError), and the log gets `reason`, which is already free of secrets.
 */
export class StoreUnavailableError extends AppError {
  constructor(
    readonly engine: 'sqlite' | 'postgres',
    readonly reason: string,
  ) {
    super('unavailable', 'the store is unavailable; retry later', undefined, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
}

/** Recognises an engine's "cannot serve now" failures; anything else (a constraint, a bug) is left as it is. */
export type UnavailableClassifier = (e: unknown) => StoreUnavailableError | undefined;

/**
 * `repository` with every method's engine failures, thrown or rejected, translated by `classify`. Each engine
 * wraps its repositories once, so no caller has to know SQLite's or pg's error shapes.
 */
export function translateFailures<T extends object>(repository: T, classify: UnavailableClassifier): T {
  const translate = (e: unknown) => classify(e) ?? e;
  return new Proxy(repository, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (e) {
          throw translate(e);
        }
        return result instanceof Promise ? result.catch((e: unknown) => Promise.reject(translate(e))) : result;
      };
    },
  });
}
