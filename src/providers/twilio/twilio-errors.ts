import { ProviderError, type Verdict } from '../provider';
import { parseRetryAfter } from '../shared/http-call';

/**
 * Twilio's synchronous error codes (the `code` of a 4xx answer to Messages.create / Calls.create) and what each
 * means for the route. The one place this mapping lives; docs/providers.md shows the same table.
 * Codes not listed fall back on the HTTP status (`verdictForStatus`). Asynchronous failures (30xxx, delivered
 * later to the status callback) never reach this table: by then the relay has already answered.
 */
export const TWILIO_CODE_VERDICTS: Readonly<Record<number, { verdict: Verdict; why: string }>> = {
  // The number itself cannot receive the message: another vendor would get the same answer from the network.
  21211: { verdict: 'permanent', why: "invalid 'To' number: it cannot exist" },
  21614: { verdict: 'permanent', why: "'To' is not a mobile number, so it cannot receive SMS" },
  21635: { verdict: 'permanent', why: "'To' is a landline, so it cannot receive SMS" },
  // The person opted out (replied STOP). Sending through another vendor would circumvent their choice.
  21610: { verdict: 'permanent', why: 'the recipient unsubscribed from this sender' },
  // Refusals about this account or sender: a provider with another account, sender or route may succeed.
  21408: { verdict: 'failover', why: 'Messaging Geo Permissions do not allow this destination on this account' },
  21215: { verdict: 'failover', why: 'Voice Geo Permissions do not allow this destination on this account' },
  21606: { verdict: 'failover', why: "the 'From' number cannot send SMS" },
  21608: { verdict: 'failover', why: 'a trial account may only send to verified numbers' },
  21612: { verdict: 'failover', why: "this 'To' and 'From' combination cannot be connected (another sender may)" },
  20003: { verdict: 'failover', why: 'authentication failed: the credentials are wrong or revoked' },
  20404: { verdict: 'failover', why: 'the account or messaging service does not exist' },
  // Congestion on Twilio's side that clears by itself: the same provider will take the message a little later.
  20429: { verdict: 'retryable', why: 'too many concurrent requests; never processed, safe to repeat' },
  21611: { verdict: 'retryable', why: "the 'From' number's queue is full; it drains at the sender's rate" },
};

/** Without a known code: Twilio's 429 and 5xx are transient; any other 4xx is about this request or account. */
export function verdictForStatus(status: number): Verdict {
  if (status === 429 || status >= 500) return 'retryable';
  return 'failover';
}

/** What a rejected SDK call tells us, whichever exception class the SDK chose (RestException or RFC 9457). */
export interface VendorAnswer {
  status: number;
  code?: number;
  message?: string;
  retryAfterMs?: number;
}

/** The SDK's RestException and TwilioServiceException both carry a numeric HTTP `status`; axios errors do not. */
export function vendorAnswer(e: unknown, headers: Record<string, unknown> | undefined): VendorAnswer | undefined {
  const err = e as { status?: unknown; code?: unknown; message?: unknown; detail?: unknown; isAxiosError?: boolean };
  if (!err || typeof err !== 'object' || err.isAxiosError || typeof err.status !== 'number') return undefined;
  const detail = typeof err.detail === 'string' ? err.detail : undefined;
  return {
    status: err.status,
    code: typeof err.code === 'number' ? err.code : undefined,
    message: typeof err.message === 'string' && err.message ? err.message : detail,
    retryAfterMs: parseRetryAfter(typeof headers?.['retry-after'] === 'string' ? headers['retry-after'] : undefined),
  };
}

export interface MappingContext {
  provider: string;
  /** Strips secrets and the message's own content (the SDK's messages echo the number and account URL). */
  clean(text: string): string;
}

export function fromVendorAnswer(answer: VendorAnswer, { provider, clean }: MappingContext): ProviderError {
  const known = answer.code === undefined ? undefined : TWILIO_CODE_VERDICTS[answer.code];
  const verdict = known?.verdict ?? verdictForStatus(answer.status);
  const vendorMessage = answer.message === undefined ? undefined : clean(answer.message).slice(0, 300);
  const what = answer.code === undefined ? `HTTP ${answer.status}` : `HTTP ${answer.status}, code ${answer.code}`;
  return new ProviderError(provider, `Twilio refused the request (${what})${vendorMessage ? `: ${vendorMessage}` : ''}`, {
    verdict,
    vendorStatus: answer.status,
    vendorCode: answer.code === undefined ? undefined : String(answer.code),
    vendorMessage,
    retryAfterMs: answer.retryAfterMs,
  });
}

/**
 * Transport failures (reset, refused, DNS, TLS, the SDK's own timeout) are `failover`: the answer never came,
 * so we cannot tell whether Twilio took the message, and an unreachable API rarely recovers within one caller's
 * deadline. Another provider is the better bet; the async worker may still come back to this one later.
 * The axios error is not kept as `cause`: its `config` holds the Authorization header.
 */
export function fromTransportError(e: unknown, { provider, clean }: MappingContext): ProviderError {
  const err = e as { code?: unknown; message?: unknown };
  // axios reports its own timeout (our `timeoutMs`) as ECONNABORTED, which reads like a socket error; it is not.
  const code = typeof err?.code !== 'string' ? 'network' : err.code === 'ECONNABORTED' ? 'timeout' : err.code;
  const detail = typeof err?.message === 'string' ? clean(err.message).slice(0, 200) : String(e);
  return new ProviderError(provider, `Twilio could not be reached (${code}): ${detail}`, { verdict: 'failover', vendorCode: code });
}
