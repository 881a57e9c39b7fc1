import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { keyManagementAlg } from '../nma-data';

export const KEY_TYPES = ['rsa2048', 'rsa4096', 'p256', 'p384', 'p521', 'x25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** A phone's key material: one pair seals pushes to it, the other signs its own updates. Private JWKs stay in its directory. */
export interface DeviceKeys {
  type: KeyType;
  encryption: { privateJwk: JWK; publicJwk: JWK; alg: string };
  signature: { privateJwk: JWK; publicJwk: JWK; alg: string };
}

/** What `device register` learned, kept next to the keys so later commands need only `--keys DIR`. */
export interface DeviceState {
  type: KeyType;
  dispatchTargetId?: string;
  relay?: string;
  fcmToken?: string;
}

function pair(kind: string, options: Record<string, unknown>): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync(kind as 'rsa', options as never) as unknown as { privateKey: KeyObject; publicKey: KeyObject };
}

function jwks(keys: { privateKey: KeyObject; publicKey: KeyObject }, kid: string): { privateJwk: JWK; publicJwk: JWK } {
  return {
    privateJwk: { ...(keys.privateKey.export({ format: 'jwk' }) as JWK), kid },
    publicJwk: { ...(keys.publicKey.export({ format: 'jwk' }) as JWK), kid },
  };
}

/** The signature key mirrors the encryption key's family; X25519 cannot sign, so its devices sign with Ed25519. */
export function generateDeviceKeys(type: KeyType): DeviceKeys {
  const id = randomUUID();
  let enc, sig, sigAlg;
  switch (type) {
    case 'rsa2048':
    case 'rsa4096': {
      const modulusLength = type === 'rsa2048' ? 2048 : 4096;
      enc = pair('rsa', { modulusLength });
      sig = pair('rsa', { modulusLength });
      sigAlg = 'PS256';
      break;
    }
    case 'p256':
    case 'p384':
    case 'p521': {
      const namedCurve = { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[type];
      enc = pair('ec', { namedCurve });
      sig = pair('ec', { namedCurve });
      sigAlg = { p256: 'ES256', p384: 'ES384', p521: 'ES512' }[type];
      break;
    }
    case 'x25519':
      enc = pair('x25519', {});
      sig = pair('ed25519', {});
      sigAlg = 'EdDSA';
      break;
  }
  const encryption = jwks(enc, `enc-${id}`);
  return {
    type,
    encryption: { ...encryption, alg: keyManagementAlg(encryption.publicJwk) },
    signature: { ...jwks(sig, `sig-${id}`), alg: sigAlg },
  };
}

const FILES = { encryption: 'encryption-key.json', signature: 'signature-key.json', state: 'device.json' };

/** Private keys are written 0600: the directory is the phone's secure enclave in this simulation. */
export async function saveDeviceKeys(dir: string, keys: DeviceKeys): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, FILES.encryption), `${JSON.stringify({ alg: keys.encryption.alg, jwk: keys.encryption.privateJwk }, null, 2)}\n`, { mode: 0o600 });
  await writeFile(join(dir, FILES.signature), `${JSON.stringify({ alg: keys.signature.alg, jwk: keys.signature.privateJwk }, null, 2)}\n`, { mode: 0o600 });
  await saveDeviceState(dir, { type: keys.type });
}

function publicOf(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

export async function loadDeviceKeys(dir: string): Promise<DeviceKeys> {
  const read = async (f: string) => JSON.parse(await readFile(join(dir, f), 'utf8')) as { alg: string; jwk: JWK };
  const [enc, sig, state] = await Promise.all([read(FILES.encryption), read(FILES.signature), loadDeviceState(dir)]);
  return {
    type: state.type,
    encryption: { alg: enc.alg, privateJwk: enc.jwk, publicJwk: publicOf(enc.jwk) },
    signature: { alg: sig.alg, privateJwk: sig.jwk, publicJwk: publicOf(sig.jwk) },
  };
}

export async function loadDeviceState(dir: string): Promise<DeviceState> {
  return JSON.parse(await readFile(join(dir, FILES.state), 'utf8')) as DeviceState;
}

export async function saveDeviceState(dir: string, state: DeviceState): Promise<void> {
  await writeFile(join(dir, FILES.state), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
