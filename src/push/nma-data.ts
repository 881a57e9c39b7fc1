import { CompactEncrypt, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The push payload nevisFIDO's FCM dispatcher documents (seeds/001): `nma_data` is a compact JWE, RSA keys use
 * RSA-OAEP-256 and EC keys ECDH-ES+A256KW, both with A256CBC-HS512. X25519 follows the EC rule.
 */
export const NMA_CONTENT_ENCRYPTION = 'A256CBC-HS512';
export const NMA_DATA_VERSION = '1';
export const NMA_CONTENT_TYPE = 'application/jose';

export type KeyManagementAlg = 'RSA-OAEP-256' | 'ECDH-ES+A256KW';

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

const encoder = new TextEncoder();

/**
 * Encrypts to registered public keys. Importing a JWK costs as much as an encryption, and one device's key is used
 * for every push to it, so imported keys are kept (bounded, oldest dropped first).
 */
export class NmaEncryptor {
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly maxCachedKeys = 10_000) {}

  async encrypt(jwk: JWK, plaintext: NmaPlaintext): Promise<string> {
    const alg = keyManagementAlg(jwk);
    const header: { alg: string; enc: string; kid?: string } = { alg, enc: NMA_CONTENT_ENCRYPTION };
    if (jwk.kid) header.kid = jwk.kid;
    return new CompactEncrypt(encoder.encode(JSON.stringify(plaintext))).setProtectedHeader(header).encrypt(await this.key(jwk, alg));
  }

  private key(jwk: JWK, alg: KeyManagementAlg): Promise<CryptoKey> {
    // Registered keys are stored normalised (fixed member order), so their JSON is a stable cache key.
    const id = JSON.stringify(jwk);
    let key = this.keys.get(id);
    if (!key) {
      const { kid: _kid, ...publicMembers } = jwk;
      key = importJWK(publicMembers, alg) as Promise<CryptoKey>;
      key.catch(() => this.keys.delete(id));
      if (this.keys.size >= this.maxCachedKeys) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, key);
    }
    return key;
  }
}
