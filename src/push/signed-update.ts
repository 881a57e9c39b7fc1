import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { DispatchTarget } from '../store/dispatch-targets';
import type { RequestIds } from '../store/request-ids';
import { signatureAlgorithms } from './jwk';

/** A change a device may make to its own target. */
export interface TargetUpdate {
  target?: string;
  name?: string;
}

/** The request is not the device's own fresh request: bad signature, wrong target, stale, or replayed (401). */
export class UpdateRefused extends Error {}
/** Signed correctly, but the payload says nothing usable (400). */
export class UpdateInvalid extends Error {}

export interface VerifyOptions {
  requestIds: RequestIds;
  /** Seconds either side of now an `iat` may be. */
  skewSeconds: number;
  now?: () => number;
}

const JTI = /^[\x21-\x7e]{8,200}$/;
export const FCM_TOKEN = /^[\x21-\x7e]{1,4096}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Verifies a compact JWS made with the target's registered signature key. The payload binds the request to one
 * target (`dispatchTargetId`), one moment (`iat`, seconds) and one use (`jti`, remembered until `iat` + skew has
 * passed, after which the freshness check alone refuses it), then carries the change: `target` (a new FCM token,
 * or `user_disabled` to opt out) and/or `name`.
 */
export async function verifySignedUpdate(jws: string, target: DispatchTarget, opts: VerifyOptions): Promise<TargetUpdate> {
  const allowed = signatureAlgorithms(target.signatureKey);
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(jws).alg;
  } catch {
    throw new UpdateInvalid('the body is not a compact JWS');
  }
  if (!alg || !allowed.includes(alg)) throw new UpdateRefused(`algorithm ${String(alg)} is not allowed for this key (${allowed.join(', ')})`);

  let payload: unknown;
  try {
    const { kid: _kid, ...key } = target.signatureKey;
    const { payload: bytes } = await compactVerify(jws, await importJWK(key, alg), { algorithms: allowed });
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    if (e instanceof SyntaxError) throw new UpdateInvalid('the JWS payload is not JSON');
    throw new UpdateRefused('the signature does not verify with the registered signature key');
  }
  if (!isRecord(payload)) throw new UpdateInvalid('the JWS payload must be a JSON object');
  if (payload.dispatchTargetId !== target.id) throw new UpdateRefused('the request was signed for another dispatch target');
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new UpdateInvalid('iat (seconds since the epoch) is required');
  if (typeof payload.jti !== 'string' || !JTI.test(payload.jti)) throw new UpdateInvalid('jti (a unique request id, 8 to 200 characters) is required');

  const update: TargetUpdate = {};
  if (payload.target !== undefined) {
    if (typeof payload.target !== 'string' || !FCM_TOKEN.test(payload.target)) throw new UpdateInvalid('target must be an FCM registration token or "user_disabled"');
    update.target = payload.target;
  }
  if (payload.name !== undefined) {
    if (typeof payload.name !== 'string' || !payload.name.trim() || payload.name.length > 200) throw new UpdateInvalid('name must be 1 to 200 characters');
    update.name = payload.name;
  }
  if (update.target === undefined && update.name === undefined) throw new UpdateInvalid('nothing to change: give target and/or name');

  const nowSeconds = (opts.now ?? Date.now)() / 1000;
  if (Math.abs(nowSeconds - payload.iat) > opts.skewSeconds) throw new UpdateRefused(`iat is more than ${opts.skewSeconds} s away from now`);
  const fresh = await opts.requestIds.claim(`${target.id}:${payload.jti}`, Math.ceil((payload.iat + opts.skewSeconds + 1) * 1000));
  if (!fresh) throw new UpdateRefused('this request id was already used (replay)');
  return update;
}
