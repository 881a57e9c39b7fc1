import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactDecrypt, CompactSign, importJWK } from 'jose';
import { Agent, request, type Dispatcher } from 'undici';
import { NMA_CONTENT_ENCRYPTION, type NmaPlaintext } from '../nma-data';
import type { DeviceKeys } from './device-keys';

/** The phone's side of the protocol, as plain functions: the `device` command and the tests both use them. */

export interface HttpOptions {
  /** PEM file of a CA to trust (the relay's self-signed certificate). */
  cacert?: string;
}

export interface Answer {
  status: number;
  body: unknown;
}

function dispatcherFor(opts: HttpOptions): Dispatcher | undefined {
  return opts.cacert ? new Agent({ connect: { ca: readFileSync(opts.cacert) } }) : undefined;
}

async function call(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, opts: HttpOptions = {}): Promise<Answer> {
  const dispatcher = dispatcherFor(opts);
  try {
    const res = await request(url, { ...init, dispatcher, signal: AbortSignal.timeout(15_000) });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.statusCode, body };
  } finally {
    await dispatcher?.close();
  }
}

export interface Registration {
  relay: string;
  adminToken: string;
  name: string;
  fcmToken: string;
  userId?: string;
  username?: string;
  phoneNumber?: string;
  deviceId?: string;
  dispatcher?: string;
}

export async function registerDevice(keys: DeviceKeys, r: Registration, opts: HttpOptions = {}): Promise<Answer> {
  const body = {
    name: r.name,
    target: r.fcmToken,
    userId: r.userId,
    username: r.username,
    phoneNumber: r.phoneNumber,
    deviceId: r.deviceId,
    dispatcher: r.dispatcher,
    signatureKey: keys.signature.publicJwk,
    encryptionKey: keys.encryption.publicJwk,
  };
  return call(
    `${r.relay.replace(/\/+$/, '')}/dispatch-targets`,
    { method: 'POST', headers: { authorization: `Bearer ${r.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) },
    opts,
  );
}

export interface UpdateClaims {
  target?: string;
  name?: string;
  /** Defaults: now, and a fresh UUID. Tests set them to replay or to go stale. */
  iat?: number;
  jti?: string;
}

/** The compact JWS a device sends as its PATCH body, signed with its private signature key. */
export async function signUpdate(keys: DeviceKeys, dispatchTargetId: string, claims: UpdateClaims): Promise<string> {
  const payload = { dispatchTargetId, iat: claims.iat ?? Math.floor(Date.now() / 1000), jti: claims.jti ?? randomUUID(), target: claims.target, name: claims.name };
  const { alg } = keys.signature;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, kid: keys.signature.privateJwk.kid })
    .sign(await importJWK(keys.signature.privateJwk, alg));
}

export async function patchTarget(relay: string, dispatchTargetId: string, jws: string, opts: HttpOptions = {}): Promise<Answer> {
  return call(`${relay.replace(/\/+$/, '')}/dispatch-targets/${dispatchTargetId}`, { method: 'PATCH', headers: { 'content-type': 'application/jose' }, body: jws }, opts);
}

export interface Decrypted {
  header: { alg: string; enc: string; kid?: string };
  plaintext: NmaPlaintext;
}

/** What the app does with `nma_data`: decrypt with its private encryption key, allowing only nevis' algorithms. */
export async function decryptNmaData(keys: DeviceKeys, nmaData: string): Promise<Decrypted> {
  const { alg } = keys.encryption;
  const { plaintext, protectedHeader } = await compactDecrypt(nmaData, await importJWK(keys.encryption.privateJwk, alg), {
    keyManagementAlgorithms: [alg],
    contentEncryptionAlgorithms: [NMA_CONTENT_ENCRYPTION],
  });
  return { header: protectedHeader as Decrypted['header'], plaintext: JSON.parse(new TextDecoder().decode(plaintext)) as NmaPlaintext };
}

export async function redeemToken(redeemUrl: string, token: string, opts: HttpOptions = {}): Promise<Answer> {
  return call(redeemUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }, opts);
}

/** The newest push the mock FCM delivered (validate_only sends are not delivered) to `fcmToken`. */
export async function latestPush(mockUrl: string, fcmToken: string): Promise<{ data: Record<string, string>; message: Record<string, unknown> } | undefined> {
  const res = await call(`${mockUrl.replace(/\/+$/, '')}/__mock/messages?token=${encodeURIComponent(fcmToken)}`, { method: 'GET' });
  if (res.status !== 200) throw new Error(`the mock FCM answered ${res.status}`);
  const delivered = (res.body as { messages: { validateOnly: boolean; message: Record<string, unknown> }[] }).messages.filter((m) => !m.validateOnly);
  const last = delivered.at(-1);
  return last && { data: last.message.data as Record<string, string>, message: last.message };
}
