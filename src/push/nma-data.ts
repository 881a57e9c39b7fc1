import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { compactEncrypt, type JweAlg, type RecipientKey } from './compact-jwe';

/**
 * The push payload nevisFIDO's FCM dispatcher documents (seeds/001): `nma_data` is a compact JWE, RSA keys use
 * RSA-OAEP-256 and EC keys ECDH-ES+A256KW, both with A256CBC-HS512. X25519 follows the EC rule.
 */
export const NMA_CONTENT_ENCRYPTION = 'A256CBC-HS512';
export const NMA_DATA_VERSION = '1';
export const NMA_CONTENT_TYPE = 'application/jose';

export type KeyManagementAlg = JweAlg;

export function keyManagementAlg(jwk: JWK): KeyManagementAlg {
  if (jwk.kty === 'RSA') return 'RSA-OAEP-256';
  if (jwk.kty === 'EC' || (jwk.kty === 'OKP' && jwk.crv === 'X25519')) return 'ECDH-ES+A256KW';
  throw new Error(`no JWE algorithm for key type ${jwk.kty}/${jwk.crv ?? ''}`);
}

/** What the device decrypts: nevis' `{token, redeem_url}` plus our own fields. */
export interface NmaPlaintext {
  token: string;
  redeem_url: string;
  [key: string]: unknown;
}

/**
 * Encrypts to registered public keys (compact-jwe.ts explains why node:crypto rather than jose). Importing a JWK
 * costs about as much as an encryption and one device's key serves every push to it, so imported keys are kept
 * (bounded, oldest dropped first).
 */
export class NmaEncryptor {
  private readonly keys = new Map<string, RecipientKey>();

  constructor(private readonly maxCachedKeys = 10_000) {}

  async encrypt(jwk: JWK, plaintext: NmaPlaintext): Promise<string> {
    return compactEncrypt(this.recipient(jwk), Buffer.from(JSON.stringify(plaintext), 'utf8'));
  }

  private recipient(jwk: JWK): RecipientKey {
    // Registered keys are stored normalised (fixed member order), so their JSON is a stable cache key.
    const id = JSON.stringify(jwk);
    let r = this.keys.get(id);
    if (!r) {
      const alg = keyManagementAlg(jwk);
      const { kid, ...publicMembers } = jwk;
      r = {
        alg,
        kid,
        key: createPublicKey({ key: publicMembers as never, format: 'jwk' }),
        ephemeral: jwk.kty === 'EC' ? { type: 'ec', namedCurve: jwk.crv! } : jwk.kty === 'OKP' ? { type: 'x25519' } : undefined,
      };
      if (this.keys.size >= this.maxCachedKeys) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, r);
    }
    return r;
  }
}
