import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { checkPublicJwk } from '../../src/push/jwk';
import { keyManagementAlg, NmaEncryptor, type NmaPlaintext } from '../../src/push/nma-data';
import type { Scenario } from '../scenario';

const TARGET = 3000;
const MS = Number(process.env.BENCH_JWE_MS ?? 2000);

const keyTypes: [string, string, Record<string, unknown>, boolean][] = [
  ['RSA-2048', 'rsa', { modulusLength: 2048 }, true],
  ['RSA-4096', 'rsa', { modulusLength: 4096 }, true],
  ['P-256', 'ec', { namedCurve: 'P-256' }, true],
  ['X25519', 'x25519', {}, true],
  ['P-384', 'ec', { namedCurve: 'P-384' }, false],
  ['P-521', 'ec', { namedCurve: 'P-521' }, false],
];

/** A realistic nma_data plaintext: redeem token, URL, ids, a code and its text. */
const plaintext: NmaPlaintext = {
  token: 'oVlYG3Pd3uUueOGbVuFq5YcTTx_MMx8hdgxsObcsvfk',
  redeem_url: 'https://relay.example.com/redeem',
  expires_at: 1_795_546_135,
  delivery_id: 'bf3a498f-6b46-40b2-9869-6da970d4cae4',
  code: '482913',
  text: 'Two Factor Code: 482913',
};

/** Sequential encryptions for `ms` on this one thread, after a warm-up: operations per second per core. */
async function rate(encrypt: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 50; i++) await encrypt();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await encrypt();
    n++;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

export const jweScenario: Scenario = {
  id: 'jwe',
  title: 'nma_data JWE encryptions per second per key type (one core)',
  async run() {
    const rows: string[] = [];
    const bytes = Buffer.byteLength(JSON.stringify(plaintext));
    for (const [name, kind, options, targeted] of keyTypes) {
      const { publicKey } = generateKeyPairSync(kind as 'rsa', options as never) as unknown as { publicKey: KeyObject };
      const jwk = checkPublicJwk(publicKey.export({ format: 'jwk' }), 'encryption', 'bench');
      const relay = new NmaEncryptor();
      const relayRate = await rate(() => relay.encrypt(jwk, plaintext), MS);
      const alg = keyManagementAlg(jwk);
      const joseKey = await importJWK(jwk as JWK, alg);
      const encoded = new TextEncoder().encode(JSON.stringify(plaintext));
      const joseRate = await rate(() => new CompactEncrypt(encoded).setProtectedHeader({ alg, enc: 'A256CBC-HS512' }).encrypt(joseKey), MS);
      const verdict = relayRate >= TARGET ? 'yes' : 'no';
      rows.push(`| ${name} | ${alg} | ${relayRate.toLocaleString('en')} | ${joseRate.toLocaleString('en')} | ${targeted ? verdict : `${verdict} (not a target type)`} |`);
    }
    return [
      '## nma_data JWE encryption',
      '',
      `One thread, sequential, ${MS} ms per measurement after 50 warm-up encryptions, a ${bytes}-byte plaintext, A256CBC-HS512,`,
      'keys imported once and kept (as the relay keeps each registered key). "relay" is `NmaEncryptor` (node:crypto, what',
      'the fcm provider uses); "jose 6" is `CompactEncrypt` with an imported CryptoKey, for comparison. Target: 3,000/s per core',
      'for RSA-2048, RSA-4096, P-256 and X25519.',
      '',
      '| Key | alg | relay ops/s | jose 6 ops/s | relay ≥ 3,000/s |',
      '| --- | --- | ---: | ---: | --- |',
      ...rows,
      '',
      'jose 6 runs on WebCrypto, where each step (key wrap, ECDH, key generation, AES-CBC, HMAC) is a separate promise',
      'hop through the thread pool; that overhead, not the cryptography, bounds it (RSA-4096 is as fast as RSA-2048',
      'there). ECDH-ES pays for one ephemeral key pair per message; OpenSSL 3.0 generates P-384 and P-521 keys much more',
      'slowly than P-256 and X25519, which is why those two stay under the target.',
      '',
    ].join('\n');
  },
};
