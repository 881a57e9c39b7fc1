import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { checkPublicJwk, KeyProblem, signatureAlgorithms } from '../../src/push/jwk';

const jwkOf = (kind: string, options: Record<string, unknown> = {}) => {
  const { publicKey, privateKey } = generateKeyPairSync(kind as 'rsa', options as never) as unknown as { publicKey: KeyObject; privateKey: KeyObject };
  return { pub: publicKey.export({ format: 'jwk' }) as JWK, priv: privateKey.export({ format: 'jwk' }) as JWK };
};

const problem = (input: unknown, role: 'signature' | 'encryption' = 'encryption'): string => {
  try {
    checkPublicJwk(input, role, 'encryptionKey');
  } catch (e) {
    expect(e).toBeInstanceOf(KeyProblem);
    return (e as Error).message;
  }
  throw new Error('the key was accepted');
};

describe('registered keys', () => {
  it.each([
    ['RSA 2048', 'rsa', { modulusLength: 2048 }, 'encryption'],
    ['RSA 4096', 'rsa', { modulusLength: 4096 }, 'encryption'],
    ['EC P-256', 'ec', { namedCurve: 'P-256' }, 'encryption'],
    ['EC P-384', 'ec', { namedCurve: 'P-384' }, 'signature'],
    ['EC P-521', 'ec', { namedCurve: 'P-521' }, 'encryption'],
    ['X25519', 'x25519', {}, 'encryption'],
    ['Ed25519', 'ed25519', {}, 'signature'],
  ] as const)('accepts a public %s key and keeps only its public members and kid', (_name, kind, options, role) => {
    const { pub } = jwkOf(kind, options);
    const given = { ...pub, kid: 'k-1', use: 'sig', key_ops: ['wrapKey'], alg: 'whatever', x5c: ['MIIB'] };
    const clean = checkPublicJwk(given, role, 'key');
    expect(clean).toEqual({ ...pub, kid: 'k-1' });
    expect(clean).not.toHaveProperty('use');
    expect(clean).not.toHaveProperty('key_ops');
  });

  it('accepts the JSON text of a JWK, as nevis types the field', () => {
    const { pub } = jwkOf('ec', { namedCurve: 'P-256' });
    expect(checkPublicJwk(JSON.stringify(pub), 'encryption', 'encryptionKey')).toEqual(pub);
  });

  it('refuses a key with private parts, naming them', () => {
    expect(problem(jwkOf('rsa', { modulusLength: 2048 }).priv)).toMatch(/private key material \(d, p, q, dp, dq, qi\)/);
    expect(problem(jwkOf('ec', { namedCurve: 'P-256' }).priv)).toMatch(/private key material \(d\)/);
    expect(problem(jwkOf('x25519').priv)).toMatch(/private key material/);
  });

  it('refuses RSA under 2048 bits', () => {
    expect(problem(jwkOf('rsa', { modulusLength: 1024 }).pub)).toMatch(/RSA key of 1024 bits; at least 2048/);
  });

  it('refuses curves other than P-256, P-384, P-521 and X25519', () => {
    expect(problem(jwkOf('ec', { namedCurve: 'secp256k1' }).pub)).toMatch(/curve secp256k1 is not supported/);
    expect(problem(jwkOf('x448').pub)).toMatch(/curve X448 is not supported/);
    expect(problem(jwkOf('ed448').pub, 'signature')).toMatch(/curve Ed448 is not supported/);
  });

  it('refuses X25519 for signing and Ed25519 for encryption', () => {
    expect(problem(jwkOf('x25519').pub, 'signature')).toMatch(/X25519 cannot be used for signature; an OKP signature key must be Ed25519/);
    expect(problem(jwkOf('ed25519').pub, 'encryption')).toMatch(/Ed25519 cannot be used for encryption/);
  });

  it('refuses symmetric keys', () => {
    expect(problem({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' })).toMatch(/symmetric key/);
  });

  it.each([
    ['not JSON', '{kty: RSA'],
    ['an array', [1, 2]],
    ['a number', 42],
    ['no kty', { n: 'abc', e: 'AQAB' }],
    ['an unknown kty', { kty: 'DSA' }],
    ['RSA without n', { kty: 'RSA', e: 'AQAB' }],
    ['EC with a short x', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }],
    ['EC with non-base64url members', { kty: 'EC', crv: 'P-256', x: 'a+b/c=', y: 'AAAA' }],
  ])('refuses a malformed key: %s', (_name, input) => {
    expect(problem(input)).toMatch(/^encryptionKey: /);
  });

  it('refuses an EC point that is not on its curve', () => {
    const { pub } = jwkOf('ec', { namedCurve: 'P-256' });
    const y = Buffer.from(pub.y!, 'base64url');
    y[31] ^= 1;
    expect(problem({ ...pub, y: y.toString('base64url') })).toMatch(/not a valid public key/);
  });

  it('allows only the signature algorithms that fit the key', () => {
    expect(signatureAlgorithms({ kty: 'RSA' })).toEqual(['RS256', 'PS256']);
    expect(signatureAlgorithms({ kty: 'EC', crv: 'P-521' })).toEqual(['ES512']);
    expect(signatureAlgorithms({ kty: 'OKP', crv: 'Ed25519' })).toEqual(['EdDSA', 'Ed25519']);
  });
});
