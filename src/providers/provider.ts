import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Channel, Message } from '../message';
import type { Store } from '../store/store';

/**
 * What a failed send tells the dispatcher:
 * - `retryable`: this provider may succeed later (throttled, 5xx); the async worker retries it, a sync route moves on.
 * - `failover`: another provider may succeed (this one is down, misconfigured, or cannot reach the number).
 * - `permanent`: no provider can succeed (the number is invalid); the route stops.
 */
export type Verdict = 'retryable' | 'failover' | 'permanent';

export interface ProviderErrorInit {
  verdict: Verdict;
  vendorStatus?: number;
  vendorCode?: string;
  vendorMessage?: string;
  retryAfterMs?: number;
  /**
   * Nothing reached the vendor, for a reason of this message's own (the user has no push device, the payload is
   * over the vendor's limit, the template needs a code the message lacks). Such a failure says nothing about the
   * vendor's health, so the circuit breaker does not count it: users without a device must not switch push off
   * for the users who have one.
   */
  notSent?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly verdict: Verdict;
  readonly vendorStatus?: number;
  readonly vendorCode?: string;
  readonly vendorMessage?: string;
  readonly retryAfterMs?: number;
  readonly notSent: boolean;

  constructor(
    readonly provider: string,
    message: string,
    init: ProviderErrorInit,
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.verdict = init.verdict;
    this.vendorStatus = init.vendorStatus;
    this.vendorCode = init.vendorCode;
    this.vendorMessage = init.vendorMessage;
    this.retryAfterMs = init.retryAfterMs;
    this.notSent = init.notSent ?? false;
  }

  get retryable(): boolean {
    return this.verdict === 'retryable';
  }
}

export interface SendContext {
  /** Aborted when the route's deadline (or the provider's own timeout) passes. */
  signal: AbortSignal;
  /** The delivery record this attempt belongs to. */
  deliveryId: string;
  /** The route this attempt runs under; absent when a provider is driven on its own (tests, tools). */
  route?: RouteContext;
}

/** What a provider may need to know about the route it serves. */
export interface RouteContext {
  name: string;
  /** Push providers: `redeemOnly` sends only a redeem token, never the code or the text. Absent: `full`. */
  push?: { content: 'full' | 'redeemOnly' };
}

export interface SendResult {
  providerMessageId?: string;
}

export interface Provider {
  /** The name the operator gave it under `providers:`. */
  readonly name: string;
  readonly type: string;
  readonly channels: readonly Channel[];
  send(message: Message, ctx: SendContext): Promise<SendResult>;
  /** A cheap reachability check (log in, bind, fetch the account), run by `check-config --verify`; never sends a message. */
  verify?(): Promise<void>;
  /** Release pools, sessions and timers; safe to call twice. */
  close?(): Promise<void>;
}

export interface ProviderDeps {
  logger: Logger;
  store: Store;
  /** Where relative paths in provider config (scripts, key files) are resolved. */
  baseDir: string;
}

/** The common keys every provider entry may carry, whatever its type. */
export interface ProviderCommon {
  name: string;
  timeoutMs?: number;
}

export interface ProviderDefinition<S extends z.ZodObject = z.ZodObject> {
  /** The `type:` tag in configuration. */
  readonly type: string;
  readonly channels: readonly Channel[];
  /** Validated at start, never at send time. Must not declare `type`; the registry adds it. */
  readonly configSchema: S;
  /**
   * Keys whose values are secrets: redacted from logs, errors and the printed configuration. A dotted path names a
   * nested key (`auth.basic.password`); an object at a path makes all its string values secret (see secret-values.ts).
   */
  readonly secretKeys: readonly string[];
  create(config: z.infer<S> & ProviderCommon, deps: ProviderDeps): Provider;
}

/** Keeps a definition's schema type and its `create` in step without repeating the generic at each vendor. */
export function defineProvider<S extends z.ZodObject>(def: ProviderDefinition<S>): ProviderDefinition<S> {
  return def;
}
