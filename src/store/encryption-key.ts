import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';

export interface StorageKeyConfig {
  url: string;
  encryptionKey?: string;
  previousEncryptionKeys: readonly string[];
}

export interface OutboxKeys {
  current: Buffer;
  previous: Buffer[];
  /** Where the key came from, for the start-up log line (never the key). */
  source: string;
}

const decode = (v: string) => Buffer.from(v.trim(), 'base64');

/**
 * The outbox key must not live in the database it protects, or a copied database file is a copied code.
 * `storage.encryptionKey` wins. Without it, a SQLite store gets `<db>.key` next to its file, created once with
 * mode 0600; an in-memory store gets a key that lives as long as the store does. Any other engine (PostgreSQL,
 * several replicas that must share one key) has to be given `storage.encryptionKey`.
 */
export function resolveOutboxKeys(storage: StorageKeyConfig, baseDir: string, logger?: Logger): OutboxKeys {
  const previous = storage.previousEncryptionKeys.map(decode);
  if (storage.encryptionKey) return { current: decode(storage.encryptionKey), previous, source: 'storage.encryptionKey' };
  if (!storage.url.startsWith('sqlite:')) {
    throw new Error('storage.encryptionKey is required for async routes on this storage engine (32 random bytes, base64)');
  }
  const file = storage.url.slice('sqlite:'.length);
  if (file === ':memory:') return { current: randomBytes(32), previous, source: 'in-memory store (a new key per start)' };
  const keyFile = `${isAbsolute(file) ? file : resolve(baseDir, file)}.key`;
  mkdirSync(dirname(keyFile), { recursive: true });
  try {
    // `wx`: two processes starting at once cannot both write a key; the loser reads the winner's.
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    logger?.warn({ keyFile }, 'created the outbox encryption key next to the database; back it up apart from the database, or set storage.encryptionKey');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if ((statSync(keyFile).mode & 0o077) !== 0) logger?.warn({ keyFile }, 'the outbox key file is readable by other users; chmod 600 it');
  const current = decode(readFileSync(keyFile, 'utf8'));
  if (current.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64 key`);
  return { current, previous, source: keyFile };
}
