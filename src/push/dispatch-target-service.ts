import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../errors';
import { normalizePhone } from '../inbound/phone';
import { maskPhone, phoneDigest } from '../redact';
import { DuplicateTargetName, OPTED_OUT, type DispatchTarget, type TargetQuery } from '../store/dispatch-targets';
import type { Store } from '../store/store';
import { checkPublicJwk, KeyProblem } from './jwk';
import { FCM_TOKEN, UpdateInvalid, UpdateRefused, verifySignedUpdate } from './signed-update';

const text = (max: number) => z.string().trim().min(1).max(max);

/** nevis' Create Dispatch Target body; `userId` added because FusionAuth identifies the user by id. */
const registration = z
  .object({
    name: text(200),
    target: z.string().regex(FCM_TOKEN, 'must be an FCM registration token (printable, at most 4096 characters) or "user_disabled"'),
    username: text(256).optional(),
    userId: text(256).optional(),
    deviceId: text(256).optional(),
    dispatcher: text(200).optional(),
    phoneNumber: z.string().regex(/^\+/, 'must be in international format, starting with +').optional(),
    signatureKey: z.unknown(),
    encryptionKey: z.unknown(),
  })
  // Messages find devices by the identity provider's user id or by phone number; a target with a username alone
  // would be registered, listed, and never receive a push.
  .refine((b) => b.userId || b.phoneNumber, { message: 'userId or phoneNumber is required: messages find their devices by one of them', path: ['userId'] });

/** What the admin API shows: never the phone number, and FCM tokens only in part (they address the device). */
export interface TargetView {
  id: string;
  name: string;
  username?: string;
  userId?: string;
  deviceId?: string;
  dispatcher?: string;
  target: string;
  optedOut: boolean;
  state: DispatchTarget['state'];
  stateReason?: string;
  phoneNumber?: string;
  signatureKey: DispatchTarget['signatureKey'];
  encryptionKey: DispatchTarget['encryptionKey'];
  createdAt: string;
  updatedAt: string;
}

export function maskToken(token: string): string {
  if (token === OPTED_OUT) return token;
  return token.length <= 16 ? `${token.slice(0, 2)}…` : `${token.slice(0, 6)}…${token.slice(-4)}`;
}

export function viewTarget(t: DispatchTarget): TargetView {
  return {
    id: t.id,
    name: t.name,
    username: t.username,
    userId: t.userId,
    deviceId: t.deviceId,
    dispatcher: t.dispatcher,
    target: maskToken(t.target),
    optedOut: t.target === OPTED_OUT,
    state: t.state,
    stateReason: t.stateReason,
    phoneNumber: t.phoneMasked,
    signatureKey: t.signatureKey,
    encryptionKey: t.encryptionKey,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export interface DispatchTargetServiceDeps {
  store: Store;
  logger: Logger;
  /** Names of the configured fcm providers: what `dispatcher` may name. */
  dispatchers: readonly string[];
  patchMaxSkewSeconds: number;
}

/** Registration, look-up and device-signed updates of dispatch targets; every refusal is a precise AppError. */
export class DispatchTargetService {
  private phoneKey?: Buffer;
  private lastPurge = 0;

  constructor(private readonly deps: DispatchTargetServiceDeps) {}

  /** Kept once read, never a failed read: a store that was briefly down must not stop look-ups until a restart. */
  private async key(): Promise<Buffer> {
    return (this.phoneKey ??= await this.deps.store.secret('phone-digest'));
  }

  async register(body: unknown): Promise<DispatchTarget> {
    const parsed = registration.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError('invalidBody', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const b = parsed.data;
    let signatureKey, encryptionKey;
    try {
      signatureKey = checkPublicJwk(b.signatureKey, 'signature', 'signatureKey');
      encryptionKey = checkPublicJwk(b.encryptionKey, 'encryption', 'encryptionKey');
    } catch (e) {
      if (e instanceof KeyProblem) throw new AppError('invalidKey', e.message);
      throw e;
    }
    if (b.dispatcher !== undefined && !this.deps.dispatchers.includes(b.dispatcher)) {
      throw new AppError('unknownDispatcher', `dispatcher "${b.dispatcher}" is not a configured fcm provider`);
    }
    let phone: { phoneDigest: string; phoneMasked: string } | undefined;
    if (b.phoneNumber !== undefined) {
      const e164 = normalizePhone(b.phoneNumber, 'US').e164;
      phone = { phoneDigest: phoneDigest(await this.key(), e164), phoneMasked: maskPhone(e164) };
    }
    try {
      return await this.deps.store.targets.create({
        name: b.name,
        target: b.target,
        username: b.username,
        userId: b.userId,
        deviceId: b.deviceId,
        dispatcher: b.dispatcher,
        signatureKey,
        encryptionKey,
        ...phone,
      });
    } catch (e) {
      if (e instanceof DuplicateTargetName) throw new AppError('conflict', e.message);
      throw e;
    }
  }

  async list(query: Record<string, unknown>): Promise<DispatchTarget[]> {
    const one = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? (query[k] as string) : undefined);
    const username = one('username');
    const userId = one('userId');
    const phoneNumber = one('phoneNumber');
    const given = [username, userId, phoneNumber].filter((v) => v !== undefined).length;
    if (given !== 1) throw new AppError('invalidRequest', 'give exactly one of ?username=, ?userId=, ?phoneNumber=');
    let q: TargetQuery;
    if (username !== undefined) q = { username };
    else if (userId !== undefined) q = { userId };
    else q = { phoneDigest: phoneDigest(await this.key(), normalizePhone(phoneNumber!, 'US').e164) };
    return this.deps.store.targets.list(q);
  }

  async get(id: string): Promise<DispatchTarget> {
    const t = await this.deps.store.targets.get(id);
    if (!t) throw new AppError('notFound', 'no dispatch target with this id');
    return t;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.deps.store.targets.delete(id))) throw new AppError('notFound', 'no dispatch target with this id');
  }

  /** Request ids outlive their freshness window by nothing; dropping them once a minute keeps the table small. */
  private async purgeRequestIds(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    await this.deps.store.requestIds.purgeExpired(now);
  }

  /** The device's own PATCH: a compact JWS over the change, checked against the target's registered signature key. */
  async applySignedUpdate(id: string, jws: string, log: Logger): Promise<DispatchTarget> {
    const target = await this.get(id);
    await this.purgeRequestIds();
    let update;
    try {
      update = await verifySignedUpdate(jws, target, { requestIds: this.deps.store.requestIds, skewSeconds: this.deps.patchMaxSkewSeconds });
    } catch (e) {
      if (e instanceof UpdateRefused) {
        log.warn({ dispatchTargetId: id, reason: e.message }, 'signed dispatch-target update refused');
        throw new AppError('invalidSignature', e.message);
      }
      if (e instanceof UpdateInvalid) throw new AppError('invalidBody', e.message);
      throw e;
    }
    try {
      // A token from the device, new or the same one sent again, revives a target FCM had declared unregistered:
      // the device says the token is live now (after a reinstall, or a mistaken UNREGISTERED), and if it is not,
      // the next push costs one FCM call and marks it again.
      const revived = update.target !== undefined && (update.target !== target.target || target.state !== 'active');
      const changed = await this.deps.store.targets.update(id, {
        ...update,
        ...(revived ? { state: 'active' as const, stateReason: null } : {}),
      });
      if (!changed) throw new AppError('notFound', 'no dispatch target with this id');
      log.info(
        { dispatchTargetId: id, optedOut: changed.target === OPTED_OUT, tokenChanged: update.target !== undefined && update.target !== target.target, revived, renamed: update.name !== undefined },
        'dispatch target updated by its device',
      );
      return changed;
    } catch (e) {
      if (e instanceof DuplicateTargetName) throw new AppError('conflict', e.message);
      throw e;
    }
  }
}
