import { constants, createCipheriv, createHash, createHmac, diffieHellman, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * Compact JWE encryption for exactly the two nevis algorithms, on node:crypto's synchronous primitives.
 *
 * Why not jose here: jose 6 runs on WebCrypto, where every step (key wrap, AES-CBC, HMAC, ECDH, key generation)
 * is its own promise hop through the thread pool. That keeps it below the 3,000 encryptions/s per core the relay
 * must reach for every key type, while node:crypto clears it for RSA-2048, RSA-4096, P-256 and X25519. The
 * measured rates of both are in docs/benchmarks.md ("nma_data JWE encryption"), rewritten by `npm run bench`.
 * The format is checked against jose: every key type's output is decrypted by jose's compactDecrypt in tests.
 *
 * RFC 7516 (compact serialisation), RFC 7518 §4.3 (RSA-OAEP-256), §4.6 (ECDH-ES+A256KW with Concat KDF),
 * §4.4 (A256KW = RFC 3394 AES key wrap), §5.2.5 (A256CBC-HS512).
 */

export type JweAlg = 'RSA-OAEP-256' | 'ECDH-ES+A256KW';
const ENC = 'A256CBC-HS512';
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Concat KDF (NIST SP 800-56A §5.8.1) with SHA-256 for a 256-bit key: one round, no apu/apv. */
function concatKdf(z: Buffer, alg: string): Buffer {
  const algId = Buffer.from(alg, 'ascii');
  const otherInfo = Buffer.concat([uint32(algId.length), algId, uint32(0), uint32(0), uint32(256)]);
  return createHash('sha256').update(uint32(1)).update(z).update(otherInfo).digest();
}

function aesKeyWrap(kek: Buffer, cek: Buffer): Buffer {
  const cipher = createCipheriv('id-aes256-wrap', kek, KW_IV);
  return Buffer.concat([cipher.update(cek), cipher.final()]);
}

/** A256CBC-HS512: the 64-byte CEK is MAC key ‖ encryption key; the tag is the first half of HMAC-SHA-512. */
function cbcHs512(cek: Buffer, aad: Buffer, plaintext: Buffer): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', cek.subarray(32, 64), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length) * 8n);
  const tag = createHmac('sha512', cek.subarray(0, 32)).update(aad).update(iv).update(ciphertext).update(al).digest().subarray(0, 32);
  return { iv, ciphertext, tag };
}

/** A registered public key, imported once and kept: the costly parse is not repeated for every push. */
export interface RecipientKey {
  alg: JweAlg;
  key: KeyObject;
  kid?: string;
  /** For ECDH-ES: what the ephemeral key is generated as. */
  ephemeral?: { type: 'ec'; namedCurve: string } | { type: 'x25519' };
}

export function compactEncrypt(recipient: RecipientKey, plaintext: Buffer): string {
  const cek = randomBytes(64);
  const header: Record<string, unknown> = { alg: recipient.alg, enc: ENC };
  if (recipient.kid) header.kid = recipient.kid;
  let encryptedKey: Buffer;
  if (recipient.alg === 'RSA-OAEP-256') {
    // Node applies oaepHash to MGF1 as well: SHA-256 throughout, as RSA-OAEP-256 requires.
    encryptedKey = publicEncrypt({ key: recipient.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  } else {
    const eph = recipient.ephemeral!;
    const { privateKey, publicKey } = eph.type === 'ec' ? generateKeyPairSync('ec', { namedCurve: eph.namedCurve }) : generateKeyPairSync('x25519');
    const z = diffieHellman({ privateKey, publicKey: recipient.key });
    const epk = publicKey.export({ format: 'jwk' }) as JWK;
    header.epk = eph.type === 'ec' ? { kty: 'EC', crv: epk.crv, x: epk.x, y: epk.y } : { kty: 'OKP', crv: 'X25519', x: epk.x };
    encryptedKey = aesKeyWrap(concatKdf(z, recipient.alg), cek);
  }
  const protectedHeader = b64u(JSON.stringify(header));
  const { iv, ciphertext, tag } = cbcHs512(cek, Buffer.from(protectedHeader, 'ascii'), plaintext);
  return `${protectedHeader}.${b64u(encryptedKey)}.${b64u(iv)}.${b64u(ciphertext)}.${b64u(tag)}`;
}
