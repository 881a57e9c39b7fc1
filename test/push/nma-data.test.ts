import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { checkPublicJwk } from '../../src/push/jwk';
import { keyManagementAlg, NmaEncryptor } from '../../src/push/nma-data';

const types = [
  ['RSA-2048', 'rsa', { modulusLength: 2048 }, 'RSA-OAEP-256'],
  ['RSA-4096', 'rsa', { modulusLength: 4096 }, 'RSA-OAEP-256'],
  ['P-256', 'ec', { namedCurve: 'P-256' }, 'ECDH-ES+A256KW'],
  ['P-384', 'ec', { namedCurve: 'P-384' }, 'ECDH-ES+A256KW'],
  ['P-521', 'ec', { namedCurve: 'P-521' }, 'ECDH-ES+A256KW'],
  ['X25519', 'x25519', {}, 'ECDH-ES+A256KW'],
] as const;

const plaintext = { token: 'tok', redeem_url: 'https://relay.example.com/redeem', code: '482913', text: `Your code is 482913 ✓ ${'é'.repeat(700)}` };

describe('nma_data JWE', () => {
  const encryptor = new NmaEncryptor();

  it.each(types)('%s: nevis algorithms, A256CBC-HS512, and the device decrypts it with jose', async (_name, kind, options, alg) => {
    const { publicKey, privateKey } = generateKeyPairSync(kind as 'rsa', options as never) as unknown as { publicKey: KeyObject; privateKey: KeyObject };
    const registered = checkPublicJwk({ ...publicKey.export({ format: 'jwk' }), kid: 'dev-1' }, 'encryption', 'encryptionKey');
    expect(keyManagementAlg(registered)).toBe(alg);
    const jwe = await encryptor.encrypt(registered, plaintext);
    expect(jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg, enc: 'A256CBC-HS512', kid: 'dev-1' });
    const priv = await importJWK(privateKey.export({ format: 'jwk' }) as JWK, alg);
    const out = await compactDecrypt(jwe, priv, { keyManagementAlgorithms: [alg], contentEncryptionAlgorithms: ['A256CBC-HS512'] });
    expect(JSON.parse(new TextDecoder().decode(out.plaintext))).toEqual(plaintext);
    // The same key is reused from the cache and each message still gets fresh randomness.
    expect(await encryptor.encrypt(registered, plaintext)).not.toBe(jwe);
  });

  it.each([{ key_ops: ['wrapKey'] }, { use: 'enc' }, { use: 'sig' }, { key_ops: ['verify'], use: 'sig' }])(
    'a key registered with %o still encrypts',
    async (extra) => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const registered = checkPublicJwk({ ...(publicKey.export({ format: 'jwk' }) as JWK), ...extra }, 'encryption', 'encryptionKey');
      const jwe = await new NmaEncryptor().encrypt(registered, plaintext);
      const out = await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'] });
      expect(JSON.parse(new TextDecoder().decode(out.plaintext)).code).toBe('482913');
    },
  );
});
