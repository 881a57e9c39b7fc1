import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KeyFile {
  key: Buffer;
  /** The file was made by this call. */
  created: boolean;
  /** Group or others can read it. */
  exposed: boolean;
}

/**
 * A random key kept in a file of its own (mode 0600), made once with `bytes` bytes; a file already there is read as
 * it is (the caller checks a length it depends on). `wx`: two processes starting at once cannot both write one; the
 * loser reads the winner's.
 */
export function readOrCreateKeyFile(file: string, bytes = 32): KeyFile {
  mkdirSync(dirname(file), { recursive: true });
  let created = false;
  try {
    writeFileSync(file, `${randomBytes(bytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length === 0) throw new Error(`${file} does not hold a base64 key`);
  return { key, created, exposed: (statSync(file).mode & 0o077) !== 0 };
}
