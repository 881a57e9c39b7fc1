import { SignJWT } from 'jose';
import type { HttpClient } from './http-client';
import type { ServiceAccount } from './service-account';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/** The token endpoint refused or failed; `status` is absent for network failures (those surface as HttpFailure). */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface AccessTokensOptions {
  account: ServiceAccount;
  http: HttpClient;
  /** A token is replaced this long before it expires, so none is used in its last minute. */
  refreshMarginMs?: number;
  /** Bounds the shared token request. */
  timeoutMs?: number;
  now?: () => number;
}

interface Cached {
  token: string;
  expiresAt: number;
}

/**
 * OAuth 2.0 access tokens by the JWT-bearer grant (RFC 7523), signed RS256 with the service account's key and
 * posted to the file's own `token_uri`. Cached until shortly before expiry; callers that arrive while a token is
 * being fetched share that one request.
 */
export class AccessTokens {
  private cached?: Cached;
  private inFlight?: Promise<Cached>;
  /** How many token requests were made: the cache's effect, visible to tests and logs. */
  fetches = 0;

  constructor(private readonly opts: AccessTokensOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async get(signal: AbortSignal): Promise<string> {
    const margin = this.opts.refreshMarginMs ?? 60_000;
    if (this.cached && this.cached.expiresAt - margin > this.now()) return this.cached.token;
    if (!this.inFlight) {
      // The shared request is not tied to any one caller's signal: one caller giving up must not fail the others.
      this.inFlight = this.fetch(AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)).finally(() => (this.inFlight = undefined));
    }
    const shared = this.inFlight;
    const result = await new Promise<Cached>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
    return result.token;
  }

  /** After FCM said 401 to `token`: forget it, unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetch(signal: AbortSignal): Promise<Cached> {
    const { account } = this.opts;
    this.fetches++;
    const issuedAt = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) })
      .setIssuer(account.clientEmail)
      .setAudience(account.tokenUri)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 3600)
      .sign(account.privateKey);
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    const res = await this.opts.http.post(account.tokenUri, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal);
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(res.text) as typeof json;
    } catch {
      // Reported below with the status.
    }
    if (res.status !== 200 || typeof json.access_token !== 'string' || !json.access_token) {
      const oauthError = typeof json.error === 'string' ? json.error : undefined;
      const description = typeof json.error_description === 'string' ? `: ${json.error_description.slice(0, 200)}` : '';
      throw new TokenError(`token endpoint answered ${res.status}${oauthError ? ` ${oauthError}` : ''}${description}`, res.status, oauthError);
    }
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    this.cached = { token: json.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return this.cached;
  }
}
