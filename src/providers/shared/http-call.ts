import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';
import { scrub } from '../../redact';
import { timeLimit } from './time-limit';
import { ProviderError, type Verdict } from '../provider';

/**
 * One HTTP call to a vendor, shared by the providers that speak JSON over HTTP: a keep-alive pool, the caller's
 * abort signal, a bounded read of the answer, and every transport failure turned into a ProviderError.
 * What a status *means* stays with each vendor; `verdictForStatus` is the usual table they start from.
 */

export interface KeepAliveOptions {
  /** `false` accepts any certificate: only for a downstream whose certificate nobody can verify. */
  checkTls?: boolean;
  /** PEM of the CA(s) to trust instead of the system store (a self-signed downstream). */
  ca?: string;
  connectTimeoutMs?: number;
}

/** One pool per provider: sockets and TLS sessions stay warm between messages, so a code costs one round trip. */
export function keepAliveAgent(opts: KeepAliveOptions = {}): Agent {
  return new Agent({
    // Below the 5 s idle close of Node and most servers, so a socket the server is about to drop is not reused.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connections: 32,
    connect: {
      rejectUnauthorized: opts.checkTls !== false,
      ...(opts.ca ? { ca: opts.ca } : {}),
      timeout: opts.connectTimeoutMs ?? 10_000,
    },
  });
}

export interface HttpCall {
  /** The operator's name for the provider, carried by every ProviderError. */
  provider: string;
  /** How errors name the other side: "sipgate", "the downstream receiver". */
  vendor: string;
  agent: Dispatcher;
  url: string;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** The provider's own limit on the whole call, connect to last byte, whatever time the caller leaves it. */
  timeoutMs?: number;
  /** Stripped from anything the vendor says back before it reaches an error: tokens, the text, the number, the code. */
  sensitive: readonly string[];
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first few KiB of the answer, decoded as UTF-8; not yet scrubbed. */
  body: string;
}

const MAX_ANSWER_BYTES = 8 * 1024;
const TLS_REFUSAL = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_)/;

/**
 * Sends the request and reads the answer. Redirects are never followed (undici's `request` does not), because a
 * 3xx would turn this POST into a GET elsewhere too; the caller decides what a 3xx means.
 * Throws a ProviderError only when there is no HTTP answer to judge.
 */
export async function httpCall(call: HttpCall): Promise<HttpAnswer> {
  if (call.signal.aborted) throw transportError(call, call.signal, call.signal.reason);
  const limit = call.timeoutMs === undefined ? undefined : timeLimit(call.timeoutMs, call.signal);
  const signal = limit?.signal ?? call.signal;
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(call.url, { dispatcher: call.agent, method: call.method ?? 'POST', headers: call.headers, body: call.body, signal });
    } catch (e) {
      throw transportError(call, signal, e);
    }
    try {
      return { status: res.statusCode, headers: res.headers, body: await readBounded(res.body) };
    } catch (e) {
      // The status line already said yes: the message is with the vendor, so losing the rest of the body must not
      // send it again through another provider.
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: '' };
      throw transportError(call, signal, e);
    }
  } finally {
    limit?.done();
  }
}

async function readBounded(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= MAX_ANSWER_BYTES) break; // leaving the loop destroys the rest of the body
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

function transportError(call: HttpCall, signal: AbortSignal, e: unknown): ProviderError {
  // Our own deadline, not the vendor's fault: the route moves on, as it does when the dispatcher's timer fires.
  if (signal.aborted) {
    const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
    return new ProviderError(call.provider, `${call.vendor} did not answer before the ${timedOut ? 'timeout' : 'abort'}`, {
      verdict: 'failover',
      vendorCode: timedOut ? 'timeout' : 'aborted',
    });
  }
  const code = String((e as NodeJS.ErrnoException)?.code ?? 'unknown');
  const vendorMessage = scrub(String((e as Error)?.message ?? e), call.sensitive).slice(0, 200);
  const fail = (verdict: Verdict, what: string) =>
    new ProviderError(call.provider, `${call.vendor}: ${what} (${code})`, { verdict, vendorCode: code, vendorMessage, cause: e });
  // A certificate that does not verify, a host that does not exist or a closed provider: waiting will not fix them.
  if (TLS_REFUSAL.test(code)) return fail('failover', 'TLS handshake refused, check the certificate or the ca setting');
  if (code === 'ENOTFOUND') return fail('failover', 'host not found');
  if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') return fail('failover', 'provider is closed');
  if (code === 'UND_ERR_INVALID_ARG') return fail('failover', 'request refused by the HTTP client');
  return fail('retryable', 'connection failed');
}

/**
 * The usual answer to "can trying again help?": throttling and server errors pass, so retry; any other refusal
 * (4xx) or a redirect (never followed) needs another provider.
 */
export function verdictForStatus(status: number): Verdict {
  if (status === 408 || status === 429 || status >= 500) return 'retryable';
  return 'failover';
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date, capped at a day; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  const DAY = 86_400_000;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, DAY);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), DAY);
}

export interface StatusErrorDetail {
  verdict?: Verdict;
  vendorCode?: string;
  /** Already-extracted vendor text; the answer's body (scrubbed, shortened) when absent. */
  vendorMessage?: string;
  /** What the status means for this vendor, for the operator: "authentication failed, check tokenId and token". */
  reason?: string;
}

/** A ProviderError for an HTTP answer that is not a success, with the vendor's status, scrubbed text and Retry-After. */
export function statusError(call: Pick<HttpCall, 'provider' | 'vendor' | 'sensitive'>, answer: HttpAnswer, detail: StatusErrorDetail = {}): ProviderError {
  const verdict = detail.verdict ?? verdictForStatus(answer.status);
  const text = detail.vendorMessage ?? answer.body.replace(/\s+/g, ' ').trim();
  return new ProviderError(call.provider, `${call.vendor} answered HTTP ${answer.status}${detail.reason ? `: ${detail.reason}` : ''}`, {
    verdict,
    vendorStatus: answer.status,
    vendorCode: detail.vendorCode,
    vendorMessage: text ? scrub(text, call.sensitive).slice(0, 300) : undefined,
    retryAfterMs: verdict === 'retryable' ? parseRetryAfter(answer.headers['retry-after']) : undefined,
  });
}

/** What a vendor might echo of one message: the number with and without its `+`, the text, the code. */
export function messageSensitive(message: { to: string; text: string; code?: string }): string[] {
  return [message.text, message.to, message.to.replace(/^\+/, ''), ...(message.code ? [message.code] : [])];
}
