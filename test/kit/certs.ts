import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { caAndServer, type Pem } from '../../src/tls/certificates';

/** A client certificate for mTLS tests, signed by `ca`, with `cn` as its subject common name. */
export async function clientCert(ca: Pem, cn: string): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    algorithm: 'sha256',
    keySize: 2048,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Another organisation's CA, for certificates the relay must not trust. */
export async function foreignCa(name = 'Some Other Org CA'): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    algorithm: 'sha256',
    keySize: 2048,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface TlsFixture {
  dir: string;
  ca: Pem;
  server: Pem;
}

/** A local CA and a server certificate for 127.0.0.1/localhost, written as ca.crt, server.crt and server.key. */
export async function tlsFixture(): Promise<TlsFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-tls-'));
  const { ca, server } = await caAndServer(['localhost', '127.0.0.1']);
  await writeFile(join(dir, 'ca.crt'), ca.cert);
  await writeFile(join(dir, 'server.crt'), server.cert);
  await writeFile(join(dir, 'server.key'), server.key);
  return { dir, ca, server };
}
