import { DatabaseError } from 'pg';
import { scrub } from '../../redact';
import { StoreUnavailableError, type UnavailableClassifier } from '../store-unavailable';
import { describeDatabaseError } from './describe-error';

/**
 * SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (08), insufficient resources such as a
 * full disk or too many connections (53), operator intervention such as pg_terminate_backend or a shutdown (57),
 * a database that is gone (3D000) or not accepting connections (55000, ALLOW_CONNECTIONS false), lock and
 * serialization conflicts (55P03, 40001, 40P01), a read-only standby after a failover (25006), and a login
 * refused after a password rotation (28).
 */
const UNAVAILABLE_STATES = /^(08|53|57|28|3D000$|55000$|55P03$|40001$|40P01$|25006$)/;

/** Socket failures on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** pg and pg-pool report a lost, refused or exhausted connection with these messages and no code. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^Query read timeout$/,
];

function unavailable(e: unknown): boolean {
  // Node's net module makes AggregateErrors in its own realm; recognised by shape, they are also seen under Jest.
  const errors = (e as AggregateError | undefined)?.errors;
  if (Array.isArray(errors)) return errors.length > 0 && errors.every(unavailable);
  if (e instanceof DatabaseError) return !!e.code && UNAVAILABLE_STATES.test(e.code);
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code && NETWORK_CODES.has(err.code)) return true;
  return typeof err?.message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(err.message));
}

/** `secrets`: the database URL's password, which a driver message must never carry into a log line. */
export function postgresUnavailable(secrets: readonly string[]): UnavailableClassifier {
  return (e) => (unavailable(e) ? new StoreUnavailableError('postgres', scrub(describeDatabaseError(e), secrets)) : undefined);
}
