import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { readOrCreateKeyFile } from './key-file';

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
  const { key: current, created, exposed } = readOrCreateKeyFile(keyFile);
  if (current.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64 key`);
  if (created) logger?.warn({ keyFile }, 'created the outbox encryption key next to the database; back it up apart from the database, or set storage.encryptionKey');
  if (exposed) logger?.warn({ keyFile }, 'the outbox key file is readable by other users; chmod 600 it');
  return { current, previous, source: keyFile };
}
