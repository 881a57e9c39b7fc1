import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];

function altNames(names: readonly string[]) {
  return names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
}

const days = (n: number) => new Date(Date.now() + n * 86_400_000);

export interface Pem {
  cert: string;
  key: string;
}

export async function selfSigned(names: readonly string[] = DEFAULT_NAMES): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: names[0] }], {
    algorithm: 'sha256',
    keySize: 2048,
    notAfterDate: days(825),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(names) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A local CA plus a server certificate it signed: paste the CA into FusionAuth once, reissue the server cert freely. */
export async function caAndServer(names: readonly string[] = DEFAULT_NAMES): Promise<{ ca: Pem; server: Pem }> {
  const ca = await generate([{ name: 'commonName', value: 'messenger-relay local CA' }], {
    algorithm: 'sha256',
    keySize: 2048,
    notAfterDate: days(3650),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: names[0] }], {
    algorithm: 'sha256',
    keySize: 2048,
    notAfterDate: days(825),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(names) },
    ],
  });
  return { ca: { cert: ca.cert, key: ca.private }, server: { cert: server.cert, key: server.private } };
}

export async function writePem(dir: string, base: string, pem: Pem): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${base}.crt`), pem.cert, { mode: 0o644 });
  await writeFile(join(dir, `${base}.key`), pem.key, { mode: 0o600 });
}

/** First start of the embedded default: make `certs/server.{crt,key}` unless they exist. */
export async function ensureServerCert(dir: string): Promise<boolean> {
  if (existsSync(join(dir, 'server.crt')) && existsSync(join(dir, 'server.key'))) return false;
  await writePem(dir, 'server', await selfSigned());
  return true;
}
