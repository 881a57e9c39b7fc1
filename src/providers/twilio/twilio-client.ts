import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type twilio from 'twilio';
import type SdkRequestClient from 'twilio/lib/base/RequestClient';
import { twilioSdk } from './sdk';
import type { TwilioConfig } from './twilio-config';

/** What one SDK call needs to see below the SDK, which has no parameter to carry it. */
interface CallContext {
  signal: AbortSignal;
  /** The answer's headers, for `Retry-After`: the SDK's exceptions drop them. */
  headers?: Record<string, unknown>;
}

const callContext = new AsyncLocalStorage<CallContext>();

/** `https://api.twilio.com/2010-04-01/…` → `<baseUrl>/2010-04-01/…`, keeping a path prefix the base URL may have. */
export function rebase(uri: string, baseUrl: string): string {
  const from = new URL(uri);
  const to = new URL(baseUrl);
  return `${to.origin}${to.pathname.replace(/\/+$/, '')}${from.pathname}${from.search}`;
}

/**
 * The SDK's own request client (axios, Basic auth, form encoding, User-Agent) with three changes:
 * - every request goes to `baseUrl` when one is configured. Rewriting the URI here, rather than setting
 *   `client.api.baseUrl`, keeps the SDK's edge/region hostname rewriting from mangling a custom host;
 * - the send's AbortSignal reaches axios, so an abandoned request is torn down with its socket instead of
 *   running on in the background (the SDK's `create()` takes no signal);
 * - no auto-retry: the SDK would sleep and repeat a 429 inside our deadline; the dispatcher decides instead.
 */
// It extends the SDK's class, so it is defined when the SDK is first loaded (see sdk.ts).
function defineRelayRequestClient() {
  return class RelayRequestClient extends twilioSdk().RequestClient {
    private readonly httpAgent: HttpAgent;

    constructor(
      private readonly baseUrl: string | undefined,
      timeoutMs: number,
    ) {
      super({ timeout: timeoutMs, autoRetry: false, keepAlive: true });
      // The SDK only configures an https agent; a plain-http base URL (a local peer) would use Node's global
      // agent, whose idle sockets close() could not release.
      this.httpAgent = new HttpAgent({ keepAlive: true, timeout: timeoutMs });
      this.axios.defaults.httpAgent = this.httpAgent;
      this.axios.interceptors.request.use((cfg) => {
        const ctx = callContext.getStore();
        if (ctx) cfg.signal = ctx.signal;
        return cfg;
      });
    }

    override async request<TData>(opts: SdkRequestClient.RequestOptions<TData>) {
      const res = await super.request<TData>(this.baseUrl ? { ...opts, uri: rebase(opts.uri, this.baseUrl) } : opts);
      const ctx = callContext.getStore();
      if (ctx) ctx.headers = res.headers as Record<string, unknown>;
      return res;
    }

    destroy(): void {
      this.httpAgent.destroy();
      (this.axios.defaults.httpsAgent as HttpsAgent | undefined)?.destroy?.();
    }
  };
}

let RelayRequestClient: ReturnType<typeof defineRelayRequestClient> | undefined;

export interface TwilioSession {
  client: twilio.Twilio;
  /** Runs one SDK call with `signal` wired to its HTTP request; `headers()` then reads that call's answer headers. */
  run<T>(signal: AbortSignal, call: (client: twilio.Twilio) => Promise<T>): { result: Promise<T>; headers: () => Record<string, unknown> | undefined };
  close(): void;
}

export function createTwilioSession(config: TwilioConfig): TwilioSession {
  RelayRequestClient ??= defineRelayRequestClient();
  const http = new RelayRequestClient(config.baseUrl, config.timeoutMs);
  const [username, password] = config.apiKeySid ? [config.apiKeySid, config.apiKeySecret] : [config.accountSid, config.authToken];
  const client = twilioSdk()(username, password, {
    accountSid: config.accountSid,
    httpClient: http,
    // The configuration file is the one source of truth: the SDK would otherwise read TWILIO_EDGE,
    // TWILIO_REGION and TWILIO_LOG_LEVEL from the environment (debug logging goes to stdout). Regions and edges
    // are reached through `baseUrl`.
    edge: '',
    region: '',
    logLevel: 'off',
  });
  return {
    client,
    run(signal, call) {
      const ctx: CallContext = { signal };
      // `async` turns the SDK's synchronous throws (a missing parameter) into a rejection like every other failure.
      const result = callContext.run(ctx, async () => call(client));
      return { result, headers: () => ctx.headers };
    },
    close: () => http.destroy(),
  };
}
