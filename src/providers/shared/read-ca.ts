import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors';

/**
 * A provider's `ca` file, relative to the configuration file, read once at start: a missing or non-PEM file stops
 * the start like any configuration error, naming the key.
 */
export function readCa(name: string, file: string, baseDir: string): string {
  const path = resolve(baseDir, file);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`providers.${name}.ca: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError([`providers.${name}.ca: ${path} holds no PEM certificate`]);
  return pem;
}
