import type { Logger } from 'pino';
import type { Message } from '../../message';
import { maskToken } from '../../push/dispatch-target-service';
import { NmaEncryptor, type NmaPlaintext } from '../../push/nma-data';
import { recipientTargets } from '../../push/recipient-targets';
import { RedeemService } from '../../push/redeem';
import { scrub } from '../../redact';
import type { DispatchTarget } from '../../store/dispatch-targets';
import type { Store } from '../../store/store';
import { ProviderError, type Provider, type ProviderErrorInit, type SendContext, type SendResult, type Verdict } from '../provider';
import { AccessTokens, TokenError } from './access-tokens';
import { mapFcmError, parseFcmError, retryAfterMs } from './fcm-errors';
import { buildFcmMessage, FCM_PAYLOAD_LIMIT, payloadBytes, type Notification } from './fcm-message';
import { HttpFailure, type HttpAnswer, type HttpClient } from './http-client';

export interface FcmPushOptions {
  name: string;
  projectId: string;
  endpointBaseUrl: string;
  dryRun: boolean;
  redeemUrl: string;
  redeemTtlSeconds: number;
  notification?: Notification;
  http: HttpClient;
  tokens: AccessTokens;
  store: Store;
  logger: Logger;
  now?: () => number;
}

type DeviceOutcome =
  | { ok: true; target: DispatchTarget; messageName?: string }
  | {
      ok: false;
      target: DispatchTarget;
      code: string;
      verdict: Verdict;
      message: string;
      status?: number;
      retryAfterMs?: number;
      /** FCM answered: the push certainly did not go out. */
      refused: boolean;
    };

interface Prepared {
  target: DispatchTarget;
  message: Record<string, unknown>;
}

const MAX_BACKOFF_KEYS = 10_000;

/**
 * One push per live device of the message's user, all at once; the message is delivered when any device's push
 * is accepted. What nobody accepted becomes one ProviderError whose verdict lets the route fall back to SMS.
 */
export class FcmPushProvider implements Provider {
  readonly type = 'fcm';
  readonly channels = ['sms'] as const;
  readonly name: string;
  private readonly encryptor = new NmaEncryptor();
  private readonly redeem: RedeemService;
  private readonly sendUrl: string;
  /** Kept once read, never a failed read: a store that was briefly down must not switch push off until a restart. */
  private phoneKey?: Buffer;
  /** Retry-After from FCM, honoured: no request to the project (server trouble) or to one device (its quota) before then. */
  private projectBackoffUntil = 0;
  private readonly targetBackoffUntil = new Map<string, number>();

  constructor(private readonly o: FcmPushOptions) {
    this.name = o.name;
    this.redeem = new RedeemService(o.store.redeemTokens, o.now);
    this.sendUrl = `${o.endpointBaseUrl}/v1/projects/${encodeURIComponent(o.projectId)}/messages:send`;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private error(message: string, init: ProviderErrorInit): ProviderError {
    return new ProviderError(this.name, message, init);
  }

  async send(message: Message, ctx: SendContext): Promise<SendResult> {
    const { signal } = ctx;
    if (signal.aborted) throw this.error('aborted before sending', { verdict: 'failover', vendorCode: 'aborted' });
    const recipients = await recipientTargets(this.o.store, message, (this.phoneKey ??= await this.o.store.secret('phone-digest')), this.name);
    if (recipients.live.length === 0) {
      // Nothing was sent and nothing can be: move on to SMS at once.
      const vendorCode = recipients.optedOut ? 'opted-out' : 'no-device';
      throw this.error(recipients.optedOut ? 'the user opted out of push' : 'the user has no live push device', { verdict: 'failover', vendorCode, notSent: true });
    }
    const now = this.now();
    if (this.projectBackoffUntil > now) {
      throw this.error('FCM asked to wait (Retry-After) and the wait is not over', { verdict: 'retryable', vendorCode: 'backoff', retryAfterMs: this.projectBackoffUntil - now });
    }
    const devices = recipients.live.filter((t) => !((this.targetBackoffUntil.get(t.id) ?? 0) > now));
    if (devices.length === 0) {
      const wait = Math.min(...recipients.live.map((t) => this.targetBackoffUntil.get(t.id)! - now));
      throw this.error("every device is over its FCM quota and Retry-After has not passed", { verdict: 'retryable', vendorCode: 'QUOTA_EXCEEDED', retryAfterMs: wait });
    }

    const issued = await this.redeem.issue({ deliveryId: ctx.deliveryId, text: message.text, code: message.code, locale: message.locale }, this.o.redeemTtlSeconds);
    const plaintext: NmaPlaintext = { token: issued.token, redeem_url: this.o.redeemUrl, expires_at: Math.floor(issued.expiresAt / 1000), delivery_id: ctx.deliveryId };
    if (ctx.route?.push?.content !== 'redeemOnly') {
      if (message.code !== undefined) plaintext.code = message.code;
      plaintext.text = message.text;
      if (message.locale !== undefined) plaintext.locale = message.locale;
    }

    const prepared: Prepared[] = [];
    let largest = 0;
    for (const target of devices) {
      const nmaData = await this.encryptor.encrypt(target.encryptionKey, plaintext);
      const fcmMessage = buildFcmMessage({ token: target.target, nmaData, notification: this.o.notification, ttlSeconds: this.o.redeemTtlSeconds, now });
      const bytes = payloadBytes(fcmMessage);
      largest = Math.max(largest, bytes);
      if (bytes <= FCM_PAYLOAD_LIMIT) prepared.push({ target, message: fcmMessage });
      else this.o.logger.warn({ dispatchTargetId: target.id, bytes, limit: FCM_PAYLOAD_LIMIT }, 'push payload too large for FCM; not sent to this device');
    }
    if (prepared.length === 0) {
      await this.redeem.withdraw(issued.token);
      throw this.error(`the push payload would be ${largest} bytes; FCM accepts at most ${FCM_PAYLOAD_LIMIT}`, { verdict: 'failover', vendorCode: 'payload-too-large', notSent: true });
    }

    const outcomes = await Promise.all(prepared.map((p) => this.sendOne(p, signal)));
    const accepted = outcomes.find((o) => o.ok);
    if (accepted) return { providerMessageId: accepted.messageName };

    const failures = outcomes.filter((o): o is Extract<DeviceOutcome, { ok: false }> => !o.ok);
    if (failures.every((f) => f.refused)) await this.redeem.withdraw(issued.token);
    throw this.aggregate(failures);
  }

  private aggregate(failures: Extract<DeviceOutcome, { ok: false }>[]): ProviderError {
    const codes = [...new Set(failures.map((f) => f.code))];
    const retryable = failures.every((f) => f.verdict === 'retryable');
    const waits = failures.map((f) => f.retryAfterMs).filter((w): w is number => w !== undefined);
    const first = failures[0];
    return this.error(`push failed on ${failures.length} device(s): ${failures.map((f) => `${f.code} (${f.message})`).join('; ')}`.slice(0, 500), {
      verdict: retryable ? 'retryable' : 'failover',
      vendorStatus: first.status,
      vendorCode: codes.join(','),
      vendorMessage: first.message,
      retryAfterMs: retryable && waits.length ? Math.min(...waits) : undefined,
    });
  }

  private async post(message: Record<string, unknown>, accessToken: string, signal: AbortSignal): Promise<HttpAnswer> {
    const body = JSON.stringify(this.o.dryRun ? { validate_only: true, message } : { message });
    return this.o.http.post(this.sendUrl, { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=utf-8' }, body, signal);
  }

  private async sendOne(p: Prepared, signal: AbortSignal): Promise<DeviceOutcome> {
    const { target } = p;
    const log = this.o.logger.child({ dispatchTargetId: target.id, fcmToken: maskToken(target.target) });
    let accessToken: string | undefined;
    try {
      accessToken = await this.o.tokens.get(signal);
      let res = await this.post(p.message, accessToken, signal);
      // A 401 that is not about APNs credentials means our token was revoked or expired early: one fresh try.
      if (res.status === 401 && parseFcmError(res).code !== 'THIRD_PARTY_AUTH_ERROR') {
        this.o.tokens.invalidate(accessToken);
        accessToken = await this.o.tokens.get(signal);
        res = await this.post(p.message, accessToken, signal);
      }
      if (res.status >= 200 && res.status < 300) {
        let messageName: string | undefined;
        try {
          messageName = (JSON.parse(res.text) as { name?: string }).name;
        } catch {
          // Accepted is accepted; the id is only for the record.
        }
        log.info({ messageName, dryRun: this.o.dryRun }, 'push accepted by FCM');
        return { ok: true, target, messageName };
      }
      const err = parseFcmError(res);
      const mapping = mapFcmError(err.code, res.status);
      const wait = retryAfterMs(res, this.now());
      const message = scrub(err.message, [target.target, accessToken]);
      if (mapping.unregistered) {
        const marked = await this.o.store.targets.markUnregistered(target.id, target.target, err.code);
        log.warn({ code: err.code, marked }, 'FCM says the token is unregistered; target marked dead');
      } else {
        log.warn({ code: err.code, status: res.status, retryAfterMs: wait, reason: message }, 'FCM refused the push');
      }
      if (mapping.backoff && wait !== undefined) this.backOff(mapping.backoff, target.id, wait);
      return { ok: false, target, code: err.code, verdict: mapping.verdict, message, status: res.status, retryAfterMs: wait, refused: true };
    } catch (e) {
      const failure = this.failureOf(e, signal, accessToken);
      log.warn({ code: failure.code, reason: failure.message }, 'push not sent');
      return { ok: false, target, refused: false, ...failure };
    }
  }

  private failureOf(e: unknown, signal: AbortSignal, accessToken?: string): { code: string; verdict: Verdict; message: string; status?: number } {
    if (signal.aborted) return { code: 'aborted', verdict: 'failover', message: 'aborted (deadline or timeout)' };
    if (e instanceof TokenError) {
      return {
        code: `oauth:${e.oauthError ?? e.status}`,
        verdict: e.status === 429 || e.status >= 500 ? 'retryable' : 'failover',
        message: e.message,
        status: e.status,
      };
    }
    if (e instanceof HttpFailure) return { code: e.kind, verdict: 'failover', message: scrub(e.message, accessToken ? [accessToken] : []) };
    return { code: 'error', verdict: 'failover', message: (e as Error)?.message ?? String(e) };
  }

  private backOff(scope: 'project' | 'target', targetId: string, waitMs: number): void {
    const until = this.now() + waitMs;
    if (scope === 'project') {
      this.projectBackoffUntil = Math.max(this.projectBackoffUntil, until);
      return;
    }
    if (this.targetBackoffUntil.size >= MAX_BACKOFF_KEYS) this.targetBackoffUntil.delete(this.targetBackoffUntil.keys().next().value!);
    this.targetBackoffUntil.set(targetId, until);
  }

  async verify(): Promise<void> {
    try {
      await this.o.tokens.get(AbortSignal.timeout(10_000));
    } catch (e) {
      const f = this.failureOf(e, new AbortController().signal);
      throw this.error(`cannot get an FCM access token: ${f.message}`, { verdict: f.verdict, vendorCode: f.code, vendorStatus: f.status });
    }
  }

  async close(): Promise<void> {
    await this.o.http.close();
  }
}
