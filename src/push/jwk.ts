import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';

/** What a registered key is for: `signature` verifies a device's signed PATCH, `encryption` seals its pushes. */
export type KeyRole = 'signature' | 'encryption';

export class KeyProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'KeyProblem';
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const EC_SIZES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384;

function b64(jwk: Record<string, unknown>, member: string, field: string): Buffer {
  const v = jwk[member];
  if (typeof v !== 'string' || !B64URL.test(v)) throw new KeyProblem(field, `"${member}" must be a base64url string`);
  return Buffer.from(v, 'base64url');
}

function rsaBits(n: Buffer): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i) * 8 - Math.clz32(n[i]) + 24;
}

/**
 * Accepts a public JWK (an object, or the JSON text of one, since nevis' API types the keys as strings) and returns
 * only its public members plus `kid`. `use`, `key_ops`, `alg` and certificates are dropped on purpose: jose honours
 * `key_ops` when importing, so a device that registered `key_ops: ["wrapKey"]` or `use: "sig"` would otherwise make
 * every later push fail to encrypt (see reference/push-fcm.md §4).
 */
export function checkPublicJwk(input: unknown, role: KeyRole, field: string): JWK {
  let raw = input;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new KeyProblem(field, 'is neither a JWK object nor the JSON text of one');
    }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new KeyProblem(field, 'must be a JWK object');
  const jwk = raw as Record<string, unknown>;
  if (typeof jwk.kty !== 'string') throw new KeyProblem(field, 'has no "kty"');
  if (jwk.kty === 'oct') throw new KeyProblem(field, 'is a symmetric key ("kty": "oct"); register a public RSA, EC or OKP key');
  const leaked = PRIVATE_MEMBERS.filter((m) => m in jwk);
  if (leaked.length) throw new KeyProblem(field, `holds private key material (${leaked.join(', ')}); register the public key only`);

  let clean: JWK;
  switch (jwk.kty) {
    case 'RSA': {
      const n = b64(jwk, 'n', field);
      b64(jwk, 'e', field);
      const bits = rsaBits(n);
      if (bits < MIN_RSA_BITS) throw new KeyProblem(field, `RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`);
      if (bits > MAX_RSA_BITS) throw new KeyProblem(field, `RSA key of ${bits} bits; at most ${MAX_RSA_BITS} are accepted`);
      clean = { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
      break;
    }
    case 'EC': {
      const size = EC_SIZES[jwk.crv as string];
      if (!size) throw new KeyProblem(field, `curve ${String(jwk.crv)} is not supported; use P-256, P-384 or P-521`);
      if (b64(jwk, 'x', field).length !== size || b64(jwk, 'y', field).length !== size) {
        throw new KeyProblem(field, `"x" and "y" must be ${size} bytes for ${String(jwk.crv)}`);
      }
      clean = { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
      break;
    }
    case 'OKP': {
      const want = role === 'encryption' ? 'X25519' : 'Ed25519';
      if (jwk.crv !== want) {
        const why = jwk.crv === 'X25519' || jwk.crv === 'Ed25519' ? `${String(jwk.crv)} cannot be used for ${role}` : `curve ${String(jwk.crv)} is not supported`;
        throw new KeyProblem(field, `${why}; an OKP ${role} key must be ${want}`);
      }
      if (b64(jwk, 'x', field).length !== 32) throw new KeyProblem(field, `"x" must be 32 bytes for ${want}`);
      clean = { kty: 'OKP', crv: want, x: jwk.x as string };
      break;
    }
    default:
      throw new KeyProblem(field, `key type ${jwk.kty} is not supported; use RSA, EC or OKP`);
  }
  if (typeof jwk.kid === 'string' && jwk.kid.length > 0 && jwk.kid.length <= 256) clean.kid = jwk.kid;

  // The members are well-formed; OpenSSL decides whether they make a key (an EC point must lie on its curve).
  try {
    createPublicKey({ key: clean as never, format: 'jwk' });
  } catch {
    throw new KeyProblem(field, 'is not a valid public key (OpenSSL refused it)');
  }
  return clean;
}

/** The JWS algorithms a registered signature key may use; anything else is refused before verification. */
export function signatureAlgorithms(jwk: JWK): string[] {
  switch (jwk.kty) {
    case 'RSA':
      return ['RS256', 'PS256'];
    case 'EC':
      return [{ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv as 'P-256']];
    case 'OKP':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}
